// modyn's own exp, expm1 and tanh of float and double: one implementation
// for host numbers, SIMD vectors and CUDA threads, so that a kernel gives
// the same bits on every backend (the floating-point contract:
// backend/cuda.hpp). Built only from operations that are exact or
// correctly rounded everywhere: +, -, *, /, fma, comparisons, selects, and
// two exact scalings a value type provides through math::exact_ops:
//
//   exact_ops<V>::round(x)     x to the nearest integer, ties to even
//   exact_ops<V>::scale(y, n)  y 2^n for an integral n, |n| <= 2 (max exponent
//                              + 1), rounded once (into the subnormals too)
//   exact_ops<V>::fma(a, b, c) a * b + c rounded once (math::fma uses it too)
//
// (numbers: here; xsimd vectors: backend/detail/xsimd.hpp).
//
// The algorithms: e^x = 2^n e^r with n = round(x / ln 2) and r = x - n ln 2
// in two parts (Cody and Waite), so |r| <= ln 2 / 2; e^r - 1 by a minimax
// polynomial (float, degree 7, the coefficients of Moshier's Cephes expf)
// or the Taylor series to degree 13 (double); 2^n applied in two halves
// (exact_ops::scale) so that results down to the subnormals are rounded once. expm1(x) is
// fma(e^r - 1, 2^n, 2^n - 1) (e^r - 1 itself for |x| <= ln 2 / 2); tanh(x) is
// expm1(2|x|) / (expm1(2|x|) + 2), with the sign of x. Errors against the
// correctly rounded value, over sweeps of floats and doubles
// (tests/core/math.cpp): exp 1 ulp, expm1 1.5 (float) and 2 (double) ulps,
// tanh 2.5 ulps; and the same bits from a number and from a vector of
// them. No product feeds a sum outside an explicit fma, so FMA contraction
// cannot change them.
#pragma once

#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "modyn/core/config.hpp"

namespace modyn::math {

// The exact scalings of a value type (see the top); specialized for vector
// types by the backend that brings them.
template <class V>
struct exact_ops;

template <class T>
requires(std::is_same_v<T, float> || std::is_same_v<T, double>) struct exact_ops<T> {
  using scalar = T;
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T round(T x) {
#if defined(__CUDA_ARCH__)
    return ::rint(x);  // round to nearest even, as nearbyint in the default mode
#else
    return std::nearbyint(x);
#endif
  }
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T fma(T a, T b, T c) {
#if defined(__CUDA_ARCH__)
    return ::fma(a, b, c);
#else
    return std::fma(a, b, c);
#endif
  }
  // y 2^n as y 2^(n/2) 2^(n - n/2): two powers of two built from their
  // exponent bits, each a normal number, so the product is rounded once.
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T scale(T y, T n) {
    const auto k = static_cast<bits_type>(n);
    const bits_type half = k >> 1;  // floor(k / 2): an arithmetic shift
    return (y * power_of_two(half)) * power_of_two(k - half);
  }

 private:
  using bits_type = std::conditional_t<sizeof(T) == 4, std::int32_t, std::int64_t>;
  static constexpr int mantissa_bits = std::numeric_limits<T>::digits - 1;
  static constexpr bits_type exponent_bias = std::numeric_limits<T>::max_exponent - 1;

  // 2^k for k in the normal exponent range.
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T power_of_two(bits_type k) {
    const bits_type bits = (k + exponent_bias) << mantissa_bits;
#if defined(__CUDA_ARCH__)
    if constexpr (sizeof(T) == 4)
      return __int_as_float(bits);
    else
      return __longlong_as_double(bits);
#else
    return std::bit_cast<T>(bits);
#endif
  }
};

namespace portable {

// Whether the portable functions serve V: float or double lanes with exact_ops.
template <class V>
concept supported = requires(const V& v) {
  { exact_ops<V>::round(v) } -> std::same_as<V>;
  { exact_ops<V>::scale(v, v) } -> std::same_as<V>;
  { exact_ops<V>::fma(v, v, v) } -> std::same_as<V>;
};

template <class T>
struct constants;

template <>
struct constants<float> {
  static constexpr float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  static constexpr float exp_lo = -104.f, exp_hi = 89.f;  // beyond: 0 and infinity, through the arithmetic
  static constexpr float tanh_hi = 10.f;                  // tanh(10) rounds to 1
};

template <>
struct constants<double> {
  static constexpr double ln2_hi = 6.93145751953125e-1, ln2_lo = 1.42860682030941723212e-6;
  static constexpr double exp_lo = -746., exp_hi = 710.;
  static constexpr double tanh_hi = 20.;
};

inline constexpr double log2e = 1.4426950408889634074;

template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V fused(const V& a, const V& b, const V& c) {
  return exact_ops<V>::fma(a, b, c);
}

template <class M, class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V choose(const M& mask, const V& a, const V& b) {
  if constexpr (std::is_arithmetic_v<V>)
    return mask ? a : b;
  else
    return select(mask, a, b);
}

template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V clamp(const V& x, const V& lo, const V& hi) {
  return choose(x < lo, lo, choose(hi < x, hi, x));
}

// The element type of V (exact_ops names it).
template <class V>
using scalar_of = typename exact_ops<V>::scalar;

// e^r - 1 for |r| <= ln 2 / 2.
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V expm1_reduced(const V& r) {
  using T = scalar_of<V>;
  if constexpr (std::is_same_v<T, float>) {
    V p(1.9875691500e-4f);
    p = fused<V>(p, r, V(1.3981999507e-3f));
    p = fused<V>(p, r, V(8.3334519073e-3f));
    p = fused<V>(p, r, V(4.1665795894e-2f));
    p = fused<V>(p, r, V(1.6666665459e-1f));
    p = fused<V>(p, r, V(5.0000001201e-1f));
    return fused<V>(p, r * r, r);
  } else {
    // The Taylor series to r^13 / 13!: the rest is below 2^-56 |r| here.
    constexpr double inverse_factorials[] = {1. / 6227020800., 1. / 479001600., 1. / 39916800., 1. / 3628800.,
                                             1. / 362880.,     1. / 40320.,     1. / 5040.,     1. / 720.,
                                             1. / 120.,        1. / 24.,        1. / 6.,        1. / 2.};
    V p(inverse_factorials[0]);
    for (int k = 1; k < 12; ++k) p = fused<V>(p, r, V(inverse_factorials[k]));
    return fused<V>(p, r * r, r);
  }
}

// r = x - n ln 2 with n = round(x / ln 2).
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V reduce(const V& x, V& n) {
  using T = scalar_of<V>;
  n = exact_ops<V>::round(x * V(T(log2e)));
  const V r = fused<V>(-n, V(constants<T>::ln2_hi), x);
  return fused<V>(-n, V(constants<T>::ln2_lo), r);
}

template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V exp(const V& x) {
  using T = scalar_of<V>;
  const auto nan = x != x;
  const V bounded = clamp(choose(nan, V(0), x), V(constants<T>::exp_lo), V(constants<T>::exp_hi));
  V n;
  const V r = reduce(bounded, n);
  return choose(nan, x, exact_ops<V>::scale(expm1_reduced(r) + V(1), n));
}

// 2^n (e^r - 1) + (2^n - 1), both terms exact where 2^n - 1 is (|n| within
// the mantissa's width; n = 0 gives e^x - 1 = e^r - 1 itself); beyond,
// e^r 2^n - 1, where the 1 barely counts.
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V expm1(const V& x) {
  using T = scalar_of<V>;
  const auto nan = x != x;
  const V bounded = clamp(choose(nan, V(0), x), V(constants<T>::exp_lo), V(constants<T>::exp_hi));
  V n;
  const V r = reduce(bounded, n);
  const V em1 = expm1_reduced(r);
  const V width(T(std::numeric_limits<T>::digits - 1));
  const auto near = (n <= width) & (-width <= n);
  const V power = exact_ops<V>::scale(V(1), clamp(n, -width, width));
  const V far = exact_ops<V>::scale(em1 + V(1), n) - V(1);
  return choose(nan, x, choose(near, fused<V>(em1, power, power - V(1)), far));
}

template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V tanh(const V& x) {
  using T = scalar_of<V>;
  const auto nan = x != x;
  const V safe = choose(nan, V(0), x);
  const V magnitude = choose(safe < V(0), -safe, safe);
  const V bounded = choose(V(constants<T>::tanh_hi) < magnitude, V(constants<T>::tanh_hi), magnitude);
  const V e = portable::expm1(V(2) * bounded);
  const V t = e / (e + V(2));
  const V signed_t = choose(safe < V(0), -t, t);
  return choose(nan | (safe == V(0)), x, signed_t);  // NaN, and the sign of a zero, pass through
}

}  // namespace portable
}  // namespace modyn::math
