// modyn::math as a customization point: numbers go to std::, SIMD vectors to
// xsimd (found by argument-dependent lookup), and a user's own value type
// plugs in with functions in its own namespace, without editing modyn. Then
// math::portable (modyn's own exp, expm1, tanh: what MODYN_BITWISE_MATH
// selects): accuracy, edges, and the same bits on numbers, vectors and in a
// kernel run by modyn::cpu and modyn::serial.
#include "modyn/core/math.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/serial.hpp"
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

TEST_CASE("math: SIMD vectors use xsimd's functions, or a faster exp and tanh where the backend has one",
          "[core][math]") {
  using batch = xsimd::batch<float>;
  const batch x(0.25f);
  alignas(64) float lanes[batch::size];
  modyn::math::exp(x).store_aligned(lanes);
  CHECK(lanes[0] == Approx(std::exp(0.25f)).epsilon(1e-6));
  modyn::math::select(x > batch(0.0f), batch(1.0f), batch(2.0f)).store_aligned(lanes);
  CHECK(lanes[batch::size - 1] == 1.0f);
}

TEST_CASE("math: fma on vectors rounds once, as on numbers", "[core][math]") {
  // 1 + 2^-24 squared is 1 + 2^-23 + 2^-48: minus (1 + 2^-23), only the
  // fused form keeps the 2^-48 (xsimd 8's AVX-512 fma rounds twice).
  const float a = 1.f + 0x1p-24f * 2, c = -(1.f + 0x1p-22f);
  using batch = xsimd::batch<float>;
  const float want = std::fma(a, a, c);
  CHECK(want != 0.f);
  CHECK(modyn::math::fma(a, a, c) == want);
  CHECK(modyn::math::fma(batch(a), batch(a), batch(c)).get(0) == want);
  using dbatch = xsimd::batch<double>;
  const double ad = 1. + 0x1p-52, cd = -(1. + 0x1p-51);
  CHECK(modyn::math::fma(dbatch(ad), dbatch(ad), dbatch(cd)).get(0) == std::fma(ad, ad, cd));
}

namespace {

// The largest error of f over n points spread over [lo, hi], in units of
// the last place of the correctly rounded value (from long double), and
// whether a vector of the same points gave the same bits.
template <class T, class Ours, class Reference>
std::pair<double, bool> sweep(T lo, T hi, std::size_t n, Ours ours, Reference reference) {
  using batch = xsimd::batch<T>;
  double worst = 0;
  bool same_bits = true;
  alignas(64) T points[batch::size], vector_values[batch::size];
  for (std::size_t i = 0; i < n; i += batch::size) {
    for (std::size_t k = 0; k < batch::size; ++k) {
      points[k] = lo + (hi - lo) * T(i + k) / T(n);
    }
    ours(batch::load_aligned(points)).store_aligned(vector_values);
    for (std::size_t k = 0; k < batch::size; ++k) {
      const T got = ours(points[k]);
      same_bits = same_bits && std::memcmp(&got, &vector_values[k], sizeof(T)) == 0;
      const long double exact = reference(static_cast<long double>(points[k]));
      const T rounded = static_cast<T>(exact);
      if (std::isinf(rounded) || rounded == T(0)) {
        if (got != rounded) worst = 1e30;
        continue;
      }
      const long double ulp =
          std::fabs(std::nextafter(rounded, std::numeric_limits<T>::infinity()) - rounded);
      worst = std::max(worst, double(std::fabs(static_cast<long double>(got) - exact) / ulp));
    }
  }
  return {worst, same_bits};
}

}  // namespace

TEST_CASE("math::portable: exp, expm1 and tanh are within their ulps, the same bits on numbers and vectors",
          "[core][math][portable]") {
  const auto exp = [](const auto& x) { return modyn::math::portable::exp(x); };
  const auto expm1 = [](const auto& x) { return modyn::math::portable::expm1(x); };
  const auto tanh = [](const auto& x) { return modyn::math::portable::tanh(x); };
  const auto exp_ref = [](long double x) { return std::exp(x); };
  const auto expm1_ref = [](long double x) { return std::expm1(x); };
  const auto tanh_ref = [](long double x) { return std::tanh(x); };
  struct Case {
    const char* what;
    std::pair<double, bool> result;
    double ulps;
  };
  const Case cases[] = {
      {"float exp", sweep<float>(-103.f, 88.7f, 200000, exp, exp_ref), 1.0},
      {"float exp near 0", sweep<float>(-0.5f, 0.5f, 100000, exp, exp_ref), 1.0},
      {"float expm1", sweep<float>(-30.f, 30.f, 200000, expm1, expm1_ref), 1.5},
      {"float expm1 near 0", sweep<float>(-0.5f, 0.5f, 100000, expm1, expm1_ref), 1.5},
      {"float tanh", sweep<float>(-12.f, 12.f, 200000, tanh, tanh_ref), 2.5},
      {"float tanh near 0", sweep<float>(-0.1f, 0.1f, 100000, tanh, tanh_ref), 2.5},
      {"double exp", sweep<double>(-700., 709., 200000, exp, exp_ref), 1.0},
      {"double expm1", sweep<double>(-40., 40., 200000, expm1, expm1_ref), 2.0},
      {"double expm1 near 0", sweep<double>(-0.5, 0.5, 100000, expm1, expm1_ref), 2.0},
      {"double tanh", sweep<double>(-20., 20., 200000, tanh, tanh_ref), 2.5},
  };
  for (const Case& c : cases) {
    INFO(c.what << ": " << c.result.first << " ulps");
    CHECK(c.result.first <= c.ulps);
    CHECK(c.result.second);
  }
}

TEST_CASE("math::portable: exp, expm1 and tanh at the edges", "[core][math][portable]") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  using modyn::math::portable::exp, modyn::math::portable::expm1, modyn::math::portable::tanh;
  CHECK(exp(inf) == inf);
  CHECK(exp(-inf) == 0.f);
  CHECK(exp(89.f) == inf);
  CHECK(std::isnan(exp(nan)));
  CHECK(std::fabs(exp(-100.f) - std::exp(-100.0)) <= 0x1p-150);  // a subnormal, rounded once
  CHECK(exp(-100.f) > 0.f);
  CHECK(expm1(-inf) == -1.f);
  CHECK(expm1(inf) == inf);
  CHECK(expm1(1e-10f) == 1e-10f);
  CHECK(std::isnan(expm1(nan)));
  CHECK(tanh(inf) == 1.f);
  CHECK(tanh(-inf) == -1.f);
  CHECK(std::signbit(tanh(-0.f)));
  CHECK(tanh(1e-20f) == 1e-20f);
  CHECK(std::isnan(tanh(nan)));
  CHECK(exp(710.0) == std::numeric_limits<double>::infinity());
  CHECK(exp(-745.0) > 0.0);
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

namespace {
struct portable_kernel {
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& x, V& y) const {
    // (No product feeds a sum outside math::fma: contraction, which g++ may
    // apply to the vector form and not the scalar one, cannot change it.)
    y = modyn::math::fma(modyn::math::portable::exp(-x), modyn::math::portable::expm1(x),
                         modyn::math::portable::tanh(x));
  }
};
}  // namespace

TEST_CASE("math::portable in a kernel: modyn::cpu's vectors give modyn::serial's bits",
          "[core][math][portable]") {
  std::vector<float> x(1003);  // not a multiple of a vector: the tail is a padded vector
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = -9.f + 18.f * float(i) / float(x.size());
  std::vector<float> on_cpu(x.size()), on_serial(x.size());
  modyn::cpu::map(x.size(), portable_kernel{}, static_cast<const float*>(x.data()),
                  modyn::write_only(on_cpu.data()));
  modyn::serial::map(x.size(), portable_kernel{}, static_cast<const float*>(x.data()),
                     modyn::write_only(on_serial.data()));
  CHECK(std::memcmp(on_cpu.data(), on_serial.data(), x.size() * sizeof(float)) == 0);
}

namespace {
// f of a float vector whose every lane is x: its first lane.
template <class F>
float on_float_vector(float x, F f) {
  using batch = xsimd::batch<float>;
  alignas(64) float out[batch::size];
  f(batch(x)).store_aligned(out);
  return out[0];
}
}  // namespace

TEST_CASE("math::tanh on SIMD float vectors: within 5 ulps, odd, and right at the edges", "[core][math]") {
  const auto tanh_of = [](float x) {
    return on_float_vector(x, [](const auto& v) { return modyn::math::tanh(v); });
  };
  // Every 1,000th float from -12 to 12: the rational part and the clamp
  // at 7.9988, from where the result is +-1.
  double worst_ulps = 0.0;
  for (float x = -12.f; x < 12.f; x = std::nextafter(x, 100.f)) {
    const double want = std::tanh(static_cast<double>(x));
    const float got = tanh_of(x);
    const float magnitude = std::fabs(static_cast<float>(want));
    const double ulp = std::nextafter(magnitude, INFINITY) - magnitude;
    if (magnitude > 0) worst_ulps = std::max(worst_ulps, std::fabs(got - want) / ulp);
    CHECK(tanh_of(-x) == -got);
    for (int skip = 0; skip < 1000 && x < 12.f; ++skip) x = std::nextafter(x, 100.f);
  }
  INFO("worst error " << worst_ulps << " ulps");
  CHECK(worst_ulps <= 5.0);  // 4.53 measured (Eigen 3.4's rational tanh)
  CHECK(tanh_of(0.f) == 0.f);
  CHECK(std::signbit(tanh_of(-0.f)));
  CHECK(tanh_of(1e-30f) == 1e-30f);
  CHECK(tanh_of(8.5f) == 1.f);
  CHECK(tanh_of(INFINITY) == 1.f);
  CHECK(tanh_of(-INFINITY) == -1.f);
  CHECK(std::isnan(tanh_of(NAN)));
}

TEST_CASE("math::exp on SIMD float vectors: within 1.5 ulps, and right at the edges", "[core][math]") {
  const auto exp_of = [](float x) {
    return on_float_vector(x, [](const auto& v) { return modyn::math::exp(v); });
  };
  // Every 1,000th float from -103 to 88.7 (normal results and subnormals).
  double worst_ulps = 0.0;
  for (float x = -103.f; x < 88.7f; x = std::nextafter(x, 100.f)) {
    const double want = std::exp(static_cast<double>(x));
    const float got = exp_of(x);
    const double ulp = std::nextafter(static_cast<float>(want), INFINITY) - static_cast<float>(want);
    if (want > 1e-37) worst_ulps = std::max(worst_ulps, std::fabs(got - want) / ulp);
    for (int skip = 0; skip < 1000 && x < 88.7f; ++skip) x = std::nextafter(x, 100.f);
  }
  INFO("worst error " << worst_ulps << " ulps");
  CHECK(worst_ulps <= 1.5);  // 1.22 measured; xsimd 8.1: about 1
  CHECK(exp_of(0.f) == 1.f);
  CHECK(exp_of(INFINITY) == INFINITY);
  CHECK(exp_of(100.f) == INFINITY);
  CHECK(exp_of(-INFINITY) == 0.f);
  CHECK(exp_of(-200.f) == 0.f);
  CHECK(std::isnan(exp_of(NAN)));
  // A subnormal (26 steps of the smallest one): within one step of exp(-100).
  CHECK(std::fabs(exp_of(-100.f) - std::exp(-100.0)) <= std::numeric_limits<float>::denorm_min());
}
