// Host memory from the aligned heap: the allocation of the host backends
// (cpu, serial), 64-byte (cache-line, AVX-512 vector) aligned.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>

namespace modyn::detail {

struct aligned_heap {
  static constexpr std::size_t alignment = 64;

  template <class T>
  static T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>,
                  "modyn: host backends hold trivially copyable elements only");
    if (n == 0) return nullptr;
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{alignment}));
  }

  template <class T>
  static void deallocate(T* p, std::size_t /*n*/) noexcept {
    if (p) ::operator delete (p, std::align_val_t{alignment});
  }
};

}  // namespace modyn::detail
