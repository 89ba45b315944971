/// @file
/// Param regularizers: a term added to the loss by module.reg_loss() (BrainPy's
/// L1Reg / L2Reg), computed on the Param's (transformed) value.
///
/// Each is a sum over the elements of the value, so it has
/// @code
///   loss(v)  the term, of a tensor (summed on the host, in double);
///   grad(x)  d term / d x of one element x, for every kernel value type
///            (a number, a backend's vector; core/kernel_args.hpp): what
///            add_reg_loss_grad (train/losses.hpp) runs through B::map, with
///            the Param's transform, into the gradient of its raw value.
/// @endcode
#pragma once

#include <cmath>

#include "modyn/core/config.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor_concepts.hpp"

namespace modyn::reg {

/// No term (the default): reg_loss() leaves the Param out.
struct none {
  /// The term: 0.
  template <TensorLike X>
  double loss(const X&) const {
    return 0.0;
  }
  /// d term / d x: 0.
  template <class Vec>
  requires(!TensorLike<Vec>) MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec&)
  const { return Vec(0); }
};

/// weight * sum |v|
struct L1 {
  /// The term's factor.
  double weight = 1.0;
  /// The term of a tensor v, summed on the host in double.
  template <TensorLike X>
  double loss(const X& v) const {
    double s = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) s += std::abs(double(v.data()[i]));
    return weight * s;
  }
  /// weight * sign(x), with sign(0) = 0 (the subgradient PyTorch's abs takes).
  template <class Vec>
  requires(!TensorLike<Vec>) MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x)
  const { return math::select(x > Vec(0), Vec(weight), math::select(x < Vec(0), Vec(-weight), Vec(0))); }
};

/// weight * sum v^2
struct L2 {
  /// The term's factor.
  double weight = 1.0;
  /// The term of a tensor v, summed on the host in double.
  template <TensorLike X>
  double loss(const X& v) const {
    double s = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) s += double(v.data()[i]) * double(v.data()[i]);
    return weight * s;
  }
  /// 2 weight x
  template <class Vec>
  requires(!TensorLike<Vec>) MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x)
  const { return Vec(2 * weight) * x; }
};

}  // namespace modyn::reg
