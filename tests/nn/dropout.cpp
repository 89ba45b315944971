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

TEST_CASE("Dropout: in evaluation a Tensor input is returned itself, without a copy", "[nn][dropout]") {
  nn::Dropout d(0.5, 3);
  const auto x = nonzero_input({64, 33});
  CHECK(&d(x) == &x);
  CHECK(&d(x, Context{}) == &x);
  nn::Dropout never(0.0, 3);
  CHECK(&never(x, training) == &x);  // p = 0 in training is the identity too

  SECTION("a temporary input's buffer is moved into the layer, not copied") {
    auto t = nonzero_input({8, 5});
    const Tensor<float> expected(t);
    const float* buffer = t.data();
    const auto& y = d(std::move(t));
    CHECK(y.data() == buffer);
    CHECK(y == expected);  // still valid after the temporary is gone
    CHECK(&y != &x);
  }
  SECTION("a view input is copied into the layer's buffer (the result is a Tensor)") {
    const auto xs = nonzero_input({2, 5, 7});
    const auto& y = d(xs[1]);
    CHECK(y.data() != xs[1].data());
    CHECK(y == xs[1]);
  }
  SECTION("training still writes into the layer's buffer, not into the input") {
    const Tensor<float> before(x);
    const auto& y = d(x, training);
    CHECK(&y != &x);
    CHECK(x == before);
  }
}

TEST_CASE("Dropout: fed its own output, or a row of it, in training", "[nn][dropout]") {
  nn::Dropout d(0.5, 9);
  const float scale = 2.0f;
  const auto x = nonzero_input({4, 50}, 5);
  // Each element of d(y) is 0 or y * 2, with y read before it is overwritten.
  const auto check_step = [&](const Tensor<float>& in, const Tensor<float>& out) {
    REQUIRE(in.shape() == out.shape());
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (out.data()[i] != 0.0f && out.data()[i] != in.data()[i] * scale) ++wrong;
    }
    CHECK(wrong == 0);
  };
  SECTION("the whole output") {
    const auto& y = d(x, training);
    const Tensor<float> before(y);
    check_step(before, Tensor<float>(d(y, training)));
  }
  SECTION("a row of its own output, whose shape changes the buffer") {
    const auto& y = d(x, training);
    const Tensor<float> row(y[2]);
    check_step(row, Tensor<float>(d(y[2], training)));
  }
}
