// modyn::softmax over the last axis against a naive exp / sum, with large
// values that overflow exp without the max subtraction.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "modyn/backend/serial.hpp"
#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using modyn::Rng;
using modyn::Tensor;

namespace {

// Naive, in long double: exp(x - max) / sum exp(x - max).
std::vector<double> softmax_reference(const Tensor<float>& x) {
  const std::size_t n = x.shape(x.rank() - 1);
  const auto v = ref::values(x);
  std::vector<double> out(v.size());
  for (std::size_t offset = 0; offset < v.size(); offset += n) {
    double peak = v[offset];
    for (std::size_t j = 1; j < n; ++j) peak = std::max(peak, v[offset + j]);
    long double sum = 0;
    for (std::size_t j = 0; j < n; ++j) sum += std::exp((long double)(v[offset + j] - peak));
    for (std::size_t j = 0; j < n; ++j)
      out[offset + j] = double(std::exp((long double)(v[offset + j] - peak)) / sum);
  }
  return out;
}

// modyn::serial, except that map notes when an in-place argument (a T*,
// which the pass loads before the kernel sees it) holds a NaN: a pass that
// loads the output it is about to write, where write_only was meant, shows
// as soon as that output starts as NaN.
struct nan_load_checking : modyn::serial {
  static constexpr std::string_view name = "nan_load_checking";
  static inline bool loaded_nan = false;

  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, const Kernel& kernel, const Args&... args) {
    (note_loaded(n, args), ...);
    modyn::serial::map(on, n, kernel, args...);
  }
  template <class Kernel, class... Args>
  static void map(std::size_t n, const Kernel& kernel, const Args&... args) {
    map(default_instance(), n, kernel, args...);
  }

 private:
  template <class Arg>
  static void note_loaded(std::size_t n, const Arg& arg) {
    if constexpr (std::is_pointer_v<Arg> && !std::is_const_v<std::remove_pointer_t<Arg>>) {
      for (std::size_t i = 0; i < n; ++i) loaded_nan = loaded_nan || std::isnan(arg[i]);
    }
  }
};

}  // namespace

TEST_CASE("softmax: rows sum to 1 and equal the naive exp / sum", "[nn][softmax]") {
  Rng rng(1);
  SECTION("(batch, n)") {
    const auto x = rng.normal<float>({6, 37}, 0.0f, 3.0f);
    const auto y = modyn::softmax(x);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{6, 37});
    for (std::size_t r = 0; r < 6; ++r) {
      double sum = 0;
      for (std::size_t j = 0; j < 37; ++j) {
        CHECK(y(r, j) > 0.0f);
        sum += double(y(r, j));
      }
      CHECK(sum == Approx(1.0).epsilon(1e-6));
    }
    CHECK(ref::max_error(y, softmax_reference(x)) < 1e-6);
  }
  SECTION("(time, batch, n)") {
    const auto x = rng.normal<float>({3, 4, 5});
    CHECK(ref::max_error(modyn::softmax(x), softmax_reference(x)) < 1e-6);
  }
  SECTION("(n,)") {
    const auto x = rng.normal<float>({10});
    CHECK(ref::max_error(modyn::softmax(x), softmax_reference(x)) < 1e-6);
  }
}

TEST_CASE("softmax: hand values and large inputs without overflow", "[nn][softmax]") {
  const double e = std::exp(1.0);
  SECTION("1000, 1001") {
    const auto y = modyn::softmax(Tensor<float>{{1000, 1001}});
    CHECK(std::isfinite(y(0, 0)));
    CHECK(std::isfinite(y(0, 1)));
    CHECK(double(y(0, 0)) == Approx(1 / (1 + e)).epsilon(1e-6));
    CHECK(double(y(0, 1)) == Approx(e / (1 + e)).epsilon(1e-6));
  }
  SECTION("very negative and mixed") {
    const auto y = modyn::softmax(Tensor<float>{{-1000, -1001, -1002}, {-1000, 0, 1000}});
    const double s = 1 + 1 / e + 1 / (e * e);
    CHECK(double(y(0, 0)) == Approx(1 / s).epsilon(1e-6));
    CHECK(double(y(0, 1)) == Approx(1 / (e * s)).epsilon(1e-6));
    CHECK(double(y(0, 2)) == Approx(1 / (e * e * s)).epsilon(1e-6));
    CHECK(y(1, 0) == 0.0f);
    CHECK(y(1, 1) == 0.0f);
    CHECK(y(1, 2) == 1.0f);
  }
  SECTION("equal values") {
    const auto y = modyn::softmax(Tensor<float>{{3e4f, 3e4f, 3e4f, 3e4f}});
    for (std::size_t j = 0; j < 4; ++j) CHECK(double(y(0, j)) == Approx(0.25).epsilon(1e-6));
  }
  SECTION("shift invariance") {
    const auto x = Rng(2).normal<float>({2, 9});
    const auto a = modyn::softmax(x);
    const auto b = modyn::softmax(x + 500.0f);
    CHECK(ref::max_error(b, ref::values(a)) < 1e-5);
  }
}

TEST_CASE("softmax::apply_into works in place", "[nn][softmax]") {
  auto x = Rng(3).normal<float>({4, 11});
  const auto expected = softmax_reference(x);
  modyn::Softmax::apply_into(x, x);
  CHECK(ref::max_error(x, expected) < 1e-6);
  CHECK(std::string(modyn::Softmax::name) == "softmax");
}

TEST_CASE("softmax::apply_into writes its output without reading it first (NaN there does not matter)",
          "[nn][softmax]") {
  using B = nan_load_checking;
  const auto host = Rng(4).normal<float>({3, 7});
  const Tensor<float, B> x(host.shape(), std::span<const float>(host.data(), host.size()));
  auto out = Tensor<float, B>::full(x.shape(), std::numeric_limits<float>::quiet_NaN());
  nan_load_checking::loaded_nan = false;
  modyn::Softmax::apply_into(x, out);
  CHECK_FALSE(nan_load_checking::loaded_nan);
  const Tensor<float> result(host.shape(), std::span<const float>(out.data(), out.size()));
  CHECK(ref::max_error(result, softmax_reference(host)) < 1e-6);

  // And on the CPU backend, an output full of NaN gives the same values.
  auto cpu_out = Tensor<float>::full(host.shape(), std::numeric_limits<float>::quiet_NaN());
  modyn::Softmax::apply_into(host, cpu_out);
  CHECK(ref::max_error(cpu_out, softmax_reference(host)) < 1e-6);
}
