/// @file
/// Shape: the extents of a tensor of rank 0 to 4, as a small value type.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <ostream>
#include <span>
#include <string>

#include "modyn/core/error.hpp"

namespace modyn {

/// A feature size known only at run time (Eigen's Dynamic): nn::Dense<> is
/// nn::Dense<dynamic, dynamic>, nn::Dense<100, 10> has static sizes that
/// Sequential checks at compile time.
inline constexpr std::size_t dynamic = static_cast<std::size_t>(-1);

/// The extents of a tensor, rank 0 to 4, held by value (no allocation).
class Shape {
 public:
  static constexpr std::size_t max_rank = 4;  ///< The highest rank a tensor may have.

  constexpr Shape() = default;  ///< Rank 0: a scalar.

  /// From extents, outermost first: Shape{batch, features}.
  constexpr Shape(std::initializer_list<std::size_t> extents)
      : Shape(std::span<const std::size_t>(extents.begin(), extents.size())) {}

  /// From a run of extents, such as a shape read from a file.
  explicit constexpr Shape(std::span<const std::size_t> extents) : Shape() {
    if (extents.size() > max_rank) {
      throw shape_error("modyn::Shape: rank " + std::to_string(extents.size()) + " requested, at most " +
                        std::to_string(max_rank) + " is supported");
    }
    for (const std::size_t e : extents) extents_[rank_++] = e;
  }

  /// Number of axes.
  constexpr std::size_t rank() const noexcept { return rank_; }

  /// Extent of axis i; throws index_error when i >= rank().
  constexpr std::size_t operator[](std::size_t i) const {
    if (i >= rank_) throw_axis_out_of_range(i);  // out of line: the check inlines into every step
    return extents_[i];
  }

  /// Number of elements: the product of the extents (1 for rank 0).
  constexpr std::size_t size() const noexcept {
    std::size_t n = 1;
    for (std::size_t i = 0; i < rank_; ++i) n *= extents_[i];
    return n;
  }

  /// The shape without its first axis: the shape of x[t].
  constexpr Shape drop_front() const {
    if (rank_ == 0) throw shape_error("modyn::Shape: cannot index into a rank-0 tensor");
    Shape s;
    for (std::size_t i = 1; i < rank_; ++i) s.extents_[s.rank_++] = extents_[i];
    return s;
  }

  /// Row-major stride of axis i, in elements.
  constexpr std::size_t stride(std::size_t i) const noexcept {
    std::size_t s = 1;
    for (std::size_t k = i + 1; k < rank_; ++k) s *= extents_[k];
    return s;
  }

  /// The extents as a range, for range-for and algorithms.
  /// @{
  constexpr const std::size_t* begin() const noexcept { return extents_.data(); }
  constexpr const std::size_t* end() const noexcept { return extents_.data() + rank_; }
  /// @}

  /// Same rank and extents.
  friend constexpr bool operator==(const Shape& a, const Shape& b) noexcept {
    if (a.rank_ != b.rank_) return false;
    for (std::size_t i = 0; i < a.rank_; ++i)
      if (a.extents_[i] != b.extents_[i]) return false;
    return true;
  }

  /// "(2, 3)", "(5,)" and "()" as numpy and PyTorch print shapes.
  std::string to_string() const {
    std::string s = "(";
    for (std::size_t i = 0; i < rank_; ++i) {
      if (i) s += ", ";
      s += std::to_string(extents_[i]);
    }
    if (rank_ == 1) s += ",";
    return s + ")";
  }

  /// Writes to_string().
  friend std::ostream& operator<<(std::ostream& os, const Shape& s) { return os << s.to_string(); }

 private:
  [[noreturn, gnu::cold, gnu::noinline]] void throw_axis_out_of_range(std::size_t i) const {
    throw index_error("modyn::Shape: axis " + std::to_string(i) + " of a shape of rank " +
                      std::to_string(rank_) + " " + to_string());
  }

  std::array<std::size_t, max_rank> extents_{};
  std::size_t rank_ = 0;
};

}  // namespace modyn
