// Counts calls of the global operator new (plain, array, aligned, nothrow)
// and, without sanitizers, of malloc and its family, which
// tests/compose/allocation_counter.cpp replaces for the whole
// modyn_test_compose executable. Counting is off unless a Counting is alive.
#pragma once

#include <atomic>
#include <cstddef>

// malloc and its family are replaced, and counted, where no sanitizer
// replaces them itself (glibc only).
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define MODYN_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MODYN_TEST_SANITIZED 1
#endif
#if defined(__GLIBC__) && !defined(MODYN_TEST_SANITIZED)
#define MODYN_TEST_COUNTS_MALLOC 1
#else
#define MODYN_TEST_COUNTS_MALLOC 0
#endif

namespace alloc_counter {

// Whether malloc is counted (else operator new only).
inline constexpr bool counts_malloc = MODYN_TEST_COUNTS_MALLOC;

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
