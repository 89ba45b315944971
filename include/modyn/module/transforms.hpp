/// @file
/// Param transforms: a Param stores an unconstrained value and exposes the
/// transformed one (BrainPy's ParamTransform / brainstate's Transform). Each
/// transform is an elementwise kernel pair: forward (raw -> value) and, where
/// it exists, inverse (value -> raw) to set a Param from a constrained value.
#pragma once

#include "modyn/core/config.hpp"
#include "modyn/core/math.hpp"

namespace modyn::transform {

/// x: the Param's value is its raw value (the default).
struct identity {
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    return x;
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    return y;
  }
};

/// log(1 + e^x): positive values (time constants, conductances).
struct softplus {
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    // max(x, 0) + log1p(e^-|x|): no overflow for large x, and positive (not
    // rounded to 0) for very negative x.
    return math::max(x, V(0)) + math::log1p(math::exp(-math::abs(x)));
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    // log(e^y - 1) = y + log(1 - e^-y)
    return y + math::log(V(1) - math::exp(-y));
  }
};

/// e^x: positive values.
struct exponential {
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    return math::exp(x);
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    return math::log(y);
  }
};

/// lower + (upper - lower) sigmoid(x): values in (lower, upper).
struct sigmoid {
  /// The interval's bounds.
  /// @{
  double lower = 0.0, upper = 1.0;
  /// @}
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    return V(lower) + V(upper - lower) * math::sigmoid(x);
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    const V u = (y - V(lower)) / V(upper - lower);
    return math::log(u / (V(1) - u));
  }
};

/// scale x + shift.
struct affine {
  /// The factor and the offset.
  /// @{
  double scale = 1.0, shift = 0.0;
  /// @}
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    return V(scale) * x + V(shift);
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    return (y - V(shift)) / V(scale);
  }
};

/// x clipped to [lower, upper]; the inverse is the identity (values inside the
/// interval are their own raw value).
struct clip {
  /// The interval's bounds.
  /// @{
  double lower, upper;
  /// @}
  /// The constrained value of a raw x, per element.
  template <class V>
  MODYN_HOST_DEVICE V forward(const V& x) const {
    return math::clip(x, V(lower), V(upper));
  }
  /// The raw value whose forward is y (to set a Param from a constrained value).
  template <class V>
  MODYN_HOST_DEVICE V inverse(const V& y) const {
    return y;
  }
};

}  // namespace modyn::transform
