/// @file
/// The CPU backend: memory from the aligned heap, GEMM through Eigen (or the
/// library CMake's MODYN_BLAS chose: libxsmm, OpenBLAS, BLIS), fused
/// elementwise kernels vectorized with xsimd.
///
/// map(n, kernel, args...) follows the contract of core/kernel_args.hpp. On
/// this backend a kernel call sees V = xsimd::batch<T>, the widest vector of
/// the architecture chosen by -march, on full vectors; the remaining tail of
/// each row is one more vector, padded by repeating the row's last element
/// (padding lanes are computed, never stored, never emitted). Every element
/// thus gets the same arithmetic, bit for bit, wherever it lies: a
/// population updated row by row equals the same population updated at once.
/// The kernel is also compiled, not run, with V = T, the form of the serial
/// backend and of a CUDA thread.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/backend/detail/aligned_heap.hpp"
#include "modyn/backend/detail/eigen.hpp"
#include "modyn/backend/detail/map_engine.hpp"
#if MODYN_WITH_OPENMP
#include "modyn/backend/detail/parallel_map.hpp"
#endif
#include "modyn/backend/detail/xsimd.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"

#if MODYN_USE_CBLAS
#include "modyn/backend/detail/cblas.hpp"
#endif
#if MODYN_USE_LIBXSMM
#include "modyn/backend/detail/libxsmm.hpp"
#endif
#if MODYN_USE_DNNL
#include "modyn/backend/detail/onednn.hpp"
#endif

namespace modyn {

/// Memory the host can address directly.
struct host_space {};

namespace detail {

// emit() of the CPU lanes: on AVX-512, the set lanes' indices compressed in a
// register and written with one masked store (never past them), with no
// branch on the data; elsewhere one set bit at a time. A register holds 16
// indices of 32 bits or 8 of 64: a pass of more lanes (8- and 16-bit
// elements: 64 and 32) is emitted a register's worth of lanes at a time.
template <std::size_t Width = 64, class Index>
MODYN_ALWAYS_INLINE std::size_t simd_emit(Index* out, std::uint64_t bits, std::size_t first) {
#if defined(__AVX512F__)
  if constexpr (sizeof(Index) == 4 || sizeof(Index) == 8) {
    constexpr unsigned lanes = 64 / sizeof(Index);
    if constexpr (Width <= lanes) {
      // The pass's vectors have no more lanes than one compress: one masked
      // store, without a branch. Whether a vector of a spiking population
      // holds a spike is close to a coin toss, and a mispredicted branch
      // cost the LIF steps twice what the store with an empty mask does.
      const auto chunk = static_cast<unsigned>(bits);
      const int k = std::popcount(chunk);
      if constexpr (sizeof(Index) == 4) {
        const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first)), iota);
        _mm512_mask_storeu_epi32(out, static_cast<__mmask16>((1u << k) - 1),
                                 _mm512_maskz_compress_epi32(static_cast<__mmask16>(chunk), index));
      } else {
        const __m512i iota = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
        const __m512i index = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first)), iota);
        _mm512_mask_storeu_epi64(out, static_cast<__mmask8>((1u << k) - 1),
                                 _mm512_maskz_compress_epi64(static_cast<__mmask8>(chunk), index));
      }
      return static_cast<std::size_t>(k);
    }
    std::size_t n = 0;
    // No store at all where no lane is set (most vectors of a spiking
    // population): a masked store with an empty mask is slow on some cores.
    for (; bits != 0; bits >>= lanes, first += lanes) {
      const auto chunk = static_cast<unsigned>(bits & ((1u << lanes) - 1));
      if (chunk == 0) continue;
      const int k = std::popcount(chunk);
      if constexpr (sizeof(Index) == 4) {
        const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        const __m512i index = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(first)), iota);
        _mm512_mask_storeu_epi32(out + n, static_cast<__mmask16>((1u << k) - 1),
                                 _mm512_maskz_compress_epi32(static_cast<__mmask16>(chunk), index));
      } else {
        const __m512i iota = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
        const __m512i index = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(first)), iota);
        _mm512_mask_storeu_epi64(out + n, static_cast<__mmask8>((1u << k) - 1),
                                 _mm512_maskz_compress_epi64(static_cast<__mmask8>(chunk), index));
      }
      n += static_cast<std::size_t>(k);
    }
    return n;
  }
#endif
  return emit_bits(out, bits, first);
}

// The tail of a row as one vector, with lane masks: the first count (<
// width) elements of p are loaded, and lanes past them repeat the last one
// (the contract of detail/map_engine.hpp), or only the first count lanes of a
// vector are stored. No byte past p[count - 1] is read or written, so a tail
// that ends at the end of a page or of an allocation is safe, and ASan (which
// checks a masked access lane by lane) is quiet. available: whether the
// architecture -march chose has them for T's vectors:
//   AVX-512F   512-bit vectors of 32- and 64-bit elements (float, double,
//              int32, int64 and their unsigned kin); AVX512BW adds 8- and
//              16-bit elements
//   AVX2       256-bit vectors of 32- and 64-bit elements (vpmaskmov: lanes
//              the mask leaves out read 0, then blended with the last one)
// Elsewhere (SSE-only x86-64, ARM, 8- and 16-bit elements on AVX2) the lanes
// go through a buffer on the stack (simd_lanes::load_partial).
template <class T, std::size_t Bytes = sizeof(xsimd::batch<T>)>
struct masked_tail {
  static constexpr bool available = false;
};

#if defined(__AVX512F__)
// The narrowest element with masked loads and stores on 512-bit vectors.
#if defined(__AVX512BW__)
inline constexpr std::size_t masked_tail_min_bytes = 1;
#else
inline constexpr std::size_t masked_tail_min_bytes = 4;
#endif

// On 512-bit vectors the tail is read and written as bits (the instruction
// picks the mask's granularity, element size, not type), with the narrowest
// access that holds it: 16, 32 or 64 bytes (AVX-512VL), then widened to a
// vector of the last element. A masked store of a whole 64-byte vector makes
// the next row's load wait for it (it overlaps the store's 64 bytes, if not
// its lanes): on Zen 4, 16 rows of 8 floats took 137 ns with 64-byte masked
// accesses and 71 ns with the narrowest (benchmarks/map.cpp, rows/modyn).
// A tail of exactly 16 or 32 bytes (8 floats: GRU(1 -> 8)) is read and
// written unmasked: a masked load does not take its value from a masked
// store still in flight, and waits for it.
template <class T>
requires(sizeof(T) >= masked_tail_min_bytes) struct masked_tail<T, 64> {
  static constexpr bool available = true;
  using batch = xsimd::batch<T>;
  using bits = index_type_for<T>;  // the signed integer of T's width

  // The first count lanes (count < lanes, so the shift is defined).
  static MODYN_ALWAYS_INLINE std::uint64_t first(std::size_t count) {
    return (std::uint64_t{1} << count) - 1;
  }

  static MODYN_ALWAYS_INLINE __m512i fill(bits b) {
    if constexpr (sizeof(T) == 8)
      return _mm512_set1_epi64(b);
    else if constexpr (sizeof(T) == 4)
      return _mm512_set1_epi32(b);
#if defined(__AVX512BW__)
    else if constexpr (sizeof(T) == 2)
      return _mm512_set1_epi16(b);
    else
      return _mm512_set1_epi8(static_cast<char>(b));
#endif
  }

  static MODYN_ALWAYS_INLINE __m512i load_bits(const T* p, std::size_t count) {
    const __m512i last = fill(std::bit_cast<bits>(p[count - 1]));
    const std::uint64_t k = first(count);
#if defined(__AVX512VL__)
    const std::size_t bytes = count * sizeof(T);
    if (bytes <= 16) {
      const __m128i src = _mm512_castsi512_si128(last);
      __m128i x;
      if (bytes == 16)  // exactly a register: a plain load, which a plain store forwards to
        x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      else if constexpr (sizeof(T) == 8)
        x = _mm_mask_loadu_epi64(src, static_cast<__mmask8>(k), p);
      else if constexpr (sizeof(T) == 4)
        x = _mm_mask_loadu_epi32(src, static_cast<__mmask8>(k), p);
#if defined(__AVX512BW__)
      else if constexpr (sizeof(T) == 2)
        x = _mm_mask_loadu_epi16(src, static_cast<__mmask8>(k), p);
      else
        x = _mm_mask_loadu_epi8(src, static_cast<__mmask16>(k), p);
#endif
      return _mm512_inserti32x4(last, x, 0);
    }
    if (bytes <= 32) {
      const __m256i src = _mm512_castsi512_si256(last);
      __m256i x;
      if (bytes == 32)
        x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
      else if constexpr (sizeof(T) == 8)
        x = _mm256_mask_loadu_epi64(src, static_cast<__mmask8>(k), p);
      else if constexpr (sizeof(T) == 4)
        x = _mm256_mask_loadu_epi32(src, static_cast<__mmask8>(k), p);
#if defined(__AVX512BW__)
      else if constexpr (sizeof(T) == 2)
        x = _mm256_mask_loadu_epi16(src, static_cast<__mmask16>(k), p);
      else
        x = _mm256_mask_loadu_epi8(src, static_cast<__mmask32>(k), p);
#endif
      return _mm512_inserti64x4(last, x, 0);
    }
#endif
    if constexpr (sizeof(T) == 8)
      return _mm512_mask_loadu_epi64(last, static_cast<__mmask8>(k), p);
    else if constexpr (sizeof(T) == 4)
      return _mm512_mask_loadu_epi32(last, static_cast<__mmask16>(k), p);
#if defined(__AVX512BW__)
    else if constexpr (sizeof(T) == 2)
      return _mm512_mask_loadu_epi16(last, static_cast<__mmask32>(k), p);
    else
      return _mm512_mask_loadu_epi8(last, static_cast<__mmask64>(k), p);
#endif
  }

  static MODYN_ALWAYS_INLINE void store_bits(T* p, __m512i v, std::size_t count) {
    const std::uint64_t k = first(count);
#if defined(__AVX512VL__)
    const std::size_t bytes = count * sizeof(T);
    if (bytes <= 16) {
      const __m128i x = _mm512_castsi512_si128(v);
      if (bytes == 16)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(p), x);
      else if constexpr (sizeof(T) == 8)
        _mm_mask_storeu_epi64(p, static_cast<__mmask8>(k), x);
      else if constexpr (sizeof(T) == 4)
        _mm_mask_storeu_epi32(p, static_cast<__mmask8>(k), x);
#if defined(__AVX512BW__)
      else if constexpr (sizeof(T) == 2)
        _mm_mask_storeu_epi16(p, static_cast<__mmask8>(k), x);
      else
        _mm_mask_storeu_epi8(p, static_cast<__mmask16>(k), x);
#endif
      return;
    }
    if (bytes <= 32) {
      const __m256i x = _mm512_castsi512_si256(v);
      if (bytes == 32)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), x);
      else if constexpr (sizeof(T) == 8)
        _mm256_mask_storeu_epi64(p, static_cast<__mmask8>(k), x);
      else if constexpr (sizeof(T) == 4)
        _mm256_mask_storeu_epi32(p, static_cast<__mmask8>(k), x);
#if defined(__AVX512BW__)
      else if constexpr (sizeof(T) == 2)
        _mm256_mask_storeu_epi16(p, static_cast<__mmask16>(k), x);
      else
        _mm256_mask_storeu_epi8(p, static_cast<__mmask32>(k), x);
#endif
      return;
    }
#endif
    if constexpr (sizeof(T) == 8)
      _mm512_mask_storeu_epi64(p, static_cast<__mmask8>(k), v);
    else if constexpr (sizeof(T) == 4)
      _mm512_mask_storeu_epi32(p, static_cast<__mmask16>(k), v);
#if defined(__AVX512BW__)
    else if constexpr (sizeof(T) == 2)
      _mm512_mask_storeu_epi16(p, static_cast<__mmask32>(k), v);
    else
      _mm512_mask_storeu_epi8(p, static_cast<__mmask64>(k), v);
#endif
  }

  static MODYN_ALWAYS_INLINE batch load(const T* p, std::size_t count) {
    const __m512i x = load_bits(p, count);
    if constexpr (std::is_same_v<T, float>)
      return batch(_mm512_castsi512_ps(x));
    else if constexpr (std::is_same_v<T, double>)
      return batch(_mm512_castsi512_pd(x));
    else
      return batch(x);
  }

  static MODYN_ALWAYS_INLINE void store(T* p, const batch& v, std::size_t count) {
    if constexpr (std::is_same_v<T, float>)
      store_bits(p, _mm512_castps_si512(v), count);
    else if constexpr (std::is_same_v<T, double>)
      store_bits(p, _mm512_castpd_si512(v), count);
    else
      store_bits(p, v, count);
  }
};
#endif

#if defined(__AVX2__)
template <class T>
requires(sizeof(T) == 4 || sizeof(T) == 8) struct masked_tail<T, 32> {
  static constexpr bool available = true;
  using batch = xsimd::batch<T>;

  // Lanes below count all ones (vpmaskmov reads a lane's sign bit).
  static MODYN_ALWAYS_INLINE __m256i first(std::size_t count) {
    if constexpr (sizeof(T) == 4)
      return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                                _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    else
      return _mm256_cmpgt_epi64(_mm256_set1_epi64x(static_cast<long long>(count)),
                                _mm256_setr_epi64x(0, 1, 2, 3));
  }

  static MODYN_ALWAYS_INLINE batch load(const T* p, std::size_t count) {
    const __m256i mask = first(count);
    const T last = p[count - 1];
    if constexpr (std::is_same_v<T, float>) {
      return batch(
          _mm256_blendv_ps(_mm256_set1_ps(last), _mm256_maskload_ps(p, mask), _mm256_castsi256_ps(mask)));
    } else if constexpr (std::is_same_v<T, double>) {
      return batch(
          _mm256_blendv_pd(_mm256_set1_pd(last), _mm256_maskload_pd(p, mask), _mm256_castsi256_pd(mask)));
    } else if constexpr (sizeof(T) == 4) {
      const __m256i loaded = _mm256_maskload_epi32(reinterpret_cast<const int*>(p), mask);
      return batch(_mm256_blendv_epi8(_mm256_set1_epi32(static_cast<int>(last)), loaded, mask));
    } else {
      const __m256i loaded = _mm256_maskload_epi64(reinterpret_cast<const long long*>(p), mask);
      return batch(_mm256_blendv_epi8(_mm256_set1_epi64x(static_cast<long long>(last)), loaded, mask));
    }
  }

  static MODYN_ALWAYS_INLINE void store(T* p, const batch& v, std::size_t count) {
    const __m256i mask = first(count);
    if constexpr (std::is_same_v<T, float>)
      _mm256_maskstore_ps(p, mask, v);
    else if constexpr (std::is_same_v<T, double>)
      _mm256_maskstore_pd(p, mask, v);
    else if constexpr (sizeof(T) == 4)
      _mm256_maskstore_epi32(reinterpret_cast<int*>(p), mask, v);
    else
      _mm256_maskstore_epi64(reinterpret_cast<long long*>(p), mask, v);
  }
};
#endif

// Lanes of the CPU pass: xsimd vectors of the architecture -march chose.
struct simd_lanes {
  template <class T>
  using vec = xsimd::batch<T>;
  template <class T>
  using mask = xsimd::batch_bool<T>;

  template <class T>
  MODYN_ALWAYS_INLINE static vec<T> load(const T* p) {
    return vec<T>::load_unaligned(p);
  }
  template <class T>
  MODYN_ALWAYS_INLINE static void store(T* p, const vec<T>& v) {
    v.store_unaligned(p);
  }
  // The tail of a row: masked where the vector has masked loads and stores
  // (masked_tail above), else through a buffer on the stack.
  template <class T>
  MODYN_ALWAYS_INLINE static vec<T> load_partial(const T* p, std::size_t count) {
    if constexpr (masked_tail<T>::available) {
      return masked_tail<T>::load(p, count);
    } else {
      alignas(64) T lanes[vec<T>::size];
      for (std::size_t k = 0; k < vec<T>::size; ++k) lanes[k] = p[k < count ? k : count - 1];
      return vec<T>::load_aligned(lanes);
    }
  }
  template <class T>
  MODYN_ALWAYS_INLINE static void store_partial(T* p, const vec<T>& v, std::size_t count) {
    if constexpr (masked_tail<T>::available) {
      masked_tail<T>::store(p, v, count);
    } else {
      alignas(64) T lanes[vec<T>::size];
      v.store_aligned(lanes);
      for (std::size_t k = 0; k < count; ++k) p[k] = lanes[k];
    }
  }
  template <class I>
  MODYN_ALWAYS_INLINE static vec<I> iota(std::size_t first) {
    alignas(64) I lanes[vec<I>::size];
    for (std::size_t k = 0; k < vec<I>::size; ++k) lanes[k] = static_cast<I>(first + k);
    return vec<I>::load_aligned(lanes);
  }
  template <class T>
  MODYN_ALWAYS_INLINE static std::uint64_t mask_bits(const xsimd::batch_bool<T>& m) {
    using reg = typename xsimd::batch_bool<T>::register_type;
    // sizeof, not is_integral_v<reg>: naming an AVX2 vector type as a template
    // argument warns that its attributes are ignored (-Wignored-attributes).
    if constexpr (sizeof(reg) <= sizeof(std::uint64_t)) {
      return static_cast<std::uint64_t>(static_cast<reg>(m));  // AVX-512: the mask register itself
#if defined(__AVX__)
    } else if constexpr (sizeof(reg) == 32 && (sizeof(T) == 4 || sizeof(T) == 8)) {
      // AVX2: each lane's sign bit, one movemask (through the bool array
      // below, the mask cost half the instructions of an LIF step's pass).
      __m256i lanes;
      const reg r = static_cast<reg>(m);
      std::memcpy(&lanes, &r, sizeof(lanes));
      if constexpr (sizeof(T) == 4)
        return static_cast<std::uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(lanes)));
      else
        return static_cast<std::uint32_t>(_mm256_movemask_pd(_mm256_castsi256_pd(lanes)));
#endif
#if defined(__SSE2__)
    } else if constexpr (sizeof(reg) == 16 && (sizeof(T) == 4 || sizeof(T) == 8)) {
      __m128i lanes;  // SSE: the same on 128-bit vectors
      const reg r = static_cast<reg>(m);
      std::memcpy(&lanes, &r, sizeof(lanes));
      if constexpr (sizeof(T) == 4)
        return static_cast<std::uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(lanes)));
      else
        return static_cast<std::uint32_t>(_mm_movemask_pd(_mm_castsi128_pd(lanes)));
#endif
    } else {
      alignas(64) bool lanes[xsimd::batch_bool<T>::size];
      m.store_aligned(lanes);
      std::uint64_t bits = 0;
      for (std::size_t k = 0; k < xsimd::batch_bool<T>::size; ++k) bits |= std::uint64_t{lanes[k]} << k;
      return bits;
    }
  }
  template <class Index>
  MODYN_ALWAYS_INLINE static std::size_t emit(Index* out, std::uint64_t bits, std::size_t first) {
    return simd_emit(out, bits, first);
  }
};

template <class... Args>
struct simd_width {
  static constexpr std::size_t value = xsimd::batch<pass_element_t<Args...>>::size;
};

template <std::size_t Width>
struct simd_lanes_of : simd_lanes {
  static constexpr std::size_t width = Width;
  /// The indices of the set bits of a vector of Width lanes (see simd_emit).
  template <class Index>
  MODYN_ALWAYS_INLINE static std::size_t emit(Index* out, std::uint64_t bits, std::size_t first) {
    return simd_emit<Width>(out, bits, first);
  }
};

template <class T, class Combine>
T reduce(const T* x, std::size_t n, T identity, Combine combine) {
  using batch = xsimd::batch<T>;
  constexpr std::size_t width = batch::size;
  T result = identity;
  std::size_t i = 0;
  if (n >= 4 * width) {
    // Four independent accumulators hide the latency of the combining op.
    batch acc[4] = {batch(identity), batch(identity), batch(identity), batch(identity)};
    for (; i + 4 * width <= n; i += 4 * width) {
      for (std::size_t k = 0; k < 4; ++k) acc[k] = combine(acc[k], batch::load_unaligned(x + i + k * width));
    }
    const batch all = combine(combine(acc[0], acc[1]), combine(acc[2], acc[3]));
    alignas(64) T lanes[width];
    all.store_aligned(lanes);
    for (const T lane : lanes) result = combine(result, lane);
  }
  for (; i < n; ++i) result = combine(result, x[i]);
  return result;
}

}  // namespace detail

/// The CPU's execution instance: the calling thread, or a team of threads
/// (the OpenMP component, modyn::openmp) over which a pass of at least
/// threads x grain elements is split, each thread one contiguous range, with
/// results bit-identical to one thread's (backend/detail/parallel_map.hpp).
/// Shorter passes run on the calling thread: starting a team costs about a
/// microsecond, more than a short pass. Event delivery (dyn::SparseConn) is
/// split by postsynaptic neuron on the same team.
///
/// @code
///   modyn::cpu_instance team{.threads = 2};
///   LoopOverTime loop{net, {.dt = 0.1, .exec = {.cpu = &team}}};
/// @endcode
struct cpu_instance {
  /// Threads of the team; 1 runs every pass on the calling thread.
  int threads = 1;
  std::size_t grain = 16384;  ///< elements per thread below which a pass stays on one thread

  /// Whether a pass of n elements runs on the team.
  bool splits(std::size_t n) const {
    if (threads <= 1) return false;
#if !MODYN_WITH_OPENMP
    (void)n;
    throw config_error("modyn::cpu_instance: a team of " + std::to_string(threads) +
                       " threads needs the OpenMP component (link modyn::openmp); without it the CPU backend "
                       "runs on the calling thread only");
#else
    return n >= std::size_t(threads) * grain;
#endif
  }
};

/// The CPU backend: aligned host memory, fused kernels on xsimd vectors of
/// the -march architecture, GEMM through Eigen (or libxsmm, or CBLAS), and a thread team
/// with the OpenMP component.
struct cpu {
  /// The memory space of its buffers.
  using memory_space = host_space;
  /// The backend's name, as messages and printed types spell it.
  static constexpr std::string_view name = "cpu";
  /// The library gemm runs on (CMake's MODYN_BLAS); Eigen serves whatever
  /// libxsmm has no kernel for, and double under oneDNN.
  static constexpr std::string_view gemm_library = MODYN_USE_LIBXSMM ? "libxsmm (JIT), else Eigen"
                                                   : MODYN_USE_DNNL  ? "oneDNN (float), Eigen (double)"
                                                   : MODYN_USE_CBLAS ? "CBLAS"
                                                                     : "Eigen";
  /// Whether the host may touch its memory (element access, printing, ==).
  static constexpr bool host_accessible = true;
  /// Cache-line (and AVX-512 vector) alignment of every buffer.
  static constexpr std::size_t alignment = detail::aligned_heap::alignment;

  // ---- memory -------------------------------------------------------------

  /// Memory for n elements of T, uninitialised.
  template <class T>
  static T* allocate(std::size_t n) {
    return detail::aligned_heap::allocate<T>(n);
  }

  /// Frees what allocate<T>(n) gave.
  template <class T>
  static void deallocate(T* p, std::size_t n) noexcept {
    detail::aligned_heap::deallocate(p, n);
  }

  /// Copies n elements from src to dst, both in this backend's memory.
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) noexcept {
    if (n) std::memmove(dst, src, n * sizeof(T));
  }

  /// Copies n elements from this backend's memory to host memory.
  template <class T>
  static void copy_to_host(const T* src, T* host_dst, std::size_t n) noexcept {
    copy(src, host_dst, n);
  }

  /// Copies n elements from host memory to this backend's memory.
  template <class T>
  static void copy_from_host(const T* host_src, T* dst, std::size_t n) noexcept {
    copy(host_src, dst, n);
  }

  // ---- kernels ------------------------------------------------------------

  /// Row-major C(m, n) = alpha op(A) op(B) + beta C, then C += bias (a row of n,
  /// broadcast over the m rows) when bias is not null. op(A) is (m, k): A is
  /// stored (m, k) with row stride lda, or (k, m) when transposed; likewise B.
  /// With beta == 0, C is not read (it may hold garbage or NaN).
  template <class T>
  static void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                   const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc,
                   const T* bias = nullptr) {
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using ConstMap = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using Map = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    const auto rows = [](std::size_t r) { return static_cast<Eigen::Index>(r); };
    if (m == 0 || n == 0) return;
    Map c_map(c, rows(m), rows(n), Eigen::OuterStride<>(rows(ldc)));
    const auto add_bias = [&] {
      using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
      if (bias) c_map.rowwise() += Eigen::Map<const RowVector>(bias, rows(n));
    };
#if MODYN_USE_LIBXSMM
    if (k > 0 && detail::xsmm_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) {
      add_bias();
      return;
    }
#endif
#if MODYN_USE_DNNL
    if (k > 0 && detail::dnnl_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) {
      add_bias();
      return;
    }
#endif
#if MODYN_USE_CBLAS
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (k > 0) {
        const auto ta = trans_a == Transpose::yes ? CblasTrans : CblasNoTrans;
        const auto tb = trans_b == Transpose::yes ? CblasTrans : CblasNoTrans;
        const auto i = [](std::size_t v) { return static_cast<int>(v); };
        if constexpr (std::is_same_v<T, float>) {
          cblas_sgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
        } else {
          cblas_dgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
        }
        add_bias();
        return;
      }
    }
#endif
    if (k == 0) {
      if (beta == T(0))
        c_map.setZero();
      else
        c_map *= beta;
    } else {
      // Eigen evaluates `alpha * A * B` with a temporary when M = 1 (one
      // malloc per call at batch 1): alpha = 1, the layers' case, is left out.
      const auto product_into = [&](auto& out, const auto& lhs, const auto& rhs) {
        if (beta == T(0)) {
          if (alpha == T(1))
            out.noalias() = lhs * rhs;
          else
            out.noalias() = alpha * lhs * rhs;
        } else {
          if (beta != T(1)) out *= beta;
          if (alpha == T(1))
            out.noalias() += lhs * rhs;
          else
            out.noalias() += alpha * lhs * rhs;
        }
      };
      const bool ta = trans_a == Transpose::yes;
      const bool tb = trans_b == Transpose::yes;
      if (!ta && !tb && lda == k && ldb == n && ldc == n) {
        // Contiguous operands (the common case of the layers): plain maps,
        // without the run-time stride's overhead on small products.
        using PlainConst = Eigen::Map<const Matrix>;
        Eigen::Map<Matrix> c_plain(c, rows(m), rows(n));
        product_into(c_plain, PlainConst(a, rows(m), rows(k)), PlainConst(b, rows(k), rows(n)));
      } else {
        const ConstMap a_map(a, rows(ta ? k : m), rows(ta ? m : k), Eigen::OuterStride<>(rows(lda)));
        const ConstMap b_map(b, rows(tb ? n : k), rows(tb ? k : n), Eigen::OuterStride<>(rows(ldb)));
        // Four spelled-out products keep every case a single Eigen GEMM call.
        if (!ta && !tb)
          product_into(c_map, a_map, b_map);
        else if (ta && !tb)
          product_into(c_map, a_map.transpose(), b_map);
        else if (!ta && tb)
          product_into(c_map, a_map, b_map.transpose());
        else
          product_into(c_map, a_map.transpose(), b_map.transpose());
      }
    }
    add_bias();
  }

  // ---- execution --------------------------------------------------------

  /// The execution instance: the calling thread runs the kernels (the
  /// thread team of a network run will be one of these).
  using instance = cpu_instance;
  /// The instance kernels run on when a Context names none.
  static const instance& default_instance() noexcept;
  /// The instance `instances` names for this backend, or the default one.
  static const instance& instance_of(const ExecutionInstances& instances) noexcept {
    return instances.cpu ? *instances.cpu : default_instance();
  }

  /// kernel(i) for i = 0 .. n - 1, in order, on the calling thread
  /// (core/kernel_args.hpp, touches).
  template <class Kernel, class... Touched>
  static void launch(const instance& /*on*/, std::size_t n, const Kernel& kernel,
                     const touches_arg<Touched>&... /*memory*/) {
    for (std::size_t i = 0; i < n; ++i) kernel(i);
  }

  /// Runs `kernel` once over n elements of every argument (the contract of
  /// core/kernel_args.hpp; this backend's lanes at the top of this file).
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, const Kernel& kernel, const Args&... args) {
    static_assert(detail::check_map_args<Args...>());
#if defined(__CUDA_ARCH__)
    // nvcc's device pass: host code never runs there, but a kernel's
    // host-device call operator instantiated for xsimd vectors would be
    // compiled for the device, which has no vector types. The device pass
    // sees the one-lane form; the host pass, which runs, the vectors.
    using lanes = detail::scalar_lanes;
#else
    using lanes = detail::simd_lanes_of<detail::simd_width<Args...>::value>;
#endif
#if MODYN_WITH_OPENMP && !defined(__CUDA_ARCH__)
    if (on.splits(n)) {
      detail::parallel_map<lanes>(on.threads, n, kernel, args...);
      return;
    }
#else
    (void)on.splits(n);  // a team without the OpenMP component: a config_error
#endif
    detail::run_map<lanes>(n, kernel, args...);
    // Compiled for one lane too: the kernel must work per element on
    // backends without vectors.
    [[maybe_unused]] constexpr auto scalar_form = &detail::run_map<detail::scalar_lanes, Kernel, Args...>;
  }
  /// map on the default instance.
  template <class Kernel, class... Args>
  static void map(std::size_t n, const Kernel& kernel, const Args&... args) {
    map(default_instance(), n, kernel, args...);
  }

  /// The sum of n elements (0 when n == 0).
  template <class T>
  static T reduce_sum(const T* x, std::size_t n) {
    return detail::reduce(x, n, T(0), [](const auto& a, const auto& b) { return a + b; });
  }

  /// The largest element; -infinity (or the lowest value of T) when n == 0.
  template <class T>
  static T reduce_max(const T* x, std::size_t n) {
    constexpr T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                              : std::numeric_limits<T>::lowest();
    return detail::reduce(x, n, lowest, [](const auto& a, const auto& b) {
      if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(a)>>) {
        return std::max(a, b);
      } else {
        return xsimd::max(a, b);
      }
    });
  }
};

inline const cpu_instance& cpu::default_instance() noexcept {
  static constexpr cpu_instance the_calling_thread{};
  return the_calling_thread;
}

static_assert(Backend<cpu>, "modyn::cpu must satisfy the Backend concept");

}  // namespace modyn
