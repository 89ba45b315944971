// The part Param and State share: an owned tensor that keeps its identity
// (its buffer) when assigned, and knows its path once a traversal named it.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "modyn/backend/cpu.hpp"  // the default backend of modules
#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn::detail {

template <class V>
inline constexpr bool is_tensor_v = false;
template <class T, class B>
inline constexpr bool is_tensor_v<Tensor<T, B>> = true;

template <class V>
class variable {
  static_assert(is_tensor_v<V>,
                "modyn: Param<V> and State<V> hold a modyn::Tensor<T, B> (use a rank-0 tensor for a scalar)");

 public:
  using value_type = V;

  variable() = default;
  explicit variable(V value) : value_(std::move(value)) {}

  const Shape& shape() const noexcept { return value_.shape(); }
  std::size_t size() const noexcept { return value_.size(); }

  // The dot-separated path of this field in its model ("l1.weight"), known
  // once any traversal of the model (reset_state, state_dict, named_*) ran.
  const std::string& path() const noexcept { return path_; }
  void set_path(std::string_view path) const {  // metadata, so const objects are named too
    if (path_ != path) path_ = path;
  }

 protected:
  // Copies `v` into the existing buffer: views and pointers stay valid.
  void assign_same_shape(const V& v, std::string_view kind) {
    if (!(v.shape() == value_.shape())) {
      throw shape_error("modyn: " + std::string(kind) + " '" + (path_.empty() ? "<unnamed>" : path_) +
                        "': the shape of the original data is " + value_.shape().to_string() +
                        ", while we got " + v.shape().to_string());
    }
    V::backend_type::copy(v.data(), value_.data(), v.size());
  }

  V value_;
  mutable std::string path_;
};

}  // namespace modyn::detail
