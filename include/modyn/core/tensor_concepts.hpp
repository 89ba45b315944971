/// @file
/// Concepts over tensors and their views.
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "modyn/core/shape.hpp"

namespace modyn {

/// Anything with a shape, a contiguous row-major buffer and a backend: an
/// owning Tensor or a TensorView.
template <class X>
concept TensorLike = requires(const X& x) {
  typename std::remove_cvref_t<X>::value_type;
  typename std::remove_cvref_t<X>::backend_type;
  { x.shape() } -> std::convertible_to<Shape>;
  { x.size() } -> std::convertible_to<std::size_t>;
  x.data();
};

/// The element type of a tensor or view, without const.
template <TensorLike X>
using tensor_value_t = std::remove_const_t<typename std::remove_cvref_t<X>::value_type>;

/// The backend of a tensor or view.
template <TensorLike X>
using tensor_backend_t = typename std::remove_cvref_t<X>::backend_type;

}  // namespace modyn
