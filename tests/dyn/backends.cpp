// dyn modules on every backend: dyn::LIF driven by a constant input and by
// its own spikes through a dyn::Expon synapse, for 100 steps, on modyn::cpu,
// modyn::serial (kernels one element at a time, Vec = T) and
// modyn::pseudo_device (memory the host cannot touch), against the cpu run:
// V, g and the spike flags each step, and the emitted spike lists.
//
// Exactness: the spike flags and lists must be identical; V and g within a
// few ulps, as exp_euler's exp is std::exp on one lane and xsimd's on vectors.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/module/context.hpp"

namespace dyn = modyn::dyn;
using modyn::Shape;
using modyn::Tensor;

namespace {

constexpr std::size_t neurons = 37;  // not a multiple of any SIMD width
constexpr std::size_t steps = 100;
constexpr double dt = 0.5;

// What a run leaves at each step, on the host.
struct Trace {
  std::vector<std::vector<float>> V, spike, g;
  std::vector<std::vector<std::int32_t>> fired;
};

template <class X>
auto host_values(const X& x) {
  return modyn::to<modyn::cpu>(x).to_vector();
}

// A LIF population (batch rows of `neurons`, or none for batch == 0) whose
// input is a per-neuron constant current (a row broadcast over the batch),
// a number, and the conductance of an Expon synapse fed by its own spikes.
template <class B>
Trace run(std::size_t batch) {
  dyn::LIF<float, B> lif(neurons, {.V_rest = 0, .V_reset = -5, .V_th = 20, .tau = 10, .R = 1, .tau_ref = 2});
  dyn::Expon<float, B> syn(neurons, {.tau = 5});
  lif.reset_state(batch);
  syn.reset_state(batch);
  std::vector<float> drive(neurons);
  for (std::size_t i = 0; i < neurons; ++i) drive[i] = 14.0f + 0.375f * static_cast<float>(i);  // 14 .. 27.5
  const auto I = modyn::to<B>(Tensor<float>(Shape{neurons}, std::span<const float>(drive)));
  Trace trace;
  for (std::size_t k = 0; k < steps; ++k) {
    const modyn::Context c{static_cast<double>(k) * dt, k, dt, false};
    const auto& g = syn.update(c, *lif.spike);  // the spikes of the previous step
    lif.update(c, I, g, 0.25f);
    trace.V.push_back(host_values(*lif.V));
    trace.spike.push_back(host_values(*lif.spike));
    trace.g.push_back(host_values(*syn.g));
    trace.fired.push_back(host_values(Tensor<std::int32_t, B>(lif.fired().indices())));
  }
  return trace;
}

// |a - b| within `ulps` float spacings of the larger magnitude (or 1e-6 near 0).
bool close(float a, float b, float ulps) {
  const float scale = std::fmax(std::fmax(std::fabs(a), std::fabs(b)), 1e-6f * (1 << 23));
  return std::fabs(a - b) <= ulps * scale * 1.1920929e-7f;
}

template <class B>
void check_against_cpu(std::size_t batch) {
  const Trace want = run<modyn::cpu>(batch), got = run<B>(batch);
  const std::size_t total = batch == 0 ? neurons : batch * neurons;
  std::size_t spikes = 0, worst_step = steps;
  for (std::size_t k = 0; k < steps; ++k) {
    // Once flags or lists differ, everything after differs: report the first.
    if (got.spike[k] != want.spike[k] || got.fired[k] != want.fired[k]) {
      worst_step = k;
      break;
    }
    for (std::size_t i = 0; i < total; ++i) {
      if (!close(got.V[k][i], want.V[k][i], 16) || !close(got.g[k][i], want.g[k][i], 16)) {
        INFO("step " << k << ", element " << i << ": V " << got.V[k][i] << " vs cpu " << want.V[k][i]
                     << ", g " << got.g[k][i] << " vs cpu " << want.g[k][i]);
        REQUIRE(false);
      }
    }
    // The list is the flags, in index order.
    std::vector<std::int32_t> from_flags;
    for (std::size_t i = 0; i < total; ++i) {
      if (got.spike[k][i] != 0.0f) from_flags.push_back(static_cast<std::int32_t>(i));
    }
    if (from_flags != got.fired[k]) {
      INFO("step " << k << ": the emitted list is not the spike flags");
      REQUIRE(false);
    }
    spikes += got.fired[k].size();
  }
  INFO("first step whose spikes differ from cpu: " << worst_step);
  REQUIRE(worst_step == steps);
  // The run exercises spikes, resets and refractoriness (neurons that fire
  // again and again), and some neurons stay silent.
  REQUIRE(spikes > total / 2);
  std::size_t silent = 0, most = 0;
  for (std::size_t i = 0; i < total; ++i) {
    std::size_t count = 0;
    for (std::size_t k = 0; k < steps; ++k) count += want.spike[k][i] != 0.0f ? 1 : 0;
    silent += count == 0 ? 1 : 0;
    most = count > most ? count : most;
  }
  REQUIRE(silent > 0);
  REQUIRE(most >= 3);
}

}  // namespace

TEMPLATE_TEST_CASE("dyn::LIF with dyn::Expon for 100 steps on each backend equals the cpu run",
                   "[dyn][backends][lif][expon]", modyn::cpu, modyn::serial, modyn::pseudo_device) {
  SECTION("without a batch axis") { check_against_cpu<TestType>(0); }
  SECTION("with a batch of 3 and the constant current broadcast over it") { check_against_cpu<TestType>(3); }
}

TEMPLATE_TEST_CASE("dyn::Expon alone on each backend: a unit impulse decays as cpu's",
                   "[dyn][backends][expon]", modyn::cpu, modyn::serial, modyn::pseudo_device) {
  const auto run_expon = []<class B>(B) {
    dyn::Expon<float, B> syn(5, {.tau = 4});
    syn.reset_state(2);
    const auto impulse = modyn::to<B>(Tensor<float>(Shape{2, 5}, {1, 0, 2, 0, 3, 0, 4, 0, 5, 0}));
    const auto none = modyn::to<B>(Tensor<float>::zeros(Shape{2, 5}));
    std::vector<std::vector<float>> g;
    for (std::size_t k = 0; k < 20; ++k) {
      const modyn::Context c{static_cast<double>(k) * dt, k, dt, false};
      g.push_back(host_values(syn.update(c, k == 0 ? impulse : none)));
    }
    return g;
  };
  // One multiply-add per element with a factor computed on the host: equal up
  // to the compiler's contraction of it into an FMA on one side.
  const auto want = run_expon(modyn::cpu{}), got = run_expon(TestType{});
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    for (std::size_t i = 0; i < got[k].size(); ++i) {
      INFO("step " << k << ", element " << i << ": " << got[k][i] << " vs cpu " << want[k][i]);
      REQUIRE(close(got[k][i], want[k][i], 2));
    }
  }
  REQUIRE(got[19][4] > 0.0f);
  REQUIRE(got[19][1] == 0.0f);
}
