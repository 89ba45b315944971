// modyn::math as a customization point: numbers go to std::, SIMD vectors to
// xsimd (found by argument-dependent lookup), and a user's own value type
// plugs in with functions in its own namespace, without editing modyn.
#include "modyn/core/math.hpp"

#include <catch2/catch.hpp>
#include <cmath>

#include "modyn/backend/cpu.hpp"
#include "modyn/dyn/integrators.hpp"

namespace user {

// A forward-mode dual number: value and derivative.
struct Dual {
  double v = 0, d = 0;
  Dual() = default;
  Dual(double value, double derivative = 0) : v(value), d(derivative) {}
};
inline Dual operator+(Dual a, Dual b) { return {a.v + b.v, a.d + b.d}; }
inline Dual operator-(Dual a, Dual b) { return {a.v - b.v, a.d - b.d}; }
inline Dual operator-(Dual a) { return {-a.v, -a.d}; }
inline Dual operator*(Dual a, Dual b) { return {a.v * b.v, a.d * b.v + a.v * b.d}; }
inline Dual operator/(Dual a, Dual b) { return {a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)}; }
inline bool operator<(Dual a, Dual b) { return a.v < b.v; }
inline Dual exp(Dual a) { return {std::exp(a.v), std::exp(a.v) * a.d}; }
inline Dual tanh(Dual a) {
  const double t = std::tanh(a.v);
  return {t, (1 - t * t) * a.d};
}
inline Dual max(Dual a, Dual b) { return a < b ? b : a; }
inline Dual select(bool m, Dual a, Dual b) { return m ? a : b; }

}  // namespace user

TEST_CASE("math: numbers use the standard library", "[core][math]") {
  CHECK(modyn::math::exp(1.5) == std::exp(1.5));
  CHECK(modyn::math::tanh(0.3f) == std::tanh(0.3f));
  CHECK(modyn::math::max(2, 3) == 3);
  CHECK(modyn::math::select(true, 1.0f, 2.0f) == 1.0f);
  CHECK(modyn::math::fma(2.0, 3.0, 1.0) == 7.0);
}

TEST_CASE("math: SIMD vectors use xsimd's functions", "[core][math]") {
  using batch = xsimd::batch<float>;
  const batch x(0.25f);
  alignas(64) float lanes[batch::size];
  modyn::math::exp(x).store_aligned(lanes);
  CHECK(lanes[0] == Approx(std::exp(0.25f)).epsilon(1e-6));
  modyn::math::select(x > batch(0.0f), batch(1.0f), batch(2.0f)).store_aligned(lanes);
  CHECK(lanes[batch::size - 1] == 1.0f);
}

TEST_CASE("math: a user's value type plugs in by argument-dependent lookup", "[core][math]") {
  const user::Dual x{0.5, 1.0};  // d/dx at x = 0.5
  const user::Dual s = modyn::math::sigmoid(x);
  const double sv = 1.0 / (1.0 + std::exp(-0.5));
  CHECK(s.v == Approx(sv));
  CHECK(s.d == Approx(sv * (1 - sv)));  // the derivative of the logistic function
  CHECK(modyn::math::tanh(x).d == Approx(1 - std::tanh(0.5) * std::tanh(0.5)));
  CHECK(modyn::math::relu(user::Dual{-1.0, 1.0}).v == 0.0);
  CHECK(modyn::math::relu(user::Dual{2.0, 1.0}).d == 1.0);
}

TEST_CASE("math: an integrator differentiates through a dual number", "[core][math]") {
  // dv/dt = -v / tau from v0 = 1 (derivative 1 with respect to v0): after one
  // Euler step of dt, v = v0 (1 - dt / tau) and dv/dv0 = 1 - dt / tau.
  const double tau = 10.0, dt = 0.5;
  user::Dual v{1.0, 1.0};
  modyn::dyn::euler::step([&](double, const user::Dual& u) { return u * user::Dual(-1.0 / tau); }, 0.0, dt,
                          v);
  CHECK(v.v == Approx(1 - dt / tau));
  CHECK(v.d == Approx(1 - dt / tau));
}
