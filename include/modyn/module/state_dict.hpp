// StateDict<V>: the parameters and states of a model by dot-separated path
// ("l1.weight", "layers.2.bias"), in traversal order, as PyTorch's
// OrderedDict state_dict; and the result of loading one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modyn/core/error.hpp"

namespace modyn {

template <class V>
class StateDict {
 public:
  using value_type = std::pair<std::string, V>;

  // Inserts, or replaces the value under an existing key (keeping its place).
  void insert_or_assign(std::string key, V value) {
    if (const auto it = index_.find(key); it != index_.end()) {
      entries_[it->second].second = std::move(value);
      return;
    }
    index_.emplace(key, entries_.size());
    entries_.emplace_back(std::move(key), std::move(value));
  }

  bool contains(std::string_view key) const { return index_.contains(std::string(key)); }

  // The value under key; throws key_error naming the key.
  const V& at(std::string_view key) const { return entries_[position(key)].second; }
  V& at(std::string_view key) { return entries_[position(key)].second; }

  // The value under key, or null.
  const V* find(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }

  void erase(std::string_view key) {
    const std::size_t pos = position(key);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.clear();
    for (std::size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].first, i);
  }

  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    k.reserve(entries_.size());
    for (const auto& e : entries_) k.push_back(e.first);
    return k;
  }

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  auto begin() const noexcept { return entries_.begin(); }
  auto end() const noexcept { return entries_.end(); }
  auto begin() noexcept { return entries_.begin(); }
  auto end() noexcept { return entries_.end(); }

 private:
  std::size_t position(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    if (it == index_.end()) throw key_error("modyn::StateDict: no key '" + std::string(key) + "'");
    return it->second;
  }

  std::vector<value_type> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

// What load_state_dict(dict, strict = false) could not match.
struct LoadResult {
  std::vector<std::string> missing_keys;     // in the model, not in the dict
  std::vector<std::string> unexpected_keys;  // in the dict, not in the model
  bool ok() const noexcept { return missing_keys.empty() && unexpected_keys.empty(); }
};

}  // namespace modyn
