// modyn::cuda's launch logic on the host (backend/cuda/launch.hpp): the grid
// a pass gets, the grid-stride loop covering every element once, one
// kernel call per element with every argument kind, and the ordered emit
// (ballot words, an exclusive scan of their popcounts, the scatter), with
// the grid simulated warp by warp in a scrambled order, against
// modyn::serial's results.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

#include "modyn/backend/cuda/launch.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/math.hpp"

namespace launch = modyn::detail::cuda_launch;
using modyn::serial;

namespace {

// The CUDA map kernel's loop, thread by thread: thread t of a grid handles
// t, t + size, ... (every thread of the grid, blocks in reverse order, to
// show that nothing depends on the order).
template <class Visit>
void grid_stride(const launch::grid& g, std::size_t n, Visit visit) {
  for (std::size_t block = g.blocks; block-- > 0;) {
    for (std::size_t thread = 0; thread < g.threads; ++thread) {
      for (std::size_t i = block * g.threads + thread; i < n; i += g.size()) visit(i);
    }
  }
}

// The emit kernel, warp by warp: warp w forms word w from its 32 lanes'
// masks (the ballot), lane 0 stores the word and its popcount.
template <class Pass, bool HasRows, class Kernel, class... Args>
void simulate_emit_pass(const launch::grid& g, std::size_t n, std::size_t row,
                        std::vector<std::uint32_t>& words, std::vector<std::uint32_t>& counts,
                        const Kernel& kernel, const Args&... args) {
  const std::size_t warps = launch::warps_of(g);
  std::vector<std::size_t> order(warps);
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  for (const std::size_t warp : order) {
    for (std::size_t w = warp; w * launch::warp_size < n; w += warps) {
      std::uint32_t word = 0;
      for (unsigned lane = 0; lane < launch::warp_size; ++lane) {
        const std::size_t i = w * launch::warp_size + lane;
        const bool fired = i < n && launch::map_element<Pass, HasRows>(kernel, row, i, args...);
        word |= std::uint32_t(fired) << lane;
      }
      words[w] = word;
      counts[w] = launch::popcount(word);
    }
  }
}

// A LIF-like step with every argument kind: an input, a broadcast row, an
// int32 counter beside float state, the element index, a write-only output
// and the emit mask.
struct step_kernel {
  float threshold;
  template <class V, class I, class M>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& input, const V& gain, const I& index, V& v,
                                                        I& counter, V& out, M& fired) const {
    v = v * V(0.75f) + input * gain;
    fired = v >= V(threshold);
    v = modyn::math::select(fired, V(0), v);
    counter = counter + modyn::math::select(fired, I(1), I(0)) + index % I(3);
    out = v * V(2);
  }
};

struct gate_kernel {  // a strided gate of a (rows, 3 L) GEMM result
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& gate, V& h) const {
    h = h + gate;
  }
};

}  // namespace

TEST_CASE("cuda launch: the grid of a pass fills the device and never exceeds the work") {
  CHECK(launch::grid_for(0, 132).blocks == 0);
  CHECK(launch::grid_for(1, 132).blocks == 1);
  CHECK(launch::grid_for(256, 132).blocks == 1);
  CHECK(launch::grid_for(257, 132).blocks == 2);
  CHECK(launch::grid_for(std::size_t(1) << 30, 132).blocks == 132 * launch::blocks_per_multiprocessor);
  CHECK(launch::grid_for(std::size_t(1) << 30, 0).blocks == launch::blocks_per_multiprocessor);
  CHECK(launch::grid_for(1000, 132).threads == launch::threads_per_block);
  CHECK(launch::threads_per_block % launch::warp_size == 0);  // the emit needs whole warps
  CHECK(launch::words_for(0) == 0);
  CHECK(launch::words_for(32) == 1);
  CHECK(launch::words_for(33) == 2);
}

TEST_CASE("cuda launch: the grid-stride loop visits every element exactly once") {
  for (const std::size_t n : {1u, 31u, 256u, 257u, 5000u, 70001u}) {
    for (const unsigned sms : {1u, 2u, 132u}) {
      const launch::grid g = launch::grid_for(n, sms);
      std::vector<int> visits(n, 0);
      grid_stride(g, n, [&](std::size_t i) { ++visits[i]; });
      INFO("n = " << n << ", multiprocessors = " << sms);
      CHECK(std::all_of(visits.begin(), visits.end(), [](int v) { return v == 1; }));
    }
  }
}

TEST_CASE("cuda launch: a word's set bits are written in order at its offset") {
  std::vector<std::int32_t> list(8, -1);
  CHECK(launch::scatter_word(0b1011u, 2, 64, list.data()) == 3);
  CHECK(list == std::vector<std::int32_t>{-1, -1, 64, 65, 67, -1, -1, -1});
  CHECK(launch::scatter_word(0u, 0, 0, list.data()) == 0);
  CHECK(launch::scatter_word(0x80000001u, 0, 32, list.data()) == 2);
  CHECK(list[0] == 32);
  CHECK(list[1] == 63);
  CHECK(launch::popcount(0xffffffffu) == 32);
}

TEST_CASE("cuda launch: device arguments replace only the emit channel") {
  std::size_t count = 0;
  std::int32_t list[1];
  float x[1];
  static_assert(std::is_same_v<decltype(launch::device_arg(modyn::emit_to(list, count))),
                               modyn::detail::ballot_emit_arg>);
  static_assert(std::is_same_v<decltype(launch::device_arg(static_cast<const float*>(x))), const float*>);
  static_assert(std::is_same_v<decltype(launch::device_arg(modyn::broadcast_row(x, 1))),
                               modyn::broadcast_row_arg<float>>);
  CHECK(launch::device_arg(modyn::element_index(7)).first == 7);
}

TEST_CASE("cuda launch: a simulated device pass equals modyn::serial, emit order included") {
  constexpr std::size_t row = 37;  // rows of the broadcast gain
  const std::size_t first = GENERATE(std::size_t(0), std::size_t(1000));
  for (const std::size_t rows : {0u, 1u, 3u, 40u, 300u}) {
    const std::size_t n = rows * row;
    for (const unsigned sms : {1u, 4u}) {
      INFO("n = " << n << ", multiprocessors = " << sms << ", first = " << first);
      std::mt19937 generator(static_cast<unsigned>(n + sms));
      std::uniform_real_distribution<float> uniform(0.f, 1.f);
      std::vector<float> input(n), gain(row), v(n);
      for (float& x : input) x = uniform(generator);
      for (float& x : gain) x = 2.f * uniform(generator);
      for (float& x : v) x = uniform(generator);
      std::vector<std::int32_t> counter(n, 5);

      // modyn::serial: one element at a time, in order.
      std::vector<float> v_serial = v, out_serial(n);
      std::vector<std::int32_t> counter_serial = counter, list_serial(n + 3, -1);
      std::size_t count_serial = 3;  // the emit appends after what the list holds
      serial::map(n, step_kernel{1.f}, static_cast<const float*>(input.data()),
                  modyn::broadcast_row(gain.data(), row), modyn::element_index(first), v_serial.data(),
                  counter_serial.data(), modyn::write_only(out_serial.data()),
                  modyn::emit_to(list_serial.data(), count_serial, first));

      // The device's three passes, simulated.
      const modyn::element_index_arg index{first};
      std::vector<float> out(n);
      const launch::grid g = launch::grid_for(launch::words_for(n) * launch::warp_size, sms);
      std::vector<std::uint32_t> words(launch::words_for(n)), counts(words.size()), offsets(words.size());
      simulate_emit_pass<float, true>(g, n, row, words, counts, step_kernel{1.f},
                                      static_cast<const float*>(input.data()),
                                      modyn::broadcast_row(gain.data(), row), index, v.data(), counter.data(),
                                      modyn::write_only(out.data()), modyn::detail::ballot_emit_arg{});
      std::exclusive_scan(counts.begin(), counts.end(), offsets.begin(), std::uint32_t(0));
      std::vector<std::int32_t> list(n + 3, -1);
      std::size_t total = 0;
      for (std::size_t w = words.size(); w-- > 0;) {  // words in any order
        const unsigned written = launch::scatter_word(words[w], 3 + offsets[w], first + w * 32, list.data());
        if (w + 1 == words.size()) total = offsets[w] + written;
      }

      CHECK(v == v_serial);
      CHECK(out == out_serial);
      CHECK(counter == counter_serial);
      CHECK(3 + total == count_serial);
      list.resize(3 + total);
      list_serial.resize(count_serial);
      std::fill(list.begin(), list.begin() + 3, -1);
      CHECK(list == list_serial);
      if (n == 300 * row) CHECK(total > 100);  // the case exercises many words
    }
  }
}

TEST_CASE("cuda launch: strided rows reach the element of their row") {
  constexpr std::size_t length = 5, stride = 15, rows = 7;
  std::vector<float> gates(rows * stride);
  std::iota(gates.begin(), gates.end(), 0.f);
  std::vector<float> h(rows * length, 1.f), h_serial = h;
  serial::map(h.size(), gate_kernel{}, modyn::strided_rows(gates.data() + length, length, stride),
              h_serial.data());
  const launch::grid g = launch::grid_for(h.size(), 2);
  grid_stride(g, h.size(), [&](std::size_t i) {
    (void)launch::map_element<float, true>(
        gate_kernel{}, length, i, modyn::strided_rows(gates.data() + length, length, stride), h.data());
  });
  CHECK(h == h_serial);
  CHECK(h[0] == 1.f + float(length));
  CHECK(h[length] == 1.f + float(stride + length));  // row 1 starts a stride further
}
