// The emit channel's count is kept in a local of each range's loop and
// written back once per range (backend/detail/map_engine.hpp, emit_local):
// the list and the count must be those of one index at a time, whether the
// pass is one range, emits only in its tail, emits nothing, or is split into
// ranges on a team of threads that emit unevenly (the first nothing, one
// every element, the last a partial vector).
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/serial.hpp"

namespace {

// Emits where x > 0, and writes x + 1.
struct emit_positive {
  template <class Vec, class Mask>
  void operator()(const Vec& x, Vec& y, Mask& fired) const {
    y = x + Vec(1.f);
    fired = x > Vec(0.f);
  }
};

// The indices first + i where x[i] > 0, in order.
std::vector<std::int32_t> positive(const std::vector<float>& x, std::size_t first) {
  std::vector<std::int32_t> out;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] > 0.f) out.push_back(static_cast<std::int32_t>(first + i));
  return out;
}

// Runs the pass on `on` into a list that already holds `held` entries (7s);
// checks the count, the held entries, the appended ones and, on one thread,
// that nothing past them is written (a team's ranges write at their own
// places, then move their indices together: what lies past the count is
// unspecified).
template <class B, class... On>
void check_emit(const std::vector<float>& x, std::size_t held, std::size_t first, const On&... on) {
  const std::size_t n = x.size();
  std::vector<float> y(n);
  std::vector<std::int32_t> list(held + n + 4, -1);
  for (std::size_t k = 0; k < held; ++k) list[k] = 7;
  std::size_t count = held;
  B::map(on..., n, emit_positive{}, x.data(), modyn::write_only(y.data()),
         modyn::emit_to(list.data(), count, first));
  const std::vector<std::int32_t> expected = positive(x, first);
  REQUIRE(count == held + expected.size());
  CHECK(std::vector<std::int32_t>(list.begin(), list.begin() + std::ptrdiff_t(held)) ==
        std::vector<std::int32_t>(held, 7));
  CHECK(std::vector<std::int32_t>(list.begin() + std::ptrdiff_t(held),
                                  list.begin() + std::ptrdiff_t(count)) == expected);
  if constexpr (sizeof...(On) == 0) {
    CHECK(std::vector<std::int32_t>(list.begin() + std::ptrdiff_t(count), list.end()) ==
          std::vector<std::int32_t>(list.size() - count, -1));
  }
  bool values = true;
  for (std::size_t i = 0; i < n; ++i) values = values && y[i] == x[i] + 1.f;
  CHECK(values);
}

// n elements: none positive before `from`, every one from `from` to `to`,
// every third after.
std::vector<float> pattern(std::size_t n, std::size_t from, std::size_t to) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = (i >= from && (i < to || i % 3 == 0)) ? 1.f : -1.f;
  return x;
}

}  // namespace

TEST_CASE("An emit pass counts each range's indices once, in order", "[backend][cpu][emit]") {
  SECTION("emits only in the partial tail") {
    check_emit<modyn::cpu>(pattern(37, 33, 37), 0, 0);
    check_emit<modyn::serial>(pattern(37, 33, 37), 0, 0);
  }
  SECTION("emits nothing: the count stays what the list held") {
    check_emit<modyn::cpu>(std::vector<float>(53, -1.f), 3, 0);
    check_emit<modyn::serial>(std::vector<float>(53, -1.f), 3, 0);
  }
  SECTION("appends after held entries, from a first index") {
    check_emit<modyn::cpu>(pattern(1001, 10, 400), 5, 1000);
    check_emit<modyn::serial>(pattern(1001, 10, 400), 5, 1000);
  }
  SECTION("two passes into one list: the second appends after the first") {
    std::vector<std::int32_t> list(200, -1);
    std::size_t count = 0;
    const std::vector<float> a = pattern(100, 50, 60), b = pattern(100, 0, 100);
    std::vector<float> y(100);
    modyn::cpu::map(100, emit_positive{}, a.data(), modyn::write_only(y.data()),
                    modyn::emit_to(list.data(), count));
    const std::size_t after_first = count;
    modyn::cpu::map(100, emit_positive{}, b.data(), modyn::write_only(y.data()),
                    modyn::emit_to(list.data(), count, 100));
    std::vector<std::int32_t> expected = positive(a, 0);
    const std::vector<std::int32_t> second = positive(b, 100);
    CHECK(after_first == expected.size());
    expected.insert(expected.end(), second.begin(), second.end());
    REQUIRE(count == expected.size());
    CHECK(std::vector<std::int32_t>(list.begin(), list.begin() + std::ptrdiff_t(count)) == expected);
  }
}

#if MODYN_WITH_OPENMP
TEST_CASE("A team's ranges emit unevenly and the list is one thread's", "[backend][cpu][threads][emit]") {
  // 64-element blocks: with 3 threads over 2000 elements the first range
  // (elements 0 .. 639) emits nothing, the second everything, the third
  // every third element and ends on a partial vector.
  const std::size_t n = 2000;
  for (const int threads : {2, 3}) {
    INFO(threads << " threads");
    const modyn::cpu_instance team{.threads = threads, .grain = 64};
    REQUIRE(team.splits(n));
    check_emit<modyn::cpu>(pattern(n, 700, 1300), 0, 0, team);
    check_emit<modyn::cpu>(pattern(n, 700, 1300), 9, 4000, team);
    check_emit<modyn::cpu>(std::vector<float>(n, -1.f), 2, 0, team);
    check_emit<modyn::cpu>(std::vector<float>(n, 1.f), 0, 0, team);
  }
}
#endif
