// The seed RNN's gradients (BPTT through LoopOverTime) against PyTorch's:
// tests/train/torch_seed_rnn_grad.py ran torch.nn.RNNCell twice with relu
// between, for weights, inputs and target given by sine patterns, the MSE
// of the last step's output, and wrote every gradient in float64. Here the
// same patterns fill modyn's cells and every gradient is compared.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>

#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/rnn_cell.hpp"
#include "modyn/train/losses.hpp"

using namespace modyn;

namespace {

#include "train/torch_seed_rnn_grad.inc"

constexpr std::size_t steps = 6, batch = 4, in = 100, hidden = 20, out = 2;

double pattern(std::size_t k, double scale, double freq, double phase) {
  return scale * std::sin(freq * double(k) + phase);
}

template <class T>
Tensor<T> filled(const Shape& shape, double scale, double freq, double phase) {
  auto t = Tensor<T>::empty(shape);
  for (std::size_t k = 0; k < t.size(); ++k) t.data()[k] = T(pattern(k, scale, freq, phase));
  return t;
}

// PyTorch's (rows, cols) pattern, stored transposed as modyn's (cols, rows).
template <class T>
Tensor<T> transposed(std::size_t rows, std::size_t cols, double scale, double freq, double phase) {
  auto t = Tensor<T>::empty({cols, rows});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      t.data()[c * rows + r] = T(pattern(r * cols + c, scale, freq, phase));
  return t;
}

template <class Cell>
void set_weights(Cell& cell, std::size_t n_in, std::size_t n_hidden, double salt) {
  using T = typename Cell::tensor_type::value_type;
  cell.weight_ih = transposed<T>(n_hidden, n_in, 0.3, 1.3 + salt, 0.1);
  cell.weight_hh = transposed<T>(n_hidden, n_hidden, 0.4, 0.7 + salt, 0.4);
  cell.bias_ih = filled<T>({n_hidden}, 0.3, 2.1 + salt, 0.2);
  cell.bias_hh = filled<T>({n_hidden}, 0.2, 1.7 + salt, 0.9);
}

template <class P, std::size_t N>
void check_grad(const P& p, const double (&expected)[N], double tolerance) {
  const auto& g = p.grad();
  REQUIRE(g.size() == N);
  std::size_t mismatches = 0;
  double worst = 0;
  for (std::size_t i = 0; i < N; ++i) {
    const double error = std::abs(double(g.data()[i]) - expected[i]);
    worst = std::max(worst, error);
    if (error > tolerance * (1 + std::abs(expected[i]))) ++mismatches;
  }
  INFO(p.path() << ": largest difference from PyTorch " << worst);
  CHECK(mismatches == 0);
}

template <class T>
void check_seed_rnn(std::size_t checkpoint_every, double tolerance, bool hoist = false) {
  Sequential model{named<"l1">(nn::RNNCell<modyn::dynamic, modyn::dynamic, T>(in, hidden)), relu,
                   named<"l2">(nn::RNNCell<modyn::dynamic, modyn::dynamic, T>(hidden, out))};
  set_weights(model.template get<"l1">(), in, hidden, 0.0);
  set_weights(model.template get<"l2">(), hidden, out, 0.05);
  LoopOverTime loop{
      model,
      {.training = true, .backprop = true, .checkpoint_every = checkpoint_every, .hoist_in_training = hoist}};
  loop.reset_state(batch);
  model.zero_grad();
  const auto x = filled<T>({steps, batch, in}, 1.0, 0.37, 0.3);
  const auto target = filled<T>({batch, out}, 0.5, 1.9, 0.7);
  const auto& y = loop(x);
  // The loss is on the last step only: d loss / d output is zero elsewhere.
  auto grad_output = Tensor<T>::zeros(y.shape());
  Tensor<T> grad_last;
  const double loss = train::mse_loss(y[steps - 1], target, grad_last);
  CHECK(loss == Approx(torch_loss).epsilon(tolerance));
  std::copy(grad_last.data(), grad_last.data() + grad_last.size(), grad_output[steps - 1].data());
  loop.backward(grad_output);
  const auto& l1 = model.template get<"l1">();
  const auto& l2 = model.template get<"l2">();
  check_grad(l1.weight_ih, grad_l1_weight_ih, tolerance);
  check_grad(l1.weight_hh, grad_l1_weight_hh, tolerance);
  check_grad(l1.bias_ih, grad_l1_bias_ih, tolerance);
  check_grad(l1.bias_hh, grad_l1_bias_hh, tolerance);
  check_grad(l2.weight_ih, grad_l2_weight_ih, tolerance);
  check_grad(l2.weight_hh, grad_l2_weight_hh, tolerance);
  check_grad(l2.bias_ih, grad_l2_bias_ih, tolerance);
  check_grad(l2.bias_hh, grad_l2_bias_hh, tolerance);
}

}  // namespace

TEST_CASE("seed RNN: BPTT gradients equal PyTorch's, in double", "[train][grad][torch]") {
  check_seed_rnn<double>(1, 1e-12);
}

TEST_CASE("seed RNN: BPTT gradients equal PyTorch's with recomputation every 4 steps",
          "[train][grad][torch]") {
  check_seed_rnn<double>(4, 1e-12);
}

TEST_CASE("seed RNN: BPTT gradients equal PyTorch's with the input half hoisted", "[train][grad][torch]") {
  check_seed_rnn<double>(1, 1e-12, true);
  check_seed_rnn<double>(4, 1e-12, true);
}

TEST_CASE("seed RNN: BPTT gradients equal PyTorch's in float, within float rounding",
          "[train][grad][torch]") {
  check_seed_rnn<float>(1, 2e-5);
}
