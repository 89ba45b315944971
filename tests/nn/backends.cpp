// nn layers on every backend: nn::Dense, nn::RNNCell, nn::GRUCell and
// nn::LSTMCell built on modyn::cpu, moved with modyn::to<B>(model) to
// modyn::serial (kernels one element at a time, Vec = T) and
// modyn::pseudo_device (memory the host cannot touch), and run forward on
// the same inputs: the outputs and states must be cpu's, to rounding (the
// GEMMs sum in another order; tanh and sigmoid are std:: on one lane and
// xsimd:: on vectors).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/gru_cell.hpp"
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

TEMPLATE_TEST_CASE("nn::Dense forward on each backend equals cpu", "[nn][backends][dense]", modyn::cpu,
                   modyn::serial, modyn::pseudo_device) {
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

TEMPLATE_TEST_CASE("nn::RNNCell forward on each backend equals cpu", "[nn][backends][rnn_cell]", modyn::cpu,
                   modyn::serial, modyn::pseudo_device) {
  for (const auto f : {nn::Nonlinearity::tanh, nn::Nonlinearity::relu}) {
    nn::RNNCell<float> cpu_cell(in, hidden, f, {.seed = 12});
    compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
      require_close(host_values(*b.h), host_values(*a.h), "RNNCell h");
    });
  }
}

TEMPLATE_TEST_CASE("nn::GRUCell forward on each backend equals cpu", "[nn][backends][gru_cell]", modyn::cpu,
                   modyn::serial, modyn::pseudo_device) {
  nn::GRUCell<float> cpu_cell(in, hidden, {.seed = 13});
  compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
    require_close(host_values(*b.h), host_values(*a.h), "GRUCell h");
  });
}

TEMPLATE_TEST_CASE("nn::LSTMCell forward on each backend equals cpu", "[nn][backends][lstm_cell]", modyn::cpu,
                   modyn::serial, modyn::pseudo_device) {
  nn::LSTMCell<float> cpu_cell(in, hidden, {.seed = 14});
  compare_cell<TestType>(cpu_cell, [](const auto& a, const auto& b) {
    require_close(host_values(*b.h), host_values(*a.h), "LSTMCell h");
    require_close(host_values(*b.c), host_values(*a.c), "LSTMCell c");
  });
}
