// cpu::map on a team of threads (OpenMP, the optional component
// modyn::openmp): the pass's elements split into one contiguous range per
// thread, in whole rows when the pass has rows, else in blocks of 64
// elements (whole vectors and cache lines, so no two threads write one
// line). Every element is computed as on one thread, and the indices an
// emit channel receives are put back in increasing order: results are
// bit-identical on any number of threads.
//
// An emit channel: thread k appends into the list at its range's own place
// (a range of m elements emits at most m indices, and the list has room for
// the whole pass), then the ranges' lists are moved together in order. The
// thread's count is a local of its range's loop (run_map_range), written
// into counts[k] once when the range is done.
#pragma once

#if !MODYN_WITH_OPENMP
#error "modyn/backend/detail/parallel_map.hpp needs the OpenMP component (modyn::openmp, MODYN_WITH_OPENMP=1)"
#endif

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>

#include "modyn/backend/detail/map_engine.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn::detail {

inline constexpr int max_team_threads = 256;

// Thread's view of an argument: an emit channel writes at `offset` past the
// list's current end with a count of its own; everything else is shared.
template <class Arg>
Arg thread_arg(const Arg& arg, std::size_t /*offset*/, std::size_t& /*count*/) {
  return arg;
}
template <class Index>
emit_arg<Index> thread_arg(const emit_arg<Index>& arg, std::size_t offset, std::size_t& count) {
  return {arg.list + *arg.count + offset, &count, arg.first};
}

template <class Arg>
void merge_emits(const Arg&, int, const std::array<std::size_t, max_team_threads + 1>&,
                 const std::array<std::size_t, max_team_threads>&) {}
template <class Index>
void merge_emits(const emit_arg<Index>& arg, int threads,
                 const std::array<std::size_t, max_team_threads + 1>& begin,
                 const std::array<std::size_t, max_team_threads>& counts) {
  Index* const list = arg.list + *arg.count;
  std::size_t total = counts[0];
  for (int k = 1; k < threads; ++k) {
    if (counts[k] != 0 && begin[k] != total) {
      std::memmove(static_cast<void*>(list + total), static_cast<const void*>(list + begin[k]),
                   counts[k] * sizeof(Index));
    }
    total += counts[k];
  }
  *arg.count += total;
}

template <class Lanes, class Kernel, class... Args>
void parallel_map(int threads, std::size_t n, const Kernel& kernel, const Args&... args) {
  static_assert(check_map_args<Args...>());
  if (n == 0) return;
  if (threads > max_team_threads) {
    throw config_error("modyn::cpu: a team of " + std::to_string(threads) + " threads; at most " +
                       std::to_string(max_team_threads));
  }
  constexpr bool has_rows = ((is_broadcast_v<Args> || is_strided_v<Args>) || ...);
  const std::size_t row = has_rows ? row_length(n, args...) : n;
  const std::size_t unit = has_rows ? row : 64;
  const std::size_t units = (n + unit - 1) / unit;
  const int team = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(threads), units));
  std::array<std::size_t, max_team_threads + 1> begin{};
  std::array<std::size_t, max_team_threads> counts{};
  int ran = team;
#pragma omp parallel num_threads(team)
  {
    const int k = omp_get_thread_num(), size = omp_get_num_threads();
    const std::size_t lo = std::min(n, units * std::size_t(k) / std::size_t(size) * unit);
    const std::size_t hi = std::min(n, units * std::size_t(k + 1) / std::size_t(size) * unit);
    begin[std::size_t(k)] = lo;
    if (k == 0) ran = size;
    run_map_range<Lanes>(lo, hi, row, kernel, thread_arg(args, lo, counts[std::size_t(k)])...);
  }
  (merge_emits(args, ran, begin, counts), ...);
}

}  // namespace modyn::detail
