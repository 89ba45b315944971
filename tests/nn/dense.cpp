// nn::Dense: y = x W + b over the last axis against a naive loop, static
// sizes, initialisation (bounds, seeds, kinds) and shape errors.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::Rng;
using modyn::Shape;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

// x W + b for x of any rank, over the last axis.
template <class D>
std::vector<double> dense_reference(const D& d, const Tensor<float>& x) {
  const std::size_t in = d.in_features(), out = d.out_features();
  const auto w = ref::values(d.weight.value());
  const auto b = ref::values(d.bias.value());
  return ref::affine(ref::values(x), x.size() / in, in, w, out, &b);
}

}  // namespace

TEST_CASE("Dense: y = x W + b for (batch, in), (time, batch, in) and (in,) inputs", "[nn][dense]") {
  nn::Dense d(7, 5, {.seed = 3});
  REQUIRE(d.in_features() == 7);
  REQUIRE(d.out_features() == 5);
  REQUIRE(ref::shape_of(d.weight.value()) == std::vector<std::size_t>{7, 5});  // (in, out)
  REQUIRE(ref::shape_of(d.bias.value()) == std::vector<std::size_t>{5});
  Rng rng(11);

  SECTION("(batch, in)") {
    const auto x = rng.normal<float>({4, 7});
    const auto& y = d(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{4, 5});
    CHECK(ref::max_error(y, dense_reference(d, x)) < 1e-5);
  }
  SECTION("(time, batch, in)") {
    const auto x = rng.normal<float>({3, 4, 7});
    const auto& y = d(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{3, 4, 5});
    CHECK(ref::max_error(y, dense_reference(d, x)) < 1e-5);
  }
  SECTION("(in,)") {
    const auto x = rng.normal<float>({7});
    const auto& y = d(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{5});
    CHECK(ref::max_error(y, dense_reference(d, x)) < 1e-5);
  }
  SECTION("a view input (one step of a sequence)") {
    const auto xs = rng.normal<float>({3, 4, 7});
    const Tensor<float> step(xs[1]);
    const auto& y = d(xs[1]);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{4, 5});
    CHECK(ref::max_error(y, dense_reference(d, step)) < 1e-5);
  }
  SECTION("an empty batch (0, in) gives (0, out)") {
    const auto& y = d(Tensor<float>::zeros({0, 7}));
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{0, 5});
  }
  SECTION("hand-computed values") {
    nn::Dense h(2, 3, {.kind = modyn::init::Kind::zeros, .scale = 1.0, .seed = std::nullopt});
    h.weight = Tensor<float>{{1, 2, 3}, {4, 5, 6}};
    h.bias = Tensor<float>{0.5f, -1, 0};
    const auto& y = h(Tensor<float>{{1, 1}, {2, -1}});
    CHECK(y == Tensor<float>{{5.5f, 6, 9}, {-1.5f, -2, 0}});
  }
}

TEST_CASE("Dense: the output is a buffer of the layer, reused across calls of the same shape",
          "[nn][dense]") {
  nn::Dense d(6, 3, {.seed = 1});
  Rng rng(2);
  const auto a = rng.normal<float>({5, 6});
  const auto b = rng.normal<float>({5, 6});
  const float* first = d(a).data();
  const auto& y = d(b);
  CHECK(y.data() == first);
  CHECK(ref::max_error(y, dense_reference(d, b)) < 1e-5);
}

TEST_CASE("Dense: static sizes", "[nn][dense]") {
  nn::Dense<3, 2> d;
  STATIC_REQUIRE(nn::Dense<3, 2>::static_in_features == 3);
  STATIC_REQUIRE(nn::Dense<3, 2>::static_out_features == 2);
  STATIC_REQUIRE(nn::Dense<>::static_in_features == modyn::dynamic);
  CHECK(d.in_features() == 3);
  CHECK(d.out_features() == 2);
  CHECK(ref::shape_of(d.weight.value()) == std::vector<std::size_t>{3, 2});
  const auto x = Rng(4).normal<float>({6, 3});
  const auto& y = d(x);
  CHECK(ref::shape_of(y) == std::vector<std::size_t>{6, 2});
  CHECK(ref::max_error(y, dense_reference(d, x)) < 1e-5);

  // Explicit sizes must agree with the static ones.
  CHECK_NOTHROW(nn::Dense<3, 2>(3, 2));
  CHECK_THROWS_AS((nn::Dense<3, 2>(3, 4)), modyn::config_error);
  CHECK_THROWS_AS((nn::Dense<3, 2>(4, 2)), modyn::config_error);
  CHECK_THAT(ref::message_of<modyn::config_error>([] { nn::Dense<3, 2>(3, 4); }),
             Contains("out") && Contains("2") && Contains("4"));
}

TEST_CASE("Dense: default initialisation is uniform in +-1/sqrt(in)", "[nn][dense][init]") {
  const std::size_t in = 400, out = 300;
  nn::Dense d(in, out, {.seed = 5});
  const double bound = 1.0 / std::sqrt(double(in));
  const auto w = ref::values(d.weight.value());
  const auto b = ref::values(d.bias.value());

  double max_abs = 0, mean = 0, mean_sq = 0;
  std::vector<std::size_t> bins(10, 0);
  for (const double v : w) {
    max_abs = std::max(max_abs, std::abs(v));
    mean += v;
    mean_sq += v * v;
    const auto bin = std::size_t((v + bound) / (2 * bound) * 10);
    ++bins[std::min<std::size_t>(bin, 9)];
  }
  mean /= double(w.size());
  mean_sq /= double(w.size());
  CHECK(max_abs <= bound);
  CHECK(max_abs > 0.99 * bound);
  CHECK(std::abs(mean) < 0.01 * bound);
  CHECK(mean_sq == Approx(bound * bound / 3).epsilon(0.02));  // variance of U(-b, b)
  for (const std::size_t n : bins) CHECK(double(n) / double(w.size()) == Approx(0.1).margin(0.005));

  for (const double v : b) CHECK(std::abs(v) <= bound);
}

TEST_CASE("Dense: seeded initialisation is reproducible, seeds differ", "[nn][dense][init]") {
  nn::Dense a(20, 10, {.seed = 7});
  nn::Dense b(20, 10, {.seed = 7});
  nn::Dense c(20, 10, {.seed = 8});
  CHECK(a.weight.value() == b.weight.value());
  CHECK(a.bias.value() == b.bias.value());
  CHECK_FALSE(a.weight.value() == c.weight.value());
  CHECK_FALSE(a.bias.value() == c.bias.value());

  // Unseeded layers draw from the default generator: each gets other values,
  // and modyn::manual_seed makes the sequence reproducible.
  modyn::manual_seed(99);
  nn::Dense u1(20, 10);
  nn::Dense u2(20, 10);
  CHECK_FALSE(u1.weight.value() == u2.weight.value());
  modyn::manual_seed(99);
  nn::Dense v1(20, 10);
  CHECK(v1.weight.value() == u1.weight.value());
  CHECK(v1.bias.value() == u1.bias.value());
}

TEST_CASE("Dense: xavier_uniform and zeros initialisation", "[nn][dense][init]") {
  SECTION("xavier_uniform: U(+-sqrt(6 / (in + out)))") {
    const std::size_t in = 60, out = 40;
    nn::Dense d(in, out, {.kind = modyn::init::Kind::xavier_uniform, .seed = 1});
    const double bound = std::sqrt(6.0 / double(in + out));
    double max_abs = 0;
    for (const double v : ref::values(d.weight.value())) max_abs = std::max(max_abs, std::abs(v));
    CHECK(max_abs <= bound);
    CHECK(max_abs > 0.95 * bound);
    // Larger than the default bound 1/sqrt(60) ~ 0.129: the kind is honoured.
    CHECK(max_abs > 1.0 / std::sqrt(double(in)));
  }
  SECTION("zeros") {
    nn::Dense d(6, 4, {.kind = modyn::init::Kind::zeros, .scale = 1.0, .seed = std::nullopt});
    CHECK(d.weight.value() == Tensor<float>::zeros({6, 4}));
    CHECK(d.bias.value() == Tensor<float>::zeros({4}));
    CHECK(d(Rng(1).normal<float>({3, 6})) == Tensor<float>::zeros({3, 4}));
  }
}

TEST_CASE("Dense: an input of the wrong size throws shape_error naming both shapes", "[nn][dense][error]") {
  nn::Dense d(5, 3, {.seed = 1});
  d.set_name("encoder");
  const auto x = Tensor<float>::zeros({4, 6});
  CHECK_THROWS_AS(d(x), modyn::shape_error);
  const std::string message = ref::message_of<modyn::shape_error>([&] { d(x); });
  CHECK_THAT(message, Contains("(..., 5)") && Contains("(4, 6)") && Contains("encoder"));

  CHECK_THROWS_AS(d(Tensor<float>::zeros({5, 4})), modyn::shape_error);  // the first axis does not count
  CHECK_THROWS_AS(d(Tensor<float>::zeros({3})), modyn::shape_error);
  CHECK_THROWS_AS(d(Tensor<float>::zeros(Shape{})), modyn::shape_error);  // a scalar
}

TEST_CASE("Dense::forward_fused(x, relu) is relu(x W + b)", "[nn][dense]") {
  nn::Dense d(8, 6, {.seed = 2});
  const auto x = Rng(3).normal<float>({5, 8});
  auto expected = dense_reference(d, x);
  for (double& v : expected) v = ref::relu(v);
  const auto& y = d.forward_fused(x, modyn::relu);
  CHECK(ref::shape_of(y) == std::vector<std::size_t>{5, 6});
  CHECK(ref::max_error(y, expected) < 1e-5);
  // Some pre-activations are negative, so relu did something.
  CHECK(std::count(y.data(), y.data() + y.size(), 0.0f) > 0);

  auto tanh_expected = dense_reference(d, x);
  for (double& v : tanh_expected) v = std::tanh(v);
  CHECK(ref::max_error(d.forward_fused(x, modyn::fn::tanh), tanh_expected) < 1e-5);
}

TEST_CASE("Dense: named_parameters", "[nn][dense]") {
  nn::Dense d(4, 3);
  CHECK(ref::paths_of(d.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  CHECK(d.named_states().empty());
  CHECK(d.num_parameters() == 4 * 3 + 3);
}

TEST_CASE("Dense: fed its own output (the same layer applied twice) gives x W W + b W + b", "[nn][dense]") {
  // W = [[1, 2], [3, 4]], b = [0.5, -1]; by hand:
  //   x  = [1, -1]:     y1 = x W + b  = [1 - 3 + 0.5, 2 - 4 - 1]   = [-1.5, -3]
  //   y1 = [-1.5, -3]:  y2 = y1 W + b = [-1.5 - 9 + 0.5, -3 - 12 - 1] = [-10, -16]
  nn::Dense d(2, 2, {.kind = modyn::init::Kind::zeros, .scale = 1.0, .seed = std::nullopt});
  d.weight = Tensor<float>{{1, 2}, {3, 4}};
  d.bias = Tensor<float>{0.5f, -1};
  const Tensor<float> x{{1, -1}};

  SECTION("d(d(x))") {
    const auto& y2 = d(d(x));
    CHECK(y2 == Tensor<float>{{-10, -16}});
  }
  SECTION("x >> d >> d") {
    const auto& y2 = x >> d >> d;
    CHECK(y2 == Tensor<float>{{-10, -16}});
  }
  SECTION("forward_fused on its own output: relu(y1 W + b)") {
    const auto& y1 = d(x);
    CHECK(y1 == Tensor<float>{{-1.5f, -3}});
    CHECK(d.forward_fused(y1, modyn::relu) == Tensor<float>{{0, 0}});
    // relu(y1) = [0, 0], so the next step is b alone.
    CHECK(d(d.forward_fused(x, modyn::relu)) == Tensor<float>{{0.5f, -1}});
  }
  SECTION("a row of its own (2, 2) output, whose shape changes the buffer") {
    const auto& y = d(Tensor<float>{{1, -1}, {0, 1}});  // [[-1.5, -3], [3.5, 3]]
    REQUIRE(y == Tensor<float>{{-1.5f, -3}, {3.5f, 3}});
    // [3.5, 3] W + b = [3.5 + 9 + 0.5, 7 + 12 - 1]
    CHECK(d(y[1]) == Tensor<float>{13, 18});
  }
  SECTION("repeated calls on its own output reuse the layer's buffers") {
    const float* out = d(x).data();
    for (int i = 0; i < 3; ++i) CHECK(d(d(x)).data() == out);
  }
}
