// dyn::inputs: constant, step, ramp and section as functions of t, at and
// around every edge (also where t = i * dt or a sum of durations is rounded
// below or above the decimal edge), sample(), deduction of T, and the
// messages of invalid arguments.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/modyn.hpp"
#include "support/helpers.hpp"

using Catch::Matchers::Contains;
using modyn::Tensor;
namespace inputs = modyn::dyn::inputs;

namespace {

constexpr double infinity = std::numeric_limits<double>::infinity();
constexpr double not_a_number = std::numeric_limits<double>::quiet_NaN();

// t of step i as LoopOverTime computes it.
double t_of(std::size_t i, double dt) { return static_cast<double>(i) * dt; }

// t of step i summed step by step (as a hand-written loop would): rounded
// below the decimal value, 100 steps of 0.1 give 9.99999999999998.
double summed_t(std::size_t i, double dt) {
  double t = 0.0;
  for (std::size_t k = 0; k < i; ++k) t += dt;
  return t;
}

// A model that holds its input: to see what LoopOverTime::run_for feeds it.
struct Probe : modyn::Module<Probe> {
  modyn::State<Tensor<float>> x{modyn::Shape{1}};
  MODYN_FIELDS(x)
  const Tensor<float>& update(float input) {
    x->data()[0] = input;
    return *x;
  }
};

}  // namespace

TEST_CASE("inputs::constant: the value at every time and step", "[dyn][inputs]") {
  const inputs::constant c(2.5f);
  CHECK(c.at(-1.0) == 2.5f);
  CHECK(c.at(0.0) == 2.5f);
  CHECK(c.at(1e9) == 2.5f);
  CHECK(c(3.0, 30) == 2.5f);
  CHECK(c.value() == 2.5f);
}

TEST_CASE("inputs::step: amplitude from t_start up to t_end (excluded), baseline elsewhere",
          "[dyn][inputs]") {
  const inputs::step s(2.0f, 10.0, 20.0, 0.5f);
  CHECK(s.at(-1.0) == 0.5f);
  CHECK(s.at(9.9) == 0.5f);
  CHECK(s.at(9.999) == 0.5f);
  CHECK(s.at(10.0) == 2.0f);
  CHECK(s.at(10.1) == 2.0f);
  CHECK(s.at(19.9) == 2.0f);
  CHECK(s.at(19.999) == 2.0f);
  CHECK(s.at(20.0) == 0.5f);
  CHECK(s.at(20.1) == 0.5f);
  // Steps of dt = 0.1, t = i * 0.1 and t summed.
  CHECK(s(t_of(99, 0.1), 99) == 0.5f);
  CHECK(s(t_of(100, 0.1), 100) == 2.0f);
  CHECK(s(t_of(199, 0.1), 199) == 2.0f);
  CHECK(s(t_of(200, 0.1), 200) == 0.5f);
  CHECK(summed_t(100, 0.1) < 10.0);  // the case the tolerance is for
  CHECK(s.at(summed_t(99, 0.1)) == 0.5f);
  CHECK(s.at(summed_t(100, 0.1)) == 2.0f);
  CHECK(s.at(summed_t(200, 0.1)) == 0.5f);
}

TEST_CASE("inputs::step: a product i * dt rounded below the edge has reached it", "[dyn][inputs]") {
  // 3 * 0.3 = 0.8999999999999999 < 0.9.
  REQUIRE(t_of(3, 0.3) < 0.9);
  const inputs::step s(1.0f, 0.9, 1.8);
  CHECK(s.at(t_of(2, 0.3)) == 0.0f);
  CHECK(s.at(t_of(3, 0.3)) == 1.0f);
  CHECK(s.at(t_of(5, 0.3)) == 1.0f);
  REQUIRE(t_of(6, 0.3) < 1.8);  // 1.7999999999999998
  CHECK(s.at(t_of(6, 0.3)) == 0.0f);
}

TEST_CASE("inputs::step: defaults and unbounded edges", "[dyn][inputs]") {
  const inputs::step s(3.0f, 5.0);  // t_end = +inf, baseline 0
  CHECK(s.at(4.9) == 0.0f);
  CHECK(s.at(5.0) == 3.0f);
  CHECK(s.at(1e12) == 3.0f);
  CHECK(s.at(1e300) == 3.0f);
  CHECK(s.baseline() == 0.0f);
  const inputs::step always(1.0f, -infinity);
  CHECK(always.at(-1e300) == 1.0f);
  // An empty interval is never on.
  const inputs::step never(1.0f, 5.0, 5.0, -1.0f);
  CHECK(never.at(5.0) == -1.0f);
}

TEST_CASE("inputs::step: invalid edges name the function and the values", "[dyn][inputs]") {
  using modyn::config_error;
  const auto msg = modyn_test::message_of<config_error>([] { inputs::step(1.0f, 20.0, 10.0); });
  CHECK_THAT(msg, Contains("inputs::step") && Contains("t_start <= t_end") && Contains("t_start = 20") &&
                      Contains("t_end = 10"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::step(1.0f, not_a_number); }),
             Contains("t_start = nan"));
}

TEST_CASE("inputs::ramp: 0, then linear from c_start at t_start towards c_end at t_end, then 0",
          "[dyn][inputs]") {
  const inputs::ramp r(1.0f, 3.0f, 10.0, 20.0);
  CHECK(r.at(0.0) == 0.0f);
  CHECK(r.at(9.9) == 0.0f);
  CHECK(r.at(10.0) == 1.0f);
  CHECK(r.at(12.5) == 1.5f);
  CHECK(r.at(15.0) == 2.0f);
  CHECK(r.at(19.9) == Approx(2.98f).epsilon(1e-6));  // the last sample of dt 0.1: not c_end (see the header)
  CHECK(r.at(20.0) == 0.0f);
  CHECK(r.at(25.0) == 0.0f);
  // On the grid t = i * 0.1 and summed.
  CHECK(r(t_of(99, 0.1), 99) == 0.0f);
  CHECK(r(t_of(100, 0.1), 100) == 1.0f);
  CHECK(r(t_of(150, 0.1), 150) == Approx(2.0f).epsilon(1e-6));
  CHECK(r(t_of(199, 0.1), 199) == Approx(2.98f).epsilon(1e-6));
  CHECK(r(t_of(200, 0.1), 200) == 0.0f);
  // Summed t just below 10 starts at c_start exactly, not a little below it.
  CHECK(r.at(summed_t(100, 0.1)) == 1.0f);
  CHECK(r.at(summed_t(200, 0.1)) == 0.0f);
  // Decreasing ramps and negative values.
  const inputs::ramp down(0.0, -4.0, 0.0, 4.0);
  CHECK(down.at(0.0) == 0.0);
  CHECK(down.at(1.0) == -1.0);
  CHECK(down.at(3.0) == -3.0);
  CHECK(down.at(4.0) == 0.0);
  // A zero-length ramp is 0 everywhere.
  const inputs::ramp flat(1.0f, 2.0f, 5.0, 5.0);
  CHECK(flat.at(5.0) == 0.0f);
}

TEST_CASE("inputs::ramp: invalid edges are rejected", "[dyn][inputs]") {
  using modyn::config_error;
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::ramp(0.f, 1.f, 2.0, 1.0); }),
             Contains("inputs::ramp") && Contains("t_start = 2") && Contains("t_end = 1"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::ramp(0.f, 1.f, 0.0, infinity); }),
             Contains("inputs::ramp") && Contains("finite") && Contains("t_end = inf"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::ramp(0.f, 1.f, not_a_number, 1.0); }),
             Contains("t_start = nan"));
}

TEST_CASE("inputs::section: value k from the sum of earlier durations for duration k, 0 outside",
          "[dyn][inputs]") {
  const inputs::section s({1.f, 2.f}, {10., 20.});
  CHECK(s.size() == 2);
  CHECK(s.total_duration() == 30.0);
  CHECK(s.at(-0.1) == 0.0f);
  CHECK(s.at(0.0) == 1.0f);
  CHECK(s.at(9.9) == 1.0f);
  CHECK(s.at(10.0) == 2.0f);
  CHECK(s.at(29.9) == 2.0f);
  CHECK(s.at(30.0) == 0.0f);
  CHECK(s.at(1e6) == 0.0f);
  // dt = 0.1: step 100 is in section 1, step 300 after the last.
  CHECK(s(t_of(0, 0.1), 0) == 1.0f);
  CHECK(s(t_of(99, 0.1), 99) == 1.0f);
  CHECK(s(t_of(100, 0.1), 100) == 2.0f);
  CHECK(s(t_of(299, 0.1), 299) == 2.0f);
  CHECK(s(t_of(300, 0.1), 300) == 0.0f);
  CHECK(s.at(summed_t(99, 0.1)) == 1.0f);
  CHECK(s.at(summed_t(100, 0.1)) == 2.0f);
  CHECK(s.at(summed_t(300, 0.1)) == 0.0f);
}

TEST_CASE("inputs::section: edges that are rounded sums of durations", "[dyn][inputs]") {
  // 1.1 + 3.2 = 4.300000000000001 > 43 * 0.1 = 4.3: step 43 must already be in
  // section 2.
  REQUIRE(1.1 + 3.2 > t_of(43, 0.1));
  const inputs::section s({5.f, 6.f, 7.f}, {1.1, 3.2, 0.7});
  CHECK(s(t_of(10, 0.1), 10) == 5.0f);
  CHECK(s(t_of(11, 0.1), 11) == 6.0f);
  CHECK(s(t_of(42, 0.1), 42) == 6.0f);
  CHECK(s(t_of(43, 0.1), 43) == 7.0f);
  CHECK(s(t_of(49, 0.1), 49) == 7.0f);
  CHECK(s(t_of(50, 0.1), 50) == 0.0f);
  // 0.7 + 0.6 = 1.2999999999999998 < 1.3 = 13 * 0.1: an end rounded below.
  const inputs::section t({1.f, 2.f}, {0.7, 0.6});
  CHECK(t(t_of(6, 0.1), 6) == 1.0f);
  CHECK(t(t_of(7, 0.1), 7) == 2.0f);
  CHECK(t(t_of(12, 0.1), 12) == 2.0f);
  CHECK(t(t_of(13, 0.1), 13) == 0.0f);
}

TEST_CASE("inputs::section: sections of duration 0 are skipped, no sections is 0", "[dyn][inputs]") {
  const inputs::section s({1.f, 9.f, 2.f, 8.f}, {5., 0., 5., 0.});
  CHECK(s.at(4.9) == 1.0f);
  CHECK(s.at(5.0) == 2.0f);
  CHECK(s.at(9.9) == 2.0f);
  CHECK(s.at(10.0) == 0.0f);
  CHECK(s.total_duration() == 10.0);
  const inputs::section<float> none(std::vector<float>{}, std::vector<double>{});
  CHECK(none.at(0.0) == 0.0f);
  CHECK(none.total_duration() == 0.0);
}

TEST_CASE("inputs::section: mismatched or invalid durations are rejected with a clear message",
          "[dyn][inputs]") {
  using modyn::config_error;
  CHECK(modyn_test::message_of<config_error>([] {
          inputs::section({1.f, 2.f}, {10., 20., 30.});
        }) == "modyn::dyn::inputs::section: 2 values but 3 durations; give one duration per value");
  CHECK(modyn_test::message_of<config_error>([] {
          inputs::section({1.f, 2.f}, {10., -5.});
        }) == "modyn::dyn::inputs::section: duration 1 is -5 ms; durations must be finite and >= 0");
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::section({1.f}, {not_a_number}); }),
             Contains("duration 0 is nan"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { inputs::section({1.f}, {infinity}); }),
             Contains("duration 0 is inf"));
}

TEST_CASE("inputs::sample: round(duration / dt) values at t = k dt", "[dyn][inputs]") {
  const inputs::section s({1.f, 2.f}, {10., 20.});
  const Tensor<float> x = inputs::sample(s, s.total_duration(), 0.1);
  REQUIRE(x.shape() == modyn::Shape{300});
  for (std::size_t k = 0; k < 300; ++k) {
    INFO("k = " << k);
    REQUIRE(x(k) == (k < 100 ? 1.0f : 2.0f));
  }
  // Lengths: rounded, not truncated (BrainPy's int(duration / dt) would give 2
  // for 0.3 / 0.1 = 2.9999999999999996).
  CHECK(inputs::sample(inputs::constant(1.f), 0.3, 0.1).shape() == modyn::Shape{3});
  CHECK(inputs::sample(inputs::constant(1.f), 1.0, 0.3).shape() == modyn::Shape{3});
  CHECK(inputs::sample(inputs::constant(1.f), 1.1, 0.3).shape() == modyn::Shape{4});
  CHECK(inputs::sample(inputs::constant(1.f), 0.0, 0.1).shape() == modyn::Shape{0});
  // A ramp sampled: the values of at().
  const inputs::ramp r(0.0, 4.0, 1.0, 3.0);
  const Tensor<double> y = inputs::sample(r, 4.0, 0.5);
  CHECK(y.to_vector() == std::vector<double>{0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0});
  // A step sampled on a grid rounded below its edge.
  const auto z = inputs::sample(inputs::step(1.0f, 0.9, 1.8), 2.4, 0.3);
  CHECK(z.to_vector() == std::vector<float>{0, 0, 0, 1, 1, 1, 0, 0});
}

TEST_CASE("inputs::sample: invalid dt or duration", "[dyn][inputs]") {
  using modyn::config_error;
  const inputs::constant c(1.f);
  CHECK(modyn_test::message_of<config_error>([&] { inputs::sample(c, 10.0, 0.0); }) ==
        "modyn::dyn::inputs::sample: dt must be finite and > 0 (ms), got 0");
  CHECK_THAT(modyn_test::message_of<config_error>([&] { inputs::sample(c, 10.0, not_a_number); }),
             Contains("got nan"));
  CHECK(modyn_test::message_of<config_error>([&] { inputs::sample(c, -1.0, 0.1); }) ==
        "modyn::dyn::inputs::sample: the duration must be finite and >= 0 (ms), got -1");
  CHECK_THAT(modyn_test::message_of<config_error>([&] { inputs::sample(c, infinity, 0.1); }),
             Contains("got inf"));
}

TEST_CASE("inputs: LoopOverTime::run_for feeds a model the input at each step's t", "[dyn][inputs]") {
  const inputs::section s({1.f, 2.f, 3.f}, {1.1, 3.2, 0.7});
  modyn::LoopOverTime loop{Probe{}, modyn::monitor<"x">, {.dt = 0.1, .record_output = true}};
  const auto& [out, x] = loop.run_for(6.0, s);
  REQUIRE(x.shape() == modyn::Shape{60, 1});
  CHECK(x.reshape({60}) == inputs::sample(s, 6.0, 0.1));
  CHECK(x(10, 0) == 1.0f);
  CHECK(x(11, 0) == 2.0f);
  CHECK(x(42, 0) == 2.0f);
  CHECK(x(43, 0) == 3.0f);
  CHECK(x(49, 0) == 3.0f);
  CHECK(x(50, 0) == 0.0f);
  CHECK(out == x);
}
