// modyn::Rng: counter-based random numbers (Philox4x32-10, Salmon et al.
// 2011, from Random123).
//
// Every number is a pure function of (key, fill number, element index), so a
// seed gives the same tensors whatever the thread count or backend, and a
// generator can be split into independent streams (one per module, one per
// neuron) without drawing from it. The mapping below is part of the API: the
// same seed gives the same numbers in every future version of modyn.
//
//   key        {seed & 0xffffffff, seed >> 32}; split(id) replaces it by the
//              first two words of Philox({id_lo, id_hi, 0x5eed5eed, 0x5eed5eed}, key)
//   counter    {block_lo, block_hi, fill_lo, fill_hi} where `fill` counts the
//              fills this generator has made and element i of a fill takes
//              word i % 4 of block i / 4 (normal: pair i / 2 of the block's two)
//   uniform    low + (high - low) * u, u = (word >> 8) * 2^-24 for float,
//              u = word * 2^-32 for double; in [low, high) (a value rounded
//              up to high is replaced by the float just below it)
//   normal     Box-Muller in double: r = sqrt(-2 ln((w0 + 1) 2^-32)),
//              z0 = r cos(2 pi w1 2^-32), z1 = r sin(2 pi w1 2^-32)
//   bernoulli  1 when word * 2^-32 < p
//   randint    low + floor(word * (high - low) / 2^32)
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

#include <Random123/philox.h>

#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

class Rng {
 public:
  using block = std::array<std::uint32_t, 4>;

  explicit Rng(std::uint64_t seed = 0) noexcept : key_{lo(seed), hi(seed)} {}

  // An independent generator for stream `id` (a module, a neuron, a thread);
  // it depends only on this generator's key, not on what it has drawn.
  Rng split(std::uint64_t id) const noexcept {
    const block derived = philox({lo(id), hi(id), split_tag, split_tag}, key_);
    Rng child;
    child.key_ = {derived[0], derived[1]};
    return child;
  }

  // The raw Philox4x32-10 block for a counter under this generator's key.
  block raw(const block& counter) const noexcept { return philox(counter, key_); }

  // How many fills this generator has made.
  std::uint64_t fills() const noexcept { return fills_; }

  template <class T, class B>
  void uniform(Tensor<T, B>& out, T low = T(0), T high = T(1)) {
    static_assert(std::is_floating_point_v<T>, "modyn::Rng::uniform fills floating-point tensors");
    if (!(low <= high)) throw config_error("modyn::Rng::uniform: low must not exceed high");
    fill_words(out, [low, high](std::uint32_t w) {
      const double u = std::is_same_v<T, float> ? double(w >> 8) * 0x1p-24 : double(w) * 0x1p-32;
      const T value = T(low + (high - low) * T(u));
      // Rounding can reach `high` itself; keep the interval half-open.
      return value < high || low == high ? value : std::nextafter(high, low);
    });
  }

  template <class T, class B>
  void normal(Tensor<T, B>& out, T mean = T(0), T stddev = T(1)) {
    static_assert(std::is_floating_point_v<T>, "modyn::Rng::normal fills floating-point tensors");
    if (!(stddev >= T(0))) throw config_error("modyn::Rng::normal: stddev must be >= 0");
    fill(out, [mean, stddev](const block& w, std::size_t word) {
      const std::size_t pair = 2 * (word / 2);
      const double r = std::sqrt(-2.0 * std::log((double(w[pair]) + 1.0) * 0x1p-32));
      const double angle = 2.0 * std::numbers::pi * double(w[pair + 1]) * 0x1p-32;
      const double z = word % 2 == 0 ? r * std::cos(angle) : r * std::sin(angle);
      return T(mean + stddev * T(z));
    });
  }

  // 1 with probability p, else 0.
  template <class T, class B>
  void bernoulli(Tensor<T, B>& out, double p) {
    if (!(p >= 0.0 && p <= 1.0)) {
      throw config_error("modyn::Rng::bernoulli: p = " + std::to_string(p) + " is outside [0, 1]");
    }
    fill_words(out, [p](std::uint32_t w) { return double(w) * 0x1p-32 < p ? T(1) : T(0); });
  }

  // Integers uniform in [low, high).
  template <class T, class B>
  void randint(Tensor<T, B>& out, std::int64_t low, std::int64_t high) {
    if (!(low < high) || high - low > (std::int64_t(1) << 32)) {
      throw config_error("modyn::Rng::randint: need low < high and high - low <= 2^32, got [" +
                         std::to_string(low) + ", " + std::to_string(high) + ")");
    }
    const std::uint64_t range = std::uint64_t(high - low);
    fill_words(out, [low, range](std::uint32_t w) { return T(low + std::int64_t((std::uint64_t(w) * range) >> 32)); });
  }

  // Allocating forms: rng.uniform<float>({2, 3}).
  template <class T, class B = default_backend>
  Tensor<T, B> uniform(Shape shape, T low = T(0), T high = T(1)) {
    auto t = Tensor<T, B>::empty(shape);
    uniform(t, low, high);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> normal(Shape shape, T mean = T(0), T stddev = T(1)) {
    auto t = Tensor<T, B>::empty(shape);
    normal(t, mean, stddev);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> bernoulli(Shape shape, double p) {
    auto t = Tensor<T, B>::empty(shape);
    bernoulli(t, p);
    return t;
  }
  template <class T, class B = default_backend>
  Tensor<T, B> randint(Shape shape, std::int64_t low, std::int64_t high) {
    auto t = Tensor<T, B>::empty(shape);
    randint(t, low, high);
    return t;
  }

 private:
  static constexpr std::uint32_t split_tag = 0x5eed5eed;

  static constexpr std::uint32_t lo(std::uint64_t x) noexcept { return std::uint32_t(x); }
  static constexpr std::uint32_t hi(std::uint64_t x) noexcept { return std::uint32_t(x >> 32); }

  static block philox(const block& counter, const std::array<std::uint32_t, 2>& key) noexcept {
    const r123::Philox4x32::ctr_type c = {{counter[0], counter[1], counter[2], counter[3]}};
    const r123::Philox4x32::key_type k = {{key[0], key[1]}};
    const auto r = r123::Philox4x32()(c, k);
    return {r[0], r[1], r[2], r[3]};
  }

  template <class T, class B, class FromWord>
  void fill_words(Tensor<T, B>& out, FromWord from_word) {
    fill(out, [from_word](const block& w, std::size_t word) { return from_word(w[word]); });
  }

  // Element i of the fill is make(block i / 4, i % 4). Blocks are independent,
  // so any partition of the loop over threads gives the same tensor.
  template <class T, class B, class Make>
  void fill(Tensor<T, B>& out, Make make) {
    const std::uint64_t fill_index = fills_++;
    const auto generate = [&](T* dst, std::size_t n) {
      for (std::size_t i = 0; i < n; i += 4) {
        const std::uint64_t b = i / 4;
        const block words = raw({lo(b), hi(b), lo(fill_index), hi(fill_index)});
        for (std::size_t k = 0; k < 4 && i + k < n; ++k) dst[i + k] = make(words, k);
      }
    };
    if constexpr (B::host_accessible) {
      generate(out.data(), out.size());  // in place: no allocation
    } else {
      std::vector<T> host(out.size());
      generate(host.data(), host.size());
      B::copy_from_host(host.data(), out.data(), host.size());
    }
  }

  std::array<std::uint32_t, 2> key_{};
  std::uint64_t fills_ = 0;
};

// The generator that initialisers use when given no seed: a fixed default
// seed, and one split stream per initialisation in construction order, so a
// program builds the same model every run (torch.manual_seed's role).
class InitGenerator {
 public:
  static InitGenerator& instance() {
    static InitGenerator generator;
    return generator;
  }
  void seed(std::uint64_t s) {
    root_ = Rng(s);
    streams_ = 0;
  }
  Rng next() { return root_.split(streams_++); }

 private:
  Rng root_{0x6d6f64796eULL};
  std::uint64_t streams_ = 0;
};

// Re-seeds the default generator of initialisers.
inline void manual_seed(std::uint64_t seed) { InitGenerator::instance().seed(seed); }

}  // namespace modyn
