// PoissonSpikes step against the LIF step of the same N, in one binary so the
// two are measured under the same conditions (issue: a Poisson step should
// cost at most twice the LIF update of the same N).
//
//   poisson/modyn/constant   dyn::PoissonSpikes at 20 Hz, dt = 0.1 ms
//   poisson/modyn/per_neuron the same with per-neuron rates (N,)
//   poisson/two_pass         the form non-host backends use: Rng::uniform into
//                            the spikes, then the threshold as a second map
//                            (same numbers; the fill itself now vectorized)
//   lif/modyn/exp_euler      dyn::LIF with a constant current (the LIF of
//                            benchmarks/neurons.cpp)
//
// N = 4000 and 400000, float32; items_per_second = neuron-steps/s. Each step
// is a call behind a non-inlinable function, as in neurons.cpp.
#include "modyn/dyn/inputs/poisson.hpp"

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/module/context.hpp"

namespace {

namespace dyn = modyn::dyn;
using modyn::Context;

constexpr double k_dt = 0.1;     // ms
constexpr double k_rate = 20.0;  // Hz

// benchmark::DoNotOptimize on a const lvalue (see neurons.cpp for why const).
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

template <class Module, class... Inputs>
[[gnu::noipa]] void step(Module& m, const Context& c, const Inputs&... inputs) {
  keep(m(c, inputs...).data());
}

void advance(Context& c) {
  ++c.i;
  c.t = static_cast<double>(c.i) * k_dt;
}

void counters(benchmark::State& state, std::size_t n) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
}

// The warm loop: one step of m per iteration, t and i advancing.
template <class Module, class... Inputs>
void run_steps(benchmark::State& state, Module& m, std::size_t n, const Inputs&... inputs) {
  Context c{0.0, 0, k_dt, false};
  for (auto _ : state) {
    step(m, c, inputs...);
    benchmark::ClobberMemory();
    advance(c);
  }
  counters(state, n);
}

void bm_poisson_constant(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  dyn::PoissonSpikes p(n, k_rate, 42);
  run_steps(state, p, n);
}

void bm_poisson_per_neuron(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<float> hz(n);
  for (std::size_t k = 0; k < n; ++k) hz[k] = 10.0f + static_cast<float>(k % 20);
  dyn::PoissonSpikes p(n, modyn::Tensor<float>(modyn::Shape{n}, hz), 42);
  run_steps(state, p, n);
}

// The draw before the fused form: uniform numbers, then a threshold pass.
struct threshold {
  float p;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = modyn::math::select(x < Vec(p), Vec(1), Vec(0));
  }
};

[[gnu::noipa]] void two_pass_step(const modyn::Rng& rng, modyn::Tensor<float>& s, std::size_t i, float p) {
  modyn::Rng stream = rng.split(i);
  stream.uniform(s);
  modyn::cpu::map(s.size(), threshold{p}, s.data());
  keep(s.data());
}

void bm_poisson_two_pass(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const modyn::Rng rng(42);
  auto s = modyn::Tensor<float>::zeros({n});
  const float p = static_cast<float>(k_rate * k_dt / 1000.0);
  std::size_t i = 0;
  for (auto _ : state) {
    two_pass_step(rng, s, i++, p);
    benchmark::ClobberMemory();
  }
  counters(state, n);
}

void bm_lif(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  dyn::LIF<float>::Options o;
  o.tau_ref = 2.0f;  // as neurons.cpp: the refractory hold is exercised
  dyn::LIF<float> lif(n, o);
  for (std::size_t k = 0; k < n; ++k) lif.V->data()[k] = 20.0f * static_cast<float>(k % 97) / 97.0f;
  run_steps(state, lif, n, 25.0f);
}

void sizes(benchmark::internal::Benchmark* b) { b->Arg(4000)->Arg(400000)->ArgName("N"); }

}  // namespace

BENCHMARK(bm_poisson_constant)->Name("poisson/modyn/constant")->Apply(sizes);
BENCHMARK(bm_poisson_per_neuron)->Name("poisson/modyn/per_neuron")->Apply(sizes);
BENCHMARK(bm_poisson_two_pass)->Name("poisson/two_pass")->Apply(sizes);
BENCHMARK(bm_lif)->Name("lif/modyn/exp_euler")->Apply(sizes);

BENCHMARK_MAIN();
