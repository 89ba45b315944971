// dyn::PoissonSpikes: spike counts within 5 standard deviations of the
// binomial expectation (constant, time-dependent and per-neuron rates),
// rate 0 and clipped probabilities, reproducibility from (seed, step),
// batches, shapes, LoopOverTime histories, deduction guides and the messages
// of invalid rates.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/modyn.hpp"
#include "support/helpers.hpp"

using Catch::Matchers::Contains;
using modyn::Context;
using modyn::Shape;
using modyn::Tensor;
using modyn::dyn::PoissonSpikes;

namespace {

constexpr double dt = 0.1;

Context step(std::size_t i) { return Context{.t = static_cast<double>(i) * dt, .i = i, .dt = dt}; }

template <class T>
double count(const Tensor<T>& x) {
  double n = 0.0;
  for (const T v : x.to_vector()) n += double(v);
  return n;
}

// Sum of the rows [begin, end) of a history (steps, N).
double count_rows(const Tensor<float>& history, std::size_t begin, std::size_t end) {
  double n = 0.0;
  for (std::size_t i = begin; i < end; ++i) n += count(Tensor<float>(history[i]));
  return n;
}

// Whether a count of successes in `trials` Bernoulli(p) trials is within 5
// standard deviations of its expectation.
bool within_5_sigma(double successes, double trials, double p) {
  const double mean = trials * p, sd = std::sqrt(trials * p * (1.0 - p));
  UNSCOPED_INFO("count " << successes << ", expected " << mean << " +- " << sd);
  return std::abs(successes - mean) <= 5.0 * sd;
}

template <class T>
bool only_zeros_and_ones(const Tensor<T>& x) {
  for (const T v : x.to_vector())
    if (v != T(0) && v != T(1)) return false;
  return true;
}

}  // namespace

TEST_CASE("PoissonSpikes: deduction guides give float spikes on the default backend", "[dyn][poisson]") {
  using Constant = PoissonSpikes<float, modyn::default_backend, double>;
  STATIC_REQUIRE(std::is_same_v<decltype(PoissonSpikes(100, 20.0, 42)), Constant>);
  STATIC_REQUIRE(std::is_same_v<decltype(PoissonSpikes(100, 20, 42)), Constant>);
  STATIC_REQUIRE(std::is_same_v<decltype(PoissonSpikes(100, 20.0f)), Constant>);
  const auto rate = [](double t) { return t < 50.0 ? 0.0 : 100.0; };
  using Function = PoissonSpikes<float, modyn::default_backend, std::remove_const_t<decltype(rate)>>;
  STATIC_REQUIRE(std::is_same_v<decltype(PoissonSpikes(100, rate, 42)), Function>);
  STATIC_REQUIRE(std::is_same_v<decltype(PoissonSpikes(3, Tensor<double>{1.0, 2.0, 3.0}, 1)),
                                PoissonSpikes<double, modyn::default_backend, Tensor<double>>>);
  PoissonSpikes p(
      100, [](double t) { return t; }, 42);
  CHECK(p.size() == 100);
}

TEST_CASE("PoissonSpikes: 1000 neurons x 1000 steps at 20 Hz fire as Binomial(10^6, 0.002)",
          "[dyn][poisson]") {
  PoissonSpikes p(1000, 20.0, 42);
  double spikes = 0.0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const Tensor<float>& s = p(step(i));
    REQUIRE(s.shape() == Shape{1000});
    spikes += count(s);
  }
  CHECK(within_5_sigma(spikes, 1e6, 20.0 * dt / 1000.0));
}

TEST_CASE("PoissonSpikes: under LoopOverTime, histories (1000, N) equal the step-by-step draws",
          "[dyn][poisson]") {
  const PoissonSpikes p(300, 20.0, 7);
  modyn::LoopOverTime loop{p, modyn::monitor<"spike">, {.dt = 0.1, .record_output = true}};
  const auto& [out, history] = loop.run_for(100.0);
  REQUIRE(history.shape() == Shape{1000, 300});
  REQUIRE(out.shape() == Shape{1000, 300});
  CHECK(out == history);
  CHECK(only_zeros_and_ones(history));
  CHECK(within_5_sigma(count(history), 1000.0 * 300.0, 0.002));
  // Step i of the loop is the draw of step i of a copy.
  PoissonSpikes replay = p;
  for (const std::size_t i : {0, 1, 499, 999}) {
    INFO("step " << i);
    CHECK(Tensor<float>(history[i]) == replay(step(i)));
  }
}

TEST_CASE("PoissonSpikes: a time-dependent rate, 0 before 50 ms and 100 Hz after", "[dyn][poisson]") {
  PoissonSpikes p(
      1000, [](double t) { return t < 50.0 ? 0.0 : 100.0; }, 3);
  modyn::LoopOverTime loop{p, modyn::monitor<"spike">, {.dt = 0.1}};
  const auto& [out, history] = loop.run_for(100.0);
  REQUIRE(history.shape() == Shape{1000, 1000});
  CHECK(count_rows(history, 0, 500) == 0.0);  // t = 0 .. 49.9
  CHECK(within_5_sigma(count_rows(history, 500, 1000), 500.0 * 1000.0, 100.0 * dt / 1000.0));
  CHECK(count_rows(history, 500, 501) > 0.0);  // t = 50: 10 spikes expected, P(none) = 4e-5
}

TEST_CASE("PoissonSpikes: rate 0 never fires, probabilities >= 1 always fire", "[dyn][poisson]") {
  PoissonSpikes silent(1000, 0.0, 1);
  double spikes = 0.0;
  for (std::size_t i = 0; i < 1000; ++i) spikes += count(silent(step(i)));
  CHECK(spikes == 0.0);

  const double rate = GENERATE(1e4, 2e4, 1e9);  // p = rate * 0.1 / 1000 = 1, 2, 1e5
  PoissonSpikes saturated(1000, rate, 1);
  for (std::size_t i = 0; i < 100; ++i) {
    INFO("rate " << rate << ", step " << i);
    REQUIRE(count(saturated(step(i))) == 1000.0);
  }
}

TEST_CASE("PoissonSpikes: a probability just below 1 is not clipped", "[dyn][poisson]") {
  PoissonSpikes p(1000, 9990.0, 5);  // p = 0.999
  double spikes = 0.0;
  for (std::size_t i = 0; i < 1000; ++i) spikes += count(p(step(i)));
  CHECK(spikes < 1e6);
  CHECK(within_5_sigma(spikes, 1e6, 0.999));
}

TEST_CASE("PoissonSpikes: the spikes of a step are a function of (seed, step)", "[dyn][poisson]") {
  // 5000 Hz: p = 0.5, so different draws differ in many places.
  PoissonSpikes a(1000, 5000.0, 42), b(1000, 5000.0, 42), c(1000, 5000.0, 43);
  const Tensor<float> a7 = a(step(7));
  CHECK(only_zeros_and_ones(a7));
  CHECK(within_5_sigma(count(a7), 1000.0, 0.5));
  CHECK(b(step(3)) != a7);  // another step
  CHECK(b(step(7)) == a7);  // same seed and step, whatever ran before
  CHECK(a(step(7)) == a7);  // replayed
  CHECK(c(step(7)) != a7);  // another seed
  // The time does not enter a constant rate's draw: only the index does.
  CHECK(a(Context{.t = 123.0, .i = 7, .dt = dt}) == a7);
}

TEST_CASE("PoissonSpikes: shapes without and with a batch axis, batch rows are independent",
          "[dyn][poisson]") {
  PoissonSpikes p(500, 5000.0, 9);
  CHECK(p.spike->shape() == Shape{500});  // never reset
  CHECK(p(step(0)).shape() == Shape{500});
  const Tensor<float> unbatched = p(step(4));
  p.reset_state(0);
  CHECK(p.spike->shape() == Shape{500});
  CHECK(count(*p.spike) == 0.0);

  p.reset_state(4);
  REQUIRE(p.spike->shape() == Shape{4, 500});
  CHECK(count(*p.spike) == 0.0);
  const Tensor<float> batched = p(step(4));
  REQUIRE(batched.shape() == Shape{4, 500});
  CHECK(only_zeros_and_ones(batched));
  for (std::size_t r = 0; r < 4; ++r) {
    INFO("row " << r);
    CHECK(within_5_sigma(count(Tensor<float>(batched[r])), 500.0, 0.5));
    for (std::size_t q = r + 1; q < 4; ++q) CHECK(Tensor<float>(batched[r]) != Tensor<float>(batched[q]));
  }
  // Row 0 holds the elements 0 .. N - 1 of the step's stream: the unbatched draw.
  CHECK(Tensor<float>(batched[0]) == unbatched);
}

TEST_CASE("PoissonSpikes: no allocation once warm: the spike buffer is reused", "[dyn][poisson]") {
  PoissonSpikes p(1000, 20.0, 2);
  p.reset_state(2);
  const float* buffer = p.spike->data();
  for (std::size_t i = 0; i < 50; ++i) p(step(i));
  CHECK(p.spike->data() == buffer);
  CHECK(&p(step(50)) == &*p.spike);
}

TEST_CASE("PoissonSpikes: per-neuron rates (N,) apply to every batch row", "[dyn][poisson]") {
  std::vector<float> hz(1000, 20.0f);
  hz[0] = 0.0f;     // never fires
  hz[1] = 1e4f;     // p = 1: always fires
  hz[2] = 5000.0f;  // p = 0.5
  PoissonSpikes p(1000, Tensor<float>(Shape{1000}, hz), 11);
  p.reset_state(2);
  double rest = 0.0, half = 0.0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const Tensor<float>& s = p(step(i));
    for (std::size_t r = 0; r < 2; ++r) {
      INFO("step " << i << ", row " << r);
      REQUIRE(s(r, 0) == 0.0f);
      REQUIRE(s(r, 1) == 1.0f);
      half += double(s(r, 2));
      for (std::size_t n = 3; n < 1000; ++n) rest += double(s(r, n));
    }
  }
  CHECK(within_5_sigma(half, 2000.0, 0.5));
  CHECK(within_5_sigma(rest, 2.0 * 1000.0 * 997.0, 0.002));
}

TEST_CASE("PoissonSpikes: double spikes", "[dyn][poisson]") {
  PoissonSpikes<double> p(1000, 5000.0, 4);
  const Tensor<double>& s = p(step(0));
  CHECK(only_zeros_and_ones(s));
  CHECK(within_5_sigma(count(s), 1000.0, 0.5));
}

TEST_CASE("PoissonSpikes: invalid rates name the module and the value", "[dyn][poisson]") {
  using modyn::config_error;
  const double nan = std::nan("");
  CHECK_THAT(modyn_test::message_of<config_error>([] { PoissonSpikes(10, -1.0, 0); }),
             Contains("dyn::PoissonSpikes 'PoissonSpikes") && Contains("rate = -1 Hz is invalid") &&
                 Contains("finite and >= 0"));
  CHECK_THAT(modyn_test::message_of<config_error>([&] { PoissonSpikes(10, nan, 0); }),
             Contains("rate = nan Hz"));
  CHECK_THAT(modyn_test::message_of<config_error>([] { PoissonSpikes(10, HUGE_VAL, 0); }),
             Contains("rate = inf Hz"));

  // A function is checked at each step.
  PoissonSpikes f(
      100, [](double t) { return t < 1.0 ? 5000.0 : -3.0; }, 0);
  f.set_name("drive");
  const Tensor<float> before = f(step(9));
  CHECK(modyn_test::message_of<config_error>([&] { f(step(10)); }) ==
        "dyn::PoissonSpikes 'drive': rate(t = 1 ms) = -3 Hz is invalid; a rate must be finite and >= 0");
  CHECK(*f.spike == before);  // the failed step left the spikes as they were
  PoissonSpikes g(
      10, [nan](double) { return nan; }, 0);
  CHECK_THAT(modyn_test::message_of<config_error>([&] { g(step(0)); }), Contains("= nan Hz is invalid"));

  // Per-neuron rates: shape and values.
  const auto wrong_shape = [] { PoissonSpikes(4, Tensor<float>{1.f, 2.f, 3.f}, 0); };
  CHECK_THAT(
      modyn_test::message_of<modyn::shape_error>(wrong_shape),
      Contains("per-neuron rates of shape (3,)") && Contains("for 4 neurons") && Contains("expected (4,)"));
  CHECK_THAT(modyn_test::message_of<config_error>([] {
               PoissonSpikes(3, Tensor<float>{1.f, 2.f, -1.f}, 0);
             }),
             Contains("rate of neuron 2 = -1 Hz is invalid"));
}

TEST_CASE("PoissonSpikes: spikes are u < p with u the documented uniform stream split(step) of the seed",
          "[dyn][poisson]") {
  // The reference: Rng(seed).split(i).uniform (checked against Random123 and
  // random_reference.py in tests/core/random.cpp), thresholded element by
  // element. The fused draw must give exactly these spikes, at every size
  // (whole 16-block chunks, a tail, less than one block) and batch row.
  const auto reference = [](std::uint64_t seed, std::size_t i, std::size_t rows, std::size_t n, auto p_of) {
    using T = decltype(p_of(std::size_t(0)));
    const std::vector<T> u = modyn::Rng(seed).split(i).uniform<T>({rows * n}).to_vector();
    std::vector<T> s(u.size());
    for (std::size_t e = 0; e < u.size(); ++e) s[e] = u[e] < p_of(e % n) ? T(1) : T(0);
    return s;
  };
  for (const std::size_t n : {1, 3, 64, 1000, 4099}) {
    INFO("N = " << n);
    PoissonSpikes f(n, 5000.0, 21);  // p = 0.5
    PoissonSpikes<double> d(n, 300.0, 22);
    for (const std::size_t i : {0, 1, 77}) {
      CHECK(f(step(i)).to_vector() == reference(21, i, 1, n, [](std::size_t) { return 0.5f; }));
      CHECK(d(step(i)).to_vector() ==
            reference(22, i, 1, n, [](std::size_t) { return 300.0 * dt / 1000.0; }));
    }
    std::vector<float> hz(n);
    for (std::size_t k = 0; k < n; ++k) hz[k] = float(k % 7) * 1000.0f;  // p = 0 .. 0.6
    PoissonSpikes per(n, Tensor<float>(Shape{n}, hz), 23);
    per.reset_state(3);
    const float scale = float(1.0 * dt / 1000.0);
    CHECK(per(step(5)).to_vector() == reference(23, 5, 3, n, [&](std::size_t k) { return hz[k] * scale; }));
  }
}

TEMPLATE_TEST_CASE("PoissonSpikes: the same spikes on every backend", "[dyn][poisson][backends]",
                   modyn::serial, modyn::pseudo_device) {
  // serial: the fused host draw, kernels one element at a time; pseudo_device:
  // memory the host cannot read, so the uniform fill is drawn where it lies
  // (one element per kernel call, as on a GPU) and thresholded by a second
  // kernel. Both must equal the cpu spikes.
  using B = TestType;
  constexpr std::size_t n = 1001;
  PoissonSpikes cpu(n, 5000.0, 31);
  PoissonSpikes<float, B> other(n, 5000.0, 31);
  std::vector<float> hz(n);
  for (std::size_t k = 0; k < n; ++k) hz[k] = float(k % 9) * 1000.0f;
  PoissonSpikes per_cpu(n, Tensor<float>(Shape{n}, hz), 32);
  PoissonSpikes<float, B, Tensor<float, B>> per_other(n, modyn::to<B>(Tensor<float>(Shape{n}, hz)), 32);
  per_cpu.reset_state(2);
  per_other.reset_state(2);
  for (const std::size_t i : {0, 3, 250}) {
    INFO("step " << i);
    CHECK(modyn::to<modyn::cpu>(other(step(i))).to_vector() == cpu(step(i)).to_vector());
    CHECK(modyn::to<modyn::cpu>(per_other(step(i))).to_vector() == per_cpu(step(i)).to_vector());
  }
}
