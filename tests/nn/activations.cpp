// modyn's elementwise functions (relu, silu, gelu, sigmoid, tanh, identity,
// exp, log, sqrt, abs) against the std:: formulas, on 37 elements (SIMD
// vectors and a scalar tail).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using modyn::Tensor;

namespace {

constexpr std::size_t count = 37;

// 37 values from -6 to 6, with 0 and values near 0 among them.
Tensor<float> inputs() {
  std::vector<float> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = -6.0f + 12.0f * float(i) / float(count - 1);
  v[5] = 0.0f;
  v[6] = -1e-3f;
  v[7] = 1e-3f;
  return Tensor<float>({count}, std::span<const float>(v));
}

Tensor<float> positive_inputs() {
  std::vector<float> v(count);
  for (std::size_t i = 0; i < count; ++i) v[i] = 0.01f + 3.0f * float(i);
  return Tensor<float>({count}, std::span<const float>(v));
}

// |got - want| <= 1e-6 + 2e-6 |want| elementwise.
template <class F>
void check_against(const Tensor<float>& got, const Tensor<float>& x, F formula) {
  REQUIRE(got.size() == x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double want = formula(double(x.data()[i]));
    INFO("x = " << x.data()[i] << ", got " << got.data()[i] << ", want " << want);
    CHECK(std::abs(double(got.data()[i]) - want) <= 1e-6 + 2e-6 * std::abs(want));
  }
}

}  // namespace

TEST_CASE("elementwise functions match the std:: formulas on 37 elements", "[nn][elementwise]") {
  const auto x = inputs();
  check_against(modyn::relu(x), x, [](double v) { return v > 0 ? v : 0.0; });
  check_against(modyn::silu(x), x, [](double v) { return v / (1 + std::exp(-v)); });
  check_against(modyn::gelu(x), x, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); });
  check_against(modyn::sigmoid(x), x, [](double v) { return 1 / (1 + std::exp(-v)); });
  check_against(modyn::tanh(x), x, [](double v) { return std::tanh(v); });
  check_against(modyn::identity(x), x, [](double v) { return v; });
  check_against(modyn::exp(x), x, [](double v) { return std::exp(v); });
  check_against(modyn::abs(x), x, [](double v) { return std::abs(v); });
  const auto p = positive_inputs();
  check_against(modyn::log(p), p, [](double v) { return std::log(v); });
  check_against(modyn::sqrt(p), p, [](double v) { return std::sqrt(v); });
}

TEST_CASE("elementwise functions: exact values, shapes and names", "[nn][elementwise]") {
  const auto x = inputs();
  CHECK(modyn::identity(x) == x);
  const auto r = modyn::relu(x);
  for (std::size_t i = 0; i < count; ++i) CHECK(r.data()[i] == (x.data()[i] > 0 ? x.data()[i] : 0.0f));
  CHECK(modyn::gelu(Tensor<float>{0.0f})(0) == 0.0f);
  CHECK(modyn::sigmoid(Tensor<float>{0.0f})(0) == 0.5f);
  // Shapes are kept.
  const auto m = modyn::tanh(modyn::Rng(1).normal<float>({2, 3, 7}));
  CHECK(ref::shape_of(m) == std::vector<std::size_t>{2, 3, 7});
  CHECK(std::string(modyn::relu.name) == "relu");
  CHECK(std::string(modyn::gelu.name) == "gelu");
  CHECK(std::string(modyn::silu.name) == "silu");
  CHECK(std::string(modyn::identity.name) == "identity");
}

TEST_CASE("elementwise functions: apply_into in place and on views", "[nn][elementwise]") {
  auto x = inputs();
  const auto expected = modyn::silu(x);
  modyn::Elementwise<modyn::silu_kernel>::apply_into(x, x);
  CHECK(x == expected);

  const auto seq = modyn::Rng(2).normal<float>({3, 37});
  const auto row = modyn::tanh(seq[2]);
  check_against(row, Tensor<float>(seq[2]), [](double v) { return std::tanh(v); });
}
