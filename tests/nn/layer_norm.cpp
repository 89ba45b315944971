// nn::LayerNorm over the last axis against a naive reference: mean, biased
// variance, eps, then weight and bias.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::Rng;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

std::vector<double> layer_norm_reference(const Tensor<float>& x, const std::vector<double>& w,
                                         const std::vector<double>& b, double eps) {
  const std::size_t n = w.size();
  const auto v = ref::values(x);
  std::vector<double> out(v.size());
  for (std::size_t offset = 0; offset < v.size(); offset += n) {
    double mean = 0;
    for (std::size_t j = 0; j < n; ++j) mean += v[offset + j];
    mean /= double(n);
    double var = 0;
    for (std::size_t j = 0; j < n; ++j) var += (v[offset + j] - mean) * (v[offset + j] - mean);
    var /= double(n);  // biased, as PyTorch
    for (std::size_t j = 0; j < n; ++j)
      out[offset + j] = (v[offset + j] - mean) / std::sqrt(var + eps) * w[j] + b[j];
  }
  return out;
}

}  // namespace

TEST_CASE("LayerNorm: defaults are weight 1, bias 0, eps 1e-5", "[nn][layer_norm]") {
  nn::LayerNorm ln(6);
  CHECK(ln.weight.value() == Tensor<float>::ones({6}));
  CHECK(ln.bias.value() == Tensor<float>::zeros({6}));
  CHECK(ln.eps == 1e-5);
  CHECK(ref::paths_of(ln.named_parameters()) == std::vector<std::string>{"weight", "bias"});
  const auto x = Rng(1).normal<float>({4, 6}, 3.0f, 2.0f);
  CHECK(ref::max_error(ln(x), layer_norm_reference(x, std::vector<double>(6, 1.0),
                                                   std::vector<double>(6, 0.0), 1e-5)) < 1e-5);
}

TEST_CASE("LayerNorm: matches the naive reference with a non-trivial weight and bias", "[nn][layer_norm]") {
  const std::size_t n = 6;
  nn::LayerNorm ln(n);
  Rng rng(2);
  ln.weight = rng.normal<float>({n});
  ln.bias = rng.normal<float>({n});
  const auto w = ref::values(ln.weight.value());
  const auto b = ref::values(ln.bias.value());

  SECTION("(batch, features)") {
    const auto x = rng.normal<float>({5, n}, 1.0f, 4.0f);
    const auto& y = ln(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{5, n});
    CHECK(ref::max_error(y, layer_norm_reference(x, w, b, 1e-5)) < 1e-5);
  }
  SECTION("(time, batch, features)") {
    const auto x = rng.normal<float>({3, 4, n}, -2.0f, 0.5f);
    const auto& y = ln(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{3, 4, n});
    CHECK(ref::max_error(y, layer_norm_reference(x, w, b, 1e-5)) < 1e-5);
  }
  SECTION("(features,)") {
    const auto x = rng.normal<float>({n});
    const auto& y = ln(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{n});
    CHECK(ref::max_error(y, layer_norm_reference(x, w, b, 1e-5)) < 1e-5);
  }
  SECTION("features not a multiple of the SIMD width, more rows") {
    nn::LayerNorm odd(37, 1e-3);
    odd.weight = rng.normal<float>({37});
    odd.bias = rng.normal<float>({37});
    const auto x = rng.normal<float>({9, 37});
    CHECK(ref::max_error(odd(x), layer_norm_reference(x, ref::values(odd.weight.value()),
                                                      ref::values(odd.bias.value()), 1e-3)) < 1e-5);
  }
}

TEST_CASE("LayerNorm: eps matters for rows of small variance, a constant row gives the bias",
          "[nn][layer_norm]") {
  nn::LayerNorm ln(4, 0.01);
  ln.bias = Tensor<float>{1, 2, 3, 4};
  // Variance 0.0001 (values +-0.01): with eps 0.01 the output is small.
  const Tensor<float> x{{0.99f, 1.01f, 0.99f, 1.01f}, {5, 5, 5, 5}};
  const auto expected = layer_norm_reference(x, std::vector<double>(4, 1.0), {1, 2, 3, 4}, 0.01);
  const auto& y = ln(x);
  CHECK(ref::max_error(y, expected) < 1e-5);
  CHECK(std::abs(double(y(0, 0)) - 1.0) < 0.2);  // (-0.01 / sqrt(0.0101)) + 1 ~ 0.9
  for (std::size_t j = 0; j < 4; ++j) CHECK(y(1, j) == float(j + 1));
}

TEST_CASE("LayerNorm: an input of the wrong feature size throws shape_error", "[nn][layer_norm][error]") {
  nn::LayerNorm ln(6);
  CHECK_THROWS_AS(ln(Tensor<float>::zeros({4, 5})), modyn::shape_error);
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               ln(Tensor<float>::zeros({4, 5}));
             }),
             Contains("(..., 6)") && Contains("(4, 5)"));
  CHECK_THROWS_AS(ln(Tensor<float>::zeros({6, 4})), modyn::shape_error);
  CHECK_THROWS_AS(ln(Tensor<float>::zeros(modyn::Shape{})), modyn::shape_error);
}

TEST_CASE("LayerNorm: fed its own output (applied twice, or to a row of its output)", "[nn][layer_norm]") {
  nn::LayerNorm ln(3);
  ln.weight = Tensor<float>{1, 2, 0.5f};
  ln.bias = Tensor<float>{0, 1, -1};
  const std::vector<double> w{1, 2, 0.5}, b{0, 1, -1};
  const Tensor<float> x{{1, 2, 4}, {-3, 0, 5}};
  const Tensor<float> once(ln(x));
  const auto twice = layer_norm_reference(once, w, b, 1e-5);
  REQUIRE(ref::max_error(once, layer_norm_reference(x, w, b, 1e-5)) < 1e-5);

  SECTION("ln(ln(x))") { CHECK(ref::max_error(ln(ln(x)), twice) < 1e-5); }
  SECTION("a row of its own output, whose shape changes the buffer") {
    const auto& y = ln(x);
    const std::vector<double> second_row(twice.begin() + 3, twice.end());
    CHECK(ref::max_error(ln(y[1]), second_row) < 1e-5);
  }
}
