// Functions for elementwise kernels, written once for every value type a
// kernel sees: plain T (CPU tail, CUDA threads) and xsimd::batch<T> (CPU
// vectors). See the kernel contract in cpu.hpp.
#pragma once

#include <cmath>
#include <type_traits>

#include "modyn/backend/detail/xsimd.hpp"
#include "modyn/core/config.hpp"

namespace modyn::math {

template <class V>
inline constexpr bool is_vector_v = xsimd::is_batch<std::remove_cvref_t<V>>::value;

namespace detail {
template <class V, bool = is_vector_v<V>>
struct scalar_of {
  using type = V;
};
template <class V>
struct scalar_of<V, true> {
  using type = typename V::value_type;
};
}  // namespace detail

// The element type of a kernel value type: T for T and for xsimd::batch<T>.
template <class V>
using scalar_t = typename detail::scalar_of<std::remove_cvref_t<V>>::type;

template <class V>
MODYN_ALWAYS_INLINE V exp(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::exp(x); else return std::exp(x);
}

template <class V>
MODYN_ALWAYS_INLINE V log(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::log(x); else return std::log(x);
}

// log(1 + x), accurate for small x.
template <class V>
MODYN_ALWAYS_INLINE V log1p(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::log1p(x); else return std::log1p(x);
}

// exp(x) - 1, accurate for small x.
template <class V>
MODYN_ALWAYS_INLINE V expm1(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::expm1(x); else return std::expm1(x);
}

template <class V>
MODYN_ALWAYS_INLINE V sqrt(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::sqrt(x); else return std::sqrt(x);
}

template <class V>
MODYN_ALWAYS_INLINE V abs(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::abs(x); else return std::abs(x);
}

template <class V>
MODYN_ALWAYS_INLINE V tanh(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::tanh(x); else return std::tanh(x);
}

template <class V>
MODYN_ALWAYS_INLINE V erf(const V& x) {
  if constexpr (is_vector_v<V>) return xsimd::erf(x); else return std::erf(x);
}

template <class V>
MODYN_ALWAYS_INLINE V max(const V& a, const V& b) {
  if constexpr (is_vector_v<V>) return xsimd::max(a, b); else return a < b ? b : a;
}

template <class V>
MODYN_ALWAYS_INLINE V min(const V& a, const V& b) {
  if constexpr (is_vector_v<V>) return xsimd::min(a, b); else return b < a ? b : a;
}

// a * b + c, fused where the hardware has FMA.
template <class V>
MODYN_ALWAYS_INLINE V fma(const V& a, const V& b, const V& c) {
  if constexpr (is_vector_v<V>) return xsimd::fma(a, b, c); else return std::fma(a, b, c);
}

// cond ? a : b per element; cond is what comparing two V gives.
template <class Cond, class V>
MODYN_ALWAYS_INLINE V select(const Cond& cond, const V& a, const V& b) {
  if constexpr (is_vector_v<V>) return xsimd::select(cond, a, b); else return cond ? a : b;
}

template <class V>
MODYN_ALWAYS_INLINE V sigmoid(const V& x) {
  return V(1) / (V(1) + exp(-x));
}

template <class V>
MODYN_ALWAYS_INLINE V relu(const V& x) {
  return max(x, V(0));
}

template <class V>
MODYN_ALWAYS_INLINE V clip(const V& x, const V& lo, const V& hi) {
  return min(max(x, lo), hi);
}

}  // namespace modyn::math
