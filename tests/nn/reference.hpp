// Helpers shared by the tests of tests/nn and tests/compose: naive reference
// computations in double precision, written with plain loops over the stored
// layouts (weights (in, out) row-major), independently of modyn's kernels.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "support/helpers.hpp"

namespace ref {

using Matrix = std::vector<double>;  // row-major

// The elements of a tensor or view, in double.
template <class X>
std::vector<double> values(const X& x) {
  std::vector<double> out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) out[i] = double(x.data()[i]);
  return out;
}

// y (rows, out) = x (rows, in) w (in, out) [+ b (out,)], w read at w[k * out + j].
inline Matrix affine(const std::vector<double>& x, std::size_t rows, std::size_t in,
                     const std::vector<double>& w, std::size_t out, const std::vector<double>* b = nullptr) {
  Matrix y(rows * out, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < out; ++j) {
      double s = b ? (*b)[j] : 0.0;
      for (std::size_t k = 0; k < in; ++k) s += x[r * in + k] * w[k * out + j];
      y[r * out + j] = s;
    }
  }
  return y;
}

// Columns [begin, begin + width) of a row-major (rows, cols) matrix.
inline Matrix columns(const std::vector<double>& m, std::size_t rows, std::size_t cols, std::size_t begin,
                      std::size_t width) {
  Matrix out(rows * width);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < width; ++j) out[r * width + j] = m[r * cols + begin + j];
  return out;
}

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
inline double relu(double x) { return x > 0.0 ? x : 0.0; }

// Largest |got - want| / (1 + |want|).
template <class X>
double max_error(const X& got, const std::vector<double>& want) {
  REQUIRE(got.size() == want.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    worst = std::max(worst, std::abs(double(got.data()[i]) - want[i]) / (1.0 + std::abs(want[i])));
  }
  return worst;
}

using modyn_test::message_of;

using modyn_test::paths_of;

template <class X>
std::vector<std::size_t> shape_of(const X& x) {
  return std::vector<std::size_t>(x.shape().begin(), x.shape().end());
}

// One step of PyTorch's RNNCell, h' = f(x W_ih + b_ih + h W_hh + b_hh), as
// plain loops in double over the cell's stored (in, hidden) and (hidden,
// hidden) weights: the new h (rows, hidden). f = relu or tanh.
template <class Cell>
std::vector<double> rnn_step(const Cell& cell, const std::vector<double>& x, const std::vector<double>& h,
                             std::size_t rows, bool relu) {
  const std::size_t in = cell.in_features(), hidden = cell.out_features();
  const auto w_ih = values(cell.weight_ih.value());
  const auto w_hh = values(cell.weight_hh.value());
  const auto b_ih = values(cell.bias_ih.value());
  const auto b_hh = values(cell.bias_hh.value());
  std::vector<double> out(rows * hidden);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < hidden; ++j) {
      double pre = b_ih[j] + b_hh[j];
      for (std::size_t k = 0; k < in; ++k) pre += x[r * in + k] * w_ih[k * hidden + j];
      for (std::size_t k = 0; k < hidden; ++k) pre += h[r * hidden + k] * w_hh[k * hidden + j];
      out[r * hidden + j] = relu ? ref::relu(pre) : std::tanh(pre);
    }
  }
  return out;
}

}  // namespace ref
