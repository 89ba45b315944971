/// @file
/// What a CUDA thread of modyn::cuda's map does, as plain host-device C++:
/// the launch configuration, the element a thread of a grid-stride loop
/// handles, one kernel call on one element, and the ordered emit (a warp's
/// ballot word per 32 elements, an exclusive scan of their popcounts, then
/// each word's set bits written at its offset, in order).
///
/// None of it needs the CUDA runtime or nvcc: the host test suite runs these
/// functions, simulating the grid, warp by warp (tests/backend/cuda_launch.cpp),
/// and backend/cuda.hpp's kernels are thin loops around them.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "modyn/backend/detail/map_engine.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn::detail {

// The emit channel as a CUDA thread sees it: the kernel's mask slot (bool),
// which the thread's warp turns into a ballot word. The list, its count and
// the first index stay with the host side of the launch.
struct ballot_emit_arg {};

template <>
struct map_arg<ballot_emit_arg> {
  using element = void;
  static constexpr bool stored = true;
};
template <class Lanes, class Pass>
struct slot_of<Lanes, Pass, ballot_emit_arg> {
  using type = typename Lanes::template mask<Pass>;
};

namespace cuda_launch {

inline constexpr unsigned warp_size = 32;
inline constexpr unsigned threads_per_block =
    256;  // 8 warps: a multiple of the warp, good occupancy on sm_80/90
// Resident blocks per multiprocessor aimed at: 2048 threads per SM on sm_80
// and sm_90, 256 per block.
inline constexpr unsigned blocks_per_multiprocessor = 8;

struct grid {
  unsigned blocks = 0;
  unsigned threads = 0;
  // Threads in the whole grid: the stride of a grid-stride loop.
  constexpr std::size_t size() const noexcept { return std::size_t(blocks) * threads; }
};

// The grid of a grid-stride pass over `items` work items: enough blocks to
// fill every multiprocessor, never more than the items need (a small pass
// launches one block), and at least one block for a non-empty pass.
constexpr grid grid_for(std::size_t items, unsigned multiprocessors) noexcept {
  if (items == 0) return {0, threads_per_block};
  const std::size_t needed = (items + threads_per_block - 1) / threads_per_block;
  const std::size_t resident = std::size_t(std::max(multiprocessors, 1u)) * blocks_per_multiprocessor;
  return {static_cast<unsigned>(std::min(needed, resident)), threads_per_block};
}

// The number of 32-element words of a pass of n elements (one ballot each).
constexpr std::size_t words_for(std::size_t n) noexcept { return (n + warp_size - 1) / warp_size; }

// The ordered emit works on whole warps: warp w of a grid-stride loop
// covers elements [32 w, 32 w + 32), so its ballot word is word w of the
// pass. A grid of g.size() threads has g.size() / 32 warps; thread t is lane
// t % 32 of warp t / 32 (t = block * threads + thread).
constexpr std::size_t warps_of(const grid& g) noexcept { return g.size() / warp_size; }

// The mask of an emit slot; false for every other argument.
template <class Arg, class Slot>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE bool emitted(const Slot& slot) {
  if constexpr (std::is_same_v<Arg, ballot_emit_arg>)
    return slot;
  else
    return false;
}

// One kernel call on element i of a pass whose rows (broadcast or strided
// arguments) are `row` long, one lane (Vec = T); returns the emit mask the
// kernel set (false when the pass has no emit).
template <class Pass, class Kernel, class... Args, std::size_t... K>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE bool call_element(const Kernel& kernel, const lanes_at& at,
                                                        std::index_sequence<K...>, const Args&... args) {
  pack<slot_t<scalar_lanes, Pass, Args>...> slots{{{load_slot<scalar_lanes, Pass, true>(args, at)}...}};
  kernel(get<K>(slots)...);
  (store_slot<scalar_lanes, true>(args, at, get<K>(slots)), ...);
  return (emitted<Args>(get<K>(slots)) || ...);
}

template <class Pass, bool HasRows, class Kernel, class... Args>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE bool map_element(const Kernel& kernel, std::size_t row, std::size_t i,
                                                       const Args&... args) {
  lanes_at at{i, 0, i, 1};
  if constexpr (HasRows) {  // (a 64-bit division per element only where rows exist)
    at.r = i / row;
    at.j = i - at.r * row;
  }
  return call_element<Pass>(kernel, at, std::index_sequence_for<Args...>{}, args...);
}

// Writes first + b for every set bit b of `word`, in increasing b, at
// list[offset], list[offset + 1], ...; returns how many.
template <class Index>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE unsigned scatter_word(std::uint32_t word, std::size_t offset,
                                                            std::size_t first, Index* list) {
  unsigned written = 0;
  while (word != 0) {
#if defined(__CUDA_ARCH__)
    const unsigned bit = unsigned(__ffs(int(word)) - 1);
#else
    const unsigned bit = unsigned(std::countr_zero(word));
#endif
    list[offset + written++] = static_cast<Index>(first + bit);
    word &= word - 1;
  }
  return written;
}

// The set bits of a word: what the scan of the emit adds up.
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE unsigned popcount(std::uint32_t word) {
#if defined(__CUDA_ARCH__)
  return unsigned(__popc(word));
#else
  return unsigned(std::popcount(word));
#endif
}

// What a device pass hands its kernel in place of each host argument: the
// emit channel becomes the ballot slot; everything else is passed as is.
template <class Arg>
constexpr auto device_arg(const Arg& arg) noexcept {
  if constexpr (requires { arg.list; })
    return ballot_emit_arg{};
  else
    return arg;
}

template <class Arg>
inline constexpr bool is_emit_v = false;
template <class Index>
inline constexpr bool is_emit_v<emit_arg<Index>> = true;

}  // namespace cuda_launch
}  // namespace modyn::detail
