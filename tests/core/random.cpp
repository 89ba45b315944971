// modyn::Rng: Philox4x32-10 known answers, the documented mapping of Philox
// words to numbers (pinned values), moments, reproducibility and errors.
//
// The pinned values come from tests/core/random_reference.py, an independent
// pure-Python implementation of Philox4x32-10 and of the mapping documented at
// the top of include/modyn/core/random.hpp. Regenerate them with
//
//     python3 tests/core/random_reference.py
//
// which first checks Random123's known-answer vectors, then prints every value
// below as an exact C++ literal. Since the mapping is part of modyn's API
// (the same seed gives the same numbers in every version), a change to any
// pinned value is a breaking change, not a test to update.
#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <modyn/backend/cpu.hpp>
#include <modyn/core/error.hpp>
#include <modyn/core/random.hpp>
#include <modyn/core/tensor.hpp>
#include <modyn/core/tensor_print.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

// The reference, after modyn (whose headers silence g++ 12's false warnings
// in the intrinsics headers Random123 also includes).
#include <Random123/philox.h>

namespace {

using modyn::Rng;
using block = Rng::block;

struct Moments {
  double mean = 0, variance = 0;
};

template <class T>
Moments moments(const std::vector<T>& x) {
  Moments m;
  for (const T v : x) m.mean += double(v);
  m.mean /= double(x.size());
  for (const T v : x) m.variance += (double(v) - m.mean) * (double(v) - m.mean);
  m.variance /= double(x.size() - 1);
  return m;
}

constexpr std::size_t many = 1000000;

}  // namespace

// ---- Philox4x32-10 ----------------------------------------------------------

TEST_CASE("Rng::raw gives Random123's Philox4x32-10 known answers", "[core][random]") {
  // Random123 kat_vectors, philox4x32 with 10 rounds; the key is the seed,
  // key0 | key1 << 32. Checked independently by random_reference.py.
  CHECK(Rng(0).raw({0, 0, 0, 0}) == block{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8});
  CHECK(Rng(0xffffffffffffffffull).raw({0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}) ==
        block{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd});
  CHECK(Rng(0x299f31d0a4093822ull).raw({0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}) ==
        block{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1});
  // Both halves of a 64-bit seed matter (from random_reference.py).
  CHECK(Rng(0x0123456789abcdefull).raw({1, 2, 3, 4}) ==
        block{0x99d4cb09, 0x26c3c56b, 0x74661f47, 0x327c8526});
}

TEST_CASE("Rng::raw is a pure function of the counter", "[core][random]") {
  const Rng rng(5);
  const block a = rng.raw({1, 0, 0, 0});
  CHECK(rng.raw({1, 0, 0, 0}) == a);
  CHECK(Rng(5).raw({1, 0, 0, 0}) == a);
  CHECK(rng.raw({2, 0, 0, 0}) != a);
  CHECK(rng.raw({1, 0, 1, 0}) != a);
  CHECK(Rng(6).raw({1, 0, 0, 0}) != a);
  CHECK(Rng(5ull | (1ull << 32)).raw({1, 0, 0, 0}) != a);
}

// ---- pinned values of the documented mapping --------------------------------

TEST_CASE("Rng: pinned uniform values", "[core][random][pinned]") {
  Rng rng(42);
  CHECK(rng.fills() == 0);
  // Fill 0: u = (word >> 8) 2^-24 of the words of blocks {0, 0, 0, 0} and {1, 0, 0, 0}.
  CHECK(rng.uniform<float>({6}).to_vector() == std::vector<float>{0x1.39d5ep-1f, 0x1.dfd524p-2f, 0x1.2bf5p-4f,
                                                                  0x1.5d0accp-2f, 0x1.f9b642p-1f,
                                                                  0x1.4ee9bp-2f});
  CHECK(rng.fills() == 1);
  // Fill 1 of the same generator: counters {b, 0, 1, 0}.
  CHECK(rng.uniform<float>({6}).to_vector() == std::vector<float>{0x1.499b8p-7f, 0x1.028f48p-3f,
                                                                  0x1.db458p-3f, 0x1.6c588p-1f,
                                                                  0x1.07fc88p-3f, 0x1.fba43ap-1f});
  CHECK(rng.fills() == 2);

  // double: u = word 2^-32.
  CHECK(Rng(42).split(3).uniform<double>({3}).to_vector() ==
        std::vector<double>{0x1.9a47906cp-1, 0x1.5550dae6p-1, 0x1.33ded6cep-1});

  // low + (high - low) u; these ranges keep every step exact.
  CHECK(Rng(3).uniform<float>({5}, -1.0f, 1.0f).to_vector() ==
        std::vector<float>{0x1.444134p-1f, -0x1.885ee4p-1f, 0x1.3f976p-2f, 0x1.0f989cp-1f, -0x1.daad6p-2f});
  CHECK(Rng(1).uniform<double>({5}, -2.0, 3.0).to_vector() ==
        std::vector<double>{0x1.39c41018p+1, 0x1.3c9924d6p+1, 0x1.db755b8p-1, 0x1.8e6c52c3p+0,
                            0x1.5c286487p+0});
}

TEST_CASE("Rng: pinned split keys", "[core][random][pinned]") {
  // split(id): key = first two words of Philox({id_lo, id_hi, 0x5eed5eed, 0x5eed5eed}, key)
  // = {0x091c5346, 0x4b6be019} for Rng(42).split(3).
  const Rng child = Rng(42).split(3);
  CHECK(child.raw({0, 0, 0, 0}) == block{0xcd23c836, 0xaaa86d73, 0x99ef6b67, 0xf3229179});
  CHECK(child.raw({0, 0, 0, 0}) == Rng(0x4b6be019091c5346ull).raw({0, 0, 0, 0}));
  const block derived = Rng(42).raw({3, 0, 0x5eed5eed, 0x5eed5eed});
  CHECK(derived[0] == 0x091c5346u);
  CHECK(derived[1] == 0x4b6be019u);
  // The high half of the id is the second counter word.
  CHECK(Rng(42).split(1ull << 32).raw({0, 0, 0, 0}) == block{0x1f58098a, 0xb7d94c63, 0xd174fb5e, 0x8920d60a});
}

TEST_CASE("Rng: pinned normal values", "[core][random][pinned]") {
  // Box-Muller in double of the words (w0, w1) and (w2, w3) of each block:
  // r = sqrt(-2 ln((w0 + 1) 2^-32)), z0 = r cos(2 pi w1 2^-32), z1 = r sin(...).
  // The values go through log, cos and sin, which the C library need not
  // round the same way everywhere: compared within a few ulp.
  const std::vector<float> f = Rng(7).normal<float>({4}).to_vector();
  const std::vector<float> f_expected = {0x1.31bb08p-12f, -0x1.3829cep-2f, 0x1.c9ecp+0f, 0x1.116018p+0f};
  REQUIRE(f.size() == f_expected.size());
  for (std::size_t i = 0; i < f.size(); ++i) {
    INFO("i = " << i);
    CHECK(f[i] == Approx(f_expected[i]).epsilon(1e-6));
  }

  // Five elements: the fifth is z0 of block 1. mean + stddev z.
  const std::vector<double> d = Rng(7).normal<double>({5}, 1.5, 2.0).to_vector();
  const std::vector<double> d_expected = {0x1.802637610af94p+0, 0x1.c7d63117e5d8dp-1, 0x1.44f60036b3844p+2,
                                          0x1.d1601716c0902p+1, 0x1.205bfb00499edp+1};
  REQUIRE(d.size() == d_expected.size());
  for (std::size_t i = 0; i < d.size(); ++i) {
    INFO("i = " << i);
    CHECK(d[i] == Approx(d_expected[i]).epsilon(1e-14));
  }
}

TEST_CASE("Rng: pinned bernoulli and randint values", "[core][random][pinned]") {
  // 1 when word 2^-32 < p.
  CHECK(Rng(5).bernoulli<float>({12}, 0.5).to_vector() ==
        std::vector<float>{0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1});
  // low + floor(word (high - low) / 2^32).
  CHECK(Rng(9).randint<int>({10}, -3, 7).to_vector() == std::vector<int>{5, 2, 6, 4, 1, 1, 5, 1, -1, 2});
}

TEST_CASE("Rng: the mapping from raw words", "[core][random]") {
  // Element i of fill f takes word i % 4 of raw({i / 4, 0, f, 0}).
  Rng rng(11);
  std::vector<std::uint32_t> words;
  for (std::uint32_t fill = 0; fill < 2; ++fill) {
    for (std::uint32_t b = 0; b < 3; ++b) {
      const block w = rng.raw({b, 0, fill, 0});
      words.insert(words.end(), w.begin(), w.end());
    }
  }
  // randint over the full 2^32 range gives the words themselves.
  const std::vector<std::int64_t> fill0 =
      rng.randint<std::int64_t>({11}, 0, std::int64_t(1) << 32).to_vector();
  const std::vector<std::int64_t> fill1 =
      rng.randint<std::int64_t>({3, 4}, 0, std::int64_t(1) << 32).to_vector();
  for (std::size_t i = 0; i < 11; ++i) CHECK(fill0[i] == std::int64_t(words[i]));
  for (std::size_t i = 0; i < 12; ++i) CHECK(fill1[i] == std::int64_t(words[12 + i]));

  // uniform<double> is word 2^-32 exactly; uniform<float> keeps the top 24 bits.
  const std::vector<double> ud = Rng(11).uniform<double>({12}).to_vector();
  const std::vector<float> uf = Rng(11).uniform<float>({12}).to_vector();
  for (std::size_t i = 0; i < 12; ++i) {
    CHECK(ud[i] == std::ldexp(double(words[i]), -32));
    CHECK(uf[i] == std::ldexp(float(words[i] >> 8), -24));
  }

  // bernoulli is 1 exactly when word 2^-32 < p: p equal to the first word
  // gives 0, the next representable threshold gives 1.
  const double at = std::ldexp(double(words[0]), -32);
  CHECK(Rng(11).bernoulli<float>({1}, at).item() == 0.0f);
  CHECK(Rng(11).bernoulli<float>({1}, std::nextafter(at, 2.0)).item() == 1.0f);

  // randint: low + floor(word (high - low) / 2^32).
  const std::vector<std::int64_t> r = Rng(11).randint<std::int64_t>({12}, -1000, 999999).to_vector();
  for (std::size_t i = 0; i < 12; ++i) {
    CHECK(r[i] == -1000 + std::int64_t((std::uint64_t(words[i]) * 1000999u) >> 32));
  }

  // normal: Box-Muller on the pairs (w0, w1) and (w2, w3) of each block.
  const std::vector<double> z = Rng(11).normal<double>({6}).to_vector();
  for (std::size_t i = 0; i < 6; ++i) {
    const std::size_t first = 4 * (i / 4) + 2 * ((i % 4) / 2);
    const double radius = std::sqrt(-2.0 * std::log((double(words[first]) + 1.0) * 0x1p-32));
    const double angle = 2.0 * 3.14159265358979323846 * double(words[first + 1]) * 0x1p-32;
    INFO("i = " << i);
    CHECK(z[i] == Approx(i % 2 == 0 ? radius * std::cos(angle) : radius * std::sin(angle)).epsilon(1e-14));
  }
}

TEST_CASE("Rng: the vectorized blocks equal Random123's philox4x32 on every counter", "[core][random]") {
  // generate_words computes 16 blocks at a time in vectors (AVX2 / AVX-512
  // where -march allows) and the rest one by one: compare every word, over
  // offsets that start inside a block, chunks and tails, with Random123.
  for (const std::uint64_t seed : {0ull, 42ull, 0xffffffffffffffffull, 0x0123456789abcdefull}) {
    const Rng rng(seed);
    const r123::Philox4x32::key_type key = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    for (const std::uint64_t fill : {0ull, 1ull, 0x100000002ull}) {
      for (const std::uint64_t offset : {0ull, 1ull, 6ull, 64ull, 0xfffffffcull * 4 + 5}) {
        std::vector<std::uint32_t> words(333);
        rng.generate_words(words.data(), words.size(), offset, fill,
                           [](std::uint32_t w, std::size_t) { return w; });
        for (std::size_t k = 0; k < words.size(); ++k) {
          const std::uint64_t i = offset + k, b = i / 4;
          const r123::Philox4x32::ctr_type c = {
              {std::uint32_t(b), std::uint32_t(b >> 32), std::uint32_t(fill), std::uint32_t(fill >> 32)}};
          INFO("seed " << seed << ", fill " << fill << ", element " << i);
          REQUIRE(words[k] == r123::Philox4x32()(c, key)[i % 4]);
        }
      }
    }
  }
}

// ---- global element offsets ---------------------------------------------------

TEST_CASE("Rng: a fill with an element offset is that slice of the whole fill", "[core][random][offset]") {
  // A population of 1000 drawn whole, and in slices as ranks would draw their
  // part: every slice equals the whole draw's elements offset .. offset + n - 1.
  constexpr std::size_t total = 1000;
  const auto check_slices = [](const auto& whole, const auto& slice_of) {
    for (const std::size_t offset : {0, 1, 2, 3, 5, 63, 64, 65, 250, 997}) {
      for (const std::size_t n : {1, 2, 3, 4, 17, 64, 100, 200}) {
        if (offset + n > total) continue;
        INFO("offset " << offset << ", n " << n);
        const auto slice = slice_of(offset, n);
        REQUIRE(slice.size() == n);
        CHECK(std::equal(slice.begin(), slice.end(), whole.begin() + std::ptrdiff_t(offset)));
      }
    }
  };
  SECTION("uniform float and double, a second fill too") {
    Rng whole_rng(11);
    const auto first = whole_rng.uniform<float>({total}, -2.0f, 3.0f).to_vector();
    const auto second = whole_rng.uniform<double>({total}).to_vector();
    check_slices(first, [](std::size_t o, std::size_t n) {
      return Rng(11).uniform<float>({n}, -2.0f, 3.0f, o).to_vector();
    });
    check_slices(second, [](std::size_t o, std::size_t n) {
      Rng rank(11);
      (void)rank.uniform<float>({n}, -2.0f, 3.0f, o);  // the same sequence of fills
      return rank.uniform<double>({n}, 0.0, 1.0, o).to_vector();
    });
  }
  SECTION("normal: the cos / sin half follows the global index") {
    const auto f = Rng(12).normal<float>({total}, 1.0f, 2.0f).to_vector();
    const auto d = Rng(12).normal<double>({total}).to_vector();
    check_slices(f, [](std::size_t o, std::size_t n) {
      return Rng(12).normal<float>({n}, 1.0f, 2.0f, o).to_vector();
    });
    check_slices(
        d, [](std::size_t o, std::size_t n) { return Rng(12).normal<double>({n}, 0.0, 1.0, o).to_vector(); });
  }
  SECTION("bernoulli") {
    const auto whole = Rng(13).bernoulli<float>({total}, 0.4).to_vector();
    check_slices(whole, [](std::size_t o, std::size_t n) {
      return Rng(13).bernoulli<float>({n}, 0.4, o).to_vector();
    });
  }
  SECTION("randint") {
    const auto whole = Rng(14).randint<std::int64_t>({total}, -50, 50).to_vector();
    check_slices(whole, [](std::size_t o, std::size_t n) {
      return Rng(14).randint<std::int64_t>({n}, -50, 50, o).to_vector();
    });
  }
  SECTION("in-place fills into a tensor, and a population split into ranks") {
    const auto whole = Rng(15).uniform<float>({total}).to_vector();
    std::vector<float> joined;
    for (const std::size_t begin : {0, 333, 666}) {  // three ranks of 333, 333, 334
      const std::size_t n = begin == 666 ? 334 : 333;
      auto part = modyn::Tensor<float>::empty({n});
      Rng rank(15);
      rank.uniform(part, 0.0f, 1.0f, begin);
      CHECK(rank.fills() == 1);
      const auto v = part.to_vector();
      joined.insert(joined.end(), v.begin(), v.end());
    }
    CHECK(joined == whole);
  }
}

TEST_CASE("Rng: pinned values at element offsets", "[core][random][offset][pinned]") {
  // From random_reference.py. Offset 5: the pinned elements 5, 6, 7 of Rng(42)'s first fill.
  CHECK(Rng(42).uniform<float>({3}, 0.0f, 1.0f, 5).to_vector() ==
        std::vector<float>{0x1.4ee9bp-2f, 0x1.071eb4p-1f, 0x1.d13818p-2f});
  // Beyond 2^32 blocks: the block index fills both counter words.
  const std::uint64_t far = (1ull << 34) + 3;
  CHECK(Rng(42).uniform<double>({3}, 0.0, 1.0, far).to_vector() ==
        std::vector<double>{0x1.aabc0facp-2, 0x1.101c1d4p-3, 0x1.a203fef8p-2});
  CHECK(Rng(42).randint<int>({4}, 0, 1000, far).to_vector() == std::vector<int>{416, 132, 408, 577});
}

TEST_CASE("Rng::for_path: streams keyed by the FNV-1a 64 hash of a module path", "[core][random][path]") {
  // FNV-1a 64 known answers (from its definition; random_reference.py).
  STATIC_REQUIRE(modyn::fnv1a_64("") == 0xcbf29ce484222325ull);
  STATIC_REQUIRE(modyn::fnv1a_64("a") == 0xaf63dc4c8601ec8cull);
  CHECK(modyn::fnv1a_64("l1.weight") == 0x5ee1cd9a268e2220ull);
  CHECK(modyn::fnv1a_64("encoder.0") == 0x3c8e889a2b227a99ull);

  const Rng root(42);
  CHECK(root.for_path("encoder.0").raw({0, 0, 0, 0}) == root.split(0x3c8e889a2b227a99ull).raw({0, 0, 0, 0}));
  CHECK(Rng(42).for_path("encoder.0").uniform<float>({4}).to_vector() ==
        std::vector<float>{0x1.88a63p-3f, 0x1.9f9a58p-2f, 0x1.1f9ac8p-2f, 0x1.103f42p-1f});
  CHECK(root.for_path("encoder.0").uniform<float>({64}) != root.for_path("encoder.1").uniform<float>({64}));
  CHECK(root.for_path("").uniform<float>({64}) !=
        Rng(42).uniform<float>({64}));  // the root path is a stream too
  CHECK(Rng(43).for_path("encoder.0").uniform<float>({64}) !=
        root.for_path("encoder.0").uniform<float>({64}));
}

// ---- moments ----------------------------------------------------------------

TEST_CASE("Rng: uniform moments", "[core][random][moments]") {
  SECTION("float in [0, 1)") {
    const std::vector<float> x = Rng(2024).uniform<float>({many}).to_vector();
    const Moments m = moments(x);
    // Standard errors: mean sqrt(1/12 / N) = 2.9e-4, variance ~7.5e-5.
    CHECK(std::abs(m.mean - 0.5) < 5 * 2.9e-4);
    CHECK(std::abs(m.variance - 1.0 / 12) < 5 * 7.5e-5);
    CHECK(*std::min_element(x.begin(), x.end()) >= 0.0f);
    CHECK(*std::max_element(x.begin(), x.end()) < 1.0f);
  }
  SECTION("double in [-2, 3)") {
    const std::vector<double> x = Rng(2025).uniform<double>({many}, -2.0, 3.0).to_vector();
    const Moments m = moments(x);
    // mean 0.5, variance 25/12; standard errors 1.44e-3 and 1.86e-3.
    CHECK(std::abs(m.mean - 0.5) < 5 * 1.44e-3);
    CHECK(std::abs(m.variance - 25.0 / 12) < 5 * 1.86e-3);
    CHECK(*std::min_element(x.begin(), x.end()) >= -2.0);
    CHECK(*std::max_element(x.begin(), x.end()) < 3.0);
  }
  SECTION("deciles hold a tenth each") {
    const std::vector<float> x = Rng(77).uniform<float>({many}).to_vector();
    std::array<std::size_t, 10> counts{};
    for (const float v : x) ++counts[std::min<std::size_t>(std::size_t(v * 10), 9)];
    for (const std::size_t c : counts) CHECK(std::abs(double(c) - 1e5) < 5 * 300.0);  // sd sqrt(N 0.1 0.9)
  }
}

TEST_CASE("Rng: normal moments", "[core][random][moments]") {
  SECTION("standard, float") {
    const std::vector<float> x = Rng(99).normal<float>({many}).to_vector();
    const Moments m = moments(x);
    CHECK(std::abs(m.mean) < 5 * 1e-3);               // sd 1 / sqrt(N)
    CHECK(std::abs(m.variance - 1.0) < 5 * 1.42e-3);  // sd sqrt(2 / N)
    const auto within = std::count_if(x.begin(), x.end(), [](float v) { return std::abs(v) < 1.0f; });
    // P(|z| < 1) = 0.6827, sd sqrt(0.6827 0.3173 / N) = 4.7e-4.
    CHECK(std::abs(double(within) / many - 0.682689) < 5 * 4.7e-4);
    const auto within2 = std::count_if(x.begin(), x.end(), [](float v) { return std::abs(v) < 2.0f; });
    CHECK(std::abs(double(within2) / many - 0.954500) < 5 * 2.1e-4);
    CHECK(std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); }));
  }
  SECTION("mean 3, stddev 0.5, double") {
    const std::vector<double> x = Rng(100).normal<double>({many}, 3.0, 0.5).to_vector();
    const Moments m = moments(x);
    CHECK(std::abs(m.mean - 3.0) < 5 * 5e-4);
    CHECK(std::abs(m.variance - 0.25) < 5 * 3.6e-4);
    const auto within = std::count_if(x.begin(), x.end(), [](double v) { return std::abs(v - 3.0) < 0.5; });
    CHECK(std::abs(double(within) / many - 0.682689) < 5 * 4.7e-4);
  }
  SECTION("the cosine and sine halves are each standard normal") {
    // Even elements are r cos, odd ones r sin: a mistake in either shows here.
    const std::vector<double> x = Rng(101).normal<double>({many}).to_vector();
    std::vector<double> even, odd;
    for (std::size_t i = 0; i < x.size(); ++i) (i % 2 == 0 ? even : odd).push_back(x[i]);
    for (const auto* half : {&even, &odd}) {
      const Moments m = moments(*half);
      CHECK(std::abs(m.mean) < 5 * 1.42e-3);
      CHECK(std::abs(m.variance - 1.0) < 5 * 2e-3);
    }
    // z0 and z1 of one pair are uncorrelated.
    double cov = 0;
    for (std::size_t i = 0; i < even.size(); ++i) cov += even[i] * odd[i];
    CHECK(std::abs(cov / double(even.size())) < 5 * 1.42e-3);
  }
  SECTION("stddev 0 gives the mean") {
    const std::vector<float> x = Rng(3).normal<float>({100}, 2.5f, 0.0f).to_vector();
    CHECK(std::all_of(x.begin(), x.end(), [](float v) { return v == 2.5f; }));
  }
}

TEST_CASE("Rng: bernoulli and randint frequencies", "[core][random][moments]") {
  SECTION("bernoulli(0.3)") {
    const std::vector<float> x = Rng(31).bernoulli<float>({many}, 0.3).to_vector();
    CHECK(std::all_of(x.begin(), x.end(), [](float v) { return v == 0.0f || v == 1.0f; }));
    const Moments m = moments(x);
    CHECK(std::abs(m.mean - 0.3) < 5 * 4.6e-4);  // sd sqrt(0.21 / N)
  }
  SECTION("bernoulli(0) and bernoulli(1)") {
    const std::vector<double> zeros = Rng(32).bernoulli<double>({1000}, 0.0).to_vector();
    const std::vector<double> ones = Rng(32).bernoulli<double>({1000}, 1.0).to_vector();
    CHECK(std::all_of(zeros.begin(), zeros.end(), [](double v) { return v == 0.0; }));
    CHECK(std::all_of(ones.begin(), ones.end(), [](double v) { return v == 1.0; }));
  }
  SECTION("randint in [-3, 7)") {
    const std::vector<int> x = Rng(33).randint<int>({many}, -3, 7).to_vector();
    CHECK(*std::min_element(x.begin(), x.end()) == -3);
    CHECK(*std::max_element(x.begin(), x.end()) == 6);
    std::array<std::size_t, 10> counts{};
    for (const int v : x) ++counts[std::size_t(std::clamp(v + 3, 0, 9))];
    double chi2 = 0;
    for (const std::size_t c : counts) {
      CHECK(std::abs(double(c) - 1e5) < 5 * 300.0);  // sd sqrt(N 0.1 0.9)
      chi2 += (double(c) - 1e5) * (double(c) - 1e5) / 1e5;
    }
    CHECK(chi2 < 33.7);  // 9 degrees of freedom: P(chi2 > 33.7) = 1e-4
  }
  SECTION("randint with one value") {
    const std::vector<std::int64_t> x = Rng(34).randint<std::int64_t>({50}, 5, 6).to_vector();
    CHECK(std::all_of(x.begin(), x.end(), [](std::int64_t v) { return v == 5; }));
  }
  SECTION("randint into float") {
    const std::vector<float> x = Rng(35).randint<float>({10000}, 0, 2).to_vector();
    const auto ones = std::count(x.begin(), x.end(), 1.0f);
    CHECK(std::count(x.begin(), x.end(), 0.0f) + ones == 10000);
    CHECK(std::abs(double(ones) - 5000) < 5 * 50.0);
  }
}

// ---- reproducibility --------------------------------------------------------

TEST_CASE("Rng: the same seed gives the same tensors", "[core][random]") {
  Rng a(123), b(123);
  for (int round = 0; round < 3; ++round) {
    CHECK(a.uniform<float>({7, 3}) == b.uniform<float>({7, 3}));
    CHECK(a.normal<double>({9}) == b.normal<double>({9}));
    CHECK(a.bernoulli<float>({33}, 0.4) == b.bernoulli<float>({33}, 0.4));
    CHECK(a.randint<int>({17}, -100, 100) == b.randint<int>({17}, -100, 100));
  }
  CHECK(a.fills() == 12);
  CHECK(b.fills() == 12);
}

TEST_CASE("Rng: values depend on the index, not on the shape or the size", "[core][random]") {
  const std::vector<float> flat = Rng(8).uniform<float>({24}).to_vector();
  CHECK(Rng(8).uniform<float>({2, 3, 4}).to_vector() == flat);
  // A smaller fill is a prefix of a larger one.
  const std::vector<float> prefix = Rng(8).uniform<float>({5}).to_vector();
  CHECK(std::equal(prefix.begin(), prefix.end(), flat.begin()));
  const std::vector<double> n7 = Rng(8).normal<double>({7}).to_vector();
  const std::vector<double> n8 = Rng(8).normal<double>({8}).to_vector();
  CHECK(std::equal(n7.begin(), n7.end(), n8.begin()));
}

TEST_CASE("Rng: the in-place fills match the allocating ones", "[core][random]") {
  auto t = modyn::Tensor<float>::zeros({10});
  Rng a(4), b(4);
  a.uniform(t, -1.0f, 1.0f);
  CHECK(t == b.uniform<float>({10}, -1.0f, 1.0f));
  a.normal(t, 0.0f, 2.0f);
  CHECK(t == b.normal<float>({10}, 0.0f, 2.0f));
  a.bernoulli(t, 0.7);
  CHECK(t == b.bernoulli<float>({10}, 0.7));
  a.randint(t, 0, 9);
  CHECK(t == b.randint<float>({10}, 0, 9));
}

TEST_CASE("Rng: different seeds and fills differ", "[core][random]") {
  const std::vector<float> s1 = Rng(1).uniform<float>({1000}).to_vector();
  const std::vector<float> s2 = Rng(2).uniform<float>({1000}).to_vector();
  const std::vector<float> s_hi = Rng(1ull | (1ull << 32)).uniform<float>({1000}).to_vector();
  const auto equal = [](const std::vector<float>& x, const std::vector<float>& y) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < x.size(); ++i) count += x[i] == y[i];
    return count;
  };
  // Two independent uniform floats are equal with probability 2^-24.
  CHECK(equal(s1, s2) <= 1);
  CHECK(equal(s1, s_hi) <= 1);
  Rng rng(1);
  const std::vector<float> first = rng.uniform<float>({1000}).to_vector();
  const std::vector<float> second = rng.uniform<float>({1000}).to_vector();
  CHECK(first == s1);
  CHECK(equal(first, second) <= 1);
}

TEST_CASE("Rng::split: independent streams", "[core][random][split]") {
  const Rng parent(42);
  const auto draw = [](Rng r) { return r.uniform<double>({256}).to_vector(); };
  const auto overlap = [](const std::vector<double>& x, const std::vector<double>& y) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < x.size(); ++i) count += x[i] == y[i];
    return count;
  };
  const std::vector<double> p = draw(parent);
  const std::vector<double> c0 = draw(parent.split(0));
  const std::vector<double> c1 = draw(parent.split(1));
  const std::vector<double> c2 = draw(parent.split(2));
  const std::vector<double> c_hi = draw(parent.split(1ull << 32));
  const std::vector<double> grandchild = draw(parent.split(1).split(1));

  SECTION("split streams differ from the parent and from each other") {
    for (const auto* c : {&c0, &c1, &c2, &c_hi, &grandchild}) CHECK(overlap(p, *c) == 0);
    CHECK(overlap(c0, c1) == 0);
    CHECK(overlap(c1, c2) == 0);
    CHECK(overlap(c0, c2) == 0);
    CHECK(overlap(c0, c_hi) == 0);
    CHECK(overlap(c1, grandchild) == 0);
    // Another parent's streams differ too.
    CHECK(overlap(c1, draw(Rng(43).split(1))) == 0);
  }
  SECTION("split depends only on the key, not on what the parent has drawn") {
    Rng busy(42);
    (void)busy.uniform<float>({1000});
    (void)busy.normal<double>({3});
    REQUIRE(busy.fills() == 2);
    CHECK(draw(busy.split(1)) == c1);
    CHECK(draw(busy.split(2)) == c2);
    CHECK(busy.fills() == 2);  // splitting draws nothing
    // A split generator starts at fill 0.
    CHECK(busy.split(1).fills() == 0);
  }
  SECTION("split is deterministic") {
    CHECK(draw(Rng(42).split(2)) == c2);
    CHECK(draw(Rng(42).split(1).split(1)) == grandchild);
  }
}

// ---- errors -----------------------------------------------------------------

TEST_CASE("Rng: invalid parameters throw config_error and draw nothing", "[core][random][errors]") {
  Rng rng(1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(rng.bernoulli<float>({4}, -0.1), modyn::config_error);
  CHECK_THROWS_AS(rng.bernoulli<float>({4}, 1.5), modyn::config_error);
  CHECK_THROWS_AS(rng.bernoulli<float>({4}, nan), modyn::config_error);
  CHECK_THROWS_WITH(rng.bernoulli<float>({4}, 2.0), Catch::Contains("outside [0, 1]"));
  CHECK_THROWS_AS(rng.randint<int>({4}, 5, 5), modyn::config_error);
  CHECK_THROWS_AS(rng.randint<int>({4}, 6, 5), modyn::config_error);
  CHECK_THROWS_AS(rng.randint<std::int64_t>({4}, 0, (std::int64_t(1) << 32) + 1), modyn::config_error);
  CHECK_THROWS_AS(rng.normal<float>({4}, 0.0f, -1.0f), modyn::config_error);
  CHECK_THROWS_AS(rng.normal<double>({4}, 0.0, nan), modyn::config_error);
  CHECK_THROWS_AS(rng.uniform<float>({4}, 1.0f, 0.0f), modyn::config_error);
  // config_error is a modyn::error.
  CHECK_THROWS_AS(rng.randint<int>({4}, 1, 0), modyn::error);
  // A rejected call does not count as a fill.
  CHECK(rng.fills() == 0);
  CHECK(rng.uniform<float>({4}) == Rng(1).uniform<float>({4}));
}

TEST_CASE("InitGenerator: next() from several threads gives distinct streams and loses no count",
          "[random][init]") {
  modyn::manual_seed(7);
  constexpr std::size_t threads = 4, per_thread = 5000;
  std::vector<std::vector<modyn::Rng::block>> drawn(threads);
  {
    std::vector<std::thread> team;
    for (std::size_t k = 0; k < threads; ++k) {
      team.emplace_back([&drawn, k] {
        for (std::size_t i = 0; i < per_thread; ++i)
          drawn[k].push_back(modyn::InitGenerator::instance().next().raw({0, 0, 0, 0}));
      });
    }
    for (auto& t : team) t.join();
  }
  std::set<modyn::Rng::block> distinct;
  for (const auto& d : drawn) distinct.insert(d.begin(), d.end());
  CHECK(distinct.size() == threads * per_thread);
  // Exactly threads x per_thread streams were handed out: the next is that one.
  CHECK(modyn::InitGenerator::instance().next().raw({0, 0, 0, 0}) ==
        modyn::Rng(7).split(threads * per_thread).raw({0, 0, 0, 0}));
  modyn::manual_seed(0x6d6f64796eULL);
}

TEST_CASE("Rng::seek_fills replays and skips fills exactly", "[core][random]") {
  modyn::Rng a(42);
  auto first = modyn::Tensor<float>::empty({5});
  auto second = modyn::Tensor<float>::empty({5});
  a.uniform(first);
  a.uniform(second);
  CHECK(a.fills() == 2);
  auto again = modyn::Tensor<float>::empty({5});
  a.seek_fills(1);
  a.uniform(again);
  CHECK(again.to_vector() == second.to_vector());
  modyn::Rng b(42);
  b.seek_fills(1);  // skips the first fill
  b.uniform(again);
  CHECK(again.to_vector() == second.to_vector());
  CHECK(b.fills() == 2);
}
