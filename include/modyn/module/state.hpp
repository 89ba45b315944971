/// @file
/// State<V>: a dynamical field of a module (membrane potential, hidden state),
/// re-initialised by reset_state(batch_size).
///
/// A State knows its per-sample shape and its initial fill value: by default
/// reset_state(b) sets it to full((b, shape...), fill), or full(shape, fill)
/// when b == 0 (no batch axis). A module with other needs (random initial
/// values) defines on_reset_state(batch_size), called after this default.
#pragma once

#include <string_view>
#include <utility>

#include "modyn/module/detail/variable.hpp"

namespace modyn {

/// A dynamical field of a module (membrane potential, hidden state), with
/// the per-sample shape and fill value that reset_state(batch_size) uses.
/// @tparam V the tensor type (Tensor<float>, Tensor<std::int32_t>, ...).
template <class V>
class State : public detail::variable<V> {
  using base = detail::variable<V>;
  using element = typename V::value_type;

 public:
  State() = default;
  /// Per-sample shape and fill value for reset_state; the initial value has
  /// the per-sample shape.
  explicit State(Shape sample_shape, element fill = element(0))
      : base(V::full(sample_shape, fill)), sample_shape_(sample_shape), fill_(fill) {}
  /// An initial value, whose shape is the per-sample shape.
  explicit State(V initial, element fill = element(0))
      : base(std::move(initial)), sample_shape_(this->value_.shape()), fill_(fill) {}

  /// Replaces the data (same shape; throws shape_error naming the path).
  State& operator=(const V& value) {
    this->assign_same_shape(value, "State");
    return *this;
  }

  /// Replaces the value whatever its shape (loading a state dict into a State
  /// never reset, a module's own reset hook).
  void reset_to(V value) { this->value_ = std::move(value); }

  /// The default re-initialisation: full((batch, sample_shape...), fill),
  /// into the same buffer when the shape stays (a training loop resets every
  /// batch and allocates nothing once warm).
  void reset(std::size_t batch_size) {
    const Shape shape = batch_shape(batch_size);
    if (!(this->value_.shape() == shape)) {
      this->value_ = V::full(shape, fill_);
      return;
    }
    V::backend_type::map(this->value_.size(), detail::fill_kernel<element>{fill_},
                         write_only(this->value_.data()));
  }

  /// (batch_size, sample_shape...), or sample_shape when batch_size is 0.
  Shape batch_shape(std::size_t batch_size) const {
    if (batch_size == 0) return sample_shape_;
    if (sample_shape_.rank() == Shape::max_rank) {
      throw shape_error("modyn: State '" + this->path() + "': a per-sample shape " +
                        sample_shape_.to_string() + " leaves no room for a batch axis (rank " +
                        std::to_string(Shape::max_rank) + " at most)");
    }
    std::size_t extents[Shape::max_rank] = {batch_size};
    std::size_t rank = 1;
    for (const std::size_t e : sample_shape_) extents[rank++] = e;
    return Shape(std::span<const std::size_t>(extents, rank));
  }

  /// Whether a value of this shape can be loaded: the per-sample shape, with
  /// or without a leading batch axis of any size.
  bool accepts(const Shape& shape) const {
    if (shape == sample_shape_) return true;
    if (shape.rank() != sample_shape_.rank() + 1) return false;
    return shape.drop_front() == sample_shape_;
  }

  const Shape& sample_shape() const noexcept { return sample_shape_; }  ///< The per-sample shape.
  element fill() const noexcept { return fill_; }                       ///< The value reset fills with.

  /// The tensor.
  /// @{
  const V& value() const noexcept { return this->value_; }
  V& value() noexcept { return this->value_; }
  const V& operator*() const noexcept { return this->value_; }
  V& operator*() noexcept { return this->value_; }
  const V* operator->() const noexcept { return &this->value_; }
  V* operator->() noexcept { return &this->value_; }
  /// @}

 private:
  Shape sample_shape_{0};
  element fill_ = element(0);
};

}  // namespace modyn
