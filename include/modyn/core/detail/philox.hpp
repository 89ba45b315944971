// Philox4x32-10 (Salmon, Moraes, Dror, Shaw 2011, "Parallel random numbers:
// as easy as 1, 2, 3"; Random123's philox4x32 with 10 rounds), written out
// so that it runs in device code (the scalar form) and in wide vectors on
// the host (blocks()). Both give Random123's numbers bit for bit:
// tests/core/random.cpp checks them against Random123 itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include "modyn/core/config.hpp"

// (The vector path: host code with AVX2 or AVX-512F enabled by -march.)
#if !defined(__CUDA_ARCH__) && (defined(__AVX512F__) || defined(__AVX2__))
#include "modyn/core/detail/intrinsics.hpp"
#endif

namespace modyn::detail::philox {

inline constexpr std::uint32_t m0 = 0xD2511F53u, m1 = 0xCD9E8D57u;  // multipliers
inline constexpr std::uint32_t w0 = 0x9E3779B9u, w1 = 0xBB67AE85u;  // Weyl key increments
inline constexpr int rounds = 10;

// out = Philox4x32-10({c0, c1, c2, c3}, {k0, k1}).
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void block(std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                                 std::uint32_t c3, std::uint32_t k0, std::uint32_t k1,
                                                 std::uint32_t* out) noexcept {
  for (int r = 0; r < rounds; ++r) {
    const std::uint64_t p0 = std::uint64_t(m0) * c0, p1 = std::uint64_t(m1) * c2;
    const std::uint32_t n0 = std::uint32_t(p1 >> 32) ^ c1 ^ k0, n2 = std::uint32_t(p0 >> 32) ^ c3 ^ k1;
    c1 = std::uint32_t(p1);
    c3 = std::uint32_t(p0);
    c0 = n0;
    c2 = n2;
    k0 += w0;
    k1 += w1;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

// Blocks per call of the vector path below (and the chunk of Rng's fills).
inline constexpr std::size_t group_blocks = 16;

#if !defined(__CUDA_ARCH__) && (defined(__AVX512F__) || defined(__AVX2__))
// Vector form: each 64-bit lane holds one 32-bit counter word in its low
// half. _mm*_mul_epu32 multiplies exactly those low halves into the 64-bit
// product (hi:lo) Philox needs, so a round is two multiplies, two shifts and
// the xors; the garbage the upper halves collect never reaches a low half.
#if defined(__AVX512F__)
struct lanes {
  using reg = __m512i;
  static constexpr std::size_t width = 8;
  static MODYN_ALWAYS_INLINE reg set1(std::uint64_t x) noexcept { return _mm512_set1_epi64(std::int64_t(x)); }
  static MODYN_ALWAYS_INLINE reg iota() noexcept { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
  static MODYN_ALWAYS_INLINE reg add64(reg a, reg b) noexcept { return _mm512_add_epi64(a, b); }
  static MODYN_ALWAYS_INLINE reg add32(reg a, reg b) noexcept { return _mm512_add_epi32(a, b); }
  static MODYN_ALWAYS_INLINE reg mul(reg a, reg b) noexcept { return _mm512_mul_epu32(a, b); }
  static MODYN_ALWAYS_INLINE reg high(reg a) noexcept { return _mm512_srli_epi64(a, 32); }
  static MODYN_ALWAYS_INLINE reg xor3(reg a, reg b, reg c) noexcept {
    return _mm512_ternarylogic_epi64(a, b, c, 0x96);
  }
  // Low halves of a and b as the 32-bit pairs (a_lo, b_lo) of each lane.
  static MODYN_ALWAYS_INLINE reg pair(reg a, reg b) noexcept {
    return _mm512_mask_blend_epi32(__mmask16(0xAAAA), a, _mm512_slli_epi64(b, 32));
  }
  // Lane j of c01 = (c0, c1), of c23 = (c2, c3) of block j: store blocks 0..7 in order.
  static MODYN_ALWAYS_INLINE void store(std::uint32_t* out, reg c01, reg c23) noexcept {
    const reg even = _mm512_unpacklo_epi64(c01, c23);  // blocks 0, 2, 4, 6
    const reg odd = _mm512_unpackhi_epi64(c01, c23);   // blocks 1, 3, 5, 7
    _mm512_storeu_si512(out,
                        _mm512_permutex2var_epi64(even, _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), odd));
    _mm512_storeu_si512(out + 16,
                        _mm512_permutex2var_epi64(even, _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4), odd));
  }
};
#else
struct lanes {
  using reg = __m256i;
  static constexpr std::size_t width = 4;
  static MODYN_ALWAYS_INLINE reg set1(std::uint64_t x) noexcept {
    return _mm256_set1_epi64x(std::int64_t(x));
  }
  static MODYN_ALWAYS_INLINE reg iota() noexcept { return _mm256_set_epi64x(3, 2, 1, 0); }
  static MODYN_ALWAYS_INLINE reg add64(reg a, reg b) noexcept { return _mm256_add_epi64(a, b); }
  static MODYN_ALWAYS_INLINE reg add32(reg a, reg b) noexcept { return _mm256_add_epi32(a, b); }
  static MODYN_ALWAYS_INLINE reg mul(reg a, reg b) noexcept { return _mm256_mul_epu32(a, b); }
  static MODYN_ALWAYS_INLINE reg high(reg a) noexcept { return _mm256_srli_epi64(a, 32); }
  static MODYN_ALWAYS_INLINE reg xor3(reg a, reg b, reg c) noexcept {
    return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
  }
  static MODYN_ALWAYS_INLINE reg pair(reg a, reg b) noexcept {
    return _mm256_blend_epi32(a, _mm256_slli_epi64(b, 32), 0xAA);
  }
  static MODYN_ALWAYS_INLINE void store(std::uint32_t* out, reg c01, reg c23) noexcept {
    const reg even = _mm256_unpacklo_epi64(c01, c23);  // blocks 0, 2
    const reg odd = _mm256_unpackhi_epi64(c01, c23);   // blocks 1, 3
    _mm256_storeu_si256(reinterpret_cast<reg*>(out), _mm256_permute2x128_si256(even, odd, 0x20));
    _mm256_storeu_si256(reinterpret_cast<reg*>(out + 8), _mm256_permute2x128_si256(even, odd, 0x31));
  }
};
#endif

// group_blocks blocks, counters {b + j, c1(b + j), c2, c3}: out[4 j + k] = word k of block j.
MODYN_ALWAYS_INLINE void group(std::uint64_t b, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                               std::uint32_t k1, std::uint32_t* out) noexcept {
  using reg = lanes::reg;
  constexpr std::size_t n = group_blocks / lanes::width;  // independent vectors in flight
  reg x0[n], x1[n], x2[n], x3[n];
  const reg first = lanes::add64(lanes::set1(b), lanes::iota());
  for (std::size_t v = 0; v < n; ++v) {
    x0[v] = lanes::add64(first, lanes::set1(v * lanes::width));
    x1[v] = lanes::high(x0[v]);
    x2[v] = lanes::set1(c2);
    x3[v] = lanes::set1(c3);
  }
  reg key0 = lanes::set1(k0), key1 = lanes::set1(k1);
  const reg mul0 = lanes::set1(m0), mul1 = lanes::set1(m1);
  const reg weyl0 = lanes::set1(w0), weyl1 = lanes::set1(w1);
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t v = 0; v < n; ++v) {
      const reg p0 = lanes::mul(x0[v], mul0), p1 = lanes::mul(x2[v], mul1);
      x0[v] = lanes::xor3(lanes::high(p1), x1[v], key0);
      x2[v] = lanes::xor3(lanes::high(p0), x3[v], key1);
      x1[v] = p1;
      x3[v] = p0;
    }
    key0 = lanes::add32(key0, weyl0);  // the low halves wrap modulo 2^32
    key1 = lanes::add32(key1, weyl1);
  }
  for (std::size_t v = 0; v < n; ++v) {
    lanes::store(out + 4 * lanes::width * v, lanes::pair(x0[v], x1[v]), lanes::pair(x2[v], x3[v]));
  }
}
#endif

// out[4 j + k] = word k of Philox({lo(b + j), hi(b + j), c2, c3}, {k0, k1})
// for j < count: `count` consecutive blocks (host memory).
inline void blocks(std::uint64_t b, std::size_t count, std::uint32_t c2, std::uint32_t c3, std::uint32_t k0,
                   std::uint32_t k1, std::uint32_t* out) noexcept {
  std::size_t j = 0;
#if !defined(__CUDA_ARCH__) && (defined(__AVX512F__) || defined(__AVX2__))
  for (; j + group_blocks <= count; j += group_blocks) group(b + j, c2, c3, k0, k1, out + 4 * j);
  if (j + 4 <= count) {  // a short tail: one more group, of which only the first blocks are kept
    std::uint32_t scratch[4 * group_blocks];
    group(b + j, c2, c3, k0, k1, scratch);
    for (std::size_t k = 0; k < 4 * (count - j); ++k) out[4 * j + k] = scratch[k];
    return;
  }
#endif
  for (; j < count; ++j) {
    const std::uint64_t c = b + j;
    block(std::uint32_t(c), std::uint32_t(c >> 32), c2, c3, k0, k1, out + 4 * j);
  }
}

}  // namespace modyn::detail::philox
