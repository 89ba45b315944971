/// @file
/// modyn::math: the functions of elementwise kernels (exp, tanh, select, fma,
/// ...), written once for every value type a kernel sees.
///
/// A kernel is instantiated with plain T (the serial test backend, and
/// modyn::cuda: one element per thread), with SIMD vectors (xsimd::batch<T>
/// on the CPU), and with whatever else a user brings (a dual number for
/// forward-mode derivatives). math:: is the customization point that lets
/// them all in:
///
/// - arithmetic types go to the standard library (std::exp, ...), but with
///   MODYN_BITWISE_MATH (core/config.hpp) exp, expm1 and tanh of float and
///   double, numbers or vectors, are modyn's own (math::portable::exp, ...,
///   core/detail/portable_math.hpp): the same bits on the CPU's vectors, on
///   one lane and on a GPU (and vector types plug into them through
///   math::exact_ops); fma of float and double always rounds once;
/// - any other type is called unqualified, so argument-dependent lookup finds
///   the functions of the type's own namespace: xsimd::exp for xsimd::batch,
///   mylib::exp for mylib::Dual. A new value type plugs in by declaring exp,
///   log, tanh, ..., select(mask, a, b), max, min, fma next to itself; nothing
///   here needs editing, and nothing here includes xsimd.
///
/// Composite functions (sigmoid, relu, clip) are built on the primitives and
/// so work for every value type that has them.
#pragma once

#include <cmath>
#include <type_traits>

#include "modyn/core/config.hpp"
#include "modyn/core/detail/portable_math.hpp"

namespace modyn::math {

namespace detail {
template <class V>
struct scalar_of {
  using type = V;
};
template <class V>
requires requires { typename V::value_type; }
struct scalar_of<V> {
  using type = typename V::value_type;
};
}  // namespace detail

/// Whether V is a kernel value type of several lanes (a SIMD vector) rather
/// than one number.
template <class V>
inline constexpr bool is_vector_v = !std::is_arithmetic_v<std::remove_cvref_t<V>>;

/// The element type of a kernel value type: T for T and for xsimd::batch<T>.
template <class V>
using scalar_t = typename detail::scalar_of<std::remove_cvref_t<V>>::type;

namespace adl {
/// Calls from a namespace whose own functions of these names are deleted and
/// take no arguments: ordinary lookup finds nothing usable, so
/// argument-dependent lookup decides (xsimd::exp for xsimd::batch, ...).
void exp() = delete;
void log() = delete;
void log1p() = delete;
void expm1() = delete;
void sqrt() = delete;
void abs() = delete;
void tanh() = delete;
void erf() = delete;
void max() = delete;
void min() = delete;
void fma() = delete;
void select() = delete;

struct call {
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec exp_of(const Vec& x) {
    return exp(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec log_of(const Vec& x) {
    return log(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec log1p_of(const Vec& x) {
    return log1p(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec expm1_of(const Vec& x) {
    return expm1(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec sqrt_of(const Vec& x) {
    return sqrt(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec abs_of(const Vec& x) {
    return abs(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec tanh_of(const Vec& x) {
    return tanh(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec erf_of(const Vec& x) {
    return erf(x);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec max_of(const Vec& a, const Vec& b) {
    return max(a, b);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec min_of(const Vec& a, const Vec& b) {
    return min(a, b);
  }
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec fma_of(const Vec& a, const Vec& b, const Vec& c) {
    return fma(a, b, c);
  }
  template <class Mask, class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec select_of(const Mask& m, const Vec& a, const Vec& b) {
    return select(m, a, b);
  }
};
}  // namespace adl

/// A faster exp for a vector type than its own, where a backend has one
/// (backend/detail/xsimd.hpp: AVX-512 float vectors): fast_exp<V>::of(x).
template <class Vec>
struct fast_exp;

/// The exponential. Like every primitive: std:: for numbers, the value
/// type's own function otherwise (modyn's own with MODYN_BITWISE_MATH).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec exp(const Vec& x) {
  if constexpr (MODYN_BITWISE_MATH && portable::supported<Vec>)
    return portable::exp(x);
  else if constexpr (std::is_arithmetic_v<Vec>)
    return std::exp(x);
  else if constexpr (requires { fast_exp<Vec>::of(x); })
    return fast_exp<Vec>::of(x);
  else
    return adl::call::exp_of(x);
}

/// The natural logarithm.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec log(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::log(x);
  else
    return adl::call::log_of(x);
}

/// log(1 + x), accurate for small x.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec log1p(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::log1p(x);
  else
    return adl::call::log1p_of(x);
}

/// exp(x) - 1, accurate for small x.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec expm1(const Vec& x) {
  if constexpr (MODYN_BITWISE_MATH && portable::supported<Vec>)
    return portable::expm1(x);
  else if constexpr (std::is_arithmetic_v<Vec>)
    return std::expm1(x);
  else
    return adl::call::expm1_of(x);
}

/// The square root.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec sqrt(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::sqrt(x);
  else
    return adl::call::sqrt_of(x);
}

/// The absolute value.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec abs(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::abs(x);
  else
    return adl::call::abs_of(x);
}

/// A faster tanh for a vector type than its own, where a backend has one
/// (backend/detail/xsimd.hpp: float vectors): fast_tanh<V>::of(x).
template <class Vec>
struct fast_tanh;

/// The hyperbolic tangent (modyn's own with MODYN_BITWISE_MATH).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec tanh(const Vec& x) {
  if constexpr (MODYN_BITWISE_MATH && portable::supported<Vec>)
    return portable::tanh(x);
  else if constexpr (std::is_arithmetic_v<Vec>)
    return std::tanh(x);
  else if constexpr (requires { fast_tanh<Vec>::of(x); })
    return fast_tanh<Vec>::of(x);
  else
    return adl::call::tanh_of(x);
}

/// The error function.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec erf(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::erf(x);
  else
    return adl::call::erf_of(x);
}

/// The larger of a and b, per element.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec max(const Vec& a, const Vec& b) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return a < b ? b : a;
  else
    return adl::call::max_of(a, b);
}

/// The smaller of a and b, per element.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec min(const Vec& a, const Vec& b) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return b < a ? b : a;
  else
    return adl::call::min_of(a, b);
}

/// a * b + c, fused where the hardware has FMA.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec fma(const Vec& a, const Vec& b, const Vec& c) {
  if constexpr (portable::supported<Vec>)
    return exact_ops<Vec>::fma(a, b, c);  // fused on every backend (xsimd 8's AVX-512 fma is not)
  else if constexpr (std::is_arithmetic_v<Vec>)
    return std::fma(a, b, c);
  else
    return adl::call::fma_of(a, b, c);
}

/// mask ? a : b per element; mask is what comparing two Vec gives.
template <class Mask, class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec select(const Mask& mask, const Vec& a, const Vec& b) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return mask ? a : b;
  else
    return adl::call::select_of(mask, a, b);
}

/// The logistic function 1 / (1 + exp(-x)).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec sigmoid(const Vec& x) {
  return Vec(1) / (Vec(1) + exp(-x));
}

/// max(x, 0).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec relu(const Vec& x) {
  return max(x, Vec(0));
}

/// x limited to [lo, hi].
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec clip(const Vec& x, const Vec& lo, const Vec& hi) {
  return min(max(x, lo), hi);
}

}  // namespace modyn::math
