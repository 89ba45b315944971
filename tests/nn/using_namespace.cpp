// The README's style, `using namespace modyn;`: tanh, exp, log, sqrt and abs
// of a tensor are modyn's, of a number the C library's, as without modyn
// (an object modyn::tanh beside ::tanh made every call ambiguous); relu and
// sigmoid take tensors and numbers. Each C-library call is compared with the
// same call compiled before the using-directive.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <vector>

#include "modyn/modyn.hpp"

namespace without_modyn {
// Unqualified, as user code writes them; modyn is not visible here.
inline auto tanh_of(float x) { return tanh(x); }
inline auto tanh_of(double x) { return tanh(x); }
inline auto exp_of(float x) { return exp(x); }
inline auto exp_of(double x) { return exp(x); }
inline auto log_of(float x) { return log(x); }
inline auto log_of(double x) { return log(x); }
inline auto sqrt_of(float x) { return sqrt(x); }
inline auto sqrt_of(double x) { return sqrt(x); }
inline auto abs_of(int x) { return abs(x); }
inline auto abs_of(double x) { return std::abs(x); }
}  // namespace without_modyn

using namespace modyn;

TEST_CASE("using namespace modyn: tanh, exp, log, sqrt, abs of tensors are modyn's",
          "[nn][elementwise][readme]") {
  const Tensor<float> x{{0.5f, -2.0f}, {3.0f, -0.25f}};
  const Tensor<float> p{0.25f, 4.0f, 9.0f};
  STATIC_REQUIRE(std::is_same_v<decltype(tanh(x)), Tensor<float>>);
  STATIC_REQUIRE(std::is_same_v<decltype(exp(x[1])), Tensor<float>>);  // a view too
  const auto t = tanh(x);
  CHECK(t.shape() == Shape{2, 2});
  for (std::size_t i = 0; i < x.size(); ++i) {
    CHECK(double(t.data()[i]) == Approx(std::tanh(double(x.data()[i]))).epsilon(1e-6));
    CHECK(double(exp(x).data()[i]) == Approx(std::exp(double(x.data()[i]))).epsilon(1e-6));
    CHECK(abs(x).data()[i] == std::abs(x.data()[i]));
  }
  CHECK(sqrt(p).to_vector() == std::vector<float>{0.5f, 2, 3});
  CHECK(double(log(p).data()[1]) == Approx(std::log(4.0)).epsilon(1e-6));
  const Tensor<double> xd{1.0, -1.0};
  CHECK(tanh(xd).data()[0] == Approx(std::tanh(1.0)));
}

TEST_CASE("using namespace modyn: tanh, exp, log, sqrt, abs of numbers are the C library's",
          "[nn][elementwise][readme]") {
  // Same function (same result type, same value) as without modyn.
  STATIC_REQUIRE(std::is_same_v<decltype(tanh(0.5f)), decltype(without_modyn::tanh_of(0.5f))>);
  STATIC_REQUIRE(std::is_same_v<decltype(tanh(0.5)), double>);
  CHECK(tanh(0.5f) == without_modyn::tanh_of(0.5f));
  CHECK(tanh(0.5) == without_modyn::tanh_of(0.5));
  CHECK(tanh(0.5) == std::tanh(0.5));
  CHECK(exp(1.5f) == without_modyn::exp_of(1.5f));
  CHECK(exp(1.5) == std::exp(1.5));
  CHECK(log(2.0f) == without_modyn::log_of(2.0f));
  CHECK(log(2.0) == without_modyn::log_of(2.0));
  CHECK(sqrt(2.0f) == without_modyn::sqrt_of(2.0f));
  CHECK(sqrt(2.0) == without_modyn::sqrt_of(2.0));
  CHECK(abs(-3) == without_modyn::abs_of(-3));
  CHECK(abs(-3) == 3);
  CHECK(std::abs(-2.5) == without_modyn::abs_of(-2.5));
}

TEST_CASE("using namespace modyn: relu and sigmoid of tensors and of numbers", "[nn][elementwise][readme]") {
  const Tensor<float> x{-1.5f, 0.0f, 2.0f};
  CHECK(relu(x).to_vector() == std::vector<float>{0, 0, 2});
  CHECK(sigmoid(x).data()[1] == 0.5f);
  CHECK(relu(-1.5f) == 0.0f);
  CHECK(relu(2.0) == 2.0);
  STATIC_REQUIRE(std::is_same_v<decltype(relu(2.0)), double>);
  CHECK(sigmoid(0.0f) == 0.5f);
  CHECK(sigmoid(1.0) == Approx(1.0 / (1.0 + std::exp(-1.0))));
  // The objects compose as before: Sequential{d, relu}, and fn::tanh for tanh.
  Sequential model{nn::Dense(3, 2, {.seed = 1}), relu, nn::Dense(2, 2, {.seed = 2}), fn::tanh};
  const auto& y = model(Tensor<float>{{1, 2, 3}});
  CHECK(y.shape() == Shape{1, 2});
}
