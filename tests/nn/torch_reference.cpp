// RNNCell, GRUCell and LSTMCell against outputs PyTorch produced once:
// tests/nn/torch_reference.py builds torch.nn.RNNCell / GRUCell / LSTMCell
// with weights, inputs and initial states given by sine patterns, runs them
// for six steps in float64 and writes torch_reference_values.inc. Here the
// same patterns fill modyn's cells (weights transposed: modyn stores
// (in, gates * hidden), PyTorch (gates * hidden, in)) and every step's h is
// compared with PyTorch's.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <initializer_list>

#include "modyn/modyn.hpp"

namespace nn = modyn::nn;
using modyn::Shape;
using modyn::Tensor;

namespace {

#include "nn/torch_reference_values.inc"

constexpr std::size_t batch = 2, in = 3, hidden = 4, steps = 6;

// The script's pattern: value[k] = scale * sin(freq * k + phase) over the
// row-major flat index k of a tensor of PyTorch's layout.
double pattern(std::size_t k, double scale, double freq, double phase) {
  return scale * std::sin(freq * double(k) + phase);
}

Tensor<float> filled(const Shape& shape, double scale, double freq, double phase) {
  auto t = Tensor<float>::empty(shape);
  for (std::size_t k = 0; k < t.size(); ++k) t.data()[k] = float(pattern(k, scale, freq, phase));
  return t;
}

// PyTorch's (rows, cols) weight pattern, stored transposed as modyn's (cols, rows).
Tensor<float> transposed(std::size_t rows, std::size_t cols, double scale, double freq, double phase) {
  auto t = Tensor<float>::empty({cols, rows});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      t.data()[c * rows + r] = float(pattern(r * cols + c, scale, freq, phase));
  return t;
}

template <class Cell>
void set_weights(Cell& cell, std::size_t gates) {
  cell.weight_ih = transposed(gates * hidden, in, 0.6, 1.3, 0.1);
  cell.weight_hh = transposed(gates * hidden, hidden, 0.5, 0.7, 0.4);
  cell.bias_ih = filled({gates * hidden}, 0.3, 2.1, 0.2);
  cell.bias_hh = filled({gates * hidden}, 0.2, 1.7, 0.9);
}

template <class Cell>
void check_against(Cell& cell, const double (&expected)[steps][batch][hidden]) {
  const auto x = filled({steps, batch, in}, 1.5, 0.9, 0.3);
  cell.reset_state(batch);
  cell.h = filled({batch, hidden}, 0.4, 1.1, 0.5);
  if constexpr (requires { cell.c; }) cell.c = filled({batch, hidden}, 0.8, 0.6, 1.2);  // LSTM
  for (std::size_t t = 0; t < steps; ++t) {
    const auto& h = cell(x[t]);
    REQUIRE(h.shape() == Shape{batch, hidden});
    for (std::size_t b = 0; b < batch; ++b) {
      for (std::size_t j = 0; j < hidden; ++j) {
        INFO("step " << t << ", row " << b << ", unit " << j);
        CHECK(double(h.data()[b * hidden + j]) == Approx(expected[t][b][j]).margin(2e-6));
      }
    }
  }
}

}  // namespace

TEST_CASE("RNNCell (tanh) gives PyTorch's outputs over six steps", "[nn][rnn_cell][torch]") {
  nn::RNNCell<> cell(in, hidden, nn::Nonlinearity::tanh);
  set_weights(cell, 1);
  check_against(cell, rnn_tanh_h);
}

TEST_CASE("RNNCell (relu) gives PyTorch's outputs over six steps", "[nn][rnn_cell][torch]") {
  nn::RNNCell<> cell(in, hidden, nn::Nonlinearity::relu);
  set_weights(cell, 1);
  check_against(cell, rnn_relu_h);
}

TEST_CASE("GRUCell gives PyTorch's outputs over six steps", "[nn][gru_cell][torch]") {
  nn::GRUCell<> cell(in, hidden);
  set_weights(cell, 3);
  check_against(cell, gru_h);
}

TEST_CASE("LSTMCell gives PyTorch's outputs over six steps", "[nn][lstm_cell][torch]") {
  nn::LSTMCell<> cell(in, hidden);
  set_weights(cell, 4);
  check_against(cell, lstm_h);
}
