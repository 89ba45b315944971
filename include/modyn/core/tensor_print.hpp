/// @file
/// Printing tensors as numpy prints arrays (rows in brackets, "[[1. 2.]" then " [3. 4.]]"), elements
/// right-aligned to a common width, the middle of large tensors (more than
/// 1000 elements) elided as "..." with 3 items kept at each edge.
#pragma once

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/core/tensor.hpp"

namespace modyn {

namespace detail {

struct print_options {
  std::size_t threshold = 1000;  // numpy's default: summarize above this size
  std::size_t edge_items = 3;
};

// The indices of an axis that are shown; `npos` marks the elision.
inline std::vector<std::size_t> shown_indices(std::size_t extent, bool summarize, const print_options& opt) {
  std::vector<std::size_t> idx;
  if (summarize && extent > 2 * opt.edge_items) {
    for (std::size_t i = 0; i < opt.edge_items; ++i) idx.push_back(i);
    idx.push_back(std::size_t(-1));
    for (std::size_t i = extent - opt.edge_items; i < extent; ++i) idx.push_back(i);
  } else {
    for (std::size_t i = 0; i < extent; ++i) idx.push_back(i);
  }
  return idx;
}

template <class T>
void collect_shown(const T* data, const Shape& shape, std::size_t axis, std::size_t offset, bool summarize,
                   const print_options& opt, std::vector<T>& out) {
  if (axis == shape.rank()) {
    out.push_back(data[offset]);
    return;
  }
  for (const std::size_t i : shown_indices(shape[axis], summarize, opt)) {
    if (i != std::size_t(-1))
      collect_shown(data, shape, axis + 1, offset + i * shape.stride(axis), summarize, opt, out);
  }
}

inline std::string format_double(double v, bool scientific, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, scientific ? "%.*e" : "%.*f", digits, v);
  const std::string s = buf;
  if (digits > 0) return s;
  // numpy's "1." and "1.e-05"
  const std::size_t mantissa_end = scientific ? s.find('e') : s.size();
  return s.substr(0, mantissa_end) + "." + s.substr(mantissa_end);
}

// The fewest digits (at most 8) that give v back as exactly as 8 digits do.
template <class T>
int shortest_digits(T v, bool scientific) {
  const T target = T(std::stod(format_double(v, scientific, 8)));
  int digits = 0;
  while (digits < 8 && T(std::stod(format_double(v, scientific, digits))) != target) ++digits;
  return digits;
}

// The element formatter, numpy's default (floatmode "maxprec"): fixed or
// scientific notation by numpy's rule; in scientific notation every element
// has the fewest digits that suit them all ("1.5e-05 3.0e-05"), in fixed
// notation each has its own fewest digits, padded with spaces on the right
// to the longest fraction ("0.5  1.25").
template <class T>
struct element_format {
  bool scientific = false;
  int digits = 0;  // the longest fraction, in digits

  explicit element_format(const std::vector<T>& values) {
    if constexpr (std::is_floating_point_v<T>) {
      double max_abs = 0, min_abs = HUGE_VAL;
      for (const T v : values) {
        if (!std::isfinite(v) || v == T(0)) continue;
        max_abs = std::max(max_abs, std::abs(double(v)));
        min_abs = std::min(min_abs, std::abs(double(v)));
      }
      // numpy's rule: scientific when the largest is >= 1e8, the smallest
      // non-zero < 1e-4, or they span more than three decades.
      scientific = max_abs > 0 && (max_abs >= 1e8 || min_abs < 1e-4 || max_abs / min_abs > 1e3);
      for (const T v : values)
        if (std::isfinite(v)) digits = std::max(digits, shortest_digits(v, scientific));
    }
  }

  std::string operator()(T v) const {
    if constexpr (std::is_same_v<T, bool>) {
      return v ? "True" : "False";
    } else if constexpr (std::is_floating_point_v<T>) {
      if (scientific || !std::isfinite(v)) return format_double(double(v), scientific, digits);
      const int own = shortest_digits(v, false);
      return format_double(double(v), false, own) + std::string(std::size_t(digits - own), ' ');
    } else {
      return std::to_string(v);
    }
  }
};

template <class T>
void print_axis(std::ostream& os, const T* data, const Shape& shape, std::size_t axis, std::size_t offset,
                bool summarize, const print_options& opt, const element_format<T>& fmt, std::size_t width) {
  if (axis == shape.rank()) {
    const std::string s = fmt(data[offset]);
    os << std::string(width - std::min(width, s.size()), ' ') << s;
    return;
  }
  os << '[';
  const auto indices = shown_indices(shape[axis], summarize, opt);
  const bool last_axis = axis + 1 == shape.rank();
  // Between rows: a newline per remaining axis, then indent to this depth.
  const std::string separator =
      last_axis ? " " : std::string(shape.rank() - axis - 1, '\n') + std::string(axis + 1, ' ');
  for (std::size_t k = 0; k < indices.size(); ++k) {
    if (k) os << separator;
    if (indices[k] == std::size_t(-1)) {
      os << "...";
    } else {
      print_axis(os, data, shape, axis + 1, offset + indices[k] * shape.stride(axis), summarize, opt, fmt,
                 width);
    }
  }
  os << ']';
}

}  // namespace detail

/// Prints x as numpy's str(array) does (host-accessible backends only).
template <class T, class B>
std::ostream& operator<<(std::ostream& os, const TensorView<T, B>& x) {
  detail::require_host<B>();
  if (x.size() == 0) return os << "[]";  // numpy's str of any empty array
  using E = std::remove_const_t<T>;
  const detail::print_options opt;
  const bool summarize = x.size() > opt.threshold;
  std::vector<E> shown;
  detail::collect_shown<E>(x.data(), x.shape(), 0, 0, summarize, opt, shown);
  const detail::element_format<E> fmt(shown);
  std::size_t width = 0;
  for (const E v : shown) width = std::max(width, fmt(v).size());
  detail::print_axis<E>(os, x.data(), x.shape(), 0, 0, summarize, opt, fmt, width);
  return os;
}

/// Prints x as numpy's str(array) does (host-accessible backends only).
template <class T, class B>
std::ostream& operator<<(std::ostream& os, const Tensor<T, B>& x) {
  return os << x.view();
}

}  // namespace modyn
