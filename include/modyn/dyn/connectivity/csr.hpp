// dyn::Csr: the synapses of a projection from n_pre to n_post neurons, in
// compressed sparse rows: row i (presynaptic neuron i) holds its targets in
// increasing order, targets[row_offsets[i] .. row_offsets[i + 1]), and their
// weights (one per synapse, or one for all). Indices are global neuron ids
// of the two populations.
//
// Built by the generators of connectivity/generators.hpp, or from a user's
// arrays: from_csr (validated) and from_coo (sorted into rows). Every check
// names the array and the position at fault, as a config_error.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "modyn/core/error.hpp"

namespace modyn::dyn {

/// The synapses of a projection from n_pre to n_post neurons in compressed
/// sparse rows, with one weight per synapse or one for all (see the top of
/// dyn/connectivity/csr.hpp). T: the type of the weights.
template <class T = float>
class Csr {
 public:
  using index_type = std::int32_t;   ///< a neuron id
  using offset_type = std::int64_t;  ///< a synapse's position: projections may exceed 2^31 synapses

  Csr() = default;

  /// Validated user arrays: row_offsets (n_pre + 1, from 0, non-decreasing, the
  /// last = targets.size()), targets (each in [0, n_post), non-decreasing
  /// within a row; equal targets are several synapses between one pair), and
  /// weights: one per synapse, or a single one for all, or none (weight 1).
  static Csr from_csr(std::size_t n_post, std::vector<offset_type> row_offsets,
                      std::vector<index_type> targets, std::vector<T> weights = {}) {
    if (row_offsets.empty())
      throw config_error("dyn::Csr::from_csr: row_offsets is empty; it needs n_pre + 1 entries");
    if (row_offsets.front() != 0) {
      throw config_error("dyn::Csr::from_csr: row_offsets[0] = " + std::to_string(row_offsets.front()) +
                         ", expected 0");
    }
    for (std::size_t i = 1; i < row_offsets.size(); ++i) {
      if (row_offsets[i] < row_offsets[i - 1]) {
        throw config_error("dyn::Csr::from_csr: row_offsets is not non-decreasing at position " +
                           std::to_string(i) + " (" + std::to_string(row_offsets[i - 1]) + " then " +
                           std::to_string(row_offsets[i]) + ")");
      }
    }
    if (row_offsets.back() != static_cast<offset_type>(targets.size())) {
      throw config_error("dyn::Csr::from_csr: row_offsets ends at " + std::to_string(row_offsets.back()) +
                         " but targets has " + std::to_string(targets.size()) + " entries (a ragged CSR)");
    }
    check_range(n_post, targets, "from_csr", "targets");
    for (std::size_t i = 0; i + 1 < row_offsets.size(); ++i) {
      for (auto k = row_offsets[i] + 1; k < row_offsets[i + 1]; ++k) {
        if (targets[std::size_t(k)] < targets[std::size_t(k - 1)]) {
          throw config_error("dyn::Csr::from_csr: targets of row " + std::to_string(i) +
                             " are not sorted at position " + std::to_string(k) + " (" +
                             std::to_string(targets[std::size_t(k - 1)]) + " then " +
                             std::to_string(targets[std::size_t(k)]) + ")");
        }
      }
    }
    Csr csr;
    csr.n_post_ = n_post;
    csr.row_offsets_ = std::move(row_offsets);
    csr.targets_ = std::move(targets);
    csr.set_weights(std::move(weights), "from_csr");
    return csr;
  }

  /// Synapses as (pre[k], post[k]) pairs in any order, with weights as in
  /// from_csr; sorted into rows (by target, then by input order), in time
  /// linear in the number of synapses plus n_pre.
  static Csr from_coo(std::size_t n_pre, std::size_t n_post, std::span<const index_type> pre,
                      std::span<const index_type> post, std::vector<T> weights = {}) {
    if (pre.size() != post.size()) {
      throw config_error("dyn::Csr::from_coo: pre has " + std::to_string(pre.size()) +
                         " entries but post has " + std::to_string(post.size()));
    }
    check_range(n_pre, pre, "from_coo", "pre");
    check_range(n_post, post, "from_coo", "post");
    if (weights.size() > 1 && weights.size() != pre.size()) {
      throw config_error("dyn::Csr::from_coo: " + std::to_string(weights.size()) + " weights for " +
                         std::to_string(pre.size()) + " synapses (give one per synapse, or a single one)");
    }
    // Counting sort by target, then (stably) by source: rows come out with
    // their targets in increasing order.
    const std::vector<std::size_t> by_post = counting_order(n_post, post, {});
    const std::vector<std::size_t> order = counting_order(n_pre, pre, by_post);
    Csr csr;
    csr.n_post_ = n_post;
    csr.row_offsets_.assign(n_pre + 1, 0);
    for (const index_type i : pre) ++csr.row_offsets_[std::size_t(i) + 1];
    std::partial_sum(csr.row_offsets_.begin(), csr.row_offsets_.end(), csr.row_offsets_.begin());
    csr.targets_.resize(order.size());
    for (std::size_t k = 0; k < order.size(); ++k) csr.targets_[k] = post[order[k]];
    if (weights.size() > 1) {
      std::vector<T> sorted(order.size());
      for (std::size_t k = 0; k < order.size(); ++k) sorted[k] = weights[order[k]];
      weights = std::move(sorted);
    }
    csr.set_weights(std::move(weights), "from_coo");
    return csr;
  }

  /// Built by a generator: rows already sorted, one weight for all.
  Csr(std::size_t n_post, std::vector<offset_type> row_offsets, std::vector<index_type> targets, T weight)
      : n_post_(n_post),
        row_offsets_(std::move(row_offsets)),
        targets_(std::move(targets)),
        weight_(weight) {}

  /// The number of presynaptic neurons (rows).
  std::size_t n_pre() const noexcept { return row_offsets_.empty() ? 0 : row_offsets_.size() - 1; }
  /// The number of postsynaptic neurons.
  std::size_t n_post() const noexcept { return n_post_; }
  /// The number of synapses.
  std::size_t size() const noexcept { return targets_.size(); }

  /// Row i: its targets (sorted) and where its synapses start.
  std::span<const index_type> targets(std::size_t i) const {
    return {targets_.data() + row_offsets_[i], std::size_t(row_offsets_[i + 1] - row_offsets_[i])};
  }
  /// The number of synapses of row i.
  std::size_t out_degree(std::size_t i) const { return std::size_t(row_offsets_[i + 1] - row_offsets_[i]); }

  /// The n_pre + 1 offsets of the rows into targets() (row i: [row_offsets[i],
  /// row_offsets[i + 1])).
  const std::vector<offset_type>& row_offsets() const noexcept { return row_offsets_; }
  /// Every synapse's target, row after row.
  const std::vector<index_type>& targets() const noexcept { return targets_; }

  /// One weight per synapse (then weights() has size() entries), or one for
  /// all (then weights() is empty and weight() is it).
  bool homogeneous() const noexcept { return weights_.empty(); }
  /// The weight of every synapse, when homogeneous().
  T weight() const noexcept { return weight_; }
  /// One weight per synapse, in targets()' order; empty when homogeneous().
  const std::vector<T>& weights() const noexcept { return weights_; }
  /// The weight of synapse k (a position in targets()).
  T weight_of(std::size_t synapse) const { return homogeneous() ? weight_ : weights_[synapse]; }

  /// How many synapses each postsynaptic neuron receives.
  std::vector<std::size_t> in_degrees() const {
    std::vector<std::size_t> in(n_post_, 0);
    for (const index_type j : targets_) ++in[std::size_t(j)];
    return in;
  }

 private:
  template <class Index>
  static void check_range(std::size_t n, std::span<const Index> ids, const char* call, const char* array) {
    for (std::size_t k = 0; k < ids.size(); ++k) {
      if (ids[k] < 0 || std::size_t(ids[k]) >= n) {
        throw config_error("dyn::Csr::" + std::string(call) + ": " + array + "[" + std::to_string(k) +
                           "] = " + std::to_string(ids[k]) + " is outside [0, " + std::to_string(n) + ")");
      }
    }
  }
  static void check_range(std::size_t n, const std::vector<index_type>& ids, const char* call,
                          const char* array) {
    check_range(n, std::span<const index_type>(ids), call, array);
  }

  // The positions of `keys` in the stable order of their value (counting
  // sort over [0, n)), visiting the positions in `within` order if given.
  static std::vector<std::size_t> counting_order(std::size_t n, std::span<const index_type> keys,
                                                 const std::vector<std::size_t>& within) {
    std::vector<std::size_t> start(n + 1, 0);
    for (const index_type key : keys) ++start[std::size_t(key) + 1];
    std::partial_sum(start.begin(), start.end(), start.begin());
    std::vector<std::size_t> order(keys.size());
    const auto place = [&](std::size_t k) { order[start[std::size_t(keys[k])]++] = k; };
    if (within.empty()) {
      for (std::size_t k = 0; k < keys.size(); ++k) place(k);
    } else {
      for (const std::size_t k : within) place(k);
    }
    return order;
  }

  void set_weights(std::vector<T> weights, const char* call) {
    if (weights.size() == 1) {
      weight_ = weights.front();
    } else if (!weights.empty()) {
      if (weights.size() != targets_.size()) {
        throw config_error("dyn::Csr::" + std::string(call) + ": " + std::to_string(weights.size()) +
                           " weights for " + std::to_string(targets_.size()) +
                           " synapses (give one per synapse, or a single one)");
      }
      weights_ = std::move(weights);
    }
  }

  std::size_t n_post_ = 0;
  std::vector<offset_type> row_offsets_{0};
  std::vector<index_type> targets_;
  std::vector<T> weights_;  // empty: homogeneous
  T weight_ = T(1);
};

}  // namespace modyn::dyn
