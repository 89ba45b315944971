// The GEMM libraries of Debian 12 side by side, on every GEMM shape of the
// benchmarked models (shared/BENCHMARKS.md) and of their training steps (the
// transposed products of backward), plus the batch-1 shapes of streaming
// cells: Eigen (modyn's header-only fallback), libxsmm's JIT kernels (linked:
// Debian ships it static), and OpenBLAS, BLIS and oneDNN, each opened with
// dlopen so that their identical CBLAS symbols do not clash. One thread each
// (benchmarks/run_gemm_libraries sets the libraries' thread variables).
//
// Every library's result is checked against a double-precision product
// before it is timed. Prints, per shape, the median time of each library and
// its fraction of the FP32 peak measured by an FMA loop in the same run, and
// which library is fastest; `modyn` is cpu::gemm as this build configured it.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#if MODYN_USE_LIBXSMM
#include <libxsmm.h>
#endif

#include "fma_peak.hpp"

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct Shape {
  const char* label;
  int m, k, n;
  bool ta = false;  // A stored (k, m)
  bool tb = false;  // B stored (n, k)
};

// M x K times K x N. "dW" products are X^T dY (ta), "dX" products dY W^T (tb).
const Shape shapes[] = {
    {"seed rnn  in", 128, 100, 20},
    {"seed rnn  rec", 128, 20, 20},
    {"seed rnn  l2 in", 128, 20, 2},
    {"seed rnn  l2 rec", 128, 2, 2},
    {"seed rnn  dW in", 100, 128, 20, true},
    {"seed rnn  dW rec", 20, 128, 20, true},
    {"seed rnn  dX rec", 128, 20, 20, false, true},
    {"rnn-512   in", 64, 256, 512},
    {"rnn-512   rec", 64, 512, 512},
    {"rnn-512   out", 64, 512, 10},
    {"rnn-512   dW in", 256, 64, 512, true},
    {"rnn-512   dW rec", 512, 64, 512, true},
    {"rnn-512   dX rec", 64, 512, 512, false, true},
    {"rnn-512   dX out", 64, 10, 512, false, true},
    {"mlp       l1", 256, 784, 256},
    {"mlp       l2", 256, 256, 256},
    {"mlp       l3", 256, 256, 10},
    {"lif-snn   in", 64, 100, 256},
    {"lif-snn   dW in", 100, 64, 256, true},
    {"batch-1   gru 1->8 rec", 1, 8, 24},
    {"batch-1   gru 1->40 rec", 1, 40, 120},
    {"batch-1   lstm 1->32 rec", 1, 32, 128},
    {"batch-1   lstm 8->64 rec", 1, 64, 256},
    {"batch-1   lstm 8->64 in", 1, 8, 256},
    {"square    1024", 1024, 1024, 1024},
};

struct Operands {
  RowMatrix a, b, c;
  Eigen::MatrixXd expected;
  explicit Operands(const Shape& s) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    const auto random = [&](int rows, int cols) {
      RowMatrix x(rows, cols);
      for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = dist(rng);
      return x;
    };
    a = s.ta ? random(s.k, s.m) : random(s.m, s.k);
    b = s.tb ? random(s.n, s.k) : random(s.k, s.n);
    c = RowMatrix::Zero(s.m, s.n);
    const Eigen::MatrixXd ad = a.cast<double>(), bd = b.cast<double>();
    expected = (s.ta ? Eigen::MatrixXd(ad.transpose()) : ad) * (s.tb ? Eigen::MatrixXd(bd.transpose()) : bd);
  }
};

// One library's C = op(A) op(B) on a shape, prepared once (kernels dispatched,
// symbols resolved): a callable, or nothing where the library has no kernel.
// (A std::function costs about 1 ns per call, the same for every library; it
// shows only on the batch-1 shapes.)
using Run = std::function<void(Operands&)>;

// ---- the libraries ------------------------------------------------------------------

Run eigen_direct(const Shape& s) {
  return [s](Operands& x) {
    if (!s.ta && !s.tb)
      x.c.noalias() = x.a * x.b;
    else if (s.ta && !s.tb)
      x.c.noalias() = x.a.transpose() * x.b;
    else
      x.c.noalias() = x.a * x.b.transpose();
  };
}

Run modyn_configured(const Shape& s) {
  return [s](Operands& x) {
    using modyn::Transpose;
    modyn::cpu::gemm(s.ta ? Transpose::yes : Transpose::no, s.tb ? Transpose::yes : Transpose::no,
                     std::size_t(s.m), std::size_t(s.n), std::size_t(s.k), 1.0f, x.a.data(),
                     std::size_t(x.a.cols()), x.b.data(), std::size_t(x.b.cols()), 0.0f, x.c.data(),
                     std::size_t(s.n));
  };
}

#if MODYN_USE_LIBXSMM
std::optional<Run> libxsmm_jit(const Shape& s) {
  // Column-major C^T = op(B)^T op(A)^T: libxsmm's A is our B.
  const libxsmm_blasint lda = s.tb ? s.k : s.n, ldb = s.ta ? s.m : s.k, ldc = s.n;
  const int flags = (s.tb ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) | (s.ta ? LIBXSMM_GEMM_FLAG_TRANS_B : 0) |
                    LIBXSMM_GEMM_FLAG_BETA_0;
  const float alpha = 1, beta = 0;
  const libxsmm_smmfunction kernel =
      libxsmm_smmdispatch(s.n, s.m, s.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
  if (!kernel) return std::nullopt;
  return Run([kernel](Operands& x) { kernel(x.b.data(), x.a.data(), x.c.data()); });
}
#endif

// A CBLAS library's cblas_sgemm, from its shared object.
using cblas_sgemm_fn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int,
                                float, float*, int);
// oneDNN's row-major BLAS-like entry point.
using dnnl_sgemm_fn = int (*)(char, char, long, long, long, float, const float*, long, const float*, long,
                              float, float*, long);

void* open_first(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (void* handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)) return handle;
  }
  return nullptr;
}

std::optional<Run> cblas_library(void* handle, const Shape& s) {
  if (!handle) return std::nullopt;
  const auto sgemm = reinterpret_cast<cblas_sgemm_fn>(dlsym(handle, "cblas_sgemm"));
  if (!sgemm) return std::nullopt;
  return Run([sgemm, s](Operands& x) {
    constexpr int row_major = 101, no_trans = 111, trans = 112;
    sgemm(row_major, s.ta ? trans : no_trans, s.tb ? trans : no_trans, s.m, s.n, s.k, 1.0f, x.a.data(),
          int(x.a.cols()), x.b.data(), int(x.b.cols()), 0.0f, x.c.data(), s.n);
  });
}

std::optional<Run> onednn(void* handle, const Shape& s) {
  if (!handle) return std::nullopt;
  const auto sgemm = reinterpret_cast<dnnl_sgemm_fn>(dlsym(handle, "dnnl_sgemm"));
  if (!sgemm) return std::nullopt;
  return Run([sgemm, s](Operands& x) {
    sgemm(s.ta ? 'T' : 'N', s.tb ? 'T' : 'N', s.m, s.n, s.k, 1.0f, x.a.data(), x.a.cols(), x.b.data(),
          x.b.cols(), 0.0f, x.c.data(), s.n);
  });
}

// ---- timing ---------------------------------------------------------------------------

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Median over `repeats` of the mean time of one call, each sample ~20 ms.
double median_seconds(const Run& run, Operands& x, int repeats) {
  run(x);  // warm: caches, JIT, the library's own set-up
  int calls = 1;
  for (auto t0 = std::chrono::steady_clock::now(); seconds_since(t0) < 0.02; calls *= 2) {
    for (int i = 0; i < calls; ++i) run(x);
    t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) run(x);
    if (seconds_since(t0) >= 0.02) break;
  }
  std::vector<double> samples;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) run(x);
    samples.push_back(seconds_since(t0) / calls);
  }
  std::nth_element(samples.begin(), samples.begin() + repeats / 2, samples.end());
  return samples[static_cast<std::size_t>(repeats / 2)];
}

double peak_gflops(int repeats) { return bench_peak::measure_gflops(repeats); }

bool agrees(const Shape& s, Operands& x, const Run& run, const char* library) {
  x.c.setConstant(NAN);  // beta = 0: C must not be read
  run(x);
  const double error = (x.c.cast<double>() - x.expected).cwiseAbs().maxCoeff();
  if (error <= 1e-5 * s.k) return true;
  std::fprintf(stderr, "bench_gemm_libraries: %s is off by %g on %s\n", library, error, s.label);
  return false;
}

}  // namespace

int main() {
  const int repeats = std::getenv("REPEAT") ? std::max(1, std::atoi(std::getenv("REPEAT"))) : 7;
  void* openblas = open_first({"libopenblas.so.0", "libopenblas.so"});
  void* blis =
      open_first({"/usr/lib/x86_64-linux-gnu/blis-serial/libblis.so.4", "libblis.so.4", "libblis.so"});
  void* dnnl = open_first({"libdnnl.so.2", "libdnnl.so"});
  const double peak = peak_gflops(repeats);
  std::printf("FP32 peak of one core (FMA loop, median of %d): %.1f GFLOP/s\n", repeats, peak);
  std::printf("modyn's cpu::gemm runs on: %s\n", std::string(modyn::cpu::gemm_library).c_str());
  std::printf("libraries: eigen %d.%d.%d, libxsmm %s, openblas %s, blis %s, onednn %s\n\n",
              EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION,
              MODYN_USE_LIBXSMM ? "linked" : "not configured", openblas ? "found" : "missing",
              blis ? "found" : "missing", dnnl ? "found" : "missing");

  const char* names[] = {"eigen", "libxsmm", "openblas", "blis", "onednn", "modyn"};
  std::printf("%-26s %-14s", "shape (M x K x N, op)", "");
  for (const char* name : names) std::printf(" %17s", name);
  std::printf("  fastest\n");
  int failures = 0;
  for (const Shape& s : shapes) {
    Operands x(s);
    std::optional<Run> runs[] = {
      eigen_direct(s),
#if MODYN_USE_LIBXSMM
      libxsmm_jit(s),
#else
      std::nullopt,
#endif
      cblas_library(openblas, s),
      cblas_library(blis, s),
      onednn(dnnl, s),
      modyn_configured(s),
    };
    const double flops = 2.0 * s.m * s.n * s.k;
    char dims[64];
    std::snprintf(dims, sizeof dims, "%dx%dx%d%s", s.m, s.k, s.n, s.ta ? " TN" : s.tb ? " NT" : "");
    std::printf("%-26s %-14s", s.label, dims);
    double best = INFINITY;
    const char* fastest = "";
    for (std::size_t i = 0; i < std::size(runs); ++i) {
      if (!runs[i]) {
        std::printf(" %17s", "-");
        continue;
      }
      if (!agrees(s, x, *runs[i], names[i])) {
        ++failures;
        std::printf(" %17s", "WRONG");
        continue;
      }
      const double t = median_seconds(*runs[i], x, repeats);
      char cell[32];
      std::snprintf(cell, sizeof cell, "%.3g us %3.0f%%", t * 1e6, 100.0 * flops / t / 1e9 / peak);
      std::printf(" %17s", cell);
      if (t < best && std::string(names[i]) != "modyn") best = t, fastest = names[i];
    }
    std::printf("  %s\n", fastest);
  }
  std::printf("\n(times are medians of %d; %% is the fraction of the measured peak)\n", repeats);
  return failures == 0 ? 0 : 1;
}
