/// @file
/// StateDict: the parameters and states of a model by dot-separated path
/// ("l1.weight", "layers.2.bias"), in traversal order, as PyTorch's
/// OrderedDict state_dict; StateEntry: one of its tensors, of any element
/// type; and LoadResult, what loading one could not match.
///
/// @code
///   const modyn::StateDict dict = model.state_dict();
///   dict.at("pop.V").dtype();              // DType::float32
///   dict.at("pop.counter").shape();        // (4,)
///   dict.at("pop.counter").bytes();        // 16 bytes, host memory
///   dict.get<float>("l1.weight");          // a Tensor<float> copy
///   dict.at("l1.weight").as<double>();     // type_error: it holds float32
/// @endcode
///
/// An entry is what safetensors stores: a dtype, a shape and the bytes of the
/// elements (row-major, host byte order), always in host memory. Nothing
/// converts silently: reading or loading an entry as another element type is
/// a type_error naming the key and both dtypes.
#pragma once

#include <cstddef>
#include <cstring>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

/// One tensor of a StateDict, of any element type, held as host bytes with
/// its dtype and shape.
class StateEntry {
 public:
  /// An empty float32 entry of shape (0,), like an empty Tensor<float>.
  StateEntry() = default;

  /// A host copy of a tensor on any backend (through B::copy_to_host).
  template <HasDType T, class B>
  explicit StateEntry(const Tensor<T, B>& tensor)
      : dtype_(dtype_v<T>), shape_(tensor.shape()), bytes_(tensor.size() * sizeof(T)) {
    // The buffer comes from operator new, aligned for every element type.
    if (tensor.size()) B::copy_to_host(tensor.data(), reinterpret_cast<T*>(bytes_.data()), tensor.size());
  }

  /// From raw bytes (a file's): their number must be shape.size() * dtype_size(dtype).
  StateEntry(DType dtype, Shape shape, std::span<const std::byte> bytes)
      : dtype_(dtype), shape_(shape), bytes_(bytes.begin(), bytes.end()) {
    if (bytes.size() != shape.size() * dtype_size(dtype)) {
      throw shape_error("modyn::StateEntry: " + std::to_string(bytes.size()) + " bytes given for a " +
                        std::string(to_string(dtype)) + " tensor of shape " + shape.to_string() + " (" +
                        std::to_string(shape.size() * dtype_size(dtype)) + " bytes)");
    }
  }

  /// Copies carry the key. Assigning replaces the dtype, shape and bytes but
  /// keeps the key of an entry that has one: the entry under "l1.weight" of a
  /// dict stays "l1.weight", as a Param keeps its path when assigned.
  /// @{
  StateEntry(const StateEntry&) = default;
  StateEntry(StateEntry&&) noexcept = default;
  StateEntry& operator=(const StateEntry& other) {
    if (this != &other) assign(other.dtype_, other.shape_, other.bytes_, other.key_);
    return *this;
  }
  StateEntry& operator=(StateEntry&& other) noexcept {
    if (this != &other) assign(other.dtype_, other.shape_, std::move(other.bytes_), std::move(other.key_));
    return *this;
  }
  /// @}
  /// Replaces the entry by a host copy of a tensor (keeping the key).
  template <HasDType T, class B>
  StateEntry& operator=(const Tensor<T, B>& tensor) {
    return *this = StateEntry(tensor);
  }
  ~StateEntry() = default;

  DType dtype() const noexcept { return dtype_; }              ///< The element type.
  const Shape& shape() const noexcept { return shape_; }       ///< The shape.
  std::size_t rank() const noexcept { return shape_.rank(); }  ///< The number of axes.
  std::size_t size() const noexcept { return shape_.size(); }  ///< The number of elements.
  /// The elements' bytes, row-major, in host memory.
  std::span<const std::byte> bytes() const noexcept { return bytes_; }
  /// The key it is stored under in a StateDict ("" for an entry of its own).
  const std::string& key() const noexcept { return key_; }

  /// Whether it holds elements of type T.
  template <HasDType T>
  bool holds() const noexcept {
    return dtype_ == dtype_v<T>;
  }

  /// A copy as a Tensor<T, B> (through B::copy_from_host); throws type_error
  /// naming the key and both dtypes unless it holds T.
  template <HasDType T, class B = default_backend>
  Tensor<T, B> as() const {
    if (!holds<T>()) {
      throw type_error(
          "modyn::StateEntry::as: " + (key_.empty() ? std::string("the entry") : "'" + key_ + "'") +
          " holds " + std::string(to_string(dtype_)) + " " + shape_.to_string() + ", not the requested " +
          std::string(to_string(dtype_v<T>)));
    }
    if (bytes_.empty()) return Tensor<T, B>::empty(shape_);
    if constexpr (B::host_accessible) {
      Tensor<T, B> out = Tensor<T, B>::empty(shape_);
      std::memcpy(out.data(), bytes_.data(), bytes_.size());
      return out;
    } else {
      std::vector<T> host(shape_.size());
      std::memcpy(host.data(), bytes_.data(), bytes_.size());
      return Tensor<T, B>(shape_, std::span<const T>(host));  // B::copy_from_host
    }
  }

  /// Same dtype, shape and bytes (bit-exact; the keys may differ).
  friend bool operator==(const StateEntry& a, const StateEntry& b) noexcept {
    return a.dtype_ == b.dtype_ && a.shape_ == b.shape_ && a.bytes_ == b.bytes_;
  }

  /// "int32 (4,)"
  friend std::ostream& operator<<(std::ostream& os, const StateEntry& e) {
    return os << to_string(e.dtype_) << " " << e.shape_.to_string();
  }

 private:
  friend class StateDict;

  template <class Bytes, class Key>
  void assign(DType dtype, const Shape& shape, Bytes&& bytes, Key&& key) {
    dtype_ = dtype;
    shape_ = shape;
    bytes_ = std::forward<Bytes>(bytes);
    if (key_.empty()) key_ = std::forward<Key>(key);
  }

  DType dtype_ = DType::float32;
  Shape shape_{0};
  std::vector<std::byte> bytes_;
  std::string key_;
};

/// The parameters and states of a model by dot-separated path, in traversal
/// order, as PyTorch's state_dict: what checkpoints are written from and
/// loaded into.
class StateDict {
 public:
  using value_type = std::pair<std::string, StateEntry>;  ///< A (key, entry) pair.

  /// Inserts, or replaces the entry under an existing key (keeping its place).
  void insert_or_assign(std::string key, StateEntry entry) {
    if (const auto it = index_.find(key); it != index_.end()) {
      entries_[it->second].second = std::move(entry);
      return;
    }
    entry.key_ = key;
    index_.emplace(key, entries_.size());
    entries_.emplace_back(std::move(key), std::move(entry));
  }
  /// A host copy of a tensor on any backend.
  template <HasDType T, class B>
  void insert_or_assign(std::string key, const Tensor<T, B>& tensor) {
    insert_or_assign(std::move(key), StateEntry(tensor));
  }

  bool contains(std::string_view key) const {
    return index_.contains(std::string(key));
  }  ///< Whether key is there.

  /// The entry under key; throws key_error naming the key.
  /// @{
  const StateEntry& at(std::string_view key) const { return entries_[position(key)].second; }
  StateEntry& at(std::string_view key) { return entries_[position(key)].second; }
  /// @}

  /// A copy of the entry under key as a Tensor<T, B>: key_error if there is
  /// none, type_error naming the key and both dtypes unless it holds T.
  template <HasDType T, class B = default_backend>
  Tensor<T, B> get(std::string_view key) const {
    return at(key).template as<T, B>();
  }

  /// The entry under key, or null.
  const StateEntry* find(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }

  /// Removes the entry under key (the later ones keep their order); throws key_error naming the key.
  void erase(std::string_view key) {
    const std::size_t pos = position(key);
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(pos));
    index_.clear();
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      index_.emplace(entries_[i].first, i);
      entries_[i].second.key_ = entries_[i].first;  // the later entries moved a place down
    }
  }

  /// The keys, in order.
  std::vector<std::string> keys() const {
    std::vector<std::string> k;
    k.reserve(entries_.size());
    for (const auto& e : entries_) k.push_back(e.first);
    return k;
  }

  std::size_t size() const noexcept { return entries_.size(); }  ///< The number of entries.
  bool empty() const noexcept { return entries_.empty(); }       ///< Whether there are none.
  /// (key, entry) pairs in order; the keys must not be changed through them.
  /// @{
  auto begin() const noexcept { return entries_.begin(); }
  auto end() const noexcept { return entries_.end(); }
  auto begin() noexcept { return entries_.begin(); }
  auto end() noexcept { return entries_.end(); }
  /// @}

  /// The same keys in the same order, with bit-exact equal entries.
  friend bool operator==(const StateDict& a, const StateDict& b) { return a.entries_ == b.entries_; }

 private:
  std::size_t position(std::string_view key) const {
    const auto it = index_.find(std::string(key));
    if (it == index_.end()) throw key_error("modyn::StateDict: no key '" + std::string(key) + "'");
    return it->second;
  }

  std::vector<value_type> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// What load_state_dict(dict, strict = false) could not match.
struct LoadResult {
  std::vector<std::string> missing_keys;     ///< in the model, not in the dict
  std::vector<std::string> unexpected_keys;  ///< in the dict, not in the model
  bool ok() const noexcept {
    return missing_keys.empty() && unexpected_keys.empty();
  }  ///< Everything matched.
};

}  // namespace modyn
