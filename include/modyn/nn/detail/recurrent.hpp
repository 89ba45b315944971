// What the recurrent cells share: input checks and the batched GEMMs of
// x W_ih and h W_hh into a gate buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn::nn::detail {

// The number of rows (batch) of an input (batch, in) or (in,), checked
// against the hidden state h (rows, hidden) or (hidden,).
// The message is built only on error: a step allocates nothing.
template <class X, class H>
std::size_t checked_rows(std::string_view kind, std::string_view module_name, const X& x, std::size_t in,
                         const H& h, std::size_t hidden) {
  const auto name = [&] { return std::string(kind) + " '" + std::string(module_name) + "'"; };
  if (x.rank() == 0 || x.shape(x.rank() - 1) != in || x.rank() > 2) {
    throw shape_error(name() + ": expected an input of shape (batch, " + std::to_string(in) + ") or (" +
                      std::to_string(in) + ",), got " + x.shape().to_string());
  }
  const std::size_t rows = x.size() / in;
  const bool h_matches = h.size() == rows * hidden && h.rank() == x.rank();
  if (!h_matches) {
    throw shape_error(name() + ": the hidden state has shape " + h.shape().to_string() + " but the input " +
                      x.shape().to_string() + " needs " +
                      (x.rank() == 2 ? "(" + std::to_string(rows) + ", " + std::to_string(hidden) + ")"
                                     : "(" + std::to_string(hidden) + ",)") +
                      "; call reset_state(batch_size) first");
  }
  return rows;
}

// gates = x W_ih (+ h W_hh when accumulate_hidden), gates of shape (rows, width).
template <class T, class B, class X>
void input_and_hidden_gemm(const X& x, const Tensor<T, B>& w_ih, const Tensor<T, B>& h,
                           const Tensor<T, B>& w_hh, Tensor<T, B>& gates, std::size_t rows,
                           bool accumulate_hidden) {
  const std::size_t in = w_ih.shape(0), width = w_ih.shape(1), hidden = w_hh.shape(0);
  gates.ensure_shape({rows, width});
  B::gemm(Transpose::no, Transpose::no, rows, width, in, T(1), static_cast<const T*>(x.data()), in,
          w_ih.data(), width, T(0), gates.data(), width);
  if (accumulate_hidden) {
    B::gemm(Transpose::no, Transpose::no, rows, width, hidden, T(1), h.data(), hidden, w_hh.data(), width,
            T(1), gates.data(), width);
  }
}

}  // namespace modyn::nn::detail
