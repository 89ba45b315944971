// The cases of nn layers on every backend, over the type list
// backends_under_test that the including file declares first
// (tests/nn/backends.cpp: the host backends; tests/cuda/nn.cu: modyn::cuda): nn::Dense, nn::RNNCell,
// nn::GRUCell and nn::LSTMCell built on modyn::cpu, moved with modyn::to<B>(model) to modyn::serial (kernels
// one element at a time, Vec = T) and modyn::pseudo_device (memory the host cannot touch), and run forward on
// the same inputs: the outputs and states must be cpu's, to rounding (the
// GEMMs sum in another order; tanh and sigmoid are std:: on one lane and
// xsimd:: on vectors). Then nn::LayerNorm, nn::Dropout, the activations and
// softmax, and Sequentials of them (below). Last, what a move must keep
// besides the parameters (the init::Options of a Dense) and must not do (take
// streams from the default generator).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/dropout.hpp"
#include "modyn/nn/gru_cell.hpp"
#include "modyn/nn/init.hpp"
#include "modyn/nn/layer_norm.hpp"
#include "modyn/nn/lstm_cell.hpp"
#include "modyn/nn/rnn_cell.hpp"

namespace nn = modyn::nn;
using modyn::Shape;
using modyn::Tensor;

namespace {

constexpr std::size_t batch = 3, in = 19, hidden = 21;  // not multiples of a SIMD width
constexpr std::size_t steps = 6;

// Inputs of a few steps, (batch, in) each, in [-1, 1].
std::vector<Tensor<float>> inputs() {
  std::vector<Tensor<float>> xs;
  for (std::size_t k = 0; k < steps; ++k) {
    std::vector<float> v(batch * in);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i + 7 * k) + 0.1f);
    xs.emplace_back(Shape{batch, in}, std::span<const float>(v));
  }
  return xs;
}

template <class X>
std::vector<float> host_values(const X& x) {
  return modyn::to<modyn::cpu>(x).to_vector();
}

// Equal to rounding: |a - b| <= 1e-5 (1 + |b|) elementwise.
void require_close(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(got[i] - want[i]) <= 1e-5f * (1.0f + std::fabs(want[i])))) {
      INFO(what << ", element " << i << ": " << got[i] << " vs cpu " << want[i]);
      REQUIRE(false);
    }
  }
}

// Steps a recurrent cell on cpu and its copy on B over the same inputs and
// compares every state the cell has after each step.
template <class B, class Cell, class States>
void compare_cell(Cell& cpu_cell, States states) {
  auto cell = modyn::to<B>(cpu_cell);
  cpu_cell.reset_state(batch);
  cell.reset_state(batch);
  for (const auto& x : inputs()) {
    const auto x_on_b = modyn::to<B>(x);
    require_close(host_values(cell(x_on_b)), host_values(cpu_cell(x)), "output");
    states(cpu_cell, cell);
  }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("nn::Dense forward on each backend equals cpu", "[nn][backends][dense]",
                        backends_under_test) {
  nn::Dense cpu_dense(in, hidden, {.seed = 11});
  auto dense = modyn::to<TestType>(cpu_dense);
  REQUIRE(host_values(dense.weight.value()) == cpu_dense.weight.value().to_vector());
  for (const auto& x : inputs()) {
    const auto x_on_b = modyn::to<TestType>(x);
    require_close(host_values(dense(x_on_b)), host_values(cpu_dense(x)), "Dense");
    require_close(host_values(dense.forward_fused(x_on_b, modyn::relu)),
                  host_values(cpu_dense.forward_fused(x, modyn::relu)), "Dense + relu");
  }
  // A (time, batch, in) input: one GEMM over every row.
  const Tensor<float> seq = Tensor<float>::ones(Shape{2, batch, in});
  require_close(host_values(dense(modyn::to<TestType>(seq))), host_values(cpu_dense(seq)),
                "Dense over a sequence");
}

TEMPLATE_LIST_TEST_CASE("nn::RNNCell forward on each backend equals cpu", "[nn][backends][rnn_cell]",
                        backends_under_test) {
  for (const auto f : {nn::Nonlinearity::tanh, nn::Nonlinearity::relu}) {
    nn::RNNCell<modyn::dynamic, modyn::dynamic, float> cpu_cell(in, hidden, f, {.seed = 12});
    compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
      require_close(host_values(*b.h), host_values(*a.h), "RNNCell h");
    });
  }
}

TEMPLATE_LIST_TEST_CASE("nn::GRUCell forward on each backend equals cpu", "[nn][backends][gru_cell]",
                        backends_under_test) {
  nn::GRUCell<modyn::dynamic, modyn::dynamic, float> cpu_cell(in, hidden, {.seed = 13});
  compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
    require_close(host_values(*b.h), host_values(*a.h), "GRUCell h");
  });
}

TEMPLATE_LIST_TEST_CASE("nn::LSTMCell forward on each backend equals cpu", "[nn][backends][lstm_cell]",
                        backends_under_test) {
  nn::LSTMCell<modyn::dynamic, modyn::dynamic, float> cpu_cell(in, hidden, {.seed = 14});
  compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
    require_close(host_values(*b.h), host_values(*a.h), "LSTMCell h");
    require_close(host_values(*b.c), host_values(*a.c), "LSTMCell c");
  });
}

// ---- nn::LayerNorm, nn::Dropout, the activations and Sequential.

namespace {

// Values in [lo, hi) of a (batch, hidden) or any shape, on the host.
Tensor<float> wave(Shape shape, float lo, float hi, float phase = 0.0f) {
  std::vector<float> v(shape.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = lo + (hi - lo) * 0.5f * (1.0f + std::sin(0.71f * static_cast<float>(i) + phase));
  }
  return Tensor<float>(shape, std::span<const float>(v));
}

void require_equal(const std::vector<float>& got, const std::vector<float>& want, const std::string& what) {
  INFO(what);
  REQUIRE(got == want);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("nn::LayerNorm forward on each backend equals cpu", "[nn][backends][layer_norm]",
                        backends_under_test) {
  nn::LayerNorm<float> cpu_norm(hidden);
  cpu_norm.weight = wave(Shape{hidden}, 0.5f, 1.5f);
  cpu_norm.bias = wave(Shape{hidden}, -0.25f, 0.25f, 1.0f);
  auto norm = modyn::to<TestType>(cpu_norm);
  for (const Shape shape : {Shape{hidden}, Shape{batch, hidden}, Shape{2, batch, hidden}}) {
    INFO("input of shape " << shape.to_string());
    const Tensor<float> x = wave(shape, -3.0f, 5.0f);
    require_close(host_values(norm(modyn::to<TestType>(x))), host_values(cpu_norm(x)), "LayerNorm");
  }
}

TEMPLATE_LIST_TEST_CASE("nn::Dropout on each backend: the identity in evaluation, cpu's masks when seeded",
                        "[nn][backends][dropout]", backends_under_test) {
  const Tensor<float> x = wave(Shape{batch, hidden}, -1.0f, 1.0f);
  const auto x_on_b = modyn::to<TestType>(x);
  const modyn::Context evaluation{}, training{.training = true};
  // Moved with to<B>: the rebound layer has cpu_drop's generator (its rebind
  // constructor copies it), so it draws cpu's masks.
  nn::Dropout<float> cpu_drop(0.3, 42);
  auto drop = modyn::to<TestType>(cpu_drop);
  require_equal(host_values(drop(x_on_b, evaluation)), x.to_vector(), "evaluation");
  require_equal(host_values(drop(x_on_b)), x.to_vector(), "no context");
  std::size_t dropped = 0;
  for (std::size_t call = 0; call < 3; ++call) {  // each call draws a new mask, the same on every backend
    INFO("training call " << call);
    const std::vector<float> got = host_values(drop(x_on_b, training)),
                             want = cpu_drop(x, training).to_vector();
    require_equal(got, want, "training");
    for (const float v : got) dropped += v == 0.0f ? 1 : 0;
  }
  REQUIRE(dropped > 0);
  REQUIRE(dropped < 3 * batch * hidden);
}

TEMPLATE_LIST_TEST_CASE("The activations and softmax on each backend equal cpu",
                        "[nn][backends][activations]", backends_under_test) {
  const Tensor<float> x = wave(Shape{batch, hidden}, -6.0f, 6.0f);
  const Tensor<float> positive = wave(Shape{batch, hidden}, 0.01f, 9.0f);
  const auto x_on_b = modyn::to<TestType>(x), positive_on_b = modyn::to<TestType>(positive);
  // Same arithmetic on every backend: exact.
  require_equal(host_values(modyn::relu(x_on_b)), modyn::relu(x).to_vector(), "relu");
  require_equal(host_values(modyn::abs(x_on_b)), modyn::abs(x).to_vector(), "abs");
  require_equal(host_values(modyn::identity(x_on_b)), x.to_vector(), "identity");
  require_equal(host_values(modyn::sqrt(positive_on_b)), modyn::sqrt(positive).to_vector(), "sqrt");
  // std:: on one lane, xsimd:: on vectors: to rounding.
  require_close(host_values(modyn::tanh(x_on_b)), modyn::tanh(x).to_vector(), "tanh");
  require_close(host_values(modyn::sigmoid(x_on_b)), modyn::sigmoid(x).to_vector(), "sigmoid");
  require_close(host_values(modyn::silu(x_on_b)), modyn::silu(x).to_vector(), "silu");
  require_close(host_values(modyn::gelu(x_on_b)), modyn::gelu(x).to_vector(), "gelu");
  require_close(host_values(modyn::exp(x_on_b)), modyn::exp(x).to_vector(), "exp");
  require_close(host_values(modyn::log(positive_on_b)), modyn::log(positive).to_vector(), "log");
  require_close(host_values(modyn::softmax(x_on_b)), modyn::softmax(x).to_vector(), "softmax");
  const Tensor<float> seq = wave(Shape{2, batch, hidden}, -20.0f, 20.0f);
  require_close(host_values(modyn::softmax(modyn::to<TestType>(seq))), modyn::softmax(seq).to_vector(),
                "softmax over a sequence");
  // In place (apply_into with out = x).
  auto in_place = modyn::to<TestType>(x);
  modyn::fn::tanh.apply_into(in_place, in_place);
  require_close(host_values(in_place), modyn::tanh(x).to_vector(), "tanh in place");
  modyn::softmax.apply_into(in_place, in_place);
  require_close(host_values(in_place), modyn::softmax(modyn::tanh(x)).to_vector(), "softmax in place");
}

TEMPLATE_LIST_TEST_CASE("modyn::Sequential of Dense, relu and Dense moved with to<B> equals cpu",
                        "[nn][backends][sequential]", backends_under_test) {
  modyn::Sequential cpu_seq{nn::Dense(in, hidden, {.seed = 15}), modyn::relu,
                            nn::Dense(hidden, 7, {.seed = 16})};
  auto seq = modyn::to<TestType>(cpu_seq);
  for (const auto& x : inputs()) {
    require_close(host_values(seq(modyn::to<TestType>(x))), host_values(cpu_seq(x)), "Sequential");
  }
  const Tensor<float> sequence = wave(Shape{2, batch, in}, -1.0f, 1.0f);
  require_close(host_values(seq(modyn::to<TestType>(sequence))), host_values(cpu_seq(sequence)),
                "Sequential over a sequence");
}

// Entries that are not fused into a Dense: a LayerNorm, then silu and
// softmax run into the Sequential's own buffers.
TEMPLATE_LIST_TEST_CASE(
    "modyn::Sequential of Dense, LayerNorm, silu, Dense and softmax moved with to<B> equals cpu",
    "[nn][backends][sequential][layer_norm]", backends_under_test) {
  modyn::Sequential cpu_seq{nn::Dense(in, hidden, {.seed = 17}), nn::LayerNorm<float>(hidden), modyn::silu,
                            nn::Dense(hidden, 5, {.seed = 18}), modyn::softmax};
  auto seq = modyn::to<TestType>(cpu_seq);
  for (const auto& x : inputs()) {
    require_close(host_values(seq(modyn::to<TestType>(x))), host_values(cpu_seq(x)), "Sequential");
  }
}

// A layer's init::Options are no reflected field: the rebind constructor
// carries them, so the moved layer redraws as the source does (a zeros
// layer stays zeros, a normal one keeps its scale).
TEMPLATE_LIST_TEST_CASE(
    "nn::Dense moved with to<B> keeps its init::Options: reset_parameters redraws as on cpu",
    "[nn][backends][dense][init]", backends_under_test) {
  using modyn::init::Kind;
  const modyn::init::Options zeros{.kind = Kind::zeros, .seed = 3},
      normal{.kind = Kind::normal, .scale = 2.5, .seed = 3};
  for (const modyn::init::Options& options : {zeros, normal}) {
    INFO("init kind " << static_cast<int>(options.kind));
    nn::Dense<> cpu_dense(in, hidden, options);
    auto dense = modyn::to<TestType>(cpu_dense);
    modyn::init::reset_parameters(cpu_dense, 11);
    modyn::init::reset_parameters(dense, 11);
    require_equal(host_values(dense.weight.raw()), host_values(cpu_dense.weight.raw()), "weight by path");
    require_equal(host_values(dense.bias.raw()), host_values(cpu_dense.bias.raw()), "bias by path");
    modyn::Rng cpu_rng(12), rng(12);
    cpu_dense.reset_parameters(cpu_rng);
    dense.reset_parameters(rng);
    require_equal(host_values(dense.weight.raw()), host_values(cpu_dense.weight.raw()), "weight");
    require_equal(host_values(dense.bias.raw()), host_values(cpu_dense.bias.raw()), "bias");

    // A child of a Sequential: rebuilt with the same Options.
    modyn::Sequential cpu_seq{nn::Dense(in, hidden, options), modyn::relu};
    auto seq = modyn::to<TestType>(cpu_seq);
    modyn::init::reset_parameters(cpu_seq, 13);
    modyn::init::reset_parameters(seq, 13);
    require_equal(host_values(seq.template get<0>().weight.raw()),
                  host_values(cpu_seq.template get<0>().weight.raw()), "weight in a Sequential");
  }
}
