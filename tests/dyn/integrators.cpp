// dyn integrators (euler, rk2, rk4, exp_euler) against analytic solutions:
// orders of convergence, plain and linear<V> derivatives, exactness of
// exp_euler on linear ODEs (large steps, a = 0, tiny and positive slopes),
// the stage times, and every lane of xsimd::batch<float> against the scalar
// float computation.
#include "modyn/dyn/integrators.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/detail/xsimd.hpp"

namespace dyn = modyn::dyn;

namespace {

using fbatch = xsimd::batch<float>;
constexpr std::size_t lanes = fbatch::size;

template <class V>
constexpr bool is_batch = xsimd::is_batch<V>::value;

// A constant of value type V (a scalar, or a batch with it in every lane).
template <class V>
V k(double x) {
  if constexpr (is_batch<V>)
    return V(static_cast<typename V::value_type>(x));
  else
    return static_cast<V>(x);
}

fbatch load(const std::array<float, lanes>& a) { return fbatch::load_unaligned(a.data()); }

std::array<float, lanes> lanes_of(const fbatch& b) {
  std::array<float, lanes> a{};
  b.store_unaligned(a.data());
  return a;
}

// ---- problems with analytic solutions

// dy/dt = -y + sin t:  y(t) = (y0 + 1/2) e^-t + (sin t - cos t) / 2.
double forced_decay(double t, double y0) {
  return (y0 + 0.5) * std::exp(-t) + 0.5 * (std::sin(t) - std::cos(t));
}

struct forced_plain {
  template <class V>
  V operator()(double t, const V& y) const {
    return k<V>(std::sin(t)) - y;
  }
};
struct forced_linear {
  template <class V>
  dyn::linear<V> operator()(double t, const V&) const {
    return {k<V>(-1), k<V>(std::sin(t))};
  }
};

// The harmonic oscillator x' = v, v' = -x:  x = x0 cos t + v0 sin t.
struct oscillator_plain {
  template <class V>
  std::tuple<V, V> operator()(double, const V& x, const V& v) const {
    return {v, -x};
  }
};
struct oscillator_linear {  // the same, each derivative as slope * y + offset
  template <class V>
  std::tuple<dyn::linear<V>, dyn::linear<V>> operator()(double, const V& x, const V& v) const {
    return {dyn::linear<V>{k<V>(0), v}, dyn::linear<V>{k<V>(0), -x}};
  }
};

// dy/dt = -y (1 + y^2):  y = 1 / sqrt((1 / y0^2 + 1) e^(2t) - 1).
double cubic_decay(double t, double y0) {
  return 1.0 / std::sqrt((1.0 / (y0 * y0) + 1.0) * std::exp(2.0 * t) - 1.0);
}

struct cubic_frozen {  // slope -(1 + y^2), not the Jacobian
  template <class V>
  dyn::linear<V> operator()(double, const V& y) const {
    return {k<V>(-1) - y * y, k<V>(0)};
  }
};
struct cubic_tangent {  // slope f'(y) = -1 - 3 y^2 and offset f(y) - f'(y) y = 2 y^3
  template <class V>
  dyn::linear<V> operator()(double, const V& y) const {
    return {k<V>(-1) - k<V>(3) * y * y, k<V>(2) * y * y * y};
  }
};

template <class Method, class V, class F>
V integrate(const F& f, V y, double t_end, double dt) {
  const long steps = std::lround(t_end / dt);
  for (long i = 0; i < steps; ++i) Method::step(f, static_cast<double>(i) * dt, dt, y);
  return y;
}

template <class Method, class V, class F>
std::tuple<V, V> integrate2(const F& f, V x, V v, double t_end, double dt) {
  const long steps = std::lround(t_end / dt);
  for (long i = 0; i < steps; ++i) Method::step(f, static_cast<double>(i) * dt, dt, x, v);
  return {x, v};
}

constexpr double t_end = 2.0;
constexpr std::array<double, 4> steps = {0.05, 0.025, 0.0125, 0.00625};
constexpr double checkpoint = 0.25;  // the error is the largest at t = 0.25, 0.5, ..., t_end

// log2(e(dt) / e(dt / 2)) for consecutive dt of `steps`, given e(dt).
template <class Error>
std::vector<double> observed_orders(Error error) {
  std::vector<double> e, orders;
  for (const double dt : steps) e.push_back(error(dt));
  for (std::size_t i = 0; i + 1 < e.size(); ++i) orders.push_back(std::log2(e[i] / e[i + 1]));
  return orders;
}

// The observed orders are p within this: they tend to p as dt -> 0, and at
// these dt they are within 0.04 of it (measured: 0.037 at most).
constexpr double order_tolerance = 0.15;

// The largest error at the checkpoints, integrating with the step dt.
template <class Method, class F>
double scalar_error(const F& f, double (*exact)(double, double), double y0, double dt) {
  const long per_checkpoint = std::lround(checkpoint / dt), steps_total = std::lround(t_end / dt);
  double y = y0, worst = 0.0;
  for (long i = 0; i < steps_total; ++i) {
    Method::step(f, static_cast<double>(i) * dt, dt, y);
    if ((i + 1) % per_checkpoint == 0) {
      worst = std::max(worst, std::abs(y - exact(static_cast<double>(i + 1) * dt, y0)));
    }
  }
  return worst;
}

template <class Method, class F>
double oscillator_error(const F& f, double dt) {
  const double x0 = 1.0, v0 = 0.5;
  const long per_checkpoint = std::lround(checkpoint / dt), steps_total = std::lround(t_end / dt);
  double x = x0, v = v0, worst = 0.0;
  for (long i = 0; i < steps_total; ++i) {
    Method::step(f, static_cast<double>(i) * dt, dt, x, v);
    if ((i + 1) % per_checkpoint == 0) {
      const double t = static_cast<double>(i + 1) * dt;
      worst = std::max(worst, std::hypot(x - (x0 * std::cos(t) + v0 * std::sin(t)),
                                         v - (-x0 * std::sin(t) + v0 * std::cos(t))));
    }
  }
  return worst;
}

void check_orders(const std::vector<double>& orders, int p) {
  for (const double o : orders) {
    INFO("expected order " << p << ", observed " << o);
    CHECK(std::abs(o - p) < order_tolerance);
  }
}

template <class Method, class F>
void check_scalar_order(const F& f, double (*exact)(double, double), double y0, int p) {
  check_orders(observed_orders([&](double dt) { return scalar_error<Method>(f, exact, y0, dt); }), p);
}

template <class Method, class F>
void check_oscillator_order(const F& f, int p) {
  check_orders(observed_orders([&](double dt) { return oscillator_error<Method>(f, dt); }), p);
}

}  // namespace

TEMPLATE_TEST_CASE("integrators: the order of convergence in double", "[dyn][integrators]", dyn::euler,
                   dyn::rk2, dyn::rk4) {
  constexpr int p = TestType::order;
  STATIC_REQUIRE(dyn::Integrator<TestType>);
  SECTION("dy/dt = -y + sin t, plain derivative") {
    check_scalar_order<TestType>(forced_plain{}, forced_decay, 1.5, p);
  }
  SECTION("dy/dt = -y + sin t, linear derivative") {
    check_scalar_order<TestType>(forced_linear{}, forced_decay, 1.5, p);
  }
  SECTION("the harmonic oscillator (two variables), plain") {
    check_oscillator_order<TestType>(oscillator_plain{}, p);
  }
  SECTION("the harmonic oscillator, linear") { check_oscillator_order<TestType>(oscillator_linear{}, p); }
  SECTION("a nonlinear ODE: dy/dt = -y (1 + y^2)") {
    check_scalar_order<TestType>(cubic_frozen{}, cubic_decay, 0.5, p);
  }
}

TEST_CASE("exp_euler: order 1 on nonlinear and time-dependent problems", "[dyn][integrators][exp_euler]") {
  SECTION("dy/dt = -y (1 + y^2) with the slope -(1 + y^2)") {
    check_scalar_order<dyn::exp_euler>(cubic_frozen{}, cubic_decay, 0.5, 1);
  }
  SECTION("dy/dt = -y + sin t: the offset is frozen at the step's start") {
    check_scalar_order<dyn::exp_euler>(forced_linear{}, forced_decay, 1.5, 1);
  }
  SECTION("with the Jacobian as slope (exponential Rosenbrock-Euler): order 2 on an autonomous ODE") {
    // The neurons (Izhikevich, AdEx) linearise with the tangent slope, as
    // BrainPy's exp_auto; this is why they converge faster than order 1.
    check_scalar_order<dyn::exp_euler>(cubic_tangent{}, cubic_decay, 0.5, 2);
  }
}

TEMPLATE_TEST_CASE("integrators: plain and linear derivatives give the same step", "[dyn][integrators]",
                   dyn::euler, dyn::rk2, dyn::rk4) {
  // The linear form is evaluated at each stage's values: slope * y + offset
  // is the plain derivative, so the results agree to rounding.
  SECTION("double") {
    const double a = integrate<TestType>(forced_plain{}, 0.3, 1.0, 0.1);
    const double b = integrate<TestType>(forced_linear{}, 0.3, 1.0, 0.1);
    CHECK(b == Approx(a).epsilon(1e-14));
    const auto [x1, v1] = integrate2<TestType>(oscillator_plain{}, 1.0, 0.5, 1.0, 0.1);
    const auto [x2, v2] = integrate2<TestType>(oscillator_linear{}, 1.0, 0.5, 1.0, 0.1);
    CHECK(x2 == Approx(x1).epsilon(1e-14));
    CHECK(v2 == Approx(v1).epsilon(1e-14));
  }
  SECTION("float") {
    const float a = integrate<TestType>(forced_plain{}, 0.3f, 1.0, 0.1);
    const float b = integrate<TestType>(forced_linear{}, 0.3f, 1.0, 0.1);
    CHECK(b == Approx(a).epsilon(1e-6));
  }
  SECTION("xsimd::batch<float>") {
    std::array<float, lanes> y0{};
    for (std::size_t l = 0; l < lanes; ++l) y0[l] = -1.0f + 0.25f * static_cast<float>(l);
    const auto a = lanes_of(integrate<TestType>(forced_plain{}, load(y0), 1.0, 0.1));
    const auto b = lanes_of(integrate<TestType>(forced_linear{}, load(y0), 1.0, 0.1));
    for (std::size_t l = 0; l < lanes; ++l) {
      INFO("lane " << l);
      CHECK(b[l] == Approx(a[l]).epsilon(1e-6));
    }
  }
}

TEMPLATE_TEST_CASE("integrators: float and every lane of xsimd::batch<float> follow the double solution",
                   "[dyn][integrators][simd]", dyn::euler, dyn::rk2, dyn::rk4, dyn::exp_euler) {
  // Each lane starts from its own y0; a lane must equal the scalar float
  // computation from the same y0 (the same operations; xsimd's expm1 and
  // fused multiply-adds may change the last bits) and be as close to the
  // analytic solution as the method's error at dt = 0.05 allows.
  constexpr double dt = 0.05;
  const double method_error = std::is_same_v<TestType, dyn::rk4> ? 1e-5 : 5e-2;
  std::array<float, lanes> y0{};
  for (std::size_t l = 0; l < lanes; ++l) y0[l] = -2.0f + 0.3f * static_cast<float>(l);
  const auto vec = lanes_of(integrate<TestType>(forced_linear{}, load(y0), t_end, dt));
  for (std::size_t l = 0; l < lanes; ++l) {
    INFO("lane " << l << ", y0 = " << y0[l]);
    const float scalar = integrate<TestType>(forced_linear{}, y0[l], t_end, dt);
    CHECK(vec[l] == Approx(scalar).epsilon(1e-6).margin(1e-6));
    CHECK(std::abs(vec[l] - forced_decay(t_end, y0[l])) < method_error);
  }
  if constexpr (!std::is_same_v<TestType, dyn::exp_euler>) {
    // Two coupled variables per lane.
    std::array<float, lanes> v0{};
    for (std::size_t l = 0; l < lanes; ++l) v0[l] = 0.1f * static_cast<float>(l);
    const auto [xb, vb] = integrate2<TestType>(oscillator_plain{}, load(y0), load(v0), t_end, dt);
    const auto xs = lanes_of(xb), vs = lanes_of(vb);
    for (std::size_t l = 0; l < lanes; ++l) {
      INFO("lane " << l);
      const auto [x, v] = integrate2<TestType>(oscillator_plain{}, y0[l], v0[l], t_end, dt);
      CHECK(xs[l] == Approx(x).epsilon(1e-6).margin(1e-6));
      CHECK(vs[l] == Approx(v).epsilon(1e-6).margin(1e-6));
      CHECK(std::abs(xs[l] - (y0[l] * std::cos(t_end) + v0[l] * std::sin(t_end))) < method_error);
    }
  }
}

namespace {

// y(dt) of dy/dt = a y + b from y0, analytically: y0 + (e^(a dt) - 1) / a * (a y0 + b).
double linear_solution(double a, double b, double y0, double dt) {
  if (a == 0.0) return y0 + dt * b;
  return y0 + std::expm1(a * dt) / a * (a * y0 + b);
}

template <class V>
V exp_euler_step(double a, double b, V y, double dt) {
  dyn::exp_euler::step([&](double, const V&) { return dyn::linear<V>{k<V>(a), k<V>(b)}; }, 0.0, dt, y);
  return y;
}

}  // namespace

TEST_CASE("exp_euler: exact on dy/dt = a y + b with constant a and b", "[dyn][integrators][exp_euler]") {
  // In double, to 1e-12 relative (an ulp or two of expm1 and of the sums).
  SECTION("a large step: a dt = -50 lands on the fixed point -b/a") {
    const double a = -5.0, b = 3.0, dt = 10.0;
    const double y = exp_euler_step(a, b, 7.0, dt);
    CHECK(y == Approx(-b / a).epsilon(1e-12));
    CHECK(y == Approx(linear_solution(a, b, 7.0, dt)).epsilon(1e-12));
  }
  SECTION("many large steps stay on the solution (stable for any dt)") {
    double y = 7.0;
    for (int i = 0; i < 100; ++i) y = exp_euler_step(-5.0, 3.0, y, 10.0);
    CHECK(y == Approx(0.6).epsilon(1e-12));
  }
  SECTION("a > 0: exact growth") {
    for (const double dt : {0.1, 1.0, 5.0}) {
      const double a = 0.7, b = -0.2, y0 = 1.3;
      INFO("dt = " << dt);
      const double exact = (y0 + b / a) * std::exp(a * dt) - b / a;
      CHECK(exp_euler_step(a, b, y0, dt) == Approx(exact).epsilon(1e-12));
    }
  }
  SECTION("a = 0: y + dt b") {
    CHECK(exp_euler_step(0.0, 2.5, 1.0, 0.4) == Approx(1.0 + 0.4 * 2.5).epsilon(1e-15));
    CHECK(exp_euler_step(0.0, -3.0, 0.0, 100.0) == Approx(-300.0).epsilon(1e-15));
  }
  SECTION("tiny a, on both sides of the series cut-off |a dt| = 1e-6") {
    for (const double z : {1e-12, -1e-12, 1e-9, 5e-7, -9.9e-7, 1.01e-6, -1.01e-6, 1e-5, 1e-3}) {
      const double dt = 0.5, a = z / dt, b = 2.0, y0 = 1.0;
      INFO("a dt = " << z);
      CHECK(exp_euler_step(a, b, y0, dt) == Approx(linear_solution(a, b, y0, dt)).epsilon(1e-12));
    }
  }
  SECTION("several variables: each advanced exactly under its own slope and offset") {
    double x = 1.0, v = -2.0;
    const double dt = 3.0;
    dyn::exp_euler::step(
        [](double, const double&, const double&) {
          return std::tuple{dyn::linear<double>{-0.5, 1.0}, dyn::linear<double>{0.0, 4.0}};
        },
        0.0, dt, x, v);
    CHECK(x == Approx(linear_solution(-0.5, 1.0, 1.0, dt)).epsilon(1e-12));
    CHECK(v == Approx(-2.0 + 12.0).epsilon(1e-15));
  }
  SECTION("float and xsimd::batch<float>, each lane with its own slope (some zero, some tiny)") {
    std::array<float, lanes> slope{}, y0{};
    for (std::size_t l = 0; l < lanes; ++l) {
      const float choices[] = {0.0f, 1e-9f, -1e-7f, -0.1f, -2.0f, -50.0f, 0.3f, 3e-6f};
      slope[l] = choices[l % 8];
      y0[l] = 1.0f + static_cast<float>(l);
    }
    const double dt = 1.0, b = 0.5;
    fbatch y = load(y0);
    dyn::exp_euler::step(
        [&](double, const fbatch&) {
          return dyn::linear<fbatch>{load(slope), fbatch(static_cast<float>(b))};
        },
        0.0, dt, y);
    const auto out = lanes_of(y);
    for (std::size_t l = 0; l < lanes; ++l) {
      INFO("lane " << l << ", slope " << slope[l]);
      const double exact = linear_solution(slope[l], b, y0[l], dt);
      // y + growth (slope y + offset) cancels where slope dt << -1: the
      // error is then an ulp or two of y0 (<= 16 here), not of the result.
      CHECK(out[l] == Approx(exact).epsilon(2e-6).margin(4e-6));
    }
  }
}

TEST_CASE("integrators: a time-dependent right-hand side sees the stage times", "[dyn][integrators]") {
  const double t0 = 3.0, dt = 0.2;
  std::vector<double> seen;
  const auto record = [&](double t, const double& x, const double& v) {
    seen.push_back(t);
    return std::tuple{dyn::linear<double>{0.0, v}, dyn::linear<double>{0.0, -x}};
  };
  double x = 1.0, v = 0.0;
  SECTION("euler: t") {
    dyn::euler::step(record, t0, dt, x, v);
    CHECK(seen == std::vector<double>{t0});
  }
  SECTION("rk2 (Heun): t, t + dt") {
    dyn::rk2::step(record, t0, dt, x, v);
    CHECK(seen == std::vector<double>{t0, t0 + dt});
  }
  SECTION("rk4: t, t + dt/2, t + dt/2, t + dt") {
    dyn::rk4::step(record, t0, dt, x, v);
    CHECK(seen == std::vector<double>{t0, t0 + dt / 2, t0 + dt / 2, t0 + dt});
  }
  SECTION("exp_euler: t") {
    dyn::exp_euler::step(record, t0, dt, x, v);
    CHECK(seen == std::vector<double>{t0});
  }
}
