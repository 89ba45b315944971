// Synaptic outputs (CUBA, COBA, MgBlock) driving a dyn::LIF, against
// independent references in double: the analytic exponential approach of a
// conductance-driven membrane, a hand-written Euler loop, the Mg-block
// current computed by hand; wrong shapes; printing; parameter checks.
#include "modyn/dyn/synapses/outputs.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/backend/backend.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module_print.hpp"
#include "support/helpers.hpp"

using modyn::Context;
using modyn::Shape;
using modyn::Tensor;
namespace dyn = modyn::dyn;

namespace {

Context step(std::size_t k, double dt) { return Context{static_cast<double>(k) * dt, k, dt, false}; }

template <class F>
Tensor<float> make(std::size_t n, F f) {
  Tensor<float> t = Tensor<float>::zeros({n});
  for (std::size_t j = 0; j < n; ++j) t(j) = static_cast<float>(f(j));
  return t;
}

// A LIF that never fires in these tests.
dyn::LIF<>::Options quiet(float V_rest, float tau, float R) {
  return {.V_rest = V_rest, .V_reset = V_rest, .V_th = 1e6f, .tau = tau, .R = R, .tau_ref = 0.0f};
}

}  // namespace

TEST_CASE("Outputs return terms that point into g", "[dyn][output]") {
  const Tensor<float> g = Tensor<float>::ones({2, 3});
  const dyn::CUBA<> cuba;
  const dyn::COBA<> coba{-80.0f};
  const dyn::MgBlock<> mg;

  const dyn::current_term<float> c = cuba(g);
  CHECK(c.data() == g.data());
  CHECK(c.shape() == Shape{2, 3});
  const dyn::conductance_term<float> k = coba(g);
  CHECK(k.data() == g.data());
  CHECK(k.shape() == Shape{2, 3});
  CHECK(k.E == -80.0f);
  const dyn::mg_block_term<float> m = mg(g.view());  // views too
  CHECK(m.data() == g.data());
  CHECK(m.E == 0.0f);
  CHECK(m.cc_Mg == 1.2f);
  CHECK(m.alpha == 0.062f);
  CHECK(m.beta == 3.57f);

  // The constructor's argument does not deduce T.
  dyn::COBA inhibitory{-80.0};
  static_assert(std::is_same_v<decltype(inhibitory), dyn::COBA<float>>);
  static_assert(std::is_same_v<decltype(dyn::COBA<double>{0}(Tensor<double>::ones({1}))),
                               dyn::conductance_term<double>>);
  CHECK(inhibitory.E == -80.0f);
  CHECK(dyn::COBA<>{}.E == 0.0f);
}

TEST_CASE("Outputs print their parameters", "[dyn][output]") {
  std::ostringstream os;
  os << dyn::CUBA<>{} << "\n"
     << dyn::COBA<>{-80.0f} << "\n"
     << dyn::MgBlock<>{} << "\n"
     << dyn::MgBlock<>{10.0f, 1.0f, 0.08f, 3.0f, -5.0f};
  CHECK(os.str() ==
        "CUBA()\n"
        "COBA(E=-80)\n"
        "MgBlock(E=0, cc_Mg=1.2, alpha=0.062, beta=3.57, V_offset=0)\n"
        "MgBlock(E=10, cc_Mg=1, alpha=0.08, beta=3, V_offset=-5)");
}

TEST_CASE("COBA: a constant g gives the analytic exponential approach (exp_euler is exact)",
          "[dyn][output]") {
  // tau dV/dt = -(V - V_rest) + R g (E - V): V -> V_inf = (V_rest + R g E) / (1 + R g)
  // with time constant tau / (1 + R g), from V(0) = V_rest.
  const double dt = 0.1, V_rest = -65, tau = 10, R = 2;
  const std::size_t n = 19;
  for (const double E : {0.0, -80.0}) {
    const auto conductance = [](std::size_t j) { return 0.1 * static_cast<double>(j); };
    const Tensor<float> g = make(n, conductance);
    dyn::LIF<> lif(n, quiet(float(V_rest), float(tau), float(R)));
    const dyn::COBA<> coba{static_cast<float>(E)};
    double worst = 0;
    for (std::size_t k = 0; k < 400; ++k) {
      const Tensor<float>& spikes = lif(step(k, dt), coba(g));
      REQUIRE(spikes.to_vector() == std::vector<float>(n, 0.0f));
      for (std::size_t j = 0; j < n; ++j) {
        const double gj = static_cast<float>(conductance(j));
        const double V_inf = (V_rest + R * gj * E) / (1 + R * gj);
        const double want =
            V_inf + (V_rest - V_inf) * std::exp(-static_cast<double>(k + 1) * dt * (1 + R * gj) / tau);
        INFO("E " << E << ", step " << k << ", element " << j);
        // Rounding only: a few float ulps of |V| <= 80 per step, damped by the decay.
        REQUIRE(lif.V->at(j) == Approx(want).margin(2e-4));
        worst = std::max(worst, std::abs(lif.V->at(j) - want));
      }
    }
    INFO("largest deviation " << worst << " mV");
    CHECK(worst < 1e-4);
  }
}

TEST_CASE("COBA: dyn::LIF with Euler matches a hand-written Euler loop", "[dyn][output]") {
  const double dt = 0.1, V_rest = -65, tau = 10, R = 1.5, E = 10;
  const std::size_t n = 9;
  const auto conductance = [](std::size_t j) { return 0.05 + 0.2 * static_cast<double>(j); };
  const Tensor<float> g = make(n, conductance);
  dyn::LIF<float, modyn::cpu, dyn::euler> lif(
      n, {.V_rest = -65.0f, .V_reset = -65.0f, .V_th = 1e6f, .tau = 10.0f, .R = 1.5f, .tau_ref = 0.0f});
  const dyn::COBA<> coba{static_cast<float>(E)};
  std::vector<double> v(n, V_rest);
  for (std::size_t k = 0; k < 300; ++k) {
    lif(step(k, dt), coba(g));
    for (std::size_t j = 0; j < n; ++j) {
      const double gj = static_cast<float>(conductance(j));
      v[j] += dt * (-(v[j] - V_rest) + R * gj * (E - v[j])) / tau;
      INFO("step " << k << ", element " << j);
      REQUIRE(lif.V->at(j) == Approx(v[j]).margin(2e-4));
    }
  }
}

TEST_CASE("CUBA: the same as passing g as a current", "[dyn][output]") {
  const std::size_t n = 21;
  const Tensor<float> g = make(n, [](std::size_t j) { return 15.0 + 1.5 * static_cast<double>(j); });
  dyn::LIF<> a(n, {.tau_ref = 2.0f}), b(n, {.tau_ref = 2.0f});
  a.reset_state(2);
  b.reset_state(2);  // and g broadcast over the batch
  const dyn::CUBA<> cuba;
  float spikes = 0;
  for (std::size_t k = 0; k < 500; ++k) {
    a(step(k, 0.1), cuba(g));
    b(step(k, 0.1), g);
    REQUIRE(a.V->to_vector() == b.V->to_vector());
    REQUIRE(a.spike->to_vector() == b.spike->to_vector());
    for (const float s : a.spike->to_vector()) spikes += s;
  }
  CHECK(spikes > 0);  // the comparison went through spikes and refractory periods
}

TEST_CASE("MgBlock: the current is g (E - V) / (1 + cc_Mg / beta exp(-alpha V))", "[dyn][output]") {
  // Euler with dt = tau and V_rest = 0 makes one step V1 = V_rest + R I(V0):
  // V1 is the current at V0.
  const std::vector<float> V0 = {-90, -70, -65, -40, -20, -5, 0, 10, 30, 55};
  const std::size_t n = V0.size();
  const Tensor<float> g = make(n, [](std::size_t j) { return 0.5 + 0.3 * static_cast<double>(j); });
  struct Case {
    dyn::MgBlock<> out;
    double E, cc_Mg, alpha, beta, V_offset;
  };
  const std::vector<Case> cases = {
      {dyn::MgBlock<>{}, 0, 1.2, 0.062, 3.57, 0},  // BrainPy's defaults
      {dyn::MgBlock<>{5.0f, 2.0f, 0.08f, 3.0f}, 5, 2, 0.08, 3, 0},
      {dyn::MgBlock<>{0.0f, 1.0f, 0.062f, 3.57f, -20.0f}, 0, 1, 0.062, 3.57,
       -20},  // brainpy.state's V_offset
  };
  for (const Case& c : cases) {
    dyn::LIF<float, modyn::cpu, dyn::euler> lif(
        n, {.V_rest = 0.0f, .V_reset = 0.0f, .V_th = 1e6f, .tau = 1.0f, .R = 1.0f, .tau_ref = 0.0f});
    lif.V = Tensor<float>(Shape{n}, V0);
    lif(Context{0.0, 0, 1.0, false}, c.out(g));
    for (std::size_t j = 0; j < n; ++j) {
      const double v = V0[j], gj = g(j);
      const double E = static_cast<float>(c.E), cc = static_cast<float>(c.cc_Mg),
                   alpha = static_cast<float>(c.alpha), beta = static_cast<float>(c.beta),
                   offset = c.V_offset;
      const double want = gj * (E - v) / (1 + cc / beta * std::exp(alpha * (offset - v)));
      INFO("case E=" << c.E << " cc_Mg=" << c.cc_Mg << " V_offset=" << c.V_offset << ", V0 " << v);
      REQUIRE(lif.V->at(j) == Approx(want).epsilon(1e-5).margin(1e-4));
    }
  }

  // Without magnesium (cc_Mg = 0) there is no block: the current is COBA's.
  dyn::LIF<float, modyn::cpu, dyn::euler> a(n, {.V_rest = 0.0f, .V_th = 1e6f, .tau = 1.0f}),
      b(n, {.V_rest = 0.0f, .V_th = 1e6f, .tau = 1.0f});
  a.V = Tensor<float>(Shape{n}, V0);
  b.V = Tensor<float>(Shape{n}, V0);
  a(Context{0.0, 0, 1.0, false}, dyn::MgBlock<>{-10.0f, 0.0f}(g));
  b(Context{0.0, 0, 1.0, false}, dyn::COBA<>{-10.0f}(g));
  CHECK(a.V->to_vector() == b.V->to_vector());
}

TEST_CASE("A synapse drives a neuron: Expon -> COBA -> LIF against a hand-written loop", "[dyn][output]") {
  // Spikes of weight w every 50 steps; g decays with tau_s; the LIF (Euler)
  // integrates tau dV/dt = -(V - V_rest) + g (E - V), g of this step.
  const double dt = 0.1, tau_s = 5, tau = 20, V_rest = -60, E = 0, w = 0.4;
  dyn::Expon<> syn(1, {.tau = float(tau_s)});
  dyn::LIF<float, modyn::cpu, dyn::euler> lif(
      1, {.V_rest = -60.0f, .V_reset = -60.0f, .V_th = 1e6f, .tau = 20.0f});
  const dyn::COBA<> coba{0.0f};
  double g = 0, v = V_rest;
  for (std::size_t k = 0; k < 400; ++k) {
    const Context c = step(k, dt);
    const float x = k % 50 == 0 ? float(w) : 0.0f;
    lif(c, coba(syn.update(x, c)));
    g = g * std::exp(-dt / tau_s) + static_cast<double>(x);
    v += dt * (-(v - V_rest) + g * (E - v)) / tau;
    INFO("step " << k);
    REQUIRE(syn.g->at(0) == Approx(g).epsilon(1e-5));
    REQUIRE(lif.V->at(0) == Approx(v).margin(2e-4));
  }
}

TEST_CASE("A term of the wrong shape throws, naming the neuron and both shapes", "[dyn][output]") {
  dyn::LIF<> lif(4);
  lif.set_name("exc");
  const Tensor<float> g = Tensor<float>::ones({3});
  const dyn::COBA<> coba{0.0f};
  std::string message = modyn_test::message_of<modyn::shape_error>([&] { lif(Context{}, coba(g)); });
  CHECK_THAT(message,
             Catch::Contains("dyn::LIF 'exc'") && Catch::Contains("(3,)") && Catch::Contains("(4,)"));

  lif.reset_state(2);
  message = modyn_test::message_of<modyn::shape_error>([&] { lif(Context{}, 1.0f, dyn::MgBlock<>{}(g)); });
  CHECK_THAT(message,
             Catch::Contains("dyn::LIF 'exc'") && Catch::Contains("(3,)") && Catch::Contains("(2, 4)"));
  message = modyn_test::message_of<modyn::shape_error>([&] { lif(Context{}, dyn::CUBA<>{}(g)); });
  CHECK_THAT(message,
             Catch::Contains("dyn::LIF 'exc'") && Catch::Contains("(3,)") && Catch::Contains("(2, 4)"));
  CHECK_NOTHROW(lif(Context{}, coba(Tensor<float>::ones({4}))));     // per-sample shape: broadcast
  CHECK_NOTHROW(lif(Context{}, coba(Tensor<float>::ones({2, 4}))));  // the neurons' shape
}

TEST_CASE("Output parameters are checked", "[dyn][output]") {
  using E = modyn::config_error;
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::COBA<>{std::nanf("")}; }), Catch::Contains("dyn::COBA: E"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::COBA<>{INFINITY}; }), Catch::Contains("dyn::COBA"));
  CHECK_THAT(modyn_test::message_of<E>([] {
               dyn::MgBlock<>{0.0f, -1.0f};
             }),
             Catch::Contains("dyn::MgBlock: cc_Mg"));
  CHECK_THAT(modyn_test::message_of<E>([] {
               dyn::MgBlock<>{0.0f, 1.2f, 0.062f, 0.0f};
             }),
             Catch::Contains("dyn::MgBlock: beta"));
  CHECK_THAT(modyn_test::message_of<E>([] {
               dyn::MgBlock<>{0.0f, 1.2f, std::nanf("")};
             }),
             Catch::Contains("dyn::MgBlock: alpha"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::MgBlock<>{std::nanf("")}; }),
             Catch::Contains("dyn::MgBlock: E"));
  // The free functions check the same.
  const auto g = Tensor<float>::zeros({2});
  CHECK_THAT(modyn_test::message_of<E>([&] { dyn::conductance(g, std::nanf("")); }),
             Catch::Contains("dyn::conductance") && Catch::Contains("nan"));
  CHECK_THAT(modyn_test::message_of<E>([&] { dyn::mg_blocked(g, 0.0f, 1.2f, 0.062f, 0.0f); }),
             Catch::Contains("dyn::mg_blocked: beta") && Catch::Contains("got 0"));
  CHECK_THAT(modyn_test::message_of<E>([&] { dyn::mg_blocked(g, 0.0f, -1.0f); }),
             Catch::Contains("dyn::mg_blocked: cc_Mg") && Catch::Contains("got -1"));
  // Defaults in the tensor's own precision: MgBlock<double>'s, not float's rounded.
  const auto gd = Tensor<double>::zeros({2});
  const auto m = dyn::mg_blocked(gd);
  CHECK(m.cc_Mg == 1.2);
  CHECK(m.alpha == 0.062);
  CHECK(m.beta == 3.57);
}
