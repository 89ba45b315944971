// What the recurrent cells share: input checks, the batched GEMMs of
// x W_ih and h W_hh into a gate buffer, and the GEMMs of their backward.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/differentiable.hpp"

namespace modyn::nn::detail {

// The errors of checked_rows, out of line: the check itself inlines into
// every step.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_input(std::string_view kind,
                                                                   std::string_view module_name,
                                                                   std::size_t in, const Shape& x) {
  throw shape_error(std::string(kind) + " '" + std::string(module_name) +
                    "': expected an input of shape (batch, " + std::to_string(in) + ") or (" +
                    std::to_string(in) + ",), got " + x.to_string());
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_state(std::string_view kind,
                                                                   std::string_view module_name,
                                                                   const Shape& h, const Shape& x,
                                                                   std::size_t rows, std::size_t hidden) {
  throw shape_error(std::string(kind) + " '" + std::string(module_name) + "': the hidden state has shape " +
                    h.to_string() + " but the input " + x.to_string() + " needs " +
                    (x.rank() == 2 ? "(" + std::to_string(rows) + ", " + std::to_string(hidden) + ")"
                                   : "(" + std::to_string(hidden) + ",)") +
                    "; call reset_state(batch_size) first");
}

// The number of rows (batch) of an input (batch, in) or (in,), checked
// against the hidden state h (rows, hidden) or (hidden,).
// The message is built only on error: a step allocates nothing.
template <class X, class H>
MODYN_ALWAYS_INLINE std::size_t checked_rows(std::string_view kind, std::string_view module_name, const X& x,
                                             std::size_t in, const H& h, std::size_t hidden) {
  const Shape& xs = x.shape();
  const Shape& hs = h.shape();
  const std::size_t rank = xs.rank();
  if (rank == 0 || rank > 2 || xs.end()[-1] != in) throw_bad_input(kind, module_name, in, xs);
  const std::size_t rows = rank == 2 ? xs.begin()[0] : 1;
  if (hs.rank() != rank || hs.end()[-1] != hidden || (rank == 2 && hs.begin()[0] != rows))
    throw_bad_state(kind, module_name, hs, xs, rows, hidden);
  return rows;
}

// A config_error when a cell constructed with sizes (in, hidden) declares
// other static ones.
inline void check_static_sizes(std::string_view kind, std::size_t static_in, std::size_t static_hidden,
                               std::size_t in, std::size_t hidden) {
  const auto check = [&](std::size_t declared, std::size_t given, const char* which) {
    if (declared != dynamic && declared != given) {
      throw config_error(std::string(kind) + ": static " + which + " size " + std::to_string(declared) +
                         " but constructed with " + std::to_string(given));
    }
  };
  check(static_in, in, "in");
  check(static_hidden, hidden, "hidden");
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

// The backward of a stacked GEMM a W, W of shape (k, G hidden) holding G
// gates side by side, from the gradients of the G gates' pre-activations,
// each its own (rows, hidden) array d[g] (an elementwise pass cannot write
// the columns of a (rows, G hidden) array, so each gate is its own GEMM on
// its columns of W, leading dimension G hidden):
//   weight_grad[:, g hidden : (g + 1) hidden] += a^T d[g]
//   bias_grad[g hidden : (g + 1) hidden] += the rows of d[g] summed
// (`ones`: the cell's buffer for add_row_sums.)
template <class T, class B, std::size_t G>
void add_stacked_grads(const T* const (&d)[G], std::size_t rows, std::size_t hidden, const T* a,
                       std::size_t k, T* weight_grad, T* bias_grad, Tensor<T, B>& ones) {
  for (std::size_t g = 0; g < G; ++g) {
    B::gemm(Transpose::yes, Transpose::no, k, hidden, rows, T(1), a, k, d[g], hidden, T(1),
            weight_grad + g * hidden, G * hidden);
    add_row_sums(d[g], rows, hidden, bias_grad + g * hidden, ones);
  }
}

// out (rows, k) = beta out + sum over g of d[g] W[:, g hidden : (g + 1) hidden]^T:
// the gradient that reaches a through the stacked GEMM a W, from W^T
// (G hidden, k), kept by the cell's begin_backward (module/differentiable.hpp,
// keep_transpose): gate g's block of W^T is its rows g hidden .. (g + 1) hidden.
template <class T, class B, std::size_t G>
void through_stacked_weight(const T* const (&d)[G], std::size_t rows, std::size_t hidden, const T* weight_t,
                            std::size_t k, T beta, T* out) {
  for (std::size_t g = 0; g < G; ++g) {
    B::gemm(Transpose::no, Transpose::no, rows, k, hidden, T(1), d[g], hidden, weight_t + g * hidden * k, k,
            g == 0 ? beta : T(1), out, k);
  }
}

}  // namespace modyn::nn::detail
