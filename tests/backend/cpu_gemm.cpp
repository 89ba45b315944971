// cpu::gemm against a naive triple loop: shapes, transposes, alpha and beta,
// leading dimensions, bias.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <modyn/backend/cpu.hpp>
#include <random>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace {

using modyn::cpu;
using modyn::Transpose;

struct Dims {
  std::size_t m, n, k;
};

// A row-major matrix of `rows` rows of `cols` values in a buffer whose rows
// are `ld` apart (ld >= cols); the gaps hold `gap`.
template <class T>
struct Strided {
  std::size_t rows, cols, ld;
  std::vector<T> buffer;

  Strided(std::size_t rows_, std::size_t cols_, std::size_t ld_, T gap)
      : rows(rows_), cols(cols_), ld(ld_), buffer(std::max<std::size_t>(rows_ * ld_, 1), gap) {}

  T& operator()(std::size_t r, std::size_t c) { return buffer[r * ld + c]; }
  T operator()(std::size_t r, std::size_t c) const { return buffer[r * ld + c]; }
};

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof(T)) == 0;
}

template <class T>
struct Case {
  Transpose ta, tb;
  Dims d;
  T alpha, beta;
  std::size_t extra_ld;  // added to every leading dimension
  bool with_bias;
};

template <class T>
std::string describe(const Case<T>& c) {
  std::ostringstream s;
  s << "m=" << c.d.m << " n=" << c.d.n << " k=" << c.d.k << " trans_a=" << (c.ta == Transpose::yes)
    << " trans_b=" << (c.tb == Transpose::yes) << " alpha=" << c.alpha << " beta=" << c.beta
    << " extra_ld=" << c.extra_ld << " bias=" << c.with_bias;
  return s.str();
}

// Runs one gemm and compares it with a triple loop in long double.
template <class T>
void check_gemm(const Case<T>& c, std::uint32_t seed) {
  INFO(describe(c));
  const auto [m, n, k] = c.d;
  const bool ta = c.ta == Transpose::yes, tb = c.tb == Transpose::yes;
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T sentinel = T(-777.5);

  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  const auto draw = [&] { return T(dist(gen)); };

  // A is stored (m, k), or (k, m) when transposed; likewise B. Gaps in A and
  // B are NaN, so reading them would poison C.
  Strided<T> a(ta ? k : m, ta ? m : k, (ta ? m : k) + c.extra_ld, nan);
  Strided<T> b(tb ? n : k, tb ? k : n, (tb ? k : n) + c.extra_ld, nan);
  Strided<T> cm(m, n, n + c.extra_ld, sentinel);
  for (std::size_t r = 0; r < a.rows; ++r)
    for (std::size_t q = 0; q < a.cols; ++q) a(r, q) = draw();
  for (std::size_t r = 0; r < b.rows; ++r)
    for (std::size_t q = 0; q < b.cols; ++q) b(r, q) = draw();
  // With beta == 0, C is not read: fill it with NaN to prove it.
  for (std::size_t i = 0; i < m; ++i)
    for (std::size_t j = 0; j < n; ++j) cm(i, j) = c.beta == T(0) ? nan : draw();
  std::vector<T> bias(n);
  for (T& x : bias) x = draw();
  const Strided<T> c0 = cm;

  const auto op_a = [&](std::size_t i, std::size_t p) { return ta ? a(p, i) : a(i, p); };
  const auto op_b = [&](std::size_t p, std::size_t j) { return tb ? b(j, p) : b(p, j); };

  cpu::gemm(c.ta, c.tb, m, n, k, c.alpha, a.buffer.data(), a.ld, b.buffer.data(), b.ld, c.beta,
            cm.buffer.data(), cm.ld, c.with_bias ? bias.data() : nullptr);

  const long double eps = std::is_same_v<T, float> ? 1e-5L : 1e-12L;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      long double dot = 0, scale = 0;
      for (std::size_t p = 0; p < k; ++p) {
        dot += static_cast<long double>(op_a(i, p)) * op_b(p, j);
        scale += std::fabs(static_cast<long double>(op_a(i, p)) * op_b(p, j));
      }
      long double expected = static_cast<long double>(c.alpha) * dot;
      scale *= std::fabs(static_cast<long double>(c.alpha));
      if (c.beta != T(0)) {
        expected += static_cast<long double>(c.beta) * c0(i, j);
        scale += std::fabs(static_cast<long double>(c.beta) * c0(i, j));
      }
      if (c.with_bias) {
        expected += bias[j];
        scale += std::fabs(static_cast<long double>(bias[j]));
      }
      const T got = cm(i, j);
      INFO("C(" << i << ", " << j << ") = " << got << ", expected " << static_cast<double>(expected));
      REQUIRE(std::isfinite(got));
      // Relative to the size of the terms summed, so that cancellation does
      // not make the tolerance meaningless.
      REQUIRE(std::fabs(got - expected) <= eps * std::max(scale, 1.0L));
    }
  }
  // Nothing outside the m x n block of C is written.
  for (std::size_t i = 0; i < cm.buffer.size(); ++i) {
    const bool inside = m > 0 && i / cm.ld < m && i % cm.ld < n;
    if (!inside) REQUIRE(same_bits(cm.buffer[i], sentinel));
  }
}

Transpose any_transpose() { return GENERATE(Transpose::no, Transpose::yes); }

}  // namespace

TEMPLATE_TEST_CASE("cpu::gemm equals a naive triple loop", "[backend][cpu][gemm]", float, double) {
  using T = TestType;
  const Dims d = GENERATE(Dims{1, 1, 1}, Dims{3, 5, 7}, Dims{17, 33, 9}, Dims{64, 64, 64}, Dims{2, 19, 1},
                          Dims{31, 1, 40});
  const Transpose ta = any_transpose();
  const Transpose tb = any_transpose();
  const auto [alpha, beta] =
      GENERATE(table<T, T>({{T(1), T(0)}, {T(0.5), T(0)}, {T(1), T(1)}, {T(-2), T(0.25)}}));
  const std::size_t extra_ld = GENERATE(as<std::size_t>{}, 0, 3);
  const bool with_bias = GENERATE(false, true);
  check_gemm<T>({ta, tb, d, alpha, beta, extra_ld, with_bias},
                1234u + static_cast<std::uint32_t>(d.m * 7 + d.k));
}

TEMPLATE_TEST_CASE("cpu::gemm with alpha == 0 gives beta C (+ bias)", "[backend][cpu][gemm]", float, double) {
  using T = TestType;
  const Transpose ta = any_transpose();
  const Transpose tb = any_transpose();
  const T beta = GENERATE(T(0), T(1.5));
  check_gemm<T>({ta, tb, Dims{5, 6, 7}, T(0), beta, 2, GENERATE(false, true)}, 99u);
}

TEMPLATE_TEST_CASE("cpu::gemm with an empty dimension", "[backend][cpu][gemm]", float, double) {
  using T = TestType;
  const Dims d = GENERATE(Dims{0, 4, 5}, Dims{4, 0, 5}, Dims{4, 5, 0}, Dims{0, 0, 0}, Dims{3, 2, 0});
  const Transpose ta = any_transpose();
  const Transpose tb = any_transpose();
  const auto [alpha, beta] = GENERATE(table<T, T>({{T(1), T(0)}, {T(2), T(0.5)}}));
  const bool with_bias = GENERATE(false, true);
  // k == 0: C = beta C (+ bias), and with beta == 0 the NaN in C becomes 0.
  // m == 0 or n == 0: nothing is written (checked by the sentinel).
  check_gemm<T>({ta, tb, d, alpha, beta, 1, with_bias}, 7u);
}

TEST_CASE("cpu::gemm on a hand-computed product", "[backend][cpu][gemm]") {
  // A = [1 2; 3 4], B = [5 6; 7 8]: A B = [19 22; 43 50], A^T B = [26 30; 38 44],
  // A B^T = [17 23; 39 53], A^T B^T = [23 31; 34 46].
  const float a[] = {1, 2, 3, 4};
  const float b[] = {5, 6, 7, 8};
  const float bias[] = {100, 200};
  const auto run = [&](Transpose ta, Transpose tb, const float* bias_row) {
    std::vector<float> c(4, std::numeric_limits<float>::quiet_NaN());
    cpu::gemm(ta, tb, 2, 2, 2, 1.0f, a, 2, b, 2, 0.0f, c.data(), 2, bias_row);
    return c;
  };
  CHECK(run(Transpose::no, Transpose::no, nullptr) == std::vector<float>{19, 22, 43, 50});
  CHECK(run(Transpose::yes, Transpose::no, nullptr) == std::vector<float>{26, 30, 38, 44});
  CHECK(run(Transpose::no, Transpose::yes, nullptr) == std::vector<float>{17, 23, 39, 53});
  CHECK(run(Transpose::yes, Transpose::yes, nullptr) == std::vector<float>{23, 31, 34, 46});
  CHECK(run(Transpose::no, Transpose::no, bias) == std::vector<float>{119, 222, 143, 250});

  // alpha and beta: C = 2 A B - C0.
  std::vector<float> c = {1, 1, 1, 1};
  cpu::gemm(Transpose::no, Transpose::no, 2, 2, 2, 2.0f, a, 2, b, 2, -1.0f, c.data(), 2);
  CHECK(c == std::vector<float>{37, 43, 85, 99});
}

TEST_CASE("cpu::gemm on a submatrix of a larger matrix", "[backend][cpu][gemm]") {
  // The top-left 2x3 block of a 4x5 matrix times the top-left 3x2 block of a
  // 3x4 one, into the middle of a 4x6 C.
  std::vector<double> a(4 * 5, 1000.0), b(3 * 4, 1000.0), c(4 * 6, -1.0);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t p = 0; p < 3; ++p) a[i * 5 + p] = double(i * 3 + p + 1);  // [1 2 3; 4 5 6]
  for (std::size_t p = 0; p < 3; ++p)
    for (std::size_t j = 0; j < 2; ++j) b[p * 4 + j] = double(p * 2 + j + 1);  // [1 2; 3 4; 5 6]
  double* c_block = c.data() + 1 * 6 + 2;                                      // C(1, 2)
  cpu::gemm(Transpose::no, Transpose::no, 2, 2, 3, 1.0, a.data(), 5, b.data(), 4, 0.0, c_block, 6);
  // [1 2 3; 4 5 6] [1 2; 3 4; 5 6] = [22 28; 49 64]
  const std::vector<double> expected = {
      -1, -1, -1, -1, -1, -1,  //
      -1, -1, 22, 28, -1, -1,  //
      -1, -1, 49, 64, -1, -1,  //
      -1, -1, -1, -1, -1, -1,  //
  };
  CHECK(c == expected);
}

TEST_CASE("cpu::gemm names the library it runs on", "[backend][cpu][gemm]") {
  if (MODYN_USE_LIBXSMM) {
    CHECK(cpu::gemm_library == "libxsmm (JIT), else Eigen");
  } else if (MODYN_USE_DNNL) {
    CHECK(cpu::gemm_library == "oneDNN (float), Eigen (double)");
  } else if (MODYN_USE_CBLAS) {
    CHECK(cpu::gemm_library == "CBLAS");
  } else {
    CHECK(cpu::gemm_library == "Eigen");
  }
}

#if MODYN_USE_LIBXSMM
// The kernel table: a shape is dispatched once per thread, then found again.
TEST_CASE("libxsmm kernels are dispatched once per shape and kept", "[backend][cpu][gemm]") {
  using modyn::detail::xsmm_kernel_table;
  using modyn::detail::xsmm_shape;
  const xsmm_shape rows_128{20, 128, 20, 20, 20, 20, LIBXSMM_GEMM_FLAG_BETA_0};
  const auto kernel = xsmm_kernel_table<float>::find(rows_128);
  REQUIRE(kernel != nullptr);
  CHECK(xsmm_kernel_table<float>::find(rows_128) == kernel);
  // More shapes than the table's probe window holds at one home: all found again.
  for (std::int32_t n = 1; n <= 300; ++n) {
    const xsmm_shape s{n, 4, 3, n, 3, n, LIBXSMM_GEMM_FLAG_BETA_0};
    const auto k = xsmm_kernel_table<double>::find(s);
    CHECK(k != nullptr);
    CHECK(xsmm_kernel_table<double>::find(s) == k);
  }
}
#endif

#if MODYN_USE_DNNL
// oneDNN (OpenMP runtime) splits a product over omp_get_max_threads()
// threads; modyn's runs on the calling thread, and the caller's setting is
// left as it was.
TEST_CASE("oneDNN's GEMM runs on the calling thread only", "[backend][cpu][gemm]") {
  const auto threads = [] {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
      n += entry.is_directory();
    return n;
  };
  const std::size_t before = threads();
  omp_set_num_threads(4);
  const std::size_t n = 256;
  std::vector<float> a(n * n, 1.0f), b(n * n, 0.5f), c(n * n);
  cpu::gemm(Transpose::no, Transpose::no, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
  CHECK(c[0] == Approx(0.5f * n));
  CHECK(omp_get_max_threads() == 4);
  CHECK(threads() == before);
}
#endif
