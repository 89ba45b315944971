// The test backends, modyn::serial and modyn::pseudo_device, against modyn::cpu:
// every argument kind of map's contract (core/kernel_args.hpp), gemm against
// hand-computed products, reductions. Each case is written once over a
// backend B, with data moved in and out through Tensor<T, B> (the only way
// into pseudo_device memory), and run on cpu and on the backend under test.
// Inputs are small multiples of 1/8, so that the arithmetic is exact and the
// one-lane results must equal cpu's SIMD ones bit for bit; math::exp and
// friends (std:: on one lane, xsimd:: on vectors) agree within a few ulps.
// The pseudo-device's own behaviour (protection, misuse) is in pseudo_device.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <modyn/backend/cpu.hpp>
#include <modyn/backend/pseudo_device.hpp>
#include <modyn/backend/serial.hpp>
#include <modyn/core/math.hpp>
#include <modyn/core/tensor.hpp>
#include <span>
#include <type_traits>
#include <vector>

namespace {

namespace math = modyn::math;
using modyn::cpu;
using modyn::pseudo_device;
using modyn::serial;
using modyn::Shape;
using modyn::Tensor;
using modyn::Transpose;

// Sizes around the SIMD width of cpu (16 floats with AVX-512), so that cpu
// runs its body, its padded tail and both.
std::vector<std::size_t> sizes() { return {0, 1, 7, 16, 17, 33, 1000}; }

template <class T>
T dyadic(std::size_t i, std::size_t salt) {
  return T(static_cast<long>((i * 37 + salt * 11) % 64) - 32) / T(8);
}

template <class T>
std::vector<T> dyadics(std::size_t n, std::size_t salt) {
  std::vector<T> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = dyadic<T>(i, salt);
  return v;
}

template <class B, class T>
Tensor<T, B> on(const std::vector<T>& values) {
  return Tensor<T, B>(Shape{values.size()}, std::span<const T>(values));
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Distance in units in the last place between two finite floats.
std::int64_t ulps(float a, float b) {
  std::int32_t ia, ib;
  std::memcpy(&ia, &a, 4);
  std::memcpy(&ib, &b, 4);
  if (ia < 0) ia = std::numeric_limits<std::int32_t>::min() - ia;
  if (ib < 0) ib = std::numeric_limits<std::int32_t>::min() - ib;
  return std::abs(std::int64_t{ia} - std::int64_t{ib});
}

// ---- kernels --------------------------------------------------------------

// Two inputs, one in place, one write-only output.
struct inputs_in_place_write_only {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, const Vec& b, Vec& io, Vec& out) const {
    io = a * b - io * Vec(0.5) + Vec(1.25);
    out = io - a;
  }
};

struct broadcast_affine {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& scale, const Vec& shift,
                                                        Vec& out) const {
    out = x * scale + shift;
  }
};

// Two gates of a (rows, 3 L) buffer, one read at stride 3 L, one at stride 0.
struct gate_mix {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& z, const Vec& r, const Vec& shared,
                                                        Vec& h) const {
    h = h * z + r - shared;
  }
};

struct index_code {
  template <class Index>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Index& out, const Index& i) const {
    out = i * Index(3) + Index(1);
  }
};

// A neuron-like pass with an emit channel.
struct threshold_reset {
  float v_th, v_reset;
  template <class Vec, class Mask>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& input, Vec& v, Mask& fired) const {
    v = v * Vec(0.5f) + input;
    fired = v >= Vec(v_th);
    v = math::select(fired, Vec(v_reset), v);
  }
};

struct counter_and_value {
  float limit;
  template <class Vec, class IntVec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, IntVec& count, const Vec& step) const {
    v = math::select(v > Vec(limit), Vec(0), v + step);
    count = count * IntVec(3) - IntVec(7);
  }
};

struct transcendental {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& e, Vec& t, Vec& s) const {
    e = math::exp(x);
    t = math::tanh(x);
    s = math::sigmoid(x) + math::max(x, Vec(0.25f)) * math::sqrt(math::abs(x));
  }
};

// ---- cases, each run on a backend B ------------------------------------------

template <class B, class T>
std::vector<std::vector<T>> run_inputs_in_place_write_only(std::size_t n) {
  const auto a = on<B>(dyadics<T>(n, 1)), b = on<B>(dyadics<T>(n, 2));
  auto io = on<B>(dyadics<T>(n, 3));
  auto out = Tensor<T, B>::full(Shape{n}, std::numeric_limits<T>::quiet_NaN());  // write-only: never read
  B::map(n, inputs_in_place_write_only{}, a.data(), b.data(), io.data(), modyn::write_only(out.data()));
  return {a.to_vector(), b.to_vector(), io.to_vector(), out.to_vector()};
}

template <class B>
std::vector<float> run_broadcast(std::size_t rows, std::size_t length) {
  const auto x = on<B>(dyadics<float>(rows * length, 4));
  const auto scale = on<B>(dyadics<float>(length, 5)), shift = on<B>(dyadics<float>(length, 6));
  auto out = Tensor<float, B>::empty(Shape{rows * length});
  B::map(rows * length, broadcast_affine{}, x.data(), modyn::broadcast_row(scale.data(), length),
         modyn::broadcast_row(shift.data(), length), modyn::write_only(out.data()));
  return out.to_vector();
}

template <class B>
std::vector<float> run_strided(std::size_t rows, std::size_t length) {
  const auto gates = on<B>(dyadics<float>(rows * 3 * length, 7));
  const auto shared = on<B>(dyadics<float>(length, 8));
  auto h = on<B>(dyadics<float>(rows * length, 9));
  B::map(rows * length, gate_mix{}, modyn::strided_rows(gates.data(), length, 3 * length),
         modyn::strided_rows(gates.data() + 2 * length, length, 3 * length),
         modyn::strided_rows(shared.data(), length, 0), h.data());
  return h.to_vector();
}

template <class B, class T>
std::vector<T> run_index(std::size_t n, std::size_t first) {
  auto out = Tensor<T, B>::empty(Shape{n});
  B::map(n, index_code{}, modyn::write_only(out.data()), modyn::element_index(first));
  return out.to_vector();
}

struct emitted {
  std::vector<float> v;
  std::vector<std::int32_t> list;
};

template <class B>
emitted run_emit(std::size_t n, std::size_t first) {
  const auto input = on<B>(dyadics<float>(n, 10));
  auto v = on<B>(dyadics<float>(n, 11));
  // Room for n more after two entries already there: the channel appends.
  auto list = Tensor<std::int32_t, B>::full(Shape{n + 2}, -1);
  std::size_t count = 2;
  B::map(n, threshold_reset{0.75f, -1.0f}, input.data(), v.data(), modyn::emit_to(list.data(), count, first));
  std::vector<std::int32_t> all = list.to_vector();
  all.resize(count);
  return {v.to_vector(), all};
}

template <class B>
std::pair<std::vector<float>, std::vector<std::int32_t>> run_mixed(std::size_t n) {
  auto v = on<B>(dyadics<float>(n, 12));
  std::vector<std::int32_t> c(n);
  for (std::size_t i = 0; i < n; ++i) c[i] = static_cast<std::int32_t>(i % 11) - 5;
  auto count = on<B>(c);
  const auto step = on<B>(dyadics<float>(n, 13));
  B::map(n, counter_and_value{1.5f}, v.data(), count.data(), step.data());
  return {v.to_vector(), count.to_vector()};
}

template <class B>
std::vector<std::vector<float>> run_transcendental(std::size_t n) {
  std::vector<float> xs(n);
  for (std::size_t i = 0; i < n; ++i) xs[i] = -6.0f + 12.0f * static_cast<float>(i) / static_cast<float>(n);
  const auto x = on<B>(xs);
  auto e = Tensor<float, B>::empty(Shape{n}), t = Tensor<float, B>::empty(Shape{n}),
       s = Tensor<float, B>::empty(Shape{n});
  B::map(n, transcendental{}, x.data(), modyn::write_only(e.data()), modyn::write_only(t.data()),
         modyn::write_only(s.data()));
  return {e.to_vector(), t.to_vector(), s.to_vector()};
}

}  // namespace

#define MODYN_TEST_BACKENDS serial, pseudo_device

TEMPLATE_TEST_CASE("test backends satisfy the Backend concept", "[backend][serial][pseudo_device]",
                   MODYN_TEST_BACKENDS) {
  using B = TestType;
  STATIC_REQUIRE(modyn::Backend<B>);
  STATIC_REQUIRE(std::is_same_v<typename B::instance, std::remove_cvref_t<decltype(B::default_instance())>>);
  // Test backends add nothing to ExecutionInstances: any context gets the default.
  const modyn::cpu_instance mine{};
  REQUIRE(&B::instance_of(modyn::ExecutionInstances{&mine}) == &B::default_instance());
  REQUIRE(&B::instance_of(modyn::ExecutionInstances{}) == &B::default_instance());
}

TEST_CASE("test backends: traits", "[backend][serial][pseudo_device]") {
  STATIC_REQUIRE(serial::host_accessible);
  STATIC_REQUIRE(!pseudo_device::host_accessible);
  STATIC_REQUIRE(std::is_same_v<serial::memory_space, cpu::memory_space>);
  STATIC_REQUIRE(!std::is_same_v<pseudo_device::memory_space, cpu::memory_space>);
  REQUIRE(serial::name == "serial");
  REQUIRE(pseudo_device::name == "pseudo_device");
}

namespace {
// Records the order of the calls and the types the kernel sees.
struct record_order {
  std::vector<std::size_t>* seen;
  template <class Vec, class Index>
  void operator()(Vec& x, const Index& i) const {
    static_assert(std::is_same_v<Vec, double> && std::is_same_v<Index, std::int64_t>,
                  "serial: one lane, Vec = T, indices of T's width");
    seen->push_back(static_cast<std::size_t>(i));
    x = x + Vec(1);
  }
};
}  // namespace

TEST_CASE("serial::map calls the kernel with Vec = T, one element at a time, in index order",
          "[backend][serial]") {
  std::vector<std::size_t> seen;
  std::vector<double> x(5, 1.0);
  serial::map(x.size(), record_order{&seen}, x.data(), modyn::element_index(10));
  REQUIRE(seen == std::vector<std::size_t>{10, 11, 12, 13, 14});
  REQUIRE(x == std::vector<double>(5, 2.0));
}

TEMPLATE_TEST_CASE("test backends: map with inputs, in place and write_only equals cpu bit for bit",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    const auto want_f = run_inputs_in_place_write_only<cpu, float>(n);
    const auto got_f = run_inputs_in_place_write_only<TestType, float>(n);
    const auto want_d = run_inputs_in_place_write_only<cpu, double>(n);
    const auto got_d = run_inputs_in_place_write_only<TestType, double>(n);
    for (std::size_t k = 0; k < want_f.size(); ++k) {
      INFO("array " << k);
      REQUIRE(same_bits(got_f[k], want_f[k]));
      REQUIRE(same_bits(got_d[k], want_d[k]));
    }
    if (n > 0) REQUIRE(got_f[3][0] == (got_f[2][0] - dyadic<float>(0, 1)));  // out = io - a, not NaN
  }
}

TEMPLATE_TEST_CASE("test backends: map with broadcast_row equals cpu",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t length : {1, 5, 16, 19}) {
    for (const std::size_t rows : {1, 3, 8}) {
      INFO("rows = " << rows << ", length = " << length);
      REQUIRE(same_bits(run_broadcast<TestType>(rows, length), run_broadcast<cpu>(rows, length)));
    }
  }
  // A pass that is not a whole number of rows is rejected on every backend.
  auto x = Tensor<float, TestType>::zeros(Shape{10});
  const auto row = Tensor<float, TestType>::zeros(Shape{3});
  REQUIRE_THROWS_AS(TestType::map(10, broadcast_affine{}, static_cast<const float*>(x.data()),
                                  modyn::broadcast_row(row.data(), 3), modyn::broadcast_row(row.data(), 3),
                                  modyn::write_only(x.data())),
                    modyn::shape_error);
  // So is a pass whose broadcast rows differ in length; the message names both.
  const auto longer = Tensor<float, TestType>::zeros(Shape{5});
  REQUIRE_THROWS_WITH(TestType::map(10, broadcast_affine{}, static_cast<const float*>(x.data()),
                                    modyn::broadcast_row(row.data(), 3),
                                    modyn::broadcast_row(longer.data(), 5), modyn::write_only(x.data())),
                      Catch::Contains("lengths 3 and 5"));
}

TEMPLATE_TEST_CASE("test backends: map with strided_rows (stride 3 L and 0) equals cpu",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t length : {1, 7, 16, 21}) {
    for (const std::size_t rows : {1, 4}) {
      INFO("rows = " << rows << ", length = " << length);
      const auto got = run_strided<TestType>(rows, length);
      REQUIRE(same_bits(got, run_strided<cpu>(rows, length)));
      // And by hand, for the last element.
      const std::size_t r = rows - 1, j = length - 1, i = r * length + j;
      const float z = dyadic<float>(r * 3 * length + j, 7),
                  g = dyadic<float>(r * 3 * length + 2 * length + j, 7);
      REQUIRE(got[i] == dyadic<float>(i, 9) * z + g - dyadic<float>(j, 8));
    }
  }
}

TEMPLATE_TEST_CASE("test backends: map with element_index equals cpu (int32 and int64 indices)",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    const auto got = run_index<TestType, std::int32_t>(n, 100);
    REQUIRE(got == run_index<cpu, std::int32_t>(n, 100));
    REQUIRE(run_index<TestType, std::int64_t>(n, 7) == run_index<cpu, std::int64_t>(n, 7));
    for (std::size_t i = 0; i < n; ++i) REQUIRE(got[i] == static_cast<std::int32_t>(3 * (100 + i) + 1));
  }
}

TEMPLATE_TEST_CASE("test backends: map with emit_to gives cpu's ordered list",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    const emitted want = run_emit<cpu>(n, 50), got = run_emit<TestType>(n, 50);
    REQUIRE(same_bits(got.v, want.v));
    REQUIRE(got.list == want.list);
    REQUIRE(got.list.size() >= 2);
    REQUIRE(got.list[0] == -1);  // the entries before count are kept
    for (std::size_t k = 3; k < got.list.size(); ++k) REQUIRE(got.list[k - 1] < got.list[k]);
    if (n >= 33) {
      REQUIRE(got.list.size() > 2);      // some fired
      REQUIRE(got.list.size() < n + 2);  // some did not
    }
  }
}

TEMPLATE_TEST_CASE("test backends: map over float and int32 arrays in one pass equals cpu",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    const auto want = run_mixed<cpu>(n), got = run_mixed<TestType>(n);
    REQUIRE(same_bits(got.first, want.first));
    REQUIRE(got.second == want.second);
  }
}

TEMPLATE_TEST_CASE("test backends: exp, tanh, sigmoid, sqrt within a few ulps of cpu",
                   "[backend][serial][pseudo_device][map]", MODYN_TEST_BACKENDS) {
  const std::size_t n = 1000;
  const auto want = run_transcendental<cpu>(n), got = run_transcendental<TestType>(n);
  for (std::size_t k = 0; k < want.size(); ++k) {
    for (std::size_t i = 0; i < n; ++i) {
      INFO("function " << k << ", i = " << i << ": " << got[k][i] << " vs cpu " << want[k][i]);
      REQUIRE(ulps(got[k][i], want[k][i]) <= 4);
    }
  }
}

// ---- gemm -------------------------------------------------------------------

namespace {

// A = [1 2 3; 4 5 6] (2 x 3), W = [7 8; 9 10; 11 12] (3 x 2): A W = [58 64; 139 154].
constexpr float a_values[2][3] = {{1, 2, 3}, {4, 5, 6}};
constexpr float w_values[3][2] = {{7, 8}, {9, 10}, {11, 12}};
constexpr float product[2][2] = {{58, 64}, {139, 154}};

// A matrix of rows x cols stored row-major with rows `ld` apart; the gaps hold
// a value that must never reach the result.
std::vector<float> stored(std::size_t rows, std::size_t cols, std::size_t ld, bool transposed,
                          const auto& m) {
  std::vector<float> buffer(rows * ld, -1000.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) buffer[r * ld + c] = transposed ? m[c][r] : m[r][c];
  }
  return buffer;
}

struct GemmCase {
  Transpose ta, tb;
  std::size_t extra_ld;
  float alpha, beta, c0;
  bool with_bias;
};

template <class B>
std::vector<float> run_gemm(const GemmCase& g, std::size_t ldc) {
  const bool ta = g.ta == Transpose::yes, tb = g.tb == Transpose::yes;
  // op(A) = A (2 x 3): stored as A, or as its transpose (3 x 2).
  const std::size_t lda = (ta ? 2 : 3) + g.extra_ld, ldb = (tb ? 3 : 2) + g.extra_ld;
  const auto a = on<B>(stored(ta ? 3 : 2, ta ? 2 : 3, lda, ta, a_values));
  const auto b = on<B>(stored(tb ? 2 : 3, tb ? 3 : 2, ldb, tb, w_values));
  auto c = on<B>(std::vector<float>(2 * ldc, g.c0));
  const auto bias = on<B>(std::vector<float>{0.5f, -2.0f});
  B::gemm(g.ta, g.tb, 2, 2, 3, g.alpha, a.data(), lda, b.data(), ldb, g.beta, c.data(), ldc,
          g.with_bias ? bias.data() : nullptr);
  return c.to_vector();
}

}  // namespace

TEMPLATE_TEST_CASE("test backends: gemm equals the hand-computed product in every case cpu documents",
                   "[backend][serial][pseudo_device][gemm]", MODYN_TEST_BACKENDS) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (const Transpose ta : {Transpose::no, Transpose::yes}) {
    for (const Transpose tb : {Transpose::no, Transpose::yes}) {
      for (const std::size_t extra_ld : {0, 3}) {
        for (const GemmCase g : {GemmCase{ta, tb, extra_ld, 1.0f, 0.0f, nan, false},  // beta = 0: C not read
                                 GemmCase{ta, tb, extra_ld, 2.0f, 0.5f, 4.0f, false},
                                 GemmCase{ta, tb, extra_ld, 1.0f, 1.0f, 1.0f, true},
                                 GemmCase{ta, tb, extra_ld, -0.5f, 0.0f, nan, true}}) {
          INFO("trans_a = " << (ta == Transpose::yes) << ", trans_b = " << (tb == Transpose::yes)
                            << ", extra ld = " << extra_ld << ", alpha = " << g.alpha << ", beta = " << g.beta
                            << ", bias = " << g.with_bias);
          const std::size_t ldc = 2 + extra_ld;
          const auto got = run_gemm<TestType>(g, ldc);
          const float bias[2] = {0.5f, -2.0f};
          for (std::size_t i = 0; i < 2; ++i) {
            for (std::size_t j = 0; j < 2; ++j) {
              const float c0 = g.beta == 0.0f ? 0.0f : g.beta * g.c0;
              REQUIRE(got[i * ldc + j] == g.alpha * product[i][j] + c0 + (g.with_bias ? bias[j] : 0.0f));
            }
            // The gaps of C are left as they were.
            for (std::size_t j = 2; j < ldc; ++j) REQUIRE(std::isnan(got[i * ldc + j]) == std::isnan(g.c0));
          }
          REQUIRE(same_bits(got, run_gemm<cpu>(g, ldc)));  // exact in both (small integers)
        }
      }
    }
  }
}

TEMPLATE_TEST_CASE("test backends: gemm with k == 0 gives beta C (+ bias)",
                   "[backend][serial][pseudo_device][gemm]", MODYN_TEST_BACKENDS) {
  using B = TestType;
  auto c = on<B>(std::vector<float>(6, std::numeric_limits<float>::quiet_NaN()));
  const auto bias = on<B>(std::vector<float>{1, 2, 3});
  B::gemm(Transpose::no, Transpose::no, 2, 3, 0, 1.0f, static_cast<const float*>(nullptr), 0,
          static_cast<const float*>(nullptr), 3, 0.0f, c.data(), 3, bias.data());
  REQUIRE(c.to_vector() == std::vector<float>{1, 2, 3, 1, 2, 3});
  auto d = on<B>(std::vector<float>(6, 2.0f));
  B::gemm(Transpose::yes, Transpose::no, 2, 3, 0, 1.0f, static_cast<const float*>(nullptr), 2,
          static_cast<const float*>(nullptr), 3, 0.5f, d.data(), 3);
  REQUIRE(d.to_vector() == std::vector<float>(6, 1.0f));
}

TEMPLATE_TEST_CASE("test backends: gemm of a larger product equals cpu",
                   "[backend][serial][pseudo_device][gemm]", MODYN_TEST_BACKENDS) {
  using B = TestType;
  const std::size_t m = 9, n = 21, k = 17;
  const auto a = dyadics<double>(m * k, 1), w = dyadics<double>(k * n, 2), bias = dyadics<double>(n, 3);
  const auto run = [&]<class On>(On) {
    const auto ta = on<On>(a), tw = on<On>(w), tb = on<On>(bias);
    auto c = Tensor<double, On>::empty(Shape{m * n});
    On::gemm(Transpose::no, Transpose::no, m, n, k, 1.0, ta.data(), k, tw.data(), n, 0.0, c.data(), n,
             tb.data());
    return c.to_vector();
  };
  REQUIRE(run(B{}) == run(cpu{}));  // dyadic sums of this size are exact in double
}

// ---- reductions ---------------------------------------------------------------

TEMPLATE_TEST_CASE("test backends: reduce_sum and reduce_max equal cpu",
                   "[backend][serial][pseudo_device][reduce]", MODYN_TEST_BACKENDS) {
  using B = TestType;
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    const auto f = dyadics<float>(n, 4);
    const auto on_b = on<B>(f);
    const auto on_cpu = on<cpu>(f);
    REQUIRE(B::reduce_sum(on_b.data(), n) == cpu::reduce_sum(on_cpu.data(), n));  // exact
    REQUIRE(B::reduce_max(on_b.data(), n) == cpu::reduce_max(on_cpu.data(), n));
    std::vector<std::int32_t> ints(n);
    for (std::size_t i = 0; i < n; ++i) ints[i] = static_cast<std::int32_t>((i * 7919) % 1013) - 500;
    const auto i_b = on<B>(ints);
    const auto i_cpu = on<cpu>(ints);
    REQUIRE(B::reduce_sum(i_b.data(), n) == cpu::reduce_sum(i_cpu.data(), n));
    REQUIRE(B::reduce_max(i_b.data(), n) == cpu::reduce_max(i_cpu.data(), n));
  }
  REQUIRE(B::reduce_max(static_cast<const float*>(nullptr), 0) == -std::numeric_limits<float>::infinity());
  REQUIRE(B::reduce_max(static_cast<const std::int32_t*>(nullptr), 0) ==
          std::numeric_limits<std::int32_t>::lowest());
  REQUIRE(B::reduce_sum(static_cast<const double*>(nullptr), 0) == 0.0);
  const auto with_inf = on<B>(std::vector<float>{-std::numeric_limits<float>::infinity(), 3.0f, 2.0f});
  REQUIRE(B::reduce_max(with_inf.data(), 3) == 3.0f);
}
