// The cases of dyn modules on every backend, over the type list
// backends_under_test that the including file declares first
// (tests/dyn/backends.cpp: the host backends; tests/cuda/dyn.cu: modyn::cuda): dyn::LIF driven by a constant
// input and by its own spikes through a dyn::Expon synapse, for 100 steps, on modyn::cpu, modyn::serial
// (kernels one element at a time, Vec = T) and modyn::pseudo_device (memory the host cannot touch), against
// the cpu run: V, g and the spike flags each step, and the emitted spike lists. Then the same for dyn::HH,
// Izhikevich, AdEx, LeakyIntegrator, DualExpon, Alpha, the COBA / CUBA / MgBlock outputs, Expon::deliver +
// decaying_into, and LoopOverTime with monitors of a small network (below).
//
// Exactness: the spike flags and lists must be identical; V and g within a
// few ulps, as exp_euler's exp is std::exp on one lane and xsimd's on vectors.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/monitor.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/neurons/adex.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/neurons/izhikevich.hpp"
#include "modyn/dyn/neurons/leaky_integrator.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/dyn/synapses/alpha.hpp"
#include "modyn/dyn/synapses/dual_expon.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/dyn/synapses/outputs.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/rebind.hpp"

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

TEMPLATE_LIST_TEST_CASE("dyn::LIF with dyn::Expon for 100 steps on each backend equals the cpu run",
                        "[dyn][backends][lif][expon]", backends_under_test) {
  SECTION("without a batch axis") { check_against_cpu<TestType>(0); }
  SECTION("with a batch of 3 and the constant current broadcast over it") { check_against_cpu<TestType>(3); }
}

TEMPLATE_LIST_TEST_CASE("dyn::Expon alone on each backend: a unit impulse decays as cpu's",
                        "[dyn][backends][expon]", backends_under_test) {
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

// ---- The other neurons and synapses, the synaptic outputs, the fused decay
// of Expon::decaying_into, and LoopOverTime with monitors.
//
// Each case runs one model on cpu and on TestType from the same start and
// inputs, snapshots the tensors it names at every step (copied to the host),
// and compares them with compare_runs: spike flags and emitted lists
// exactly, the others to rounding (Tolerance below), as the models' exp /
// expm1 are std:: on one lane and xsimd:: on vectors; pseudo_device's run
// is also compared with serial's, bit for bit.

namespace {

// What a run leaves at each step: the named tensors, and the neuron's
// emitted list where it has one.
struct Steps {
  std::vector<std::vector<std::vector<float>>> values;  // [step][quantity][element]
  std::vector<std::vector<std::int32_t>> fired;         // [step], empty for a model without a list
};

template <class... X>
std::vector<std::vector<float>> snapshot(const X&... x) {
  return {host_values(x)...};
}

template <class B, class Neuron>
std::vector<std::int32_t> fired_of(const Neuron& n) {
  return host_values(Tensor<std::int32_t, B>(n.fired().indices()));
}

// A per-neuron drive, low + step i (i < neurons), on backend B.
template <class B>
Tensor<float, B> ramp(float low, float step) {
  std::vector<float> v(neurons);
  for (std::size_t i = 0; i < neurons; ++i) v[i] = low + step * static_cast<float>(i);
  return modyn::to<B>(Tensor<float>(Shape{neurons}, std::span<const float>(v)));
}

constexpr std::size_t no_flags = static_cast<std::size_t>(-1);

// How far a run may be from the reference run. Step 0 starts both from the
// same state: there the quantities agree within `ulps` (close above).
// Later, where a model amplifies its own rounding (HH's upstroke,
// Izhikevich's V^2 and AdEx's exponential near threshold), a difference
// of an ulp in exp grows: there they may also differ by `relative`
// (|a - b| <= relative (1 + |b|)). The spike flags and lists are always
// exact, which is what pins the trajectories together.
struct Tolerance {
  float ulps;
  float relative;
};
constexpr Tolerance exact{0, 0};

bool within(float a, float b, std::size_t step, Tolerance tol) {
  return close(a, b, tol.ulps) || (step > 0 && std::fabs(a - b) <= tol.relative * (1.0f + std::fabs(b)));
}

// got (a run on some backend) against want (the reference run): quantity
// `flags` (spike flags, if any) and the emitted lists equal, and equal to
// each other (the list is the flags in index order); the other quantities
// within `tol`. Returns the number of spikes of the run.
std::size_t compare_runs(const Steps& got, const Steps& want, const std::vector<std::string>& names,
                         std::size_t flags, Tolerance tol) {
  REQUIRE(got.values.size() == want.values.size());
  REQUIRE(got.fired.size() == want.fired.size());
  std::size_t spikes = 0;
  for (std::size_t k = 0; k < got.values.size(); ++k) {
    REQUIRE(got.values[k].size() == names.size());
    for (std::size_t q = 0; q < names.size(); ++q) {
      const auto &a = got.values[k][q], &b = want.values[k][q];
      REQUIRE(a.size() == b.size());
      if (q == flags) {
        INFO("step " << k << ": the spike flags differ from the reference run's");
        REQUIRE(a == b);
        continue;
      }
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!within(a[i], b[i], k, tol)) {
          INFO("step " << k << ", " << names[q] << "[" << i << "]: " << a[i] << " vs " << b[i]);
          REQUIRE(false);
        }
      }
    }
    if (k < got.fired.size()) {
      INFO("step " << k << ": the emitted list differs from the reference run's");
      REQUIRE(got.fired[k] == want.fired[k]);
      std::vector<std::int32_t> from_flags;
      const auto& f = got.values[k][flags];
      for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] != 0.0f) from_flags.push_back(static_cast<std::int32_t>(i));
      }
      INFO("step " << k << ": the emitted list is not the spike flags");
      REQUIRE(from_flags == got.fired[k]);
      spikes += got.fired[k].size();
    }
  }
  return spikes;
}

// Runs `run(B{}, batch)` on cpu and on B, without a batch axis and with a
// batch of 3, and compares the runs within `tol`; returns the spikes of
// each. On pseudo_device the run must also be bit for bit serial's: both
// run the same one-lane kernels, and differ only in where memory lives.
template <class B, class Run>
std::vector<std::size_t> check_model(const Run& run, const std::vector<std::string>& names, std::size_t flags,
                                     Tolerance tol) {
  std::vector<std::size_t> spikes;
  for (const std::size_t batch : {std::size_t{0}, std::size_t{3}}) {
    INFO("batch " << batch);
    const Steps got = run(B{}, batch);
    {
      INFO("against the cpu run");
      spikes.push_back(compare_runs(got, run(modyn::cpu{}, batch), names, flags, tol));
    }
    if constexpr (std::is_same_v<B, modyn::pseudo_device>) {
      INFO("against the serial run, exactly");
      compare_runs(got, run(modyn::serial{}, batch), names, flags, exact);
    }
  }
  return spikes;
}

modyn::Context step_context(std::size_t k, double step) {
  return modyn::Context{static_cast<double>(k) * step, k, step, false};
}

template <class... Modules>
void reset_all(std::size_t batch, Modules&... modules) {
  (modules.reset_state(batch), ...);
}

// Steps a neuron `steps` times of `step` ms with a per-neuron current I
// (broadcast over the batch) and a number; states(neuron) snapshots what is
// compared.
template <class B, class Neuron, class States>
Steps drive_neuron(Neuron& neuron, std::size_t batch, const Tensor<float, B>& I, float constant,
                   std::size_t steps, double step, const States& states) {
  neuron.reset_state(batch);
  Steps s;
  for (std::size_t k = 0; k < steps; ++k) {
    neuron.update(step_context(k, step), I, constant);
    s.values.push_back(states(neuron));
    s.fired.push_back(fired_of<B>(neuron));
  }
  return s;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("dyn::HH with a broadcast current on each backend equals the cpu run",
                        "[dyn][backends][hh]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::HH<float, B> hh(neurons);
    // 1 .. 19 uA/cm^2, plus 0.5, for 30 ms
    return drive_neuron<B>(hh, batch, ramp<B>(1.0f, 0.5f), 0.5f, 600, 0.05,
                           [](const auto& n) { return snapshot(*n.V, *n.m, *n.h, *n.n, *n.spike); });
  };
  for (const std::size_t spikes : check_model<TestType>(run, {"V", "m", "h", "n", "spike"}, 4, {4, 1e-2f})) {
    REQUIRE(spikes > 0);
  }
}

TEMPLATE_LIST_TEST_CASE("dyn::Izhikevich with a broadcast current on each backend equals the cpu run",
                        "[dyn][backends][izhikevich]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::Izhikevich<float, B> izh(neurons, dyn::izhikevich::chattering);
    // 0 .. 14.4 mV/ms, plus 0.25, for 100 ms
    return drive_neuron<B>(izh, batch, ramp<B>(0.0f, 0.4f), 0.25f, 400, 0.25,
                           [](const auto& n) { return snapshot(*n.V, *n.u, *n.spike); });
  };
  for (const std::size_t spikes : check_model<TestType>(run, {"V", "u", "spike"}, 2, {4, 5e-2f})) {
    REQUIRE(spikes > 0);
  }
}

TEMPLATE_LIST_TEST_CASE("dyn::AdEx with a broadcast current on each backend equals the cpu run",
                        "[dyn][backends][adex]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::AdEx<float, B> adex(neurons);
    // 0 .. 36 mV (R = 1), plus 1, for 50 ms
    return drive_neuron<B>(adex, batch, ramp<B>(0.0f, 1.0f), 1.0f, 500, 0.1,
                           [](const auto& n) { return snapshot(*n.V, *n.w, *n.spike); });
  };
  for (const std::size_t spikes : check_model<TestType>(run, {"V", "w", "spike"}, 2, {4, 1e-3f})) {
    REQUIRE(spikes > 0);
  }
}

TEMPLATE_LIST_TEST_CASE(
    "dyn::LeakyIntegrator with a current and a CUBA input on each backend equals the cpu run",
    "[dyn][backends][leaky_integrator][cuba]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::LeakyIntegrator<float, B> readout(neurons, {.V_rest = -2, .tau = 8, .R = 2});
    dyn::Expon<float, B> syn(neurons, {.tau = 3});
    const dyn::CUBA<float> cuba;
    reset_all(batch, readout, syn);
    const auto I = ramp<B>(-1.0f, 0.125f);
    const auto pulse = ramp<B>(0.5f, 0.25f);
    Steps s;
    for (std::size_t k = 0; k < 200; ++k) {
      const auto c = step_context(k, 0.5);
      const auto& g = k % 7 == 0 ? syn.update(c, pulse) : syn.update(c, 0.0f);
      readout.update(c, I, cuba(g), 0.75f);
      s.values.push_back(snapshot(*readout.V, *syn.g));
    }
    return s;
  };
  check_model<TestType>(run, {"V", "g"}, no_flags, {16, 0});
}

TEMPLATE_LIST_TEST_CASE("dyn::DualExpon and dyn::Alpha alone on each backend: impulses decay as cpu's",
                        "[dyn][backends][dual_expon][alpha]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::DualExpon<float, B> dual(neurons, {.tau_decay = 6, .tau_rise = 1.5});
    dyn::Alpha<float, B> alpha(neurons, {.tau_decay = 4});
    reset_all(batch, dual, alpha);
    const auto impulse = ramp<B>(0.0f, 0.5f);
    Steps s;
    for (std::size_t k = 0; k < 60; ++k) {
      const auto c = step_context(k, 0.5);
      if (k % 25 == 0) {
        dual.update(c, impulse, 0.25f);
        alpha.update(c, impulse, 0.25f);
      } else {
        dual.update(c);
        alpha.update(c);
      }
      s.values.push_back(snapshot(*dual.g_rise, *dual.g_decay, *dual.g, *alpha.h, *alpha.g));
    }
    return s;
  };
  check_model<TestType>(run, {"DualExpon.g_rise", "DualExpon.g_decay", "DualExpon.g", "Alpha.h", "Alpha.g"},
                        no_flags, {4, 0});
}

// A LIF population driven by a current and by its own spikes through three
// synapses and outputs: an excitatory Expon through COBA, an inhibitory
// DualExpon through COBA (E = -80 mV) and an NMDA-like Alpha through MgBlock.
TEMPLATE_LIST_TEST_CASE("dyn::COBA, dyn::CUBA and dyn::MgBlock outputs as inputs of dyn::LIF on each backend",
                        "[dyn][backends][coba][mg_block][lif]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::LIF<float, B> lif(neurons, {.V_rest = -60, .V_reset = -65, .V_th = -50, .tau = 10, .tau_ref = 2});
    dyn::Expon<float, B> ampa(neurons, {.tau = 3});
    dyn::DualExpon<float, B> gaba(neurons, {.tau_decay = 8, .tau_rise = 1});
    dyn::Alpha<float, B> nmda(neurons, {.tau_decay = 20});
    dyn::Expon<float, B> current(neurons, {.tau = 5});
    const dyn::COBA<float> excitatory{0.0}, inhibitory{-80.0};
    const dyn::MgBlock<float> block;
    const dyn::CUBA<float> cuba;
    reset_all(batch, ampa, gaba, nmda, current, lif);
    const auto I = ramp<B>(8.0f, 0.4f);  // -60 + 8 .. 22.4 mV at rest, threshold at -50
    Steps s;
    for (std::size_t k = 0; k < 200; ++k) {
      const auto c = step_context(k, 0.5);
      const auto& g_ampa = ampa.update(c, *lif.spike);  // the spikes of the previous step
      const auto& g_gaba = gaba.update(c, *lif.spike);
      const auto& g_nmda = nmda.update(c, *lif.spike);
      const auto& i_syn = current.update(c, *lif.spike);
      lif.update(c, I, excitatory(g_ampa), inhibitory(g_gaba), block(g_nmda), cuba(i_syn));
      s.values.push_back(snapshot(*lif.V, *lif.spike, g_ampa, g_gaba, g_nmda, i_syn));
      s.fired.push_back(fired_of<B>(lif));
    }
    return s;
  };
  for (const std::size_t spikes :
       check_model<TestType>(run, {"V", "spike", "g_ampa", "g_gaba", "g_nmda", "i_syn"}, 1, {16, 0})) {
    REQUIRE(spikes > 0);
  }
}

// Expon::deliver adds the step's spikes to g; Expon::decaying_into(output, c)
// reads g into the neurons' pass and writes it back decayed, in that pass.
TEMPLATE_LIST_TEST_CASE("dyn::Expon::deliver and decaying_into fused into dyn::LIF on each backend",
                        "[dyn][backends][expon][decaying_into][lif]", backends_under_test) {
  const auto run = []<class B>(B, std::size_t batch) {
    dyn::LIF<float, B> lif(neurons, {.V_rest = -60, .V_reset = -65, .V_th = -50, .tau = 10, .tau_ref = 2});
    dyn::Expon<float, B> exc(neurons, {.tau = 3}), inh(neurons, {.tau = 6});
    const dyn::COBA<float> excitatory{0.0}, inhibitory{-80.0};
    reset_all(batch, lif, exc, inh);
    const auto I = ramp<B>(8.0f, 0.4f);
    Steps s;
    for (std::size_t k = 0; k < 200; ++k) {
      const auto c = step_context(k, 0.5);
      exc.deliver(*lif.spike, 0.01f);  // the spikes of the previous step, and a background
      inh.deliver(*lif.spike);
      lif.update(c, I, exc.decaying_into(excitatory, c), inh.decaying_into(inhibitory, c));
      s.values.push_back(snapshot(*lif.V, *lif.spike, *exc.g, *inh.g));
      s.fired.push_back(fired_of<B>(lif));
    }
    return s;
  };
  for (const std::size_t spikes : check_model<TestType>(run, {"V", "spike", "exc.g", "inh.g"}, 1, {16, 0})) {
    REQUIRE(spikes > 0);
  }
}

// ---- LoopOverTime and monitors.

namespace {

// A small network: a LIF population driven by the step's input and by its
// own spikes through an Expon synapse and a COBA output.
template <class B>
struct Net : modyn::Module<Net<B>> {
  using tensor_type = Tensor<float, B>;
  dyn::Expon<float, B> syn{neurons, {.tau = 5}};
  dyn::LIF<float, B> lif{neurons, {.V_rest = -60, .V_reset = -65, .V_th = -50, .tau = 10, .tau_ref = 2}};
  dyn::COBA<float> coba{0.0};
  MODYN_FIELDS(syn, lif, coba)

  template <class X>
  const tensor_type& update(const X& drive, const modyn::Context& c) {
    const auto& g = syn.update(c, *lif.spike);  // the spikes of the previous step
    return lif.update(c, drive, coba(g));
  }
};

// The histories of a run, on the host, and their shapes.
struct Histories {
  std::vector<std::vector<float>> values;
  std::vector<Shape> shapes;
};

template <class... X>
Histories histories(const X&... x) {
  return {{host_values(x)...}, {x.shape()...}};
}

// Outputs and state histories (the first three quantities: the output, V,
// g) of a LoopOverTime run on a backend against the cpu run: spike-valued
// ones (`exact`) equal, the others within 16 ulps.
void compare_histories(const Histories& got, const Histories& want, const std::vector<std::string>& names,
                       const std::vector<bool>& exact) {
  REQUIRE(got.values.size() == names.size());
  REQUIRE(want.values.size() == names.size());
  for (std::size_t q = 0; q < names.size(); ++q) {
    INFO(names[q]);
    REQUIRE(got.shapes[q] == want.shapes[q]);
    if (exact[q]) {
      REQUIRE(got.values[q] == want.values[q]);
      continue;
    }
    for (std::size_t i = 0; i < got.values[q].size(); ++i) {
      if (!close(got.values[q][i], want.values[q][i], 16)) {
        INFO("element " << i << ": " << got.values[q][i] << " vs cpu " << want.values[q][i]);
        REQUIRE(false);
      }
    }
  }
}

std::size_t count_nonzero(const std::vector<float>& v) {
  std::size_t n = 0;
  for (const float x : v) n += x != 0.0f ? 1 : 0;
  return n;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("LoopOverTime::run_for of a network moved with to<B>, with monitors, on each backend",
                        "[dyn][backends][loop_over_time][monitor]", backends_under_test) {
  using modyn::monitor;
  const auto run = []<class B>(B) {
    modyn::LoopOverTime loop{modyn::to<B>(Net<modyn::cpu>{}),
                             monitor<"lif.V">,
                             monitor<"syn.g">.every(3),
                             monitor<"lif.spike">,
                             {.dt = 0.5, .record_output = true}};
    loop.reset_state(2);
    const auto I = ramp<B>(8.0f, 0.4f);  // a per-sample current, broadcast over the batch of 2
    const auto& [out, V, g, spike] = loop.run_for(
        50.0, [current = &I](double, std::size_t) -> const Tensor<float, B>& { return *current; });
    return histories(out, V, g, spike);
  };
  const Histories want = run(modyn::cpu{}), got = run(TestType{});
  compare_histories(got, want, {"output", "lif.V", "syn.g", "lif.spike"}, {true, false, false, true});
  if constexpr (std::is_same_v<TestType, modyn::pseudo_device>) {
    INFO("against the serial run, exactly");
    compare_histories(got, run(modyn::serial{}), {"output", "lif.V", "syn.g", "lif.spike"},
                      {true, true, true, true});
  }
  REQUIRE(got.shapes[0] == Shape{100, 2, neurons});
  REQUIRE(got.shapes[2] == Shape{34, 2, neurons});  // every 3rd of 100 steps
  REQUIRE(got.values[0] == got.values[3]);          // the output is the spike State
  REQUIRE(count_nonzero(got.values[3]) > 0);
}

TEMPLATE_LIST_TEST_CASE("LoopOverTime over a batch-major input sequence, with monitors, on each backend",
                        "[dyn][backends][loop_over_time][monitor]", backends_under_test) {
  using modyn::monitor;
  constexpr std::size_t batch = 2, time = 80;
  std::vector<float> x(batch * time * neurons);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 12.0f + 8.0f * std::sin(0.05f * static_cast<float>(i));
  const Tensor<float> input(Shape{batch, time, neurons}, std::span<const float>(x));
  const auto run = [&]<class B>(B) {
    modyn::LoopOverTime loop{modyn::to<B>(Net<modyn::cpu>{}),
                             monitor<"lif.V">,
                             monitor<"lif.spike">,
                             {.dt = 0.5, .time_major = false}};
    loop.reset_state(batch);
    const auto& [out, V, spike] = loop(modyn::to<B>(input));
    return histories(out, V, spike);
  };
  const Histories want = run(modyn::cpu{}), got = run(TestType{});
  compare_histories(got, want, {"output", "lif.V", "lif.spike"}, {true, false, true});
  if constexpr (std::is_same_v<TestType, modyn::pseudo_device>) {
    INFO("against the serial run, exactly");
    compare_histories(got, run(modyn::serial{}), {"output", "lif.V", "lif.spike"}, {true, true, true});
  }
  REQUIRE(got.shapes[1] == Shape{batch, time, neurons});
  REQUIRE(count_nonzero(got.values[2]) > 0);
}
