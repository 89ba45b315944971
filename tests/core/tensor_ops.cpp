// Whole-tensor arithmetic, math functions, reductions, matmul and allclose,
// checked element by element against std:: functions and naive loops.
//
// Sizes like 37 make every elementwise kernel run on full SIMD vectors and on
// a scalar tail. Elements are read through data() and at(), never operator()
// (see tensor.cpp).
#include "modyn/core/tensor_ops.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "modyn/nn/activations.hpp"
#include "support/helpers.hpp"

using Catch::Matchers::Contains;
using modyn::Shape;
using modyn::Tensor;

namespace {

using modyn_test::message_of;

// n values evenly spaced over [lo, hi].
template <class T>
std::vector<T> linspace(T lo, T hi, std::size_t n) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * T(i) / T(n - 1);
  return v;
}

template <class T>
std::vector<T> uniform(std::size_t n, T lo, T hi, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<T> dist(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = dist(gen);
  return v;
}

template <class T>
Tensor<T> tensor(const std::vector<T>& v) {
  return Tensor<T>({v.size()}, v);
}

// Every element of got equals op(a[i], b[i]), exactly.
template <class T, class Op>
void check_each(const Tensor<T>& got, const std::vector<T>& a, const std::vector<T>& b, Op op) {
  REQUIRE(got.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << " of " << a.size());
    CHECK(got.data()[i] == op(a[i], b[i]));
  }
}

// Every element of got equals f(a[i]), exactly.
template <class T, class F>
void check_each(const Tensor<T>& got, const std::vector<T>& a, F f) {
  REQUIRE(got.size() == a.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("element " << i << " of " << a.size());
    CHECK(got.data()[i] == f(a[i]));
  }
}

// Every element of got matches reference(input) within a relative tolerance;
// NaN matches NaN and infinities match themselves.
template <class T, class F>
void check_close(const Tensor<T>& got, const std::vector<T>& input, double rel, F reference) {
  REQUIRE(got.size() == input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    const T want = reference(input[i]);
    const T have = got.data()[i];
    INFO("element " << i << ": f(" << input[i] << ") = " << have << ", expected " << want);
    if (std::isnan(want)) {
      CHECK(std::isnan(have));
    } else if (std::isinf(want)) {
      CHECK(have == want);
    } else {
      CHECK(have == Approx(want).epsilon(rel).margin(std::numeric_limits<T>::min()));
    }
  }
}

template <class T>
std::vector<T> naive_matmul(const std::vector<T>& a, const std::vector<T>& b, std::size_t m, std::size_t k,
                            std::size_t n) {
  std::vector<T> c(m * n);
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      long double acc = 0;
      for (std::size_t p = 0; p < k; ++p) acc += static_cast<long double>(a[i * k + p]) * b[p * n + j];
      c[i * n + j] = T(acc);
    }
  return c;
}

}  // namespace

TEST_CASE("tensor-tensor arithmetic is elementwise", "[ops]") {
  const auto a = linspace<float>(-9.0f, 9.5f, 37);
  auto b = linspace<float>(0.5f, 20.0f, 37);
  std::reverse(b.begin(), b.end());
  const auto x = tensor(a), y = tensor(b);

  check_each(x + y, a, b, std::plus<>{});
  check_each(x - y, a, b, std::minus<>{});
  check_each(x * y, a, b, std::multiplies<>{});
  check_each(x / y, a, b, std::divides<>{});
  check_each(-x, a, [](float p) { return -p; });
  CHECK((x + y).shape() == Shape{37});

  // Hand-computed, on a matrix.
  const Tensor<float> m{{1, 2}, {3, 4}};
  const Tensor<float> n{{10, 20}, {30, 40}};
  CHECK(m + n == Tensor<float>{{11, 22}, {33, 44}});
  CHECK(m - n == Tensor<float>{{-9, -18}, {-27, -36}});
  CHECK(m * n == Tensor<float>{{10, 40}, {90, 160}});
  CHECK(n / m == Tensor<float>{{10, 10}, {10, 10}});
  CHECK(-m == Tensor<float>{{-1, -2}, {-3, -4}});
}

TEST_CASE("tensor-scalar and scalar-tensor arithmetic", "[ops]") {
  const auto a = linspace<float>(0.25f, 37.0f, 37);
  const auto x = tensor(a);
  check_each(x + 1.5f, a, [](float p) { return p + 1.5f; });
  check_each(x - 1.5f, a, [](float p) { return p - 1.5f; });
  check_each(x * 3.0f, a, [](float p) { return p * 3.0f; });
  check_each(x / 3.0f, a, [](float p) { return p / 3.0f; });
  check_each(1.5f + x, a, [](float p) { return 1.5f + p; });
  check_each(1.5f - x, a, [](float p) { return 1.5f - p; });
  check_each(3.0f * x, a, [](float p) { return 3.0f * p; });
  check_each(3.0f / x, a, [](float p) { return 3.0f / p; });

  const Tensor<float> m{{1, 2}, {4, 8}};
  CHECK(m - 1.0f == Tensor<float>{{0, 1}, {3, 7}});
  CHECK(1.0f - m == Tensor<float>{{0, -1}, {-3, -7}});
  CHECK(m / 2.0f == Tensor<float>{{0.5f, 1}, {2, 4}});
  CHECK(2.0f / m == Tensor<float>{{2, 1}, {0.5f, 0.25f}});
}

TEST_CASE("compound assignment with a tensor and a scalar", "[ops]") {
  const auto a = linspace<float>(1.0f, 10.0f, 37);
  const auto b = linspace<float>(-3.0f, 5.0f, 37);
  const auto y = tensor(b);

  auto x = tensor(a);
  CHECK(&(x += y) == &x);
  check_each(x, a, b, std::plus<>{});

  x = tensor(a);
  x -= y;
  check_each(x, a, b, std::minus<>{});
  x = tensor(a);
  x *= y;
  check_each(x, a, b, std::multiplies<>{});
  x = tensor(a);
  x /= y;
  check_each(x, a, b, std::divides<>{});

  x = tensor(a);
  CHECK(&(x += 2.0f) == &x);
  check_each(x, a, [](float p) { return p + 2.0f; });
  x = tensor(a);
  x -= 2.0f;
  check_each(x, a, [](float p) { return p - 2.0f; });
  x = tensor(a);
  x *= -0.5f;
  check_each(x, a, [](float p) { return p * -0.5f; });
  x = tensor(a);
  x /= 4.0f;
  check_each(x, a, [](float p) { return p / 4.0f; });

  CHECK(y == tensor(b));  // the right-hand side is untouched
}

TEST_CASE("compound assignment on a view updates only its slice", "[ops][view]") {
  auto x = modyn::zeros<float>({3, 2, 5});
  x[1] += 1.0f;
  CHECK(x[0] == modyn::zeros<float>({2, 5}));
  CHECK(x[1] == modyn::ones<float>({2, 5}));
  CHECK(x[2] == modyn::zeros<float>({2, 5}));

  x[2] -= 3.0f;
  x[2] *= 2.0f;
  x[2] /= 4.0f;
  CHECK(x[2] == modyn::full<float>({2, 5}, -1.5f));

  // View and tensor operands.
  const Tensor<float> step{{1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}};
  x[0] += step;
  CHECK(x[0] == step);
  x[0] *= x[1];
  CHECK(x[0] == step);
  x[0] -= x[2];
  CHECK(x[0] == step + 1.5f);
  x[0] /= step + 1.5f;
  CHECK(x[0] == modyn::ones<float>({2, 5}));
  CHECK(x[1] == modyn::ones<float>({2, 5}));

  // A row inside a step; a named view behaves the same.
  x[1][0] *= 10.0f;
  auto row = x[1][1];
  row += 0.5f;
  CHECK(x[1] == Tensor<float>{{10, 10, 10, 10, 10}, {1.5f, 1.5f, 1.5f, 1.5f, 1.5f}});

  // A tensor updated with a view.
  auto t = modyn::ones<float>({2, 5});
  t += x[1];
  CHECK(t == Tensor<float>{{11, 11, 11, 11, 11}, {2.5f, 2.5f, 2.5f, 2.5f, 2.5f}});

  // Arithmetic on views returns new tensors.
  const auto sum = x[1] + x[2];
  static_assert(std::is_same_v<std::remove_const_t<decltype(sum)>, Tensor<float>>);
  CHECK(sum == Tensor<float>{{8.5f, 8.5f, 8.5f, 8.5f, 8.5f}, {0, 0, 0, 0, 0}});
  const auto& cx = x;
  CHECK(cx[1][0] * 2.0f == modyn::full<float>({5}, 20.0f));
}

TEST_CASE("elementwise operations on different shapes throw shape_error naming both", "[ops]") {
  auto a = modyn::ones<float>({2, 3});
  const auto b = modyn::ones<float>({3, 2});
  const auto c = modyn::ones<float>({6});
  CHECK_THAT(message_of<modyn::shape_error>([&] { (void)(a + b); }),
             Contains("(2, 3)") && Contains("(3, 2)"));
  CHECK_THAT(message_of<modyn::shape_error>([&] { (void)(a - c); }), Contains("(2, 3)") && Contains("(6,)"));
  CHECK_THROWS_AS(a * b, modyn::shape_error);
  CHECK_THROWS_AS(a / b, modyn::shape_error);
  CHECK_THROWS_WITH(a += b, Contains("(2, 3)") && Contains("(3, 2)"));
  CHECK_THROWS_AS(a -= c, modyn::shape_error);
  CHECK_THROWS_AS(a *= b, modyn::shape_error);
  CHECK_THROWS_AS(a /= b, modyn::shape_error);
  CHECK_THROWS_AS(a[0] += b[0], modyn::shape_error);
  CHECK(a == modyn::ones<float>({2, 3}));  // failed updates change nothing
}

TEST_CASE("a trailing part of a shape broadcasts over the leading axes", "[ops][broadcast]") {
  const auto m = linspace<float>(-3.0f, 8.0f, 4 * 2 * 37);
  const auto r = linspace<float>(0.5f, 5.0f, 37);
  const Tensor<float> x({4, 2, 37}, m), row({37}, r);

  // Every element of x op row against the row element of its last index.
  const auto check = [&](const Tensor<float>& got, auto op) {
    REQUIRE(got.shape() == Shape{4, 2, 37});
    for (std::size_t i = 0; i < m.size(); ++i) {
      INFO("element " << i);
      CHECK(got.data()[i] == op(m[i], r[i % 37]));
    }
  };
  check(x + row, std::plus<>{});
  check(x * row, std::multiplies<>{});
  check(x - row, std::minus<>{});
  check(row - x, [](float a, float b) { return b - a; });  // the row on the left
  check(row / x, [](float a, float b) { return b / a; });

  const Tensor<float> step({2, 37}, std::vector<float>(m.begin(), m.begin() + 74));
  const auto sum = x + step;
  for (std::size_t i = 0; i < m.size(); ++i) {
    INFO("element " << i);
    CHECK(sum.data()[i] == m[i] + m[i % 74]);
  }

  // In place, the tensor must be the larger one.
  auto y = x;
  y += row;
  check(y, std::plus<>{});
  y = x;
  y[1] *= row;
  CHECK(y[0] == x[0]);
  CHECK(Tensor<float>(y[1]) == x[1] * row);

  // Hand-computed: a bias row added to a batch.
  CHECK(Tensor<float>{{1, 2}, {3, 4}} + Tensor<float>{10, 20} == Tensor<float>{{11, 22}, {13, 24}});
  CHECK(Tensor<float>{10, 20} - Tensor<float>{{1, 2}, {3, 4}} == Tensor<float>{{9, 18}, {7, 16}});

  // A leading axis is no trailing part.
  CHECK_THROWS_WITH(x + modyn::ones<float>({4, 2}), Contains("(4, 2, 37)") && Contains("(4, 2)"));
  auto small = modyn::ones<float>({37});
  CHECK_THROWS_WITH(small += x, Contains("(37,)") && Contains("(4, 2, 37)"));
  CHECK(small == modyn::ones<float>({37}));
}

TEST_CASE("exp, log, sqrt, abs, tanh, sigmoid and relu match std:: (float)", "[ops][math]") {
  constexpr double rel = 1e-6;
  const auto wide = linspace<float>(-20.0f, 20.0f, 37);
  const auto positive = linspace<float>(0.01f, 250.0f, 37);
  const auto x = tensor(wide), p = tensor(positive);

  check_close(modyn::exp(x), wide, rel, [](float v) { return std::exp(v); });
  check_close(modyn::log(p), positive, rel, [](float v) { return std::log(v); });
  check_close(modyn::sqrt(p), positive, rel, [](float v) { return std::sqrt(v); });
  check_close(modyn::abs(x), wide, 0.0, [](float v) { return std::abs(v); });
  check_close(modyn::tanh(x), wide, rel, [](float v) { return std::tanh(v); });
  check_close(modyn::sigmoid(x), wide, rel, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
  check_close(modyn::relu(x), wide, 0.0, [](float v) { return std::max(v, 0.0f); });

  // Small arguments, where tanh and log need care.
  const auto small = linspace<float>(-0.05f, 0.05f, 37);
  check_close(modyn::tanh(tensor(small)), small, rel, [](float v) { return std::tanh(v); });
  const auto near_one = linspace<float>(0.95f, 1.05f, 37);
  check_close(modyn::log(tensor(near_one)), near_one, rel, [](float v) { return std::log(v); });

  // Random arguments.
  const auto r = uniform<float>(37, -8.0f, 8.0f, 7);
  check_close(modyn::exp(tensor(r)), r, rel, [](float v) { return std::exp(v); });
  check_close(modyn::tanh(tensor(r)), r, rel, [](float v) { return std::tanh(v); });
  check_close(modyn::sigmoid(tensor(r)), r, rel, [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

TEST_CASE("math functions on special values match std:: in vectors and in the tail", "[ops][math]") {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> specials{0.0f, -0.0f, inf, -inf, nan, 100.0f, -110.0f, 1.0f};
  // 37 elements: the specials at the start (vector path) and at the end (tail).
  std::vector<float> v(37, 0.5f);
  std::copy(specials.begin(), specials.end(), v.begin());
  std::copy(specials.begin(), specials.end(), v.end() - std::ptrdiff_t(specials.size()));
  const auto x = tensor(v);

  check_close(modyn::exp(x), v, 1e-6, [](float a) { return std::exp(a); });
  check_close(modyn::log(x), v, 1e-6, [](float a) { return std::log(a); });
  check_close(modyn::sqrt(x), v, 1e-6, [](float a) { return std::sqrt(a); });
  check_close(modyn::abs(x), v, 0.0, [](float a) { return std::abs(a); });
  check_close(modyn::tanh(x), v, 1e-6, [](float a) { return std::tanh(a); });
  check_close(modyn::sigmoid(x), v, 1e-6, [](float a) { return 1.0f / (1.0f + std::exp(-a)); });
}

TEST_CASE("math functions match std:: (double)", "[ops][math]") {
  constexpr double rel = 1e-12;
  const auto wide = linspace<double>(-30.0, 30.0, 37);
  const auto positive = linspace<double>(1e-3, 1e3, 37);
  const auto x = tensor(wide), p = tensor(positive);
  check_close(modyn::exp(x), wide, rel, [](double v) { return std::exp(v); });
  check_close(modyn::log(p), positive, rel, [](double v) { return std::log(v); });
  check_close(modyn::sqrt(p), positive, rel, [](double v) { return std::sqrt(v); });
  check_close(modyn::abs(x), wide, 0.0, [](double v) { return std::abs(v); });
  check_close(modyn::tanh(x), wide, rel, [](double v) { return std::tanh(v); });
  check_close(modyn::sigmoid(x), wide, rel, [](double v) { return 1.0 / (1.0 + std::exp(-v)); });
  check_close(modyn::relu(x), wide, 0.0, [](double v) { return std::max(v, 0.0); });
  check_close(-x, wide, 0.0, [](double v) { return -v; });
}

TEST_CASE("double tensors support the same arithmetic", "[ops]") {
  const auto a = uniform<double>(37, -4.0, 4.0, 11);
  const auto b = uniform<double>(37, 0.5, 2.0, 12);
  const auto x = tensor(a), y = tensor(b);
  check_each(x + y, a, b, std::plus<>{});
  check_each(x - y, a, b, std::minus<>{});
  check_each(x * y, a, b, std::multiplies<>{});
  check_each(x / y, a, b, std::divides<>{});
  check_each(2.0 / y, b, [](double q) { return 2.0 / q; });
  auto z = x;
  z *= 0.25;
  check_each(z, a, [](double q) { return q * 0.25; });
  CHECK(modyn::sum(x) == Approx(std::accumulate(a.begin(), a.end(), 0.0)).epsilon(1e-12));
  CHECK(modyn::max(x) == *std::max_element(a.begin(), a.end()));
}

TEST_CASE("sum matches std::accumulate", "[ops][reduce]") {
  // Multiples of 1/4 sum exactly in any order.
  for (const std::size_t n : {0, 1, 5, 16, 37, 63, 64, 65, 1037}) {
    INFO("n = " << n);
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = float(i % 19) * 0.25f - 2.0f;
    CHECK(modyn::sum(tensor(v)) == std::accumulate(v.begin(), v.end(), 0.0f));
  }

  const auto r = uniform<float>(1037, -1.0f, 1.0f, 3);
  const double want = std::accumulate(r.begin(), r.end(), 0.0);
  CHECK(modyn::sum(tensor(r)) == Approx(want).margin(1e-4));

  std::vector<int> ints(200);
  std::iota(ints.begin(), ints.end(), -50);
  CHECK(modyn::sum(Tensor<int>({10, 20}, ints)) == std::accumulate(ints.begin(), ints.end(), 0));

  const Tensor<float> m{{1, 2, 3}, {4, 5, 6}};
  CHECK(modyn::sum(m) == 21.0f);
  CHECK(modyn::sum(m[1]) == 15.0f);
}

TEST_CASE("max matches std::max_element wherever the largest element is", "[ops][reduce]") {
  for (const std::size_t n : {1, 5, 37, 64, 100, 1037}) {
    // All negative, so a wrong identity (0) would show.
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = -100.0f - float((i * 7) % 13);
    for (const std::size_t at : {std::size_t{0}, n / 2, n - 1}) {
      INFO("n = " << n << ", largest at " << at);
      auto w = v;
      w[at] = -1.5f;
      const float got = modyn::max(tensor(w));
      CHECK(got == *std::max_element(w.begin(), w.end()));
      CHECK(got == -1.5f);
    }
  }
  const auto r = uniform<double>(100, -1e6, 1e6, 5);
  CHECK(modyn::max(tensor(r)) == *std::max_element(r.begin(), r.end()));
  CHECK(modyn::max(Tensor<int>{{3, -8}, {12, 0}}) == 12);
}

TEST_CASE("max of an empty tensor throws shape_error", "[ops][reduce]") {
  CHECK_THROWS_AS(modyn::max(Tensor<float>()), modyn::shape_error);
  CHECK_THROWS_WITH(modyn::max(modyn::zeros<float>({2, 0})), Contains("(2, 0)"));
  CHECK(modyn::sum(Tensor<float>()) == 0.0f);
}

TEST_CASE("matmul matches a naive triple loop", "[ops][matmul]") {
  struct Case {
    std::size_t m, k, n;
  };
  // Row vectors, column vectors, sizes below, at and past the SIMD width.
  for (const Case c : {Case{1, 37, 5}, Case{1, 1, 1}, Case{3, 1, 4}, Case{4, 3, 1}, Case{16, 16, 16},
                       Case{17, 33, 19}, Case{5, 64, 3}, Case{31, 7, 45}}) {
    INFO("(" << c.m << ", " << c.k << ") x (" << c.k << ", " << c.n << ")");
    const auto a = uniform<float>(c.m * c.k, -1.0f, 1.0f, unsigned(c.m * 100 + c.k));
    const auto b = uniform<float>(c.k * c.n, -1.0f, 1.0f, unsigned(c.k * 100 + c.n));
    const auto got = modyn::matmul(Tensor<float>({c.m, c.k}, a), Tensor<float>({c.k, c.n}, b));
    REQUIRE(got.shape() == Shape{c.m, c.n});
    const auto want = naive_matmul(a, b, c.m, c.k, c.n);
    for (std::size_t i = 0; i < want.size(); ++i) {
      INFO("element " << i);
      CHECK(got.data()[i] == Approx(want[i]).epsilon(1e-5).margin(1e-5));
    }
  }

  // Hand-computed.
  const Tensor<float> a{{1, 2, 3}, {4, 5, 6}};
  const Tensor<float> b{{7, 8}, {9, 10}, {11, 12}};
  CHECK(modyn::matmul(a, b) == Tensor<float>{{58, 64}, {139, 154}});
  CHECK(modyn::matmul(b, a) == Tensor<float>{{39, 54, 69}, {49, 68, 87}, {59, 82, 105}});
}

TEST_CASE("matmul of doubles and of views", "[ops][matmul]") {
  const std::size_t m = 9, k = 21, n = 18;
  const auto a = uniform<double>(m * k, -1.0, 1.0, 21);
  const auto b = uniform<double>(k * n, -1.0, 1.0, 22);
  const auto got = modyn::matmul(Tensor<double>({m, k}, a), Tensor<double>({k, n}, b));
  const auto want = naive_matmul(a, b, m, k, n);
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(got.data()[i] == Approx(want[i]).epsilon(1e-12).margin(1e-12));
  }

  // x[t] of a (T, B, N) sequence times a (N, H) weight.
  Tensor<float> x({2, 2, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1});
  const Tensor<float> w{{1, 2}, {3, 4}, {5, 6}};
  CHECK(modyn::matmul(x[0], w) == Tensor<float>{{1, 2}, {3, 4}});
  CHECK(modyn::matmul(x[1], w) == Tensor<float>{{5, 6}, {9, 12}});
}

TEST_CASE("matmul with an empty inner or outer extent", "[ops][matmul]") {
  // k = 0: a sum of nothing, all zeros.
  const auto z = modyn::matmul(modyn::ones<float>({5, 0}), modyn::ones<float>({0, 3}));
  CHECK(z == modyn::zeros<float>({5, 3}));
  CHECK(modyn::matmul(modyn::ones<float>({0, 4}), modyn::ones<float>({4, 3})).shape() == Shape{0, 3});
}

TEST_CASE("matmul of mismatched shapes throws shape_error naming both", "[ops][matmul]") {
  const auto a = modyn::ones<float>({2, 3});
  const auto b = modyn::ones<float>({4, 5});
  CHECK_THAT(message_of<modyn::shape_error>([&] { (void)modyn::matmul(a, b); }),
             Contains("(2, 3)") && Contains("(4, 5)"));
  CHECK_THROWS_WITH(modyn::matmul(modyn::ones<float>({3}), modyn::ones<float>({3, 2})),
                    Contains("(3,)") && Contains("(3, 2)"));
  CHECK_THROWS_AS(modyn::matmul(a, modyn::ones<float>({3, 2, 1})), modyn::shape_error);
  CHECK_THROWS_AS(modyn::matmul(a, a), modyn::shape_error);
}

TEST_CASE("allclose follows numpy: |a - b| <= atol + rtol * |b|", "[ops][allclose]") {
  const Tensor<float> one{1.0f, 2.0f};
  CHECK(modyn::allclose(one, one));
  CHECK(modyn::allclose(Tensor<double>{1.0}, Tensor<double>{1.0 + 9e-6}));  // rtol = 1e-5
  CHECK_FALSE(modyn::allclose(Tensor<double>{1.0}, Tensor<double>{1.0 + 2e-5}));
  CHECK(modyn::allclose(Tensor<double>{0.0}, Tensor<double>{9e-9}));  // atol = 1e-8
  CHECK_FALSE(modyn::allclose(Tensor<double>{0.0}, Tensor<double>{1e-7}));

  // Explicit tolerances.
  CHECK(modyn::allclose(Tensor<double>{1.0}, Tensor<double>{1.1}, 0.0, 0.11));
  CHECK_FALSE(modyn::allclose(Tensor<double>{1.0}, Tensor<double>{1.1}, 0.0, 0.09));
  CHECK(modyn::allclose(Tensor<double>{100.0}, Tensor<double>{101.0}, 0.011, 0.0));
  CHECK_FALSE(modyn::allclose(Tensor<double>{100.0}, Tensor<double>{101.0}, 0.009, 0.0));

  // The tolerance scales with b, not a, as in numpy.
  CHECK(modyn::allclose(Tensor<double>{10.0}, Tensor<double>{11.0}, 0.095, 0.0));
  CHECK_FALSE(modyn::allclose(Tensor<double>{11.0}, Tensor<double>{10.0}, 0.095, 0.0));

  // One element off is enough, in the vector body or at the end.
  const auto a = linspace<float>(-5.0f, 5.0f, 37);
  for (const std::size_t at : {std::size_t{0}, std::size_t{20}, std::size_t{36}}) {
    auto b = a;
    b[at] += 0.01f;
    CHECK_FALSE(modyn::allclose(tensor(a), tensor(b)));
    CHECK(modyn::allclose(tensor(a), tensor(b), 0.0, 0.011));
  }
  CHECK(modyn::allclose(Tensor<float>(), Tensor<float>()));
}

TEST_CASE("allclose: NaN is never close, equal infinities are", "[ops][allclose]") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  CHECK_FALSE(modyn::allclose(Tensor<float>{nan}, Tensor<float>{nan}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{1.0f, nan}, Tensor<float>{1.0f, 1.0f}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{1.0f}, Tensor<float>{nan}, 1e9, 1e9));
  CHECK(modyn::allclose(Tensor<float>{inf, -inf}, Tensor<float>{inf, -inf}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{inf}, Tensor<float>{-inf}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{inf}, Tensor<float>{1e30f}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{1.0f}, Tensor<float>{inf}));
  CHECK_FALSE(modyn::allclose(Tensor<float>{-inf}, Tensor<float>{1.0f}, 1e9, 1e9));
}

TEST_CASE("allclose of different shapes throws shape_error", "[ops][allclose]") {
  CHECK_THROWS_AS(modyn::allclose(modyn::ones<float>({2, 3}), modyn::ones<float>({3, 2})),
                  modyn::shape_error);
  CHECK_THROWS_WITH(modyn::allclose(modyn::ones<float>({4}), modyn::ones<float>({1, 4})),
                    Contains("(4,)") && Contains("(1, 4)"));
  // Views and tensors mix.
  const Tensor<float> x{{1, 2}, {1, 2}};
  CHECK(modyn::allclose(x[0], x[1]));
  CHECK(modyn::allclose(x[0], Tensor<float>{1, 2}));
}
