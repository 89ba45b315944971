// Replaceable global operator new / delete that count allocations (see
// allocation_counter.hpp). They allocate with std::malloc / std::aligned_alloc
// and release with std::free, so sanitizers (which intercept malloc) still
// see every block. Without a sanitizer, the C allocation functions are
// replaced too (glibc's documented way: malloc, free, calloc, realloc and
// the aligned ones, forwarding to glibc's own), so that a library's malloc
// (Eigen's temporaries, a BLAS's buffers) is counted as well.
#include "compose/allocation_counter.hpp"

#include <cstdlib>
#include <new>

namespace alloc_counter {
std::atomic<bool> enabled{false};
std::atomic<std::size_t> count{0};
}  // namespace alloc_counter

namespace {

void note() noexcept {
  if (alloc_counter::enabled.load(std::memory_order_relaxed)) {
    alloc_counter::count.fetch_add(1, std::memory_order_relaxed);
  }
}

// Where malloc itself is counted (below), operator new is counted there.
void note_new() noexcept {
  if constexpr (!alloc_counter::counts_malloc) note();
}

void* plain_allocate(std::size_t size) noexcept {
  note_new();
  return std::malloc(size ? size : 1);
}

void* aligned_allocate(std::size_t size, std::align_val_t align) noexcept {
  note_new();
  std::size_t alignment = static_cast<std::size_t>(align);
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  // aligned_alloc wants a size that is a multiple of the alignment (ASan checks it).
  std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  return std::aligned_alloc(alignment, rounded);
}

void* or_throw(void* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace

void* operator new(std::size_t size) { return or_throw(plain_allocate(size)); }
void* operator new[](std::size_t size) { return or_throw(plain_allocate(size)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return plain_allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return plain_allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  return or_throw(aligned_allocate(size, align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return or_throw(aligned_allocate(size, align));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return aligned_allocate(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return aligned_allocate(size, align);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

#if MODYN_TEST_COUNTS_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void __libc_free(void*);

void* malloc(std::size_t size) {
  note();
  return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
  note();
  return __libc_calloc(count, size);
}
void* realloc(void* p, std::size_t size) {
  note();
  return __libc_realloc(p, size);
}
void* memalign(std::size_t alignment, std::size_t size) {
  note();
  return __libc_memalign(alignment, size);
}
void* aligned_alloc(std::size_t alignment, std::size_t size) {
  note();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void** out, std::size_t alignment, std::size_t size) {
  note();
  void* p = __libc_memalign(alignment, size);
  if (!p) return 12;  // ENOMEM
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}
#endif
