/// @file
/// The arguments of an elementwise pass, B::map(n, kernel, args...), and the
/// contract every backend implements for them.
///
/// A kernel is a function object with a templated MODYN_HOST_DEVICE call
/// operator (never a generic lambda: nvcc compiles those for one side only):
///
/// @code
///   struct lif_step {
///     float decay, v_th, v_reset;
///     template <class Vec, class Mask>
///     MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& I, Vec& v, Mask& fired) const {
///       v = v * Vec(decay) + I;
///       fired = v >= Vec(v_th);
///       v = math::select(fired, Vec(v_reset), v);
///     }
///   };
///   cpu::map(n, lif_step{...}, I.data(), v.data(), emit_to(list.data(), count));
/// @endcode
///
/// Elements are independent: the kernel sees element i only, calls happen in
/// any order, and arrays must not overlap partially. The pass reads and writes
/// each array once. Each argument after the kernel is one of:
///
/// @code
///   const T* p               input: the kernel gets const Vec<T>&, element p[i]
///   T* p                     in place: Vec<T>&, loaded from p[i], stored back
///   write_only(T* p)         output not read first: Vec<T>& to assign
///   broadcast_row(row, L)    an (L,) row read by every row of an (n / L, L)
///                            pass: const Vec<T>& of row[i % L]; n must be a
///                            multiple of L, and all rows of one pass share L
///   strided_rows(p, L, stride)
///                            input in rows of L elements that lie stride
///                            apart (a gate of a (rows, 3 L) GEMM result):
///                            const Vec<T>& of p[(i / L) * stride + i % L];
///                            L is the pass's row length, as broadcast_row's
///   element_index(first)     the global index first + i of the element, as
///                            const Vec<I>&, I the signed integer of the width
///                            of the pass's elements (int32_t for 4-byte T)
///   emit_to(list, count)     the ordered emit channel: the kernel gets a
///                            Mask& (what comparing two Vec gives), false on
///                            entry; the elements it sets are appended to
///                            list[count++] as first + i, in increasing i.
///                            list must have room for n more entries
/// @endcode
///
/// Vec<T> is the backend's value type for elements of type T: xsimd::batch<T>
/// on the CPU (with V = T for the tail, computed as one padded vector), T on
/// the serial test backend and in a CUDA thread. Arrays of one pass may have
/// different element types of one width (float V beside an int32 counter):
/// their Vec types then have the same number of lanes. A kernel therefore
/// uses only what T and its vectors both have: arithmetic, comparisons and
/// modyn::math (core/math.hpp); constants are converted with Vec(c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace modyn {

/// Marks a map() argument the kernel only writes: it is not read from memory
/// first, and the kernel receives an uninitialised Vec& it must assign.
template <class T>
struct write_only_ptr {
  T* ptr;  ///< The first element of the pass.
};

/// The argument of a pass that the kernel only writes: map(n, k, write_only(out)).
template <class T>
constexpr write_only_ptr<T> write_only(T* p) noexcept {
  return {p};
}

/// A row of `length` elements read by every row of the pass.
template <class T>
struct broadcast_row_arg {
  const T* row;        ///< The row's first element.
  std::size_t length;  ///< Elements per row of the pass.
};

/// The argument of a pass that reads one row for every row: a bias.
template <class T>
constexpr broadcast_row_arg<T> broadcast_row(const T* row, std::size_t length) noexcept {
  return {row, length};
}

/// Rows of `length` elements, `stride` apart.
template <class T>
struct strided_rows_arg {
  const T* data;       ///< The first row's first element.
  std::size_t length;  ///< Elements per row.
  std::size_t stride;  ///< Elements from one row's start to the next's.
};

/// The argument of a pass that reads rows not contiguous: a column block of a wider matrix.
template <class T>
constexpr strided_rows_arg<T> strided_rows(const T* data, std::size_t length, std::size_t stride) noexcept {
  return {data, length, stride};
}

/// The global index of each element: first + i.
struct element_index_arg {
  std::size_t first = 0;  ///< The index of the pass's first element.
};

/// The argument that gives the kernel each element's global index (random numbers, masks).
constexpr element_index_arg element_index(std::size_t first = 0) noexcept { return {first}; }

/// The emit channel: the indices (first + i) of the elements whose mask the
/// kernel set, appended in order at list[count].
template <class Index>
struct emit_arg {
  static_assert(std::is_integral_v<Index>, "modyn::emit_to: the list holds integer indices");
  Index* list;            ///< Where the indices are appended.
  std::size_t* count;     ///< How many list holds; advanced by each emitted index.
  std::size_t first = 0;  ///< The index of the pass's first element.
};

/// The argument through which a kernel emits the indices of elements (the
/// neurons that spiked), in order, at list[count].
template <class Index>
constexpr emit_arg<Index> emit_to(Index* list, std::size_t& count, std::size_t first = 0) noexcept {
  return {list, &count, first};
}

/// A launch (B::launch(instance, n, kernel, touches...)): a kernel called
/// once per work item i in [0, n), kernel(i), for work that is no elementwise
/// pass (event delivery: a scatter along CSR rows). The kernel reaches memory
/// through its own pointers; each array it reads or writes is named by a
/// touches(pointer, count) argument, so a backend that guards its memory
/// (pseudo_device) can open it and check that it is the backend's. Host
/// backends call the items in increasing order on the calling thread; a GPU
/// runs them concurrently in any order (writes that may collide use
/// atomic_add, core/detail/atomic.hpp).
template <class T>
struct touches_arg {
  T* ptr;             ///< The array's first element.
  std::size_t count;  ///< Its number of elements.
};

/// Names an array that a launch's kernel reads or writes (see touches_arg).
template <class T>
constexpr touches_arg<T> touches(T* ptr, std::size_t count) noexcept {
  return {ptr, count};
}

/// The signed integer type of the width of T: the element type of indices in
/// a pass over elements of type T.
template <class T>
using index_type_for =
    std::conditional_t<sizeof(T) == 8, std::int64_t,
                       std::conditional_t<sizeof(T) == 4, std::int32_t,
                                          std::conditional_t<sizeof(T) == 2, std::int16_t, std::int8_t>>>;

}  // namespace modyn
