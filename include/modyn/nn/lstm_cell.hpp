// nn::LSTMCell (PyTorch's definition, gates in the order i, f, g, o):
//   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.) of
//   x W_ih + b_ih + h W_hh + b_hh
//   c' = f c + i g,   h' = o tanh(c')
// Weights stored (in, 4 hidden) and (hidden, 4 hidden): PyTorch's transposed.
#pragma once

#include <cstddef>

#include "modyn/module/module.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

template <class T = float, class B = default_backend>
class LSTMCell : public Module<LSTMCell<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;

  Param<tensor_type> weight_ih;  // (in, 4 hidden): [i | f | g | o]
  Param<tensor_type> weight_hh;  // (hidden, 4 hidden)
  Param<tensor_type> bias_ih;    // (4 hidden,)
  Param<tensor_type> bias_hh;    // (4 hidden,)
  State<tensor_type> h;          // (batch, hidden)
  State<tensor_type> c;          // (batch, hidden)
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h, c)

  LSTMCell() = default;
  LSTMCell(std::size_t in, std::size_t hidden, init::Options options = {}) : h(Shape{hidden}), c(Shape{hidden}) {
    Rng rng = init::generator(options);
    weight_ih = Param<tensor_type>(init::uniform_fan_in<T, B>({in, 4 * hidden}, hidden, rng));
    weight_hh = Param<tensor_type>(init::uniform_fan_in<T, B>({hidden, 4 * hidden}, hidden, rng));
    bias_ih = Param<tensor_type>(init::uniform_fan_in<T, B>({4 * hidden}, hidden, rng));
    bias_hh = Param<tensor_type>(init::uniform_fan_in<T, B>({4 * hidden}, hidden, rng));
  }

  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  std::size_t out_features() const { return weight_hh.raw().shape(0); }

  template <TensorLike X>
  const tensor_type& update(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::LSTMCell", this->name(), x, in_features(), *h, hidden);
    detail::input_and_hidden_gemm(x, weight_ih.value(), *h, weight_hh.value(), gates_, rows, true);
    // b_ih + b_hh once per step, not once per row.
    bias_.ensure_shape({4 * hidden});
    B::map(4 * hidden, [](const auto& a, const auto& b, auto& s) { s = a + b; }, bias_ih.value().data(),
           bias_hh.value().data(), write_only(bias_.data()));
    const T* b = bias_.data();
    for (std::size_t r = 0; r < rows; ++r) {
      const T* g = gates_.data() + r * 4 * hidden;
      B::map(
          hidden,
          [](const auto& gi, const auto& gf, const auto& gg, const auto& go, const auto& bi, const auto& bf,
             const auto& bg, const auto& bo, auto& hidden_state, auto& cell) {
            const auto input = math::sigmoid(gi + bi);
            const auto forget = math::sigmoid(gf + bf);
            const auto candidate = math::tanh(gg + bg);
            const auto output = math::sigmoid(go + bo);
            cell = forget * cell + input * candidate;
            hidden_state = output * math::tanh(cell);
          },
          g, g + hidden, g + 2 * hidden, g + 3 * hidden, static_cast<const T*>(b), b + hidden, b + 2 * hidden,
          b + 3 * hidden, h->data() + r * hidden, c->data() + r * hidden);
    }
    return *h;
  }

 private:
  tensor_type gates_, bias_;
};

}  // namespace modyn::nn
