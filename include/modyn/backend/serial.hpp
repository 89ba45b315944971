/// @file
/// modyn::serial: a test backend that runs every kernel one element at a time,
/// with Vec = T (detail::scalar_lanes), as a CUDA thread does, on host memory.
///
/// It exists so that the per-thread form of every kernel (the form a GPU runs)
/// is executed, not only compiled, by the host test suite: a kernel that works
/// on xsimd batches but not on plain numbers, or that relies on the lanes of
/// one call lying side by side, fails here. Everything else is deliberately
/// plain: memory from the aligned heap (host_accessible, so tests can read
/// it), gemm as the textbook triple loop, reductions as one serial loop. Not
/// part of the umbrella header: include it where a test needs it.
#pragma once

#include <cstddef>
#include <limits>
#include <new>
#include <string_view>
#include <type_traits>

#include "modyn/backend/detail/aligned_heap.hpp"
#include "modyn/backend/detail/map_engine.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"

namespace modyn {

/// Memory the host can address directly (defined in backend/cpu.hpp; the
/// serial backend names the same space without parsing that header).
struct host_space;

/// The serial backend's execution instance: the calling thread, with no state.
struct serial_instance {};

namespace detail {

// Reference GEMM: C(m, n) = alpha op(A) op(B) + beta C, then C += bias.
// op(A)(i, p) is a[i * lda + p], or a[p * lda + i] when transposed; likewise
// B. With beta == 0 C is only written, never read (NaN there does not leak).
template <class T>
void reference_gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k,
                    T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                    std::size_t ldc, const T* bias) {
  const bool ta = trans_a == Transpose::yes;
  const bool tb = trans_b == Transpose::yes;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      T sum = T(0);
      for (std::size_t p = 0; p < k; ++p) {
        const T a_ip = ta ? a[p * lda + i] : a[i * lda + p];
        const T b_pj = tb ? b[j * ldb + p] : b[p * ldb + j];
        sum += a_ip * b_pj;
      }
      T& out = c[i * ldc + j];
      out = beta == T(0) ? alpha * sum : alpha * sum + beta * out;
      if (bias) out += bias[j];
    }
  }
}

}  // namespace detail

/// The serial test backend: every kernel one element at a time, as a CUDA
/// thread runs it, on host memory.
struct serial {
  /// The memory space of its buffers.
  using memory_space = host_space;
  /// The backend's name, as messages and printed types spell it.
  static constexpr std::string_view name = "serial";
  /// Whether the host may touch its memory (element access, printing, ==).
  static constexpr bool host_accessible = true;
  /// The alignment of every buffer, in bytes.
  static constexpr std::size_t alignment = detail::aligned_heap::alignment;

  // ---- memory -------------------------------------------------------------

  /// Memory for n elements of T, uninitialised.
  template <class T>
  static T* allocate(std::size_t n) {
    return detail::aligned_heap::allocate<T>(n);
  }

  /// Frees what allocate<T>(n) gave.
  template <class T>
  static void deallocate(T* p, std::size_t n) noexcept {
    detail::aligned_heap::deallocate(p, n);
  }

  /// Element by element, in increasing order (a memmove would hide nothing,
  /// but the point of this backend is to do the obvious thing).
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) noexcept {
    if (src == dst || n == 0) return;
    if (dst < src) {
      for (std::size_t i = 0; i < n; ++i) dst[i] = src[i];
    } else {
      for (std::size_t i = n; i-- > 0;) dst[i] = src[i];
    }
  }

  /// Copies n elements from this backend's memory to host memory.
  template <class T>
  static void copy_to_host(const T* src, T* host_dst, std::size_t n) noexcept {
    copy(src, host_dst, n);
  }

  /// Copies n elements from host memory to this backend's memory.
  template <class T>
  static void copy_from_host(const T* host_src, T* dst, std::size_t n) noexcept {
    copy(host_src, dst, n);
  }

  // ---- kernels ------------------------------------------------------------

  /// The contract of cpu::gemm (row-major, op(A) (m, k), op(B) (k, n), strides
  /// lda/ldb/ldc, beta == 0 does not read C, an optional bias row of n added
  /// to every row), computed as a triple loop with one accumulator per element.
  template <class T>
  static void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                   const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc,
                   const T* bias = nullptr) {
    detail::reference_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  }

  // ---- execution ----------------------------------------------------------

  /// The execution instance kernels run on.
  using instance = serial_instance;
  /// The instance kernels run on when a Context names none.
  static const instance& default_instance() noexcept {
    static constexpr serial_instance the_calling_thread{};
    return the_calling_thread;
  }
  /// ExecutionInstances (core/backend_concepts.hpp) has one member per
  /// product backend; a test backend does not add one there, because core
  /// would then name test code, and it has nothing to choose anyway: every
  /// kernel runs on the calling thread. So any Context gets the default.
  static const instance& instance_of(const ExecutionInstances& /*instances*/) noexcept {
    return default_instance();
  }

  /// Runs `kernel` over n elements (core/kernel_args.hpp), one element per
  /// call with Vec = T and Mask = bool, in increasing index order.
  template <class Kernel, class... Args>
  static void map(const instance& /*on*/, std::size_t n, const Kernel& kernel, const Args&... args) {
    static_assert(detail::check_map_args<Args...>());
    detail::run_map<detail::scalar_lanes>(n, kernel, args...);
  }
  /// map on the default instance.
  template <class Kernel, class... Args>
  static void map(std::size_t n, const Kernel& kernel, const Args&... args) {
    map(default_instance(), n, kernel, args...);
  }

  /// kernel(i) for i = 0 .. n - 1, in order (core/kernel_args.hpp, touches).
  template <class Kernel, class... Touched>
  static void launch(const instance& /*on*/, std::size_t n, const Kernel& kernel,
                     const touches_arg<Touched>&... /*memory*/) {
    for (std::size_t i = 0; i < n; ++i) kernel(i);
  }

  /// In index order, one accumulator: the sum a GPU's single thread would form.
  template <class T>
  static T reduce_sum(const T* x, std::size_t n) {
    T sum = T(0);
    for (std::size_t i = 0; i < n; ++i) sum += x[i];
    return sum;
  }

  /// The largest element; -infinity (or the lowest value of T) when n == 0.
  template <class T>
  static T reduce_max(const T* x, std::size_t n) {
    T result = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::lowest();
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] > result) result = x[i];
    }
    return result;
  }
};

static_assert(Backend<serial>, "modyn::serial must satisfy the Backend concept");

}  // namespace modyn
