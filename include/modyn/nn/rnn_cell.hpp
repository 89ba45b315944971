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
    const std::size_t rows = detail::checked_rows("nn::RNNCell", this->name(), x, in_features(), *h, hidden);
    // pre = (b_ih + b_hh) in every row, += x W_ih, += h W_hh; then h = f(pre)
    // in one flat pass.
    bias_.ensure_shape({hidden});
    B::map(hidden, [](const auto& a, const auto& b, auto& s) { s = a + b; }, bias_ih.value().data(),
           bias_hh.value().data(), write_only(bias_.data()));
    pre_.ensure_shape({rows, hidden});
    detail::fill_rows<B>(pre_.data(), rows, hidden, static_cast<const T*>(bias_.data()));
    detail::accumulate_input_and_hidden(x, weight_ih.value(), *h, weight_hh.value(), pre_, rows);
    if (nonlinearity == Nonlinearity::tanh) Elementwise<ops::tanh>::apply_into(pre_, *h);
    else Elementwise<ops::relu>::apply_into(pre_, *h);
    return *h;
  }

 private:
  tensor_type pre_;   // b + x W_ih + h W_hh
  tensor_type bias_;  // b_ih + b_hh
};

}  // namespace modyn::nn
