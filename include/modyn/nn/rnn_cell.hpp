// nn::RNNCell: h' = f(x W_ih + b_ih + h W_hh + b_hh), f = tanh or relu
// (PyTorch's RNNCell, with weights stored (in, hidden) and (hidden, hidden):
// the transposes of PyTorch's weight_ih / weight_hh). Initialised as PyTorch:
// every weight and bias uniform in +-1/sqrt(hidden).
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>

#include "modyn/module/module.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/detail/rows.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

enum class Nonlinearity { tanh, relu };

template <class T = float, class B = default_backend>
class RNNCell : public Module<RNNCell<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;

  Param<tensor_type> weight_ih;  // (in, hidden)
  Param<tensor_type> weight_hh;  // (hidden, hidden)
  Param<tensor_type> bias_ih;    // (hidden,)
  Param<tensor_type> bias_hh;    // (hidden,)
  State<tensor_type> h;          // (batch, hidden)
  Nonlinearity nonlinearity = Nonlinearity::tanh;
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h, nonlinearity)

  RNNCell() = default;
  RNNCell(std::size_t in, std::size_t hidden, Nonlinearity f = Nonlinearity::tanh, init::Options options = {})
      : weight_ih(tensor_type::empty({in, hidden})),
        weight_hh(tensor_type::empty({hidden, hidden})),
        bias_ih(tensor_type::empty({hidden})),
        bias_hh(tensor_type::empty({hidden})),
        h(Shape{hidden}),
        nonlinearity(f) {
    Rng rng = init::generator(options);  // the key: nn/init.hpp
    reset_parameters(rng);
  }

  // Redraws the weights and biases, in field order, uniform in +-1/sqrt(hidden).
  void reset_parameters(Rng& rng) {
    init::redraw_uniform_fan_in(rng, out_features(), weight_ih, weight_hh, bias_ih, bias_hh);
  }

  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  std::size_t out_features() const { return weight_ih.raw().shape(1); }

  // One step; returns the new hidden state.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::RNNCell", this->name(), x, in_features(), *h, hidden);
    // pre = (b_ih + b_hh) in every row, += x W_ih, += h W_hh; then h = f(pre)
    // in one flat pass.
    project_into(x, rows, pre_);
    return recur(pre_.view());
  }

  // The input half of the step for many steps at once: x (..., in) ->
  // (b_ih + b_hh) + x W_ih, (..., hidden), one GEMM over every row. A
  // LoopOverTime calls it once before its time loop, then update_projected
  // at each step. The result is a buffer of this cell.
  template <TensorLike X>
  tensor_type& project_input(const X& x) {
    const std::size_t in = in_features();
    if (x.rank() == 0 || x.shape(x.rank() - 1) != in) {
      throw shape_error("nn::RNNCell '" + this->name() + "': expected an input of shape (..., " +
                        std::to_string(in) + "), got " + x.shape().to_string());
    }
    project_into(x, x.size() / in, projected_);
    std::size_t extents[Shape::max_rank];
    std::copy(x.shape().begin(), x.shape().end(), extents);
    extents[x.rank() - 1] = out_features();
    projected_.ensure_shape(Shape(std::span<const std::size_t>(extents, x.rank())));
    return projected_;
  }

  // One step from a projected input (a step of project_input's result, which
  // it overwrites): h = f(projected + h W_hh).
  const tensor_type& update_projected(TensorView<T, B> projected) {
    const std::size_t hidden = out_features();
    if (!(projected.shape() == h->shape())) {
      throw shape_error("nn::RNNCell '" + this->name() + "': a projected step of shape " +
                        projected.shape().to_string() + " for a hidden state of shape " +
                        h->shape().to_string() + "; call reset_state(batch_size) first");
    }
    const std::size_t rows = projected.size() / (hidden ? hidden : 1);
    B::gemm(Transpose::no, Transpose::no, rows, hidden, hidden, T(1), h->data(), hidden,
            weight_hh.value().data(), hidden, T(1), projected.data(), hidden);
    return activate(projected);
  }

 private:
  // out (rows, hidden) = (b_ih + b_hh) + x W_ih
  template <class X>
  void project_into(const X& x, std::size_t rows, tensor_type& out) {
    const std::size_t hidden = out_features(), in = in_features();
    bias_.ensure_shape({hidden});
    B::map(hidden, detail::sum_of{}, bias_ih.value().data(), bias_hh.value().data(),
           write_only(bias_.data()));
    out.ensure_shape({rows, hidden});
    detail::fill_rows<B>(out.data(), rows, hidden, static_cast<const T*>(bias_.data()));
    B::gemm(Transpose::no, Transpose::no, rows, hidden, in, T(1), static_cast<const T*>(x.data()), in,
            weight_ih.value().data(), hidden, T(1), out.data(), hidden);
  }

  // pre += h W_hh, then h = f(pre).
  const tensor_type& recur(TensorView<T, B> pre) {
    const std::size_t hidden = out_features();
    B::gemm(Transpose::no, Transpose::no, pre.size() / (hidden ? hidden : 1), hidden, hidden, T(1), h->data(),
            hidden, weight_hh.value().data(), hidden, T(1), pre.data(), hidden);
    return activate(pre);
  }

  const tensor_type& activate(TensorView<T, B> pre) {
    if (nonlinearity == Nonlinearity::tanh)
      Elementwise<tanh_kernel>::apply_into(pre, *h);
    else
      Elementwise<relu_kernel>::apply_into(pre, *h);
    return *h;
  }

  tensor_type pre_;        // b + x W_ih + h W_hh
  tensor_type bias_;       // b_ih + b_hh
  tensor_type projected_;  // project_input's result
};

}  // namespace modyn::nn
