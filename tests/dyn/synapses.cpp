// dyn::Expon, dyn::DualExpon and dyn::Alpha: impulse responses against their
// analytic forms (computed in double), superposition, batch broadcast,
// shapes, LoopOverTime with monitors, parameter checks.
//
// Float tolerance. Each step multiplies by a decay factor rounded once to
// float (relative error <= 2^-24) and rounds the product: after k steps the
// relative error of a decayed value is at most about 2 k 2^-24 = k 2^-23.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/monitor.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/synapses/alpha.hpp"
#include "modyn/dyn/synapses/dual_expon.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/module/module_print.hpp"
#include "support/helpers.hpp"

using modyn::Context;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::Shape;
using modyn::Tensor;
namespace dyn = modyn::dyn;

namespace {

constexpr double ulp_2 = 0x1p-23;  // 2^-23: twice float's unit roundoff

Context step(std::size_t k, double dt) { return Context{static_cast<double>(k) * dt, k, dt, false}; }

// A (n,) tensor of the values f(j).
template <class F>
Tensor<float> make(std::size_t n, F f) {
  Tensor<float> t = Tensor<float>::zeros({n});
  for (std::size_t j = 0; j < n; ++j) t(j) = static_cast<float>(f(j));
  return t;
}

// Equal up to the last bits. A broadcast input runs the pass row by row, so
// an element may fall in a SIMD lane in one run and in the scalar tail in
// the other; with clang's default -ffp-contract=on the tail's a * b + c is
// fused and the lanes' is not.
bool same_to_rounding(const Tensor<float>& a, const Tensor<float>& b) {
  if (!(a.shape() == b.shape())) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!(a.data()[i] == Approx(b.data()[i]).epsilon(4 * 0x1p-24).margin(0))) return false;
  }
  return true;
}

// max_t f(t) over [0, hi] by golden-section search (f unimodal), in double.
template <class F>
std::pair<double, double> maximum(F f, double hi) {
  const double r = (std::sqrt(5.0) - 1) / 2;
  double a = 0, b = hi;
  for (int i = 0; i < 200; ++i) {
    const double c = b - r * (b - a), d = a + r * (b - a);
    if (f(c) > f(d))
      b = d;
    else
      a = c;
  }
  const double t = (a + b) / 2;
  return {t, f(t)};
}

}  // namespace

// ---------------------------------------------------------------- Expon

TEST_CASE("Expon: BrainPy's default tau, zero start, shapes", "[dyn][synapse]") {
  dyn::Expon<> syn;
  CHECK(syn.tau == 8.0f);
  CHECK(syn.g->shape() == Shape{1});
  CHECK(syn.g->to_vector() == std::vector<float>{0.0f});

  dyn::Expon<> two_d(Shape{2, 3});
  CHECK(two_d.size() == Shape{2, 3});
  CHECK(two_d.g->shape() == Shape{2, 3});
  two_d.reset_state(4);
  CHECK(two_d.g->shape() == Shape{4, 2, 3});
  CHECK(two_d.size() == Shape{2, 3});
  two_d.reset_state(0);
  CHECK(two_d.g->shape() == Shape{2, 3});

  std::ostringstream os;
  os << dyn::Expon<>(3, {.tau = 5.0f});
  CHECK(os.str() == "Expon(tau=5, g: State (3,))");
}

TEST_CASE("Expon: a unit impulse decays as exp(-k dt / tau) at every step k", "[dyn][synapse]") {
  const double dt = 0.1, tau = 8.0;
  const std::size_t n = 19;  // full SIMD vectors and a tail
  dyn::Expon<> syn(n);
  const Tensor<float> impulse = Tensor<float>::ones({n}), zero = Tensor<float>::zeros({n});
  for (std::size_t k = 0; k < 500; ++k) {
    const Tensor<float>& g = syn.update(k == 0 ? impulse : zero, step(k, dt));
    REQUIRE(&g == &*syn.g);
    const double want = std::exp(-static_cast<double>(k) * dt / tau);
    for (std::size_t j = 0; j < n; ++j) {
      INFO("step " << k << ", element " << j);
      REQUIRE(g(j) == Approx(want).epsilon((k + 1) * ulp_2).margin(0));
    }
  }
}

TEST_CASE("Expon: an impulse given as a number, and no input at all", "[dyn][synapse]") {
  const double dt = 0.25, tau = 3.0;
  dyn::Expon<> syn(5, {.tau = static_cast<float>(tau)});
  syn.update(2.0f, step(0, dt));  // step 0: 0 decays, then + 2
  CHECK(syn.g->to_vector() == std::vector<float>(5, 2.0f));
  for (std::size_t k = 1; k < 40; ++k) {
    syn.update(step(k, dt));
    const double want = 2.0 * std::exp(-static_cast<double>(k) * dt / tau);
    for (const float v : syn.g->to_vector()) REQUIRE(v == Approx(want).epsilon((k + 1) * ulp_2).margin(0));
  }
}

TEST_CASE("Expon: two impulses superpose", "[dyn][synapse]") {
  // x_j = 0.75 (j + 1) at step 2 and 1.5 - 0.1 j at step 7.
  const double dt = 0.1, tau = 5.0;
  const std::size_t n = 11;
  const auto a = [](std::size_t j) { return 0.75 * static_cast<double>(j + 1); };
  const auto b = [](std::size_t j) { return 1.5 - 0.1 * static_cast<double>(j); };
  dyn::Expon<> syn(n, {.tau = static_cast<float>(tau)});
  const Tensor<float> first = make(n, a), second = make(n, b), zero = Tensor<float>::zeros({n});
  for (std::size_t k = 0; k < 200; ++k) {
    const Tensor<float>& x = k == 2 ? first : k == 7 ? second : zero;
    const Tensor<float>& g = syn.update(x, step(k, dt));
    for (std::size_t j = 0; j < n; ++j) {
      double want = 0;
      if (k >= 2) want += static_cast<float>(a(j)) * std::exp(-static_cast<double>(k - 2) * dt / tau);
      if (k >= 7) want += static_cast<float>(b(j)) * std::exp(-static_cast<double>(k - 7) * dt / tau);
      INFO("step " << k << ", element " << j);
      REQUIRE(g(j) == Approx(want).epsilon((2 * k + 2) * ulp_2).margin(0));
    }
  }
}

TEST_CASE("Expon: an input of the per-sample shape is broadcast over the batch", "[dyn][synapse]") {
  const std::size_t batch = 3, n = 13;
  dyn::Expon<> broadcast(n, {.tau = 4.0f}), full(n, {.tau = 4.0f}), numbers(n, {.tau = 4.0f});
  broadcast.reset_state(batch);
  full.reset_state(batch);
  numbers.reset_state(batch);
  Tensor<float> per_sample = Tensor<float>::zeros({n}), rows = Tensor<float>::zeros({batch, n});
  for (std::size_t k = 0; k < 30; ++k) {
    // Quarters: sums of inputs are exact whatever the order of the additions.
    for (std::size_t j = 0; j < n; ++j) {
      per_sample(j) = static_cast<float>((k * 7 + j * 3) % 5) * 0.25f;
      for (std::size_t r = 0; r < batch; ++r) rows(r, j) = per_sample(j) + 0.5f;
    }
    const Context c = step(k, 0.1);
    broadcast.update(c, per_sample, 0.5f);  // two inputs, summed
    full.update(rows, c);
    REQUIRE(broadcast.g->shape() == Shape{batch, n});
    REQUIRE(same_to_rounding(*broadcast.g, *full.g));
    numbers.update(c, 0.25f, 0.5);  // numbers of any arithmetic type
    const std::vector<float> g = numbers.g->to_vector();
    REQUIRE(std::all_of(g.begin(), g.end(), [&](float v) { return v == Approx(g[0]).epsilon(4 * 0x1p-24); }));
  }
}

TEST_CASE("Expon: an input of another shape throws, naming the synapse and both shapes", "[dyn][synapse]") {
  dyn::Expon<> syn(Shape{2, 3});
  syn.set_name("syn");
  const Context c{};
  const Tensor<float> good = Tensor<float>::zeros({2, 3}), bad = Tensor<float>::zeros({3, 2});
  CHECK_NOTHROW(syn.update(good, c));
  std::string message = modyn_test::message_of<modyn::shape_error>([&] { syn.update(bad, c); });
  CHECK_THAT(message,
             Catch::Contains("dyn::Expon 'syn'") && Catch::Contains("(3, 2)") && Catch::Contains("(2, 3)"));

  syn.reset_state(4);
  CHECK_NOTHROW(syn.update(good, c));                             // per-sample shape, broadcast
  CHECK_NOTHROW(syn.update(Tensor<float>::zeros({4, 2, 3}), c));  // the synapses' shape
  message = modyn_test::message_of<modyn::shape_error>([&] { syn.update(c, good, bad); });
  CHECK_THAT(message, Catch::Contains("dyn::Expon 'syn': input 1") && Catch::Contains("(3, 2)") &&
                          Catch::Contains("(4, 2, 3)") && Catch::Contains("per-sample shape (2, 3)"));
}

TEST_CASE("Expon: tau must be positive and finite", "[dyn][synapse]") {
  using E = modyn::config_error;
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Expon<>(3, {.tau = 0.0f}); }),
             Catch::Contains("dyn::Expon: tau"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Expon<>(3, {.tau = -1.0f}); }),
             Catch::Contains("dyn::Expon"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Expon<>(3, {.tau = std::nanf("")}); }),
             Catch::Contains("dyn::Expon"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Expon<>(3, {.tau = INFINITY}); }),
             Catch::Contains("dyn::Expon"));
}

TEST_CASE("Expon in a LoopOverTime: output and monitor<\"g\"> follow the analytic decay",
          "[dyn][synapse][loop]") {
  const double dt = 0.1, tau = 5.0;
  const std::size_t steps = 60, batch = 2, n = 4;
  LoopOverTime loop{dyn::Expon<>(n, {.tau = static_cast<float>(tau)}), monitor<"g">, {.dt = dt}};
  loop.reset_state(batch);
  Tensor<float> x = Tensor<float>::zeros({steps, batch, n});
  for (std::size_t r = 0; r < batch; ++r)
    for (std::size_t j = 0; j < n; ++j) {
      x(0, r, j) = static_cast<float>(1 + j + r);  // at step 0
      x(20, r, j) = 0.5f;                          // and at step 20
    }
  const auto [out, g] = loop(x);
  REQUIRE(out.shape() == Shape{steps, batch, n});
  REQUIRE(g.shape() == Shape{steps, batch, n});
  for (std::size_t k = 0; k < steps; ++k)
    for (std::size_t r = 0; r < batch; ++r)
      for (std::size_t j = 0; j < n; ++j) {
        double want = static_cast<double>(1 + j + r) * std::exp(-static_cast<double>(k) * dt / tau);
        if (k >= 20) want += 0.5 * std::exp(-static_cast<double>(k - 20) * dt / tau);
        REQUIRE(g(k, r, j) == Approx(want).epsilon((2 * k + 2) * ulp_2).margin(0));
        REQUIRE(out(k, r, j) == g(k, r, j));
      }

  // run_for without input: the last g decays further, from where it was.
  const float last = loop.model().g->at(1, 3);
  const auto [out2, g2] = loop.run_for(1.0);  // 10 steps
  REQUIRE(g2.shape() == Shape{10, batch, n});
  for (std::size_t k = 0; k < 10; ++k) {
    const double want = last * std::exp(-static_cast<double>(k + 1) * dt / tau);
    REQUIRE(g2(k, 1, 3) == Approx(want).epsilon((k + 2) * ulp_2).margin(0));
  }
}

// ---------------------------------------------------------------- DualExpon

TEST_CASE("DualExpon: BrainPy's defaults, A is the inverse of the impulse response's peak",
          "[dyn][synapse]") {
  dyn::DualExpon<> syn(3);
  CHECK(syn.tau_decay == 10.0f);
  CHECK(syn.tau_rise == 1.0f);
  for (const auto& taus :
       {std::pair{1.0, 10.0}, std::pair{0.5, 5.0}, std::pair{2.0, 7.0}, std::pair{3.0, 3.5}}) {
    const double rise = taus.first, decay = taus.second;
    const auto [t_peak, peak] =
        maximum([&](double t) { return std::exp(-t / decay) - std::exp(-t / rise); }, 10 * decay);
    dyn::DualExpon<> s(1, {.tau_decay = static_cast<float>(decay), .tau_rise = static_cast<float>(rise)});
    INFO("tau_rise " << rise << ", tau_decay " << decay);
    CHECK(s.A == Approx(1 / peak).epsilon(1e-6));
    CHECK(t_peak == Approx(rise * decay / (decay - rise) * std::log(decay / rise)).epsilon(1e-6));
  }
  dyn::DualExpon<> given(1, {.A = 2.5f});
  CHECK(given.A == 2.5f);

  std::ostringstream os;
  os << syn;
  CHECK_THAT(os.str(), Catch::StartsWith("DualExpon(tau_decay=10, tau_rise=1, A=1.43") &&
                           Catch::EndsWith("g_rise: State (3,), g_decay: State (3,), g: State (3,))"));
}

TEST_CASE("DualExpon: the impulse response is A (exp(-t / tau_decay) - exp(-t / tau_rise))",
          "[dyn][synapse]") {
  const double dt = 0.05, rise = 2.0, decay = 7.0;
  const std::size_t n = 17, steps = 600;
  dyn::DualExpon<> syn(n, {.tau_decay = static_cast<float>(decay), .tau_rise = static_cast<float>(rise)});
  const double A = syn.A;
  const Tensor<float> impulse = Tensor<float>::ones({n}), zero = Tensor<float>::zeros({n});
  std::size_t k_peak = 0;
  float g_peak = -1;
  for (std::size_t k = 0; k < steps; ++k) {
    const Tensor<float>& g = syn.update(k == 0 ? impulse : zero, step(k, dt));
    REQUIRE(&g == &*syn.g);
    const double t = static_cast<double>(k) * dt;
    const double e_rise = std::exp(-t / rise), e_decay = std::exp(-t / decay);
    for (std::size_t j = 0; j < n; ++j) {
      INFO("step " << k << ", element " << j);
      REQUIRE(syn.g_rise->at(j) == Approx(e_rise).epsilon((k + 1) * ulp_2).margin(0));
      REQUIRE(syn.g_decay->at(j) == Approx(e_decay).epsilon((k + 1) * ulp_2).margin(0));
      // The difference of two values near 1 early on: an absolute bound.
      REQUIRE(g(j) == Approx(A * (e_decay - e_rise)).margin(A * (k + 2) * ulp_2));
    }
    if (g(0) > g_peak) {
      g_peak = g(0);
      k_peak = k;
    }
  }
  const double t_peak = rise * decay / (decay - rise) * std::log(decay / rise);
  CHECK(std::abs(static_cast<double>(k_peak) * dt - t_peak) <= dt);
  CHECK(g_peak <= 1.0f + 1e-6f);  // A normalizes the continuous peak to 1
  CHECK(g_peak == Approx(1.0).epsilon(1e-3));
}

TEST_CASE("DualExpon with A = tau_rise tau_decay / (tau_decay - tau_rise) is BrainPy's h / g form",
          "[dyn][synapse]") {
  // brainpy.dyn.DualExpon: dg/dt = -g / tau_decay + h, dh/dt = -h / tau_rise,
  // h += x; integrated here by RK4 with 1000 substeps per step, in double.
  const double dt = 0.1, rise = 1.5, decay = 6.0;
  const float A = static_cast<float>(rise * decay / (decay - rise));
  dyn::DualExpon<> syn(
      1, {.tau_decay = static_cast<float>(decay), .tau_rise = static_cast<float>(rise), .A = A});
  double g = 0, h = 0;
  const auto f = [&](double gv, double hv) { return std::pair{-gv / decay + hv, -hv / rise}; };
  for (std::size_t k = 0; k < 300; ++k) {
    const double x = (k == 0 || k == 40) ? 1.0 : 0.0;
    const int sub = 1000;
    const double s = dt / sub;
    for (int i = 0; i < sub && k > 0; ++i) {
      const auto [g1, h1] = f(g, h);
      const auto [g2, h2] = f(g + s / 2 * g1, h + s / 2 * h1);
      const auto [g3, h3] = f(g + s / 2 * g2, h + s / 2 * h2);
      const auto [g4, h4] = f(g + s * g3, h + s * h3);
      g += s / 6 * (g1 + 2 * g2 + 2 * g3 + g4);
      h += s / 6 * (h1 + 2 * h2 + 2 * h3 + h4);
    }
    h += x;
    syn.update(static_cast<float>(x), step(k, dt));
    INFO("step " << k);
    REQUIRE(syn.g->at(0) == Approx(g).margin(1e-5));
  }
}

TEST_CASE("DualExpon: batch broadcast, LoopOverTime monitors, State shapes", "[dyn][synapse][loop]") {
  const std::size_t steps = 40, batch = 3, n = 5;
  dyn::DualExpon<> broadcast(n), full(n);
  broadcast.reset_state(batch);
  full.reset_state(batch);
  Tensor<float> per_sample = Tensor<float>::zeros({n}), rows = Tensor<float>::zeros({batch, n});
  for (std::size_t k = 0; k < steps; ++k) {
    for (std::size_t j = 0; j < n; ++j) {
      per_sample(j) = k % 9 == j ? 1.0f : 0.0f;
      for (std::size_t r = 0; r < batch; ++r) rows(r, j) = per_sample(j);
    }
    broadcast.update(per_sample, step(k, 0.1));
    full.update(rows, step(k, 0.1));
    REQUIRE(same_to_rounding(*broadcast.g, *full.g));
  }

  LoopOverTime loop{dyn::DualExpon<>(n), monitor<"g">, monitor<"g_rise">, {.dt = 0.1}};
  loop.reset_state(batch);
  Tensor<float> x = Tensor<float>::zeros({steps, batch, n});
  x(0, 1, 2) = 1.0f;
  const auto [out, g, g_rise] = loop(x);
  const double A = loop.model().A;
  for (std::size_t k = 0; k < steps; ++k) {
    const double t = static_cast<double>(k) * 0.1;
    REQUIRE(g(k, 1, 2) == Approx(A * (std::exp(-t / 10) - std::exp(-t))).margin(A * (k + 2) * ulp_2));
    REQUIRE(g_rise(k, 1, 2) == Approx(std::exp(-t)).epsilon((k + 1) * ulp_2));
    REQUIRE(out(k, 1, 2) == g(k, 1, 2));
    REQUIRE(g(k, 0, 2) == 0.0f);
  }

  // A State loaded by hand with another shape is named.
  dyn::DualExpon<> odd(n);
  odd.set_name("odd");
  (void)odd.named_states();  // a traversal names the States (as loading a state dict does)
  odd.g_rise.reset_to(Tensor<float>::zeros({2, n}));
  CHECK_THAT(modyn_test::message_of<modyn::shape_error>([&] { odd.update(Context{}); }),
             Catch::Contains("dyn::DualExpon 'odd'") && Catch::Contains("g_rise"));
}

TEST_CASE("DualExpon: tau_rise must be positive and below tau_decay", "[dyn][synapse]") {
  using E = modyn::config_error;
  const auto make_dual = [](float rise, float decay) {
    return [=] { dyn::DualExpon<>(3, {.tau_decay = decay, .tau_rise = rise}); };
  };
  CHECK_THAT(modyn_test::message_of<E>(make_dual(0.0f, 10.0f)), Catch::Contains("dyn::DualExpon: tau_rise"));
  CHECK_THAT(modyn_test::message_of<E>(make_dual(-1.0f, 10.0f)), Catch::Contains("dyn::DualExpon"));
  CHECK_THAT(modyn_test::message_of<E>(make_dual(5.0f, 5.0f)),
             Catch::Contains("dyn::DualExpon: tau_decay") && Catch::Contains("dyn::Alpha"));
  CHECK_THAT(modyn_test::message_of<E>(make_dual(5.0f, 2.0f)), Catch::Contains("dyn::DualExpon"));
  CHECK_THAT(modyn_test::message_of<E>(make_dual(1.0f, INFINITY)), Catch::Contains("dyn::DualExpon"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::DualExpon<>(3, {.A = INFINITY}); }),
             Catch::Contains("dyn::DualExpon: A"));
}

// ---------------------------------------------------------------- Alpha

TEST_CASE("Alpha: the impulse response is t exp(-t / tau_decay), peaking at tau_decay", "[dyn][synapse]") {
  const double dt = 0.1, tau = 4.0;
  const std::size_t n = 10, steps = 400;
  dyn::Alpha<> syn(n, {.tau_decay = static_cast<float>(tau)});
  const Tensor<float> impulse = Tensor<float>::ones({n}), zero = Tensor<float>::zeros({n});
  std::size_t k_peak = 0;
  float g_peak = -1;
  for (std::size_t k = 0; k < steps; ++k) {
    const Tensor<float>& g = syn.update(k == 0 ? impulse : zero, step(k, dt));
    REQUIRE(&g == &*syn.g);
    const double t = static_cast<double>(k) * dt;
    for (std::size_t j = 0; j < n; ++j) {
      INFO("step " << k << ", element " << j);
      REQUIRE(syn.h->at(j) == Approx(std::exp(-t / tau)).epsilon((k + 1) * ulp_2).margin(0));
      REQUIRE(g(j) == Approx(t * std::exp(-t / tau)).epsilon((3 * k + 3) * ulp_2).margin(0));
    }
    if (g(0) > g_peak) {
      g_peak = g(0);
      k_peak = k;
    }
  }
  CHECK(static_cast<double>(k_peak) * dt == Approx(tau));
  CHECK(g_peak == Approx(tau / std::exp(1.0)).epsilon(1e-5));
}

TEST_CASE("Alpha: BrainPy's default, superposition, broadcast, checks", "[dyn][synapse]") {
  dyn::Alpha<> syn;
  CHECK(syn.tau_decay == 10.0f);
  CHECK(syn.g->shape() == Shape{1});

  // Impulses a at step 3 and b at step 12 on a (2, 6) batch, given as (6,).
  const double dt = 0.2, tau = 2.5;
  const std::size_t n = 6;
  dyn::Alpha<> two(n, {.tau_decay = static_cast<float>(tau)});
  two.reset_state(2);
  const Tensor<float> a = make(n, [](std::size_t j) { return 0.5 + 0.25 * static_cast<double>(j); });
  const Tensor<float> b = make(n, [](std::size_t j) { return 2.0 - 0.25 * static_cast<double>(j); });
  const Tensor<float> zero = Tensor<float>::zeros({n});
  for (std::size_t k = 0; k < 150; ++k) {
    two.update(k == 3 ? a : k == 12 ? b : zero, step(k, dt));
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t j = 0; j < n; ++j) {
        double want = 0;
        for (const auto& [k0, x] : {std::pair{std::size_t{3}, a(j)}, std::pair{std::size_t{12}, b(j)}}) {
          if (k < k0) continue;
          const double t = static_cast<double>(k - k0) * dt;
          want += x * t * std::exp(-t / tau);
        }
        INFO("step " << k << ", row " << r << ", element " << j);
        REQUIRE(two.g->at(r, j) == Approx(want).epsilon((6 * k + 6) * ulp_2).margin(0));
      }
  }

  using E = modyn::config_error;
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Alpha<>(3, {.tau_decay = 0.0f}); }),
             Catch::Contains("dyn::Alpha: tau_decay"));
  CHECK_THAT(modyn_test::message_of<E>([] { dyn::Alpha<>(3, {.tau_decay = std::nanf("")}); }),
             Catch::Contains("dyn::Alpha"));
  dyn::Alpha<> named(3);
  named.set_name("al");
  CHECK_THAT(
      modyn_test::message_of<modyn::shape_error>([&] { named.update(Tensor<float>::zeros({4}), Context{}); }),
      Catch::Contains("dyn::Alpha 'al'") && Catch::Contains("(4,)") && Catch::Contains("(3,)"));
}
