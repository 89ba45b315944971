// Param transforms: forward against hand-computed values, inverse round
// trips, on scalars and on tensors long enough for the SIMD path.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <functional>
#include <vector>

#include "models.hpp"

using modyn::Param;
using modyn::Tensor;
namespace transform = modyn::transform;

namespace {

double softplus(double x) { return std::log1p(std::exp(x)); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// n raw values first, first + step, ...: 19 crosses every SIMD width
// (4, 8, 16 floats) and leaves a scalar tail.
std::vector<float> ramp(float first, float step, std::size_t n = 19) {
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = first + step * float(i);
  return v;
}

// value() of a Param with raw values `raw` is forward(raw); from_value of
// that value gives raw back (within `margin`), and so does set_value.
template <class Tr>
void check_transform(Tr tr, const std::vector<float>& raw, const std::function<double(double)>& forward,
                     double margin) {
  const Tensor<float> raw_tensor({raw.size()}, raw);
  const Param<Tensor<float>, Tr> p(raw_tensor, tr);
  const std::vector<float> value = p.value().to_vector();
  REQUIRE(value.size() == raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    CAPTURE(i, raw[i]);
    CHECK(value[i] == Approx(forward(raw[i])).epsilon(1e-5).margin(1e-6));
  }

  const auto q = Param<Tensor<float>, Tr>::from_value(p.value(), tr);
  const std::vector<float> back = q.raw().to_vector();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    CAPTURE(i, raw[i]);
    CHECK(back[i] == Approx(raw[i]).margin(margin));
  }

  Param<Tensor<float>, Tr> r(Tensor<float>::zeros({raw.size()}), tr);
  r.set_value(p.value());
  const std::vector<float> set = r.raw().to_vector();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    CAPTURE(i, raw[i]);
    CHECK(set[i] == Approx(raw[i]).margin(margin));
  }
}

}  // namespace

TEST_CASE("identity", "[transform]") {
  CHECK(transform::identity{}.forward(2.5f) == 2.5f);
  CHECK(transform::identity{}.inverse(-2.5f) == -2.5f);
  check_transform(
      transform::identity{}, ramp(-4.0f, 0.5f), [](double x) { return x; }, 0.0);
}

TEST_CASE("softplus is log(1 + e^x), without overflow", "[transform]") {
  const transform::softplus t;
  CHECK(t.forward(0.0f) == Approx(std::log(2.0)));
  CHECK(t.forward(1.0) == Approx(std::log(1.0 + std::exp(1.0))));
  CHECK(t.forward(-3.0) == Approx(std::log(1.0 + std::exp(-3.0))));
  CHECK(t.forward(100.0f) == 100.0f);  // log(1 + e^100) overflows a float
  CHECK(t.forward(-100.0f) >= 0.0f);
  CHECK(t.forward(-10.0) == Approx(std::log1p(std::exp(-10.0))));
  CHECK(t.inverse(std::log(2.0)) == Approx(0.0).margin(1e-12));
  CHECK(t.inverse(1.0) == Approx(std::log(std::exp(1.0) - 1.0)));
  CHECK(t.inverse(20.0) == Approx(20.0));

  check_transform(t, ramp(-6.0f, 0.75f), softplus, 1e-3);
  check_transform(t, ramp(0.5f, 3.0f), softplus, 1e-4);  // up to 54.5
}

TEST_CASE("exp is e^x", "[transform]") {
  const transform::exponential t;
  CHECK(t.forward(0.0f) == 1.0f);
  CHECK(t.forward(1.0) == Approx(std::exp(1.0)));
  CHECK(t.inverse(1.0f) == 0.0f);
  CHECK(t.inverse(2.0) == Approx(std::log(2.0)));
  check_transform(
      t, ramp(-3.0f, 0.4f), [](double x) { return std::exp(x); }, 1e-5);
}

TEST_CASE("sigmoid maps to (lower, upper)", "[transform]") {
  const transform::sigmoid unit;
  CHECK(unit.lower == 0.0);
  CHECK(unit.upper == 1.0);
  CHECK(unit.forward(0.0f) == 0.5f);
  CHECK(unit.inverse(0.5) == Approx(0.0).margin(1e-12));

  const transform::sigmoid t{-1.0, 3.0};
  CHECK(t.forward(0.0) == Approx(1.0));                           // -1 + 4 / 2
  CHECK(t.forward(std::log(3.0)) == Approx(2.0));                 // -1 + 4 * 3/4
  CHECK(t.forward(-std::log(3.0)) == Approx(0.0).margin(1e-12));  // -1 + 4 * 1/4
  CHECK(t.inverse(1.0) == Approx(0.0).margin(1e-12));
  CHECK(t.inverse(2.0) == Approx(std::log(3.0)));
  CHECK(t.inverse(0.0) == Approx(-std::log(3.0)));
  check_transform(
      t, ramp(-4.0f, 0.45f), [](double x) { return -1.0 + 4.0 * sigmoid(x); }, 1e-3);
}

TEST_CASE("affine is scale x + shift", "[transform]") {
  const transform::affine t{2.0, 1.0};
  CHECK(t.forward(0.0) == 1.0);
  CHECK(t.forward(-3.0) == -5.0);
  CHECK(t.inverse(3.0) == 1.0);
  CHECK(t.inverse(-5.0) == -3.0);
  const transform::affine unit;
  CHECK(unit.forward(7.0) == 7.0);
  check_transform(
      t, ramp(-5.0f, 0.5f), [](double x) { return 2.0 * x + 1.0; }, 1e-6);
  check_transform(
      transform::affine{-0.5, 10.0}, ramp(-5.0f, 0.5f), [](double x) { return -0.5 * x + 10.0; }, 1e-5);
}

TEST_CASE("clip clamps to [lower, upper], its inverse is the identity", "[transform]") {
  const transform::clip t{-1.0, 1.0};
  CHECK(t.forward(-3.0) == -1.0);
  CHECK(t.forward(0.5) == 0.5);
  CHECK(t.forward(2.0) == 1.0);
  CHECK(t.inverse(0.25) == 0.25);

  const std::vector<float> raw = ramp(-3.0f, 1.0f / 3.0f);
  const Param<Tensor<float>, transform::clip> p(Tensor<float>({raw.size()}, raw), t);
  const std::vector<float> value = p.value().to_vector();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    CAPTURE(i, raw[i]);
    CHECK(value[i] == std::min(1.0f, std::max(-1.0f, raw[i])));
  }

  // Values inside the interval are their own raw value.
  const auto q = Param<Tensor<float>, transform::clip>::from_value(Tensor<float>{0.25f, -0.5f, 1.0f}, t);
  CHECK(q.raw() == Tensor<float>{0.25f, -0.5f, 1.0f});
  CHECK(q.value() == Tensor<float>{0.25f, -0.5f, 1.0f});
  check_transform(
      transform::clip{-10.0, 10.0}, ramp(-4.0f, 0.5f), [](double x) { return x; }, 0.0);
}

// Regression test (a bug found and fixed): softplus::forward computes log(1 + e^-|x|)
// with log, not log1p, so for x below about -17 (float; -37 for double)
// 1 + e^x rounds to 1 and the "positive" value is exactly 0, which a time
// constant or conductance then divides by.
TEST_CASE("softplus of a very negative value stays positive", "[transform][regression]") {
  const transform::softplus t;
  CHECK(t.forward(-20.0f) > 0.0f);
  CHECK(t.forward(-20.0f) == Approx(std::exp(-20.0)));
  CHECK(t.forward(-40.0) > 0.0);
  const Param<Tensor<float>, transform::softplus> p(Tensor<float>::full({19}, -20.0f));
  for (const float v : p.value().to_vector()) CHECK(v > 0.0f);
}
