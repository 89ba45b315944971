/// @file
/// Param<V, Transform, Reg>: a trainable field of a module.
///
/// The Param stores the unconstrained (raw) tensor, which optimizers update and
/// state dicts hold; value() is Transform applied to it (softplus, exponential,
/// sigmoid, affine, clip), cached until the raw value changes. Reg adds a term
/// to module.reg_loss(). A gradient buffer of the raw value's shape and backend
/// is reserved for training (grad(), has_grad(), zero_grad()).
///
/// Versions, as PyTorch's tensor._version
/// --------------------------------------
/// A Param counts the mutations of its raw value: version() grows by at least
/// one on every path that can change it: operator= (which load_state_dict
/// uses), set_value, raw_mut(), mark_modified(), assignment from another Param
/// and the reset_parameters hooks of layers (which assign). value() keeps the
/// transformed value with the version it was computed from (cache_version())
/// and recomputes it, in place, only when the two differ: an access costs a
/// comparison of two integers, whatever the size and wherever the data lives.
///
/// The rule for references held across writes: raw_mut() counts as a write
/// when it is called, not when the reference it returned is written through.
/// Code that keeps a reference to the raw tensor (from raw_mut(), or from
/// module.parameters() / named_parameters(), which take raw_mut() references
/// once) and writes through it later must call mark_modified() on the Param
/// after writing, before the next value(); otherwise value() returns the
/// transform of the raw value as it was at the last counted write. The
/// simplest correct optimizer step calls p.raw_mut() on each Param
/// (for_each_parameter) at every step, which counts by itself.
/// Untransformed Params (transform::identity) have no cache: value() is the
/// raw tensor itself, always current.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/module/detail/variable.hpp"
#include "modyn/module/regularizers.hpp"
#include "modyn/module/transforms.hpp"

namespace modyn {

namespace detail {

// y = t.forward(x) and y = t.inverse(x), elementwise.
template <class Transform>
struct transform_forward_kernel {
  Transform t;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& y) const {
    y = t.forward(x);
  }
};
template <class Transform>
struct transform_inverse_kernel {
  Transform t;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& y) const {
    y = t.inverse(x);
  }
};

}  // namespace detail

/// A trainable field of a module: the raw (unconstrained) tensor that
/// optimizers update and state dicts hold, its transformed value, its
/// regularizer and its gradient buffer.
/// @tparam V the tensor type (Tensor<float>, Tensor<double, cuda>, ...).
/// @tparam Transform the transform from raw to value (module/transforms.hpp).
/// @tparam Reg the regularizer of the value (module/regularizers.hpp).
template <class V, class Transform = transform::identity, class Reg = reg::none>
class Param : public detail::variable<V> {
  using base = detail::variable<V>;
  using backend = typename V::backend_type;
  using element = typename V::value_type;
  static constexpr bool transformed = !std::is_same_v<Transform, transform::identity>;

 public:
  using transform_type = Transform;  ///< The transform from raw to value.
  using regularizer_type = Reg;      ///< The regularizer.
  /// The cache_version() of a Param whose transformed value was never computed.
  static constexpr std::uint64_t no_cache = ~std::uint64_t(0);

  Param() = default;
  /// From the raw (unconstrained) value.
  explicit Param(V raw, Transform transform = {}, Reg regularizer = {})
      : base(std::move(raw)), transform_(transform), regularizer_(regularizer) {}

  /// From the constrained value: the raw value is the transform's inverse.
  static Param from_value(const V& value, Transform transform = {}, Reg regularizer = {}) {
    return Param(apply(value, detail::transform_inverse_kernel<Transform>{transform}), transform,
                 regularizer);
  }

  /// Copies keep the source's version and cache; assigning a Param to another
  /// counts as a write of the target (its version grows past both).
  /// @{
  Param(const Param&) = default;
  Param(Param&&) noexcept = default;
  Param& operator=(const Param& other) {
    if (this != &other) assign_param(Param(other));
    return *this;
  }
  Param& operator=(Param&& other) noexcept {
    if (this != &other) assign_param(std::move(other));
    return *this;
  }
  /// @}
  ~Param() = default;

  /// Replaces the raw data (same shape; throws shape_error naming the path).
  Param& operator=(const V& raw) {
    this->assign_same_shape(raw, "Param");
    mark_modified();
    return *this;
  }

  /// Sets the constrained value: raw = inverse(value).
  void set_value(const V& value) {
    *this = apply(value, detail::transform_inverse_kernel<Transform>{transform_});
  }

  const V& raw() const noexcept { return this->value_; }  ///< The raw (unconstrained) data.
  /// Mutable access to the raw data (for optimizers and loaders). Counts as a
  /// write now; a write through the reference after a later value() needs
  /// mark_modified() (see the top of this header).
  V& raw_mut() noexcept {
    mark_modified();
    return this->value_;
  }

  /// Declares that the raw value was written through a reference held from
  /// earlier: the next value() recomputes the transform.
  void mark_modified() noexcept { ++version_; }

  /// How many counted writes the raw value has had (see the top of this header).
  std::uint64_t version() const noexcept { return version_; }
  /// The version the cached transformed value was computed from, no_cache if
  /// none was; for an untransformed Param, version() (value() is raw()).
  std::uint64_t cache_version() const noexcept {
    if constexpr (transformed) {
      return cache_version_;
    } else {
      return version_;
    }
  }

  /// The transformed value, recomputed (into the same buffer while the shape
  /// stays) only when version() moved since it was last computed.
  const V& value() const {
    if constexpr (!transformed) {
      return this->value_;
    } else {
      if (cache_version_ != version_ || !(cache_.shape() == this->value_.shape())) {
        if (!(cache_.shape() == this->value_.shape())) cache_ = V::empty(this->value_.shape());
        backend::map(this->value_.size(), detail::transform_forward_kernel<Transform>{transform_},
                     static_cast<const element*>(this->value_.data()), write_only(cache_.data()));
        cache_version_ = version_;
      }
      return cache_;
    }
  }
  /// The transformed value, as value().
  /// @{
  const V& operator*() const { return value(); }
  const V* operator->() const { return &value(); }
  /// @}

  double reg_loss() const { return regularizer_.loss(value()); }  ///< The regularizer's term of value().

  const Transform& transform() const noexcept { return transform_; }  ///< The transform.
  const Reg& regularizer() const noexcept { return regularizer_; }    ///< The regularizer.

  // ---- gradient (training)
  //
  // d loss / d raw, same shape and backend as raw(). Allocated, zero-filled,
  // by the first mutable grad() (so inference never pays for it), and again
  // only if the raw value's shape changed since; zero_grad() refills the
  // same buffer: a training step allocates nothing once warm. Copies of a
  // Param copy the gradient; writes to it do not change version().

  /// Whether the buffer exists (a mutable grad() was called) with raw()'s shape.
  bool has_grad() const noexcept { return grad_allocated_ && grad_.shape() == this->value_.shape(); }

  /// The gradient d loss / d raw, allocated (zero-filled) by the first call
  /// and again when raw()'s shape changed.
  V& grad() {
    if (!has_grad()) {
      grad_ = V::zeros(this->value_.shape());
      grad_allocated_ = true;
    }
    return grad_;
  }
  /// Throws config_error naming the path when !has_grad().
  const V& grad() const {
    if (!has_grad()) {
      throw config_error("modyn: Param '" + (this->path().empty() ? std::string("<unnamed>") : this->path()) +
                         "' has no gradient buffer (call the mutable grad() or zero_grad() first)");
    }
    return grad_;
  }

  /// Sets the gradient to zero, allocating it (zero-filled) if it does not exist.
  void zero_grad() {
    if (!has_grad()) {
      (void)grad();
      return;
    }
    backend::map(grad_.size(), detail::fill_kernel<element>{element(0)}, write_only(grad_.data()));
  }

 private:
  template <class Kernel>
  static V apply(const V& x, Kernel kernel) {
    V out = V::empty(x.shape());
    backend::map(x.size(), kernel, static_cast<const element*>(x.data()), write_only(out.data()));
    return out;
  }

  void assign_param(Param&& other) {
    const std::uint64_t next = (version_ > other.version_ ? version_ : other.version_) + 1;
    const bool cache_current = transformed && other.cache_version_ == other.version_;
    static_cast<base&>(*this) = std::move(static_cast<base&>(other));
    transform_ = other.transform_;
    regularizer_ = other.regularizer_;
    cache_ = std::move(other.cache_);
    grad_ = std::move(other.grad_);
    grad_allocated_ = other.grad_allocated_;
    version_ = next;
    cache_version_ = cache_current ? next : no_cache;
  }

  [[no_unique_address]] Transform transform_{};
  [[no_unique_address]] Reg regularizer_{};
  std::uint64_t version_ = 0;
  /// (Not thread-safe: concurrent value() calls on one Param may race.)
  mutable V cache_;
  mutable std::uint64_t cache_version_ = no_cache;
  V grad_;
  bool grad_allocated_ = false;
};

}  // namespace modyn
