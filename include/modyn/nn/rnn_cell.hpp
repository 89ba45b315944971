// nn::RNNCell: h' = f(x W_ih + b_ih + h W_hh + b_hh), f = tanh or relu
// (PyTorch's RNNCell, with weights stored (in, hidden) and (hidden, hidden):
// the transposes of PyTorch's weight_ih / weight_hh). Initialised as PyTorch:
// every weight and bias uniform in +-1/sqrt(hidden).
#pragma once

#include <cstddef>

#include "modyn/core/elementwise.hpp"
#include "modyn/module/module.hpp"
#include "modyn/nn/detail/recurrent.hpp"
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
      : h(Shape{hidden}), nonlinearity(f) {
    Rng rng = init::generator(options);
    weight_ih = Param<tensor_type>(init::uniform_fan_in<T, B>({in, hidden}, hidden, rng));
    weight_hh = Param<tensor_type>(init::uniform_fan_in<T, B>({hidden, hidden}, hidden, rng));
    bias_ih = Param<tensor_type>(init::uniform_fan_in<T, B>({hidden}, hidden, rng));
    bias_hh = Param<tensor_type>(init::uniform_fan_in<T, B>({hidden}, hidden, rng));
  }

  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  std::size_t out_features() const { return weight_ih.raw().shape(1); }

  // One step; returns the new hidden state.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::RNNCell '" + this->name() + "'", x, in_features(), *h, hidden);
    detail::input_and_hidden_gemm(x, weight_ih.value(), *h, weight_hh.value(), pre_, rows, true);
    if (nonlinearity == Nonlinearity::tanh) finish<ops::tanh>(rows, hidden);
    else finish<ops::relu>(rows, hidden);
    return *h;
  }

 private:
  template <class Op>
  void finish(std::size_t rows, std::size_t hidden) {
    const T* b_ih = bias_ih.value().data();
    const T* b_hh = bias_hh.value().data();
    for (std::size_t r = 0; r < rows; ++r) {
      B::map(
          hidden, [](const auto& pre, const auto& bi, const auto& bh, auto& out) { out = Op::apply(pre + bi + bh); },
          static_cast<const T*>(pre_.data() + r * hidden), b_ih, b_hh, write_only(h->data() + r * hidden));
    }
  }

  tensor_type pre_;  // x W_ih + h W_hh
};

}  // namespace modyn::nn
