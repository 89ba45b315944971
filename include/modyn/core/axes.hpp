/// @file
/// The leading axes of time-major and batch-major sequences: a (T, B, ...)
/// history seen as (B, T, ...), and shapes with an axis put in front.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <utility>

#include "modyn/core/shape.hpp"

namespace modyn::detail {

// Copies (A, B, rest) into (B, A, rest).
template <class T, class Backend>
void swap_leading_axes(const T* in, T* out, std::size_t a, std::size_t b, std::size_t row) {
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < b; ++j) Backend::copy(in + (i * b + j) * row, out + (j * a + i) * row, row);
}

inline Shape with_leading(std::size_t n, const Shape& s) {
  std::size_t e[Shape::max_rank + 1] = {n};
  std::copy(s.begin(), s.end(), e + 1);
  return Shape(std::span<const std::size_t>(e, s.rank() + 1));
}

inline Shape swap_leading(const Shape& s) {
  if (s.rank() < 2) return s;
  std::size_t e[Shape::max_rank] = {};
  std::copy(s.begin(), s.end(), e);
  std::swap(e[0], e[1]);
  return Shape(std::span<const std::size_t>(e, s.rank()));
}

}  // namespace modyn::detail
