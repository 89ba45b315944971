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
//   lif_snn_fwd   LoopOverTime{Sequential{nn::Dense(100 -> 256), dyn::LIF<float, cpu, euler>(256)}, {.dt =
//   0.1}}
//                 with tau = 1, R = 1, V_rest = V_reset = 0, V_th = 1, tau_ref = 0:
//                 v += 0.1 (-v + I), spike (1) when v >= 1, then v = 0; T = 100,
//                 B = 64, x ~ N(4, 1) (T, B, 100) time major (see models_common.hpp),
//                 output the spikes (T, B, 256). The loop runs the Dense once over
//                 all T x B rows (one GEMM), then the LIF step by step. Each
//                 iteration starts a fresh simulation: reset_state(64), reset_time().
//                 Breakdown rows, same workload name: modyn_gemm (the Dense alone
//                 over the (T, B, 100) input), modyn_steps (a LoopOverTime over
//                 the LIF alone fed the Dense's (T, B, 256) output), and
//                 eigen_gemm / eigen_steps, the two halves of the Eigen version.
//   modyn_whole   (rnn512_fwd and lif_snn_fwd) the same loop with
//                 LoopOptions::hoist_chunk_bytes = 0: the hoisted GEMM over all
//                 T x B rows at once instead of cache-sized chunks of steps.
//
// The hand-written Eigen versions use modyn's weights (copied out of the
// modules), preallocated buffers and noalias products:
//   h = tanh(x_t W_ih + h W_hh + b),  b = b_ih + b_hh,
// and main() checks that modyn's outputs have the expected shapes and equal
// Eigen's before anything is timed. The Eigen LIF-SNN is one GEMM over all
// T x B rows onto the bias rows (as nn::Dense does: the same Eigen product,
// so the currents are bitwise modyn's unless MODYN_BLAS is set), then a plain
// float loop per step (g++ -O3 -march=native vectorizes it) writing the
// spikes (T, B, 256) in place.
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
#include <modyn/modyn.hpp>  // includes Eigen (and the intrinsics) with modyn's warning guards
#include <string>
#include <utility>

#include "fma_peak.hpp"
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
  return ConstRowMap(t.data(), ix(static_cast<std::int64_t>(t.shape(0))),
                     ix(static_cast<std::int64_t>(t.shape(1))));
}
RowVector to_row(const Tensor& t) {
  if (t.rank() != 1) throw std::runtime_error("bench_models: expected a 1-D bias");
  return Eigen::Map<const RowVector>(t.data(), ix(static_cast<std::int64_t>(t.size())));
}

Tensor random_input(modyn::Shape shape, std::uint64_t seed) { return modyn::Rng(seed).normal<float>(shape); }

// ---- the modyn models ----------------------------------------------------

auto make_seed_loop() {
  using namespace modyn;
  return LoopOverTime{
      Sequential{nn::RNNCell(sz(bm::seed::in), sz(bm::seed::hidden1), nn::Nonlinearity::tanh), relu,
                 nn::RNNCell(sz(bm::seed::hidden1), sz(bm::seed::hidden2), nn::Nonlinearity::tanh)}};
}

// The seed RNN with sizes known at compile time (nn::RNNCell<100, 20>): each
// step of a cell is one fused kernel (nn/detail/static_step.hpp); the same
// weights as `source`'s.
template <class Loop>
auto make_seed_static_loop(const Loop& source) {
  using namespace modyn;
  auto loop = LoopOverTime{Sequential{nn::RNNCell<sz(bm::seed::in), sz(bm::seed::hidden1)>{}, relu,
                                      nn::RNNCell<sz(bm::seed::hidden1), sz(bm::seed::hidden2)>{}}};
  loop.model().load_state_dict(source.model().state_dict());
  return loop;
}

// hoist_chunk_bytes: LoopOptions' (0: the hoisted rows of all T steps at once).
auto make_rnn512_loop(std::size_t hoist_chunk_bytes = modyn::LoopOptions{}.hoist_chunk_bytes) {
  using namespace modyn;
  return LoopOverTime{
      Sequential{nn::RNNCell(sz(bm::rnn512::in), sz(bm::rnn512::hidden), nn::Nonlinearity::tanh), relu,
                 nn::Dense(sz(bm::rnn512::hidden), sz(bm::rnn512::out))},
      LoopOptions{.hoist_chunk_bytes = hoist_chunk_bytes}};
}

auto make_mlp() {
  using namespace modyn;
  return Sequential{nn::Dense(sz(bm::mlp::in), sz(bm::mlp::hidden)), relu,
                    nn::Dense(sz(bm::mlp::hidden), sz(bm::mlp::hidden)), relu,
                    nn::Dense(sz(bm::mlp::hidden), sz(bm::mlp::out))};
}

// v += 0.1 (-v + I), spike when v >= 1, reset to 0: Euler with dt / tau = 0.1.
using LifEuler = modyn::dyn::LIF<float, modyn::cpu, modyn::dyn::euler>;
constexpr LifEuler::Options lif_options{
    .V_rest = 0.0f, .V_reset = 0.0f, .V_th = 1.0f, .tau = 1.0f, .R = 1.0f, .tau_ref = 0.0f};

auto make_lif_loop(std::size_t hoist_chunk_bytes = modyn::LoopOptions{}.hoist_chunk_bytes) {
  using namespace modyn;
  return LoopOverTime{
      Sequential{nn::Dense(sz(bm::lif::in), sz(bm::lif::hidden)), LifEuler(sz(bm::lif::hidden), lif_options)},
      LoopOptions{.dt = bm::lif::dt, .hoist_chunk_bytes = hoist_chunk_bytes}};
}

// The LIF alone over precomputed currents (T, B, 256): the step half of lif_snn_fwd.
auto make_lif_steps_loop() {
  return modyn::LoopOverTime{LifEuler(sz(bm::lif::hidden), lif_options),
                             modyn::LoopOptions{.dt = bm::lif::dt}};
}

Tensor seed_input() { return random_input({sz(bm::seed::steps), sz(bm::seed::batch), sz(bm::seed::in)}, 1); }
Tensor rnn512_input() {
  return random_input({sz(bm::rnn512::steps), sz(bm::rnn512::batch), sz(bm::rnn512::in)}, 2);
}
Tensor mlp_input() { return random_input({sz(bm::mlp::batch), sz(bm::mlp::in)}, 3); }
Tensor lif_input() {
  return modyn::Rng(4).normal<float>({sz(bm::lif::steps), sz(bm::lif::batch), sz(bm::lif::in)},
                                     static_cast<float>(bm::lif::input_mean), 1.0f);
}

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
  explicit EigenSeedRnn(const Loop& loop)
      : l1(loop.model().template get<0>()), l2(loop.model().template get<2>()) {}

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
  explicit EigenRnn512(const Loop& loop)
      : l1(loop.model().template get<0>()), d(loop.model().template get<2>()) {}

  const RowMatrix& forward(const float* x) {
    constexpr Eigen::Index steps = ix(bm::rnn512::steps), batch = ix(bm::rnn512::batch),
                           in = ix(bm::rnn512::in);
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
  explicit EigenMlp(const Seq& mlp)
      : d1(mlp.template get<0>()), d2(mlp.template get<2>()), d3(mlp.template get<4>()) {}

  const RowMatrix& forward(const float* x) {
    const ConstRowMap input(x, ix(bm::mlp::batch), ix(bm::mlp::in));
    r1 = d1.forward(input).cwiseMax(0.0f);
    r2 = d2.forward(r1).cwiseMax(0.0f);
    return d3.forward(r2);
  }
};

// One LIF step over n neurons: v += 0.1 (I - v); spike where v >= 1, then v = 0.
// Branch-free, restrict pointers: g++ vectorizes it (256-bit vectors: it
// prefers them on Intel AVX-512 parts).
void lif_step(const float* __restrict current, float* __restrict v, float* __restrict spike, std::size_t n) {
  constexpr float k = static_cast<float>(bm::lif::dt);  // dt / tau
  for (std::size_t i = 0; i < n; ++i) {
    const float next = v[i] + k * (current[i] - v[i]);
    const bool fired = next >= 1.0f;
    spike[i] = fired ? 1.0f : 0.0f;
    v[i] = fired ? 0.0f : next;
  }
}

// LIF-SNN: currents (T * B, 256) = x W + b in one GEMM, then the steps;
// spikes (T * B, 256): row t * B + b is step t, sample b.
struct EigenLifSnn {
  RowMatrix w;
  RowVector b;
  RowMatrix current, v, spikes;

  template <class Loop>
  explicit EigenLifSnn(const Loop& loop)
      : w(to_matrix(loop.model().template get<0>().weight.value())),
        b(to_row(loop.model().template get<0>().bias.value())) {}

  // The bias rows, then the GEMM accumulates onto them (Eigen zeroes the
  // destination of a plain `=` product anyway, so the bias costs no extra pass).
  const RowMatrix& gemm(const float* x) {
    constexpr Eigen::Index rows = ix(bm::lif::steps * bm::lif::batch), in = ix(bm::lif::in);
    current.resize(rows, w.cols());
    current.rowwise() = b;
    current.noalias() += ConstRowMap(x, rows, in) * w;
    return current;
  }

  const RowMatrix& steps() {
    constexpr Eigen::Index steps = ix(bm::lif::steps), batch = ix(bm::lif::batch);
    const Eigen::Index n = batch * w.cols();
    v.setZero(batch, w.cols());
    spikes.resize(steps * batch, w.cols());
    for (Eigen::Index t = 0; t < steps; ++t) {
      lif_step(current.data() + t * n, v.data(), spikes.data() + t * n, static_cast<std::size_t>(n));
    }
    return spikes;
  }

  const RowMatrix& forward(const float* x) {
    gemm(x);
    return steps();
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
  for (std::size_t i = 0; i < y.size(); ++i)
    scale = std::max(scale, std::fabs(static_cast<double>(y.data()[i])));
  std::fprintf(stderr,
               "bench_models: %-13s modyn vs hand Eigen: max |diff| %.3g (tolerance %.0e, max |y| %.3g)\n",
               what, diff, tolerance, scale);
  if (diff <= tolerance && scale > 0.0) return true;
  std::fprintf(stderr, "bench_models: %s: modyn and Eigen disagree (or the output is all zeros)\n", what);
  return false;
}

// LIF-SNN: modyn's spikes against Eigen's. With Eigen as modyn's GEMM both
// run the same product onto the bias rows and the currents are bitwise equal
// (with MODYN_BLAS, OpenBLAS's differ in rounding: within 1e-4); the LIF
// arithmetic is the same up to FMA contraction (g++ contracts under
// -std=gnu++20, in xsimd's code and the plain loop alike, but need not do it
// the same way). So spikes may differ only where v lands within rounding of
// the threshold. After a neuron's first mismatch its trajectory differs, so
// only first mismatches are judged: each is replayed in double from Eigen's
// currents and must lie within 1e-4 of V_th = 1, and at most 0.1% of the
// neurons may diverge at all (the Eigen build measures none). Also: the
// network spikes (1% to 50% of neuron-steps), and a warm call (reset_state,
// reset_time) repeats the first.
bool lif_agrees() {
  constexpr std::size_t steps = sz(bm::lif::steps), batch = sz(bm::lif::batch), hidden = sz(bm::lif::hidden);
  constexpr std::size_t per_step = batch * hidden, total = steps * per_step;
  auto loop = make_lif_loop();
  const Tensor x = lif_input();
  loop.reset_state(batch);
  loop.reset_time();
  const Tensor first(loop(x));
  loop.reset_state(batch);
  loop.reset_time();
  const Tensor& y = loop(x);
  bool ok = check_shape("lif_snn_fwd", y.shape(), {steps, batch, hidden});
  if (!ok || first.size() != total) return false;
  if (max_abs_diff(first.data(), y.data(), total) != 0.0) {
    std::fprintf(
        stderr,
        "bench_models: lif_snn_fwd: a second run after reset_state/reset_time differs from the first\n");
    ok = false;
  }
  EigenLifSnn eigen(loop);
  const RowMatrix& ref = eigen.forward(x.data());
  // The currents: modyn's Dense once more over x, against Eigen's GEMM.
  const Tensor current(loop.model().get<0>()(x));
  const double current_diff = max_abs_diff(current.data(), eigen.current.data(), total);

  std::size_t spikes = 0, mismatches = 0, diverged = 0, far_from_threshold = 0, ever_fired = 0;
  double worst_margin = 0.0;
  std::size_t last_step_spikes = 0, non_binary = 0;
  for (std::size_t i = 0; i < total; ++i) {
    spikes += y.data()[i] != 0.0f;
    if (i >= total - per_step) last_step_spikes += y.data()[i] != 0.0f;
    non_binary += !(y.data()[i] == 0.0f || y.data()[i] == 1.0f);
    mismatches += y.data()[i] != ref.data()[i];
  }
  for (std::size_t neuron = 0; neuron < per_step; ++neuron) {
    bool fired = false;
    double v = 0.0;  // Eigen's trajectory of this neuron in double
    for (std::size_t t = 0; t < steps; ++t) {
      const std::size_t i = t * per_step + neuron;
      const double next = v + bm::lif::dt * (static_cast<double>(eigen.current.data()[i]) - v);
      fired = fired || ref.data()[i] != 0.0f;
      if (y.data()[i] != ref.data()[i]) {
        ++diverged;
        const double margin = std::fabs(next - 1.0);
        worst_margin = std::max(worst_margin, margin);
        far_from_threshold += margin > 1e-4;
        break;
      }
      v = ref.data()[i] != 0.0f ? 0.0 : next;  // Eigen's reset keeps the replay on its trajectory
    }
    ever_fired += fired;
  }
  const double fraction = static_cast<double>(spikes) / static_cast<double>(total);
  std::fprintf(
      stderr,
      "bench_models: %-13s modyn vs hand Eigen: currents max |diff| %.3g; spikes: %zu of %zu neuron-steps "
      "(%.1f%%; last step %.1f%%; %.1f%% of neurons ever fire); %zu mismatching neuron-steps, %zu "
      "neurons diverge (their first mismatch within %.2g of the threshold; %zu farther than 1e-4)\n",
      "lif_snn_fwd", current_diff, spikes, total, 100.0 * fraction,
      100.0 * static_cast<double>(last_step_spikes) / static_cast<double>(per_step),
      100.0 * static_cast<double>(ever_fired) / static_cast<double>(per_step), mismatches, diverged,
      worst_margin, far_from_threshold);
  if (non_binary > 0) {
    std::fprintf(stderr, "bench_models: lif_snn_fwd: %zu outputs are neither 0 nor 1\n", non_binary);
    ok = false;
  }
  if (!(current_diff <= 1e-4)) {
    std::fprintf(stderr, "bench_models: lif_snn_fwd: modyn's Dense and Eigen's GEMM differ\n");
    ok = false;
  }
  if (far_from_threshold > 0 || diverged * 1000 > per_step) {
    std::fprintf(
        stderr, "bench_models: lif_snn_fwd: modyn's and Eigen's spikes disagree beyond threshold rounding\n");
    ok = false;
  }
  if (!(fraction >= 0.01 && fraction <= 0.5)) {
    std::fprintf(stderr, "bench_models: lif_snn_fwd: %.2f%% of neuron-steps spike (expected 1%% to 50%%)\n",
                 100.0 * fraction);
    ok = false;
  }
  return ok;
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
    ok &= check_shape("seed_rnn_fwd", y.shape(),
                      {sz(bm::seed::steps), sz(bm::seed::batch), sz(bm::seed::hidden2)});
    ok &= max_abs_diff(first.data(), y.data(), y.size()) == 0.0;
    EigenSeedRnn eigen(loop);
    ok &= check_close("seed_rnn_fwd", y, eigen.forward(x.data()), 1e-4);
    auto static_loop = make_seed_static_loop(loop);
    static_loop.reset_state(sz(bm::seed::batch));
    ok &= check_close("seed_rnn_fwd (static sizes)", static_loop(x), eigen.forward(x.data()), 1e-4);
  }
  {
    auto loop = make_rnn512_loop();
    const Tensor x = rnn512_input();
    loop.reset_state(sz(bm::rnn512::batch));
    const Tensor& y = loop(x);
    ok &= check_shape("rnn512_fwd", y.shape(),
                      {sz(bm::rnn512::steps), sz(bm::rnn512::batch), sz(bm::rnn512::out)});
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
  ok &= lif_agrees();
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

void bm_seed_static(benchmark::State& state) {
  auto loop = make_seed_static_loop(make_seed_loop());
  const Tensor x = seed_input();
  for (auto _ : state) {
    loop.reset_state(sz(bm::seed::batch));
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

// hoist_chunk_bytes: see make_rnn512_loop (the `modyn_whole` row: 0).
void bm_rnn512_modyn(benchmark::State& state, std::size_t hoist_chunk_bytes) {
  auto loop = make_rnn512_loop(hoist_chunk_bytes);
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

// hoist_chunk_bytes: see make_lif_loop (the `modyn_whole` row: 0).
void bm_lif_modyn(benchmark::State& state, std::size_t hoist_chunk_bytes) {
  auto loop = make_lif_loop(hoist_chunk_bytes);
  const Tensor x = lif_input();
  for (auto _ : state) {
    loop.reset_state(sz(bm::lif::batch));  // V = 0, no spikes: a fresh simulation, part of the work
    loop.reset_time();
    const Tensor& y = loop(x);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::lif::flops, bm::lif::batch);
}

void bm_lif_eigen(benchmark::State& state) {
  const auto loop = make_lif_loop();
  const Tensor x = lif_input();
  EigenLifSnn model(loop);
  for (auto _ : state) {
    const RowMatrix& y = model.forward(x.data());
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::lif::flops, bm::lif::batch);
}

// Breakdown: modyn's Dense alone over all T x B rows (what the loop hoists).
void bm_lif_modyn_gemm(benchmark::State& state) {
  auto loop = make_lif_loop();
  auto& dense = loop.model().get<0>();
  const Tensor x = lif_input();
  for (auto _ : state) {
    const Tensor& y = dense(x);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::lif::flops, bm::lif::batch);
}

// Breakdown: the LIF steps alone (a LoopOverTime over the LIF, recording the
// spikes), fed the Dense's currents (T, B, 256).
void bm_lif_modyn_steps(benchmark::State& state) {
  auto net = make_lif_loop();
  const Tensor current(net.model().get<0>()(lif_input()));
  auto loop = make_lif_steps_loop();
  for (auto _ : state) {
    loop.reset_state(sz(bm::lif::batch));
    loop.reset_time();
    const Tensor& y = loop(current);
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 0.0, bm::lif::batch);
}

void bm_lif_eigen_gemm(benchmark::State& state) {
  const auto loop = make_lif_loop();
  const Tensor x = lif_input();
  EigenLifSnn model(loop);
  for (auto _ : state) {
    const RowMatrix& y = model.gemm(x.data());
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, bm::lif::flops, bm::lif::batch);
}

void bm_lif_eigen_steps(benchmark::State& state) {
  const auto loop = make_lif_loop();
  const Tensor x = lif_input();
  EigenLifSnn model(loop);
  model.gemm(x.data());
  for (auto _ : state) {
    const RowMatrix& y = model.steps();
    keep(y.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, 0.0, bm::lif::batch);
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
#elif MODYN_USE_LIBXSMM
  return "libxsmm " + std::string(LIBXSMM_VERSION) + " (JIT), else Eigen " +
         std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) + "." +
         std::to_string(EIGEN_MINOR_VERSION);
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
  // This core's FP32 peak, measured now (what the run scripts divide by).
  benchmark::AddCustomContext("fp32_peak_gflops", std::to_string(bench_peak::measure_gflops(5)));
  if (!outputs_agree()) return 1;
  const auto reg = [](const std::string& name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
  };
  const std::string seed = bm::seed_name, rnn512 = bm::rnn512_name, mlp = bm::mlp_name, lif = bm::lif_name;
  reg(seed + "/modyn", bm_seed_modyn);
  reg(seed + "/modyn_static", bm_seed_static);
  reg(seed + "/eigen", bm_seed_eigen);
  reg(rnn512 + "/modyn",
      [](benchmark::State& s) { bm_rnn512_modyn(s, modyn::LoopOptions{}.hoist_chunk_bytes); });
  reg(rnn512 + "/modyn_whole", [](benchmark::State& s) { bm_rnn512_modyn(s, 0); });
  reg(rnn512 + "/eigen", bm_rnn512_eigen);
  reg(mlp + "/modyn", bm_mlp_modyn);
  reg(mlp + "/eigen", bm_mlp_eigen);
  reg(lif + "/modyn", [](benchmark::State& s) { bm_lif_modyn(s, modyn::LoopOptions{}.hoist_chunk_bytes); });
  reg(lif + "/modyn_whole", [](benchmark::State& s) { bm_lif_modyn(s, 0); });
  reg(lif + "/eigen", bm_lif_eigen);
  reg(lif + "/modyn_gemm", bm_lif_modyn_gemm);
  reg(lif + "/modyn_steps", bm_lif_modyn_steps);
  reg(lif + "/eigen_gemm", bm_lif_eigen_gemm);
  reg(lif + "/eigen_steps", bm_lif_eigen_steps);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
