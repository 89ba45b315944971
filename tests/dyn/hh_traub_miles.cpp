// dyn::HHTraubMiles: one exponential-Euler step against the rate functions
// written out as BENCHMARKS.md states them (in double), and spikes counted
// once per action potential (the refractory period).
#include "modyn/dyn/neurons/hh_traub_miles.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/monitor.hpp"
#include "modyn/modyn.hpp"

namespace dyn = modyn::dyn;
using Catch::Matchers::Contains;

TEST_CASE("HHTraubMiles: one step of every variable as the benchmark's equations give it", "[dyn][neuron]") {
  dyn::HHTraubMiles<float> cell(1);
  *cell.V = modyn::Tensor<float>{-52.f};
  const double dt = 0.1, v = -52.0, u = v - (-63.0);
  cell(modyn::Context{.dt = dt});
  // Gates from 0: x(dt) = alpha / (alpha + beta) (1 - exp(-(alpha + beta) dt)).
  const auto gate = [dt](double alpha, double beta) {
    return alpha / (alpha + beta) * (1 - std::exp(-(alpha + beta) * dt));
  };
  const double alpha_m = 0.32 * (13 - u) / (std::exp((13 - u) / 4) - 1);
  const double beta_m = 0.28 * (u - 40) / (std::exp((u - 40) / 5) - 1);
  const double alpha_h = 0.128 * std::exp((17 - u) / 18), beta_h = 4 / (1 + std::exp((40 - u) / 5));
  const double alpha_n = 0.032 * (15 - u) / (std::exp((15 - u) / 5) - 1),
               beta_n = 0.5 * std::exp((10 - u) / 40);
  CHECK(cell.m.value()(0) == Approx(gate(alpha_m, beta_m)).epsilon(1e-5));
  CHECK(cell.h.value()(0) == Approx(gate(alpha_h, beta_h)).epsilon(1e-5));
  CHECK(cell.n.value()(0) == Approx(gate(alpha_n, beta_n)).epsilon(1e-5));
  // With the gates at 0 only the leak acts: v relaxes to El with Cm / gl.
  CHECK(cell.V.value()(0) == Approx(-60 + 8 * std::exp(-10.0 * dt / 200.0)).epsilon(1e-6));
}

TEST_CASE("HHTraubMiles: a driven cell spikes once per action potential", "[dyn][neuron]") {
  modyn::LoopOverTime loop{
      dyn::HHTraubMiles<float>(1), modyn::spike_monitor<"spike">, modyn::monitor<"V">, {.dt = 0.01}};
  const auto& [none, spikes, V] = loop.run_for(100.0, [](double, std::size_t) { return 1000.f; });  // 1 nA
  REQUIRE(spikes.size() >= 3);
  for (std::size_t k = 1; k < spikes.size(); ++k) CHECK(spikes.time(k) - spikes.time(k - 1) > 3.0);
  // Every spike is an action potential: V above -20 mV there.
  for (std::size_t k = 0; k < spikes.size(); ++k) CHECK(V(std::size_t(spikes.steps[k]), 0) > -20.f);
  CHECK_THROWS_WITH(dyn::HHTraubMiles<float>(1, {.Cm = 0.f}), Contains("Cm must be > 0"));
}

TEST_CASE("HHTraubMiles: the shared-exp rates equal the benchmark's formulas over the whole range",
          "[dyn][neuron]") {
  // Every rate from slope = -(alpha + beta) and offset = alpha, in float,
  // against the formulas in double, from -60 to +160 mV past VT and at the
  // removable singularities u = 13, 15 and 40 (and just off them).
  std::vector<double> us;
  for (double u = -60; u <= 160; u += 0.37) us.push_back(u);
  for (const double u0 : {13.0, 15.0, 40.0})
    for (const double d : {0.0, 1e-5, -1e-4, 3e-3, -0.02, 0.05}) us.push_back(u0 + d);
  const auto exprel = [](double y) { return y == 0 ? 1.0 : y / std::expm1(y); };
  for (const double u : us) {
    INFO("u = " << u);
    const auto [m, h, n] = dyn::traub_miles_rates::gates(static_cast<float>(u));
    const double uf = static_cast<float>(u);  // the float the rates saw
    const double alpha_m = 1.28 * exprel((13 - uf) / 4), beta_m = 1.4 * exprel((uf - 40) / 5);
    const double alpha_h = 0.128 * std::exp((17 - uf) / 18), beta_h = 4 / (1 + std::exp((40 - uf) / 5));
    const double alpha_n = 0.16 * exprel((15 - uf) / 5), beta_n = 0.5 * std::exp((10 - uf) / 40);
    CHECK(m.offset == Approx(alpha_m).epsilon(1e-5));
    CHECK(-m.slope == Approx(alpha_m + beta_m).epsilon(1e-5));
    CHECK(h.offset == Approx(alpha_h).epsilon(1e-5));
    CHECK(-h.slope == Approx(alpha_h + beta_h).epsilon(1e-5));
    CHECK(n.offset == Approx(alpha_n).epsilon(1e-5));
    CHECK(-n.slope == Approx(alpha_n + beta_n).epsilon(1e-5));
  }
}
