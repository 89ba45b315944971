// The one place modyn includes xsimd.
//
// (The same guards as core/detail/intrinsics.hpp, around all of xsimd: the
// intrinsics' warnings are also reported where xsimd's own functions inline
// them, so guarding <immintrin.h> alone is not enough here.)
#pragma once

// g++ 12 reports its own AVX-512 intrinsics (`__Y = __Y` in avx512fintrin.h)
// under -Wuninitialized once they are inlined into user code (GCC bug 105593,
// fixed in g++ 13). The diagnostic state is location-based, so silencing it
// around the first inclusion of the intrinsics headers silences only them.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <limits>
#include <type_traits>

#include "modyn/backend/detail/eigen.hpp"
#include "modyn/core/detail/portable_math.hpp"
#include "modyn/core/math.hpp"

// The exact scalings modyn's own exp, expm1 and tanh need, on xsimd vectors
// (core/detail/portable_math.hpp): the same arithmetic as on one number.
template <class T, class A>
requires(std::is_same_v<T, float> ||
         std::is_same_v<T, double>) struct modyn::math::exact_ops<xsimd::batch<T, A>> {
  using batch = xsimd::batch<T, A>;
  using scalar = T;
  static MODYN_ALWAYS_INLINE batch round(const batch& x) { return xsimd::nearbyint(x); }
  // y 2^n as y 2^(n/2) 2^(n - n/2), the powers built from their exponent
  // bits: the same steps as for one number (core/detail/portable_math.hpp).
  static MODYN_ALWAYS_INLINE batch scale(const batch& y, const batch& n) {
    using ints = xsimd::batch<xsimd::as_integer_t<T>, A>;
    const ints k = xsimd::to_int(n);
    const ints half = k >> ints(1);  // an arithmetic shift: floor(k / 2)
    return (y * power_of_two<ints>(half)) * power_of_two<ints>(k - half);
  }
  // One rounding: xsimd 8.1's fma on AVX-512 is x * y + z, two roundings.
  static MODYN_ALWAYS_INLINE batch fma(const batch& a, const batch& b, const batch& c) {
#if defined(__AVX512F__)
    if constexpr (sizeof(batch) == 64) {
      if constexpr (std::is_same_v<T, float>)
        return batch(_mm512_fmadd_ps(a, b, c));
      else
        return batch(_mm512_fmadd_pd(a, b, c));
    }
#endif
    return xsimd::fma(a, b, c);
  }

 private:
  template <class Ints>
  static MODYN_ALWAYS_INLINE batch power_of_two(const Ints& k) {
    constexpr int mantissa_bits = std::numeric_limits<T>::digits - 1;
    const Ints bias(std::numeric_limits<T>::max_exponent - 1);
    return xsimd::bitwise_cast<batch>((k + bias) << Ints(mantissa_bits));
  }
};

#if defined(__AVX512F__)
// exp of 16 floats in AVX-512 (a third faster than xsimd 8.1's, within 1
// ulp like it): 2^n e^r with n = round(x log2 e), r = x - n ln 2 in two
// parts (Cody-Waite), e^r by Moshier's Cephes expf polynomial, and 2^n
// applied by vscalefps, which rounds once and gives infinity above the
// range, subnormals and 0 below it. x is first clamped to [-104, 89], where
// that holds (a NaN passes through the clamp).
template <class A>
requires(sizeof(xsimd::batch<float, A>) == 64) struct modyn::math::fast_exp<xsimd::batch<float, A>> {
  using batch = xsimd::batch<float, A>;
  static MODYN_ALWAYS_INLINE batch of(const batch& x) {
    const __m512 clamped = _mm512_max_ps(_mm512_set1_ps(-104.f), _mm512_min_ps(_mm512_set1_ps(89.f), x));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(clamped, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), clamped);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.f)));
    return batch(_mm512_scalef_ps(p, n));
  }
};
#endif

// tanh of float vectors: Eigen's rational approximation (a 13/6-degree odd /
// even minimax fit on [-7.9988, 7.9988], where it reaches +-1, and one
// division), within 5 ulps of tanh (4.5 measured, tests/core/math.cpp).
// xsimd 8.1's evaluates both of its branches wherever a vector holds small
// and large values: 1.6x slower on a recurrent cell's pre-activations.
template <class A>
requires requires(typename xsimd::batch<float, A>::register_type r) { Eigen::internal::ptanh(r); }
struct modyn::math::fast_tanh<xsimd::batch<float, A>> {
  using batch = xsimd::batch<float, A>;
  static MODYN_ALWAYS_INLINE batch of(const batch& x) {
    return batch(Eigen::internal::ptanh(typename batch::register_type(x)));
  }
};
