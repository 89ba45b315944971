// Param<V, Transform, Reg>: a trainable field of a module.
//
// The Param stores the unconstrained (raw) tensor, which optimizers update and
// state dicts hold; value() is Transform applied to it (softplus, exp,
// sigmoid, affine, clip), cached until the raw value changes. Reg adds a term
// to module.reg_loss().
#pragma once

#include <algorithm>
#include <string_view>
#include <utility>

#include "modyn/module/detail/variable.hpp"
#include "modyn/module/regularizers.hpp"
#include "modyn/module/transforms.hpp"

namespace modyn {

template <class V, class Transform = transform::identity, class Reg = reg::none>
class Param : public detail::variable<V> {
  using base = detail::variable<V>;
  using backend = typename V::backend_type;
  using element = typename V::value_type;

 public:
  using transform_type = Transform;
  using regularizer_type = Reg;

  Param() = default;
  // From the raw (unconstrained) value.
  explicit Param(V raw, Transform transform = {}, Reg regularizer = {})
      : base(std::move(raw)), transform_(transform), regularizer_(regularizer) {}

  // From the constrained value: the raw value is the transform's inverse.
  static Param from_value(const V& value, Transform transform = {}, Reg regularizer = {}) {
    return Param(apply(value, [transform](const auto& y) { return transform.inverse(y); }), transform,
                 regularizer);
  }

  // Replaces the raw data (same shape; throws shape_error naming the path).
  Param& operator=(const V& raw) {
    this->assign_same_shape(raw, "Param");
    cache_valid_ = false;
    return *this;
  }

  // Sets the constrained value: raw = inverse(value).
  void set_value(const V& value) {
    *this = apply(value, [t = transform_](const auto& y) { return t.inverse(y); });
  }

  const V& raw() const noexcept { return this->value_; }
  // Mutable access to the raw data (for optimizers and loaders): the cached
  // value is recomputed on the next value().
  V& raw_mut() noexcept {
    cache_valid_ = false;
    return this->value_;
  }

  // The transformed value, recomputed only when the raw value changed. On
  // the host the raw value is compared with the one the cache was made
  // from, so writes through any reference (an optimizer holding
  // parameters()) are seen; elsewhere, writes must go through operator=,
  // set_value or raw_mut.
  const V& value() const {
    if constexpr (std::is_same_v<Transform, transform::identity>) {
      return this->value_;
    } else {
      if (!cache_valid_ || !(cache_.shape() == this->value_.shape()) || raw_changed()) {
        cache_ = apply(this->value_, [t = transform_](const auto& x) { return t.forward(x); });
        if constexpr (backend::host_accessible) cached_raw_ = this->value_;
        cache_valid_ = true;
      }
      return cache_;
    }
  }
  const V& operator*() const { return value(); }
  const V* operator->() const { return &value(); }

  double reg_loss() const { return regularizer_.loss(value()); }

  const Transform& transform() const noexcept { return transform_; }
  const Reg& regularizer() const noexcept { return regularizer_; }

 private:
  template <class Kernel>
  static V apply(const V& x, Kernel kernel) {
    V out = V::empty(x.shape());
    backend::map(
        x.size(), [kernel](const auto& in, auto& result) { result = kernel(in); },
        static_cast<const element*>(x.data()), write_only(out.data()));
    return out;
  }

  [[no_unique_address]] Transform transform_{};
  [[no_unique_address]] Reg regularizer_{};
  bool raw_changed() const {
    if constexpr (backend::host_accessible) {
      return !(cached_raw_.shape() == this->value_.shape()) ||
             !std::equal(this->value_.data(), this->value_.data() + this->value_.size(), cached_raw_.data());
    } else {
      return false;
    }
  }

  // (Not thread-safe: concurrent value() calls on one Param may race.)
  mutable V cache_;
  mutable V cached_raw_;
  mutable bool cache_valid_ = false;
};

}  // namespace modyn
