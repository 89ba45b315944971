// Connectivity generators: dyn::Csr projections from n_pre to n_post neurons.
//
//   fixed_probability(n_pre, n_post, p, rng)   each pair connected with probability p
//   fixed_out_degree(n_pre, n_post, k, rng)    each source: k distinct targets
//   fixed_in_degree(n_pre, n_post, k, rng)     each target: k distinct sources
//   all_to_all(n_pre, n_post)                  every pair
//   one_to_one(n)                              i -> i
//
// Options: self_connections (i -> i when the two populations are one; on
// by default, as in Brian2 and BrainPy) and the weight of every synapse.
//
// Reproducible: row i (column j for fixed_in_degree) draws from its own
// stream, rng.split(i), so the network depends only on the seed, never on
// the order or the threads that build it. Linear in the synapses: fixed
// probability skips from one target to the next by geometric gaps (1 + the
// number of failures before a success), never visiting the pairs it leaves
// out; fixed degrees draw k distinct ids by rejection (k << n) or selection
// sampling (k > n / 4).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/dyn/connectivity/csr.hpp"

namespace modyn::dyn {

/// What the generators below connect, and with which weight. T: the type of
/// the weights.
template <class T = float>
struct ConnectOptions {
  bool self_connections = true;  ///< i -> i, where the ids of the two sides coincide
  T weight = T(1);               ///< of every synapse
};

namespace detail::connect {

// The random words of one row, from its own stream: word k is word k % 4 of
// the Philox block {k / 4, 0, 0, 0} under rng.split(row)'s key.
class row_stream {
 public:
  row_stream(const Rng& rng, std::uint64_t row) : rng_(rng.split(row)) {}

  std::uint32_t next() {
    if (used_ % 4 == 0) {
      const std::uint64_t block = used_ / 4;
      words_ = rng_.raw({std::uint32_t(block), std::uint32_t(block >> 32), 0, 0});
    }
    return words_[used_++ % 4];
  }
  // Uniform in (0, 1].
  double uniform() { return (double(next()) + 1.0) * 0x1p-32; }
  // Uniform in [0, n) (n < 2^32), by multiply-shift (a bias below n / 2^32).
  std::uint32_t below(std::uint32_t n) { return std::uint32_t((std::uint64_t(next()) * n) >> 32); }

 private:
  Rng rng_;
  std::uint64_t used_ = 0;
  Rng::block words_{};
};

// k distinct ids of [0, n), sorted, appended to out.
inline void distinct_sorted(row_stream& stream, std::size_t k, std::size_t n,
                            std::vector<std::int32_t>& out) {
  if (k == 0) return;
  const std::size_t first = out.size();
  if (4 * k > n) {  // dense: selection sampling (Knuth's algorithm S), one pass over n < 4 k ids
    std::size_t chosen = 0;
    for (std::size_t t = 0; t < n && chosen < k; ++t) {
      if (double(n - t) * stream.uniform() <= double(k - chosen)) {
        out.push_back(std::int32_t(t));
        ++chosen;
      }
    }
    return;
  }
  // sparse: draw, sort, drop repeats, draw the missing ones again
  while (out.size() - first < k) {
    const std::size_t missing = k - (out.size() - first);
    for (std::size_t d = 0; d < missing; ++d) out.push_back(std::int32_t(stream.below(std::uint32_t(n))));
    std::sort(out.begin() + std::ptrdiff_t(first), out.end());
    out.erase(std::unique(out.begin() + std::ptrdiff_t(first), out.end()), out.end());
  }
}

// Candidates of row i: [0, n) without i when self-connections are left out
// and i is one of them; candidate c maps to id c, or c + 1 from i on.
struct candidates {
  std::size_t count;
  std::int64_t skipped;  // -1: none
  std::int32_t id(std::size_t c) const {
    return std::int32_t(skipped >= 0 && std::int64_t(c) >= skipped ? c + 1 : c);
  }
};

inline candidates candidates_of(std::size_t row, std::size_t n, bool self_connections) {
  if (self_connections || row >= n) return {n, -1};
  return {n - 1, std::int64_t(row)};
}

inline void check_sizes(const char* call, std::size_t n_pre, std::size_t n_post) {
  constexpr auto most = std::size_t(std::numeric_limits<std::int32_t>::max());
  if (n_pre > most || n_post > most) {
    throw config_error(std::string("dyn::") + call + ": populations of " + std::to_string(n_pre) + " and " +
                       std::to_string(n_post) + " neurons; neuron ids are int32, at most 2^31 - 1");
  }
}

// k distinct ids among the candidates of `row` (ids [0, n), less row itself
// without self-connections), drawn from the row's stream, sorted, appended
// to out. `who` names the call and the side drawn, for the error.
inline void draw_distinct(const Rng& rng, std::size_t row, std::size_t k, std::size_t n,
                          bool self_connections, const char* who, std::vector<std::int32_t>& chosen,
                          std::vector<std::int32_t>& out) {
  const auto cand = candidates_of(row, n, self_connections);
  if (k > cand.count) {
    throw config_error(std::string("dyn::") + who + ": k = " + std::to_string(k) + ", but neuron " +
                       std::to_string(row) + " has only " + std::to_string(cand.count) + " candidates");
  }
  row_stream stream(rng, row);
  chosen.clear();
  distinct_sorted(stream, k, cand.count, chosen);
  for (const std::int32_t c : chosen) out.push_back(cand.id(std::size_t(c)));
}

}  // namespace detail::connect

/// Each of the n_pre x n_post pairs (less i -> i without self-connections) a
/// synapse with probability p, independently: out-degrees are binomial.
template <class T = float>
Csr<T> fixed_probability(std::size_t n_pre, std::size_t n_post, double p, const Rng& rng,
                         ConnectOptions<T> options = {}) {
  detail::connect::check_sizes("fixed_probability", n_pre, n_post);
  if (!(p >= 0.0 && p <= 1.0)) {
    throw config_error("dyn::fixed_probability: p = " + std::to_string(p) + " is outside [0, 1]");
  }
  std::vector<std::int64_t> offsets(n_pre + 1, 0);
  std::vector<std::int32_t> targets;
  targets.reserve(std::size_t(double(n_pre) * double(n_post) * p * 1.05) + 16);
  const double log_miss = std::log1p(-p);  // log(1 - p): -inf for p = 1
  for (std::size_t i = 0; i < n_pre; ++i) {
    const auto cand = detail::connect::candidates_of(i, n_post, options.self_connections);
    if (p >= 1.0) {
      for (std::size_t c = 0; c < cand.count; ++c) targets.push_back(cand.id(c));
    } else if (p > 0.0) {
      detail::connect::row_stream stream(rng, i);
      double c = -1.0;  // the last candidate taken (as a double: the gaps may be huge for tiny p)
      while (true) {
        c += 1.0 + std::floor(std::log(stream.uniform()) / log_miss);  // geometric: failures before a success
        if (c >= double(cand.count)) break;
        targets.push_back(cand.id(std::size_t(c)));
      }
    }
    offsets[i + 1] = std::int64_t(targets.size());
  }
  return Csr<T>(n_post, std::move(offsets), std::move(targets), options.weight);
}

/// Each source connects to k distinct targets, uniform among its candidates.
template <class T = float>
Csr<T> fixed_out_degree(std::size_t n_pre, std::size_t n_post, std::size_t k, const Rng& rng,
                        ConnectOptions<T> options = {}) {
  detail::connect::check_sizes("fixed_out_degree", n_pre, n_post);
  std::vector<std::int64_t> offsets(n_pre + 1, 0);
  std::vector<std::int32_t> targets;
  targets.reserve(n_pre * k);
  std::vector<std::int32_t> chosen;
  for (std::size_t i = 0; i < n_pre; ++i) {
    detail::connect::draw_distinct(rng, i, k, n_post, options.self_connections, "fixed_out_degree (targets)",
                                   chosen, targets);
    offsets[i + 1] = std::int64_t(targets.size());
  }
  return Csr<T>(n_post, std::move(offsets), std::move(targets), options.weight);
}

/// Each target receives from k distinct sources, uniform among its candidates
/// (drawn column by column from rng.split(j), then laid out in rows).
template <class T = float>
Csr<T> fixed_in_degree(std::size_t n_pre, std::size_t n_post, std::size_t k, const Rng& rng,
                       ConnectOptions<T> options = {}) {
  detail::connect::check_sizes("fixed_in_degree", n_pre, n_post);
  std::vector<std::int32_t> sources;  // k per target, column after column
  sources.reserve(n_post * k);
  std::vector<std::int32_t> chosen;
  for (std::size_t j = 0; j < n_post; ++j) {
    detail::connect::draw_distinct(rng, j, k, n_pre, options.self_connections, "fixed_in_degree (sources)",
                                   chosen, sources);
  }
  // Into rows: count, then fill in increasing target order (rows sorted).
  std::vector<std::int64_t> offsets(n_pre + 1, 0);
  for (const std::int32_t i : sources) ++offsets[std::size_t(i) + 1];
  for (std::size_t i = 0; i < n_pre; ++i) offsets[i + 1] += offsets[i];
  std::vector<std::int64_t> next(offsets.begin(), offsets.end() - 1);
  std::vector<std::int32_t> targets(sources.size());
  for (std::size_t j = 0; j < n_post; ++j) {
    for (std::size_t s = j * k; s < (j + 1) * k; ++s)
      targets[std::size_t(next[std::size_t(sources[s])]++)] = std::int32_t(j);
  }
  return Csr<T>(n_post, std::move(offsets), std::move(targets), options.weight);
}

/// Every pair (less i -> i without self-connections).
template <class T = float>
Csr<T> all_to_all(std::size_t n_pre, std::size_t n_post, ConnectOptions<T> options = {}) {
  detail::connect::check_sizes("all_to_all", n_pre, n_post);
  std::vector<std::int64_t> offsets(n_pre + 1, 0);
  std::vector<std::int32_t> targets;
  targets.reserve(n_pre * n_post);
  for (std::size_t i = 0; i < n_pre; ++i) {
    const auto cand = detail::connect::candidates_of(i, n_post, options.self_connections);
    for (std::size_t c = 0; c < cand.count; ++c) targets.push_back(cand.id(c));
    offsets[i + 1] = std::int64_t(targets.size());
  }
  return Csr<T>(n_post, std::move(offsets), std::move(targets), options.weight);
}

/// i -> i for i < n.
template <class T = float>
Csr<T> one_to_one(std::size_t n, T weight = T(1)) {
  detail::connect::check_sizes("one_to_one", n, n);
  std::vector<std::int64_t> offsets(n + 1);
  std::vector<std::int32_t> targets(n);
  for (std::size_t i = 0; i <= n; ++i) offsets[i] = std::int64_t(i);
  for (std::size_t i = 0; i < n; ++i) targets[i] = std::int32_t(i);
  return Csr<T>(n, std::move(offsets), std::move(targets), weight);
}

}  // namespace modyn::dyn
