// Counts calls of the global operator new (plain, array, aligned, nothrow),
// which tests/compose/allocation_counter.cpp replaces for the whole
// modyn_test_compose executable. Counting is off unless a Counting is alive.
#pragma once

#include <atomic>
#include <cstddef>

namespace alloc_counter {

extern std::atomic<bool> enabled;
extern std::atomic<std::size_t> count;

// Counts the allocations made while it lives (from zero).
class Counting {
 public:
  Counting() {
    count.store(0);
    enabled.store(true);
  }
  ~Counting() { enabled.store(false); }
  Counting(const Counting&) = delete;
  Counting& operator=(const Counting&) = delete;
  std::size_t allocations() const { return count.load(); }
};

// The number of allocations f() makes.
template <class F>
std::size_t allocations_in(F&& f) {
  std::size_t n = 0;
  {
    Counting counting;
    f();
    n = counting.allocations();
  }
  return n;
}

}  // namespace alloc_counter
