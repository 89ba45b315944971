// BPTT on every backend, over the type list backends_under_test that the
// including file declares first (tests/train/bptt_backends.cpp: the host
// backends; tests/cuda/train.cu: modyn::cuda): a recurrent model built on
// modyn::cpu, moved with modyn::to<B>, run through LoopOverTime in training
// and gone back through; every gradient and the input gradient must be
// cpu's, to rounding (GEMMs sum in other orders; tanh and sigmoid are std::
// on one lane and xsimd:: on vectors).
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/neurons/alif.hpp"
#include "modyn/dyn/neurons/plif.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/nn/dropout.hpp"
#include "modyn/nn/gru_cell.hpp"
#include "modyn/nn/layer_norm.hpp"
#include "modyn/nn/lstm_cell.hpp"
#include "modyn/nn/rnn_cell.hpp"

namespace bptt_cases {

using modyn::InputGrad;
using modyn::LoopOptions;
using modyn::LoopOverTime;
using modyn::Tensor;

constexpr std::size_t steps = 5, batch = 3, in = 4;

inline Tensor<float> uniform(modyn::Shape shape, std::uint64_t seed) {
  auto t = Tensor<float>::empty(shape);
  modyn::Rng(seed).uniform(t, -1.0f, 1.0f);
  return t;
}

// Every Param's gradient (on the host) by path, and the input gradient.
struct Gradients {
  std::map<std::string, std::vector<float>> params;
  std::vector<float> input;
};

template <class Model>
Gradients train_step(Model& model, std::size_t checkpoint_every, bool hoist = true) {
  using B = typename Model::tensor_type::backend_type;
  LoopOverTime loop{model, LoopOptions{.training = true,
                                       .backprop = true,
                                       .checkpoint_every = checkpoint_every,
                                       .hoist_in_training = hoist}};
  loop.reset_state(batch);
  model.zero_grad();
  const auto x = modyn::to<B>(uniform({steps, batch, in}, 1));
  const auto& y = loop(x);
  const auto w = modyn::to<B>(uniform(y.shape(), 2));
  Gradients g;
  g.input = loop.backward(w, InputGrad::yes).to_vector();
  model.for_each_parameter(
      [&](std::string_view path, auto& p) { g.params[std::string(path)] = p.grad().to_vector(); });
  return g;
}

inline void check_close(const Gradients& a, const Gradients& b) {
  REQUIRE(a.params.size() == b.params.size());
  const auto close = [](const std::vector<float>& u, const std::vector<float>& v) {
    if (u.size() != v.size()) return false;
    for (std::size_t i = 0; i < u.size(); ++i)
      if (!(std::abs(u[i] - v[i]) <= 1e-4f * (1 + std::abs(u[i])))) return false;
    return true;
  };
  for (const auto& [path, grad] : a.params) {
    INFO("Param " << path);
    REQUIRE(b.params.count(path) == 1);
    CHECK(close(grad, b.params.at(path)));
  }
  CHECK(close(a.input, b.input));
}

template <class B, class MakeModel>
void check_on(MakeModel make_model) {
  // The reference: cpu, step by step (no hoisting), every tape kept.
  auto on_cpu = make_model();
  const auto reference = train_step(on_cpu, 1, false);
  for (const bool hoist : {false, true}) {
    for (const std::size_t every : {std::size_t(1), std::size_t(2)}) {
      INFO("checkpoint_every = " << every << ", hoisted head and input half: " << hoist);
      auto moved = modyn::to<B>(make_model());
      check_close(reference, train_step(moved, every, hoist));
    }
  }
}

}  // namespace bptt_cases

TEMPLATE_LIST_TEST_CASE("BPTT on each backend: Dense, RNNCell and activations give cpu's gradients",
                        "[train][backends][grad]", backends_under_test) {
  namespace nn = modyn::nn;
  bptt_cases::check_on<TestType>([] {
    modyn::manual_seed(7);
    return modyn::Sequential{nn::Dense(bptt_cases::in, 6),
                             modyn::fn::tanh,
                             nn::RNNCell<modyn::dynamic, modyn::dynamic, float>(6, 5),
                             modyn::relu,
                             nn::RNNCell<modyn::dynamic, modyn::dynamic, float>(5, 4, nn::Nonlinearity::relu),
                             modyn::softmax,
                             nn::Dense(4, 2)};
  });
}

TEMPLATE_LIST_TEST_CASE("BPTT on each backend: GRUCell, LayerNorm, LSTMCell and Dropout give cpu's gradients",
                        "[train][backends][grad]", backends_under_test) {
  namespace nn = modyn::nn;
  bptt_cases::check_on<TestType>([] {
    modyn::manual_seed(8);
    return modyn::Sequential{nn::GRUCell<modyn::dynamic, modyn::dynamic, float>(bptt_cases::in, 6),
                             nn::LayerNorm<float>(6),
                             nn::Dropout<float>(0.25, 3),
                             nn::LSTMCell<modyn::dynamic, modyn::dynamic, float>(6, 5),
                             modyn::fn::sigmoid,
                             nn::Dense(5, 2)};
  });
}

TEMPLATE_LIST_TEST_CASE("BPTT on each backend: PLIF and ALIF with surrogate spikes give cpu's gradients",
                        "[train][backends][grad]", backends_under_test) {
  namespace nn = modyn::nn;
  namespace dyn = modyn::dyn;
  bptt_cases::check_on<TestType>([] {
    modyn::manual_seed(9);
    // Inputs scaled up so that neurons cross threshold within the 5 steps.
    return modyn::Sequential{nn::Dense(bptt_cases::in, 6, {.seed = 1}),
                             modyn::fn::exp,
                             dyn::PLIF<float>(6, {.tau = 1.5f, .tau_per_neuron = true, .V_th = 0.5f}),
                             nn::Dense(6, 4, {.seed = 2}),
                             modyn::fn::exp,
                             dyn::ALIF<float>(4, {.tau = 2.0f, .V_th = 0.5f}),
                             nn::Dense(4, 2, {.seed = 3})};
  });
}
