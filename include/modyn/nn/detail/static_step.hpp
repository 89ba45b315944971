// The step of a layer whose sizes are known at compile time
// (nn::RNNCell<In, Hidden>, GRUCell, LSTMCell, Dense<In, Out>) on the CPU
// backend: each block of rows keeps its gate pre-activations in registers
// while it accumulates b + x W_ih + h W_hh over the compile-time K, then
// applies the gates and stores h (and c) once. No GEMM call, no gate
// buffer, no second pass.
//
// A row of `Hidden` elements is tiled by lane chunks: whole vectors of the
// widest native width, then at most one of each narrower width, then
// scalars (20 floats on AVX-512: 16 + 4; 8: one 256-bit vector), so a tail
// costs one narrow instruction, not a gather through a stack buffer.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/math.hpp"

namespace modyn::nn::detail {

/// \cond internal
// Whether cells of static sizes on backend B run static_step: the CPU
// backend, float and double.
template <class T, class B>
inline constexpr bool has_static_step = std::is_same_v<B, cpu> &&
                                        (std::is_same_v<T, float> || std::is_same_v<T, double>);

// Whether the fused step beats a GEMM for `rows` rows of a product with a
// weight of `weight_elements`: per row block it reads the whole weight, which
// is free while the weight stays in L1 (32 KiB), and no worse than a GEMV
// (what any GEMM does) for a few rows.
template <class T>
constexpr bool static_step_pays(std::size_t rows, std::size_t weight_elements) {
  return weight_elements * sizeof(T) <= 32 * 1024 || rows <= 4;
}

// The value type of a chunk of Width elements: a native xsimd batch, or T.
template <class T, std::size_t Width>
using lane_t = std::conditional_t<Width == 1, T, xsimd::make_sized_batch_t<T, Width>>;

template <class T, std::size_t Width>
inline constexpr bool native_width = Width == 1 || !std::is_void_v<xsimd::make_sized_batch_t<T, Width>>;

struct lane_chunk {
  std::size_t offset = 0;
  std::size_t width = 0;
};

// Calls emit(offset, width) for each chunk of the tiling of n elements of T.
template <class T, class Emit>
constexpr void tile_row(std::size_t n, Emit emit) {
  constexpr std::size_t widths[] = {64 / sizeof(T), 32 / sizeof(T), 16 / sizeof(T)};
  constexpr bool native[] = {native_width<T, 64 / sizeof(T)>, native_width<T, 32 / sizeof(T)>,
                             native_width<T, 16 / sizeof(T)>};
  std::size_t at = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!native[i] || widths[i] < 2) continue;
    while (n - at >= widths[i]) {
      emit(at, widths[i]);
      at += widths[i];
    }
  }
  for (; at < n; ++at) emit(at, std::size_t{1});
}

template <class T, std::size_t N>
constexpr auto lane_chunks() {
  constexpr std::size_t count = [] {
    std::size_t c = 0;
    tile_row<T>(N, [&](std::size_t, std::size_t) { ++c; });
    return c;
  }();
  std::array<lane_chunk, count> chunks{};
  std::size_t i = 0;
  tile_row<T>(N, [&](std::size_t offset, std::size_t width) { chunks[i++] = {offset, width}; });
  return chunks;
}

// Whether a row of N elements is whole vectors of the widest width; else a
// flat pass over every row runs a costly activation on fewer vectors than
// the chunks of each row do.
template <class T, std::size_t N>
inline constexpr bool whole_vectors = lane_chunks<T, N>().front().width > 1 &&
                                      lane_chunks<T, N>().back().width == lane_chunks<T, N>().front().width;

template <class V, class T>
MODYN_ALWAYS_INLINE V load_lane(const T* p) {
  if constexpr (std::is_same_v<V, T>)
    return *p;
  else
    return V::load_unaligned(p);
}

template <class V, class T>
MODYN_ALWAYS_INLINE void store_lane(T* p, const V& v) {
  if constexpr (std::is_same_v<V, T>)
    *p = v;
  else
    v.store_unaligned(p);
}

// A term of a gate sum: rows added as they are (a bias: ld 0, the same row
// for every row; a projected input: ld G Hidden) ...
template <class T>
struct added_rows {
  const T* data;
  std::size_t ld;
};

// ... or a product a (rows, K) W (K, G Hidden), row r of a at a + r lda.
template <class T, std::size_t K>
struct product {
  const T* a;
  std::size_t lda;
  const T* w;
};

// The same terms for the rows from `first` on (a bias stays as it is).
template <class T>
added_rows<T> from_row(const added_rows<T>& rows, std::size_t first) {
  return {rows.ld == 0 ? rows.data : rows.data + first * rows.ld, rows.ld};
}
template <class T, std::size_t K>
product<T, K> from_row(const product<T, K>& p, std::size_t first) {
  return {p.a + first * p.lda, p.lda, p.w};
}
template <class... Terms>
std::tuple<Terms...> from_row(const std::tuple<Terms...>& sum, std::size_t first) {
  return std::apply([&](const Terms&... term) { return std::tuple<Terms...>{from_row(term, first)...}; },
                    sum);
}

template <class Term>
inline constexpr bool is_product_v = false;
template <class T, std::size_t K>
inline constexpr bool is_product_v<product<T, K>> = true;

// The pre-activations of G gates of Hidden units for R rows, lane chunks
// First .. First + sizeof...(I) - 1: acc[chunk][r G + g]. No loops and no
// lambdas: every access is a fold over compile-time indices in an always
// inlined function, so the accumulators stay in registers.
template <class T, std::size_t Hidden, std::size_t G, std::size_t R, std::size_t First, std::size_t... I>
struct gate_accumulators {
  static constexpr auto chunks = lane_chunks<T, Hidden>();
  template <std::size_t C>
  using lane = lane_t<T, chunks[C].width>;
  using slots = std::make_index_sequence<R * G>;  // q = r G + g

  std::tuple<std::array<lane<First + I>, R * G>...> acc;

  // acc = the sum's terms (a tuple: added rows first, then added rows or products).
  template <class... Terms>
  MODYN_ALWAYS_INLINE void fill(std::size_t row, const std::tuple<Terms...>& sum) {
    fill_terms(row, sum, std::make_index_sequence<sizeof...(Terms) - 1>{});
  }

  // The G gates of chunk J of row Row of the block.
  template <std::size_t J, std::size_t Row>
  MODYN_ALWAYS_INLINE std::array<lane<First + J>, G> gates_of() const {
    return gates_of<J, Row>(std::make_index_sequence<G>{});
  }

 private:
  template <class Sum, std::size_t... K>
  MODYN_ALWAYS_INLINE void fill_terms(std::size_t row, const Sum& sum, std::index_sequence<K...>) {
    (rows_chunk<I, false>(row, std::get<0>(sum), slots{}), ...);
    (add(row, std::get<K + 1>(sum)), ...);
  }

  template <class Term>
  MODYN_ALWAYS_INLINE void add(std::size_t row, const Term& term) {
    if constexpr (is_product_v<Term>)
      add_product(row, term);
    else
      (rows_chunk<I, true>(row, term, slots{}), ...);
  }

  template <std::size_t J, std::size_t Row, std::size_t... Gate>
  MODYN_ALWAYS_INLINE std::array<lane<First + J>, G> gates_of(std::index_sequence<Gate...>) const {
    return {std::get<J>(acc)[Row * G + Gate]...};
  }

  template <std::size_t J, bool Add, std::size_t... Q>
  MODYN_ALWAYS_INLINE void rows_chunk(std::size_t row, const added_rows<T>& rows, std::index_sequence<Q...>) {
    using V = lane<First + J>;
    constexpr std::size_t offset = chunks[First + J].offset;
    auto& a = std::get<J>(acc);
    if constexpr (Add)
      ((a[Q] += load_lane<V>(rows.data + (row + Q / G) * rows.ld + Q % G * Hidden + offset)), ...);
    else
      ((a[Q] = load_lane<V>(rows.data + (row + Q / G) * rows.ld + Q % G * Hidden + offset)), ...);
  }

  template <std::size_t K>
  MODYN_ALWAYS_INLINE void add_product(std::size_t row, const product<T, K>& p) {
    const T* a = p.a + row * p.lda;
    for (std::size_t k = 0; k < K; ++k) (product_chunk<I>(p.w + k * G * Hidden, a + k, p.lda, slots{}), ...);
  }

  // acc[J][r G + g] += a[r lda] w[g Hidden + offset .. ]: the compiler loads
  // each w once and broadcasts each a once (no store in between).
  template <std::size_t J, std::size_t... Q>
  MODYN_ALWAYS_INLINE void product_chunk(const T* w_row, const T* a, std::size_t lda,
                                         std::index_sequence<Q...>) {
    using V = lane<First + J>;
    constexpr std::size_t offset = chunks[First + J].offset;
    auto& sum = std::get<J>(acc);
    ((sum[Q] = math::fma(V(a[Q / G * lda]), load_lane<V>(w_row + Q % G * Hidden + offset), sum[Q])), ...);
  }
};

// How a cell's step is blocked: accumulators per row = G gates x Sets sums x
// chunks; as many rows at once as fit the register budget (at most 8), and
// where one row's chunks do not fit, the chunks in groups.
template <class T, std::size_t Hidden, std::size_t G, std::size_t Sets>
struct step_blocking {
  static constexpr std::size_t chunk_count = lane_chunks<T, Hidden>().size();
  // Vector registers for accumulators: a quarter of the file stays for the
  // weights, the broadcast inputs and the gate math.
  static constexpr std::size_t budget = sizeof(xsimd::batch<T>) >= 64 ? 24 : 12;
  static constexpr std::size_t per_chunk = G * Sets;
  static constexpr std::size_t per_row = per_chunk * chunk_count;
  static constexpr bool one_group = per_row <= budget;
  static constexpr std::size_t rows =
      one_group ? (budget / per_row < 1 ? 1 : (budget / per_row > 8 ? 8 : budget / per_row)) : 1;
  static constexpr std::size_t group =
      one_group ? chunk_count : (budget / per_chunk < 1 ? 1 : budget / per_chunk);
  static constexpr std::size_t groups = (chunk_count + group - 1) / group;
  static constexpr std::size_t first_of(std::size_t g) { return g * group; }
  static constexpr std::size_t count_of(std::size_t g) {
    return (g + 1) * group > chunk_count ? chunk_count - g * group : group;
  }
};

template <class T, std::size_t Hidden, std::size_t G, std::size_t R, std::size_t First, std::size_t Count>
struct group_of {
  template <std::size_t... I>
  static auto make(std::index_sequence<I...>) -> gate_accumulators<T, Hidden, G, R, First, I...>;
  using type = decltype(make(std::make_index_sequence<Count>{}));
};

// One group of chunks for rows row .. row + R - 1: the accumulators of each
// sum filled, then epilogue(row + r, offset, out + r out_ld, pre_0, pre_1,
// ...) for each row r and chunk, pre_s the chunk's G gates of sum s.
template <class T, std::size_t Hidden, std::size_t G, std::size_t R, std::size_t First, std::size_t Count>
struct step_group {
  using acc_type = typename group_of<T, Hidden, G, R, First, Count>::type;

  template <class Epilogue, class... Sums>
  static MODYN_ALWAYS_INLINE void run(std::size_t row, Epilogue& epilogue, T* out, std::size_t out_ld,
                                      const Sums&... sums) {
    run(std::index_sequence_for<Sums...>{}, row, epilogue, out, out_ld, sums...);
  }

 private:
  template <std::size_t... S, class Epilogue, class... Sums>
  static MODYN_ALWAYS_INLINE void run(std::index_sequence<S...> sets, std::size_t row, Epilogue& epilogue,
                                      T* out, std::size_t out_ld, const Sums&... sums) {
    acc_type accs[sizeof...(S)];
    (accs[S].fill(row, sums), ...);
    emit(sets, std::make_index_sequence<R * Count>{}, accs, row, epilogue, out, out_ld);
  }

  template <std::size_t... S, std::size_t... Q, class Epilogue>
  static MODYN_ALWAYS_INLINE void emit(std::index_sequence<S...> sets, std::index_sequence<Q...>,
                                       const acc_type (&accs)[sizeof...(S)], std::size_t row,
                                       Epilogue& epilogue, T* out, std::size_t out_ld) {
    (emit_one<Q / Count, Q % Count>(sets, accs, row, epilogue, out, out_ld), ...);
  }

  template <std::size_t Row, std::size_t J, std::size_t... S, class Epilogue>
  static MODYN_ALWAYS_INLINE void emit_one(std::index_sequence<S...>, const acc_type (&accs)[sizeof...(S)],
                                           std::size_t row, Epilogue& epilogue, T* out, std::size_t out_ld) {
    epilogue(row + Row, acc_type::chunks[First + J].offset, out + Row * out_ld,
             accs[S].template gates_of<J, Row>()...);
  }
};

// Rows row .. row + R - 1, every group of chunks.
template <class T, std::size_t Hidden, std::size_t G, std::size_t R, class Blocking, std::size_t... Group,
          class Epilogue, class... Sums>
MODYN_ALWAYS_INLINE void step_block(std::index_sequence<Group...>, std::size_t row, Epilogue& epilogue, T* h,
                                    const Sums&... sums) {
  if constexpr (Blocking::one_group) {
    // Every chunk of the rows at once: h is read only before it is written.
    step_group<T, Hidden, G, R, 0, Blocking::chunk_count>::run(row, epilogue, h + row * Hidden, Hidden,
                                                               sums...);
  } else {
    // Chunk groups one after another: a later group still reads the old h,
    // so the new rows are staged and copied back at the end.
    alignas(64) T staged[R * Hidden];
    (step_group<T, Hidden, G, R, Blocking::first_of(Group), Blocking::count_of(Group)>::run(
         row, epilogue, staged, Hidden, sums...),
     ...);
    std::copy(staged, staged + R * Hidden, h + row * Hidden);
  }
}

// The step of `rows` rows: for each sum (a tuple of terms: added_rows first,
// then added_rows or products) the G gates' pre-activations, then
// epilogue(r, offset, out_row, pre_0, pre_1, ...) for each row r and lane
// chunk at `offset`, pre_s a std::array of the chunk's G lanes of sum s,
// out_row where the row's results go (h's row r, or a staging row); h
// (rows, Hidden) is the output, which products may read (a cell's state).
template <class T, std::size_t Hidden, std::size_t G, class Epilogue, class... Sums>
void static_step(std::size_t rows, T* h, Epilogue epilogue, const Sums&... sums) {
  using blocking = step_blocking<T, Hidden, G, sizeof...(Sums)>;
  constexpr std::size_t block = blocking::rows;
  constexpr auto groups = std::make_index_sequence<blocking::groups>{};
  std::size_t row = 0;
  for (; row + block <= rows; row += block)
    step_block<T, Hidden, G, block, blocking>(groups, row, epilogue, h, sums...);
  for (; row < rows; ++row) step_block<T, Hidden, G, 1, blocking>(groups, row, epilogue, h, sums...);
}
/// \endcond

}  // namespace modyn::nn::detail
