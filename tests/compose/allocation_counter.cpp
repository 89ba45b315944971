// Replaceable global operator new / delete that count allocations (see
// allocation_counter.hpp). They allocate with std::malloc / std::aligned_alloc
// and release with std::free, so sanitizers (which intercept malloc) still
// see every block.
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

void* plain_allocate(std::size_t size) noexcept {
  note();
  return std::malloc(size ? size : 1);
}

void* aligned_allocate(std::size_t size, std::align_val_t align) noexcept {
  note();
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
