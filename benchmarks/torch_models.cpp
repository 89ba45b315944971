// The models of models.cpp written with libtorch's C++ frontend (torch::nn::
// RNNCell, ReLU, Linear; a loop over T), forward only, one thread: the
// reference bench_models is compared with (benchmarks/run_models).
//
// A separate binary, built only when find_package(Torch) succeeds: libtorch's
// headers take about a minute to compile and must not slow the modyn binaries.
//
// The strongest libtorch configuration of shared/BENCHMARKS.md: OpenBLAS
// (Debian's libtorch runs its GEMMs there) with its SkylakeX kernels (run with
// OPENBLAS_CORETYPE=SkylakeX), torch::set_num_threads(1), and OpenBLAS held to
// one thread too (torch::set_num_threads does not reach OpenBLAS's pthreads
// build; openblas_set_num_threads(1) is called here). Each model runs under
// torch::NoGradGuard (/torch) and, as a second variant, under
// c10::InferenceMode (/torch_inference), which also skips version counting.
//
// Like modyn's LoopOverTime, a forward starts from a zero hidden state and
// returns the whole output sequence (the step outputs stacked to (T, B, out)).
//
// LIF-SNN (lif_snn_fwd): Linear(100 -> 256) feeding a LIF written with torch
// ops, as an snntorch-style user writes it, per step:
//   I_t = fc(x[t]); v = v + 0.1 * (-v + I_t); spike = (v >= 1).to(float);
//   v = v * (1 - spike)
// from v = 0, the spikes stacked to (T, B, 256); input x ~ N(4, 1) as in
// bench_models (models_common.hpp). /torch and /torch_inference run the
// Linear per step; /torch_hoisted (InferenceMode) runs it once over all
// T x B rows before the loop, as modyn's LoopOverTime does.
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <torch/torch.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "models_common.hpp"

namespace {

namespace bm = bench_models;

// benchmark::DoNotOptimize on a non-const lvalue is miscompiled by g++ 12.2
// (see map.cpp): only the const overload is used.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

struct SeedRnn : torch::nn::Module {
  torch::nn::RNNCell l1{nullptr}, l2{nullptr};
  torch::nn::ReLU relu;

  SeedRnn() {
    using torch::nn::RNNCellOptions;
    l1 = register_module(
        "l1", torch::nn::RNNCell(RNNCellOptions(bm::seed::in, bm::seed::hidden1).nonlinearity(torch::kTanh)));
    l2 = register_module(
        "l2",
        torch::nn::RNNCell(RNNCellOptions(bm::seed::hidden1, bm::seed::hidden2).nonlinearity(torch::kTanh)));
  }

  torch::Tensor forward(const torch::Tensor& x) {  // x (T, B, in)
    const std::int64_t steps = x.size(0), batch = x.size(1);
    torch::Tensor h1 = torch::zeros({batch, bm::seed::hidden1});
    torch::Tensor h2 = torch::zeros({batch, bm::seed::hidden2});
    std::vector<torch::Tensor> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
      h1 = l1->forward(x[t], h1);
      h2 = l2->forward(relu->forward(h1), h2);
      out.push_back(h2);
    }
    return torch::stack(out);
  }
};

struct Rnn512 : torch::nn::Module {
  torch::nn::RNNCell l1{nullptr};
  torch::nn::ReLU relu;
  torch::nn::Linear d{nullptr};

  Rnn512() {
    using torch::nn::RNNCellOptions;
    l1 = register_module(
        "l1",
        torch::nn::RNNCell(RNNCellOptions(bm::rnn512::in, bm::rnn512::hidden).nonlinearity(torch::kTanh)));
    d = register_module("d", torch::nn::Linear(bm::rnn512::hidden, bm::rnn512::out));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const std::int64_t steps = x.size(0), batch = x.size(1);
    torch::Tensor h = torch::zeros({batch, bm::rnn512::hidden});
    std::vector<torch::Tensor> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
      h = l1->forward(x[t], h);
      out.push_back(d->forward(relu->forward(h)));
    }
    return torch::stack(out);
  }
};

struct LifSnn : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  bool hoist;  // fc over all T x B rows at once, before the loop

  explicit LifSnn(bool hoist_linear = false) : hoist(hoist_linear) {
    fc = register_module("fc", torch::nn::Linear(bm::lif::in, bm::lif::hidden));
  }

  torch::Tensor forward(const torch::Tensor& x) {  // x (T, B, in) -> spikes (T, B, hidden)
    const std::int64_t steps = x.size(0), batch = x.size(1);
    const torch::Tensor current = hoist ? fc->forward(x) : torch::Tensor();
    torch::Tensor v = torch::zeros({batch, bm::lif::hidden});
    std::vector<torch::Tensor> out;
    out.reserve(static_cast<std::size_t>(steps));
    for (std::int64_t t = 0; t < steps; ++t) {
      const torch::Tensor i_t = hoist ? current[t] : fc->forward(x[t]);
      v = v + bm::lif::dt * (-v + i_t);
      torch::Tensor spike = (v >= 1.0).to(torch::kFloat);
      v = v * (1 - spike);
      out.push_back(std::move(spike));
    }
    return torch::stack(out);
  }
};

torch::nn::Sequential make_mlp() {
  return torch::nn::Sequential(torch::nn::Linear(bm::mlp::in, bm::mlp::hidden), torch::nn::ReLU(),
                               torch::nn::Linear(bm::mlp::hidden, bm::mlp::hidden), torch::nn::ReLU(),
                               torch::nn::Linear(bm::mlp::hidden, bm::mlp::out));
}

torch::Tensor seed_input() { return torch::randn({bm::seed::steps, bm::seed::batch, bm::seed::in}); }
torch::Tensor rnn512_input() { return torch::randn({bm::rnn512::steps, bm::rnn512::batch, bm::rnn512::in}); }
torch::Tensor mlp_input() { return torch::randn({bm::mlp::batch, bm::mlp::in}); }
torch::Tensor lif_input() {
  return torch::randn({bm::lif::steps, bm::lif::batch, bm::lif::in}) + bm::lif::input_mean;
}

void set_counters(benchmark::State& state, double flops, std::int64_t items) {
  state.counters["flops"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * items);
}

// Guard: torch::NoGradGuard or c10::InferenceMode, held over set-up and timing.
template <class Guard, class Model>
void run(benchmark::State& state, Model& model, const torch::Tensor& x, double flops, std::int64_t items) {
  Guard guard;
  model->eval();
  for (auto _ : state) {
    const torch::Tensor y = model->forward(x);
    keep(y.data_ptr());
    benchmark::ClobberMemory();
  }
  set_counters(state, flops, items);
}

template <class Guard>
void bm_seed(benchmark::State& state) {
  auto model = std::make_shared<SeedRnn>();
  run<Guard>(state, model, seed_input(), bm::seed::flops, bm::seed::batch);
}

template <class Guard>
void bm_rnn512(benchmark::State& state) {
  auto model = std::make_shared<Rnn512>();
  run<Guard>(state, model, rnn512_input(), bm::rnn512::flops, bm::rnn512::batch);
}

template <class Guard, bool Hoist = false>
void bm_lif(benchmark::State& state) {
  auto model = std::make_shared<LifSnn>(Hoist);
  run<Guard>(state, model, lif_input(), bm::lif::flops, bm::lif::batch);
}

template <class Guard>
void bm_mlp(benchmark::State& state) {
  torch::nn::Sequential model = make_mlp();
  run<Guard>(state, model, mlp_input(), bm::mlp::flops, bm::mlp::batch);
}

// Output shapes before timing.
bool shapes_ok() {
  torch::NoGradGuard guard;
  bool ok = true;
  const auto check = [&](const char* what, const torch::Tensor& y, std::vector<std::int64_t> expected) {
    if (y.sizes().vec() == expected && torch::isfinite(y).all().item<bool>()) return;
    std::fprintf(stderr, "bench_torch_models: %s output has an unexpected shape or non-finite values\n",
                 what);
    ok = false;
  };
  check(bm::seed_name, std::make_shared<SeedRnn>()->forward(seed_input()),
        {bm::seed::steps, bm::seed::batch, bm::seed::hidden2});
  check(bm::rnn512_name, std::make_shared<Rnn512>()->forward(rnn512_input()),
        {bm::rnn512::steps, bm::rnn512::batch, bm::rnn512::out});
  check(bm::mlp_name, make_mlp()->forward(mlp_input()), {bm::mlp::batch, bm::mlp::out});
  // LIF-SNN: the per-step and hoisted forms agree (same weights, same input;
  // a spike may flip where v rounds differently at the threshold), and the
  // network spikes (1% to 50% of neuron-steps).
  auto lif = std::make_shared<LifSnn>();
  const torch::Tensor x = lif_input();
  const torch::Tensor spikes = lif->forward(x);
  check(bm::lif_name, spikes, {bm::lif::steps, bm::lif::batch, bm::lif::hidden});
  lif->hoist = true;
  const std::int64_t differ = (lif->forward(x) != spikes).sum().item<std::int64_t>();
  lif->hoist = false;
  const double fraction = spikes.mean().item<double>();
  std::fprintf(
      stderr,
      "bench_torch_models: %s: %.1f%% of neuron-steps spike; per-step and hoisted Linear differ in %lld\n",
      bm::lif_name, 100.0 * fraction, static_cast<long long>(differ));
  if (!(fraction >= 0.01 && fraction <= 0.5) || differ * 1000 > spikes.numel()) {
    std::fprintf(stderr, "bench_torch_models: %s: unexpected spike fraction or disagreement\n", bm::lif_name);
    ok = false;
  }
  return ok;
}

// One thread everywhere; the OpenBLAS kernel set and thread count for the JSON context.
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
  std::fprintf(stderr, "bench_torch_models: libtorch %s on %s\n", TORCH_VERSION, blas.c_str());
  benchmark::AddCustomContext("torch_version", TORCH_VERSION);
  benchmark::AddCustomContext("torch_blas", blas);
  torch::manual_seed(0);
  if (!shapes_ok()) return 1;
  const auto reg = [](const std::string& name, void (*fn)(benchmark::State&)) {
    benchmark::RegisterBenchmark(name.c_str(), fn)->Unit(benchmark::kMicrosecond)->MeasureProcessCPUTime();
  };
  const std::string seed = bm::seed_name, rnn512 = bm::rnn512_name, mlp = bm::mlp_name, lif = bm::lif_name;
  reg(seed + "/torch", bm_seed<torch::NoGradGuard>);
  reg(seed + "/torch_inference", bm_seed<c10::InferenceMode>);
  reg(rnn512 + "/torch", bm_rnn512<torch::NoGradGuard>);
  reg(rnn512 + "/torch_inference", bm_rnn512<c10::InferenceMode>);
  reg(mlp + "/torch", bm_mlp<torch::NoGradGuard>);
  reg(mlp + "/torch_inference", bm_mlp<c10::InferenceMode>);
  reg(lif + "/torch", bm_lif<torch::NoGradGuard>);
  reg(lif + "/torch_inference", bm_lif<c10::InferenceMode>);
  reg(lif + "/torch_hoisted", bm_lif<c10::InferenceMode, true>);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
