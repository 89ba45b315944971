// The step of a layer of static sizes whose rows are narrow (at most 4
// floats: a regression head, the seed RNN's RNNCell<20, 2>) over many rows,
// on AVX-512: lanes hold rows, not columns. static_step would tile a row of 2
// by scalars (two scalar FMAs per input element and row); here 16 rows'
// inputs are transposed in registers, so each input element of 16 rows is
// one vector FMA per output column. A RNNCell<20, 2> step of 128 rows: about
// half the time of static_step's scalars.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>

#include "modyn/core/config.hpp"
#include "modyn/nn/detail/static_step.hpp"

namespace modyn::nn::detail {

/// \cond internal
// Whether this build has narrow_step (VL: its 128-bit masked loads and stores).
#if defined(__AVX512F__) && defined(__AVX512VL__)
inline constexpr bool narrow_step_built = true;
#else
inline constexpr bool narrow_step_built = false;
#endif

// Whether a step of Hidden elements of T per row runs narrow_step.
template <class T, std::size_t Hidden>
inline constexpr bool has_narrow_step = std::is_same_v<T, float> &&
                                        (narrow_step_built && Hidden >= 1 && Hidden <= 4);

#if defined(__AVX512F__) && defined(__AVX512VL__)
namespace narrow {

inline constexpr std::size_t lanes = 16;

// out[c] lane 4p + q = in[q] lane 4p + c: a 4 x 4 transpose within each
// 128-bit lane (its own inverse).
MODYN_ALWAYS_INLINE void transpose4_in_lanes(const __m512 (&in)[4], __m512 (&out)[4]) {
  const __m512 t0 = _mm512_unpacklo_ps(in[0], in[1]), t1 = _mm512_unpackhi_ps(in[0], in[1]);
  const __m512 t2 = _mm512_unpacklo_ps(in[2], in[3]), t3 = _mm512_unpackhi_ps(in[2], in[3]);
  const auto pd = [](__m512 v) { return _mm512_castps_pd(v); };
  out[0] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t0), pd(t2)));
  out[1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t0), pd(t2)));
  out[2] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t1), pd(t3)));
  out[3] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t1), pd(t3)));
}

// Columns 0 .. width - 1 (width <= 4) of 16 rows at a, a + lda, ...: col[c]
// lane l = a[l lda + c]. Rows go four to a vector (row 4p + q in 128-bit lane
// p of y[q]), then one 4 x 4 transpose within each 128-bit lane.
MODYN_ALWAYS_INLINE void load_columns4(const float* a, std::size_t lda, std::size_t width, __m512 (&col)[4]) {
  const __mmask8 mask = static_cast<__mmask8>((1u << width) - 1);
  __m512 y[4];
  for (std::size_t q = 0; q < 4; ++q) {
    __m512 v = _mm512_castps128_ps512(_mm_maskz_loadu_ps(mask, a + q * lda));
    v = _mm512_insertf32x4(v, _mm_maskz_loadu_ps(mask, a + (4 + q) * lda), 1);
    v = _mm512_insertf32x4(v, _mm_maskz_loadu_ps(mask, a + (8 + q) * lda), 2);
    y[q] = _mm512_insertf32x4(v, _mm_maskz_loadu_ps(mask, a + (12 + q) * lda), 3);
  }
  transpose4_in_lanes(y, col);
}

// The inverse: col[c] lane l (c < width) stored to out[l ld + c].
MODYN_ALWAYS_INLINE void store_columns4(const __m512 (&col)[4], std::size_t width, float* out,
                                        std::size_t ld) {
  __m512 y[4];  // y[q] 128-bit lane p: row 4p + q's 4 columns
  transpose4_in_lanes(col, y);
  const __mmask8 mask = static_cast<__mmask8>((1u << width) - 1);
  for (std::size_t q = 0; q < 4; ++q) {
    _mm_mask_storeu_ps(out + q * ld, mask, _mm512_castps512_ps128(y[q]));
    _mm_mask_storeu_ps(out + (4 + q) * ld, mask, _mm512_extractf32x4_ps(y[q], 1));
    _mm_mask_storeu_ps(out + (8 + q) * ld, mask, _mm512_extractf32x4_ps(y[q], 2));
    _mm_mask_storeu_ps(out + (12 + q) * ld, mask, _mm512_extractf32x4_ps(y[q], 3));
  }
}

// All 16 columns of 16 rows (masked to `width` columns: the rest read as 0).
MODYN_ALWAYS_INLINE void load_columns16(const float* a, std::size_t lda, std::size_t width, __m512 (&r)[16]) {
  const __mmask16 mask = static_cast<__mmask16>(width >= 16 ? 0xffffu : (1u << width) - 1);
  for (std::size_t l = 0; l < 16; ++l) r[l] = _mm512_maskz_loadu_ps(mask, a + l * lda);
  __m512 t[16];
  for (std::size_t i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  const auto pd = [](__m512 v) { return _mm512_castps_pd(v); };
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 2; ++j) {
      r[4 * i + 2 * j] = _mm512_castpd_ps(_mm512_unpacklo_pd(pd(t[4 * i + j]), pd(t[4 * i + j + 2])));
      r[4 * i + 2 * j + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(pd(t[4 * i + j]), pd(t[4 * i + j + 2])));
    }
  }
  for (std::size_t i = 0; i < 2; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      t[8 * i + j] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0x88);
      t[8 * i + j + 4] = _mm512_shuffle_f32x4(r[8 * i + j], r[8 * i + j + 4], 0xdd);
    }
  }
  for (std::size_t j = 0; j < 8; ++j) {
    r[j] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd);
  }
}

// acc[j] (16 rows) += the term's column j.
template <std::size_t Hidden>
MODYN_ALWAYS_INLINE void add_term(std::size_t row, const added_rows<float>& rows, __m512 (&acc)[Hidden]) {
  if (rows.ld == 0) {
    for (std::size_t j = 0; j < Hidden; ++j) acc[j] = _mm512_add_ps(acc[j], _mm512_set1_ps(rows.data[j]));
    return;
  }
  __m512 col[4];
  load_columns4(rows.data + row * rows.ld, rows.ld, Hidden, col);
  for (std::size_t j = 0; j < Hidden; ++j) acc[j] = _mm512_add_ps(acc[j], col[j]);
}

template <std::size_t Hidden, std::size_t K>
MODYN_ALWAYS_INLINE void add_term(std::size_t row, const product<float, K>& p, __m512 (&acc)[Hidden]) {
  const float* a = p.a + row * p.lda;
  std::size_t k0 = 0;
  for (; k0 + 4 < K; k0 += 16) {
    const std::size_t width = K - k0 < 16 ? K - k0 : 16;
    __m512 col[16];
    load_columns16(a + k0, p.lda, width, col);
    for (std::size_t k = 0; k < width; ++k)
      for (std::size_t j = 0; j < Hidden; ++j)
        acc[j] = _mm512_fmadd_ps(col[k], _mm512_set1_ps(p.w[(k0 + k) * Hidden + j]), acc[j]);
  }
  if (k0 < K) {  // at most 4 left
    const std::size_t width = K - k0;
    __m512 col[4];
    load_columns4(a + k0, p.lda, width, col);
    for (std::size_t k = 0; k < width; ++k)
      for (std::size_t j = 0; j < Hidden; ++j)
        acc[j] = _mm512_fmadd_ps(col[k], _mm512_set1_ps(p.w[(k0 + k) * Hidden + j]), acc[j]);
  }
}

}  // namespace narrow

// out (rows, Hidden) = activation(sum) for the first rows - rows % 16 rows,
// lanes holding rows; returns how many rows it did (the caller runs the
// rest). The sum is static_step's: a tuple of added_rows and products (the
// weights (K, Hidden)). out may be what a product reads (a cell's h): each
// block of 16 rows is read before it is written.
template <std::size_t Hidden, class Activation, class... Terms>
std::size_t narrow_step(std::size_t rows, float* out, Activation activation,
                        const std::tuple<Terms...>& sum) {
  using batch = xsimd::batch<float>;
  static_assert(batch::size == narrow::lanes, "narrow_step: AVX-512 float vectors only");
  const std::size_t done = rows - rows % narrow::lanes;
  for (std::size_t row = 0; row < done; row += narrow::lanes) {
    __m512 acc[Hidden];
    for (auto& a : acc) a = _mm512_setzero_ps();
    std::apply([&](const auto&... term) { (narrow::add_term<Hidden>(row, term, acc), ...); }, sum);
    __m512 col[4] = {};
    for (std::size_t j = 0; j < Hidden; ++j) col[j] = batch(activation(batch(acc[j])));
    narrow::store_columns4(col, Hidden, out + row * Hidden, Hidden);
  }
  return done;
}
#else
// (Without AVX-512: no rows; has_narrow_step is false.)
template <std::size_t Hidden, class Activation, class... Terms>
std::size_t narrow_step(std::size_t, float*, Activation, const std::tuple<Terms...>&) {
  return 0;
}
#endif
/// \endcond

}  // namespace modyn::nn::detail
