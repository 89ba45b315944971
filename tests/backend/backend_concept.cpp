// The memory functions of the CPU backend (the Backend concept itself is
// checked at compile time in tests/compile_only/backend_concept.cpp).
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <modyn/backend/backend.hpp>
#include <modyn/backend/cpu.hpp>
#include <numeric>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

TEST_CASE("cpu: name and write_only", "[backend][cpu]") {
  // As a std::string: the Catch2 main of the tests may be built without
  // Catch's string_view support (clang defaults to C++14 for it).
  CHECK(std::string(modyn::cpu::name) == "cpu");

  float x = 0;
  const modyn::write_only_ptr<float> w = modyn::write_only(&x);
  CHECK(w.ptr == &x);
}

TEMPLATE_TEST_CASE("cpu::allocate returns 64-byte aligned memory", "[backend][cpu][memory]", char, float,
                   double, std::int32_t, std::int64_t) {
  using T = TestType;
  const std::size_t n = GENERATE(as<std::size_t>{}, 1, 3, 17, 1000, 100000);
  // Several allocations in a row, so that a lucky first one proves nothing.
  std::vector<T*> blocks;
  for (int i = 0; i < 8; ++i) {
    T* p = modyn::cpu::allocate<T>(n);
    REQUIRE(p != nullptr);
    INFO("n = " << n << ", address = " << static_cast<const void*>(p));
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 64 == 0);
    // The whole block is usable (a sanitizer checks the bounds).
    for (std::size_t j = 0; j < n; ++j) p[j] = T(j % 100);
    CHECK(p[n - 1] == T((n - 1) % 100));
    blocks.push_back(p);
  }
  for (T* p : blocks) modyn::cpu::deallocate(p, n);
}

TEST_CASE("cpu::allocate(0) is nullptr and deallocate(nullptr) is a no-op", "[backend][cpu][memory]") {
  CHECK(modyn::cpu::allocate<float>(0) == nullptr);
  CHECK(modyn::cpu::allocate<double>(0) == nullptr);
  modyn::cpu::deallocate<float>(nullptr, 0);
  modyn::cpu::deallocate<float>(nullptr, 5);
}

TEST_CASE("cpu copies", "[backend][cpu][memory]") {
  const std::size_t n = GENERATE(as<std::size_t>{}, 1, 15, 16, 17, 1000);
  std::vector<float> src(n);
  std::iota(src.begin(), src.end(), 1.5f);
  float* device = modyn::cpu::allocate<float>(n);
  std::vector<float> back(n + 1, -1.0f);

  SECTION("copy_from_host then copy_to_host") {
    modyn::cpu::copy_from_host(src.data(), device, n);
    modyn::cpu::copy_to_host(static_cast<const float*>(device), back.data(), n);
  }
  SECTION("copy between buffers") {
    float* other = modyn::cpu::allocate<float>(n);
    modyn::cpu::copy_from_host(src.data(), other, n);
    modyn::cpu::copy(static_cast<const float*>(other), device, n);
    modyn::cpu::deallocate(other, n);
    modyn::cpu::copy(static_cast<const float*>(device), back.data(), n);
  }
  INFO("n = " << n);
  CHECK(std::vector<float>(back.begin(), back.begin() + static_cast<std::ptrdiff_t>(n)) == src);
  CHECK(back[n] == -1.0f);  // nothing past n is written
  modyn::cpu::deallocate(device, n);
}

TEST_CASE("cpu copies of nothing accept null pointers", "[backend][cpu][memory]") {
  std::vector<double> dst = {1.0, 2.0};
  modyn::cpu::copy<double>(nullptr, nullptr, 0);
  modyn::cpu::copy_to_host<double>(nullptr, dst.data(), 0);
  modyn::cpu::copy_from_host<double>(nullptr, dst.data(), 0);
  CHECK(dst == std::vector<double>{1.0, 2.0});
}

TEST_CASE("cpu::copy of a part of a buffer", "[backend][cpu][memory]") {
  std::vector<std::int32_t> a = {1, 2, 3, 4, 5, 6}, b(6, 0);
  modyn::cpu::copy(static_cast<const std::int32_t*>(a.data() + 2), b.data() + 1, 3);
  CHECK(b == std::vector<std::int32_t>{0, 3, 4, 5, 0, 0});
}
