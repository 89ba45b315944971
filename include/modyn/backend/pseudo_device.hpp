/// @file
/// modyn::pseudo_device: a test backend whose memory the host must not touch,
/// as a GPU's: it runs the device paths of the library on a machine without
/// one, and makes every host access to device memory fail.
///
/// - host_accessible = false, so Tensor element access, printing and ==
///   (core/tensor.hpp) do not compile on it: modules must go through
///   copy_to_host / copy_from_host, the only ways in and out.
/// - Memory is mapped in whole pages (mmap) and kept PROT_NONE. The backend
///   opens (PROT_READ | PROT_WRITE) the allocations a call is given, found in
///   a registry of live allocations, for the duration of that call only (map,
///   gemm, reductions, copies), then closes them again. A dereference of
///   data() from host code, anywhere else, is a SIGSEGV at run time.
/// - A call given a pointer that is not (inside) a live allocation of this
///   backend, where device memory is required, throws modyn::error: on a GPU
///   that would be a host pointer handed to a kernel. So does a range that
///   runs past the end of its allocation.
/// - Kernels run with one lane (Vec = T, detail::scalar_lanes), as a CUDA
///   thread sees them, and gemm / reductions are those of modyn::serial.
///
/// Linux only (mmap, mprotect). A test backend: not in the umbrella header.
#pragma once

#if !defined(__linux__)
#error "modyn/backend/pseudo_device.hpp: the pseudo-device test backend needs Linux (mmap/mprotect)"
#endif

#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>

#include "modyn/backend/detail/map_engine.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn {

/// Memory of the pseudo-device: not addressable by the host.
struct pseudo_device_space {};

namespace detail::pseudo_device_memory {

// A byte range a call wants to use as device memory.
struct range {
  const void* begin = nullptr;
  std::size_t bytes = 0;
};

// The live allocations, by base address, with how many calls have them open.
class registry {
 public:
  static registry& get() {
    static registry the_registry;
    return the_registry;
  }

  static std::size_t page_size() {
    static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    return size;
  }

  void* allocate(std::size_t bytes) {
    const std::size_t page = page_size();
    const std::size_t mapped = (bytes + page - 1) / page * page;
    void* p = ::mmap(nullptr, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    const std::lock_guard lock(mutex_);
    live_.emplace(address(p), entry{bytes, mapped, 0});
    return p;
  }

  void deallocate(void* p) noexcept {
    std::size_t mapped = 0;
    {
      const std::lock_guard lock(mutex_);
      const auto it = live_.find(address(p));
      if (it == live_.end()) std::abort();  // not ours, or freed twice: as free() would be, fatal
      mapped = it->second.mapped;
      live_.erase(it);
    }
    ::munmap(p, mapped);
  }

  // Whether p lies inside a live allocation.
  bool owns(const void* p) const {
    const std::lock_guard lock(mutex_);
    return find(address(p)) != live_.end();
  }

  // The base of the live allocation that holds all of r, or 0 with a reason.
  std::uintptr_t base_of(const range& r, std::string& why) const {
    const std::lock_guard lock(mutex_);
    const std::uintptr_t at = address(r.begin);
    const auto it = find(at);
    if (it == live_.end()) {
      why = "is not memory of modyn::pseudo_device (a host pointer, or freed memory)";
      return 0;
    }
    if (at + r.bytes > it->first + it->second.bytes) {
      why = "runs " + std::to_string(at + r.bytes - (it->first + it->second.bytes)) +
            " bytes past the end of its allocation of " + std::to_string(it->second.bytes) + " bytes";
      return 0;
    }
    return it->first;
  }

  // Opens an allocation for the backend (readable and writable) until the
  // matching close; nested and repeated opens are counted.
  void open(std::uintptr_t base) {
    const std::lock_guard lock(mutex_);
    entry& e = live_.at(base);
    if (e.open++ == 0 && ::mprotect(pointer(base), e.mapped, PROT_READ | PROT_WRITE) != 0) {
      --e.open;
      throw error(std::string("modyn::pseudo_device: mprotect failed: ") + std::strerror(errno));
    }
  }

  void close(std::uintptr_t base) noexcept {
    const std::lock_guard lock(mutex_);
    const auto it = live_.find(base);
    if (it == live_.end()) std::abort();
    entry& e = it->second;
    // A failed re-protection would silently let host accesses through: fatal.
    if (--e.open == 0 && ::mprotect(pointer(base), e.mapped, PROT_NONE) != 0) std::abort();
  }

 private:
  struct entry {
    std::size_t bytes;   // as requested
    std::size_t mapped;  // whole pages
    unsigned open;       // calls that have it open
  };
  using map_type = std::map<std::uintptr_t, entry>;

  static std::uintptr_t address(const void* p) noexcept { return reinterpret_cast<std::uintptr_t>(p); }
  static void* pointer(std::uintptr_t a) noexcept { return reinterpret_cast<void*>(a); }

  map_type::const_iterator find(std::uintptr_t at) const {
    auto it = live_.upper_bound(at);
    if (it == live_.begin()) return live_.end();
    --it;
    return at < it->first + it->second.mapped ? it : live_.end();
  }

  mutable std::mutex mutex_;
  map_type live_;
};

// The allocations of one backend call, open while it lives. Every range is
// checked before any is opened, so a bad argument opens nothing.
template <std::size_t N>
class open_scope {
 public:
  open_scope(std::string_view call, const std::array<range, N>& ranges) {
    registry& reg = registry::get();
    std::array<std::uintptr_t, N> bases{};
    for (std::size_t k = 0; k < N; ++k) {
      if (ranges[k].begin == nullptr) continue;  // an argument with no memory (bias absent, an index)
      std::string why;
      bases[k] = reg.base_of(ranges[k], why);
      if (bases[k] == 0) {
        throw error("modyn::pseudo_device::" + std::string(call) + ": device argument " + std::to_string(k) +
                    " " + why);
      }
    }
    try {
      for (; opened_ < N; ++opened_) {
        if (bases[opened_] != 0) reg.open(bases[opened_]);
        bases_[opened_] = bases[opened_];
      }
    } catch (...) {
      close_all();  // the destructor does not run when a constructor throws
      throw;
    }
  }
  open_scope(const open_scope&) = delete;
  open_scope& operator=(const open_scope&) = delete;
  ~open_scope() { close_all(); }

 private:
  void close_all() noexcept {
    registry& reg = registry::get();
    for (std::size_t k = 0; k < opened_; ++k) {
      if (bases_[k] != 0) reg.close(bases_[k]);
    }
    opened_ = 0;
  }

  std::array<std::uintptr_t, N> bases_{};
  std::size_t opened_ = 0;
};

template <std::size_t N>
open_scope(std::string_view, const std::array<range, N>&) -> open_scope<N>;

template <class T>
range elements(const T* p, std::size_t n) {
  return {p, n * sizeof(T)};
}

// The device memory a map argument covers in a pass of n elements in rows
// of `row` elements; none for an element index.
template <class Arg>
range range_of(const Arg& arg, std::size_t n, std::size_t row) {
  if constexpr (std::is_pointer_v<Arg>) {
    return elements(static_cast<const std::remove_pointer_t<Arg>*>(arg), n);
  } else if constexpr (requires { arg.ptr; }) {
    return elements(static_cast<const std::remove_pointer_t<decltype(arg.ptr)>*>(arg.ptr), n);
  } else if constexpr (requires { arg.row; }) {
    return elements(arg.row, arg.length);
  } else if constexpr (requires { arg.stride; }) {
    const std::size_t rows = n / row;
    return elements(arg.data, rows == 0 ? 0 : (rows - 1) * arg.stride + arg.length);
  } else if constexpr (requires { arg.list; }) {
    return elements(static_cast<const std::remove_pointer_t<decltype(arg.list)>*>(arg.list), *arg.count + n);
  } else {
    return {};
  }
}

}  // namespace detail::pseudo_device_memory

/// The pseudo-device test backend: memory the host must not touch, as a
/// GPU's, to run the device paths on a machine without one.
struct pseudo_device {
  /// The memory space of its buffers.
  using memory_space = pseudo_device_space;
  /// The backend's name, as messages and printed types spell it.
  static constexpr std::string_view name = "pseudo_device";
  /// Whether the host may touch its memory (element access, printing, ==).
  static constexpr bool host_accessible = false;

  // ---- memory -------------------------------------------------------------

  /// Whole pages, PROT_NONE until a call of this backend opens them.
  template <class T>
  static T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>,
                  "modyn::pseudo_device holds trivially copyable elements only");
    if (n == 0) return nullptr;
    return static_cast<T*>(registry().allocate(n * sizeof(T)));
  }

  /// Frees what allocate<T>(n) gave.
  template <class T>
  static void deallocate(T* p, std::size_t /*n*/) noexcept {
    if (p) registry().deallocate(const_cast<std::remove_const_t<T>*>(p));
  }

  /// Whether p points into a live allocation of this backend (for tests).
  static bool owns(const void* p) { return registry().owns(p); }

  /// Copies n elements from src to dst, both in this backend's memory.
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) {
    if (n == 0) return;
    const detail::pseudo_device_memory::open_scope scope("copy",
                                                         std::array{elements(src, n), elements(dst, n)});
    std::memmove(static_cast<void*>(dst), static_cast<const void*>(src), n * sizeof(T));
  }

  /// Copies n elements from this backend's memory to host memory.
  template <class T>
  static void copy_to_host(const T* src, T* host_dst, std::size_t n) {
    if (n == 0) return;
    require_host_pointer("copy_to_host", host_dst);
    const detail::pseudo_device_memory::open_scope scope("copy_to_host", std::array{elements(src, n)});
    std::memcpy(static_cast<void*>(host_dst), static_cast<const void*>(src), n * sizeof(T));
  }

  /// Copies n elements from host memory to this backend's memory.
  template <class T>
  static void copy_from_host(const T* host_src, T* dst, std::size_t n) {
    if (n == 0) return;
    require_host_pointer("copy_from_host", host_src);
    const detail::pseudo_device_memory::open_scope scope("copy_from_host", std::array{elements(dst, n)});
    std::memcpy(static_cast<void*>(dst), static_cast<const void*>(host_src), n * sizeof(T));
  }

  // ---- kernels ------------------------------------------------------------

  /// cpu::gemm's contract (serial.hpp's triple loop) on the opened operands.
  template <class T>
  static void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                   const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc,
                   const T* bias = nullptr) {
    if (m == 0 || n == 0) return;
    const bool ta = trans_a == Transpose::yes, tb = trans_b == Transpose::yes;
    // The extent each operand spans: its rows, the last one only as long as used.
    const auto span = [](std::size_t rows, std::size_t cols, std::size_t ld) {
      return rows == 0 || cols == 0 ? std::size_t{0} : (rows - 1) * ld + cols;
    };
    using detail::pseudo_device_memory::range;
    const range a_range = k == 0 ? range{} : elements(a, span(ta ? k : m, ta ? m : k, lda));
    const range b_range = k == 0 ? range{} : elements(b, span(tb ? n : k, tb ? k : n, ldb));
    const range bias_range = bias ? elements(bias, n) : range{};
    const detail::pseudo_device_memory::open_scope scope(
        "gemm",
        std::array{a_range, b_range, elements(static_cast<const T*>(c), span(m, n, ldc)), bias_range});
    serial::gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  }

  // ---- execution ----------------------------------------------------------

  /// modyn::serial's: the calling thread runs every call. Like serial, a test
  /// backend adds no member to ExecutionInstances (core would then name test
  /// code) and has one stateless instance, which every Context gets.
  using instance = serial::instance;
  /// The instance kernels run on when a Context names none.
  static const instance& default_instance() noexcept { return serial::default_instance(); }
  /// The instance `instances` names for this backend, or the default one.
  static const instance& instance_of(const ExecutionInstances& instances) noexcept {
    return serial::instance_of(instances);
  }

  /// core/kernel_args.hpp's contract, one element per call (Vec = T), with the
  /// arrays of the pass opened for its duration. Every array must be memory
  /// of this backend (an emit channel's count stays on the host).
  template <class Kernel, class... Args>
  static void map(const instance& /*on*/, std::size_t n, const Kernel& kernel, const Args&... args) {
    static_assert(detail::check_map_args<Args...>());
    if (n == 0) return;
    constexpr bool has_rows = ((detail::is_broadcast_v<Args> || detail::is_strided_v<Args>) || ...);
    const std::size_t row = has_rows ? detail::row_length(n, args...) : n;
    const detail::pseudo_device_memory::open_scope scope(
        "map", std::array<detail::pseudo_device_memory::range, sizeof...(Args)>{
                   detail::pseudo_device_memory::range_of(args, n, row)...});
    detail::run_map<detail::scalar_lanes>(n, kernel, args...);
  }
  /// map on the default instance.
  template <class Kernel, class... Args>
  static void map(std::size_t n, const Kernel& kernel, const Args&... args) {
    map(default_instance(), n, kernel, args...);
  }

  /// serial's launch, with the arrays the kernel touches opened for its
  /// duration; each must be memory of this backend.
  template <class Kernel, class... Touched>
  static void launch(const instance& on, std::size_t n, const Kernel& kernel,
                     const touches_arg<Touched>&... memory) {
    if (n == 0) return;
    const detail::pseudo_device_memory::open_scope scope(
        "launch", std::array<detail::pseudo_device_memory::range, sizeof...(Touched)>{
                      detail::pseudo_device_memory::elements(memory.ptr, memory.count)...});
    serial::launch(on, n, kernel, memory...);
  }

  /// The sum of n elements (0 when n == 0).
  template <class T>
  static T reduce_sum(const T* x, std::size_t n) {
    if (n == 0) return T(0);
    const detail::pseudo_device_memory::open_scope scope("reduce_sum", std::array{elements(x, n)});
    return serial::reduce_sum(x, n);
  }

  /// The largest element; -infinity (or the lowest value of T) when n == 0.
  template <class T>
  static T reduce_max(const T* x, std::size_t n) {
    if (n == 0) return serial::reduce_max(x, n);
    const detail::pseudo_device_memory::open_scope scope("reduce_max", std::array{elements(x, n)});
    return serial::reduce_max(x, n);
  }

 private:
  static detail::pseudo_device_memory::registry& registry() {
    return detail::pseudo_device_memory::registry::get();
  }

  template <class T>
  static detail::pseudo_device_memory::range elements(const T* p, std::size_t n) {
    return detail::pseudo_device_memory::elements(p, n);
  }

  /// A host-side argument of a copy must not be device memory (on a GPU the
  /// copy would read or write the wrong space).
  static void require_host_pointer(std::string_view call, const void* p) {
    if (owns(p)) {
      throw error("modyn::pseudo_device::" + std::string(call) +
                  ": the host argument is memory of modyn::pseudo_device; use copy for device-to-device");
    }
  }
};

static_assert(Backend<pseudo_device>, "modyn::pseudo_device must satisfy the Backend concept");

}  // namespace modyn
