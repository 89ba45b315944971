// nn::Dropout: the identity in evaluation; in training, inverted dropout
// (zeros with probability p, survivors scaled by 1 / (1 - p)), masks
// reproducible from a seed; p outside [0, 1) rejected.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::Context;
using modyn::Rng;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

const Context training{.training = true};

// Values in [1, 2): never zero, so a zero in the output is a dropped element.
Tensor<float> nonzero_input(modyn::Shape shape, std::uint64_t seed = 1) {
  return Rng(seed).uniform<float>(shape, 1.0f, 2.0f);
}

}  // namespace

TEST_CASE("Dropout: evaluation mode is the identity", "[nn][dropout]") {
  nn::Dropout d(0.5, 3);
  const auto x = nonzero_input({64, 33});
  CHECK(d(x) == x);             // no context
  CHECK(d(x, Context{}) == x);  // default context: training = false
  CHECK(d(x, Context{.t = 3.0, .i = 30, .dt = 0.1, .training = false}) == x);
  // A view input.
  const auto xs = nonzero_input({2, 5, 7});
  CHECK(d(xs[1]) == xs[1]);
}

TEST_CASE("Dropout: training zeroes a fraction p and scales the rest by exactly 1 / (1 - p)",
          "[nn][dropout]") {
  const double p = GENERATE(0.1, 0.3, 0.5, 0.8);
  nn::Dropout d(p, 17);
  const auto x = nonzero_input({100, 1000}, 2);
  const auto& y = d(x, training);
  REQUIRE(ref::shape_of(y) == std::vector<std::size_t>{100, 1000});
  const float scale = float(1.0 / (1.0 - p));
  std::size_t zeros = 0, wrong = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (y.data()[i] == 0.0f)
      ++zeros;
    else if (y.data()[i] != x.data()[i] * scale)
      ++wrong;
  }
  INFO("p = " << p);
  CHECK(double(zeros) / double(x.size()) == Approx(p).margin(0.01));
  CHECK(wrong == 0);
}

TEST_CASE("Dropout: p = 0 is the identity even in training", "[nn][dropout]") {
  nn::Dropout d(0.0, 1);
  const auto x = nonzero_input({10, 10});
  CHECK(d(x, training) == x);
}

TEST_CASE("Dropout: the same seed gives the same masks, another seed or the next call another",
          "[nn][dropout]") {
  const auto x = nonzero_input({50, 200}, 4);
  nn::Dropout a(0.5, 42), b(0.5, 42), c(0.5, 43);
  const Tensor<float> ya(a(x, training));
  const Tensor<float> yb(b(x, training));
  const Tensor<float> yc(c(x, training));
  CHECK(ya == yb);
  CHECK_FALSE(ya == yc);
  // Each call draws a new mask, and the sequence of masks is reproducible.
  const Tensor<float> ya2(a(x, training));
  CHECK_FALSE(ya2 == ya);
  CHECK(Tensor<float>(b(x, training)) == ya2);
  // Evaluation calls are still the identity after training calls.
  CHECK(a(x) == x);
}

TEST_CASE("Dropout: p outside 0 <= p < 1 throws config_error", "[nn][dropout][error]") {
  CHECK_THROWS_AS(nn::Dropout(1.0), modyn::config_error);
  CHECK_THROWS_AS(nn::Dropout(1.5), modyn::config_error);
  CHECK_THROWS_AS(nn::Dropout(-0.1), modyn::config_error);
  CHECK_THROWS_AS(nn::Dropout(std::numeric_limits<double>::quiet_NaN()), modyn::config_error);
  CHECK_THAT(ref::message_of<modyn::config_error>([] { nn::Dropout(1.0); }), Contains("[0, 1)"));
  CHECK_NOTHROW(nn::Dropout(0.0));
  CHECK_NOTHROW(nn::Dropout(0.999));
}

TEST_CASE("Dropout: no parameters or states, p is a plain field", "[nn][dropout]") {
  nn::Dropout d(0.25, 1);
  CHECK(d.p == 0.25);
  CHECK(d.named_parameters().empty());
  CHECK(d.named_states().empty());
}
