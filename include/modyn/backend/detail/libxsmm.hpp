// The libxsmm path of the CPU backend's GEMM (MODYN_USE_LIBXSMM, set by
// CMake's MODYN_BLAS=libxsmm or AUTO when libxsmm is installed).
//
// libxsmm JIT-compiles one kernel per GEMM shape. Its own registry lookup
// costs more than a small product (a GRU(1 -> 8) step's GEMM takes 7 ns), so
// each thread keeps the kernels it has used in a small table of its own,
// keyed by the whole shape: the first call of a shape dispatches (and JITs),
// every later one is a probe of a few entries. Shapes libxsmm has no kernel
// for (alpha other than 1, beta other than 0 or 1, and in 1.17 a transposed
// B of the row-major product) are remembered too, and the caller falls back.
#pragma once

#include <libxsmm.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "modyn/core/backend_concepts.hpp"

namespace modyn::detail {

// Row-major C(m, n) = op(A) op(B) (+ C) is column-major C^T = op(B)^T op(A)^T:
// libxsmm's A is our B, its B our A, and its m and n are our n and m.
struct xsmm_shape {
  std::int32_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0, flags = -1;

  friend bool operator==(const xsmm_shape&, const xsmm_shape&) = default;
};

template <class T>
using xsmm_kernel = std::conditional_t<std::is_same_v<T, float>, libxsmm_smmfunction, libxsmm_dmmfunction>;

template <class T>
class xsmm_kernel_table {
 public:
  // The kernel of `shape`, or null where libxsmm has none (then it is asked
  // once only).
  static xsmm_kernel<T> find(const xsmm_shape& shape) noexcept {
    auto& table = entries();
    const std::size_t home = hash(shape) % slots;
    for (std::size_t probe = 0; probe < probes; ++probe) {
      Entry& e = table[(home + probe) % slots];
      if (e.shape == shape) return e.kernel;
      if (e.shape.flags < 0) return e = Entry{shape, dispatch(shape)}, e.kernel;
    }
    // A full neighbourhood: the home slot gives way.
    Entry& e = table[home];
    e = Entry{shape, dispatch(shape)};
    return e.kernel;
  }

 private:
  struct Entry {
    xsmm_shape shape;  // flags < 0: empty
    xsmm_kernel<T> kernel = nullptr;
  };
  static constexpr std::size_t slots = 256, probes = 4;

  static std::array<Entry, slots>& entries() noexcept {
    thread_local std::array<Entry, slots> table{};
    return table;
  }

  static std::size_t hash(const xsmm_shape& s) noexcept {
    std::uint64_t h = 1469598103934665603ull;
    for (const std::int32_t v : {s.m, s.n, s.k, s.lda, s.ldb, s.ldc, s.flags}) {
      h = (h ^ static_cast<std::uint32_t>(v)) * 1099511628211ull;
    }
    return static_cast<std::size_t>(h ^ (h >> 29));
  }

  static xsmm_kernel<T> dispatch(const xsmm_shape& s) noexcept {
    const libxsmm_blasint lda = s.lda, ldb = s.ldb, ldc = s.ldc;
    const int flags = s.flags;
    const T alpha = 1, beta = (s.flags & LIBXSMM_GEMM_FLAG_BETA_0) ? 0 : 1;
    if constexpr (std::is_same_v<T, float>) {
      return libxsmm_smmdispatch(s.m, s.n, s.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
    } else {
      return libxsmm_dmmdispatch(s.m, s.n, s.k, &lda, &ldb, &ldc, &alpha, &beta, &flags, nullptr);
    }
  }
};

// C = op(A) op(B) + beta C through a libxsmm kernel (row-major, cpu::gemm's
// contract without the bias); false, with C untouched, where there is none.
template <class T>
bool xsmm_gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
               const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
               std::size_t ldc) noexcept {
  if constexpr (!std::is_same_v<T, float> && !std::is_same_v<T, double>) {
    return false;
  } else {
    constexpr std::size_t int_max = 0x7fffffff;
    if (alpha != T(1) || (beta != T(0) && beta != T(1))) return false;
    if (m > int_max || n > int_max || k > int_max || lda > int_max || ldb > int_max || ldc > int_max)
      return false;
    const auto i = [](std::size_t v) { return static_cast<std::int32_t>(v); };
    const int flags = (trans_b == Transpose::yes ? LIBXSMM_GEMM_FLAG_TRANS_A : 0) |
                      (trans_a == Transpose::yes ? LIBXSMM_GEMM_FLAG_TRANS_B : 0) |
                      (beta == T(0) ? LIBXSMM_GEMM_FLAG_BETA_0 : 0);
    const xsmm_shape shape{i(n), i(m), i(k), i(ldb), i(lda), i(ldc), flags};
    const auto kernel = xsmm_kernel_table<T>::find(shape);
    if (!kernel) return false;
    kernel(b, a, c);
    return true;
  }
}

}  // namespace modyn::detail
