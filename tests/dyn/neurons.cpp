// dyn neurons (LIF, HH, Izhikevich, AdEx, LeakyIntegrator): validation
// against independent references written here in double precision (LIF's
// analytic firing rate and trajectory, HH and AdEx by a hand-written RK4,
// Izhikevich's firing patterns by a hand-written RK4), and what every neuron
// shares: the batch axis, broadcast and summed inputs, shape errors,
// LoopOverTime with monitors, state dicts and reset_state, invalid options,
// and the SIMD body against the scalar tail.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/dyn/neurons/adex.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/neurons/izhikevich.hpp"
#include "modyn/dyn/neurons/leaky_integrator.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/modyn.hpp"
#include "support/helpers.hpp"

using Catch::Matchers::Contains;
using modyn::Context;
using modyn::cpu;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::Shape;
using modyn::Tensor;
namespace dyn = modyn::dyn;

// Catch records and formats every assertion, which is slow in loops over
// thousands of steps (and the ASan build runs these tests): loops test in
// plain code and assert, with the message, only on failure.
#define REQUIRE_IN_LOOP(cond, message) \
  do {                                 \
    if (!(cond)) {                     \
      INFO(message);                   \
      REQUIRE(cond);                   \
    }                                  \
  } while (false)

namespace {

// Step i of a run with step dt: the context LoopOverTime would pass.
Context at_step(std::size_t i, double dt) { return Context{static_cast<double>(i) * dt, i, dt, false}; }

// The steps at which `neuron` fired, from a (T, N) spike history.
template <class T>
std::vector<std::size_t> spike_steps(const Tensor<T>& spikes, std::size_t neuron) {
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < spikes.shape(0); ++k)
    if (spikes(k, neuron) != T(0)) out.push_back(k);
  return out;
}

std::vector<double> intervals(const std::vector<double>& times) {
  std::vector<double> out;
  for (std::size_t i = 1; i < times.size(); ++i) out.push_back(times[i] - times[i - 1]);
  return out;
}

std::vector<double> times_of(const std::vector<std::size_t>& steps, double dt) {
  std::vector<double> out;
  for (const std::size_t k : steps) out.push_back(static_cast<double>(k) * dt);
  return out;
}

double max_abs_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// The classical RK4 step of a system y' = f(y) of N variables, in double.
template <std::size_t N, class F>
void rk4_step(std::array<double, N>& y, double dt, const F& f) {
  const auto shifted = [&](const std::array<double, N>& k, double h) {
    std::array<double, N> out = y;
    for (std::size_t j = 0; j < N; ++j) out[j] += h * k[j];
    return out;
  };
  const auto k1 = f(y);
  const auto k2 = f(shifted(k1, dt / 2));
  const auto k3 = f(shifted(k2, dt / 2));
  const auto k4 = f(shifted(k3, dt));
  for (std::size_t j = 0; j < N; ++j) y[j] += dt / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
}

}  // namespace

// ============================================================================
// LIF
// ============================================================================

namespace {

using LIF = dyn::LIF<float>;

template <class Model = LIF>
typename Model::Options lif_validation_options(float tau_ref) {
  return {.V_rest = 0.f, .V_reset = 0.f, .V_th = 20.f, .tau = 10.f, .R = 1.f, .tau_ref = tau_ref};
}

// 1 / rate of the LIF of lif_validation_options under a constant current
// I (Gerstner et al., Neuronal Dynamics, ch. 1.3, with V_reset = V_rest):
// tau_ref + tau ln(R I / (R I - (V_th - V_rest))), tau = 10, R = 1,
// V_th - V_rest = 20.
double analytic_interval(double I, double tau_ref) { return tau_ref + 10.0 * std::log(I / (I - 20.0)); }

// The mean inter-spike interval of each neuron of a LIF under the constant
// currents I, over `duration` ms.
template <class Model>
std::vector<double> mean_intervals(Model lif, const Tensor<float>& I, double dt, double duration) {
  LoopOverTime loop{std::move(lif), monitor<"spike">, {.dt = dt}};
  const auto [out, spikes] =
      loop.run_for(duration, [&](double, std::size_t) -> const Tensor<float>& { return I; });
  std::vector<double> means;
  for (std::size_t j = 0; j < I.size(); ++j) {
    const auto steps = spike_steps(spikes, j);
    REQUIRE(steps.size() >= 4);
    means.push_back(static_cast<double>(steps.back() - steps.front()) /
                    static_cast<double>(steps.size() - 1) * dt);
  }
  return means;
}

}  // namespace

TEST_CASE("dyn::LIF: the mean inter-spike interval under constant current is the analytic one",
          "[dyn][neurons][lif]") {
  // A spike is seen at the end of the step in which V crosses V_th, so the
  // interval is rounded up to a whole number of steps: the error is in
  // [0, dt) with exp_euler (exact between spikes), so the bound scales with
  // dt. Euler at dt = 0.01 also shortens the charging time (the interval
  // less tau_ref) by about 0.05 %: its bound adds 0.1 % of that time.
  // Measured: at most 0.069 ms (dt = 0.1, I = 40) and -0.014 ms (euler,
  // dt = 0.01, I = 21).
  const Tensor<float> I{21.f, 25.f, 40.f};
  for (const float tau_ref : {2.f, 5.f}) {
    const auto check = [&](const std::vector<double>& measured, double dt, const char* method) {
      for (std::size_t j = 0; j < I.size(); ++j) {
        INFO(method << ", dt = " << dt << ", tau_ref = " << tau_ref << ", I = " << I(j));
        const double expected = analytic_interval(I(j), tau_ref);
        const double slack = 1e-6 * expected;  // float rounding of the step count times dt
        if (std::string(method) == "exp_euler") {
          CHECK(measured[j] >= expected - slack);  // never early
          CHECK(measured[j] < expected + dt + slack);
        } else {
          CHECK(std::abs(measured[j] - expected) < dt + 1e-3 * (expected - tau_ref));
        }
      }
    };
    for (const double dt : {0.1, 0.01}) {
      check(mean_intervals(LIF(3, lif_validation_options(tau_ref)), I, dt, 200.0), dt, "exp_euler");
    }
    using Euler = dyn::LIF<float, cpu, dyn::euler>;
    check(mean_intervals(Euler(3, lif_validation_options<Euler>(tau_ref)), I, 0.01, 200.0), 0.01, "euler");
  }
}

TEST_CASE(
    "dyn::LIF: refractory neurons hold V at V_reset for exactly tau_ref / dt steps and ignore the input",
    "[dyn][neurons][lif]") {
  constexpr double dt = 0.1;
  constexpr std::size_t held = 20;  // tau_ref / dt
  LIF::Options o;                   // BrainPy's defaults: V_reset = -5, distinct from V_rest = 0
  o.tau_ref = 2.f;
  LIF plain(1, o), flooded(1, o);
  std::size_t flooded_steps = 0, spikes = 0;
  std::vector<float> V;
  for (std::size_t i = 0; i < 2000; ++i) {
    // `flooded` gets a huge current while it is refractory.
    const bool refractory = flooded.refractory_left->data()[0] > 0.5 * dt;
    flooded_steps += refractory;
    plain(at_step(i, dt), 25.f);
    flooded(at_step(i, dt), refractory ? 1000.f : 25.f);
    REQUIRE_IN_LOOP(flooded.V->data()[0] == plain.V->data()[0], "step " << i);
    REQUIRE_IN_LOOP(flooded.spike->data()[0] == plain.spike->data()[0], "step " << i);
    V.push_back(plain.V->data()[0]);
    spikes += plain.spike->data()[0] == 1.f;
  }
  REQUIRE(spikes >= 10);
  CHECK(flooded_steps == spikes * held);
  // After each spike V is V_reset at the spike step and the `held` steps
  // after it, then it rises.
  std::size_t checked = 0;
  for (std::size_t k = 0; k + held + 1 < V.size(); ++k) {
    if (V[k] != -5.f || (k > 0 && V[k - 1] == -5.f)) continue;  // the first step at V_reset
    for (std::size_t j = 0; j <= held; ++j) {
      INFO("step " << k + j << " after the spike at step " << k);
      CHECK(V[k + j] == -5.f);
    }
    CHECK(V[k + held + 1] > -5.f);
    ++checked;
  }
  CHECK(checked + 1 >= spikes);
}

TEST_CASE("dyn::LIF: the refractory period lasts tau_ref / dt steps at any time of a long run",
          "[dyn][neurons][lif]") {
  // After 10 simulated minutes float can no longer tell t from t + 0.01 ms
  // (its spacing there is 0.0625 ms); the countdown does not depend on t.
  constexpr double dt = 0.01;
  for (const double t0 : {0.0, 1e5, 6e5, 3.6e6}) {
    INFO("run starting at t = " << t0 << " ms");
    LIF lif(1, {.V_rest = 0, .V_reset = 0, .V_th = 10, .tau = 10, .R = 1, .tau_ref = 1});
    std::vector<std::size_t> spike_steps;
    for (std::size_t i = 0; i < 2000; ++i) {
      const std::size_t step = static_cast<std::size_t>(t0 / dt) + i;
      lif(Context{t0 + static_cast<double>(i) * dt, step, dt, false}, 1e5f);  // fires as soon as it may
      if (lif.spike->data()[0] == 1.f) spike_steps.push_back(i);
    }
    REQUIRE(spike_steps.size() >= 10);
    for (std::size_t k = 1; k < spike_steps.size(); ++k) {
      // 100 held steps, then one step that charges past V_th (in 0.001 ms: 10 ln(1 / (1 - 1e-4))).
      CHECK(spike_steps[k] - spike_steps[k - 1] == 101);
    }
  }
}

TEST_CASE("dyn::LIF: below threshold it never fires and follows V_rest + R I (1 - exp(-t / tau))",
          "[dyn][neurons][lif]") {
  // exp_euler is exact for the LIF: the trajectory matches the analytic one
  // at every step to rounding (float: 1e-5 relative; double: 1e-12 mV).
  const double V_rest = -70, R = 2, I = 20, tau = 10;  // V -> -30 < V_th = 20
  const auto analytic = [&](double t) { return V_rest + R * I * (1 - std::exp(-t / tau)); };
  SECTION("float, dt = 0.1") {
    LIF lif(2, {.V_rest = -70.f, .V_reset = -75.f, .V_th = 20.f, .tau = 10.f, .R = 2.f, .tau_ref = 2.f});
    for (std::size_t i = 0; i < 2000; ++i) {
      lif(at_step(i, 0.1), 20.f);
      const double t = static_cast<double>(i + 1) * 0.1;
      REQUIRE_IN_LOOP((*lif.V)(0) == Approx(analytic(t)).epsilon(1e-5), "t = " << t);
      REQUIRE_IN_LOOP((*lif.spike)(0) == 0.f, "t = " << t);
    }
    CHECK((*lif.V)(1) == Approx(-30.0).epsilon(1e-5));  // R I above V_rest after 20 tau
  }
  SECTION("double, dt = 0.25") {
    dyn::LIF<double> lif(1, {.V_rest = -70, .V_reset = -75, .V_th = 20, .tau = 10, .R = 2, .tau_ref = 0});
    double worst = 0;
    for (std::size_t i = 0; i < 400; ++i) {
      lif(at_step(i, 0.25), 20.0);
      worst = std::max(worst, std::abs((*lif.V)(0) - analytic(static_cast<double>(i + 1) * 0.25)));
    }
    CHECK(worst < 1e-12);
  }
  SECTION("R I just below the threshold distance: no spike") {
    LIF lif(1, lif_validation_options(0.f));
    for (std::size_t i = 0; i < 3000; ++i)
      REQUIRE_IN_LOOP(lif(at_step(i, 0.1), 19.9f)(0) == 0.f, "step " << i);
    CHECK((*lif.V)(0) == Approx(19.9 * (1 - std::exp(-30.0))).epsilon(1e-5));
  }
}

// ============================================================================
// HH
// ============================================================================

namespace {

// HH as documented in hh.hpp (BrainPy's parameters), in double.
namespace hh_ref {
double alpha_m(double V) {
  const double x = V + 40;
  return std::abs(x) < 1e-9 ? 1.0 : 0.1 * x / (1 - std::exp(-x / 10));
}
double beta_m(double V) { return 4 * std::exp(-(V + 65) / 18); }
double alpha_h(double V) { return 0.07 * std::exp(-(V + 65) / 20); }
double beta_h(double V) { return 1 / (1 + std::exp(-(V + 35) / 10)); }
double alpha_n(double V) {
  const double x = V + 55;
  return std::abs(x) < 1e-9 ? 0.1 : 0.01 * x / (1 - std::exp(-x / 10));
}
double beta_n(double V) { return 0.125 * std::exp(-(V + 65) / 80); }

std::array<double, 4> rhs(const std::array<double, 4>& y, double I) {
  const auto [V, m, h, n] = y;
  const double dV = -120 * m * m * m * h * (V - 50) - 36 * n * n * n * n * (V + 77) - 0.03 * (V + 54.387) + I;
  return {dV, alpha_m(V) * (1 - m) - beta_m(V) * m, alpha_h(V) * (1 - h) - beta_h(V) * h,
          alpha_n(V) * (1 - n) - beta_n(V) * n};
}

std::array<double, 4> initial() {
  const double V = -65;
  return {V, alpha_m(V) / (alpha_m(V) + beta_m(V)), alpha_h(V) / (alpha_h(V) + beta_h(V)),
          alpha_n(V) / (alpha_n(V) + beta_n(V))};
}

// Upward crossings of 20 mV, interpolated linearly within the step.
std::vector<double> spike_times(double I, double duration, double dt) {
  auto y = initial();
  std::vector<double> out;
  const long steps = std::lround(duration / dt);
  for (long k = 0; k < steps; ++k) {
    const double before = y[0];
    rk4_step(y, dt, [&](const std::array<double, 4>& s) { return rhs(s, I); });
    if (before < 20 && y[0] >= 20)
      out.push_back(static_cast<double>(k) * dt + dt * (20 - before) / (y[0] - before));
  }
  return out;
}

// Where the reference settles without input (1000 ms; computed once).
const std::array<double, 4>& resting_state() {
  static const std::array<double, 4> rest = [] {
    auto y = initial();
    for (int k = 0; k < 100000; ++k)
      rk4_step(y, 0.01, [](const std::array<double, 4>& s) { return rhs(s, 0); });
    return y;
  }();
  return rest;
}
}  // namespace hh_ref

// The reference spike times at I = 5 over 100 ms (RK4, dt = 0.001): about
// 4.516, 22.862, 41.163, 59.464, 77.764, 96.064 ms.
const std::vector<double>& hh_reference_spikes() {
  static const std::vector<double> times = hh_ref::spike_times(5.0, 100.0, 0.001);
  return times;
}

struct hh_run {
  std::vector<double> crossings;  // from the V history, interpolated as the reference
  std::size_t spike_count = 0;    // from the spike State
  bool spikes_match_crossings = true;
  double V_min = 1e9, V_max = -1e9, V_last = 0;
};

template <class Model>
hh_run run_hh(double I, double duration, double dt) {
  using T = typename Model::tensor_type::value_type;
  LoopOverTime loop{Model(1), monitor<"V">, monitor<"spike">, {.dt = dt}};
  const auto [out, V, spike] = loop.run_for(duration, [&](double, std::size_t) { return static_cast<T>(I); });
  hh_run r;
  double before = -65;
  for (std::size_t k = 0; k < V.shape(0); ++k) {
    const double v = V(k, 0);
    const bool crossed = before < 20 && v >= 20;
    if (crossed) r.crossings.push_back(static_cast<double>(k) * dt + dt * (20 - before) / (v - before));
    r.spikes_match_crossings = r.spikes_match_crossings && (spike(k, 0) == T(crossed ? 1 : 0));
    r.spike_count += spike(k, 0) == T(1);
    r.V_min = std::min(r.V_min, v);
    r.V_max = std::max(r.V_max, v);
    before = v;
  }
  r.V_last = before;
  return r;
}

}  // namespace

TEST_CASE("dyn::HH: spike times under a constant current match a reference RK4 at dt = 0.001",
          "[dyn][neurons][hh]") {
  const auto& reference = hh_reference_spikes();
  REQUIRE(reference.size() == 6);
  CHECK(reference[0] == Approx(4.516).margin(0.01));
  CHECK(reference[5] == Approx(96.064).margin(0.01));
  const auto compare = [&](const hh_run& r, double tolerance) {
    CHECK(r.spikes_match_crossings);
    CHECK(r.spike_count == reference.size());
    REQUIRE(r.crossings.size() == reference.size());
    const double error = max_abs_difference(r.crossings, reference);
    INFO("largest spike-time error " << error << " ms");
    CHECK(error < tolerance);
  };
  // Measured errors: rk4 7e-5 ms (double) and 1.2e-4 ms (float); exp_euler
  // 0.43 ms (its rate is 0.5 % low, so the error grows with time: 0.06 ms
  // at the first spike).
  SECTION("dyn::HH<double, cpu, rk4>, dt = 0.01") {
    compare(run_hh<dyn::HH<double, cpu, dyn::rk4>>(5, 100, 0.01), 0.02);
  }
  SECTION("dyn::HH<float, cpu, rk4>, dt = 0.01") {
    compare(run_hh<dyn::HH<float, cpu, dyn::rk4>>(5, 100, 0.01), 0.02);
  }
  SECTION("dyn::HH<float> (exp_euler), dt = 0.01") { compare(run_hh<dyn::HH<float>>(5, 100, 0.01), 0.5); }
}

TEST_CASE("dyn::HH: without input it does not fire and rests", "[dyn][neurons][hh]") {
  // With BrainPy's gL = 0.03 mS/cm^2 the resting state of these equations is
  // V = -70.676 mV, not V_init = -65 mV (EL = -54.387 mV puts rest at
  // -65 mV only with Hodgkin and Huxley's gL = 0.3): from the default state
  // V dips to -72.51 mV and settles at rest within 100 ms.
  const std::array<double, 4>& rest = hh_ref::resting_state();
  REQUIRE(std::abs(hh_ref::rhs(rest, 0)[0]) < 1e-9);
  REQUIRE(rest[0] == Approx(-70.676).margin(1e-3));
  SECTION("from the default state: no spike, and the reference's trajectory to rest") {
    const auto check = [&](const hh_run& r) {
      CHECK(r.spike_count == 0);
      CHECK(r.crossings.empty());
      CHECK(r.V_min == Approx(-72.51).margin(0.05));
      CHECK(r.V_max < -64.99);
      CHECK(r.V_last == Approx(rest[0]).margin(0.05));
    };
    check(run_hh<dyn::HH<float>>(0, 100, 0.1));
    check(run_hh<dyn::HH<float>>(0, 100, 0.01));
    check(run_hh<dyn::HH<double, cpu, dyn::rk4>>(0, 100, 0.05));
    CHECK(hh_ref::spike_times(0, 100, 0.01).empty());
  }
  SECTION("from the resting state: V stays within 0.5 mV of it over 100 ms (measured: < 1e-6 mV)") {
    const auto check = [&](auto model, double dt) {
      using T = typename decltype(model)::tensor_type::value_type;
      const auto set = [](auto& state, double value) {
        state = Tensor<T>::full(Shape{1}, static_cast<T>(value));
      };
      set(model.V, rest[0]);
      set(model.m, rest[1]);
      set(model.h, rest[2]);
      set(model.n, rest[3]);
      for (std::size_t i = 0; i < static_cast<std::size_t>(std::lround(100 / dt)); ++i) {
        REQUIRE_IN_LOOP(model(at_step(i, dt))(0) == T(0), "step " << i);
        REQUIRE_IN_LOOP(std::abs((*model.V)(0) - rest[0]) < 0.5, "step " << i);
      }
      CHECK(std::abs((*model.V)(0) - rest[0]) < 0.01);
    };
    check(dyn::HH<float>(1), 0.1);
    check(dyn::HH<float, cpu, dyn::rk4>(1), 0.01);
    check(dyn::HH<double>(1), 0.01);
  }
}

// ============================================================================
// Izhikevich
// ============================================================================

namespace {

// The model of Izhikevich (2003) in double: RK4 steps of dt, then the reset
// v >= 30 -> v = c, u += d (as the model: the threshold is checked after
// each step). Returns the spike times (the start of the step that fired).
std::vector<double> izhikevich_reference(dyn::izhikevich::parameter_set p, double I, double duration,
                                         double dt) {
  std::array<double, 2> y{-65, p.b * -65};
  std::vector<double> out;
  const auto f = [&](const std::array<double, 2>& s) {
    return std::array<double, 2>{0.04 * s[0] * s[0] + 5 * s[0] + 140 - s[1] + I, p.a * (p.b * s[0] - s[1])};
  };
  const long steps = std::lround(duration / dt);
  for (long k = 0; k < steps; ++k) {
    rk4_step(y, dt, f);
    if (y[0] >= 30) {
      out.push_back(static_cast<double>(k) * dt);
      y[0] = p.c;
      y[1] += p.d;
    }
  }
  return out;
}

// dyn::Izhikevich<float> (exp_euler) with dt = 0.1, from its default state
// (V = -65, u = b V), under a current of 10 switched on at t = 0.
std::vector<double> izhikevich_run(dyn::izhikevich::parameter_set p, double duration) {
  constexpr double dt = 0.1;
  LoopOverTime loop{dyn::Izhikevich<float>(1, p), monitor<"V">, {.dt = dt, .record_output = true}};
  const auto [spikes, V] = loop.run_for(duration, [](double, std::size_t) { return 10.f; });
  for (std::size_t k = 0; k < V.shape(0); ++k)
    REQUIRE_IN_LOOP(V(k, 0) < 30.f, "step " << k);  // reset when fired
  return times_of(spike_steps(spikes, 0), dt);
}

// Spikes closer than 10 ms form a burst: the sizes of the bursts.
std::vector<std::size_t> burst_sizes(const std::vector<double>& times) {
  std::vector<std::size_t> sizes;
  for (std::size_t i = 0; i < times.size(); ++i) {
    if (i == 0 || times[i] - times[i - 1] >= 10.0) sizes.push_back(0);
    ++sizes.back();
  }
  return sizes;
}

// The band a count must lie in: the reference count +- max(1, 2 %).
void check_count(std::size_t count, std::size_t reference) {
  const double band = std::max(1.0, 0.02 * static_cast<double>(reference));
  INFO("count " << count << ", reference " << reference << " +- " << band);
  CHECK(std::abs(static_cast<double>(count) - static_cast<double>(reference)) <= band);
}

}  // namespace

TEST_CASE("dyn::Izhikevich: the firing patterns of Izhikevich (2003), fig. 2", "[dyn][neurons][izhikevich]") {
  // Reference: RK4 in double at dt = 0.01 (its counts equal those at
  // dt = 0.001). Counts in 1000 ms at I = 10: RS 23, FS 137, IB 34, CH 87;
  // dyn::Izhikevich<float> at dt = 0.1 gives 23, 136, 34, 87. The band is
  // the reference +- max(1, 2 %): RS [22, 24], FS [135, 139], IB [33, 35],
  // CH [86, 88].
  namespace sets = dyn::izhikevich;
  constexpr double duration = 1000, dt_ref = 0.01;

  const auto rs = izhikevich_run(sets::regular_spiking, duration);
  const auto rs_ref = izhikevich_reference(sets::regular_spiking, 10, duration, dt_ref);
  SECTION("regular spiking: adapting, the late intervals about twice the first") {
    check_count(rs.size(), rs_ref.size());
    const auto isi = intervals(rs), isi_ref = intervals(rs_ref);
    REQUIRE(isi.size() >= 10);
    // Reference: first interval 23.1 ms, then 44.8 ms (ratio 1.94; 1.93
    // measured): from the default state the ratio stays below 2, so the
    // test asks for 1.8 and for the reference's ratio within 3 %.
    CHECK(isi.back() > 1.8 * isi.front());
    CHECK(isi.back() / isi.front() == Approx(isi_ref.back() / isi_ref.front()).epsilon(0.03));
    for (std::size_t i = 1; i < isi.size(); ++i) CHECK(isi[i] > isi[0]);
    CHECK(isi.front() == Approx(isi_ref.front()).margin(0.5));
    CHECK(isi.back() == Approx(isi_ref.back()).margin(0.5));
  }
  SECTION("fast spiking: far more spikes than RS, the adaptation settles within four spikes") {
    const auto fs = izhikevich_run(sets::fast_spiking, duration);
    check_count(fs.size(), izhikevich_reference(sets::fast_spiking, 10, duration, dt_ref).size());
    CHECK(fs.size() > 4 * rs.size());
    const auto isi = intervals(fs);
    for (std::size_t i = 4; i < isi.size(); ++i) CHECK(isi[i] == Approx(isi.back()).epsilon(0.05));
    CHECK(isi.back() < 10.0);  // > 100 Hz
  }
  SECTION("intrinsically bursting: an initial burst, then regular spikes") {
    const auto ib = izhikevich_run(sets::intrinsically_bursting, duration);
    check_count(ib.size(), izhikevich_reference(sets::intrinsically_bursting, 10, duration, dt_ref).size());
    const auto sizes = burst_sizes(ib);
    REQUIRE(sizes.size() >= 10);
    CHECK(sizes.front() == 3);  // the reference's too: intervals 2.3 and 4.2 ms, then 40 ms
    for (std::size_t i = 1; i < sizes.size(); ++i) CHECK(sizes[i] == 1);
    const auto isi = intervals(ib);
    for (std::size_t i = 3; i < isi.size(); ++i) CHECK(isi[i] > 25.0);
  }
  SECTION("chattering: repeated bursts of fast spikes, the pattern of the reference") {
    const auto ch = izhikevich_run(sets::chattering, duration);
    const auto ch_ref = izhikevich_reference(sets::chattering, 10, duration, dt_ref);
    check_count(ch.size(), ch_ref.size());
    // Reference: a first burst of 7 spikes, then bursts of 5 (intervals
    // 1.8 to 4.8 ms) separated by 48 ms.
    const auto sizes = burst_sizes(ch), sizes_ref = burst_sizes(ch_ref);
    REQUIRE(sizes.size() >= 15);
    CHECK(sizes == sizes_ref);
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) CHECK(sizes[i] >= 4);
    for (const double isi : intervals(ch)) CHECK((isi < 6.0 || isi > 40.0));
  }
}

// ============================================================================
// AdEx
// ============================================================================

namespace {

// AdEx with BrainPy's defaults, as documented in adex.hpp, in double; above
// V_th = -30 the right-hand side is held at its value at V_th (adex.hpp).
std::array<double, 2> adex_rhs(const std::array<double, 2>& y, double I) {
  const double V = std::min(y[0], -30.0), w = y[1];
  return {(-(V + 65) + 3.48 * std::exp((V + 59.9) / 3.48) - w + I) / 10, (1.0 * (V + 65) - w) / 30};
}

struct adex_trace {
  std::vector<double> V, w;         // after each step
  std::vector<std::size_t> spikes;  // steps that fired
};

adex_trace adex_reference(double I, double duration, double dt) {
  std::array<double, 2> y{-65, 0};
  adex_trace r;
  const long steps = std::lround(duration / dt);
  for (long k = 0; k < steps; ++k) {
    rk4_step(y, dt, [&](const std::array<double, 2>& s) { return adex_rhs(s, I); });
    if (y[0] >= -30) {
      r.spikes.push_back(static_cast<std::size_t>(k));
      y = {-68, y[1] + 1};
    }
    r.V.push_back(y[0]);
    r.w.push_back(y[1]);
  }
  return r;
}

// The reference at I = 20 over 300 ms, dt = 0.001 (computed once).
const adex_trace& adex_reference_300ms() {
  static const adex_trace trace = adex_reference(20, 300, 0.001);
  return trace;
}

template <class Model>
adex_trace adex_run(double I, double duration, double dt) {
  using T = typename Model::tensor_type::value_type;
  LoopOverTime loop{Model(1), monitor<"V">, monitor<"w">, {.dt = dt, .record_output = true}};
  const auto [spikes, V, w] = loop.run_for(duration, [&](double, std::size_t) { return static_cast<T>(I); });
  adex_trace r;
  for (std::size_t k = 0; k < V.shape(0); ++k) {
    r.V.push_back(V(k, 0));
    r.w.push_back(w(k, 0));
  }
  r.spikes = spike_steps(spikes, 0);
  return r;
}

}  // namespace

TEST_CASE("dyn::AdEx: adaptation under a step current", "[dyn][neurons][adex]") {
  constexpr double dt = 0.1;
  const auto run = adex_run<dyn::AdEx<float>>(20, 300, dt);
  const auto isi = intervals(times_of(run.spikes, dt));
  REQUIRE(isi.size() >= 15);
  SECTION("the intervals increase (reference: 9.5 ms, then up to 12.9 ms)") {
    for (std::size_t i = 1; i < isi.size(); ++i) CHECK(isi[i] >= isi[i - 1] - 0.15);  // a step of rounding
    CHECK(isi.back() > 1.25 * isi.front());
    const auto ref = intervals(times_of(adex_reference_300ms().spikes, 0.001));
    CHECK(isi.front() == Approx(ref.front()).margin(0.2));
    CHECK(isi.back() == Approx(ref.back()).margin(0.2));
  }
  SECTION("w follows tau_w dw/dt = a (V - V_rest) - w and jumps by b at each spike") {
    // exp_euler advances w exactly with V frozen at the step's start:
    // w' = w e + (1 - e) a (V - V_rest), e = exp(-dt / tau_w).
    const double e = std::exp(-dt / 30);
    double V = -65, w = 0;
    std::size_t next_spike = 0;
    for (std::size_t k = 0; k < run.V.size(); ++k) {
      double expected = w * e + (1 - e) * 1.0 * (V + 65);
      const bool fired = next_spike < run.spikes.size() && run.spikes[next_spike] == k;
      if (fired) {
        expected += 1.0;  // b
        ++next_spike;
        CHECK(run.V[k] == -68.0);
      }
      REQUIRE_IN_LOOP(run.w[k] == Approx(expected).margin(1e-5), "step " << k << (fired ? ", a spike" : ""));
      V = run.V[k];
      w = run.w[k];
    }
  }
}

TEST_CASE("dyn::AdEx: the trajectory matches a reference RK4", "[dyn][neurons][adex]") {
  constexpr double I = 20;  // first spikes at 7.17 and 16.68 ms
  const auto reference = adex_reference(I, 20, 0.001);
  REQUIRE(reference.spikes.size() == 2);
  SECTION("dyn::AdEx<double, cpu, rk4> at dt = 0.001: the same steps") {
    // The same method: the differences are rounding (measured 1.5e-12 mV).
    const auto run = adex_run<dyn::AdEx<double, cpu, dyn::rk4>>(I, 20, 0.001);
    CHECK(run.spikes == reference.spikes);
    CHECK(max_abs_difference(run.V, reference.V) < 1e-8);
    CHECK(max_abs_difference(run.w, reference.w) < 1e-10);
  }
  SECTION("dyn::AdEx<float> (exp_euler) at dt = 0.01, loosely") {
    const auto run = adex_run<dyn::AdEx<float>>(I, 20, 0.01);
    REQUIRE(run.spikes.size() == reference.spikes.size());
    // Spike times within 0.05 ms (measured 0.01), and V and w away from the
    // spikes (where a shift of a step moves V by tens of mV) within 0.5 mV
    // and 0.05 (measured 0.04 mV and 0.006).
    const auto times = times_of(run.spikes, 0.01), ref_times = times_of(reference.spikes, 0.001);
    CHECK(max_abs_difference(times, ref_times) < 0.05);
    double V_error = 0, w_error = 0;
    for (std::size_t k = 0; k < run.V.size(); ++k) {
      const double t = static_cast<double>(k + 1) * 0.01;
      const bool near_spike =
          std::any_of(ref_times.begin(), ref_times.end(), [&](double s) { return std::abs(t - s) < 0.5; });
      if (near_spike) continue;
      const std::size_t r = (k + 1) * 10 - 1;
      V_error = std::max(V_error, std::abs(run.V[k] - reference.V[r]));
      w_error = std::max(w_error, std::abs(run.w[k] - reference.w[r]));
    }
    INFO("V error " << V_error << " mV, w error " << w_error);
    CHECK(V_error < 0.5);
    CHECK(w_error < 0.05);
  }
}

TEST_CASE("dyn::AdEx with rk4 and rk2: the spike step does not corrupt w", "[dyn][neurons][adex]") {
  // In the step where V runs away, the stages of rk4 evaluate
  // dw/dt = (a (V - V_rest) - w) / tau_w at stage values of V of 1e30 and
  // more (the exponential is only capped at exp(80)): w jumps by ~20
  // instead of b = 1 (double, dt = 0.01, at t = 100.43 ms), later spikes are
  // missed, and in float V becomes NaN (dt = 0.05: two spikes in 300 ms).
  // rk2 at dt = 0.1 shows it mildly: w jumps by 1.25 at t = 115 ms. (A
  // jump of b +- 0.2 allows for w's own change over one step, <= 0.1.)
  // The reference: RK4 at dt = 0.001, 24 spikes, w below 8.7, late
  // intervals 12.94 ms.
  const auto& reference = adex_reference_300ms();
  REQUIRE(reference.spikes.size() == 24);
  const double late_interval = intervals(times_of(reference.spikes, 0.001)).back();
  const auto check = [&](const adex_trace& run, double dt) {
    CHECK(run.spikes.size() == reference.spikes.size());
    CHECK(std::isfinite(run.V.back()));
    CHECK(*std::max_element(run.w.begin(), run.w.end()) < 10.0);
    // At each spike w jumps by b = 1, give or take its change over one step.
    for (const std::size_t k : run.spikes) {
      INFO("spike at t = " << static_cast<double>(k) * dt);
      CHECK(run.w[k] - (k > 0 ? run.w[k - 1] : 0.0) == Approx(1.0).margin(0.2));
    }
    if (run.spikes.size() >= 2) {
      const auto isi = intervals(times_of(run.spikes, dt));
      CHECK(isi.back() == Approx(late_interval).epsilon(0.03));
    }
  };
  SECTION("rk4, double, dt = 0.01") {
    check(adex_run<dyn::AdEx<double, cpu, dyn::rk4>>(20, 300, 0.01), 0.01);
  }
  SECTION("rk4, float, dt = 0.05") { check(adex_run<dyn::AdEx<float, cpu, dyn::rk4>>(20, 300, 0.05), 0.05); }
  SECTION("rk2, float, dt = 0.1") { check(adex_run<dyn::AdEx<float, cpu, dyn::rk2>>(20, 300, 0.1), 0.1); }
  // The control, which passes: w sees V at the step's start only.
  SECTION("exp_euler, float, dt = 0.1") { check(adex_run<dyn::AdEx<float>>(20, 300, 0.1), 0.1); }
}

TEMPLATE_TEST_CASE("dyn::AdEx in float with a sharp spike (delta_T = 0.3): V stays finite",
                   "[dyn][neurons][adex]", dyn::exp_euler, dyn::euler, dyn::rk2, dyn::rk4) {
  // (V_th - V_T) / delta_T = 99.7: exp of it overflows float. Without the
  // cap on the exponent 83 of these 200 neurons ended at NaN (exp_euler),
  // and a NaN V never spikes again.
  constexpr std::size_t n = 200;
  dyn::AdEx<float, cpu, TestType> adex(n, {.delta_T = 0.3f});
  auto I = Tensor<float>::zeros(Shape{n});
  for (std::size_t j = 0; j < n; ++j) I.data()[j] = 5.0f + 0.5f * static_cast<float>(j);
  std::vector<double> spikes(n, 0.0);
  for (std::size_t i = 0; i < 3000; ++i) {
    adex(at_step(i, 0.1), I);
    for (std::size_t j = 0; j < n; ++j) spikes[j] += adex.spike->data()[j];
  }
  for (std::size_t j = 0; j < n; ++j) {
    INFO("neuron " << j << ", I = " << I(j));
    REQUIRE(std::isfinite(adex.V->data()[j]));
    REQUIRE(std::isfinite(adex.w->data()[j]));
  }
  // The strongest current fires, and about as often as the most active
  // other neuron (within 10 %).
  CHECK(spikes.back() > 0);
  CHECK(spikes.back() >= *std::max_element(spikes.begin(), spikes.end() - 1) * 0.9);
}

// ============================================================================
// LeakyIntegrator
// ============================================================================

TEST_CASE("dyn::LeakyIntegrator: exponential relaxation", "[dyn][neurons][leaky]") {
  // exp_euler is exact: V(t) = V_inf + (V0 - V_inf) exp(-t / tau), V_inf = V_rest + R I.
  dyn::LeakyIntegrator<double> leaky(2, {.V_rest = -10, .tau = 4, .R = 0.5});
  const auto t_of = [](std::size_t i) { return static_cast<double>(i + 1) * 0.3; };
  double worst = 0;
  for (std::size_t i = 0; i < 100; ++i) {
    const auto& V = leaky(at_step(i, 0.3), 6.0);
    worst = std::max(worst, std::abs(V(0) - (-7 + (-10 + 7) * std::exp(-t_of(i) / 4))));
  }
  CHECK(worst < 1e-12);
  // From a value set by hand, without input: back to V_rest.
  leaky.V = Tensor<double>{20.0, -30.0};
  worst = 0;
  for (std::size_t i = 0; i < 100; ++i) {
    leaky(at_step(i, 0.3));
    worst = std::max(worst, std::abs((*leaky.V)(0) - (-10 + 30 * std::exp(-t_of(i) / 4))));
    worst = std::max(worst, std::abs((*leaky.V)(1) - (-10 - 20 * std::exp(-t_of(i) / 4))));
  }
  CHECK(worst < 1e-12);
  // Never fires: it has no spike State, and update returns V.
  STATIC_REQUIRE(std::is_same_v<decltype(leaky(at_step(0, 0.1), 1.0)), const Tensor<double>&>);
  CHECK(modyn_test::paths_of(leaky.named_states()) == std::vector<std::string>{"V"});
}

// ============================================================================
// What every neuron shares
// ============================================================================

namespace {

// One case per neuron: the model (with its value type and integrator as
// parameters), the name in messages, a current that makes it fire (about
// 100 Hz), the reversal potential of a conductance input, its States.
struct lif_case {
  template <class T = float, class Method = dyn::exp_euler>
  using model = dyn::LIF<T, cpu, Method>;
  static constexpr const char* kind = "dyn::LIF";
  static constexpr float drive = 30.f;
  static constexpr float E = 40.f;
  static constexpr bool spikes = true;
  static std::vector<std::string> states() { return {"V", "spike", "refractory_left"}; }
  template <class T = float, class Method = dyn::exp_euler>
  static model<T, Method> make(std::size_t n) {
    return model<T, Method>(n, {.tau_ref = T(1)});
  }
};
struct hh_case {
  template <class T = float, class Method = dyn::exp_euler>
  using model = dyn::HH<T, cpu, Method>;
  static constexpr const char* kind = "dyn::HH";
  static constexpr float drive = 10.f;
  static constexpr float E = 0.f;
  static constexpr bool spikes = true;
  static std::vector<std::string> states() { return {"V", "m", "h", "n", "spike"}; }
  template <class T = float, class Method = dyn::exp_euler>
  static model<T, Method> make(std::size_t n) {
    return model<T, Method>(n);
  }
};
struct izhikevich_case {
  template <class T = float, class Method = dyn::exp_euler>
  using model = dyn::Izhikevich<T, cpu, Method>;
  static constexpr const char* kind = "dyn::Izhikevich";
  static constexpr float drive = 10.f;
  static constexpr float E = 0.f;
  static constexpr bool spikes = true;
  static std::vector<std::string> states() { return {"V", "u", "spike"}; }
  template <class T = float, class Method = dyn::exp_euler>
  static model<T, Method> make(std::size_t n) {
    return model<T, Method>(n);
  }
};
struct adex_case {
  template <class T = float, class Method = dyn::exp_euler>
  using model = dyn::AdEx<T, cpu, Method>;
  static constexpr const char* kind = "dyn::AdEx";
  static constexpr float drive = 40.f;
  static constexpr float E = 0.f;
  static constexpr bool spikes = true;
  static std::vector<std::string> states() { return {"V", "w", "spike"}; }
  template <class T = float, class Method = dyn::exp_euler>
  static model<T, Method> make(std::size_t n) {
    return model<T, Method>(n);
  }
};
struct leaky_case {
  template <class T = float, class Method = dyn::exp_euler>
  using model = dyn::LeakyIntegrator<T, cpu, Method>;
  static constexpr const char* kind = "dyn::LeakyIntegrator";
  static constexpr float drive = 10.f;
  static constexpr float E = 20.f;
  static constexpr bool spikes = false;
  static std::vector<std::string> states() { return {"V"}; }
  template <class T = float, class Method = dyn::exp_euler>
  static model<T, Method> make(std::size_t n) {
    return model<T, Method>(n);
  }
};

#define MODYN_EVERY_NEURON lif_case, hh_case, izhikevich_case, adex_case, leaky_case

// Currents from 0.5 to 1.5 times the drive over n neurons.
template <class T = float>
Tensor<T> graded_currents(std::size_t n, double drive) {
  auto x = Tensor<T>::empty(Shape{n});
  for (std::size_t j = 0; j < n; ++j)
    x(j) = static_cast<T>(drive * (0.5 + static_cast<double>(j) / static_cast<double>(n)));
  return x;
}

// The (rows, n) tensor with x in every row.
Tensor<float> repeated(const Tensor<float>& x, std::size_t rows) {
  auto out = Tensor<float>::empty(Shape{rows, x.size()});
  for (std::size_t r = 0; r < rows; ++r) std::copy(x.data(), x.data() + x.size(), out.data() + r * x.size());
  return out;
}

// The values of every State of a model, by path.
template <class M>
auto named_values(const M& m) {
  using T = typename M::tensor_type::value_type;
  std::vector<std::pair<std::string, std::vector<T>>> out;
  m.for_each_state([&](std::string_view path, const auto& s) {
    out.emplace_back(std::string(path), std::vector<T>(s->data(), s->data() + s->size()));
  });
  return out;
}

// Every State of a model, concatenated.
template <class M>
auto all_states(const M& m) {
  std::vector<typename M::tensor_type::value_type> out;
  for (const auto& [path, values] : named_values(m)) out.insert(out.end(), values.begin(), values.end());
  return out;
}

// The values of every State of batch row r of a batched model, by path.
template <class M>
auto named_row_values(const M& m, std::size_t r) {
  using T = typename M::tensor_type::value_type;
  std::vector<std::pair<std::string, std::vector<T>>> out;
  m.for_each_state([&](std::string_view path, const auto& s) {
    const auto row = (*s)[r];
    out.emplace_back(std::string(path), std::vector<T>(row.data(), row.data() + row.size()));
  });
  return out;
}

template <class M>
double spike_count(const M& m) {
  double n = 0;
  if constexpr (requires { m.spike; }) {
    for (std::size_t j = 0; j < m.spike->size(); ++j) n += m.spike->data()[j];
  }
  return n;
}

// How far two runs of the same neurons may drift apart when their elements
// go through different code paths (xsimd's exp and expm1 on the vector
// body, std's on the scalar tail; they differ by an ulp for 13 % and 7 % of
// float arguments): spikes and spike times exactly equal; V, u and w within
// 0.05, gates within 5e-4. Measured (float, 1000 steps of 0.1 ms, N = 37):
// V 0.005 mV (HH), u and w 2.4e-6, gates 4e-5; over 10000 steps V drifts
// up to 0.03 mV during upstrokes, still without a spike moving.
double drift_tolerance(const std::string& path) {
  if (path == "spike" || path == "refractory_left") return 0.0;
  if (path == "m" || path == "h" || path == "n") return 5e-4;
  return 0.05;
}

// Checks that two sets of named values are equal up to drift_tolerance;
// returns the largest difference of V.
template <class T>
double check_close(const std::vector<std::pair<std::string, std::vector<T>>>& a,
                   const std::vector<std::pair<std::string, std::vector<T>>>& b, std::size_t step) {
  REQUIRE(a.size() == b.size());
  double V_drift = 0;
  for (std::size_t s = 0; s < a.size(); ++s) {
    REQUIRE(a[s].first == b[s].first);
    REQUIRE(a[s].second.size() == b[s].second.size());
    for (std::size_t j = 0; j < a[s].second.size(); ++j) {
      const double d = std::abs(static_cast<double>(a[s].second[j]) - static_cast<double>(b[s].second[j]));
      REQUIRE_IN_LOOP(d <= drift_tolerance(a[s].first), "step " << step << ", State " << a[s].first
                                                                << ", element " << j << ": " << a[s].second[j]
                                                                << " vs " << b[s].second[j]);
      if (a[s].first == "V") V_drift = std::max(V_drift, d);
    }
  }
  return V_drift;
}

}  // namespace

TEMPLATE_TEST_CASE("dyn neurons: a batch axis repeats the unbatched population", "[dyn][neurons]",
                   MODYN_EVERY_NEURON) {
  // N = 20 is a vector and a tail on AVX-512 (16 lanes): the rows of the
  // batched run cover other lanes than the unbatched run, so they agree up
  // to drift_tolerance (exact agreement: see the SIMD test below).
  constexpr std::size_t n = 20, rows = 3, steps = 300;
  constexpr double dt = 0.1;
  const Tensor<float> x = graded_currents(n, TestType::drive);
  const Tensor<float> full = repeated(x, rows);
  auto single = TestType::make(n), batched = TestType::make(n), broadcast = TestType::make(n);
  single.reset_state(0);
  batched.reset_state(rows);
  broadcast.reset_state(rows);
  CHECK(batched.V->shape() == Shape{rows, n});
  double fired = 0, drift = 0;
  for (std::size_t i = 0; i < steps; ++i) {
    single(at_step(i, dt), x);
    batched(at_step(i, dt), full);
    broadcast(at_step(i, dt), x);  // the per-sample shape, over the batch axis
    fired += spike_count(single);
    const auto expected = named_values(single);
    for (std::size_t r = 0; r < rows; ++r) {
      drift = std::max(drift, check_close(named_row_values(batched, r), expected, i));
      drift = std::max(drift, check_close(named_row_values(broadcast, r), expected, i));
    }
  }
  if constexpr (TestType::spikes) CHECK(fired > 0);
  INFO("largest drift of V: " << drift);
  CHECK(drift < 0.05);
}

TEMPLATE_TEST_CASE("dyn neurons: several inputs sum (numbers, tensors, conductances)", "[dyn][neurons]",
                   MODYN_EVERY_NEURON) {
  // In double, so that rounding differences stay far below the tolerance
  // (1e-9 relative) even through the spikes.
  constexpr std::size_t n = 20, steps = 400;
  constexpr double dt = 0.05;
  const double E = TestType::E;
  const Tensor<double> x = graded_currents<double>(n, TestType::drive);
  auto g = Tensor<double>::empty(Shape{n});
  for (std::size_t j = 0; j < n; ++j) g(j) = 0.02 + 0.004 * static_cast<double>(j);
  const auto compare = [](const auto& a, const auto& b, std::size_t step) {
    const auto sa = all_states(a), sb = all_states(b);
    REQUIRE(sa.size() == sb.size());
    for (std::size_t k = 0; k < sa.size(); ++k) {
      REQUIRE_IN_LOOP(sa[k] == Approx(sb[k]).epsilon(1e-9).margin(1e-9),
                      "step " << step << ", element " << k);
    }
  };
  SECTION("euler: the inputs equal one tensor of currents x + 2.5 + g (E - V) computed from V") {
    // euler evaluates the inputs at the step's V only, so a conductance
    // input equals the current g (E - V) computed here before each step.
    auto summed = TestType::template make<double, dyn::euler>(n);
    auto by_hand = TestType::template make<double, dyn::euler>(n);
    auto current = Tensor<double>::empty(Shape{n});
    double fired = 0;
    for (std::size_t i = 0; i < steps; ++i) {
      for (std::size_t j = 0; j < n; ++j) current(j) = x(j) + 2.5 + g(j) * (E - (*by_hand.V)(j));
      summed(at_step(i, dt), 2.5, x, dyn::conductance(g, E));
      by_hand(at_step(i, dt), current);
      compare(summed, by_hand, i);
      fired += spike_count(summed);
    }
    if constexpr (TestType::spikes) CHECK(fired > 0);
  }
  SECTION("exp_euler: numbers, tensors and conductances combine in any order") {
    auto a = TestType::template make<double>(n), b = TestType::template make<double>(n),
         c = TestType::template make<double>(n);
    auto shifted = Tensor<double>::empty(Shape{n});
    for (std::size_t j = 0; j < n; ++j) shifted(j) = x(j) + 2.5;
    for (std::size_t i = 0; i < steps; ++i) {
      a(at_step(i, dt), 2.0, x, dyn::conductance(g, E), 0.5f);  // numbers of any arithmetic type
      b(at_step(i, dt), dyn::conductance(g, E), shifted);
      c.update(at_step(i, dt), x, 2.5, dyn::conductance(g, E));
      compare(a, b, i);
      compare(a, c, i);
    }
  }
  SECTION("a conductance pulls V towards E") {
    auto free = TestType::make(n), pulled = TestType::make(n);
    const auto strong = Tensor<float>::full(Shape{n}, 0.5f);
    const auto V0 = (*free.V)(0);
    free(at_step(0, dt));
    pulled(at_step(0, dt), dyn::conductance(strong, TestType::E));
    CHECK(std::abs((*pulled.V)(0) - TestType::E) < std::abs((*free.V)(0) - TestType::E));
    CHECK(((*pulled.V)(0) - V0) * (TestType::E - V0) > 0);
  }
}

TEMPLATE_TEST_CASE(
    "dyn neurons: an input of the wrong shape throws shape_error naming the model and both shapes",
    "[dyn][neurons]", MODYN_EVERY_NEURON) {
  auto m = TestType::make(5);
  m.set_name("pop");
  const std::string who = std::string(TestType::kind) + " 'pop'";
  const auto wrong = Tensor<float>::zeros(Shape{4});
  auto msg = modyn_test::message_of<modyn::shape_error>([&] { m(at_step(0, 0.1), wrong); });
  CHECK_THAT(msg, Contains(who) && Contains("(4,)") && Contains("(5,)") && Contains("input 0"));
  // Inputs are checked before the pass: nothing was changed.
  CHECK(all_states(m) == all_states(TestType::make(5)));
  // The second input, a conductance, in a batched population.
  m.reset_state(3);
  const auto rows = Tensor<float>::zeros(Shape{2, 5});
  const auto ok = Tensor<float>::zeros(Shape{5});
  msg = modyn_test::message_of<modyn::shape_error>(
      [&] { m(at_step(0, 0.1), ok, dyn::conductance(rows, 0.f)); });
  CHECK_THAT(msg, Contains(who) && Contains("(2, 5)") && Contains("(3, 5)") && Contains("input 1") &&
                      Contains("conductance"));
  // Positions count every argument, numbers included.
  msg = modyn_test::message_of<modyn::shape_error>([&] { m(at_step(0, 0.1), 2.5f, ok, 1.0f, rows); });
  CHECK_THAT(msg, Contains(who) && Contains("input 3") && Contains("(2, 5)"));
  // A batched input to an unbatched population.
  m.reset_state(0);
  msg = modyn_test::message_of<modyn::shape_error>([&] {
    m(at_step(0, 0.1), Tensor<float>::zeros(Shape{3, 5}));
  });
  CHECK_THAT(msg, Contains(who) && Contains("(3, 5)") && Contains("(5,)"));
}

TEMPLATE_TEST_CASE("dyn neurons: spikes are 0 or 1, of V's type", "[dyn][neurons]", MODYN_EVERY_NEURON) {
  auto m = TestType::make(37);
  if constexpr (TestType::spikes) {
    STATIC_REQUIRE(std::is_same_v<decltype(m.spike), decltype(m.V)>);
    STATIC_REQUIRE(
        std::is_same_v<decltype(TestType::template make<double>(1).spike), modyn::State<Tensor<double>>>);
    STATIC_REQUIRE(std::is_same_v<decltype(m(at_step(0, 0.1), 1.f)), const Tensor<float>&>);
    const auto x = graded_currents(37, TestType::drive);
    double fired = 0;
    for (std::size_t i = 0; i < 500; ++i) {
      const auto& s = m(at_step(i, 0.1), x);
      REQUIRE_IN_LOOP(&s == &*m.spike, "step " << i);
      for (std::size_t j = 0; j < 37; ++j) REQUIRE_IN_LOOP((s(j) == 0.f || s(j) == 1.f), "step " << i);
      fired += spike_count(m);
    }
    CHECK(fired > 37);
  } else {
    STATIC_REQUIRE(!requires { m.spike; });
  }
}

TEMPLATE_TEST_CASE("dyn neurons: LoopOverTime runs them with monitors", "[dyn][neurons][loop]",
                   MODYN_EVERY_NEURON) {
  constexpr std::size_t n = 7;
  constexpr double dt = 0.1;
  const auto input = [](double t, std::size_t) { return t < 5.0 ? 0.f : TestType::drive; };
  auto by_hand = TestType::make(n);
  std::vector<float> V_expected, spike_expected;
  for (std::size_t i = 0; i < 200; ++i) {
    by_hand(at_step(i, dt), input(static_cast<double>(i) * dt, i));
    V_expected.insert(V_expected.end(), by_hand.V->data(), by_hand.V->data() + n);
    if constexpr (TestType::spikes) {
      spike_expected.insert(spike_expected.end(), by_hand.spike->data(), by_hand.spike->data() + n);
    }
  }
  if constexpr (TestType::spikes) {
    LoopOverTime loop{TestType::make(n), monitor<"V">, monitor<"spike">, {.dt = dt, .record_output = true}};
    const auto& [out, V, spike] = loop.run_for(20.0, input);
    CHECK(out.shape() == Shape{200, n});
    CHECK(V.shape() == Shape{200, n});
    CHECK(spike.shape() == Shape{200, n});
    CHECK(V.to_vector() == V_expected);
    CHECK(spike.to_vector() == spike_expected);
    CHECK(out.to_vector() == spike_expected);
    CHECK(std::count(spike_expected.begin(), spike_expected.end(), 1.f) > 0);
  } else {
    LoopOverTime loop{TestType::make(n), monitor<"V">, {.dt = dt, .record_output = true}};
    const auto& [out, V] = loop.run_for(20.0, input);
    CHECK(V.shape() == Shape{200, n});
    CHECK(V.to_vector() == V_expected);
    CHECK(out.to_vector() == V_expected);  // update returns V
  }
}

TEMPLATE_TEST_CASE("dyn neurons: state_dict keys, and reset_state restores the initial values",
                   "[dyn][neurons]", MODYN_EVERY_NEURON) {
  constexpr std::size_t n = 5;
  auto m = TestType::make(n);
  const auto initial = m.state_dict();
  CHECK(initial.keys() == TestType::states());
  CHECK(modyn_test::paths_of(m.named_states()) == TestType::states());
  for (std::size_t i = 0; i < 100; ++i) m(at_step(i, 0.1), TestType::drive);
  CHECK(all_states(m) != all_states(TestType::make(n)));
  SECTION("reset_state()") {
    m.reset_state();
    const auto dict = m.state_dict();
    for (const auto& [key, value] : initial) {
      INFO(key);
      CHECK(dict.at(key).shape() == Shape{n});
      CHECK(dict.at(key) == value);  // dtype, shape and bytes
    }
  }
  SECTION("reset_state(3): every row holds the initial values") {
    m.reset_state(3);
    const auto dict = m.state_dict();
    for (const auto& [key, value] : initial) {
      INFO(key);
      REQUIRE(dict.at(key).shape() == Shape{3, n});
      for (std::size_t r = 0; r < 3; ++r) {
        const auto row = dict.at(key).bytes().subspan(r * value.bytes().size(), value.bytes().size());
        CHECK(std::equal(row.begin(), row.end(), value.bytes().begin()));
      }
    }
  }
  SECTION("load_state_dict puts a run back where it was") {
    const auto saved = m.state_dict();
    const auto states = all_states(m);
    for (std::size_t i = 100; i < 150; ++i) m(at_step(i, 0.1), TestType::drive);
    m.load_state_dict(saved);
    CHECK(all_states(m) == states);
  }
}

namespace {

// N = 37: two full vectors of 16 floats on AVX-512 (four of 8 on AVX2) and
// a tail of 5, all with the same input; 1000 steps of 0.1 ms.
template <class Case, class Same>
void run_same_input(Same same) {
  constexpr std::size_t n = 37;
  auto m = Case::make(n);
  const auto x = Tensor<float>::full(Shape{n}, Case::drive);
  double fired = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    m(at_step(i, 0.1), x);
    fired += spike_count(m);
    for (const auto& [path, values] : named_values(m)) {
      for (std::size_t j = 1; j < n; ++j) {
        REQUIRE_IN_LOOP(same(path, values[j], values[0]), "step " << i << ", State " << path << ", neuron "
                                                                  << j << ": " << values[j] << " vs "
                                                                  << values[0]);
      }
    }
  }
  if constexpr (Case::spikes) CHECK(fired >= n);
}

}  // namespace

TEMPLATE_TEST_CASE("dyn neurons: body and tail neurons give the same spikes", "[dyn][neurons][simd]",
                   MODYN_EVERY_NEURON) {
  // Spikes exactly; the other States up to drift_tolerance.
  run_same_input<TestType>(
      [](const std::string& path, float a, float b) { return std::abs(a - b) <= drift_tolerance(path); });
}

TEMPLATE_TEST_CASE("dyn neurons: every neuron has the same trajectory, bitwise, wherever it lies",
                   "[dyn][neurons][simd]", MODYN_EVERY_NEURON) {
  // cpu::map runs the tail as a padded vector (cpu.hpp), so the body's and the
  // tail's neurons see the same arithmetic: xsimd's exp, the same contractions.
  run_same_input<TestType>([](const std::string&, float a, float b) { return a == b; });
}

TEST_CASE("dyn neurons: invalid options throw config_error", "[dyn][neurons]") {
  using modyn::config_error;
  const auto lif = [](LIF::Options o) { return modyn_test::message_of<config_error>([&] { LIF(3, o); }); };
  CHECK_THAT(lif({.tau = 0.f}), Contains("dyn::LIF") && Contains("tau"));
  CHECK_THAT(lif({.tau = -10.f}), Contains("tau must be > 0"));
  CHECK_THAT(lif({.tau = std::nanf("")}), Contains("tau"));
  CHECK_THAT(lif({.tau_ref = -1.f}), Contains("tau_ref must be >= 0"));
  using Leaky = dyn::LeakyIntegrator<float>;
  CHECK_THAT(modyn_test::message_of<config_error>([] { Leaky(3, {.tau = 0.f}); }),
             Contains("dyn::LeakyIntegrator") && Contains("tau"));
  using HH = dyn::HH<float>;
  CHECK_THAT(modyn_test::message_of<config_error>([] { HH(3, {.C = 0.f}); }),
             Contains("dyn::HH") && Contains("C"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { HH(3, {.gK = -1.f}); }), Contains("dyn::HH"));
  using AdEx = dyn::AdEx<float>;
  CHECK_THAT(modyn_test::message_of<config_error>([] { AdEx(3, {.tau = 0.f}); }), Contains("dyn::AdEx"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { AdEx(3, {.tau_w = -1.f}); }), Contains("tau_w"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { AdEx(3, {.delta_T = 0.f}); }), Contains("delta_T"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { HH(3, {.gK = -1.f}); }), Contains("gK -1"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { AdEx(3, {.tau_w = -2.f}); }), Contains("-2"));
  using Izh = dyn::Izhikevich<float>;
  CHECK_THAT(modyn_test::message_of<config_error>([] { Izh(3, {.d = std::nanf("")}); }),
             Contains("dyn::Izhikevich") && Contains("finite"));
  // Valid edge cases construct; braced Options are not ambiguous with the
  // paper's parameter sets.
  CHECK_NOTHROW(Izh(3, {}));
  CHECK(Izh(3, {.a = 0.1f, .d = 2.f}).a == 0.1f);
  CHECK(Izh(3, dyn::izhikevich::fast_spiking).a == 0.1f);
  CHECK_NOTHROW(LIF(3, {.tau_ref = 0.f}));
  CHECK_NOTHROW(HH(3, {.gNa = 0.f}));
}
