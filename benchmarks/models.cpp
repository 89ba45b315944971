// Forward passes of the models of shared/BENCHMARKS.md ("Neural networks"),
// one thread: modyn (Sequential, LoopOverTime) against the same models written
// by hand with plain Eigen (row-major matrices, a per-step loop). libtorch's
// versions are in torch_models.cpp (a separate binary: its headers are slow to
// compile); benchmarks/run_models runs both and prints the comparison.
//
//   seed_rnn_fwd  Sequential(RNNCell(100 -> 20, tanh), relu, RNNCell(20 -> 2, tanh))
//                 in a LoopOverTime; x (T = 30, B = 128, 100) time major. The
//                 hidden state is reset every iteration (loop.reset_state(128)),
//                 as libtorch starts from a zero hidden state.
//   rnn512_fwd    Sequential(RNNCell(256 -> 512, tanh), relu, Dense(512 -> 10)); T = 100, B = 64.
//   mlp_fwd       Sequential(Dense(784 -> 256), relu, Dense(256 -> 256), relu, Dense(256 -> 10));
//                 batch 256, no loop.
//
// The hand-written Eigen versions use modyn's weights (copied out of the
// modules), preallocated buffers and noalias products:
//   h = tanh(x_t W_ih + h W_hh + b),  b = b_ih + b_hh,
// and main() checks that modyn's outputs have the expected shapes and equal
// Eigen's before anything is timed.
//
// Counters: `flops` (FLOP/s, 2 M N K per GEMM, see models_common.hpp) and
// items_per_second (sequences or samples per second); the time is per forward.
// CPU time is the process's (MeasureProcessCPUTime), so work on any helper
// thread would be counted; real time is reported as well.
#include <benchmark/benchmark.h>

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include <modyn/modyn.hpp>  // includes Eigen (and the intrinsics) with modyn's warning guards

#include "models_common.hpp"

namespace {

namespace bm = bench_models;

// benchmark::DoNotOptimize on a non-const lvalue uses an asm "+m,r" operand,
// which g++ 12.2 miscompiles (see map.cpp). Only the const overload is used.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

constexpr std::size_t sz(std::int64_t n) { return static_cast<std::size_t>(n); }
constexpr Eigen::Index ix(std::int64_t n) { return static_cast<Eigen::Index>(n); }

using Tensor = modyn::Tensor<float>;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;
using ConstRowMap = Eigen::Map<const RowMatrix>;
using RowMap = Eigen::Map<RowMatrix>;

// A copy of a modyn weight (in, out) or bias (out,) as an Eigen matrix.
RowMatrix to_matrix(const Tensor& t) {
  if (t.rank() != 2) throw std::runtime_error("bench_models: expected a 2-D weight");
  return ConstRowMap(t.data(), ix(static_cast<std::int64_t>(t.shape(0))), ix(static_cast<std::int64_t>(t.shape(1))));
}
RowVector to_row(const Tensor& t) {
  if (t.rank() != 1) throw std::runtime_error("bench_models: expected a 1-D bias");
  return Eigen::Map<const RowVector>(t.data(), ix(static_cast<std::int64_t>(t.size())));
}

Tensor random_input(modyn::Shape shape, std::uint64_t seed) { return modyn::Rng(seed).normal<float>(shape); }

// ---- the modyn models ----------------------------------------------------

auto make_seed_loop() {
  using namespace modyn;
  return LoopOverTime{Sequential{nn::RNNCell(sz(bm::seed::in), sz(bm::seed::hidden1), nn::Nonlinearity::tanh), relu,
                                 nn::RNNCell(sz(bm::seed::hidden1), sz(bm::seed::hidden2), nn::Nonlinearity::tanh)}};
}

auto make_rnn512_loop() {
  using namespace modyn;
  return LoopOverTime{Sequential{nn::RNNCell(sz(bm::rnn512::in), sz(bm::rnn512::hidden), nn::Nonlinearity::tanh),
                                 relu, nn::Dense(sz(bm::rnn512::hidden), sz(bm::rnn512::out))}};
}

auto make_mlp() {
  using namespace modyn;
  return Sequential{nn::Dense(sz(bm::mlp::in), sz(bm::mlp::hidden)), relu,
                    nn::Dense(sz(bm::mlp::hidden), sz(bm::mlp::hidden)), relu,
                    nn::Dense(sz(bm::mlp::hidden), sz(bm::mlp::out))};
}

Tensor seed_input() { return random_input({sz(bm::seed::steps), sz(bm::seed::batch), sz(bm::seed::in)}, 1); }
Tensor rnn512_input() { return random_input({sz(bm::rnn512::steps), sz(bm::rnn512::batch), sz(bm::rnn512::in)}, 2); }
Tensor mlp_input() { return random_input({sz(bm::mlp::batch), sz(bm::mlp::in)}, 3); }

// ---- the hand-written Eigen models --------------------------------------

// One tanh RNN layer: h = tanh(x W_ih + h W_hh + b).
struct EigenRnnLayer {
  RowMatrix w_ih, w_hh;
  RowVector b;
  RowMatrix h, pre;

  template <class Cell>
  explicit EigenRnnLayer(const Cell& cell)
      : w_ih(to_matrix(cell.weight_ih.value())),
        w_hh(to_matrix(cell.weight_hh.value())),
        b(to_row(cell.bias_ih.value()) + to_row(cell.bias_hh.value())) {}

  void reset(Eigen::Index batch) { h.setZero(batch, w_hh.rows()); }

  template <class X>
  const RowMatrix& step(const X& x) {
    pre.noalias() = x * w_ih;
    pre.noalias() += h * w_hh;
    // Bias in place, then tanh: h = (pre.rowwise() + b).array().tanh() would
    // run tanh scalar (Eigen 3.4 does not vectorize through the rowwise
    // broadcast) and make this baseline about 1.7x slower on the seed RNN.
    pre.rowwise() += b;
    h = pre.array().tanh().matrix();
    return h;
  }
};

struct EigenDense {
  RowMatrix w;
  RowVector b;
  RowMatrix y;

  template <class D>
  explicit EigenDense(const D& dense) : w(to_matrix(dense.weight.value())), b(to_row(dense.bias.value())) {}

  template <class X>
  const RowMatrix& forward(const X& x) {
    y.noalias() = x * w;
    y.rowwise() += b;
    return y;
  }
};

// The seed RNN; out is (T * B, 2): row t * B + b is step t, sample b.
struct EigenSeedRnn {
  EigenRnnLayer l1, l2;
  RowMatrix r1, out;

  template <class Loop>
  explicit EigenSeedRnn(const Loop& loop) : l1(loop.model().template get<0>()), l2(loop.model().template get<2>()) {}

  const RowMatrix& forward(const float* x) {
    constexpr Eigen::Index steps = ix(bm::seed::steps), batch = ix(bm::seed::batch), in = ix(bm::seed::in);
    l1.reset(batch);
    l2.reset(batch);
    out.resize(steps * batch, l2.w_hh.rows());
    for (Eigen::Index t = 0; t < steps; ++t) {
      const ConstRowMap x_t(x + t * batch * in, batch, in);
      r1 = l1.step(x_t).cwiseMax(0.0f);
      out.middleRows(t * batch, batch) = l2.step(r1);
    }
    return out;
  }
};

// rnn-512; out is (T * B, 10).
struct EigenRnn512 {
  EigenRnnLayer l1;
  EigenDense d;
  RowMatrix r1, out;

  template <class Loop>
  explicit EigenRnn512(const Loop& loop) : l1(loop.model().template get<0>()), d(loop.model().template get<2>()) {}

  const RowMatrix& forward(const float* x) {
    constexpr Eigen::Index steps = ix(bm::rnn512::steps), batch = ix(bm::rnn512::batch), in = ix(bm::rnn512::in);
    l1.reset(batch);
    out.resize(steps * batch, d.w.cols());
    for (Eigen::Index t = 0; t < steps; ++t) {
      const ConstRowMap x_t(x + t * batch * in, batch, in);
      r1 = l1.step(x_t).cwiseMax(0.0f);
      out.middleRows(t * batch, batch) = d.forward(r1);
    }
    return out;
  }
};

struct EigenMlp {
  EigenDense d1, d2, d3;
  RowMatrix r1, r2;

  template <class Seq>
  explicit EigenMlp(const Seq& mlp) : d1(mlp.template get<0>()), d2(mlp.template get<2>()), d3(mlp.template get<4>()) {}

  const RowMatrix& forward(const float* x) {
    const ConstRowMap input(x, ix(bm::mlp::batch), ix(bm::mlp::in));
    r1 = d1.forward(input).cwiseMax(0.0f);
    r2 = d2.forward(r1).cwiseMax(0.0f);
    return d3.forward(r2);
  }
};

// ---- checks ---------------------------------------------------------------

// The largest |a - b| over n elements, NaN-aware (NaN compares as failure).
double max_abs_diff(const float* a, const float* b, std::size_t n) {
  double worst = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (!(d <= worst)) worst = std::isnan(d) ? INFINITY : d;
  }
  return worst;
}

bool check_shape(const char* what, const modyn::Shape& got, const modyn::Shape& expected) {
  if (got == expected) return true;
  std::fprintf(stderr, "bench_models: %s output has shape %s, expected %s\n", what, got.to_string().c_str(),
               expected.to_string().c_str());
  return false;
}

bool check_close(const char* what, const Tensor& y, const RowMatrix& reference, double tolerance) {
  if (static_cast<std::size_t>(reference.size()) != y.size()) {
    std::fprintf(stderr, "bench_models: %s: modyn has %zu outputs, Eigen %ld\n", what, y.size(),
                 static_cast<long>(reference.size()));
    return false;
  }
  const double diff = max_abs_diff(y.data(), reference.data(), y.size());
  double scale = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) scale = std::max(scale, std::fabs(static_cast<double>(y.data()[i])));
  std::fprintf(stderr, "bench_models: %-13s modyn vs hand Eigen: max |diff| %.3g (tolerance %.0e, max |y| %.3g)\n",
               what, diff, tolerance, scale);
  if (diff <= tolerance && scale > 0.0) return true;
  std::fprintf(stderr, "bench_models: %s: modyn and Eigen disagree (or the output is all zeros)\n", what);
  return false;
}

// Shapes, modyn == Eigen, and modyn's warm call == its first call.
bool outputs_agree() {
  bool ok = true;
  {
    auto loop = make_seed_loop();
    const Tensor x = seed_input();
    loop.reset_state(sz(bm::seed::batch));
    const Tensor first(loop(x));
    loop.reset_state(sz(bm::seed::batch));
    const Tensor& y = loop(x);
    ok &= check_shape("seed_rnn_fwd", y.shape(), {sz(bm::seed::steps), sz(bm::seed::batch), sz(bm::seed::hidden2)});
    ok &= max_abs_diff(first.data(), y.data(), y.size()) == 0.0;
    EigenSeedRnn eigen(loop);
    ok &= check_close("seed_rnn_fwd", y, eigen.forward(x.data()), 1e-4);
  }
  {
    auto loop = make_rnn512_loop();
    const Tensor x = rnn512_input();
    loop.reset_state(sz(bm::rnn512::batch));
    const Tensor& y = loop(x);
    ok &= check_shape("rnn512_fwd", y.shape(), {sz(bm::rnn512::steps), sz(bm::rnn512::batch), sz(bm::rnn512::out)});
    EigenRnn512 eigen(loop);
    ok &= check_close("rnn512_fwd", y, eigen.forward(x.data()), 1e-4);
  }
  {
    auto mlp = make_mlp();
    const Tensor x = mlp_input();
    const Tensor& y = mlp(x);
    ok &= check_shape("mlp_fwd", y.shape(), {sz(bm::mlp::batch), sz(bm::mlp::out)});
    EigenMlp eigen(mlp);
    ok &= check_close("mlp_fwd", y, eigen.forward(x.data()), 1e-4);
  }
  return ok;
}

// ---- benchmarks -----------------------------------------------------------

void set_counters(benchmark::State& state, double flops, std::int64_t items) {
  state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items);
}

void bm_seed_modyn(benchmark::State& state) {
  auto loop = make_seed_loop();
  const Tensor x = seed_input();
  for (auto _ : state) {
    loop.reset_state(sz(bm::seed::batch));  // a zero hidden state, part of the work
    const Tensor& y = loop(x);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::seed::flops, bm::seed::batch);
}

void bm_seed_eigen(benchmark::State& state) {
  const auto loop = make_seed_loop();
  const Tensor x = seed_input();
  EigenSeedRnn model(loop);
  for (auto _ : state) {
    const RowMatrix& y = model.forward(x.data());
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::seed::flops, bm::seed::batch);
}

void bm_rnn512_modyn(benchmark::State& state) {
  auto loop = make_rnn512_loop();
  const Tensor x = rnn512_input();
  for (auto _ : state) {
    loop.reset_state(sz(bm::rnn512::batch));
    const Tensor& y = loop(x);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::rnn512::flops, bm::rnn512::batch);
}

void bm_rnn512_eigen(benchmark::State& state) {
  const auto loop = make_rnn512_loop();
  const Tensor x = rnn512_input();
  EigenRnn512 model(loop);
  for (auto _ : state) {
    const RowMatrix& y = model.forward(x.data());
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::rnn512::flops, bm::rnn512::batch);
}

void bm_mlp_modyn(benchmark::State& state) {
  auto mlp = make_mlp();
  const Tensor x = mlp_input();
  for (auto _ : state) {
    const Tensor& y = mlp(x);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::mlp::flops, bm::mlp::batch);
}

void bm_mlp_eigen(benchmark::State& state) {
  const auto mlp = make_mlp();
  const Tensor x = mlp_input();
  EigenMlp model(mlp);
  for (auto _ : state) {
    const RowMatrix& y = model.forward(x.data());
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::mlp::flops, bm::mlp::batch);
}

// The GEMM modyn runs on, in the JSON context. With MODYN_USE_CBLAS (OpenBLAS),
// OpenBLAS is held to one thread and its kernel set is reported.
std::string configure_gemm() {
#if MODYN_USE_CBLAS
  std::string gemm = "CBLAS";
  if (auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_threads(1);
  }
  if (auto corename = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) {
    gemm += std::string(" (OpenBLAS, core ") + corename() + ")";
  }
  if (auto threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
    gemm += ", " + std::to_string(threads()) + " thread(s)";
  }
  return gemm;
#else
  return "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION) + " (" + Eigen::SimdInstructionSetsInUse() + ")";
#endif
}

}  // namespace

int main(int argc, char** argv) {
  const std::string gemm = configure_gemm();
  std::fprintf(stderr, "bench_models: modyn GEMM: %s\n", gemm.c_str());
  benchmark::AddCustomContext("modyn_gemm", gemm);
  if (!outputs_agree()) return 1;
  const auto reg = [](const std::string& name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
  };
  const std::string seed = bm::seed_name, rnn512 = bm::rnn512_name, mlp = bm::mlp_name;
  reg(seed + "/modyn", bm_seed_modyn);
  reg(seed + "/eigen", bm_seed_eigen);
  reg(rnn512 + "/modyn", bm_rnn512_modyn);
  reg(rnn512 + "/eigen", bm_rnn512_eigen);
  reg(mlp + "/modyn", bm_mlp_modyn);
  reg(mlp + "/eigen", bm_mlp_eigen);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
