/// @file
/// modyn::Rng: counter-based random numbers (Philox4x32-10, Salmon et al.
/// 2011, Random123's philox4x32 with 10 rounds).
///
/// Every number is a pure function of (key, fill number, global element
/// index), so a seed gives the same tensors whatever the thread count or
/// backend, a slice of a tensor can be drawn on its own (another MPI rank,
/// another thread) with the numbers of the whole, and a generator can be split
/// into independent streams (one per module path, one per step) without
/// drawing from it. The mapping below is part of the API: the same seed gives
/// the same numbers in every future version of modyn.
///
/// @code
///   key        {seed & 0xffffffff, seed >> 32}; split(id) replaces it by the
///              first two words of Philox({id_lo, id_hi, 0x5eed5eed, 0x5eed5eed}, key)
///   path       for_path(p) = split(fnv1a_64(p)): FNV-1a, 64 bits, of the bytes
///              of the dot-separated module path p ("" for a model's root, "l1",
///              "encoder.0"); offset basis 0xcbf29ce484222325, prime 0x100000001b3
///   counter    {block_lo, block_hi, fill_lo, fill_hi} where `fill` counts the
///              fills this generator has made, and global element i of a fill
///              takes word i % 4 of block i / 4 (normal: pair i / 2 of the
///              block's two, cos for even i, sin for odd i)
///   offset     a fill given an element offset o writes global elements
///              o .. o + n - 1 of that fill into its n elements (o = 0 when not
///              given): a slice of a population drawn with its offset equals
///              the same slice of the whole population's draw
///   uniform    low + (high - low) * u, u = (word >> 8) * 2^-24 for float,
///              u = word * 2^-32 for double; in [low, high) (a value rounded
///              up to high is replaced by the float just below it)
///   normal     Box-Muller in double: r = sqrt(-2 ln((w0 + 1) 2^-32)),
///              z0 = r cos(2 pi w1 2^-32), z1 = r sin(2 pi w1 2^-32)
///   bernoulli  1 when word * 2^-32 < p
///   randint    low + floor(word * (high - low) / 2^32)
/// @endcode
///
/// On the host the blocks are computed 16 at a time in AVX2 / AVX-512 vectors
/// when -march allows (detail/philox.hpp), with the same numbers as the scalar
/// form. Fills of tensors the host cannot address (modyn::cuda) are drawn
/// where they are stored, one element per thread, with the same numbers.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <mutex>
#include <numbers>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "modyn/core/config.hpp"
#include "modyn/core/detail/philox.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

/// FNV-1a, 64 bits (Fowler, Noll, Vo): the stable hash that keys path streams.
/// (Not std::hash, which may differ between standard libraries and versions.)
constexpr std::uint64_t fnv1a_64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= std::uint64_t(static_cast<unsigned char>(c));
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace detail::rng {

// Element makers: the value of one element from the words of its chunk
// (words[j] is this element's word; whole blocks, so pairs are complete).
template <class T>
struct uniform_maker {
  T low, high;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(const std::uint32_t* words, std::size_t j) const {
    const std::uint32_t w = words[j];
    const double u = std::is_same_v<T, float> ? double(w >> 8) * 0x1p-24 : double(w) * 0x1p-32;
    const T value = T(low + (high - low) * T(u));
    // Rounding can reach `high` itself; keep the interval half-open.
    return value < high || low == high ? value : std::nextafter(high, low);
  }
};

template <class T>
struct normal_maker {
  T mean, stddev;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(const std::uint32_t* words, std::size_t j) const {
    const std::size_t pair = j & ~std::size_t(1);
    const double r = std::sqrt(-2.0 * std::log((double(words[pair]) + 1.0) * 0x1p-32));
    const double angle = 2.0 * std::numbers::pi * double(words[pair + 1]) * 0x1p-32;
    const double z = j % 2 == 0 ? r * std::cos(angle) : r * std::sin(angle);
    return T(mean + stddev * T(z));
  }
};

template <class T>
struct bernoulli_maker {
  double p;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(const std::uint32_t* words, std::size_t j) const {
    return double(words[j]) * 0x1p-32 < p ? T(1) : T(0);
  }
};

template <class T>
struct randint_maker {
  std::int64_t low;
  std::uint64_t range;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(const std::uint32_t* words, std::size_t j) const {
    return T(low + std::int64_t((std::uint64_t(words[j]) * range) >> 32));
  }
};

// One element of a fill, drawn where it is stored (on a device, one thread
// per element): element i of the pass is global element offset + i, word
// (offset + i) % 4 of block (offset + i) / 4, as generate() draws it.
template <class Make>
struct fill_kernel {
  Make make;
  std::uint32_t key0, key1;
  std::uint64_t fill, offset;
  template <class Index, class Value>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Index& i, Value& out) const {
    static_assert(!math::is_vector_v<Value>, "modyn::Rng: a device fill runs one element per call");
    const std::uint64_t element = offset + static_cast<std::uint64_t>(i), block = element / 4;
    std::uint32_t words[4];
    philox::block(std::uint32_t(block), std::uint32_t(block >> 32), std::uint32_t(fill),
                  std::uint32_t(fill >> 32), key0, key1, words);
    out = make(words, std::size_t(element % 4));
  }
};

}  // namespace detail::rng

/// A counter-based random number generator (Philox4x32-10): every number is
/// a pure function of the seed, the fill number and the element's global
/// index (see the top of core/random.hpp), on every backend.
class Rng {
 public:
  using block = std::array<std::uint32_t, 4>;  ///< A Philox counter, key or output: four 32-bit words.

  /// The generator of a seed (its key); no fill made yet.
  explicit Rng(std::uint64_t seed = 0) noexcept : key_{lo(seed), hi(seed)} {}

  /// An independent generator for stream `id` (a module, a neuron, a thread);
  /// it depends only on this generator's key, not on what it has drawn.
  Rng split(std::uint64_t id) const noexcept {
    const block derived = raw({lo(id), hi(id), split_tag, split_tag});
    Rng child;
    child.key_ = {derived[0], derived[1]};
    return child;
  }

  /// The stream of the module at `path` ("" for the root): split(fnv1a_64(path)).
  /// What init::reset_parameters(model, seed) gives each layer, so a layer
  /// draws the same numbers wherever and whenever it was built.
  Rng for_path(std::string_view path) const noexcept { return split(fnv1a_64(path)); }

  /// The raw Philox4x32-10 block for a counter under this generator's key.
  block raw(const block& counter) const noexcept {
    block out;
    detail::philox::block(counter[0], counter[1], counter[2], counter[3], key_[0], key_[1], out.data());
    return out;
  }

  /// How many fills this generator has made.
  std::uint64_t fills() const noexcept { return fills_; }
  /// Makes the next fill the one that came after `fills` fills: a fill's
  /// numbers depend only on the key and its index, so this replays (or
  /// skips) draws exactly (a recomputation from a checkpoint replays masks).
  void seek_fills(std::uint64_t fills) noexcept { fills_ = fills; }

  // ---- fills. `offset` is the global index of out's first element (see the
  // mapping at the top): out gets the elements offset .. offset + size - 1.

  /// Numbers uniform in [low, high).
  template <class T, class B>
  void uniform(Tensor<T, B>& out, T low = T(0), T high = T(1), std::uint64_t offset = 0) {
    static_assert(std::is_floating_point_v<T>, "modyn::Rng::uniform fills floating-point tensors");
    if (!(low <= high)) throw config_error("modyn::Rng::uniform: low must not exceed high");
    fill(out, detail::rng::uniform_maker<T>{low, high}, offset);
  }

  /// Numbers from the normal distribution N(mean, stddev^2).
  template <class T, class B>
  void normal(Tensor<T, B>& out, T mean = T(0), T stddev = T(1), std::uint64_t offset = 0) {
    static_assert(std::is_floating_point_v<T>, "modyn::Rng::normal fills floating-point tensors");
    if (!(stddev >= T(0))) throw config_error("modyn::Rng::normal: stddev must be >= 0");
    fill(out, detail::rng::normal_maker<T>{mean, stddev}, offset);
  }

  /// 1 with probability p, else 0.
  template <class T, class B>
  void bernoulli(Tensor<T, B>& out, double p, std::uint64_t offset = 0) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw config_error("modyn::Rng::bernoulli: p = " + std::to_string(p) + " is outside [0, 1]");
    }
    fill(out, detail::rng::bernoulli_maker<T>{p}, offset);
  }

  /// Integers uniform in [low, high).
  template <class T, class B>
  void randint(Tensor<T, B>& out, std::int64_t low, std::int64_t high, std::uint64_t offset = 0) {
    if (!(low < high) || high - low > (std::int64_t(1) << 32)) {
      throw config_error("modyn::Rng::randint: need low < high and high - low <= 2^32, got [" +
                         std::to_string(low) + ", " + std::to_string(high) + ")");
    }
    fill(out, detail::rng::randint_maker<T>{low, std::uint64_t(high - low)}, offset);
  }

  /// Allocating forms: rng.uniform<float>({2, 3}), rng.uniform<float>({n}, 0.f, 1.f, offset).
  /// A new tensor of `shape` filled as by the filling form of the same name.
  /// @{
  template <class T, class B = default_backend>
  Tensor<T, B> uniform(Shape shape, T low = T(0), T high = T(1), std::uint64_t offset = 0) {
    auto t = Tensor<T, B>::empty(shape);
    uniform(t, low, high, offset);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> normal(Shape shape, T mean = T(0), T stddev = T(1), std::uint64_t offset = 0) {
    auto t = Tensor<T, B>::empty(shape);
    normal(t, mean, stddev, offset);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> bernoulli(Shape shape, double p, std::uint64_t offset = 0) {
    auto t = Tensor<T, B>::empty(shape);
    bernoulli(t, p, offset);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> randint(Shape shape, std::int64_t low, std::int64_t high, std::uint64_t offset = 0) {
    auto t = Tensor<T, B>::empty(shape);
    randint(t, low, high, offset);
    return t;
  }
  /// @}

  /// The building block of fused draws (dyn::PoissonSpikes): for k < n,
  /// dst[k] = from_word(w, k), w the word of global element offset + k of fill
  /// number `fill` (the mapping above). Host memory; counts no fill; one pass,
  /// the blocks computed in vectors. from_word(std::uint32_t, std::size_t).
  template <class T, class FromWord>
  void generate_words(T* dst, std::size_t n, std::uint64_t offset, std::uint64_t fill,
                      FromWord from_word) const {
    generate(dst, n, offset, fill, [&from_word](const std::uint32_t* words, std::size_t j, std::size_t k) {
      return from_word(words[j], k);
    });
  }

 private:
  static constexpr std::uint32_t split_tag = 0x5eed5eed;

  static constexpr std::uint32_t lo(std::uint64_t x) noexcept { return std::uint32_t(x); }
  static constexpr std::uint32_t hi(std::uint64_t x) noexcept { return std::uint32_t(x >> 32); }

  /// dst[k] = make(words, j, k) for k < n, where words[j] is the word of
  /// global element offset + k of fill `fill`, in chunks of whole blocks.
  template <class T, class Make>
  void generate(T* dst, std::size_t n, std::uint64_t offset, std::uint64_t fill, Make make) const {
    constexpr std::size_t chunk_blocks = detail::philox::group_blocks, chunk = 4 * chunk_blocks;
    alignas(64) std::uint32_t words[chunk];
    std::uint64_t b = offset / 4;
    std::size_t skip = std::size_t(offset % 4), done = 0;
    while (done < n) {
      const std::size_t blocks = std::min(chunk_blocks, (skip + (n - done) + 3) / 4);
      detail::philox::blocks(b, blocks, lo(fill), hi(fill), key_[0], key_[1], words);
      const std::size_t take = std::min(4 * blocks - skip, n - done);
      T* out = dst + done;
      if (take == chunk) {
        // A whole chunk: a loop of fixed length, which compilers vectorize.
        for (std::size_t j = 0; j < chunk; ++j) out[j] = make(words, j, done + j);
      } else {
        for (std::size_t j = 0; j < take; ++j) out[j] = make(words, skip + j, done + j);
      }
      done += take;
      b += blocks;
      skip = 0;
    }
  }

  /// One fill (counted): out gets the global elements offset .. offset + size - 1.
  template <class T, class B, class Make>
  void fill(Tensor<T, B>& out, Make make, std::uint64_t offset) {
    const std::uint64_t fill_index = fills_++;
    const auto element = [&make](const std::uint32_t* words, std::size_t j, std::size_t) {
      return make(words, j);
    };
    if constexpr (B::host_accessible) {
      generate(out.data(), out.size(), offset, fill_index, element);  // in place: no allocation
    } else {
      // Drawn on the device, one element per thread, in passes short enough
      // for the pass's element index (int32_t for 4-byte elements).
      using Index = index_type_for<T>;
      constexpr std::size_t longest =
          std::min<std::size_t>(std::size_t(1) << 30, std::numeric_limits<Index>::max());
      for (std::size_t start = 0; start < out.size(); start += longest) {
        const std::size_t count = std::min(longest, out.size() - start);
        B::map(count, detail::rng::fill_kernel<Make>{make, key_[0], key_[1], fill_index, offset + start},
               element_index(0), write_only(out.data() + start));
      }
    }
  }

  std::array<std::uint32_t, 2> key_{};
  std::uint64_t fills_ = 0;
};

/// The generator that initialisers use when given no seed: a fixed default
/// seed, and one split stream per initialisation in construction order, so a
/// program builds the same model every run (torch.manual_seed's role). For
/// numbers that do not depend on the construction order, initialise by path
/// (init::reset_parameters(model, seed), nn/init.hpp).
class InitGenerator {
 public:
  /// The process's one generator.
  static InitGenerator& instance() {
    static InitGenerator generator;
    return generator;
  }
  /// Restarts the streams from seed `s` (torch.manual_seed).
  void seed(std::uint64_t s) {
    const std::lock_guard lock(mutex_);
    root_ = Rng(s);
    streams_ = 0;
  }
  /// Thread-safe, as the default module names' counters: models built on
  /// several threads get distinct streams (which thread gets which follows
  /// the order of the calls).
  Rng next() {
    const std::lock_guard lock(mutex_);
    return root_.split(streams_++);
  }

 private:
  std::mutex mutex_;
  Rng root_{0x6d6f64796eULL};
  std::uint64_t streams_ = 0;
};

/// Re-seeds the default generator of initialisers.
inline void manual_seed(std::uint64_t seed) { InitGenerator::instance().seed(seed); }

}  // namespace modyn
