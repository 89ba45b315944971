// cpu::map over every argument kind of core/kernel_args.hpp, checked against
// plain loops: element_index, broadcast_row, strided_rows, arrays of
// different element types of one width, and the ordered emit channel.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"

namespace {

using modyn::cpu;

// Sizes around the vector width: empty, shorter, exact, with a tail.
std::vector<std::size_t> sizes() {
  constexpr std::size_t w = xsimd::batch<float>::size;
  return {0, 1, w - 1, w, w + 1, 3 * w + 5, 1000};
}

struct store_index {
  template <class Vec, class Index>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& out, const Index& i) const {
    if constexpr (std::is_arithmetic_v<Vec>)
      out = static_cast<Vec>(i);
    else
      out = xsimd::batch_cast<float>(i);
  }
};

struct threshold_emit {
  float threshold;
  template <class Vec, class Mask>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& v, Mask& fired) const {
    fired = v > Vec(threshold);
  }
};

struct fire {
  template <class Vec, class Mask>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Mask& m) const {
    m = x > Vec(0.5);
  }
};

struct add_row {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x, const Vec& row) const {
    x = x + row;
  }
};

struct counter_and_value {
  float limit;
  template <class Vec, class IntVec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, IntVec& count) const {
    v = modyn::math::select(v > Vec(limit), Vec(0), v + Vec(1));
    count = count * IntVec(3) + IntVec(1);
  }
};

struct gate_sum {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, const Vec& b, Vec& out) const {
    out = a * Vec(10) + b;
  }
};

}  // namespace

TEST_CASE("map: element_index gives first + i", "[backend][map][index]") {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    std::vector<float> out(n, -1.0f);
    cpu::map(n, store_index{}, modyn::write_only(out.data()), modyn::element_index(7));
    for (std::size_t i = 0; i < n; ++i) REQUIRE(out[i] == static_cast<float>(7 + i));
  }
}

TEST_CASE("map: emit_to lists the elements the kernel set, in index order", "[backend][map][emit]") {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>((i * 37) % 11);  // 8, 9, 10 fire
    std::vector<std::int32_t> list(n + 1, -1);
    std::size_t count = 1;  // appends after what is there
    list[0] = 99;
    cpu::map(n, threshold_emit{7.5f}, static_cast<const float*>(v.data()),
             modyn::emit_to(list.data(), count, 100));
    std::vector<std::int32_t> expected{99};
    for (std::size_t i = 0; i < n; ++i)
      if (v[i] > 7.5f) expected.push_back(static_cast<std::int32_t>(100 + i));
    REQUIRE(count == expected.size());
    list.resize(count);
    REQUIRE(list == expected);  // padding lanes of the tail never emit
  }
}

TEST_CASE("map: emit_to with 64-bit indices over doubles", "[backend][map][emit]") {
  const std::size_t n = 29;
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = (i % 3 == 0) ? 1.0 : 0.0;
  std::vector<std::int64_t> list(n);
  std::size_t count = 0;
  cpu::map(n, fire{}, static_cast<const double*>(v.data()), modyn::emit_to(list.data(), count));
  REQUIRE(count == 10);
  for (std::size_t k = 0; k < count; ++k) REQUIRE(list[k] == static_cast<std::int64_t>(3 * k));
}

TEST_CASE("map: broadcast_row reads one row for every row of the pass", "[backend][map][broadcast]") {
  for (const std::size_t length : {std::size_t{1}, std::size_t{5}, std::size_t{16}, std::size_t{37}}) {
    const std::size_t rows = 4;
    std::vector<float> x(rows * length), row(length);
    std::iota(x.begin(), x.end(), 0.0f);
    std::iota(row.begin(), row.end(), 1000.0f);
    cpu::map(rows * length, add_row{}, x.data(),
             modyn::broadcast_row(static_cast<const float*>(row.data()), length));
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < length; ++j)
        REQUIRE(x[r * length + j] == static_cast<float>(r * length + j) + 1000.0f + static_cast<float>(j));
  }
}

TEST_CASE("map: broadcast rows must divide the pass and agree", "[backend][map][broadcast]") {
  std::vector<float> x(10), row(3), other(4);
  const auto* r = static_cast<const float*>(row.data());
  REQUIRE_THROWS_AS(cpu::map(10, add_row{}, x.data(), modyn::broadcast_row(r, 3)), modyn::shape_error);
  const auto message = [&] {
    try {
      cpu::map(12, gate_sum{}, modyn::broadcast_row(r, 3),
               modyn::broadcast_row(static_cast<const float*>(other.data()), 4), modyn::write_only(x.data()));
    } catch (const modyn::shape_error& e) {
      return std::string(e.what());
    }
    return std::string();
  }();
  CHECK_THAT(message, Catch::Contains("lengths 3 and 4"));
}

TEST_CASE("map: strided_rows reads rows that lie stride apart", "[backend][map][strided]") {
  // A (rows, 2 L) buffer holding two gates side by side, as a GEMM gives.
  const std::size_t rows = 3, length = 21, stride = 2 * length;
  std::vector<float> gates(rows * stride), out(rows * length);
  std::iota(gates.begin(), gates.end(), 0.0f);
  const float* g = gates.data();
  cpu::map(rows * length, gate_sum{}, modyn::strided_rows(g, length, stride),
           modyn::strided_rows(g + length, length, stride), modyn::write_only(out.data()));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < length; ++j)
      REQUIRE(out[r * length + j] == 10.0f * gates[r * stride + j] + gates[r * stride + length + j]);
}

TEST_CASE("map: a stride of 0 broadcasts a row", "[backend][map][strided]") {
  const std::size_t rows = 5, length = 18;
  std::vector<float> row(length), other(rows * length), out(rows * length);
  std::iota(row.begin(), row.end(), 0.0f);
  std::iota(other.begin(), other.end(), 0.0f);
  cpu::map(rows * length, gate_sum{}, modyn::strided_rows(static_cast<const float*>(row.data()), length, 0),
           modyn::strided_rows(static_cast<const float*>(other.data()), length, length),
           modyn::write_only(out.data()));
  for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == 10.0f * row[i % length] + other[i]);
}

TEST_CASE("map: float and int32 arrays in one pass", "[backend][map][mixed]") {
  for (const std::size_t n : sizes()) {
    INFO("n = " << n);
    std::vector<float> v(n);
    std::vector<std::int32_t> count(n, 5);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 4);
    std::vector<float> v_expected = v;
    std::vector<std::int32_t> count_expected = count;
    for (std::size_t i = 0; i < n; ++i) {
      v_expected[i] = v_expected[i] > 2.5f ? 0.0f : v_expected[i] + 1.0f;
      count_expected[i] = count_expected[i] * 3 + 1;
    }
    cpu::map(n, counter_and_value{2.5f}, v.data(), count.data());
    REQUIRE(v == v_expected);
    REQUIRE(count == count_expected);
  }
}

TEST_CASE("map: the instance form runs on the given execution instance", "[backend][map][instance]") {
  std::vector<float> x(20, 1.0f), row(20, 2.0f);
  const modyn::ExecutionInstances none{};
  cpu::map(cpu::instance_of(none), 20, add_row{}, x.data(),
           modyn::broadcast_row(static_cast<const float*>(row.data()), 20));
  REQUIRE(x == std::vector<float>(20, 3.0f));
  const modyn::cpu_instance mine{};
  const modyn::ExecutionInstances given{&mine};
  REQUIRE(&cpu::instance_of(given) == &mine);
  REQUIRE(&cpu::instance_of(none) == &cpu::default_instance());
}

TEST_CASE("map: emit_to with 64-bit indices over floats (16 lanes)", "[backend][map][emit]") {
  const std::size_t n = 77;
  std::vector<float> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = (i % 5 == 1 || i % 16 == 15) ? 1.0f : 0.0f;
  std::vector<std::int64_t> list(n, -1);
  std::size_t count = 0;
  cpu::map(n, threshold_emit{0.5f}, static_cast<const float*>(v.data()),
           modyn::emit_to(list.data(), count, 1000));
  std::vector<std::int64_t> expected;
  for (std::size_t i = 0; i < n; ++i)
    if (v[i] > 0.5f) expected.push_back(static_cast<std::int64_t>(1000 + i));
  REQUIRE(count == expected.size());
  list.resize(count);
  REQUIRE(list == expected);
}
