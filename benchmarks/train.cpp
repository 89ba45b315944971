// Training steps of the models of shared/BENCHMARKS.md ("Neural networks"),
// one thread, modyn: forward over the sequence (LoopOverTime with
// LoopOptions::training, one tape per step), the loss and its gradient, BPTT
// (loop.backward) and the optimizer's step. libtorch's versions are in
// torch_train.cpp (a separate binary); benchmarks/run_train runs both and
// prints the comparison.
//
//   seed_rnn_train  Sequential(RNNCell(100 -> 20, tanh), relu, RNNCell(20 -> 2, tanh));
//                   x (T = 30, B = 128, 100); MSE of the last step's output
//                   (B, 2) against a target; SGD (lr 0.1).
//   rnn512_train    Sequential(RNNCell(256 -> 512, tanh), relu, Dense(512 -> 10));
//                   x (T = 100, B = 64, 256); MSE over the whole output
//                   sequence (T, B, 10); Adam (lr 1e-3). /modyn keeps every
//                   step's tape (checkpoint_every = T), /modyn_ckpt10 the
//                   States of every 10th step and 10 tapes, recomputing each
//                   stretch of 10 steps in backward, /modyn_ckpt4 likewise
//                   with stretches of 4 steps.
//
//   lif_snn_train   Sequential(Dense(100 -> 256), dyn::PLIF): v += dt / tau (-v + I) with dt = 0.1
//                   and tau = 1 (a softplus Param of shape (1,), trained, as
//                   libtorch's version trains its own), spike when v >= 1
//                   (sigmoid surrogate, alpha 4), hard reset to 0, detached;
//                   x = 4 + U(-sqrt 3, sqrt 3) (T = 100, B = 64, 100); loss
//                   MSE of each neuron's mean spike rate over the steps
//                   against 0.1 (train::firing_rate_regularizer); Adam
//                   (lr 1e-3).
//
// One step = zero_grad, reset_state, loop(x), loss, loop.backward(grad),
// opt.step(): all of it timed.
//
// Same numbers as libtorch: the weights, the inputs and the targets are not
// drawn from modyn's Rng but from det_uniform below, whose twin is in
// torch_train.cpp: element k of a stream, k running over the tensor in
// libtorch's layout (a weight (out, in)), so both binaries start from the
// same weights. Each records its losses at steps 0, 1 and 2 of one training
// run in the JSON context ("<workload>_losses"); run_train compares them:
// step 0 checks the forward and the loss, steps 1 and 2 the gradients and
// the optimizer.
//
// Memory (rnn-512, recomputation): `bench_train --memory K` runs 3 training
// steps with checkpoint_every = K in a fresh process and prints the peak
// resident set (getrusage ru_maxrss) before the first step (the trainer
// built: weights, input, target) and after the third; the heap bytes held
// after the third step beyond those before the first (mallinfo2: the tapes,
// checkpoints, copy of x, gradients, Adam's moments and work buffers, all of
// which the loop and the optimizer keep between steps); and the bytes the
// loop's tapes, checkpoints and copy of x alone hold, computed from the
// shapes each module records (rnn_cell.hpp, sequential.hpp, dense.hpp).
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <modyn/modyn.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "fma_peak.hpp"
#include "models_common.hpp"

namespace {

namespace bm = bench_models;
using Tensor = modyn::Tensor<float>;

// benchmark::DoNotOptimize on a non-const lvalue is miscompiled by g++ 12.2
// (see map.cpp): only the const overload is used.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

// The model a LoopOverTime owns (what the optimizers take).
template <class Loop>
using ModelOf = std::remove_reference_t<decltype(std::declval<Loop&>().model())>;

constexpr std::size_t sz(std::int64_t n) { return static_cast<std::size_t>(n); }

// ---- the numbers both binaries use (twin in torch_train.cpp) ---------------

// Element k of stream `stream`, uniform in [lo, hi): splitmix64 of (stream, k).
float det_uniform(std::uint64_t stream, std::uint64_t k, double lo, double hi) {
  std::uint64_t z = (stream << 40) + k + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 40) * 0x1p-24;
  return static_cast<float>(lo + (hi - lo) * u);
}

// A tensor of `shape` whose element k is det_uniform(stream, k, lo, hi).
Tensor det_tensor(modyn::Shape shape, std::uint64_t stream, double lo, double hi) {
  Tensor t = Tensor::zeros(shape);
  for (std::size_t k = 0; k < t.size(); ++k) t.data()[k] = det_uniform(stream, k, lo, hi);
  return t;
}

// A modyn weight (in, out) holding libtorch's (out, in) stream transposed:
// W[i][o] = det_uniform(stream, o * in + i).
template <class P>
void set_weight(P& p, std::uint64_t stream, double bound) {
  Tensor& w = p.raw_mut();
  const std::size_t in = w.shape(0), out = w.shape(1);
  for (std::size_t i = 0; i < in; ++i)
    for (std::size_t o = 0; o < out; ++o)
      w.data()[i * out + o] = det_uniform(stream, o * in + i, -bound, bound);
}
template <class P>
void set_vector(P& p, std::uint64_t stream, double bound) {
  Tensor& b = p.raw_mut();
  for (std::size_t k = 0; k < b.size(); ++k) b.data()[k] = det_uniform(stream, k, -bound, bound);
}

// PyTorch's default initialisation bounds: 1/sqrt(hidden) for an RNNCell,
// 1/sqrt(in) for a Linear.
template <class Cell>
void set_cell(Cell& cell, std::uint64_t first_stream) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(cell.out_features()));
  set_weight(cell.weight_ih, first_stream, bound);
  set_weight(cell.weight_hh, first_stream + 1, bound);
  set_vector(cell.bias_ih, first_stream + 2, bound);
  set_vector(cell.bias_hh, first_stream + 3, bound);
}
template <class Dense>
void set_dense(Dense& dense, std::uint64_t first_stream) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(dense.weight.value().shape(0)));
  set_weight(dense.weight, first_stream, bound);
  set_vector(dense.bias, first_stream + 1, bound);
}

constexpr double sqrt3 = 1.7320508075688772;  // U(-sqrt 3, sqrt 3): unit variance

// ---- the workloads ---------------------------------------------------------

constexpr double seed_lr = 0.1, adam_lr = 1e-3;
constexpr double lif_target_rate = 0.1;  // spikes per step
constexpr double lif_alpha = 4.0;        // the sigmoid surrogate's slope

// hoist: LoopOptions::hoist_in_training (the stateless head and the first
// cell's input half once over every step); the /modyn rows run step by step
// (the default), the /modyn_hoisted rows hoist.
auto make_seed_loop(bool hoist) {
  using namespace modyn;
  return LoopOverTime{
      Sequential{nn::RNNCell(sz(bm::seed::in), sz(bm::seed::hidden1), nn::Nonlinearity::tanh), relu,
                 nn::RNNCell(sz(bm::seed::hidden1), sz(bm::seed::hidden2), nn::Nonlinearity::tanh)},
      LoopOptions{.training = true,
                  .backprop = true,
                  .checkpoint_every = sz(bm::seed::steps),  // every tape kept
                  .hoist_in_training = hoist}};
}

auto make_rnn512_loop(std::size_t checkpoint_every, bool hoist) {
  using namespace modyn;
  return LoopOverTime{
      Sequential{nn::RNNCell(sz(bm::rnn512::in), sz(bm::rnn512::hidden), nn::Nonlinearity::tanh), relu,
                 nn::Dense(sz(bm::rnn512::hidden), sz(bm::rnn512::out))},
      LoopOptions{.training = true,
                  .backprop = true,
                  .checkpoint_every = checkpoint_every,
                  .hoist_in_training = hoist}};
}

// The seed RNN: MSE of the last step's output, SGD.
class SeedTrainer {
 public:
  using Loop = decltype(make_seed_loop(true));
  static constexpr std::size_t steps = sz(bm::seed::steps), batch = sz(bm::seed::batch),
                               out = sz(bm::seed::hidden2);

  explicit SeedTrainer(std::size_t hoist = 0) : loop_(make_seed_loop(hoist != 0)) {
    set_cell(loop_.model().get<0>(), 1);
    set_cell(loop_.model().get<2>(), 5);
  }
  SeedTrainer(const SeedTrainer&) = delete;  // the optimizer holds loop_.model()
  SeedTrainer& operator=(const SeedTrainer&) = delete;

  double step() {
    opt_.zero_grad();
    loop_.reset_state(batch);
    const Tensor& y = loop_(x_);
    const double loss = modyn::train::mse_loss(y[steps - 1], target_, grad_last_);
    std::copy(grad_last_.data(), grad_last_.data() + grad_last_.size(),
              grad_.data() + (steps - 1) * batch * out);
    keep(loop_.backward(grad_).data());
    opt_.step();
    return loss;
  }

 private:
  Loop loop_;
  modyn::train::SGD<ModelOf<Loop>> opt_{loop_.model(), {.lr = seed_lr}};
  Tensor x_ = det_tensor({steps, batch, sz(bm::seed::in)}, 9, -sqrt3, sqrt3);
  Tensor target_ = det_tensor({batch, out}, 10, -0.5, 0.5);
  Tensor grad_last_ = Tensor::zeros({batch, out});
  Tensor grad_ = Tensor::zeros({steps, batch, out});  // only the last step's rows are ever written
};

// rnn-512: MSE over the whole output sequence, Adam.
class Rnn512Trainer {
 public:
  using Loop = decltype(make_rnn512_loop(1, true));
  static constexpr std::size_t steps = sz(bm::rnn512::steps), batch = sz(bm::rnn512::batch),
                               in = sz(bm::rnn512::in), hidden = sz(bm::rnn512::hidden),
                               out = sz(bm::rnn512::out);

  explicit Rnn512Trainer(std::size_t checkpoint_every, std::size_t hoist = 0)
      : loop_(make_rnn512_loop(checkpoint_every, hoist != 0)) {
    set_cell(loop_.model().get<0>(), 11);
    set_dense(loop_.model().get<2>(), 15);
  }
  Rnn512Trainer(const Rnn512Trainer&) = delete;
  Rnn512Trainer& operator=(const Rnn512Trainer&) = delete;

  double step() {
    opt_.zero_grad();
    loop_.reset_state(batch);
    const Tensor& y = loop_(x_);
    const double loss = modyn::train::mse_loss(y, target_, grad_);
    keep(loop_.backward(grad_).data());
    opt_.step();
    return loss;
  }

  // What the loop keeps for backward, from the shapes each entry records per
  // step: RNNCell x, h before, h after; relu its input and output; Dense x.
  static double tape_bytes(std::size_t every) {
    // As LoopOverTime::run_training decides: k >= T keeps every tape; any
    // k < T, 1 included, keeps k tapes, T / k + 1 checkpoints and x.
    const double per_step = static_cast<double>(batch * (in + 2 * hidden + 2 * hidden + hidden));
    if (every >= steps) return 4.0 * per_step * static_cast<double>(steps);
    const std::size_t k = std::max<std::size_t>(every, 1);
    const std::size_t checkpoints = (steps + k - 1) / k + 1;  // one h (B, 512) each
    return 4.0 * (per_step * static_cast<double>(every) + static_cast<double>(checkpoints * batch * hidden) +
                  static_cast<double>(steps * batch * in));  // + the copy of x recomputation starts from
  }

 private:
  Loop loop_;
  modyn::train::Adam<ModelOf<Loop>> opt_{loop_.model(), {.lr = adam_lr}};
  Tensor x_ = det_tensor({steps, batch, in}, 17, -sqrt3, sqrt3);
  Tensor target_ = det_tensor({steps, batch, out}, 18, -0.5, 0.5);
  Tensor grad_;
};

// LIF-SNN: v += dt / tau (-v + I), tau = 1 ms trainable, dt = 0.1 ms; hard
// reset to 0, detached; sigmoid surrogate of slope 4.
using Plif = modyn::dyn::PLIF<float, modyn::cpu, modyn::surrogate::sigmoid>;

auto make_lif_loop(bool hoist) {
  using namespace modyn;
  const Plif::Options options{.tau = 1.0f,
                              .V_th = 1.0f,
                              .V_reset = 0.0f,
                              .V_rest = 0.0f,
                              .R = 1.0f,
                              .reset = dyn::Reset::hard,
                              .detach_reset = true,
                              .surrogate = {.alpha = lif_alpha}};
  return LoopOverTime{
      Sequential{nn::Dense(sz(bm::lif::in), sz(bm::lif::hidden)), Plif(sz(bm::lif::hidden), options)},
      LoopOptions{.dt = bm::lif::dt,
                  .training = true,
                  .backprop = true,
                  .checkpoint_every = sz(bm::lif::steps),
                  .hoist_in_training = hoist}};
}

// MSE of each neuron's spike rate (the mean over the steps) against 0.1, Adam.
class LifTrainer {
 public:
  using Loop = decltype(make_lif_loop(true));
  static constexpr std::size_t steps = sz(bm::lif::steps), batch = sz(bm::lif::batch), in = sz(bm::lif::in);

  explicit LifTrainer(std::size_t hoist = 0) : loop_(make_lif_loop(hoist != 0)) {
    set_dense(loop_.model().get<0>(), 21);
  }
  LifTrainer(const LifTrainer&) = delete;
  LifTrainer& operator=(const LifTrainer&) = delete;

  double step() {
    opt_.zero_grad();
    loop_.reset_state(batch);
    loop_.reset_time();
    const Tensor& y = loop_(x_);
    const double loss = rate_loss_(y, grad_);
    keep(loop_.backward(grad_).data());
    opt_.step();
    return loss;
  }

  // The fraction of neuron-steps that spike in a forward (no training step).
  double spike_fraction() {
    loop_.reset_state(batch);
    loop_.reset_time();
    const Tensor& y = loop_(x_);
    double spikes = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) spikes += y.data()[i];
    return spikes / static_cast<double>(y.size());
  }

 private:
  Loop loop_;
  modyn::train::Adam<ModelOf<Loop>> opt_{loop_.model(), {.lr = adam_lr}};
  Tensor x_ = det_tensor({steps, batch, in}, 23, bm::lif::input_mean - sqrt3, bm::lif::input_mean + sqrt3);
  modyn::train::firing_rate_regularizer rate_loss_{.weight = 1.0, .target = lif_target_rate};
  Tensor grad_;
};

// ---- checks and losses -----------------------------------------------------

// Losses of steps 0, 1, 2 of a fresh trainer, as "l0 l1 l2" (%.9g).
template <class Trainer, class... Args>
std::string first_losses(const char* what, bool& ok, Args... args) {
  Trainer trainer(args...);
  std::string out;
  double first = 0.0, last = 0.0;
  for (int i = 0; i < 3; ++i) {
    const double loss = trainer.step();
    if (!std::isfinite(loss)) ok = false;
    if (i == 0) first = loss;
    last = loss;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.9g", i ? " " : "", loss);
    out += buf;
  }
  std::fprintf(stderr, "bench_train: %-14s losses at steps 0, 1, 2: %s\n", what, out.c_str());
  if (!(last < first)) {
    std::fprintf(stderr, "bench_train: %s: the loss did not decrease over two steps\n", what);
    ok = false;
  }
  return out;
}

// ---- benchmarks ------------------------------------------------------------

template <class Trainer, std::size_t... Args>
void bm_train(benchmark::State& state) {
  Trainer trainer(Args...);
  for (auto _ : state) {
    const double loss = trainer.step();
    keep(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- memory ----------------------------------------------------------------

// Bytes malloc has handed out and not taken back (small blocks and mmapped ones).
double heap_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int memory_mode(const char* every_arg) {
  const auto every = static_cast<std::size_t>(std::strtoul(every_arg, nullptr, 10));
  Rnn512Trainer trainer(every);
  const long before = max_rss_kib();
  const double heap_before = heap_bytes();
  double loss = 0.0;
  for (int i = 0; i < 3; ++i) loss = trainer.step();
  const long after = max_rss_kib();
  std::printf(
      "rnn512 checkpoint_every=%zu rss_before_kib=%ld rss_peak_kib=%ld heap_held_bytes=%.0f "
      "tape_bytes=%.0f loss=%.6g\n",
      every, before, after, heap_bytes() - heap_before, Rnn512Trainer::tape_bytes(every), loss);
  return std::isfinite(loss) ? 0 : 1;
}

std::string configure_gemm() {
#if MODYN_USE_CBLAS
  std::string gemm = "CBLAS";
  if (auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_threads(1);
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
  if (argc == 3 && std::string_view(argv[1]) == "--memory") return memory_mode(argv[2]);
  const std::string gemm = configure_gemm();
  std::fprintf(stderr, "bench_train: modyn GEMM: %s\n", gemm.c_str());
  benchmark::AddCustomContext("modyn_gemm", gemm);
  // This core's FP32 peak, measured now (what the run scripts divide by).
  benchmark::AddCustomContext("fp32_peak_gflops", std::to_string(bench_peak::measure_gflops(5)));
  bool ok = true;
  benchmark::AddCustomContext("seed_rnn_train_losses", first_losses<SeedTrainer>("seed_rnn_train", ok));
  benchmark::AddCustomContext("rnn512_train_losses",
                              first_losses<Rnn512Trainer>("rnn512_train", ok, sz(bm::rnn512::steps)));
  // Recomputation must not change the numbers: the same losses with k = 4 and 10.
  benchmark::AddCustomContext("rnn512_train_ckpt4_losses",
                              first_losses<Rnn512Trainer>("rnn512 (k=4)", ok, std::size_t{4}));
  benchmark::AddCustomContext("rnn512_train_ckpt10_losses",
                              first_losses<Rnn512Trainer>("rnn512 (k=10)", ok, std::size_t{10}));
  benchmark::AddCustomContext("lif_snn_train_losses", first_losses<LifTrainer>("lif_snn_train", ok));
  std::fprintf(stderr, "bench_train: lif_snn_train: %.1f%% of neuron-steps spike at step 0\n",
               100.0 * LifTrainer().spike_fraction());
  if (!ok) return 1;
  const auto reg = [](const std::string& name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
  };
  reg("seed_rnn_train/modyn", bm_train<SeedTrainer>);
  reg("rnn512_train/modyn", bm_train<Rnn512Trainer, sz(bm::rnn512::steps)>);
  reg("rnn512_train/modyn_ckpt4", bm_train<Rnn512Trainer, 4>);
  reg("rnn512_train/modyn_ckpt10", bm_train<Rnn512Trainer, 10>);
  reg("seed_rnn_train/modyn_hoisted", bm_train<SeedTrainer, 1>);
  reg("rnn512_train/modyn_hoisted", bm_train<Rnn512Trainer, sz(bm::rnn512::steps), 1>);
  reg("lif_snn_train/modyn_hoisted", bm_train<LifTrainer, 1>);
  reg("lif_snn_train/modyn", bm_train<LifTrainer>);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
