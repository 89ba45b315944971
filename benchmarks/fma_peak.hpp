// The FP32 FMA peak of one core: independent FMA chains (more than latency x
// ports), all in registers. Shared by bench_gemm, bench_neurons,
// bench_gemm_libraries, bench_models and bench_train, which all report
// fractions of it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <vector>

#include "modyn/core/detail/intrinsics.hpp"  // <immintrin.h> with g++ 12's AVX-512 warnings silenced

namespace bench_peak {

constexpr int chains = 16;
constexpr std::int64_t rounds = 4096;

#if defined(__AVX512F__)
[[gnu::noipa]] inline float fma_loop_512(std::int64_t rounds, float x, float y) {
  __m512 acc[chains];
  for (int k = 0; k < chains; ++k) acc[k] = _mm512_set1_ps(static_cast<float>(k) * 0.01f);
  const __m512 vx = _mm512_set1_ps(x), vy = _mm512_set1_ps(y);
  for (std::int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 16
    for (int k = 0; k < chains; ++k) acc[k] = _mm512_fmadd_ps(acc[k], vx, vy);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < chains; ++k) sum = _mm512_add_ps(sum, acc[k]);
  return _mm512_reduce_add_ps(sum);
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
[[gnu::noipa]] inline float fma_loop_256(std::int64_t rounds, float x, float y) {
  __m256 acc[chains];
  for (int k = 0; k < chains; ++k) acc[k] = _mm256_set1_ps(static_cast<float>(k) * 0.01f);
  const __m256 vx = _mm256_set1_ps(x), vy = _mm256_set1_ps(y);
  for (std::int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 16
    for (int k = 0; k < chains; ++k) acc[k] = _mm256_fmadd_ps(acc[k], vx, vy);
  }
  __m256 sum = acc[0];
  for (int k = 1; k < chains; ++k) sum = _mm256_add_ps(sum, acc[k]);
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, sum);
  float total = 0.0f;
  for (const float lane : lanes) total += lane;
  return total;
}
#endif

// The peak in GFLOP/s: the median of `repeats` runs of the widest FMA loop
// the build has (AVX-512, else AVX2), each about 0.1 s.
inline double measure_gflops(int repeats) {
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
#if defined(__AVX512F__)
    volatile float sink = fma_loop_512(rounds * 64, 0.999f, 0.001f);
    constexpr double lanes = 16;
#else
    volatile float sink = fma_loop_256(rounds * 64, 0.999f, 0.001f);
    constexpr double lanes = 8;
#endif
    (void)sink;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    samples.push_back(2.0 * lanes * chains * rounds * 64 / seconds / 1e9);
  }
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

}  // namespace bench_peak
