// Surrogate spike functions: grad against central finite differences of
// smooth, in double; the slope alpha scales the width; forward is the step
// (x >= 0 spikes, dyn::LIF's convention); the kernels give on every lane of
// B::map what the functions give on one number.
#include "modyn/dyn/surrogate.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor.hpp"

namespace surrogate = modyn::surrogate;
using modyn::Tensor;

namespace {

const double pi = std::acos(-1.0);

// The points of the checks: a grid over [-3, 3] that stays 0.003 away from
// the kinks of piecewise_linear's triangle (0 and +-1/alpha for the alphas
// below), where a central difference of a piecewise quadratic is off by
// O(h alpha^2).
std::vector<double> points() {
  std::vector<double> xs;
  for (int k = 0; k <= 600; ++k) xs.push_back(-3.0 + 0.003 + 0.01 * k);
  for (const double x : {-40.0, -7.5, 7.5, 40.0, 1e-3, -1e-3}) xs.push_back(x);
  return xs;
}

const double alphas[] = {0.5, 1.0, 2.0, 4.0, 10.0};

// Where grad falls to half its peak (at 0), by bisection on x > 0.
template <class S>
double half_width(const S& s) {
  const double half = s.grad(0.0) / 2;
  double lo = 0.0, hi = 1.0;
  while (s.grad(hi) > half) hi *= 2;
  for (int i = 0; i < 200; ++i) {
    const double mid = (lo + hi) / 2;
    (s.grad(mid) > half ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

// smooth on every element (the surrogates' own kernel pair has no smooth).
template <class S>
struct smooth_kernel {
  S s;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& y) const {
    y = s.smooth(x);
  }
};

}  // namespace

TEMPLATE_TEST_CASE(
    "a surrogate's grad is the derivative of its smooth function (central differences, double)",
    "[surrogate]", surrogate::sigmoid, surrogate::fast_sigmoid, surrogate::arctan,
    surrogate::piecewise_linear, surrogate::gaussian) {
  STATIC_REQUIRE(surrogate::SurrogateFunction<TestType>);
  const double h = 1e-5;
  for (const double alpha : alphas) {
    const TestType s{alpha};
    for (const double x : points()) {
      const double fd = (s.smooth(x + h) - s.smooth(x - h)) / (2 * h);
      INFO(TestType::name << " alpha " << alpha << " x " << x);
      CHECK(s.grad(x) == Approx(fd).epsilon(1e-7).margin(1e-9 * alpha * alpha + 1e-10));
      CHECK(s.grad(x) >= 0.0);
    }
  }
}

TEST_CASE("the surrogates' grad at the threshold and their formulas at a point", "[surrogate]") {
  for (const double a : alphas) {
    INFO("alpha " << a);
    CHECK(surrogate::sigmoid{a}.grad(0.0) == Approx(a / 4));
    CHECK(surrogate::fast_sigmoid{a}.grad(0.0) == 1.0);
    CHECK(surrogate::arctan{a}.grad(0.0) == Approx(a / 2));
    CHECK(surrogate::piecewise_linear{a}.grad(0.0) == a);
    CHECK(surrogate::gaussian{a}.grad(0.0) == Approx(a / std::sqrt(2 * pi)));

    const double x = 0.3;
    const double s = 1 / (1 + std::exp(-a * x));
    CHECK(surrogate::sigmoid{a}.grad(x) == Approx(a * s * (1 - s)));
    CHECK(surrogate::fast_sigmoid{a}.grad(x) == Approx(1 / std::pow(a * x + 1, 2)));
    CHECK(surrogate::arctan{a}.grad(x) == Approx(a / (2 * (1 + std::pow(pi / 2 * a * x, 2)))));
    CHECK(surrogate::piecewise_linear{a}.grad(x) == Approx(a * std::max(0.0, 1 - a * x)));
    const double sigma = 1 / a;
    CHECK(surrogate::gaussian{a}.grad(x) ==
          Approx(std::exp(-x * x / (2 * sigma * sigma)) / (std::sqrt(2 * pi) * sigma)));
  }
  // Outside the triangle: exactly 0.
  CHECK(surrogate::piecewise_linear{2.0}.grad(0.5) == 0.0);
  CHECK(surrogate::piecewise_linear{2.0}.grad(-0.75) == 0.0);
  // The defaults.
  CHECK(surrogate::sigmoid{}.alpha == 4.0);
  CHECK(surrogate::fast_sigmoid{}.alpha == 25.0);
  CHECK(surrogate::arctan{}.alpha == 2.0);
  CHECK(surrogate::piecewise_linear{}.alpha == 1.0);
  CHECK(surrogate::gaussian{}.alpha == 2.0);
}

TEMPLATE_TEST_CASE("a surrogate's smooth function rises from its low to its high limit", "[surrogate]",
                   surrogate::sigmoid, surrogate::arctan, surrogate::piecewise_linear, surrogate::gaussian) {
  // The unit-area ones go from 0 to 1, and pass 1/2 at the threshold.
  for (const double alpha : alphas) {
    const TestType s{alpha};
    INFO(TestType::name << " alpha " << alpha);
    CHECK(s.smooth(0.0) == Approx(0.5));
    CHECK(s.smooth(-1e6) == Approx(0.0).margin(1e-5));
    CHECK(s.smooth(1e6) == Approx(1.0).margin(1e-5));
  }
}

TEST_CASE("fast_sigmoid's smooth function spans 2 / alpha, SuperSpike's normalization", "[surrogate]") {
  for (const double alpha : alphas) {
    const surrogate::fast_sigmoid s{alpha};
    CHECK(s.smooth(0.0) == 0.0);
    CHECK(s.smooth(1e9) - s.smooth(-1e9) == Approx(2 / alpha).epsilon(1e-6));
  }
}

TEMPLATE_TEST_CASE("the slope alpha scales a surrogate's width as 1 / alpha", "[surrogate]",
                   surrogate::sigmoid, surrogate::fast_sigmoid, surrogate::arctan,
                   surrogate::piecewise_linear, surrogate::gaussian) {
  const double w1 = half_width(TestType{1.0});
  for (const double alpha : alphas) {
    const TestType s{alpha};
    INFO(TestType::name << " alpha " << alpha);
    CHECK(half_width(s) == Approx(w1 / alpha).epsilon(1e-9));
    // grad_alpha(x) = c grad_1(alpha x), with c = alpha for the unit-area
    // ones (the peak grows as the width shrinks), 1 for fast_sigmoid.
    const double c = std::is_same_v<TestType, surrogate::fast_sigmoid> ? 1.0 : alpha;
    for (const double x : {-1.3, -0.2, 0.0, 0.05, 0.7, 2.5})
      CHECK(s.grad(x) == Approx(c * TestType{1.0}.grad(alpha * x)).margin(1e-15));
  }
  // A larger slope: narrower.
  CHECK(half_width(TestType{8.0}) < half_width(TestType{2.0}));
}

TEMPLATE_TEST_CASE("a surrogate's forward is the step, 1 from x >= 0 on, whatever its slope", "[surrogate]",
                   surrogate::sigmoid, surrogate::fast_sigmoid, surrogate::arctan,
                   surrogate::piecewise_linear, surrogate::gaussian) {
  const double inf = std::numeric_limits<double>::infinity();
  const double tiny = std::numeric_limits<double>::denorm_min();
  for (const double alpha : {0.1, 1.0, 100.0}) {
    const TestType s{alpha};
    for (const double x : {-inf, -1e30, -1.0, -1e-12, -tiny}) {
      CHECK(s.forward(x) == 0.0);
      CHECK(s(x) == 0.0);
    }
    // x == 0 (V == V_th) spikes, as in dyn::LIF (V >= V_th); so does -0.
    for (const double x : {0.0, -0.0, tiny, 1e-12, 1.0, 1e30, inf}) {
      CHECK(s.forward(x) == 1.0);
      CHECK(s(x) == 1.0);
    }
    CHECK(s.forward(0.0f) == 1.0f);
    CHECK(s.forward(-1e-7f) == 0.0f);
  }
}

TEMPLATE_TEST_CASE("the surrogate kernels give on every lane of B::map what the functions give on one number",
                   "[surrogate][kernel]", surrogate::sigmoid, surrogate::fast_sigmoid, surrogate::arctan,
                   surrogate::piecewise_linear, surrogate::gaussian) {
  // 203 elements: whole vectors and a tail, float (16 lanes with AVX-512).
  const std::size_t n = 203;
  Tensor<float> x = Tensor<float>::empty({n});
  Tensor<float> upstream = Tensor<float>::empty({n});
  for (std::size_t i = 0; i < n; ++i) {
    x(i) = -2.0f + 4.0f * float(i) / float(n - 1);
    upstream(i) = 0.5f + float(i % 7);
  }
  x(100) = 0.0f;
  const TestType s{3.0};
  Tensor<float> spike = Tensor<float>::empty({n}), grad_x = Tensor<float>::empty({n}),
                smooth = Tensor<float>::empty({n});
  modyn::cpu::map(n, surrogate::spike_kernel<TestType>{s}, static_cast<const float*>(x.data()),
                  modyn::write_only(spike.data()));
  modyn::cpu::map(n, surrogate::backward_kernel<TestType>{s}, static_cast<const float*>(x.data()),
                  static_cast<const float*>(upstream.data()), modyn::write_only(grad_x.data()));
  modyn::cpu::map(n, smooth_kernel<TestType>{s}, static_cast<const float*>(x.data()),
                  modyn::write_only(smooth.data()));
  for (std::size_t i = 0; i < n; ++i) {
    INFO(TestType::name << " x " << x(i));
    CHECK(spike(i) == (x(i) >= 0.0f ? 1.0f : 0.0f));
    // (xsimd's exp, erf and atan may differ from std's in the last bits.)
    CHECK(grad_x(i) == Approx(upstream(i) * s.grad(x(i))).epsilon(1e-5).margin(1e-6));
    CHECK(smooth(i) == Approx(s.smooth(x(i))).epsilon(1e-5).margin(1e-6));
  }
  CHECK(spike(100) == 1.0f);

  // On the one-lane serial backend: the same numbers as the scalar calls.
  Tensor<double, modyn::serial> xd = Tensor<double, modyn::serial>::empty({n});
  for (std::size_t i = 0; i < n; ++i) xd(i) = double(x(i));
  Tensor<double, modyn::serial> gd = Tensor<double, modyn::serial>::ones({n});
  Tensor<double, modyn::serial> out = Tensor<double, modyn::serial>::empty({n});
  modyn::serial::map(n, surrogate::backward_kernel<TestType>{s}, static_cast<const double*>(xd.data()),
                     static_cast<const double*>(gd.data()), modyn::write_only(out.data()));
  for (std::size_t i = 0; i < n; ++i) CHECK(out(i) == s.grad(xd(i)));
}
