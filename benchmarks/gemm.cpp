// modyn::cpu::gemm against Eigen used directly (row-major MatrixXf products
// with noalias), on square sizes and on the GEMM shapes of the models in
// shared/BENCHMARKS.md, plus a tight FMA loop that measures this core's FP32
// peak. Both GEMMs run on the same buffers (Eigen's matrices; modyn gets their
// data pointers), so alignment and cache state are the same.
//
// Shapes are M x K times K x N (C is M x N); FLOPs are 2 M N K per call, and
// the counter `flops` is a rate (FLOP/s).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>

#include "fma_peak.hpp"
#include "modyn/backend/cpu.hpp"  // includes Eigen (and the intrinsics) with modyn's warning guards

namespace {

// benchmark::DoNotOptimize on a non-const lvalue uses an asm "+m,r" operand,
// which g++ 12.2 miscompiles (the value is not stored to the stack slot it is
// read back from). The const overload is sound; see map.cpp.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Shape {
  const char* label;
  Eigen::Index m, k, n;
  bool ta = false;  // A stored (k, m), used transposed
  bool tb = false;  // B stored (n, k), used transposed
};

// Square sizes, then the models' products (batch rows times weights).
const Shape shapes[] = {
    {"square", 64, 64, 64},
    {"square", 256, 256, 256},
    {"square", 512, 512, 512},
    {"square", 1024, 1024, 1024},
    {"seedrnn_in", 128, 100, 20},               // seed RNN: x_t (B=128, 100) -> 20
    {"seedrnn_rec", 128, 20, 20},               // seed RNN: h (128, 20) -> 20
    {"rnn512_in", 64, 256, 512},                // rnn-512: x_t (B=64, 256) -> 512
    {"rnn512_rec", 64, 512, 512},               // rnn-512: h (64, 512) -> 512
    {"rnn512_out", 64, 512, 10},                // rnn-512: Dense(512 -> 10)
    {"mlp_l1", 256, 784, 256},                  // MLP: Dense(784 -> 256), batch 256
    {"mlp_l3", 256, 256, 10},                   // MLP: Dense(256 -> 10)
    {"lifsnn_in", 64, 100, 256},                // LIF-SNN: Dense(100 -> 256), B=64
    {"lifsnn_chunk", 256, 100, 256},            // LIF-SNN: the same, a hoisted chunk of 4 steps
    {"lifsnn_all", 6400, 100, 256},             // LIF-SNN: the same, all 100 steps at once
    {"rnn512_chunk", 128, 256, 512},            // rnn-512: x W_ih, a hoisted chunk of 2 steps
    {"rnn512_all", 6400, 256, 512},             // rnn-512: x W_ih, all 100 steps at once
    {"mlp_l1_dW", 784, 256, 256, true, false},  // MLP training: X^T dY
    {"mlp_l1_dX", 256, 256, 784, false, true},  // MLP training: dY W^T
};

struct Operands {
  RowMatrix a, b, c;
  explicit Operands(const Shape& s) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const auto random = [&](Eigen::Index rows, Eigen::Index cols) {
      RowMatrix x(rows, cols);
      for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = dist(rng);
      return x;
    };
    a = s.ta ? random(s.k, s.m) : random(s.m, s.k);
    b = s.tb ? random(s.n, s.k) : random(s.k, s.n);
    c = RowMatrix::Zero(s.m, s.n);
  }
};

void run_modyn(const Shape& s, Operands& x) {
  using modyn::Transpose;
  const auto u = [](Eigen::Index i) { return static_cast<std::size_t>(i); };
  modyn::cpu::gemm(s.ta ? Transpose::yes : Transpose::no, s.tb ? Transpose::yes : Transpose::no, u(s.m),
                   u(s.n), u(s.k), 1.0f, x.a.data(), u(x.a.cols()), x.b.data(), u(x.b.cols()), 0.0f,
                   x.c.data(), u(x.c.cols()));
}

void run_eigen(const Shape& s, Operands& x) {
  if (!s.ta && !s.tb)
    x.c.noalias() = x.a * x.b;
  else if (s.ta && !s.tb)
    x.c.noalias() = x.a.transpose() * x.b;
  else if (!s.ta && s.tb)
    x.c.noalias() = x.a * x.b.transpose();
  else
    x.c.noalias() = x.a.transpose() * x.b.transpose();
}

template <void (*Run)(const Shape&, Operands&)>
void bm_gemm(benchmark::State& state, const Shape& s) {
  Operands x(s);
  keep(x.a.data());  // the operands escape: C's contents are observable
  keep(x.b.data());
  keep(x.c.data());
  for (auto _ : state) {
    Run(s, x);
    benchmark::ClobberMemory();  // C is written every iteration
  }
  state.counters["flops"] = benchmark::Counter(2.0 * static_cast<double>(s.m * s.n * s.k),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// modyn's result must equal Eigen's (same library underneath; allow for
// a different summation order all the same).
bool results_agree() {
  for (const Shape& s : shapes) {
    Operands x(s);
    run_eigen(s, x);
    const RowMatrix expected = x.c;
    x.c.setConstant(NAN);  // beta == 0: C must not be read
    run_modyn(s, x);
    const float error = (x.c - expected).cwiseAbs().maxCoeff();
    if (!(error <= 1e-4f * static_cast<float>(s.k))) {
      std::fprintf(stderr, "bench_gemm: modyn and Eigen differ by %g on %s %ldx%ldx%ld\n",
                   static_cast<double>(error), s.label, static_cast<long>(s.m), static_cast<long>(s.k),
                   static_cast<long>(s.n));
      return false;
    }
  }
  return true;
}

// ---- FP32 peak of one core ---------------------------------------------------
// Independent FMA chains (more than latency x ports), all in registers.

using bench_peak::fma_loop_256;
using bench_peak::fma_loop_512;  // benchmarks/fma_peak.hpp
constexpr int chains = bench_peak::chains;
constexpr std::int64_t fma_rounds = bench_peak::rounds;

template <float (*Loop)(std::int64_t, float, float), int Lanes>
void bm_fma_peak(benchmark::State& state) {
  // acc -> y / (1 - x) = 1: no overflow, no denormals. Loop is noipa, so the
  // arguments are not propagated into it.
  for (auto _ : state) keep(Loop(fma_rounds, 0.999f, 0.001f));
  state.counters["flops"] = benchmark::Counter(2.0 * Lanes * chains * static_cast<double>(fma_rounds),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

std::string name_of(const char* impl, const Shape& s) {
  std::string name = std::string("gemm/") + impl + "/" + s.label + "/M" + std::to_string(s.m) + "_K" +
                     std::to_string(s.k) + "_N" + std::to_string(s.n);
  if (s.ta || s.tb) name += std::string("_") + (s.ta ? "T" : "N") + (s.tb ? "T" : "N");
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  if (!results_agree()) return 1;
#if defined(__AVX512F__)
  benchmark::RegisterBenchmark("peak/fma512", bm_fma_peak<fma_loop_512, 16>);
#endif
#if defined(__AVX2__) && defined(__FMA__)
  benchmark::RegisterBenchmark("peak/fma256", bm_fma_peak<fma_loop_256, 8>);
#endif
  for (const Shape& s : shapes) {
    benchmark::RegisterBenchmark(name_of("modyn", s).c_str(), bm_gemm<run_modyn>, s);
    benchmark::RegisterBenchmark(name_of("eigen", s).c_str(), bm_gemm<run_eigen>, s);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
