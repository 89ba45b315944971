// The CPU backend: memory from the aligned heap, GEMM through Eigen, fused
// elementwise kernels vectorized with xsimd.
//
// Kernel contract of map(n, kernel, args...)
// ------------------------------------------
// An elementwise kernel is written once, as a generic callable over a value
// type V:
//
//   auto lif = [=](const auto& I, auto& v, auto& spike) {
//     using V = std::remove_cvref_t<decltype(v)>;
//     v = v + (V(R) * I - (v - V(v_rest))) * V(dt / tau);
//     const auto fired = v > V(v_th);
//     spike = math::select(fired, V(1), V(0));
//     v = math::select(fired, V(v_reset), v);
//   };
//   cpu::map(n, lif, I.data(), v.data(), write_only(spike.data()));
//
// - Each argument after the kernel is a pointer to n elements of one element
//   type T: `const T*` is an input, passed to the kernel as `const V&`; `T*` is
//   updated in place (loaded, passed as `V&`, stored back); `write_only(T*)` is
//   an output that is not read first.
// - The CPU backend calls the kernel with V = xsimd::batch<T> (the widest
//   vector of the architecture chosen by -march) on full vectors, and on the
//   remaining tail as one more vector, padded by repeating the tail's last
//   element (padding lanes are computed, never stored). Every element thus
//   gets the same arithmetic, bit for bit, wherever it lies: a population
//   updated row by row equals the same population updated at once. The
//   kernel is also compiled, not run, with V = T, the type the CUDA backend
//   calls it with, one element per thread. So a kernel uses only operations
//   both types have:
//   arithmetic, comparisons, and the functions of backend/kernel_math.hpp
//   (math::exp, math::select, ...); constants are converted with V(c).
// - Elements are independent: the kernel sees element i only, the order of
//   calls is unspecified, and arguments must not overlap partially.
//   Everything is done in one pass over memory.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/backend/backend_concepts.hpp"
#include "modyn/backend/detail/eigen.hpp"
#include "modyn/backend/detail/xsimd.hpp"
#include "modyn/core/config.hpp"

#if MODYN_USE_CBLAS
#include "modyn/backend/detail/cblas.hpp"
#endif

namespace modyn {

// Memory the host can address directly.
struct host_space {};

namespace detail {

template <class Arg>
struct map_arg;

template <class T>
struct map_arg<const T*> {
  using element = T;
  template <class V>
  using slot = const V;
  static constexpr bool stored = false;
};

template <class T>
struct map_arg<T*> {
  using element = T;
  template <class V>
  using slot = V;
  static constexpr bool stored = true;
};

template <class T>
struct map_arg<write_only_ptr<T>> {
  using element = T;
  template <class V>
  using slot = V;
  static constexpr bool stored = true;
};

template <class V, class T>
MODYN_ALWAYS_INLINE V load_at(const T* p, std::size_t i) {
  if constexpr (std::is_same_v<V, T>) {
    return p[i];
  } else {
    return V::load_unaligned(p + i);
  }
}

template <class V, class Arg>
MODYN_ALWAYS_INLINE V load_slot(const Arg& arg, std::size_t i) {
  if constexpr (std::is_pointer_v<Arg>) {
    return load_at<V>(arg, i);
  } else {
    return V{};  // write-only: the kernel assigns it
  }
}

template <class V, class T>
MODYN_ALWAYS_INLINE void store_at(T* p, std::size_t i, const V& value) {
  if constexpr (std::is_same_v<V, T>) {
    p[i] = value;
  } else {
    value.store_unaligned(p + i);
  }
}

template <class V, class Arg>
MODYN_ALWAYS_INLINE void store_slot(const Arg& arg, std::size_t i, const V& value) {
  if constexpr (map_arg<Arg>::stored) {
    if constexpr (std::is_pointer_v<Arg>) {
      store_at(arg, i, value);
    } else {
      store_at(arg.ptr, i, value);
    }
  }
}

// Runs the kernel on the elements [i, i + width of V) of every argument.
template <class V, class Kernel, class... Args>
MODYN_ALWAYS_INLINE void map_at(Kernel& kernel, std::size_t i, const Args&... args) {
  std::tuple<typename map_arg<Args>::template slot<V>...> slots{load_slot<V>(args, i)...};
  std::apply([&kernel](auto&... s) { kernel(s...); }, slots);
  std::apply([&](const auto&... s) { (store_slot(args, i, s), ...); }, slots);
}

// The `count` (< width of V) elements from i of an argument in a full
// vector; lanes past them repeat the last one, a real value of the array.
template <class V, class Arg>
MODYN_ALWAYS_INLINE V load_tail(const Arg& arg, std::size_t i, std::size_t count) {
  if constexpr (std::is_pointer_v<Arg>) {
    using T = typename V::value_type;
    alignas(64) T lanes[V::size];
    for (std::size_t k = 0; k < V::size; ++k) lanes[k] = arg[i + (k < count ? k : count - 1)];
    return V::load_aligned(lanes);
  } else {
    return V{};  // write-only: the kernel assigns it
  }
}

template <class V, class Arg>
MODYN_ALWAYS_INLINE void store_tail(const Arg& arg, std::size_t i, std::size_t count, const V& value) {
  if constexpr (map_arg<Arg>::stored) {
    using T = typename V::value_type;
    alignas(64) T lanes[V::size];
    value.store_aligned(lanes);
    T* out = [&] {
      if constexpr (std::is_pointer_v<Arg>) return arg;
      else return arg.ptr;
    }();
    for (std::size_t k = 0; k < count; ++k) out[i + k] = lanes[k];
  }
}

// The kernel on the last `count` elements, as one padded vector.
template <class V, class Kernel, class... Args>
void map_tail(Kernel& kernel, std::size_t i, std::size_t count, const Args&... args) {
  std::tuple<typename map_arg<Args>::template slot<V>...> slots{load_tail<V>(args, i, count)...};
  std::apply([&kernel](auto&... s) { kernel(s...); }, slots);
  std::apply([&](const auto&... s) { (store_tail(args, i, count, s), ...); }, slots);
}

template <class T, class Combine>
T reduce(const T* x, std::size_t n, T identity, Combine combine) {
  using batch = xsimd::batch<T>;
  constexpr std::size_t width = batch::size;
  T result = identity;
  std::size_t i = 0;
  if (n >= 4 * width) {
    // Four independent accumulators hide the latency of the combining op.
    batch acc[4] = {batch(identity), batch(identity), batch(identity), batch(identity)};
    for (; i + 4 * width <= n; i += 4 * width) {
      for (std::size_t k = 0; k < 4; ++k)
        acc[k] = combine(acc[k], batch::load_unaligned(x + i + k * width));
    }
    const batch all = combine(combine(acc[0], acc[1]), combine(acc[2], acc[3]));
    alignas(64) T lanes[width];
    all.store_aligned(lanes);
    for (const T lane : lanes) result = combine(result, lane);
  }
  for (; i < n; ++i) result = combine(result, x[i]);
  return result;
}

}  // namespace detail

struct cpu {
  using memory_space = host_space;
  static constexpr std::string_view name = "cpu";
  static constexpr bool host_accessible = true;
  // Cache-line (and AVX-512 vector) alignment of every buffer.
  static constexpr std::size_t alignment = 64;

  // ---- memory -------------------------------------------------------------

  template <class T>
  static T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>, "modyn::cpu holds trivially copyable elements only");
    if (n == 0) return nullptr;
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{alignment}));
  }

  template <class T>
  static void deallocate(T* p, std::size_t /*n*/) noexcept {
    if (p) ::operator delete(p, std::align_val_t{alignment});
  }

  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) noexcept {
    if (n) std::memmove(dst, src, n * sizeof(T));
  }

  template <class T>
  static void copy_to_host(const T* src, T* host_dst, std::size_t n) noexcept {
    copy(src, host_dst, n);
  }

  template <class T>
  static void copy_from_host(const T* host_src, T* dst, std::size_t n) noexcept {
    copy(host_src, dst, n);
  }

  // ---- kernels ------------------------------------------------------------

  // Row-major C(m, n) = alpha op(A) op(B) + beta C, then C += bias (a row of n,
  // broadcast over the m rows) when bias is not null. op(A) is (m, k): A is
  // stored (m, k) with row stride lda, or (k, m) when transposed; likewise B.
  // With beta == 0, C is not read (it may hold garbage or NaN).
  template <class T>
  static void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k,
                   T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                   std::size_t ldc, const T* bias = nullptr) {
    using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using ConstMap = Eigen::Map<const Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    using Map = Eigen::Map<Matrix, Eigen::Unaligned, Eigen::OuterStride<>>;
    const auto rows = [](std::size_t r) { return static_cast<Eigen::Index>(r); };
    if (m == 0 || n == 0) return;
    Map c_map(c, rows(m), rows(n), Eigen::OuterStride<>(rows(ldc)));
#if MODYN_USE_CBLAS
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      if (k > 0) {
        const auto ta = trans_a == Transpose::yes ? CblasTrans : CblasNoTrans;
        const auto tb = trans_b == Transpose::yes ? CblasTrans : CblasNoTrans;
        const auto i = [](std::size_t v) { return static_cast<int>(v); };
        if constexpr (std::is_same_v<T, float>) {
          cblas_sgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
        } else {
          cblas_dgemm(CblasRowMajor, ta, tb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c, i(ldc));
        }
        if (bias) {
          using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
          c_map.rowwise() += Eigen::Map<const RowVector>(bias, rows(n));
        }
        return;
      }
    }
#endif
    if (k == 0) {
      if (beta == T(0)) c_map.setZero(); else c_map *= beta;
    } else if (trans_a == Transpose::no && trans_b == Transpose::no && lda == k && ldb == n && ldc == n) {
      // Contiguous operands (the common case of the layers): plain maps,
      // without the run-time stride's overhead on small products.
      using PlainConst = Eigen::Map<const Matrix>;
      Eigen::Map<Matrix> c_plain(c, rows(m), rows(n));
      const PlainConst a_plain(a, rows(m), rows(k));
      const PlainConst b_plain(b, rows(k), rows(n));
      if (beta == T(0)) {
        c_plain.noalias() = alpha * a_plain * b_plain;
      } else {
        if (beta != T(1)) c_plain *= beta;
        c_plain.noalias() += alpha * a_plain * b_plain;
      }
    } else {
      const bool ta = trans_a == Transpose::yes;
      const bool tb = trans_b == Transpose::yes;
      const ConstMap a_map(a, rows(ta ? k : m), rows(ta ? m : k), Eigen::OuterStride<>(rows(lda)));
      const ConstMap b_map(b, rows(tb ? n : k), rows(tb ? k : n), Eigen::OuterStride<>(rows(ldb)));
      // Four spelled-out products keep every case a single Eigen GEMM call.
      const auto product_into = [&](const auto& lhs, const auto& rhs) {
        if (beta == T(0)) {
          c_map.noalias() = alpha * lhs * rhs;
        } else {
          if (beta != T(1)) c_map *= beta;
          c_map.noalias() += alpha * lhs * rhs;
        }
      };
      if (!ta && !tb) product_into(a_map, b_map);
      else if (ta && !tb) product_into(a_map.transpose(), b_map);
      else if (!ta && tb) product_into(a_map, b_map.transpose());
      else product_into(a_map.transpose(), b_map.transpose());
    }
    if (bias) {
      using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
      const Eigen::Map<const RowVector> bias_row(bias, rows(n));
      c_map.rowwise() += bias_row;
    }
  }

  // Runs `kernel` once over n elements of every argument (see the contract at
  // the top of this file).
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args) {
    static_assert(sizeof...(Args) > 0, "modyn::cpu::map: give at least one array to the kernel");
    using T = std::common_type_t<typename detail::map_arg<Args>::element...>;
    static_assert((std::is_same_v<T, typename detail::map_arg<Args>::element> && ...),
                  "modyn::cpu::map: every array of one map must have the same element type");
    static_assert((detail::map_arg<Args>::stored || ...),
                  "modyn::cpu::map: at least one argument must be written (T* or write_only(T*))");
    using batch = xsimd::batch<T>;
    constexpr std::size_t width = batch::size;
    // A local copy: the compiler then knows the kernel's captured constants
    // cannot change through the stores of the loop and keeps them in registers.
    std::remove_cvref_t<Kernel> local = kernel;
    std::size_t i = 0;
    for (; i + width <= n; i += width) detail::map_at<batch>(local, i, args...);
    if (i < n) detail::map_tail<batch>(local, i, n - i, args...);
    // Compiled for the scalar type too: the kernel must work per element on
    // backends without vectors.
    [[maybe_unused]] constexpr auto scalar_form = &detail::map_at<T, std::remove_cvref_t<Kernel>, Args...>;
  }

  template <class T>
  static T reduce_sum(const T* x, std::size_t n) {
    return detail::reduce(x, n, T(0), [](const auto& a, const auto& b) { return a + b; });
  }

  // The largest element; -infinity (or the lowest value of T) when n == 0.
  template <class T>
  static T reduce_max(const T* x, std::size_t n) {
    constexpr T lowest = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                              : std::numeric_limits<T>::lowest();
    return detail::reduce(x, n, lowest, [](const auto& a, const auto& b) {
      if constexpr (std::is_arithmetic_v<std::remove_cvref_t<decltype(a)>>) {
        return std::max(a, b);
      } else {
        return xsimd::max(a, b);
      }
    });
  }
};

static_assert(Backend<cpu>, "modyn::cpu must satisfy the Backend concept");

}  // namespace modyn
