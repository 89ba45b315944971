// Losses and activity regularizers (modyn::train): each returns the loss
// (double) and writes its gradient with respect to its first argument into a
// tensor the caller owns (overwritten, not accumulated; given the argument's
// shape with ensure_shape, so nothing is allocated once the size matches).
//
//   mse_loss(prediction, target, grad)
//       L = mean_i (p_i - t_i)^2 over every element (PyTorch's mse_loss,
//       reduction "mean");  dL/dp = 2 (p - t) / n.
//   cross_entropy_with_logits(logits (B, C), classes (B,), grad)
//       L = mean_b [logsumexp(z_b) - z_b[y_b]], integer classes y_b in
//       [0, C);  dL/dz = (softmax(z) - onehot(y)) / B.
//   cross_entropy_with_logits(logits (B, C), probabilities (B, C), grad)
//       L = mean_b [-sum_c q_bc log softmax(z_b)_c];
//       dL/dz = (softmax(z) sum_c q_bc - q) / B (softmax - q when the rows of
//       q sum to 1). Both are PyTorch's cross_entropy (reduction "mean"), and
//       stable for any logits: logsumexp(z) = max z + log sum exp(z - max z).
//   spike_count_regularizer{weight}(spikes, grad)
//       L = weight * sum of every element of spikes (of any shape): the
//       total spike count (snntorch.functional.reg.l1_rate_sparsity, the
//       L1 activity term of Zenke's SpyTorch tutorial);  dL/ds = weight.
//   firing_rate_regularizer{weight, target}(spikes (T, ...), grad)
//       with axis 0 time and the others flattened into M = B N neurons:
//       rate_m = (1/T) sum_t s_tm (spikes per step),
//       L = weight * (1/M) sum_m (rate_m - target)^2;
//       dL/ds_tm = 2 weight (rate_m - target) / (M T).
//       A rate of f Hz at a step of dt ms is a target of f dt / 1000.
//
// And add_reg_loss_grad(model) (or of one Param): adds the gradient of
// model.reg_loss() (module/regularizers.hpp) to each regularized Param's
// gradient buffer, d/d raw through the Param's transform.
//
// Every pass is a B::map, a B::launch or a reduction of the backend, so these
// run on any backend; the host reads a device's memory only through
// copy_to_host (the cross entropy's class and target logit of each row). The
// cross entropy works row by row (a max, one to three sums and two or three
// passes per row), which suits the CPU; on a GPU that is a few
// synchronizations per row, and a batched version is left for later.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/regularizers.hpp"
#include "modyn/module/transforms.hpp"
#include "modyn/nn/activations.hpp"

namespace modyn::train {

namespace detail::losses {

// ---- kernels

// out = (p - t)^2
struct squared_error {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& p, const Vec& t, Vec& out) const {
    const Vec d = p - t;
    out = d * d;
  }
};
// out = (p - t) scale
template <class T>
struct scaled_difference {
  T scale;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& p, const Vec& t, Vec& out) const {
    out = (p - t) * Vec(scale);
  }
};
// out = exp(z - shift) and x = x scale: the kernels of nn's softmax.
using modyn::detail::exp_shifted;
using modyn::detail::scale_by;
// out = q ((peak - z) + log_sum): q times -log softmax(z), with the two large
// terms subtracted first (stable for logits of 1e4 in float).
template <class T>
struct weighted_neg_log_softmax {
  T peak, log_sum;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& z, const Vec& q, Vec& out) const {
    out = q * ((Vec(peak) - z) + Vec(log_sum));
  }
};
// out = (exp(z - peak) mass_over_sum - q) scale: (softmax(z) sum q - q) / B
template <class T>
struct soft_target_grad {
  T peak, mass_over_sum, scale;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& z, const Vec& q, Vec& out) const {
    out = (math::exp(z - Vec(peak)) * Vec(mass_over_sum) - q) * Vec(scale);
  }
};
// acc = acc + x
struct accumulate {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& acc) const {
    acc = acc + x;
  }
};
// x = x scale - shift
template <class T>
struct scale_then_shift {
  T scale, shift;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = x * Vec(scale) - Vec(shift);
  }
};
// out = (x - c)^2
template <class T>
struct squared_offset {
  T c;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& out) const {
    const Vec d = x - Vec(c);
    out = d * d;
  }
};
// out = x - c
template <class T>
struct offset {
  T c;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& out) const {
    out = x - Vec(c);
  }
};
// out = x^2
struct square {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& out) const {
    out = x * x;
  }
};
// out = x
struct copy_of {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& out) const {
    out = x;
  }
};
// x = value
template <class T>
struct fill_with {
  T value;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = Vec(value);
  }
};
// One work item (B::launch): data[index] -= value.
template <class T>
struct subtract_at {
  T* data;
  std::size_t index;
  T value;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(std::size_t) const { data[index] -= value; }
};

// A regularizer with the derivative of its term for one element.
template <class Reg, class T>
concept element_regularizer = requires(const Reg& r, const T& x) {
  r.grad(x);
};

// grad += reg.grad(value) d value / d raw
template <class Reg, class Transform>
struct reg_grad_through_transform {
  Reg reg;
  Transform transform;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& raw, const Vec& value, Vec& grad) const {
    grad = grad + reg.grad(value) * modyn::transform_derivative(transform, raw);
  }
};
// grad += reg.grad(value), for untransformed Params (value is raw)
template <class Reg>
struct reg_grad {
  Reg reg;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& value, Vec& grad) const {
    grad = grad + reg.grad(value);
  }
};

// ---- checks, at the public boundary

template <class X, class T, class B>
inline constexpr bool is_tensor_of_v =
    std::conjunction_v<std::is_same<tensor_value_t<X>, T>, std::is_same<tensor_backend_t<X>, B>>;

inline std::string fn_name(std::string_view fn) { return "modyn::train::" + std::string(fn); }

template <class X>
void require_non_empty(std::string_view fn, std::string_view what, const X& x) {
  if (x.size() == 0)
    throw shape_error(fn_name(fn) + ": the " + std::string(what) + " is empty (shape " +
                      x.shape().to_string() + ")");
}

template <class X, class Y>
void require_same_shape(std::string_view fn, std::string_view a_name, const X& a, std::string_view b_name,
                        const Y& b) {
  if (!(a.shape() == b.shape()))
    throw shape_error(fn_name(fn) + ": " + std::string(a_name) + " of shape " + a.shape().to_string() +
                      " and " + std::string(b_name) + " of shape " + b.shape().to_string() + " differ");
}

// Gives grad x's shape; it must not share memory with the inputs (the passes
// use it as scratch before they read the inputs for the last time).
template <class T, class B, class... Inputs>
void prepare_grad(std::string_view fn, Tensor<T, B>& grad, const Shape& shape, const Inputs&... inputs) {
  grad.ensure_shape(shape);
  if ((modyn::detail::overlaps(grad, inputs) || ...))
    throw config_error(fn_name(fn) +
                       ": the gradient tensor shares memory with an input; give it its own buffer");
}

inline void require_logits(std::string_view fn, const Shape& logits) {
  if (logits.rank() != 2 || logits[0] == 0 || logits[1] == 0)
    throw shape_error(fn_name(fn) + ": the logits must have shape (batch, classes) with both non-zero, got " +
                      logits.to_string());
}

// g = exp(z - max z) over one row of n logits; returns max z, the sum of g
// and its log.
template <class T>
struct exp_row_result {
  T peak, sum, log_sum;
};
template <class T, class B>
exp_row_result<T> exp_row(const T* z, T* g, std::size_t n) {
  const T peak = B::reduce_max(z, n);
  B::map(n, exp_shifted<T>{peak}, z, write_only(g));
  const T sum = B::reduce_sum(static_cast<const T*>(g), n);
  return {peak, sum, static_cast<T>(std::log(sum))};
}

}  // namespace detail::losses

// ---- MSE

/// L = mean_i (p_i - t_i)^2 over every element (PyTorch's mse_loss, reduction
/// "mean"); writes dL/dp = 2 (p - t) / n into grad, returns L.
template <TensorLike P, TensorLike Y, std::floating_point T, class B>
double mse_loss(const P& prediction, const Y& target, Tensor<T, B>& grad) {
  static_assert(
      detail::losses::is_tensor_of_v<P, T, B> && detail::losses::is_tensor_of_v<Y, T, B>,
      "modyn::train::mse_loss: the prediction, the target and the gradient must have one element type "
      "and one backend");
  namespace d = detail::losses;
  d::require_same_shape("mse_loss", "prediction", prediction, "target", target);
  d::require_non_empty("mse_loss", "prediction", prediction);
  d::prepare_grad("mse_loss", grad, prediction.shape(), prediction, target);
  const std::size_t n = prediction.size();
  const T* p = prediction.data();
  const T* t = target.data();
  B::map(n, d::squared_error{}, p, t, write_only(grad.data()));
  const double loss = double(B::reduce_sum(static_cast<const T*>(grad.data()), n)) / double(n);
  B::map(n, d::scaled_difference<T>{static_cast<T>(2.0 / double(n))}, p, t, write_only(grad.data()));
  return loss;
}

// ---- cross entropy

/// Integer class targets, shape (B,).
template <TensorLike L, TensorLike Y, std::floating_point T, class B>
requires std::integral<tensor_value_t<Y>>
double cross_entropy_with_logits(const L& logits, const Y& classes, Tensor<T, B>& grad) {
  static_assert(
      detail::losses::is_tensor_of_v<L, T, B>,
      "modyn::train::cross_entropy_with_logits: the logits and the gradient must have one element type and "
      "one backend");
  static_assert(std::is_same_v<tensor_backend_t<Y>, B>,
                "modyn::train::cross_entropy_with_logits: the class targets must be on the logits' backend");
  namespace d = detail::losses;
  using I = tensor_value_t<Y>;
  constexpr std::string_view fn = "cross_entropy_with_logits";
  d::require_logits(fn, logits.shape());
  const std::size_t rows = logits.shape()[0], n = logits.shape()[1];
  if (classes.shape().rank() != 1 || classes.shape()[0] != rows)
    throw shape_error(d::fn_name(fn) + ": logits of shape " + logits.shape().to_string() +
                      " need class targets of shape (" + std::to_string(rows) + ",), got " +
                      classes.shape().to_string());
  // Every class is checked before grad is written.
  const auto class_of = [&](std::size_t b) {
    I y{};
    B::copy_to_host(classes.data() + b, &y, 1);
    if (std::cmp_less(y, 0) || std::cmp_greater_equal(y, n))
      throw index_error(d::fn_name(fn) + ": class " + std::to_string(y) + " of row " + std::to_string(b) +
                        " is outside [0, " + std::to_string(n) + ")");
    return static_cast<std::size_t>(y);
  };
  for (std::size_t b = 0; b < rows; ++b) (void)class_of(b);
  d::prepare_grad(fn, grad, logits.shape(), logits);
  const T inv_rows = static_cast<T>(1.0 / double(rows));
  double total = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    const std::size_t c = class_of(b);
    const T* z = logits.data() + b * n;
    T* g = grad.data() + b * n;
    const auto row = d::exp_row<T, B>(z, g, n);
    T z_y{};
    B::copy_to_host(z + c, &z_y, 1);
    total += (double(row.peak) - double(z_y)) + double(row.log_sum);
    // g = softmax / rows, then the one-hot term.
    B::map(n, d::scale_by<T>{static_cast<T>(1.0 / (double(row.sum) * double(rows)))}, g);
    B::launch(B::default_instance(), 1, d::subtract_at<T>{g, c, inv_rows}, touches(g + c, 1));
  }
  return total / double(rows);
}

/// Probability targets, shape (B, C) as the logits.
template <TensorLike L, TensorLike Q, std::floating_point T, class B>
requires std::floating_point<tensor_value_t<Q>>
double cross_entropy_with_logits(const L& logits, const Q& probabilities, Tensor<T, B>& grad) {
  static_assert(
      detail::losses::is_tensor_of_v<L, T, B> && detail::losses::is_tensor_of_v<Q, T, B>,
      "modyn::train::cross_entropy_with_logits: the logits, the target probabilities and the gradient must "
      "have one element type and one backend");
  namespace d = detail::losses;
  constexpr std::string_view fn = "cross_entropy_with_logits";
  d::require_logits(fn, logits.shape());
  d::require_same_shape(fn, "logits", logits, "target probabilities", probabilities);
  d::prepare_grad(fn, grad, logits.shape(), logits, probabilities);
  const std::size_t rows = logits.shape()[0], n = logits.shape()[1];
  const T inv_rows = static_cast<T>(1.0 / double(rows));
  double total = 0.0;
  for (std::size_t b = 0; b < rows; ++b) {
    const T* z = logits.data() + b * n;
    const T* q = probabilities.data() + b * n;
    T* g = grad.data() + b * n;
    const T mass = B::reduce_sum(q, n);
    const auto row = d::exp_row<T, B>(z, g, n);
    B::map(n, d::weighted_neg_log_softmax<T>{row.peak, row.log_sum}, z, q, write_only(g));
    total += double(B::reduce_sum(static_cast<const T*>(g), n));
    B::map(n, d::soft_target_grad<T>{row.peak, static_cast<T>(double(mass) / double(row.sum)), inv_rows}, z,
           q, write_only(g));
  }
  return total / double(rows);
}

// ---- activity regularizers

/// weight * the total number of spikes (every element summed).
struct spike_count_regularizer {
  double weight = 1.0;  ///< the factor of the count

  /// Returns the penalty and writes its gradient with respect to the spikes
  /// (`weight` everywhere) into grad, sized to the spikes' shape.
  template <TensorLike S, std::floating_point T, class B>
  double operator()(const S& spikes, Tensor<T, B>& grad) const {
    static_assert(
        detail::losses::is_tensor_of_v<S, T, B>,
        "modyn::train::spike_count_regularizer: the spikes and the gradient must have one element type and "
        "one backend");
    namespace d = detail::losses;
    d::prepare_grad("spike_count_regularizer", grad, spikes.shape(), spikes);
    const std::size_t n = spikes.size();
    const double count = n ? double(B::reduce_sum(spikes.data(), n)) : 0.0;
    B::map(n, d::fill_with<T>{static_cast<T>(weight)}, write_only(grad.data()));
    return weight * count;
  }
};

/// weight * mean over neurons of (rate - target)^2, the rate in spikes per
/// step over axis 0 (time) of a (T, B, N) (or (T, ...)) spike tensor.
struct firing_rate_regularizer {
  double weight = 1.0;  ///< the factor of the penalty
  double target = 0.0;  ///< the target rate (spikes per step)

  /// Returns the penalty and writes its gradient with respect to the spikes
  /// into grad, sized to the spikes' shape.
  template <TensorLike S, std::floating_point T, class B>
  double operator()(const S& spikes, Tensor<T, B>& grad) const {
    static_assert(
        detail::losses::is_tensor_of_v<S, T, B>,
        "modyn::train::firing_rate_regularizer: the spikes and the gradient must have one element type and "
        "one backend");
    namespace d = detail::losses;
    constexpr std::string_view fn = "firing_rate_regularizer";
    if (spikes.shape().rank() == 0)
      throw shape_error(d::fn_name(fn) +
                        ": the spikes need a time axis first, (T, batch, neurons), got shape " +
                        spikes.shape().to_string());
    d::require_non_empty(fn, "spike tensor", spikes);
    d::prepare_grad(fn, grad, spikes.shape(), spikes);
    const std::size_t steps = spikes.shape()[0], m = spikes.size() / steps;
    const T* s = spikes.data();
    T* g = grad.data();
    // Row 0 of grad: rate - target per neuron; the sum of its squares in
    // row 1 (with one step, where there is no row 1, from the spikes first).
    double sum_sq = 0.0;
    if (steps == 1) {
      B::map(m, d::squared_offset<T>{static_cast<T>(target)}, s, write_only(g));
      sum_sq = double(B::reduce_sum(static_cast<const T*>(g), m));
      B::map(m, d::offset<T>{static_cast<T>(target)}, s, write_only(g));
    } else {
      B::map(m, d::copy_of{}, s, write_only(g));
      for (std::size_t t = 1; t < steps; ++t) B::map(m, d::accumulate{}, s + t * m, g);
      B::map(m, d::scale_then_shift<T>{static_cast<T>(1.0 / double(steps)), static_cast<T>(target)}, g);
      B::map(m, d::square{}, static_cast<const T*>(g), write_only(g + m));
      sum_sq = double(B::reduce_sum(static_cast<const T*>(g + m), m));
    }
    // dL/ds = 2 weight (rate - target) / (m steps), the same for every step.
    B::map(m, d::scale_by<T>{static_cast<T>(2.0 * weight / (double(m) * double(steps)))}, g);
    if (steps > 1)
      B::map((steps - 1) * m, d::copy_of{}, broadcast_row(static_cast<const T*>(g), m), write_only(g + m));
    return weight * sum_sq / double(m);
  }
};

// ---- regularizers of Params

/// Adds d p.reg_loss() / d p.raw() to p.grad() (allocated, zero-filled, if it
/// did not exist). Params without a regularizer, or of integer elements, are
/// left alone.
template <class P>
requires is_param_v<P>
void add_reg_loss_grad(P& p) {
  using Reg = typename P::regularizer_type;
  using Transform = typename P::transform_type;
  using V = std::remove_cvref_t<decltype(p.raw())>;
  using T = typename V::value_type;
  using B = typename V::backend_type;
  if constexpr (!std::is_same_v<Reg, reg::none> && std::is_floating_point_v<T>) {
    static_assert(
        detail::losses::element_regularizer<Reg, T>,
        "modyn::train::add_reg_loss_grad: the Param's regularizer has no gradient; give it a member "
        "`template <class V> V grad(const V& value) const` (d loss / d value of one element)");
    V& g = p.grad();
    const V& value = p.value();
    if constexpr (std::is_same_v<Transform, transform::identity>) {
      B::map(g.size(), detail::losses::reg_grad<Reg>{p.regularizer()}, static_cast<const T*>(value.data()),
             g.data());
    } else {
      B::map(g.size(),
             detail::losses::reg_grad_through_transform<Reg, Transform>{p.regularizer(), p.transform()},
             static_cast<const T*>(p.raw().data()), static_cast<const T*>(value.data()), g.data());
    }
  }
}

/// Adds the gradient of model.reg_loss() to the gradient buffers of the
/// regularized Params of model and the modules below it.
template <ModuleType M>
void add_reg_loss_grad(M& model) {
  model.for_each_parameter([](std::string_view, auto& p) { add_reg_loss_grad(p); });
}

}  // namespace modyn::train
