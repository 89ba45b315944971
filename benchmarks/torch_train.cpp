// The training steps of train.cpp written with libtorch's C++ frontend, one
// thread: the reference bench_train is compared with (benchmarks/run_train).
// One step = zero_grad, the forward over the sequence from a zero state, the
// loss, loss.backward() (autograd's BPTT) and the optimizer's step, all timed.
//
//   seed_rnn_train  /torch: torch::nn::RNNCell(100 -> 20, tanh), ReLU,
//                   RNNCell(20 -> 2, tanh) in a loop over T = 30 (B = 128);
//                   /torch_rnn: the same model as torch::nn::RNN layers over
//                   the whole sequence (ATen projects the input of every step
//                   at once and runs the recurrence in C++). mse_loss of the
//                   last step's output, SGD (lr 0.1).
//   rnn512_train    /torch: RNNCell(256 -> 512, tanh), ReLU, Linear(512 -> 10)
//                   per step, T = 100, B = 64; /torch_rnn: nn::RNN, ReLU and
//                   the Linear over all steps at once. mse_loss over the
//                   whole output sequence, Adam (lr 1e-3).
//   lif_snn_train   Linear(100 -> 256) feeding a LIF written with torch ops
//                   (snntorch's way), per step:
//                     v_pre = v + k (I_t - v),  k = dt / softplus(raw_tau), dt = 0.1
//                     s = spike(v_pre - 1)      (a torch::autograd::Function:
//                                                Heaviside forward, sigmoid
//                                                surrogate alpha 4 backward)
//                     v = v_pre (1 - s.detach())  (hard reset to 0, detached)
//                   tau = softplus(raw_tau) = 1 ms, a trainable (1,) Param as
//                   modyn's dyn::PLIF's; loss mse_loss(s.mean over time,
//                   0.1); Adam (lr 1e-3). /torch runs the Linear per step,
//                   /torch_hoisted once over all T x B rows before the loop.
//
// The weights, inputs and targets are det_uniform's (the twin of
// train.cpp's), so modyn and libtorch start from the same numbers; the
// losses at steps 0, 1 and 2 go to the JSON context ("<workload>_losses",
// for each variant), which run_train compares with modyn's.
//
// The strongest libtorch configuration of shared/BENCHMARKS.md: OpenBLAS
// with its SkylakeX kernels (OPENBLAS_CORETYPE=SkylakeX, set by run_train),
// torch::set_num_threads(1), OpenBLAS held to one thread.
//
// `bench_torch_train --memory` runs 3 rnn-512 training steps (/torch) in a
// fresh process and prints the peak resident set before and after
// (getrusage ru_maxrss), as bench_train --memory K does.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models_common.hpp"

namespace {

namespace bm = bench_models;
using torch::Tensor;

template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

// ---- the numbers both binaries use (twin in train.cpp) ---------------------

// Element k of stream `stream`, uniform in [lo, hi): splitmix64 of (stream, k).
float det_uniform(std::uint64_t stream, std::uint64_t k, double lo, double hi) {
  std::uint64_t z = (stream << 40) + k + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  const double u = static_cast<double>(z >> 40) * 0x1p-24;
  return static_cast<float>(lo + (hi - lo) * u);
}

// Fills a contiguous float tensor (a Param or a fresh tensor): element k in
// libtorch's layout is det_uniform(stream, k).
void det_fill(Tensor t, std::uint64_t stream, double lo, double hi) {
  torch::NoGradGuard guard;
  Tensor c = t.contiguous();
  float* p = c.data_ptr<float>();
  for (std::int64_t k = 0; k < c.numel(); ++k)
    p[k] = det_uniform(stream, static_cast<std::uint64_t>(k), lo, hi);
  if (!c.is_same(t)) t.copy_(c);
}
Tensor det_tensor(std::vector<std::int64_t> shape, std::uint64_t stream, double lo, double hi) {
  Tensor t = torch::empty(shape);
  det_fill(t, stream, lo, hi);
  return t;
}

// PyTorch's own bounds (1/sqrt(hidden), 1/sqrt(in)), modyn's streams.
void set_cell(const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh,
              std::uint64_t first_stream) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(w_hh.size(0)));
  det_fill(w_ih, first_stream, -bound, bound);
  det_fill(w_hh, first_stream + 1, -bound, bound);
  det_fill(b_ih, first_stream + 2, -bound, bound);
  det_fill(b_hh, first_stream + 3, -bound, bound);
}
void set_cell(torch::nn::RNNCell& cell, std::uint64_t first_stream) {
  set_cell(cell->weight_ih, cell->weight_hh, cell->bias_ih, cell->bias_hh, first_stream);
}
void set_cell(torch::nn::RNN& rnn, std::uint64_t first_stream) {
  set_cell(rnn->named_parameters()["weight_ih_l0"], rnn->named_parameters()["weight_hh_l0"],
           rnn->named_parameters()["bias_ih_l0"], rnn->named_parameters()["bias_hh_l0"], first_stream);
}
void set_linear(torch::nn::Linear& d, std::uint64_t first_stream) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(d->weight.size(1)));
  det_fill(d->weight, first_stream, -bound, bound);
  det_fill(d->bias, first_stream + 1, -bound, bound);
}

constexpr double sqrt3 = 1.7320508075688772;
constexpr double seed_lr = 0.1, adam_lr = 1e-3;
constexpr double lif_target_rate = 0.1, lif_alpha = 4.0;

// ---- the models --------------------------------------------------------------

using torch::nn::RNNCellOptions;
using torch::nn::RNNOptions;

struct SeedRnn : torch::nn::Module {
  torch::nn::RNNCell l1{nullptr}, l2{nullptr};
  SeedRnn() {
    l1 = register_module(
        "l1", torch::nn::RNNCell(RNNCellOptions(bm::seed::in, bm::seed::hidden1).nonlinearity(torch::kTanh)));
    l2 = register_module(
        "l2",
        torch::nn::RNNCell(RNNCellOptions(bm::seed::hidden1, bm::seed::hidden2).nonlinearity(torch::kTanh)));
    set_cell(l1, 1);
    set_cell(l2, 5);
  }
  Tensor forward(const Tensor& x) {  // -> the last step's output (B, 2)
    const std::int64_t steps = x.size(0), batch = x.size(1);
    Tensor h1 = torch::zeros({batch, bm::seed::hidden1});
    Tensor h2 = torch::zeros({batch, bm::seed::hidden2});
    for (std::int64_t t = 0; t < steps; ++t) {
      h1 = l1->forward(x[t], h1);
      h2 = l2->forward(torch::relu(h1), h2);
    }
    return h2;
  }
};

struct SeedRnnLayers : torch::nn::Module {
  torch::nn::RNN l1{nullptr}, l2{nullptr};
  SeedRnnLayers() {
    l1 = register_module(
        "l1", torch::nn::RNN(RNNOptions(bm::seed::in, bm::seed::hidden1).nonlinearity(torch::kTanh)));
    l2 = register_module(
        "l2", torch::nn::RNN(RNNOptions(bm::seed::hidden1, bm::seed::hidden2).nonlinearity(torch::kTanh)));
    set_cell(l1, 1);
    set_cell(l2, 5);
  }
  Tensor forward(const Tensor& x) {
    Tensor y1 = std::get<0>(l1->forward(x));
    Tensor y2 = std::get<0>(l2->forward(torch::relu(y1)));
    return y2[x.size(0) - 1];
  }
};

struct Rnn512 : torch::nn::Module {
  torch::nn::RNNCell l1{nullptr};
  torch::nn::Linear d{nullptr};
  Rnn512() {
    l1 = register_module(
        "l1",
        torch::nn::RNNCell(RNNCellOptions(bm::rnn512::in, bm::rnn512::hidden).nonlinearity(torch::kTanh)));
    d = register_module("d", torch::nn::Linear(bm::rnn512::hidden, bm::rnn512::out));
    set_cell(l1, 11);
    set_linear(d, 15);
  }
  Tensor forward(const Tensor& x) {  // -> (T, B, 10)
    const std::int64_t steps = x.size(0), batch = x.size(1);
    Tensor h = torch::zeros({batch, bm::rnn512::hidden});
    std::vector<Tensor> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
      h = l1->forward(x[t], h);
      out.push_back(d->forward(torch::relu(h)));
    }
    return torch::stack(out);
  }
};

struct Rnn512Layers : torch::nn::Module {
  torch::nn::RNN l1{nullptr};
  torch::nn::Linear d{nullptr};
  Rnn512Layers() {
    l1 = register_module(
        "l1", torch::nn::RNN(RNNOptions(bm::rnn512::in, bm::rnn512::hidden).nonlinearity(torch::kTanh)));
    d = register_module("d", torch::nn::Linear(bm::rnn512::hidden, bm::rnn512::out));
    set_cell(l1, 11);
    set_linear(d, 15);
  }
  Tensor forward(const Tensor& x) { return d->forward(torch::relu(std::get<0>(l1->forward(x)))); }
};

// The spike: Heaviside forward, the derivative of sigmoid(alpha x) backward.
struct SpikeFunction : torch::autograd::Function<SpikeFunction> {
  static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& x) {
    ctx->save_for_backward({x});
    return (x >= 0).to(torch::kFloat);
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const Tensor s = torch::sigmoid(ctx->get_saved_variables()[0] * lif_alpha);
    return {grad[0] * (lif_alpha * s * (1 - s))};
  }
};

struct LifSnn : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  Tensor raw_tau;  // tau = softplus(raw_tau)
  bool hoist;

  explicit LifSnn(bool hoist_linear) : hoist(hoist_linear) {
    fc = register_module("fc", torch::nn::Linear(bm::lif::in, bm::lif::hidden));
    set_linear(fc, 21);
    raw_tau = register_parameter("raw_tau", torch::full({1}, static_cast<float>(std::log(std::expm1(1.0)))));
  }
  Tensor forward(const Tensor& x) {  // -> spikes (T, B, 256)
    const std::int64_t steps = x.size(0), batch = x.size(1);
    const Tensor k = bm::lif::dt / torch::softplus(raw_tau);
    // unbind, not current[t]: the backward of each select would zero and
    // scatter into a whole (T, B, 256) gradient (4x slower here).
    const std::vector<Tensor> current = hoist ? fc->forward(x).unbind(0) : std::vector<Tensor>();
    Tensor v = torch::zeros({batch, bm::lif::hidden});
    std::vector<Tensor> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
      const Tensor i_t = hoist ? current[static_cast<std::size_t>(t)] : fc->forward(x[t]);
      const Tensor v_pre = v + k * (i_t - v);
      Tensor s = SpikeFunction::apply(v_pre - 1.0);
      v = v_pre * (1 - s.detach());
      out.push_back(std::move(s));
    }
    return torch::stack(out);
  }
};

// ---- the training steps --------------------------------------------------------

template <class Model, class Optimizer>
struct Trainer {
  std::shared_ptr<Model> model;
  Optimizer opt;
  Tensor x, target;

  template <class Options, class... Args>
  Trainer(Options options, Tensor input, Tensor goal, Args... args)
      : model(std::make_shared<Model>(args...)),
        opt(model->parameters(), options),
        x(std::move(input)),
        target(std::move(goal)) {}

  double step() {
    opt.zero_grad();
    Tensor y = model->forward(x);
    if constexpr (std::is_same_v<Model, LifSnn>) y = y.mean(0);  // the rate of each neuron
    Tensor loss = torch::mse_loss(y, target);
    loss.backward();
    opt.step();
    return loss.item<double>();
  }
};

Tensor seed_x() { return det_tensor({bm::seed::steps, bm::seed::batch, bm::seed::in}, 9, -sqrt3, sqrt3); }
Tensor seed_target() { return det_tensor({bm::seed::batch, bm::seed::hidden2}, 10, -0.5, 0.5); }
Tensor rnn512_x() {
  return det_tensor({bm::rnn512::steps, bm::rnn512::batch, bm::rnn512::in}, 17, -sqrt3, sqrt3);
}
Tensor rnn512_target() {
  return det_tensor({bm::rnn512::steps, bm::rnn512::batch, bm::rnn512::out}, 18, -0.5, 0.5);
}
Tensor lif_x() {
  return det_tensor({bm::lif::steps, bm::lif::batch, bm::lif::in}, 23, bm::lif::input_mean - sqrt3,
                    bm::lif::input_mean + sqrt3);
}
Tensor lif_target() {
  return torch::full({bm::lif::batch, bm::lif::hidden}, static_cast<float>(lif_target_rate));
}

template <class Model>
using SgdTrainer = Trainer<Model, torch::optim::SGD>;
template <class Model>
using AdamTrainer = Trainer<Model, torch::optim::Adam>;

std::unique_ptr<SgdTrainer<SeedRnn>> seed_cells() {
  return std::make_unique<SgdTrainer<SeedRnn>>(torch::optim::SGDOptions(seed_lr), seed_x(), seed_target());
}
std::unique_ptr<SgdTrainer<SeedRnnLayers>> seed_layers() {
  return std::make_unique<SgdTrainer<SeedRnnLayers>>(torch::optim::SGDOptions(seed_lr), seed_x(),
                                                     seed_target());
}
std::unique_ptr<AdamTrainer<Rnn512>> rnn512_cells() {
  return std::make_unique<AdamTrainer<Rnn512>>(torch::optim::AdamOptions(adam_lr), rnn512_x(),
                                               rnn512_target());
}
std::unique_ptr<AdamTrainer<Rnn512Layers>> rnn512_layers() {
  return std::make_unique<AdamTrainer<Rnn512Layers>>(torch::optim::AdamOptions(adam_lr), rnn512_x(),
                                                     rnn512_target());
}
std::unique_ptr<AdamTrainer<LifSnn>> lif_per_step() {
  return std::make_unique<AdamTrainer<LifSnn>>(torch::optim::AdamOptions(adam_lr), lif_x(), lif_target(),
                                               false);
}
std::unique_ptr<AdamTrainer<LifSnn>> lif_hoisted() {
  return std::make_unique<AdamTrainer<LifSnn>>(torch::optim::AdamOptions(adam_lr), lif_x(), lif_target(),
                                               true);
}

// Losses of steps 0, 1, 2 of a fresh trainer, as "l0 l1 l2" (%.9g).
template <class Make>
std::string first_losses(const char* what, Make make, bool& ok) {
  auto trainer = make();
  std::string out;
  for (int i = 0; i < 3; ++i) {
    const double loss = trainer->step();
    ok = ok && std::isfinite(loss);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.9g", i ? " " : "", loss);
    out += buf;
  }
  std::fprintf(stderr, "bench_torch_train: %-22s losses at steps 0, 1, 2: %s\n", what, out.c_str());
  return out;
}

template <auto Make>
void bm_train(benchmark::State& state) {
  auto trainer = Make();
  for (auto _ : state) {
    const double loss = trainer->step();
    keep(loss);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

int memory_mode() {
  auto trainer = rnn512_cells();
  const long before = max_rss_kib();
  double loss = 0.0;
  for (int i = 0; i < 3; ++i) loss = trainer->step();
  std::printf("rnn512 torch rss_before_kib=%ld rss_peak_kib=%ld loss=%.6g\n", before, max_rss_kib(), loss);
  return std::isfinite(loss) ? 0 : 1;
}

std::string configure_threads() {
  torch::set_num_threads(1);
  std::string blas = "unknown BLAS";
  if (auto set_threads = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_threads(1);
  }
  if (auto corename = reinterpret_cast<char* (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_corename"))) {
    blas = std::string("OpenBLAS, core ") + corename();
  }
  if (auto threads = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) {
    blas += ", " + std::to_string(threads()) + " OpenBLAS thread(s)";
  }
  return blas + ", torch::get_num_threads() = " + std::to_string(torch::get_num_threads());
}

}  // namespace

int main(int argc, char** argv) {
  const std::string blas = configure_threads();
  if (argc == 2 && std::string_view(argv[1]) == "--memory") return memory_mode();
  std::fprintf(stderr, "bench_torch_train: libtorch %s on %s\n", TORCH_VERSION, blas.c_str());
  benchmark::AddCustomContext("torch_version", TORCH_VERSION);
  benchmark::AddCustomContext("torch_blas", blas);
  bool ok = true;
  benchmark::AddCustomContext("seed_rnn_train_losses", first_losses("seed_rnn_train", seed_cells, ok));
  benchmark::AddCustomContext("seed_rnn_train_rnn_losses",
                              first_losses("seed_rnn_train (RNN)", seed_layers, ok));
  benchmark::AddCustomContext("rnn512_train_losses", first_losses("rnn512_train", rnn512_cells, ok));
  benchmark::AddCustomContext("rnn512_train_rnn_losses",
                              first_losses("rnn512_train (RNN)", rnn512_layers, ok));
  benchmark::AddCustomContext("lif_snn_train_losses", first_losses("lif_snn_train", lif_per_step, ok));
  benchmark::AddCustomContext("lif_snn_train_hoisted_losses",
                              first_losses("lif_snn_train (hoisted)", lif_hoisted, ok));
  {
    torch::NoGradGuard guard;
    const double rate = lif_per_step()->model->forward(lif_x()).mean().item<double>();
    std::fprintf(stderr, "bench_torch_train: lif_snn_train: %.1f%% of neuron-steps spike at step 0\n",
                 100.0 * rate);
  }
  if (!ok) return 1;
  const auto reg = [](const std::string& name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
  };
  reg("seed_rnn_train/torch", bm_train<seed_cells>);
  reg("seed_rnn_train/torch_rnn", bm_train<seed_layers>);
  reg("rnn512_train/torch", bm_train<rnn512_cells>);
  reg("rnn512_train/torch_rnn", bm_train<rnn512_layers>);
  reg("lif_snn_train/torch", bm_train<lif_per_step>);
  reg("lif_snn_train/torch_hoisted", bm_train<lif_hoisted>);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
