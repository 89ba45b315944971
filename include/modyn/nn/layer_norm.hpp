// nn::LayerNorm over the last axis (PyTorch's LayerNorm(features)):
// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/module.hpp"

namespace modyn::nn {

template <class T = float, class B = default_backend>
class LayerNorm : public Module<LayerNorm<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;

  Param<tensor_type> weight;  // (features,), ones
  Param<tensor_type> bias;    // (features,), zeros
  double eps = 1e-5;
  MODYN_FIELDS(weight, bias, eps)

  LayerNorm() = default;
  explicit LayerNorm(std::size_t features, double epsilon = 1e-5)
      : weight(tensor_type::ones({features})), bias(tensor_type::zeros({features})), eps(epsilon) {}

  // PyTorch's reset_parameters: weight ones, bias zeros (draws nothing).
  void reset_parameters(Rng&) {
    weight = tensor_type::ones(weight.shape());
    bias = tensor_type::zeros(bias.shape());
  }

  template <TensorLike X>
  const tensor_type& update(const X& x) {
    const std::size_t n = weight.raw().size();
    if (x.rank() == 0 || x.shape(x.rank() - 1) != n) {
      throw shape_error("nn::LayerNorm '" + this->name() + "': expected an input of shape (..., " +
                        std::to_string(n) + "), got " + x.shape().to_string());
    }
    // An input that is (part of) this layer's own output would be
    // overwritten by the squared deviations before it is normalised: read a
    // copy (a buffer of the layer: no allocation once warm).
    const T* input = static_cast<const T*>(x.data());
    if (modyn::detail::overlaps(x, out_)) {
      input_copy_.ensure_shape(x.shape());
      B::copy(input, input_copy_.data(), x.size());
      input = input_copy_.data();
    }
    out_.ensure_shape(x.shape());
    const T* w = weight.value().data();
    const T* b = bias.value().data();
    for (std::size_t offset = 0; offset < x.size(); offset += n) {
      const T* row = input + offset;
      T* out = out_.data() + offset;
      const T mean = B::reduce_sum(row, n) / T(n);
      // Two passes (centre, then square) for accuracy: out holds (x - mean)^2.
      B::map(n, squared_deviation{mean}, row, write_only(out));
      const T inv_std = T(1) / std::sqrt(B::reduce_sum(static_cast<const T*>(out), n) / T(n) + T(eps));
      B::map(n, normalized{mean, inv_std}, row, w, b, write_only(out));
    }
    return out_;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  struct squared_deviation {
    T mean;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& sq) const {
      const Vec centred = x - Vec(mean);
      sq = centred * centred;
    }
  };
  struct normalized {
    T mean, inv_std;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& w, const Vec& b,
                                                          Vec& y) const {
      y = (x - Vec(mean)) * Vec(inv_std) * w + b;
    }
  };

 private:
  tensor_type out_;
  tensor_type input_copy_;  // an input that overlapped out_
};

}  // namespace modyn::nn
