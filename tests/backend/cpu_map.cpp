// cpu::map: fused elementwise kernels against a scalar reference, at sizes
// that exercise the vector body, the scalar tail and both together.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <limits>
#include <modyn/backend/cpu.hpp>
#include <modyn/core/math.hpp>
#include <type_traits>
#include <vector>

namespace {

namespace math = modyn::math;
using modyn::cpu;
using modyn::write_only;

// Sizes around the vector width (16 floats / 8 doubles with AVX-512) so
// that both the vector body and the scalar tail run, alone and together.
std::size_t any_size() { return GENERATE(as<std::size_t>{}, 0, 1, 7, 8, 9, 15, 16, 17, 31, 33, 1000); }

// n elements with `pad` sentinel elements on both sides, so that a write past
// either end shows. pad is odd, so the array is not vector-aligned.
template <class T>
class Guarded {
 public:
  static constexpr std::size_t pad = 19;
  static constexpr T sentinel = T(-12345.25);

  explicit Guarded(std::size_t n) : n_(n), storage_(n + 2 * pad, sentinel) {}

  T* data() { return storage_.data() + pad; }
  T& operator[](std::size_t i) { return storage_[pad + i]; }
  std::size_t size() const { return n_; }
  std::vector<T> values() const { return {storage_.begin() + pad, storage_.begin() + pad + n_}; }

  // Whether every element outside [0, n) still holds the sentinel.
  bool guards_intact() const {
    for (std::size_t i = 0; i < pad; ++i) {
      if (!same_bits(storage_[i], sentinel) || !same_bits(storage_[pad + n_ + i], sentinel)) return false;
    }
    return true;
  }

 private:
  static bool same_bits(T a, T b) { return std::memcmp(&a, &b, sizeof(T)) == 0; }

  std::size_t n_;
  std::vector<T> storage_;
};

// Values that are small multiples of 1/8 in [-4, 4), so every kernel of this
// file computes them exactly and vector and scalar results must be equal
// bit for bit (whatever the compiler contracts into FMAs).
template <class T>
T dyadic(std::size_t i, std::size_t salt) {
  return T(static_cast<long>((i * 37 + salt * 11) % 64) - 32) / T(8);
}

// Fused kernel with two inputs and one in-place output.
struct axpby_kernel {
  template <class V>
  void operator()(const V& a, const V& b, V& out) const {
    out = a * b - out * V(0.5) + V(1.25);
  }
};

template <class T>
T axpby_reference(T a, T b, T out) {
  return a * b - out * T(0.5) + T(1.25);
}

// A neuron-like kernel: reads I, updates v and g in place.
struct neuron_kernel {
  template <class V>
  void operator()(const V& I, V& v, V& g) const {
    g = g * V(0.5) + I * V(0.25);
    v = v + (g - v) * V(0.125);
    const auto fired = v > V(1);
    v = math::select(fired, V(-2), v);
  }
};

template <class T>
void neuron_reference(T I, T& v, T& g) {
  g = g * T(0.5) + I * T(0.25);
  v = v + (g - v) * T(0.125);
  if (v > T(1)) v = T(-2);
}

}  // namespace

TEMPLATE_TEST_CASE("cpu::map: fused kernel with two inputs and one in-place output", "[backend][cpu][map]",
                   float, double) {
  using T = TestType;
  const std::size_t n = any_size();
  Guarded<T> a(n), b(n), out(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = dyadic<T>(i, 1);
    b[i] = dyadic<T>(i, 2);
    out[i] = dyadic<T>(i, 3);
  }
  const std::vector<T> a0 = a.values(), b0 = b.values(), out0 = out.values();

  cpu::map(n, axpby_kernel{}, static_cast<const T*>(a.data()), static_cast<const T*>(b.data()), out.data());

  INFO("n = " << n);
  for (std::size_t i = 0; i < n; ++i) {
    INFO("i = " << i);
    REQUIRE(out[i] == axpby_reference(a0[i], b0[i], out0[i]));
  }
  CHECK(a.values() == a0);
  CHECK(b.values() == b0);
  CHECK(a.guards_intact());
  CHECK(b.guards_intact());
  CHECK(out.guards_intact());
}

TEMPLATE_TEST_CASE("cpu::map: neuron kernel reads one input and updates two arrays in place",
                   "[backend][cpu][map]", float, double) {
  using T = TestType;
  const std::size_t n = any_size();
  Guarded<T> I(n), v(n), g(n);
  for (std::size_t i = 0; i < n; ++i) {
    I[i] = dyadic<T>(i, 4) * T(2);
    v[i] = dyadic<T>(i, 5);
    g[i] = dyadic<T>(i, 6);
  }
  std::vector<T> v_ref = v.values(), g_ref = g.values();
  const std::vector<T> I0 = I.values();
  for (std::size_t i = 0; i < n; ++i) neuron_reference(I0[i], v_ref[i], g_ref[i]);

  cpu::map(n, neuron_kernel{}, static_cast<const T*>(I.data()), v.data(), g.data());

  INFO("n = " << n);
  CHECK(v.values() == v_ref);
  CHECK(g.values() == g_ref);
  CHECK(I.values() == I0);
  CHECK(I.guards_intact());
  CHECK(v.guards_intact());
  CHECK(g.guards_intact());
  if (n >= 17) {
    // The data makes some neurons fire and some not, in body and tail alike.
    CHECK(std::count(v_ref.begin(), v_ref.end(), T(-2)) > 0);
    CHECK(std::count(v_ref.begin(), v_ref.end(), T(-2)) < static_cast<std::ptrdiff_t>(n));
  }
}

TEMPLATE_TEST_CASE("cpu::map: write_only outputs are fully overwritten and never read", "[backend][cpu][map]",
                   float, double) {
  using T = TestType;
  const std::size_t n = any_size();
  const T nan = std::numeric_limits<T>::quiet_NaN();
  Guarded<T> in(n), out(n), spike(n), v(n);
  for (std::size_t i = 0; i < n; ++i) {
    in[i] = dyadic<T>(i, 7);
    v[i] = dyadic<T>(i, 8);
    out[i] = nan;
    spike[i] = nan;
  }
  const std::vector<T> v0 = v.values();

  SECTION("one input, one write-only output") {
    cpu::map(
        n,
        [](const auto& x, auto& y) {
          using V = std::remove_cvref_t<decltype(y)>;
          y = x * x - V(3);
        },
        static_cast<const T*>(in.data()), write_only(out.data()));
    for (std::size_t i = 0; i < n; ++i) {
      INFO("n = " << n << ", i = " << i);
      REQUIRE(out[i] == in[i] * in[i] - T(3));
    }
  }

  SECTION("the write-only slot does not hold the memory's content") {
    // The contract leaves the slot's value unspecified, but not loaded: a
    // kernel peeking at it must never see the NaN that memory holds.
    cpu::map(
        n,
        [](const auto& x, auto& y) {
          using V = std::remove_cvref_t<decltype(y)>;
          y = math::select(y != y, V(-1), x + V(1));
        },
        static_cast<const T*>(in.data()), write_only(out.data()));
    for (std::size_t i = 0; i < n; ++i) {
      INFO("n = " << n << ", i = " << i);
      REQUIRE(out[i] == in[i] + T(1));
    }
  }

  SECTION("input, in-place and write-only arguments in one map") {
    cpu::map(
        n,
        [](const auto& x, auto& state, auto& s) {
          using V = std::remove_cvref_t<decltype(state)>;
          state = state + x;
          const auto fired = state > V(0.5);
          s = math::select(fired, V(1), V(0));
          state = math::select(fired, V(0), state);
        },
        static_cast<const T*>(in.data()), v.data(), write_only(spike.data()));
    for (std::size_t i = 0; i < n; ++i) {
      INFO("n = " << n << ", i = " << i);
      REQUIRE(std::isfinite(spike[i]));
      const T sum = v0[i] + in[i];
      REQUIRE(spike[i] == (sum > T(0.5) ? T(1) : T(0)));
      REQUIRE(v[i] == (sum > T(0.5) ? T(0) : sum));
    }
  }

  CHECK(in.guards_intact());
  CHECK(out.guards_intact());
  CHECK(spike.guards_intact());
  CHECK(v.guards_intact());
}

TEMPLATE_TEST_CASE("cpu::map: kernel using math::select, math::exp and math::max", "[backend][cpu][map]",
                   float, double) {
  using T = TestType;
  const std::size_t n = any_size();
  Guarded<T> x(n), y(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = T(static_cast<long>((i * 29) % 101) - 50) / T(10);  // [-5, 5]
    y[i] = T(static_cast<long>((i * 13) % 31) - 15) / T(4);
  }
  const std::vector<T> x0 = x.values(), y0 = y.values();

  cpu::map(
      n,
      [](const auto& a, auto& b) {
        using V = std::remove_cvref_t<decltype(b)>;
        b = math::select(a > V(0), math::exp(-a) + b, math::max(a, b) * V(2));
      },
      static_cast<const T*>(x.data()), y.data());

  // xsimd's exp is accurate to a few ulp, not bit-equal to std::exp.
  const double eps = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  for (std::size_t i = 0; i < n; ++i) {
    INFO("n = " << n << ", i = " << i << ", x = " << x0[i] << ", y = " << y0[i]);
    if (x0[i] > T(0)) {
      REQUIRE(y[i] == Approx(std::exp(-x0[i]) + y0[i]).epsilon(eps).margin(eps));
    } else {
      REQUIRE(y[i] == std::max(x0[i], y0[i]) * T(2));  // exact
    }
  }
  CHECK(x.values() == x0);
  CHECK(x.guards_intact());
  CHECK(y.guards_intact());
}

TEST_CASE("cpu::map: the kernel sees xsimd::batch everywhere, the tail as one padded vector",
          "[backend][cpu][map]") {
  struct Counts {
    std::size_t vector = 0, other = 0;
  };
  const auto run = [](auto type_tag, std::size_t n) {
    using T = decltype(type_tag);
    Counts counts;
    // Two guard elements past n must never be written.
    std::vector<T> in(n + 2, T(2)), out(n + 2, T(-7));
    cpu::map(
        n,
        [&counts](const auto& a, auto& b) {
          using V = std::remove_cvref_t<decltype(b)>;
          if constexpr (math::is_vector_v<V> && std::is_same_v<V, xsimd::batch<T>>)
            ++counts.vector;
          else
            ++counts.other;
          b = a + V(1);
        },
        static_cast<const T*>(in.data()), out.data());
    for (std::size_t k = 0; k < n; ++k) REQUIRE(out[k] == T(3));
    REQUIRE(out[n] == T(-7));
    REQUIRE(out[n + 1] == T(-7));
    return counts;
  };
  const auto vectors = [](std::size_t n, std::size_t width) { return (n + width - 1) / width; };

  constexpr std::size_t float_width = xsimd::batch<float>::size;
  constexpr std::size_t double_width = xsimd::batch<double>::size;
#if defined(__AVX512F__)
  STATIC_REQUIRE(float_width == 16);
  STATIC_REQUIRE(double_width == 8);
#endif

  SECTION("17 floats: a full vector and a padded one") {
    const Counts c = run(float{}, 17);
    CHECK(c.vector == vectors(17, float_width));
    CHECK(c.other == 0);
  }
  SECTION("17 doubles") {
    const Counts c = run(double{}, 17);
    CHECK(c.vector == vectors(17, double_width));
    CHECK(c.other == 0);
  }
  SECTION("fewer elements than a vector: one padded vector") {
    const Counts c = run(float{}, float_width - 1);
    CHECK(c.vector == 1);
    CHECK(c.other == 0);
  }
  SECTION("a multiple of the width") {
    const Counts c = run(float{}, 4 * float_width);
    CHECK(c.vector == 4);
  }
  SECTION("1000 floats") { CHECK(run(float{}, 1000).vector == vectors(1000, float_width)); }
  SECTION("n = 0: the kernel is never called") {
    const Counts c = run(double{}, 0);
    CHECK(c.vector == 0);
    CHECK(c.other == 0);
  }
}

TEST_CASE("cpu::map: an element's result does not depend on its position (body or tail)",
          "[backend][cpu][map]") {
  // exp and a * b + c: where scalar and vector code round differently (libm
  // vs xsimd's exp, FMA contraction), a scalar tail would differ in the last bit.
  constexpr std::size_t width = xsimd::batch<float>::size;
  const std::size_t n = 3 * width + 5;
  std::vector<float> x(n), y(n);
  for (std::size_t k = 0; k < n; ++k) x[k] = 0.37f + 0.013f * static_cast<float>(k % 7);
  const auto kernel = [](const auto& a, auto& out) {
    using V = std::remove_cvref_t<decltype(out)>;
    out = math::exp(a * V(1.7f)) * a + V(0.3f);
  };
  cpu::map(n, kernel, static_cast<const float*>(x.data()), modyn::write_only(y.data()));
  for (std::size_t k = 0; k < n; ++k) {
    // The same value alone: always a padded tail of one element.
    float alone = 0.0f;
    cpu::map(1, kernel, static_cast<const float*>(&x[k]), modyn::write_only(&alone));
    REQUIRE(y[k] == alone);
    REQUIRE(y[k] == y[k % 7]);
  }
}

TEST_CASE("cpu::map: exact-size buffers (a sanitizer sees any access past n)", "[backend][cpu][map]") {
  const std::size_t n = any_size();
  // Separate heap blocks of exactly n elements: AddressSanitizer reports a
  // vector load or store that runs past the end.
  std::vector<float> a(n), b(n), out(n);
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = dyadic<float>(i, 9);
    b[i] = dyadic<float>(i, 10);
    out[i] = dyadic<float>(i, 11);
    d[i] = dyadic<double>(i, 12);
  }
  const std::vector<float> out0 = out;
  const std::vector<double> d0 = d;
  cpu::map(n, axpby_kernel{}, static_cast<const float*>(a.data()), static_cast<const float*>(b.data()),
           out.data());
  cpu::map(
      n, [](auto& x) { x = x * x; }, d.data());
  for (std::size_t i = 0; i < n; ++i) {
    INFO("n = " << n << ", i = " << i);
    REQUIRE(out[i] == axpby_reference(a[i], b[i], out0[i]));
    REQUIRE(d[i] == d0[i] * d0[i]);
  }
}
