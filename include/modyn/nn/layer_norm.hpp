// nn::LayerNorm over the last axis (PyTorch's LayerNorm(features)):
// y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
// Differentiable (module/differentiable.hpp): its tape is a copy of the
// input with the mean and the inverse standard deviation of each row.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"

namespace modyn::nn {

/// Layer normalisation over the last axis (PyTorch's LayerNorm(features)):
/// y = (x - mean) / sqrt(var + eps) weight + bias, with the biased variance.
/// T: the element type; B: the backend.
template <class T = float, class B = default_backend>
class LayerNorm : public Module<LayerNorm<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the type of the weights, inputs and outputs

  Param<tensor_type> weight;  ///< (features,), ones
  Param<tensor_type> bias;    ///< (features,), zeros
  double eps = 1e-5;          ///< added to the variance, against division by zero
  MODYN_FIELDS(weight, bias, eps)

  LayerNorm() = default;
  /// Normalisation over `features` features (the size of an input's last axis),
  /// weight ones and bias zeros.
  explicit LayerNorm(std::size_t features, double epsilon = 1e-5)
      : weight(tensor_type::ones({features})), bias(tensor_type::zeros({features})), eps(epsilon) {}

  /// PyTorch's reset_parameters: weight ones, bias zeros (draws nothing).
  void reset_parameters(Rng&) {
    weight = tensor_type::ones(weight.shape());
    bias = tensor_type::zeros(bias.shape());
  }

  /// The normalised x (..., features); a buffer of this layer, valid until its
  /// next call.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    check_input(x);
    // An input that is (part of) this layer's own output would be
    // overwritten by the squared deviations before it is normalised: read a
    // copy (a buffer of the layer: no allocation once warm).
    const T* input = static_cast<const T*>(x.data());
    if (modyn::detail::overlaps(x, out_)) {
      input_copy_.ensure_shape(x.shape());
      B::copy(input, input_copy_.data(), x.size());
      input = input_copy_.data();
    }
    return normalize(input, x.shape(), nullptr);
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type input;    ///< x, as given
    tensor_type mean;     ///< (rows,): the mean of each row of x
    tensor_type inv_std;  ///< (rows,): 1 / sqrt(var + eps) of each row
  };

  /// update(x), keeping a copy of x and the statistics of its rows in the tape.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    check_input(x);
    keep_copy(tape.input, x);  // first: x may be this layer's own output
    const std::size_t n = weight.raw().size(), rows = n ? x.size() / n : 0;
    tape.mean.ensure_shape({rows});
    tape.inv_std.ensure_shape({rows});
    return normalize(tape.input.data(), x.shape(), &tape);
  }

  /// With xhat = (x - mean) inv_std and gy the output's gradient, per row
  /// (the backward of batch normalisation, Ioffe & Szegedy 2015, over the
  /// features of one row instead of the rows of one feature):
  ///
  ///     d weight += gy xhat, d bias += gy,
  ///     gx = inv_std (gy weight - mean(gy weight) - xhat mean(gy weight xhat)).
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    if (!(grad_out.shape() == tape.input.shape())) {
      throw shape_error("nn::LayerNorm '" + this->name() + "': backward expected a gradient of shape " +
                        tape.input.shape().to_string() + " (the output's), got " +
                        grad_out.shape().to_string());
    }
    const std::size_t n = weight.raw().size();
    const std::size_t rows = n ? tape.input.size() / n : 0;
    const T* g = static_cast<const T*>(grad_out.data());
    const T* w = weight.value().data();
    T* dw = weight.grad().data();
    T* db = bias.grad().data();
    const bool want_input = input_grad == InputGrad::yes;
    if (want_input) {
      input_grad_.ensure_shape(tape.input.shape());
      projection_.ensure_shape({n});
    }
    for (std::size_t r = 0; r < rows; ++r) {
      T mean, inv_std;
      B::copy_to_host(tape.mean.data() + r, &mean, 1);
      B::copy_to_host(tape.inv_std.data() + r, &inv_std, 1);
      const T* x = tape.input.data() + r * n;
      const T* gy = g + r * n;
      if (!want_input) {
        B::map(n, affine_grads{mean, inv_std}, x, gy, dw, db);
        continue;
      }
      T* gx = input_grad_.data() + r * n;
      B::map(n, affine_grads_and_projections{mean, inv_std}, x, gy, w, dw, db, write_only(gx),
             write_only(projection_.data()));
      const T mean_gw = B::reduce_sum(static_cast<const T*>(gx), n) / T(n);
      const T mean_gwx = B::reduce_sum(static_cast<const T*>(projection_.data()), n) / T(n);
      B::map(n, normalized_input_grad{mean, inv_std, mean_gw, mean_gwx}, x, gx);
    }
    if (!want_input) return no_input_grad(input_grad_);
    return input_grad_;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
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
  /// d weight += gy xhat, d bias += gy
  struct affine_grads {
    T mean, inv_std;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& gy, Vec& dw,
                                                          Vec& db) const {
      const Vec xhat = (x - Vec(mean)) * Vec(inv_std);
      dw = dw + gy * xhat;
      db = db + gy;
    }
  };
  /// The same, and gw = gy weight, gwx = gy weight xhat (whose row means the
  /// input gradient subtracts).
  struct affine_grads_and_projections {
    T mean, inv_std;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& gy, const Vec& w, Vec& dw,
                                                          Vec& db, Vec& gw, Vec& gwx) const {
      const Vec xhat = (x - Vec(mean)) * Vec(inv_std);
      dw = dw + gy * xhat;
      db = db + gy;
      gw = gy * w;
      gwx = gw * xhat;
    }
  };
  /// gx = inv_std (gw - mean(gw) - xhat mean(gw xhat)), in place over gw
  struct normalized_input_grad {
    T mean, inv_std, mean_gw, mean_gwx;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& gx) const {
      const Vec xhat = (x - Vec(mean)) * Vec(inv_std);
      gx = Vec(inv_std) * (gx - Vec(mean_gw) - xhat * Vec(mean_gwx));
    }
  };
  /// \endcond

 private:
  template <TensorLike X>
  void check_input(const X& x) const {
    const std::size_t n = weight.raw().size();
    if (x.rank() == 0 || x.shape(x.rank() - 1) != n) {
      throw shape_error("nn::LayerNorm '" + this->name() + "': expected an input of shape (..., " +
                        std::to_string(n) + "), got " + x.shape().to_string());
    }
  }

  // out_ = the rows of `input` (which must not overlap out_) normalised;
  // with a tape, the mean and inverse std of each row are kept in it.
  const tensor_type& normalize(const T* input, const Shape& shape, tape_type* tape) {
    const std::size_t n = weight.raw().size();
    out_.ensure_shape(shape);
    const T* w = weight.value().data();
    const T* b = bias.value().data();
    const std::size_t size = out_.size();
    for (std::size_t offset = 0, r = 0; offset < size; offset += n, ++r) {
      const T* row = input + offset;
      T* out = out_.data() + offset;
      const T mean = B::reduce_sum(row, n) / T(n);
      // Two passes (centre, then square) for accuracy: out holds (x - mean)^2.
      B::map(n, squared_deviation{mean}, row, write_only(out));
      const T inv_std = T(1) / std::sqrt(B::reduce_sum(static_cast<const T*>(out), n) / T(n) + T(eps));
      B::map(n, normalized{mean, inv_std}, row, w, b, write_only(out));
      if (tape) {
        B::copy_from_host(&mean, tape->mean.data() + r, 1);
        B::copy_from_host(&inv_std, tape->inv_std.data() + r, 1);
      }
    }
    return out_;
  }

  tensor_type out_;
  tensor_type input_copy_;  // an input that overlapped out_
  tensor_type input_grad_;  // backward's d loss / d x
  tensor_type projection_;  // (features,): gy weight xhat of one row, in backward
};

}  // namespace modyn::nn
