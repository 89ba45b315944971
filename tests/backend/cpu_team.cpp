// cpu_instance teams (the OpenMP component): a pass split over threads gives
// the bits one thread gives, emitted indices included, in order; rows stay
// whole; short passes stay on the calling thread. Without the component, a
// team is a config_error that says what to link.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"

using Catch::Matchers::Contains;
using modyn::Tensor;

namespace {

// y = x * a + 1 (a from a broadcast row), and emits where y > 1.5.
struct scale_and_emit {
  template <class Vec, class Mask>
  void operator()(const Vec& x, const Vec& a, Vec& y, Mask& fired) const {
    y = x * a + Vec(1.f);
    fired = y > Vec(1.5f);
  }
};

}  // namespace

#if MODYN_WITH_OPENMP
TEST_CASE("A pass on a team of threads gives one thread's bits and emits in order",
          "[backend][cpu][threads]") {
  modyn::Rng rng(3);
  const std::size_t rows = 97, length = 1001, n = rows * length;  // odd sizes: partial vectors everywhere
  const Tensor<float> x = rng.uniform<float>({n});
  const Tensor<float> a = rng.uniform<float>({length}, 0.f, 1.f);
  for (const int threads : {2, 3}) {
    INFO(threads << " threads");
    const modyn::cpu_instance team{.threads = threads, .grain = 64};
    Tensor<float> y1 = Tensor<float>::empty({n}), y2 = Tensor<float>::empty({n});
    std::vector<std::int32_t> list1(n + 5), list2(n + 5);
    std::size_t count1 = 5, count2 = 5;  // appended after what the lists hold
    modyn::cpu::map(n, scale_and_emit{}, x.data(), modyn::broadcast_row(a.data(), length),
                    modyn::write_only(y1.data()), modyn::emit_to(list1.data(), count1));
    modyn::cpu::map(team, n, scale_and_emit{}, x.data(), modyn::broadcast_row(a.data(), length),
                    modyn::write_only(y2.data()), modyn::emit_to(list2.data(), count2));
    CHECK(y1 == y2);
    REQUIRE(count1 == count2);
    CHECK(count1 > 1000);
    CHECK(std::vector<std::int32_t>(list1.begin() + 5, list1.begin() + std::ptrdiff_t(count1)) ==
          std::vector<std::int32_t>(list2.begin() + 5, list2.begin() + std::ptrdiff_t(count2)));
  }
}

TEST_CASE("A pass shorter than threads x grain stays on the calling thread", "[backend][cpu][threads]") {
  const modyn::cpu_instance team{.threads = 2, .grain = 1000};
  CHECK_FALSE(team.splits(1999));
  CHECK(team.splits(2000));
  CHECK_FALSE(modyn::cpu_instance{}.splits(1 << 30));
}
#else
TEST_CASE("Without the OpenMP component a team of threads is a config_error", "[backend][cpu][threads]") {
  const modyn::cpu_instance team{.threads = 2};
  Tensor<float> y = Tensor<float>::zeros({10});
  CHECK_THROWS_WITH(modyn::cpu::map(
                        team, 10, [](auto& v) { v = v + 1.f; }, y.data()),
                    Contains("needs the OpenMP component") && Contains("modyn::openmp"));
}
#endif
