// Throughput of a fused elementwise kernel run by modyn::cpu::map, against the
// same math written as plain loops, and a STREAM-like triad that measures what
// this machine's memory (and caches) can deliver.
//
// The kernel reads two inputs and updates one state array in place:
//
//   v = v + dt * (a * I1 + b * I2 - v)
//
// so every element moves 3 reads + 1 write = 16 bytes, all of which is real
// memory traffic (v is read anyway, so its write needs no extra read-for-
// ownership). The triad a[i] = b[i] + s * c[i] is reported with STREAM's
// convention, 12 bytes per element (2 reads + 1 write); its true traffic is 16
// bytes once the write-allocate read of a[] is counted, which the counter
// `traffic_per_second` reports.
//
// Variants, each a separate non-inlinable, non-cloneable function (noipa), so
// that sizes and constants are run-time values for all of them alike:
//   map/modyn        modyn::cpu::map with an xsimd kernel (widest vector of -march)
//   map/scalar       plain loop, loop and SLP vectorization off: a true scalar baseline
//   map/autovec      plain loop as g++ -O3 -march=native vectorizes it (on Intel
//                    AVX-512 parts g++ prefers 256-bit vectors by default)
//   map/autovec_zmm  the same loop with prefer-vector-width=512
//   triad            a[i] = b[i] + s * c[i], plain loop as g++ -O3 vectorizes it
//
// Short rows, where the tail of a row (its last length % width elements) is
// most of the pass: the hidden size of a small recurrent cell at batch 1 or
// 16 (GRU(1 -> 8) steps a row of 8 floats, half an AVX-512 vector):
//   map/modyn/short  the fused kernel above over 8, 20 or 40 contiguous floats
//   rows/modyn       a GRU-like update of h (rows, L) from two gate blocks of a
//                    (rows, 3 L) GEMM result (strided_rows) and a bias
//                    (broadcast_row): h = h + (g_z + b) * (g_n - h)
//   rows/loop        the same as a plain loop (g++'s own vectorization)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <type_traits>
#include <utility>

#include "modyn/backend/cpu.hpp"

namespace {

// benchmark::DoNotOptimize on a non-const lvalue uses an asm "+m,r" operand,
// which g++ 12.2 miscompiles: the value is not stored to the stack slot it then
// reads back (a pointer passed through it became garbage and bench_map
// crashed). The const overload ("r,m" input plus a memory clobber) is sound and
// still makes the pointed-to memory escape, so it is used throughout.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

// A 64-byte aligned float array from the backend's allocator, touched once
// (so page faults happen in set-up, not in the timed loop).
class buffer {
 public:
  explicit buffer(std::size_t n) : n_(n), p_(modyn::cpu::allocate<float>(n)) {}
  ~buffer() { modyn::cpu::deallocate(p_, n_); }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  float* data() noexcept { return p_; }
  const float* data() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }

 private:
  std::size_t n_;
  float* p_;
};

void fill_pattern(buffer& x, float offset) {
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = offset + static_cast<float>(i % 97) / 97.0f;
}

constexpr float k_a = 0.7f;
constexpr float k_b = 0.3f;
constexpr float k_dt = 0.1f;
constexpr float k_s = 3.0f;

using fused_fn = void (*)(std::size_t, const float*, const float*, float*, float, float, float);

[[gnu::noipa]] void fused_modyn(std::size_t n, const float* i1, const float* i2, float* v, float a, float b,
                                float dt) {
  modyn::cpu::map(
      n,
      [=](const auto& x1, const auto& x2, auto& u) {
        using V = std::remove_cvref_t<decltype(u)>;
        u = u + V(dt) * (V(a) * x1 + V(b) * x2 - u);
      },
      i1, i2, v);
}

// A true scalar baseline: the same loop with the loop and SLP vectorizers off.
[[gnu::noipa, gnu::optimize("no-tree-loop-vectorize", "no-tree-slp-vectorize")]] void fused_scalar(
    std::size_t n, const float* __restrict i1, const float* __restrict i2, float* __restrict v, float a,
    float b, float dt) {
  for (std::size_t i = 0; i < n; ++i) v[i] = v[i] + dt * (a * i1[i] + b * i2[i] - v[i]);
}

// What g++ -O3 -march=native makes of the plain loop.
[[gnu::noipa]] void fused_autovec(std::size_t n, const float* __restrict i1, const float* __restrict i2,
                                  float* __restrict v, float a, float b, float dt) {
  for (std::size_t i = 0; i < n; ++i) v[i] = v[i] + dt * (a * i1[i] + b * i2[i] - v[i]);
}

// The same, asking g++ for 512-bit vectors.
[[gnu::noipa, gnu::target("prefer-vector-width=512")]] void fused_autovec_zmm(std::size_t n,
                                                                              const float* __restrict i1,
                                                                              const float* __restrict i2,
                                                                              float* __restrict v, float a,
                                                                              float b, float dt) {
  for (std::size_t i = 0; i < n; ++i) v[i] = v[i] + dt * (a * i1[i] + b * i2[i] - v[i]);
}

[[gnu::noipa]] void triad(std::size_t n, float* __restrict a, const float* __restrict b,
                          const float* __restrict c, float s) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

void bm_fused(benchmark::State& state, fused_fn fn) {
  const auto n = static_cast<std::size_t>(state.range(0));
  buffer i1(n), i2(n), v(n);
  fill_pattern(i1, 0.5f);
  fill_pattern(i2, -0.25f);
  std::fill_n(v.data(), n, 0.0f);
  const float* p1 = i1.data();
  const float* p2 = i2.data();
  float* pv = v.data();
  keep(p1);  // the arrays escape: their contents are observable
  keep(p2);
  keep(pv);
  for (auto _ : state) {
    fn(n, p1, p2, pv, k_a, k_b, k_dt);
    benchmark::ClobberMemory();  // the stores to v must happen every iteration
  }
  keep(pv[n - 1]);
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  const auto elements = static_cast<std::int64_t>(n);
  state.SetItemsProcessed(iterations * elements);
  state.SetBytesProcessed(iterations * elements * 4 * static_cast<std::int64_t>(sizeof(float)));
}

void bm_triad(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  buffer a(n), b(n), c(n);
  std::fill_n(a.data(), n, 0.0f);
  fill_pattern(b, 0.5f);
  fill_pattern(c, -0.25f);
  float* pa = a.data();
  const float* pb = b.data();
  const float* pc = c.data();
  keep(pa);
  keep(pb);
  keep(pc);
  for (auto _ : state) {
    triad(n, pa, pb, pc, k_s);
    benchmark::ClobberMemory();
  }
  keep(pa[n - 1]);
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  const auto elements = static_cast<std::int64_t>(n);
  const auto bytes = static_cast<std::int64_t>(sizeof(float));
  state.SetItemsProcessed(iterations * elements);
  state.SetBytesProcessed(iterations * elements * 3 * bytes);  // STREAM's convention
  state.counters["traffic_per_second"] =
      benchmark::Counter(static_cast<double>(iterations * elements * 4 * bytes), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1024);  // with the write-allocate read of a[]
}

// The GRU-like update over rows of L (benchmarks/map.cpp's header).
struct gru_like_kernel {
  template <class Vec>
  MODYN_ALWAYS_INLINE void operator()(const Vec& gz, const Vec& gn, const Vec& bias, Vec& h) const {
    h = h + (gz + bias) * (gn - h);
  }
};

using rows_fn = void (*)(std::size_t, std::size_t, const float*, const float*, float*);

[[gnu::noipa]] void rows_modyn(std::size_t rows, std::size_t length, const float* gates, const float* bias,
                               float* h) {
  modyn::cpu::map(rows * length, gru_like_kernel{}, modyn::strided_rows(gates, length, 3 * length),
                  modyn::strided_rows(gates + length, length, 3 * length), modyn::broadcast_row(bias, length),
                  h);
}

[[gnu::noipa]] void rows_loop(std::size_t rows, std::size_t length, const float* __restrict gates,
                              const float* __restrict bias, float* __restrict h) {
  for (std::size_t r = 0; r < rows; ++r) {
    const float* gz = gates + r * 3 * length;
    const float* gn = gz + length;
    float* hr = h + r * length;
    for (std::size_t j = 0; j < length; ++j) hr[j] = hr[j] + (gz[j] + bias[j]) * (gn[j] - hr[j]);
  }
}

// range(0): the row length L, range(1): the rows.
void bm_rows(benchmark::State& state, rows_fn fn) {
  const auto length = static_cast<std::size_t>(state.range(0));
  const auto rows = static_cast<std::size_t>(state.range(1));
  buffer gates(rows * 3 * length), bias(length), h(rows * length);
  fill_pattern(gates, -0.5f);
  fill_pattern(bias, 0.125f);
  std::fill_n(h.data(), h.size(), 0.0f);
  const float* pg = gates.data();
  const float* pb = bias.data();
  float* ph = h.data();
  keep(pg);
  keep(pb);
  keep(ph);
  for (auto _ : state) {
    fn(rows, length, pg, pb, ph);
    benchmark::ClobberMemory();
  }
  keep(ph[0]);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rows * length));
}

// All variants must compute the same thing (up to FMA contraction).
bool variants_agree() {
  constexpr std::size_t n = 1000 + 7;  // a vector body and a tail
  buffer i1(n), i2(n);
  fill_pattern(i1, 0.5f);
  fill_pattern(i2, -0.25f);
  const fused_fn variants[] = {fused_modyn, fused_scalar, fused_autovec, fused_autovec_zmm};
  buffer reference(n);
  std::fill_n(reference.data(), n, 1.0f);
  for (int step = 0; step < 3; ++step)
    fused_scalar(n, i1.data(), i2.data(), reference.data(), k_a, k_b, k_dt);
  for (const fused_fn fn : variants) {
    buffer v(n);
    std::fill_n(v.data(), n, 1.0f);
    for (int step = 0; step < 3; ++step) fn(n, i1.data(), i2.data(), v.data(), k_a, k_b, k_dt);
    for (std::size_t i = 0; i < n; ++i) {
      if (std::fabs(v.data()[i] - reference.data()[i]) > 1e-5f * (1.0f + std::fabs(reference.data()[i]))) {
        std::fprintf(stderr, "bench_map: variant results differ at %zu: %g vs %g\n", i,
                     static_cast<double>(v.data()[i]), static_cast<double>(reference.data()[i]));
        return false;
      }
    }
  }
  // The row variants on every row length 1 .. 40, over 3 rows.
  for (std::size_t length = 1; length <= 40; ++length) {
    constexpr std::size_t rows = 3;
    buffer gates(rows * 3 * length), bias(length), h(rows * length), reference(rows * length);
    fill_pattern(gates, -0.5f);
    fill_pattern(bias, 0.125f);
    fill_pattern(h, 0.25f);
    std::copy_n(h.data(), h.size(), reference.data());
    rows_modyn(rows, length, gates.data(), bias.data(), h.data());
    rows_loop(rows, length, gates.data(), bias.data(), reference.data());
    for (std::size_t i = 0; i < h.size(); ++i) {
      if (std::fabs(h.data()[i] - reference.data()[i]) > 1e-5f * (1.0f + std::fabs(reference.data()[i]))) {
        std::fprintf(stderr, "bench_map: rows of %zu differ at %zu: %g vs %g\n", length, i,
                     static_cast<double>(h.data()[i]), static_cast<double>(reference.data()[i]));
        return false;
      }
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (!variants_agree()) return 1;
  // 4K, 64K, 1M, 16M floats per array (16 KiB .. 64 MiB each).
  const auto sizes = [](benchmark::internal::Benchmark* b) {
    b->RangeMultiplier(16)->Range(1 << 12, 1 << 24);
  };
  sizes(benchmark::RegisterBenchmark("map/modyn", bm_fused, fused_modyn));
  sizes(benchmark::RegisterBenchmark("map/scalar", bm_fused, fused_scalar));
  sizes(benchmark::RegisterBenchmark("map/autovec", bm_fused, fused_autovec));
  sizes(benchmark::RegisterBenchmark("map/autovec_zmm", bm_fused, fused_autovec_zmm));
  sizes(benchmark::RegisterBenchmark("triad", bm_triad));
  // Short passes, mostly tail: 8, 20 and 40 elements (rows of a small cell).
  benchmark::RegisterBenchmark("map/modyn/short", bm_fused, fused_modyn)->Arg(8)->Arg(20)->Arg(40);
  for (const rows_fn fn : {rows_modyn, rows_loop}) {
    benchmark::RegisterBenchmark(fn == rows_modyn ? "rows/modyn" : "rows/loop", bm_rows, fn)
        ->ArgNames({"L", "rows"})
        ->ArgsProduct({{8, 20, 40}, {1, 16}});
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
