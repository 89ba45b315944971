// The pass of B::map (contract: core/kernel_args.hpp), written once over a
// lane policy: how many elements a kernel call sees and which value types it
// gets. The CPU backend runs it with SIMD lanes (xsimd::batch<T>), the serial
// test backend with one lane (T), as a GPU thread sees it.
//
// A Lanes policy provides, for element types T of the pass's width:
//   template <class T> using vec;        the value type of T's elements
//   template <class T> using mask;       what comparing two vec<T> gives
//   static constexpr std::size_t width;  elements per call
//   load<T>(p) / store(p, v)             width elements from / to p
//   load_partial<T>(p, count) / store_partial(p, v, count)
//                                        the first count (< width) elements;
//                                        lanes past them repeat the last one;
//                                        nothing past them is read or written
//   iota<I>(first)                       vec<I> of first, first + 1, ...
//   mask_bits(m)                         the mask as bits, lane k at bit k
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/detail/pack.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn::detail {

// What each kind of argument is: its element type (void when it has none),
// whether it is stored back, and its slot in a kernel call.
template <class Arg>
struct map_arg;

template <class T>
struct map_arg<const T*> {
  using element = T;
  static constexpr bool stored = false;
};
template <class T>
struct map_arg<T*> {
  using element = T;
  static constexpr bool stored = true;
};
template <class T>
struct map_arg<write_only_ptr<T>> {
  using element = T;
  static constexpr bool stored = true;
};
template <class T>
struct map_arg<broadcast_row_arg<T>> {
  using element = T;
  static constexpr bool stored = false;
};
template <class T>
struct map_arg<strided_rows_arg<T>> {
  using element = T;
  static constexpr bool stored = false;
};
template <>
struct map_arg<element_index_arg> {
  using element = void;
  static constexpr bool stored = false;
};
template <class Index>
struct map_arg<emit_arg<Index>> {
  using element = void;
  static constexpr bool stored = true;
};

// An emit channel as the loop of a range holds it (run_map_range): the
// count is a field of this local, not behind emit_arg's pointer. Through the
// pointer, the count lived in memory that the compressed store of each
// vector might alias, so the compiler reloaded and stored it every vector;
// a local whose address never escapes stays in a register. home is where
// the count goes back once the range is done.
template <class Index>
struct emit_local {
  Index* list;
  std::size_t count;
  std::size_t first;
  std::size_t* home;
};
template <class Index>
struct map_arg<emit_local<Index>> {
  using element = void;
  static constexpr bool stored = true;
};

// The form an argument takes inside a range's loop: itself, or an emit
// channel's emit_local; and the count written back after the range.
template <class Arg>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Arg range_local(const Arg& arg) {
  return arg;
}
template <class Index>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE emit_local<Index> range_local(const emit_arg<Index>& arg) {
  return {arg.list, *arg.count, arg.first, arg.count};
}
template <class Arg>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void write_back(const Arg&) {}
template <class Index>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void write_back(const emit_local<Index>& arg) {
  *arg.home = arg.count;
}

template <class Arg>
inline constexpr bool has_element_v = !std::is_void_v<typename map_arg<Arg>::element>;

// sizeof the argument's elements, 0 when it has none.
template <class Arg>
constexpr std::size_t element_width() {
  if constexpr (has_element_v<Arg>)
    return sizeof(typename map_arg<Arg>::element);
  else
    return 0;
}

template <class Arg>
inline constexpr bool is_broadcast_v = false;
template <class T>
inline constexpr bool is_broadcast_v<broadcast_row_arg<T>> = true;

template <class Arg>
inline constexpr bool is_strided_v = false;
template <class T>
inline constexpr bool is_strided_v<strided_rows_arg<T>> = true;

// The element type that sets the pass's width: the first array's.
template <class... Args>
struct pass_element;
template <>
struct pass_element<> {
  using type = void;
};
template <class First, class... Rest>
struct pass_element<First, Rest...> {
  using type = std::conditional_t<has_element_v<First>, typename map_arg<First>::element,
                                  typename pass_element<Rest...>::type>;
};
template <class... Args>
using pass_element_t = typename pass_element<Args...>::type;

template <class... Args>
constexpr bool check_map_args() {
  using T = pass_element_t<Args...>;
  static_assert(!std::is_void_v<T>,
                "modyn: map needs at least one array (a pointer or broadcast_row) argument");
  if constexpr (!std::is_void_v<T>) {
    static_assert(((element_width<Args>() == 0 || element_width<Args>() == sizeof(T)) && ...),
                  "modyn: the arrays of one map must have element types of one width (float with int32_t, "
                  "double with int64_t), so that their vectors have the same number of lanes");
  }
  static_assert((map_arg<Args>::stored || ...),
                "modyn: at least one argument of map must be written (T*, write_only(T*) or emit_to)");
  return true;
}

// The slot type of an argument in a kernel call.
template <class Lanes, class Pass, class Arg>
struct slot_of {
  using type = typename Lanes::template vec<typename map_arg<Arg>::element>;
};
template <class Lanes, class Pass>
struct slot_of<Lanes, Pass, element_index_arg> {
  using type = typename Lanes::template vec<index_type_for<Pass>>;
};
template <class Lanes, class Pass, class Index>
struct slot_of<Lanes, Pass, emit_arg<Index>> {
  using type = typename Lanes::template mask<Pass>;
};
template <class Lanes, class Pass, class Index>
struct slot_of<Lanes, Pass, emit_local<Index>> {
  using type = typename Lanes::template mask<Pass>;
};
template <class Lanes, class Pass, class Arg>
using slot_t = typename slot_of<Lanes, Pass, Arg>::type;

// Where one kernel call is: the element index i of the pass, its row r and
// position j within the row, and how many lanes are real (width, or fewer
// on the tail of a row).
struct lanes_at {
  std::size_t i;
  std::size_t r;
  std::size_t j;
  std::size_t count;
};

// Full calls (every lane real) and partial ones are distinct instances, so
// that a full-width access is never compiled for a partial call.
// The width-wide (Full) or count-long load of an array from p.
template <class Lanes, bool Full, class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE auto load_lanes(const T* p, std::size_t count) {
  if constexpr (Full)
    return Lanes::template load<T>(p);
  else
    return Lanes::template load_partial<T>(p, count);
}

template <class Lanes, class Pass, bool Full, class Arg>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE slot_t<Lanes, Pass, Arg> load_slot(const Arg& arg, const lanes_at& at) {
  using Slot = slot_t<Lanes, Pass, Arg>;
  if constexpr (std::is_pointer_v<Arg>) {
    return load_lanes<Lanes, Full>(arg + at.i, at.count);
  } else if constexpr (is_broadcast_v<Arg>) {
    return load_lanes<Lanes, Full>(arg.row + at.j, at.count);
  } else if constexpr (is_strided_v<Arg>) {
    return load_lanes<Lanes, Full>(arg.data + at.r * arg.stride + at.j, at.count);
  } else if constexpr (std::is_same_v<Arg, element_index_arg>) {
    return Lanes::template iota<index_type_for<Pass>>(arg.first + at.i);
  } else if constexpr (std::is_same_v<Slot, bool>) {
    return false;  // an emit mask on one lane
  } else if constexpr (has_element_v<Arg>) {
    return Slot{};  // write-only: the kernel assigns it
  } else {
    return Slot(false);  // an emit mask, all lanes clear
  }
}

template <class Lanes, bool Full, class Arg, class Slot>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void store_slot(const Arg& arg, const lanes_at& at, const Slot& slot) {
  if constexpr (std::is_pointer_v<Arg> && map_arg<Arg>::stored) {
    if constexpr (Full)
      Lanes::store(arg + at.i, slot);
    else
      Lanes::store_partial(arg + at.i, slot, at.count);
  } else if constexpr (requires { arg.ptr; }) {
    if constexpr (Full)
      Lanes::store(arg.ptr + at.i, slot);
    else
      Lanes::store_partial(arg.ptr + at.i, slot, at.count);
  } else if constexpr (requires { arg.list; }) {
    // Emit through the channel's pointer (a caller without a range's loop).
    std::uint64_t bits = Lanes::mask_bits(slot);
    if constexpr (!Full) bits &= (std::uint64_t{1} << at.count) - 1;
    std::size_t& count = *arg.count;
    count += Lanes::emit(arg.list + count, bits, arg.first + at.i);
  }
}
// Emit in a range's loop: the set lanes among the real ones, in lane order,
// counted in the local.
template <class Lanes, bool Full, class Index, class Slot>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void store_slot(emit_local<Index>& arg, const lanes_at& at,
                                                      const Slot& slot) {
  std::uint64_t bits = Lanes::mask_bits(slot);
  if constexpr (!Full) bits &= (std::uint64_t{1} << at.count) - 1;
  arg.count += Lanes::emit(arg.list + arg.count, bits, arg.first + at.i);
}

// (Index sequences and function templates instead of std::apply and
// lambdas: everything here is force-inlined, whatever the optimisation
// level, so the kernel's pass is one loop body at -O2 as at -O3.)
template <class Lanes, class Pass, bool Full, class Kernel, class... Args, std::size_t... K>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void call_with(const Kernel& kernel, const lanes_at& at,
                                                     std::index_sequence<K...>, Args&... args) {
  // (A pack, not a std::tuple: its get is a device function too.)
  pack<slot_t<Lanes, Pass, Args>...> slots{{{load_slot<Lanes, Pass, Full>(args, at)}...}};
  kernel(get<K>(slots)...);
  (store_slot<Lanes, Full>(args, at, get<K>(slots)), ...);
}

template <class Lanes, class Pass, bool Full, class Kernel, class... Args>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void call_at(const Kernel& kernel, const lanes_at& at, Args&... args) {
  call_with<Lanes, Pass, Full>(kernel, at, std::index_sequence_for<Args...>{}, args...);
}

template <class Arg>
std::size_t broadcast_length(const Arg& arg) {
  if constexpr (is_broadcast_v<Arg> || is_strided_v<Arg>)
    return arg.length;
  else
    return 0;
}

// The messages of row_length, out of line: the check itself stays a few
// compares (it runs on every pass; a batch-1 step makes several).
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_mixed_row_lengths(std::size_t a, std::size_t b) {
  throw shape_error("modyn::map: broadcast or strided rows of lengths " + std::to_string(a) + " and " +
                    std::to_string(b) + " in one pass");
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_partial_row(std::size_t n, std::size_t length) {
  throw shape_error("modyn::map: a pass of " + std::to_string(n) +
                    " elements is not a whole number of rows of " + std::to_string(length) +
                    " (the broadcast row's length)");
}

// The row length of a pass: n without broadcast rows, else their common
// length, which must divide n.
template <class... Args>
std::size_t row_length(std::size_t n, const Args&... args) {
  std::size_t length = 0, other = 0;
  const auto take = [&](std::size_t l) {
    if (length == 0)
      length = l;
    else if (l != 0 && l != length && other == 0)
      other = l;
  };
  (take(broadcast_length(args)), ...);
  if (other != 0) throw_mixed_row_lengths(length, other);
  if (length == 0) return n;
  // (n == length first: one row, a batch-1 step, needs no division.)
  if (n != length && n % length != 0) throw_partial_row(n, length);
  return length;
}

// Elements start + j .. start + end - 1 of row r: full calls of Lanes::width
// elements and one partial call.
template <class Lanes, class Pass, class Kernel, class... Args>
MODYN_ALWAYS_INLINE void run_row(std::size_t start, std::size_t r, std::size_t j, std::size_t end,
                                 const Kernel& kernel, Args&... args) {
  constexpr std::size_t width = Lanes::width;
  for (; j + width <= end; j += width)
    call_at<Lanes, Pass, true>(kernel, lanes_at{start + j, r, j, width}, args...);
  if (j < end) call_at<Lanes, Pass, false>(kernel, lanes_at{start + j, r, j, end - j}, args...);
}

// Elements first .. last - 1 of a pass in rows of `row` elements (the
// broadcast length; n when the pass has no rows, then any first and last,
// else whole rows). Indices stay those of the whole pass, so that threads
// can each run a range (parallel_map.hpp).
//
// The kernel and the arguments are locals (taken by value; an emit channel
// as its emit_local), which the pass's stores cannot reach (a float field of
// a kernel could alias a float array, an emit count the list), so their
// fields stay in registers instead of being reloaded at every vector. An
// emit channel's count is written back once, after the range.
template <class Lanes, class Pass, class Kernel, class... Locals>
void run_local_range(std::size_t first, std::size_t last, std::size_t row, Kernel kernel, Locals... locals) {
  constexpr bool has_rows = ((is_broadcast_v<Locals> || is_strided_v<Locals>) || ...);
  if constexpr (has_rows) {
    for (std::size_t start = first, r = first / row; start < last; start += row, ++r)
      run_row<Lanes, Pass>(start, r, 0, row, kernel, locals...);
  } else {
    run_row<Lanes, Pass>(0, 0, first, last, kernel, locals...);
  }
  (write_back(locals), ...);
}

template <class Lanes, class Kernel, class... Args>
void run_map_range(std::size_t first, std::size_t last, std::size_t row, const Kernel& kernel,
                   const Args&... args) {
  run_local_range<Lanes, pass_element_t<Args...>>(first, last, row, kernel, range_local(args)...);
}

// The whole pass: rows of the broadcast length (or one row of n).
template <class Lanes, class Kernel, class... Args>
void run_map(std::size_t n, const Kernel& kernel, const Args&... args) {
  static_assert(check_map_args<Args...>());
  if (n == 0) return;
  constexpr bool has_rows = ((is_broadcast_v<Args> || is_strided_v<Args>) || ...);
  const std::size_t row = has_rows ? row_length(n, args...) : n;
  run_map_range<Lanes>(0, n, row, kernel, args...);
}

// One lane per call, V = T: the serial test backend, and the form a GPU
// thread runs.
struct scalar_lanes {
  template <class T>
  using vec = T;
  template <class T>
  using mask = bool;
  static constexpr std::size_t width = 1;

  template <class T>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static T load(const T* p) {
    return *p;
  }
  template <class T>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static T load_partial(const T* p, std::size_t) {
    return *p;
  }
  template <class T>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void store(T* p, const T& v) {
    *p = v;
  }
  template <class T>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void store_partial(T* p, const T& v, std::size_t) {
    *p = v;
  }
  template <class I>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static I iota(std::size_t first) {
    return static_cast<I>(first);
  }
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static std::uint64_t mask_bits(bool m) { return m ? 1u : 0u; }
  template <class Index>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static std::size_t emit(Index* out, std::uint64_t bits,
                                                                std::size_t first) {
    if (bits) *out = static_cast<Index>(first);
    return bits ? 1 : 0;
  }
};

// Appends first + k for every set bit k of `bits`, in order; returns how
// many. The portable form: one set bit at a time.
template <class Index>
MODYN_ALWAYS_INLINE std::size_t emit_bits(Index* out, std::uint64_t bits, std::size_t first) {
  std::size_t n = 0;
  while (bits) {
    out[n++] = static_cast<Index>(first + static_cast<std::size_t>(std::countr_zero(bits)));
    bits &= bits - 1;
  }
  return n;
}

}  // namespace modyn::detail
