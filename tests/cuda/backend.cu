// modyn::cuda's own calls, on a device: memory and copies, map with every
// argument kind and the ordered emit (against modyn::serial, bit for bit:
// the tests compile with -fmad=false), reductions to the host and kept on the
// device, gemm through cuBLAS (against the reference triple loop), Philox
// fills (against the CPU's numbers), instances, and errors.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/cuda.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"

// (::cuda is CCCL's namespace, brought in by the CUDA headers: the backend
// tag is spelt modyn::cuda, or given another name.)
using gpu = modyn::cuda;
using modyn::serial;
using modyn::Shape;
using modyn::Tensor;
using modyn::Transpose;

namespace {

template <class T>
Tensor<T, gpu> on_device(const std::vector<T>& values) {
  return Tensor<T, gpu>(Shape{values.size()}, std::span<const T>(values));
}

template <class T>
std::vector<T> on_host(const Tensor<T, gpu>& x) {
  return modyn::to<modyn::cpu>(x).to_vector();
}

std::vector<float> uniform_values(std::size_t n, unsigned seed, float low = -1.f, float high = 1.f) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<float> uniform(low, high);
  std::vector<float> v(n);
  for (float& x : v) x = uniform(generator);
  return v;
}

// Every argument kind of core/kernel_args.hpp in one pass.
struct step_kernel {
  float threshold;
  template <class V, class I, class M>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& input, const V& gain, const I& index, V& v,
                                                        I& counter, V& out, M& fired) const {
    v = v * V(0.75f) + input * gain;
    fired = v >= V(threshold);
    v = modyn::math::select(fired, V(0), v);
    counter = counter + modyn::math::select(fired, I(1), I(0)) + index % I(3);
    out = modyn::math::tanh(v) + modyn::math::exp(-v);
  }
};

struct add_strided {
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& gate, V& h) const {
    h = h + gate;
  }
};

struct scale_kernel {
  double factor;
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(V& x) const {
    x = x * V(factor);
  }
};

}  // namespace

TEST_CASE("cuda: memory round trips through the device", "[cuda][memory]") {
  const std::vector<float> values = uniform_values(1000, 1);
  const auto x = on_device(values);
  CHECK(on_host(x) == values);
  Tensor<float, gpu> y = x;  // a device-to-device copy
  CHECK(y.data() != x.data());
  CHECK(on_host(y) == values);
  CHECK(reinterpret_cast<std::uintptr_t>(x.data()) % 256 == 0);
  const auto empty = Tensor<float, gpu>::empty(Shape{0});
  CHECK(on_host(empty).empty());
  const auto zeros = Tensor<double, gpu>::zeros(Shape{3, 5});
  CHECK(on_host(zeros) == std::vector<double>(15, 0.0));
}

TEST_CASE("cuda: map with every argument kind and the emit equals modyn::serial bit for bit", "[cuda][map]") {
  constexpr std::size_t row = 37;
  for (const std::size_t rows : {1u, 3u, 1000u, 30000u}) {
    const std::size_t n = rows * row;
    INFO("n = " << n);
    const auto input = uniform_values(n, 2, 0.f, 1.f), gain = uniform_values(row, 3, 0.f, 2.f),
               v0 = uniform_values(n, 4, 0.f, 1.f);
    const std::vector<std::int32_t> counter0(n, 5);
    constexpr std::size_t first = 1000, already = 3;

    std::vector<float> v = v0, out(n);
    std::vector<std::int32_t> counter = counter0, list(n + already, -1);
    std::size_t count = already;
    serial::map(n, step_kernel{1.f}, static_cast<const float*>(input.data()),
                modyn::broadcast_row(gain.data(), row), modyn::element_index(first), v.data(), counter.data(),
                modyn::write_only(out.data()), modyn::emit_to(list.data(), count, first));

    const auto d_input = on_device(input), d_gain = on_device(gain);
    auto d_v = on_device(v0), d_out = Tensor<float, gpu>::empty(Shape{n});
    auto d_counter = on_device(counter0);
    auto d_list = Tensor<std::int32_t, gpu>::empty(Shape{n + already});
    std::size_t d_count = already;
    gpu::map(n, step_kernel{1.f}, d_input.data(), modyn::broadcast_row(d_gain.data(), row),
             modyn::element_index(first), d_v.data(), d_counter.data(), modyn::write_only(d_out.data()),
             modyn::emit_to(d_list.data(), d_count, first));

    REQUIRE(d_count == count);
    CHECK(count > already);
    CHECK(on_host(d_v) == v);
    CHECK(on_host(d_counter) == counter);
    const auto got_list = on_host(d_list);
    CHECK(std::vector<std::int32_t>(got_list.begin() + already, got_list.begin() + count) ==
          std::vector<std::int32_t>(list.begin() + already, list.begin() + count));
    // exp and tanh are modyn's own on both sides (core/math.hpp): the same bits.
    CHECK(on_host(d_out) == out);
  }
}

TEST_CASE("cuda: strided rows and a double pass", "[cuda][map]") {
  constexpr std::size_t length = 5, stride = 15, rows = 7;
  std::vector<float> gates(rows * stride);
  for (std::size_t i = 0; i < gates.size(); ++i) gates[i] = float(i);
  std::vector<float> h(rows * length, 1.f);
  const auto d_gates = on_device(gates);
  auto d_h = on_device(h);
  serial::map(h.size(), add_strided{}, modyn::strided_rows(gates.data() + length, length, stride), h.data());
  gpu::map(h.size(), add_strided{}, modyn::strided_rows(d_gates.data() + length, length, stride), d_h.data());
  CHECK(on_host(d_h) == h);

  std::vector<double> x(1001, 3.0);
  auto d_x = on_device(x);
  gpu::map(x.size(), scale_kernel{0.5}, d_x.data());
  CHECK(on_host(d_x) == std::vector<double>(1001, 1.5));
}

TEST_CASE("cuda: a broadcast row that does not divide the pass is a shape_error", "[cuda][map][errors]") {
  auto d_h = on_device(std::vector<float>(10, 0.f));
  const auto d_row = on_device(std::vector<float>(3, 1.f));
  CHECK_THROWS_AS(gpu::map(10, add_strided{}, modyn::broadcast_row(d_row.data(), 3), d_h.data()),
                  modyn::shape_error);
}

TEST_CASE("cuda: reductions to the host and kept on the device", "[cuda][reduce]") {
  for (const std::size_t n : {1u, 1000u, 3000017u}) {
    INFO("n = " << n);
    const auto values = uniform_values(n, 5);
    const auto d = on_device(values);
    double sum = 0;
    for (const float x : values) sum += x;
    CHECK(std::fabs(gpu::reduce_sum(d.data(), n) - sum) <= 1e-6 * double(n));
    CHECK(gpu::reduce_max(d.data(), n) == *std::max_element(values.begin(), values.end()));
    auto result = Tensor<float, gpu>::empty(Shape{1});
    gpu::reduce_max_into(gpu::default_instance(), d.data(), n, result.data());
    CHECK(on_host(result)[0] == *std::max_element(values.begin(), values.end()));
  }
  CHECK(gpu::reduce_sum(static_cast<const float*>(nullptr), 0) == 0.f);
  CHECK(gpu::reduce_max(static_cast<const float*>(nullptr), 0) == -std::numeric_limits<float>::infinity());
}

TEST_CASE("cuda: gemm through cuBLAS equals the reference product", "[cuda][gemm]") {
  constexpr std::size_t m = 33, n = 65, k = 47, pad = 3;
  for (const Transpose ta : {Transpose::no, Transpose::yes}) {
    for (const Transpose tb : {Transpose::no, Transpose::yes}) {
      for (const float beta : {0.f, 0.5f}) {
        INFO("transpose a " << int(ta) << ", b " << int(tb) << ", beta " << beta);
        const std::size_t lda = (ta == Transpose::yes ? m : k) + pad,
                          ldb = (tb == Transpose::yes ? k : n) + pad, ldc = n + pad;
        const auto a = uniform_values((ta == Transpose::yes ? k : m) * lda, 6),
                   b = uniform_values((tb == Transpose::yes ? n : k) * ldb, 7), bias = uniform_values(n, 8);
        auto c = uniform_values(m * ldc, 9);
        if (beta == 0.f) c[0] = std::numeric_limits<float>::quiet_NaN();  // beta == 0 never reads C
        auto d_c = on_device(c);
        const auto d_a = on_device(a), d_b = on_device(b), d_bias = on_device(bias);
        serial::gemm(ta, tb, m, n, k, 1.5f, a.data(), lda, b.data(), ldb, beta, c.data(), ldc, bias.data());
        gpu::gemm(ta, tb, m, n, k, 1.5f, d_a.data(), lda, d_b.data(), ldb, beta, d_c.data(), ldc,
                  d_bias.data());
        const auto got = on_host(d_c);
        for (std::size_t i = 0; i < m; ++i) {
          for (std::size_t j = 0; j < ldc; ++j) {
            const float want = c[i * ldc + j];
            INFO("C(" << i << ", " << j << ")");
            REQUIRE(std::fabs(got[i * ldc + j] - want) <= 1e-5f * (1.f + std::fabs(want)) * float(k));
          }
        }
      }
    }
  }
  SECTION("k = 0 scales C by beta and adds the bias") {
    auto d_c = on_device(std::vector<float>{1, 2, 3, 4});
    const auto d_bias = on_device(std::vector<float>{10, 20});
    gpu::gemm(Transpose::no, Transpose::no, 2, 2, 0, 1.f, d_c.data(), 1, d_c.data(), 2, 2.f, d_c.data(), 2,
              d_bias.data());
    CHECK(on_host(d_c) == std::vector<float>{12, 24, 16, 28});
  }
  SECTION("double") {
    const std::vector<double> a{1, 2, 3, 4, 5, 6}, b{1, 0, 0, 1, 1, 1};
    auto d_c = on_device(std::vector<double>(4));
    gpu::gemm(Transpose::no, Transpose::no, 2, 2, 3, 1.0, on_device(a).data(), 3, on_device(b).data(), 2, 0.0,
              d_c.data(), 2);
    CHECK(on_host(d_c) == std::vector<double>{4, 5, 10, 11});
  }
  SECTION("TF32 only when an instance asks for it") {
    const modyn::cuda_instance tf32({.allow_tf32 = true});
    CHECK(tf32.allows_tf32());
    CHECK_FALSE(gpu::default_instance().allows_tf32());
    const std::size_t s = 256;
    const auto a = uniform_values(s * s, 10), b = uniform_values(s * s, 11);
    std::vector<float> want(s * s);
    serial::gemm(Transpose::no, Transpose::no, s, s, s, 1.f, a.data(), s, b.data(), s, 0.f, want.data(), s);
    auto d_c = Tensor<float, gpu>::empty(Shape{s * s});
    gpu::gemm(tf32, Transpose::no, Transpose::no, s, s, s, 1.f, on_device(a).data(), s, on_device(b).data(),
              s, 0.f, d_c.data(), s);
    const auto got = on_host(d_c);
    double worst = 0;
    for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, double(std::fabs(got[i] - want[i])));
    CHECK(worst < 0.05);  // about 2^-11 relative per product, 256 terms of size <= 1
  }
}

TEST_CASE("cuda: Philox fills on the device give the CPU's numbers", "[cuda][random]") {
  for (const std::uint64_t offset : {0u, 3u, 1000001u}) {
    INFO("offset " << offset);
    modyn::Rng host(42), device(42);
    auto want = Tensor<float>::empty(Shape{1027});
    auto got = Tensor<float, gpu>::empty(Shape{1027});
    host.uniform(want, -2.f, 3.f, offset);
    device.uniform(got, -2.f, 3.f, offset);
    CHECK(on_host(got) == want.to_vector());

    auto want_i = Tensor<std::int32_t>::empty(Shape{515});
    auto got_i = Tensor<std::int32_t, gpu>::empty(Shape{515});
    host.randint(want_i, -7, 100, offset);
    device.randint(got_i, -7, 100, offset);
    CHECK(on_host(got_i) == want_i.to_vector());

    auto want_b = Tensor<double>::empty(Shape{333});
    auto got_b = Tensor<double, gpu>::empty(Shape{333});
    host.bernoulli(want_b, 0.3, offset);
    device.bernoulli(got_b, 0.3, offset);
    CHECK(on_host(got_b) == want_b.to_vector());

    auto want_n = Tensor<float>::empty(Shape{1001});
    auto got_n = Tensor<float, gpu>::empty(Shape{1001});
    host.normal(want_n, 1.f, 2.f, offset);
    device.normal(got_n, 1.f, 2.f, offset);
    const auto n = on_host(got_n);
    for (std::size_t i = 0; i < n.size(); ++i) {
      REQUIRE(std::fabs(n[i] - want_n.to_vector()[i]) <= 4e-7f * (1.f + std::fabs(n[i])));
    }
  }
}

TEST_CASE("cuda: kernels run on the instance a Context names", "[cuda][instance]") {
  const modyn::cuda_instance mine;
  CHECK(&gpu::instance_of(modyn::ExecutionInstances{.cuda = &mine}) == &mine);
  CHECK(&gpu::instance_of(modyn::ExecutionInstances{}) == &gpu::default_instance());
  CHECK(mine.stream() != gpu::default_instance().stream());
  auto x = on_device(std::vector<double>(100, 2.0));
  gpu::fence();  // x was written on the default instance's stream
  gpu::map(mine, 100, scale_kernel{3.0}, x.data());
  mine.fence();
  CHECK(on_host(x) == std::vector<double>(100, 6.0));
}

TEST_CASE("cuda: failures are device_error naming the call and the error", "[cuda][errors]") {
  try {
    (void)gpu::allocate<float>(std::size_t(1) << 45);  // 128 TiB
    FAIL("no error");
  } catch (const modyn::device_error& e) {
    const std::string what = e.what();
    CHECK(what.find("cudaMallocAsync") != std::string::npos);
    CHECK(what.find("cudaErrorMemoryAllocation") != std::string::npos);
  }
  try {
    const modyn::cuda_instance nowhere({.device = 4096});
    FAIL("no error");
  } catch (const modyn::device_error& e) {
    CHECK(std::string(e.what()).find("cudaErrorInvalidDevice") != std::string::npos);
  }
  CHECK_THROWS_AS(gpu::gemm(Transpose::no, Transpose::no, std::size_t(1) << 32, 1, 1, 1.f,
                            static_cast<const float*>(nullptr), 1, static_cast<const float*>(nullptr), 1, 0.f,
                            static_cast<float*>(nullptr), 1),
                  modyn::config_error);
}
