// cpu::reduce_sum and cpu::reduce_max against std::accumulate and
// std::max_element, at sizes around the four-accumulator block (4 vectors).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <modyn/backend/cpu.hpp>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

namespace {

using modyn::cpu;

// 4 * 16 floats = 64 and 4 * 8 doubles = 32 are the block sizes of the
// vectorized loop with AVX-512; the sizes fall on, below and above them.
std::size_t any_size() {
  return GENERATE(as<std::size_t>{}, 0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000);
}

// Small integers: every partial sum is exact, so the order of summation does
// not matter and the sum must equal std::accumulate exactly.
template <class T>
std::vector<T> small_integers(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(-50, 50);
  std::vector<T> x(n);
  for (T& v : x) v = T(dist(gen));
  return x;
}

}  // namespace

TEMPLATE_TEST_CASE("cpu::reduce_sum equals std::accumulate", "[backend][cpu][reduce]", float, double, int,
                   std::int64_t) {
  using T = TestType;
  const std::size_t n = any_size();
  const std::vector<T> x = small_integers<T>(n, static_cast<std::uint32_t>(n) + 1);
  INFO("n = " << n);
  CHECK(cpu::reduce_sum(x.data(), n) == std::accumulate(x.begin(), x.end(), T(0)));
  // A prefix reads only its own elements.
  if (n > 0) {
    CHECK(cpu::reduce_sum(x.data(), n - 1) == std::accumulate(x.begin(), x.end() - 1, T(0)));
  }
}

TEMPLATE_TEST_CASE("cpu::reduce_sum of arbitrary reals is accurate", "[backend][cpu][reduce]", float,
                   double) {
  using T = TestType;
  const std::size_t n = any_size();
  std::mt19937 gen(static_cast<std::uint32_t>(n) * 3 + 7);
  std::uniform_real_distribution<double> dist(0.0, 1.0);  // positive: no cancellation
  std::vector<T> x(n);
  for (T& v : x) v = T(dist(gen));
  long double expected = 0;
  for (const T v : x) expected += v;
  const double eps = std::is_same_v<T, float> ? 1e-5 : 1e-13;
  INFO("n = " << n);
  CHECK(static_cast<double>(cpu::reduce_sum(x.data(), n)) ==
        Approx(static_cast<double>(expected)).epsilon(eps).margin(1e-30));
}

TEMPLATE_TEST_CASE("cpu::reduce_max equals std::max_element", "[backend][cpu][reduce]", float, double, int,
                   std::int64_t) {
  using T = TestType;
  const std::size_t n = any_size();
  if (n == 0) return;  // covered below
  // All negative, so that a reduction that starts from 0 would be caught.
  std::vector<T> x = small_integers<T>(n, static_cast<std::uint32_t>(n) + 11);
  for (T& v : x) v = v - T(1000);
  INFO("n = " << n);
  CHECK(cpu::reduce_max(x.data(), n) == *std::max_element(x.begin(), x.end()));

  // The largest element at each end, in the vector body and in the tail.
  for (const std::size_t at : {std::size_t(0), n / 2, n - 1}) {
    std::vector<T> y = x;
    y[at] = T(-3);
    INFO("largest at " << at);
    CHECK(cpu::reduce_max(y.data(), n) == T(-3));
  }
}

TEMPLATE_TEST_CASE("cpu::reduce of nothing", "[backend][cpu][reduce]", float, double) {
  using T = TestType;
  const T* none = nullptr;
  CHECK(cpu::reduce_sum(none, 0) == T(0));
  const T empty_max = cpu::reduce_max(none, 0);
  CHECK(std::isinf(empty_max));
  CHECK(empty_max < T(0));
  CHECK(empty_max == -std::numeric_limits<T>::infinity());
}

TEST_CASE("cpu::reduce_max of no ints is the lowest int", "[backend][cpu][reduce]") {
  const int* none = nullptr;
  CHECK(cpu::reduce_max(none, 0) == std::numeric_limits<int>::lowest());
  CHECK(cpu::reduce_sum(none, 0) == 0);
}

TEST_CASE("cpu::reduce_max with infinities", "[backend][cpu][reduce]") {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> x(100, -inf);
  CHECK(cpu::reduce_max(x.data(), x.size()) == -inf);
  x[99] = inf;
  CHECK(cpu::reduce_max(x.data(), x.size()) == inf);
  x[99] = 5.0f;
  x[10] = 6.0f;
  CHECK(cpu::reduce_max(x.data(), x.size()) == 6.0f);
}
