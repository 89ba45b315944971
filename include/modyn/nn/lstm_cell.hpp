// nn::LSTMCell (PyTorch's definition, gates in the order i, f, g, o):
//   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.) of
//   x W_ih + b_ih + h W_hh + b_hh
//   c' = f c + i g,   h' = o tanh(c')
// Weights stored (in, 4 hidden) and (hidden, 4 hidden): PyTorch's transposed.
#pragma once

#include <cstddef>

#include "modyn/core/math.hpp"
#include "modyn/module/module.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/detail/rows.hpp"
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
  LSTMCell(std::size_t in, std::size_t hidden, init::Options options = {})
      : weight_ih(tensor_type::empty({in, 4 * hidden})),
        weight_hh(tensor_type::empty({hidden, 4 * hidden})),
        bias_ih(tensor_type::empty({4 * hidden})),
        bias_hh(tensor_type::empty({4 * hidden})),
        h(Shape{hidden}),
        c(Shape{hidden}) {
    Rng rng = init::generator(options);  // the key: nn/init.hpp
    reset_parameters(rng);
  }

  // Redraws the weights and biases, in field order, uniform in +-1/sqrt(hidden).
  void reset_parameters(Rng& rng) {
    init::redraw_uniform_fan_in(rng, out_features(), weight_ih, weight_hh, bias_ih, bias_hh);
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
    B::map(4 * hidden, detail::sum_of{}, bias_ih.value().data(), bias_hh.value().data(),
           write_only(bias_.data()));
    // One pass over every row: gates are rows of hidden, 4 hidden apart.
    const T* b = bias_.data();
    const T* g = gates_.data();
    const std::size_t stride = 4 * hidden;
    B::map(rows * hidden, cell_update{}, strided_rows(g, hidden, stride),
           strided_rows(g + hidden, hidden, stride), strided_rows(g + 2 * hidden, hidden, stride),
           strided_rows(g + 3 * hidden, hidden, stride), broadcast_row(b, hidden),
           broadcast_row(b + hidden, hidden), broadcast_row(b + 2 * hidden, hidden),
           broadcast_row(b + 3 * hidden, hidden), h->data(), c->data());
    return *h;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  // PyTorch's LSTM equations, i, f, g, o gates.
  struct cell_update {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gi, const Vec& gf, const Vec& gg,
                                                          const Vec& go, const Vec& bi, const Vec& bf,
                                                          const Vec& bg, const Vec& bo, Vec& hidden_state,
                                                          Vec& cell) const {
      const Vec input = math::sigmoid(gi + bi);
      const Vec forget = math::sigmoid(gf + bf);
      const Vec candidate = math::tanh(gg + bg);
      const Vec output = math::sigmoid(go + bo);
      cell = forget * cell + input * candidate;
      hidden_state = output * math::tanh(cell);
    }
  };

 private:
  tensor_type gates_, bias_;
};

}  // namespace modyn::nn
