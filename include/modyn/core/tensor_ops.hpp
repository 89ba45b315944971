/// @file
/// Arithmetic and math on whole tensors, for user convenience. Every operation
/// runs on its backend's kernels (map, gemm, reduce) and returns a new Tensor;
/// modules use the kernels directly to fuse their updates into one pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>

#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

namespace detail {

template <TensorLike X>
using owning_t = Tensor<tensor_value_t<X>, tensor_backend_t<X>>;

template <TensorLike X, TensorLike Y>
void require_compatible_types() {
  static_assert(std::is_same_v<tensor_value_t<X>, tensor_value_t<Y>>,
                "modyn: both tensors of an elementwise operation must have the same element type");
  static_assert(std::is_same_v<tensor_backend_t<X>, tensor_backend_t<Y>>,
                "modyn: both tensors of an elementwise operation must be on the same backend");
}

template <TensorLike X, TensorLike Y>
void require_same_shape(const char* op, const X& a, const Y& b) {
  require_compatible_types<X, Y>();
  if (!(a.shape() == b.shape())) {
    throw shape_error(std::string("modyn: ") + op + ": shapes " + a.shape().to_string() + " and " +
                      b.shape().to_string() + " differ");
  }
}

// Whether `suffix` is the trailing part of `shape`: (3,) of (2, 3), (4, 3)
// of (5, 4, 3). The broadcasting modyn does: a row (a bias, a per-neuron
// constant) applied to every leading index.
inline bool is_suffix(const Shape& suffix, const Shape& shape) {
  if (suffix.rank() > shape.rank()) return false;
  return std::equal(suffix.begin(), suffix.end(), shape.end() - suffix.rank());
}

inline void require_broadcastable(const char* op, const Shape& a, const Shape& b) {
  if (!is_suffix(a, b) && !is_suffix(b, a)) {
    throw shape_error(std::string("modyn: ") + op + ": shapes " + a.to_string() + " and " + b.to_string() +
                      " differ (broadcasting applies a trailing part of one shape, such as a bias row, "
                      "to the other)");
  }
}

// The kernels of these operations: function objects, so that every backend
// compiles them (modyn::cuda's nvcc too).
struct add {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& a, const Vec& b) const {
    return a + b;
  }
};
struct subtract {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& a, const Vec& b) const {
    return a - b;
  }
};
struct multiply {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& a, const Vec& b) const {
    return a * b;
  }
};
struct divide {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& a, const Vec& b) const {
    return a / b;
  }
};
struct negate {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& a) const {
    return -a;
  }
};
// op(x, s) and op(s, x) for a number s.
template <class T, class Op>
struct with_right {
  T s;
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return op(x, Vec(s));
  }
};
template <class T, class Op>
struct with_left {
  T s;
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return op(Vec(s), x);
  }
};
// The passes: r = op(a); r = op(a, b); a = op(a, b) with b read; a = op(a).
template <class Op>
struct unary_pass {
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, Vec& r) const {
    r = op(a);
  }
};
template <class Op>
struct binary_pass {
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, const Vec& b, Vec& r) const {
    r = op(a, b);
  }
};
template <class Op>
struct update_pass {
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& b, Vec& a) const {
    a = op(a, b);
  }
};
template <class Op>
struct self_pass {
  Op op;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& a) const {
    a = op(a);
  }
};

template <TensorLike X, class Kernel>
owning_t<X> map_unary(const X& x, Kernel kernel) {
  auto out = owning_t<X>::empty(x.shape());
  tensor_backend_t<X>::map(x.size(), unary_pass<Kernel>{kernel},
                           static_cast<const tensor_value_t<X>*>(x.data()), write_only(out.data()));
  return out;
}

// out = kernel(x, y) elementwise; when one shape is a trailing part of the
// other, the smaller is repeated over the leading axes of the larger.
template <TensorLike X, TensorLike Y, class Kernel>
owning_t<X> map_binary(const char* op, const X& x, const Y& y, Kernel kernel) {
  require_compatible_types<X, Y>();
  require_broadcastable(op, x.shape(), y.shape());
  using T = tensor_value_t<X>;
  const bool x_larger = x.size() >= y.size() && is_suffix(y.shape(), x.shape());
  auto out = owning_t<X>::empty(x_larger ? x.shape() : y.shape());
  const std::size_t row = x_larger ? y.size() : x.size();
  const auto* xs = static_cast<const T*>(x.data());
  const auto* ys = static_cast<const T*>(y.data());
  const binary_pass<Kernel> pass{kernel};
  if (row == 0 || out.size() == 0) return out;
  // One pass: the smaller operand is a row read by every row of the larger.
  if (x_larger) {
    tensor_backend_t<X>::map(out.size(), pass, xs, broadcast_row(ys, row), write_only(out.data()));
  } else {
    tensor_backend_t<X>::map(out.size(), pass, broadcast_row(xs, row), ys, write_only(out.data()));
  }
  return out;
}

// x = kernel(x, y) in place; y's shape must equal x's or be a trailing part of it.
template <class X, TensorLike Y, class Kernel>
void update_in_place(const char* op, X& x, const Y& y, Kernel kernel) {
  require_compatible_types<X, Y>();
  if (!is_suffix(y.shape(), x.shape())) {
    throw shape_error(std::string("modyn: ") + op + ": cannot update a tensor of shape " +
                      x.shape().to_string() + " with shape " + y.shape().to_string());
  }
  using T = tensor_value_t<X>;
  const std::size_t row = y.size();
  if (row == 0 || x.size() == 0) return;
  // A right-hand side that overlaps x without being x (x += x[0]) would be
  // read partly updated: read a copy, as numpy does. x += x is elementwise
  // and needs none.
  if (overlaps(x, y) && !same_elements(x, y)) {
    const owning_t<Y> copy(TensorView<const T, tensor_backend_t<Y>>(y.data(), y.shape()));
    update_in_place(op, x, copy, kernel);
    return;
  }
  tensor_backend_t<X>::map(x.size(), update_pass<Kernel>{kernel},
                           broadcast_row(static_cast<const T*>(y.data()), row), x.data());
}

template <class X, class Kernel>
void update_in_place(X& x, Kernel kernel) {
  tensor_backend_t<X>::map(x.size(), self_pass<Kernel>{kernel}, x.data());
}

// A tensor or a view whose elements may be written.
template <class X>
concept MutableTensor = TensorLike<X> &&
    !std::is_const_v<std::remove_pointer_t<decltype(std::declval<std::remove_cvref_t<X>&>().data())>>;

}  // namespace detail

namespace detail {

template <TensorLike X, class Op>
owning_t<X> with_scalar_right(const X& a, tensor_value_t<X> s, Op op) {
  return map_unary(a, with_right<tensor_value_t<X>, Op>{s, op});
}

template <TensorLike X, class Op>
owning_t<X> with_scalar_left(tensor_value_t<X> s, const X& a, Op op) {
  return map_unary(a, with_left<tensor_value_t<X>, Op>{s, op});
}

template <class X, class Op>
X& scalar_in_place(X& a, tensor_value_t<X> s, Op op) {
  update_in_place(a, with_right<tensor_value_t<X>, Op>{s, op});
  return a;
}

template <class X, class Y, class Op>
X& tensor_in_place(const char* name, X& a, const Y& b, Op op) {
  update_in_place(name, a, b, op);
  return a;
}

}  // namespace detail

/// Elementwise sum: of two tensors of one shape (a new tensor), of a
/// tensor and a number, and in place (operator+=, which returns a).
/// @{
template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator+(const X& a, const Y& b) {
  return detail::map_binary("operator+", a, b, detail::add{});
}
template <TensorLike X>
detail::owning_t<X> operator+(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, detail::add{});
}
template <TensorLike X>
detail::owning_t<X> operator+(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, detail::add{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator+=(X& a, const Y& b) {
  return detail::tensor_in_place("operator+=", a, b, detail::add{});
}
template <detail::MutableTensor X>
X& operator+=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, detail::add{});
}
/// @}

/// Elementwise difference: of two tensors of one shape (a new tensor), of a
/// tensor and a number, and in place (operator-=, which returns a).
/// @{
template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator-(const X& a, const Y& b) {
  return detail::map_binary("operator-", a, b, detail::subtract{});
}
template <TensorLike X>
detail::owning_t<X> operator-(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, detail::subtract{});
}
template <TensorLike X>
detail::owning_t<X> operator-(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, detail::subtract{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator-=(X& a, const Y& b) {
  return detail::tensor_in_place("operator-=", a, b, detail::subtract{});
}
template <detail::MutableTensor X>
X& operator-=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, detail::subtract{});
}
/// @}

/// Elementwise product: of two tensors of one shape (a new tensor), of a
/// tensor and a number, and in place (operator*=, which returns a).
/// @{
template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator*(const X& a, const Y& b) {
  return detail::map_binary("operator*", a, b, detail::multiply{});
}
template <TensorLike X>
detail::owning_t<X> operator*(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, detail::multiply{});
}
template <TensorLike X>
detail::owning_t<X> operator*(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, detail::multiply{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator*=(X& a, const Y& b) {
  return detail::tensor_in_place("operator*=", a, b, detail::multiply{});
}
template <detail::MutableTensor X>
X& operator*=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, detail::multiply{});
}
/// @}

/// Elementwise quotient: of two tensors of one shape (a new tensor), of a
/// tensor and a number, and in place (operator/=, which returns a).
/// @{
template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator/(const X& a, const Y& b) {
  return detail::map_binary("operator/", a, b, detail::divide{});
}
template <TensorLike X>
detail::owning_t<X> operator/(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, detail::divide{});
}
template <TensorLike X>
detail::owning_t<X> operator/(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, detail::divide{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator/=(X& a, const Y& b) {
  return detail::tensor_in_place("operator/=", a, b, detail::divide{});
}
template <detail::MutableTensor X>
X& operator/=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, detail::divide{});
}
/// @}

/// A view is a handle: x[t] += y updates the elements of step t in x.
/// @{
template <class T, class B, class Y>
requires(!std::is_const_v<T>) TensorView<T, B>
operator+=(TensorView<T, B>&& a, const Y& b) { return a += b; }
template <class T, class B, class Y>
requires(!std::is_const_v<T>) TensorView<T, B>
operator-=(TensorView<T, B>&& a, const Y& b) { return a -= b; }
template <class T, class B, class Y>
requires(!std::is_const_v<T>) TensorView<T, B>
operator*=(TensorView<T, B>&& a, const Y& b) { return a *= b; }
template <class T, class B, class Y>
requires(!std::is_const_v<T>) TensorView<T, B>
operator/=(TensorView<T, B>&& a, const Y& b) { return a /= b; }
/// @}

/// Elementwise negation: a new tensor.
template <TensorLike X>
detail::owning_t<X> operator-(const X& a) {
  return detail::map_unary(a, detail::negate{});
}

/// The sum of the elements (0 for an empty tensor).
template <TensorLike X>
tensor_value_t<X> sum(const X& x) {
  return tensor_backend_t<X>::reduce_sum(static_cast<const tensor_value_t<X>*>(x.data()), x.size());
}

/// The largest element; throws shape_error on an empty tensor.
template <TensorLike X>
tensor_value_t<X> max(const X& x) {
  if (x.size() == 0) throw shape_error("modyn::max: the tensor " + x.shape().to_string() + " is empty");
  return tensor_backend_t<X>::reduce_max(static_cast<const tensor_value_t<X>*>(x.data()), x.size());
}

/// Matrix product of a (m, k) and b (k, n): a (m, n) tensor.
template <TensorLike X, TensorLike Y>
detail::owning_t<X> matmul(const X& a, const Y& b) {
  static_assert(std::is_same_v<tensor_value_t<X>, tensor_value_t<Y>>,
                "modyn::matmul: both tensors must have the same element type");
  static_assert(std::is_same_v<tensor_backend_t<X>, tensor_backend_t<Y>>,
                "modyn::matmul: both tensors must be on the same backend");
  if (a.rank() != 2 || b.rank() != 2 || a.shape(1) != b.shape(0)) {
    throw shape_error("modyn::matmul: cannot multiply shapes " + a.shape().to_string() + " and " +
                      b.shape().to_string() + " (expected (m, k) and (k, n))");
  }
  using T = tensor_value_t<X>;
  const std::size_t m = a.shape(0), k = a.shape(1), n = b.shape(1);
  auto out = detail::owning_t<X>::empty({m, n});
  tensor_backend_t<X>::gemm(Transpose::no, Transpose::no, m, n, k, T(1), static_cast<const T*>(a.data()), k,
                            static_cast<const T*>(b.data()), n, T(0), out.data(), n);
  return out;
}

/// numpy.allclose: |a - b| <= atol + rtol |b| for every element (NaN never
/// close). Shapes must be equal.
template <TensorLike X, TensorLike Y>
bool allclose(const X& a, const Y& b, double rtol = 1e-5, double atol = 1e-8) {
  detail::require_same_shape("allclose", a, b);
  detail::require_host<tensor_backend_t<X>>();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = static_cast<double>(a.data()[i]);
    const double y = static_cast<double>(b.data()[i]);
    // As in numpy: equal infinities are close, other non-finite values never.
    if (x == y) continue;
    if (!std::isfinite(x) || !std::isfinite(y)) return false;
    if (!(std::abs(x - y) <= atol + rtol * std::abs(y))) return false;
  }
  return true;
}

}  // namespace modyn
