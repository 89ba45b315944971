// modyn::pseudo_device's own behaviour: its memory is closed to the host
// (a dereference from host code dies of SIGSEGV, checked in a forked child),
// opened only for the backend's own calls, reached only through copies;
// misuse (a host pointer given as device memory, a range past an
// allocation) throws; tensors move to it and back with modyn::to<B>().
// Its kernels against cpu's are in serial.cpp, with modyn::serial's.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <modyn/backend/cpu.hpp>
#include <modyn/backend/pseudo_device.hpp>
#include <modyn/backend/serial.hpp>
#include <modyn/core/error.hpp>
#include <modyn/core/random.hpp>
#include <modyn/core/tensor.hpp>
#include <modyn/core/tensor_transfer.hpp>
#include <span>
#include <vector>

namespace {

using modyn::pseudo_device;
using modyn::Shape;
using modyn::Tensor;

// How a child process that runs `body` ends: the signal that killed it, or
// 0 when it exited normally. The child restores the default SIGSEGV action
// (Catch2 and the sanitizers install handlers that would report and exit).
template <class Body>
int death_signal(Body body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGSEGV, &action, nullptr);
    ::sigaction(SIGBUS, &action, nullptr);
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return WTERMSIG(status);
  return 0;
}

// Reads through a pointer as host code would (volatile: the read happens).
template <class T>
T host_read(const T* p) {
  return *static_cast<const volatile T*>(p);
}

struct add_one {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = x + Vec(1);
  }
};

struct sum_into {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, Vec& b) const {
    b = b + a;
  }
};

}  // namespace

TEST_CASE("pseudo_device: a host dereference of device memory dies of SIGSEGV", "[backend][pseudo_device]") {
  auto x = Tensor<float, pseudo_device>::full(Shape{10}, 3.0f);
  const float* p = x.data();
  REQUIRE(pseudo_device::owns(p));
  SECTION("read") {
    REQUIRE(death_signal([p] { (void)host_read(p + 5); }) == SIGSEGV);
  }
  SECTION("write") {
    float* w = x.data();
    REQUIRE(death_signal([w] { *static_cast<volatile float*>(w) = 1.0f; }) == SIGSEGV);
  }
  SECTION("after the backend's own calls, the memory is closed again") {
    pseudo_device::map(x.size(), add_one{}, x.data());
    REQUIRE(pseudo_device::reduce_sum(p, x.size()) == 40.0f);
    auto y = Tensor<float, pseudo_device>(x);  // copy
    REQUIRE(y.to_vector() == std::vector<float>(10, 4.0f));
    REQUIRE(death_signal([p] { (void)host_read(p); }) == SIGSEGV);
    const float* q = y.data();
    REQUIRE(death_signal([q] { (void)host_read(q + 9); }) == SIGSEGV);
  }
  SECTION("control: the same read of host memory, or through copy_to_host, lives") {
    const auto host = modyn::to<modyn::cpu>(x);
    const float* h = host.data();
    REQUIRE(death_signal([h] { (void)host_read(h + 5); }) == 0);
    REQUIRE(death_signal([p] {
              float value = 0;
              pseudo_device::copy_to_host(p + 5, &value, 1);
              if (value != 3.0f) ::_exit(1);
            }) == 0);
  }
}

TEST_CASE("pseudo_device: memory is whole pages, registered while live", "[backend][pseudo_device][memory]") {
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  float* p = pseudo_device::allocate<float>(3);
  double* q = pseudo_device::allocate<double>(5000);  // more than a page
  REQUIRE(reinterpret_cast<std::uintptr_t>(p) % page == 0);
  REQUIRE(reinterpret_cast<std::uintptr_t>(q) % page == 0);
  REQUIRE(pseudo_device::owns(p));
  REQUIRE(pseudo_device::owns(p + 2));
  REQUIRE(pseudo_device::owns(q + 4999));
  std::vector<float> host(3, 0.0f);
  REQUIRE_FALSE(pseudo_device::owns(host.data()));
  pseudo_device::deallocate(p, 3);
  pseudo_device::deallocate(q, 5000);
  REQUIRE_FALSE(pseudo_device::owns(p));
  REQUIRE(pseudo_device::allocate<float>(0) == nullptr);
  pseudo_device::deallocate(static_cast<float*>(nullptr), 0);
}

TEST_CASE("pseudo_device: copies in, within and out", "[backend][pseudo_device][memory]") {
  const std::vector<std::int32_t> values{1, -2, 3, -4, 5, -6, 7};
  auto* d = pseudo_device::allocate<std::int32_t>(values.size());
  auto* e = pseudo_device::allocate<std::int32_t>(values.size());
  pseudo_device::copy_from_host(values.data(), d, values.size());
  pseudo_device::copy(d, e, values.size());
  pseudo_device::copy(d + 1, d, 4);  // overlapping, within one allocation
  std::vector<std::int32_t> back(values.size()), back_e(values.size());
  pseudo_device::copy_to_host(d, back.data(), back.size());
  pseudo_device::copy_to_host(e, back_e.data(), back_e.size());
  REQUIRE(back == std::vector<std::int32_t>{-2, 3, -4, 5, 5, -6, 7});
  REQUIRE(back_e == values);
  // Copies of nothing accept null pointers.
  pseudo_device::copy(static_cast<const float*>(nullptr), static_cast<float*>(nullptr), 0);
  pseudo_device::copy_to_host(static_cast<const float*>(nullptr), static_cast<float*>(nullptr), 0);
  pseudo_device::deallocate(d, values.size());
  pseudo_device::deallocate(e, values.size());
}

TEST_CASE("pseudo_device: host pointers and out-of-range arguments are rejected",
          "[backend][pseudo_device]") {
  std::vector<float> host(8, 1.0f);
  auto device = Tensor<float, pseudo_device>::zeros(Shape{8});
  // A host array given to a kernel, as on a GPU, is an error.
  REQUIRE_THROWS_AS(pseudo_device::map(8, add_one{}, host.data()), modyn::error);
  REQUIRE_THROWS_AS(pseudo_device::map(8, sum_into{}, static_cast<const float*>(host.data()), device.data()),
                    modyn::error);
  REQUIRE_THROWS_WITH(pseudo_device::copy(static_cast<const float*>(host.data()), device.data(), 8),
                      Catch::Contains("not memory of modyn::pseudo_device"));
  REQUIRE_THROWS_AS(pseudo_device::reduce_sum(static_cast<const float*>(host.data()), 8), modyn::error);
  REQUIRE_THROWS_AS(pseudo_device::gemm(modyn::Transpose::no, modyn::Transpose::no, 2, 2, 2, 1.0f,
                                        static_cast<const float*>(host.data()), 2,
                                        static_cast<const float*>(device.data()), 2, 0.0f, device.data(), 2),
                    modyn::error);
  // The host side of a copy must be host memory.
  REQUIRE_THROWS_AS(pseudo_device::copy_to_host(static_cast<const float*>(device.data()), device.data(), 8),
                    modyn::error);
  REQUIRE_THROWS_AS(pseudo_device::copy_from_host(static_cast<const float*>(device.data()), device.data(), 8),
                    modyn::error);
  // A range past the end of its allocation.
  REQUIRE_THROWS_WITH(pseudo_device::map(9, add_one{}, device.data()), Catch::Contains("past the end"));
  REQUIRE_THROWS_AS(pseudo_device::copy_to_host(static_cast<const float*>(device.data()) + 4, host.data(), 5),
                    modyn::error);
  // A failed call opened nothing and changed nothing.
  REQUIRE(device.to_vector() == std::vector<float>(8, 0.0f));
  const float* p = device.data();
  REQUIRE(death_signal([p] { (void)host_read(p); }) == SIGSEGV);
}

TEST_CASE("pseudo_device: one allocation given twice to a call is opened and closed once each",
          "[backend][pseudo_device]") {
  auto x = Tensor<float, pseudo_device>::full(Shape{6}, 2.0f);
  pseudo_device::map(3, sum_into{}, static_cast<const float*>(x.data()), x.data() + 3);
  REQUIRE(x.to_vector() == std::vector<float>{2, 2, 2, 4, 4, 4});
  const float* p = x.data();
  REQUIRE(death_signal([p] { (void)host_read(p + 3); }) == SIGSEGV);
}

TEST_CASE("pseudo_device: tensors move with modyn::to and come back unchanged",
          "[backend][pseudo_device][tensor]") {
  const Tensor<float> host{{1.5f, -2.0f, 3.25f}, {4.0f, 5.0f, -6.5f}};
  const auto device = modyn::to<pseudo_device>(host);
  REQUIRE(device.shape() == host.shape());
  REQUIRE(pseudo_device::owns(device.data()));
  const auto serial = modyn::to<modyn::serial>(device);
  REQUIRE(serial.shape() == Shape{2, 3});
  REQUIRE(serial(1, 2) == -6.5f);
  const auto back = modyn::to<modyn::cpu>(modyn::to<pseudo_device>(serial));
  REQUIRE(back == host);
  // Tensor operations that stay on the device: copy, view copy, reshape, item.
  const auto copy = device;
  const Tensor<float, pseudo_device> row(device[1]);
  REQUIRE(row.to_vector() == std::vector<float>{4.0f, 5.0f, -6.5f});
  REQUIRE(Tensor<float, pseudo_device>(copy.reshape(Shape{6, 1})[4]).item() == 5.0f);
  REQUIRE(modyn::to<modyn::cpu>(copy) == host);
  const auto ints = modyn::to<pseudo_device>(Tensor<std::int32_t>(Shape{3}, {7, -8, 9}));
  REQUIRE(modyn::to<modyn::cpu>(ints).to_vector() == std::vector<std::int32_t>{7, -8, 9});
}

// Fills of memory the host cannot address are drawn where it lies, one
// element per kernel call (the form a GPU thread runs, core/random.hpp's
// fill_kernel): the same numbers as the CPU's vectorized generator, for
// every distribution, element type and offset (normal too: on this host,
// the same libm).
TEST_CASE("pseudo_device: Rng fills drawn one element per call equal cpu's",
          "[backend][pseudo_device][random]") {
  using modyn::Rng;
  using modyn::Shape;
  using modyn::Tensor;
  using device = modyn::pseudo_device;
  for (const std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{3}, std::uint64_t{1000001}}) {
    INFO("offset " << offset);
    Rng host(42), on_device(42);
    auto want = Tensor<float>::empty(Shape{1027});
    auto got = Tensor<float, device>::empty(Shape{1027});
    host.uniform(want, -2.f, 3.f, offset);
    on_device.uniform(got, -2.f, 3.f, offset);
    CHECK(modyn::to<modyn::cpu>(got).to_vector() == want.to_vector());

    auto want_n = Tensor<double>::empty(Shape{77});
    auto got_n = Tensor<double, device>::empty(Shape{77});
    host.normal(want_n, 1.0, 2.0, offset);
    on_device.normal(got_n, 1.0, 2.0, offset);
    CHECK(modyn::to<modyn::cpu>(got_n).to_vector() == want_n.to_vector());

    auto want_i = Tensor<std::int32_t>::empty(Shape{515});
    auto got_i = Tensor<std::int32_t, device>::empty(Shape{515});
    host.randint(want_i, -7, 100, offset);
    on_device.randint(got_i, -7, 100, offset);
    CHECK(modyn::to<modyn::cpu>(got_i).to_vector() == want_i.to_vector());

    // One-byte elements: passes of at most 127 elements (an int8 index).
    auto want_b = Tensor<std::uint8_t>::empty(Shape{300});
    auto got_b = Tensor<std::uint8_t, device>::empty(Shape{300});
    host.bernoulli(want_b, 0.3, offset);
    on_device.bernoulli(got_b, 0.3, offset);
    CHECK(modyn::to<modyn::cpu>(got_b).to_vector() == want_b.to_vector());
  }
}
