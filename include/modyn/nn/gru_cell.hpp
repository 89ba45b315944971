// nn::GRUCell (PyTorch's definition, gates in the order r, z, n):
//   r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
//   z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
//   n = tanh(x W_in + b_in + r (h W_hn + b_hn))
//   h' = (1 - z) n + z h
// Weights stored (in, 3 hidden) and (hidden, 3 hidden): PyTorch's transposed.
#pragma once

#include <cstddef>

#include "modyn/core/math.hpp"
#include "modyn/module/module.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

template <class T = float, class B = default_backend>
class GRUCell : public Module<GRUCell<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;

  Param<tensor_type> weight_ih;  // (in, 3 hidden): [r | z | n]
  Param<tensor_type> weight_hh;  // (hidden, 3 hidden)
  Param<tensor_type> bias_ih;    // (3 hidden,)
  Param<tensor_type> bias_hh;    // (3 hidden,)
  State<tensor_type> h;          // (batch, hidden)
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h)

  GRUCell() = default;
  GRUCell(std::size_t in, std::size_t hidden, init::Options options = {})
      : weight_ih(tensor_type::empty({in, 3 * hidden})),
        weight_hh(tensor_type::empty({hidden, 3 * hidden})),
        bias_ih(tensor_type::empty({3 * hidden})),
        bias_hh(tensor_type::empty({3 * hidden})),
        h(Shape{hidden}) {
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
    const std::size_t rows = detail::checked_rows("nn::GRUCell", this->name(), x, in_features(), *h, hidden);
    // The n gate needs h W_hn apart from x W_in: two GEMMs into two buffers.
    detail::input_and_hidden_gemm(x, weight_ih.value(), *h, weight_hh.value(), gi_, rows, false);
    gh_.ensure_shape({rows, 3 * hidden});
    B::gemm(Transpose::no, Transpose::no, rows, 3 * hidden, hidden, T(1), h->data(), hidden,
            weight_hh.value().data(), 3 * hidden, T(0), gh_.data(), 3 * hidden);
    const T* bi = bias_ih.value().data();
    const T* bh = bias_hh.value().data();
    // One pass over every row: the gates are rows of hidden, 3 hidden
    // apart; the biases are rows read by every row.
    const T* gi = gi_.data();
    const T* gh = gh_.data();
    const std::size_t stride = 3 * hidden;
    B::map(rows * hidden, gates{}, strided_rows(gi, hidden, stride),
           strided_rows(gi + hidden, hidden, stride), strided_rows(gi + 2 * hidden, hidden, stride),
           strided_rows(gh, hidden, stride), strided_rows(gh + hidden, hidden, stride),
           strided_rows(gh + 2 * hidden, hidden, stride), broadcast_row(bi, hidden),
           broadcast_row(bi + hidden, hidden), broadcast_row(bi + 2 * hidden, hidden),
           broadcast_row(bh, hidden), broadcast_row(bh + hidden, hidden),
           broadcast_row(bh + 2 * hidden, hidden), h->data());
    return *h;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  // PyTorch's GRU equations, r, z, n gates.
  struct gates {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gir, const Vec& giz, const Vec& gin,
                                                          const Vec& ghr, const Vec& ghz, const Vec& ghn,
                                                          const Vec& bir, const Vec& biz, const Vec& bin,
                                                          const Vec& bhr, const Vec& bhz, const Vec& bhn,
                                                          Vec& state) const {
      const Vec reset = math::sigmoid(gir + bir + ghr + bhr);
      const Vec update = math::sigmoid(giz + biz + ghz + bhz);
      const Vec candidate = math::tanh(gin + bin + reset * (ghn + bhn));
      state = (Vec(1) - update) * candidate + update * state;
    }
  };

 private:
  tensor_type gi_, gh_;
};

}  // namespace modyn::nn
