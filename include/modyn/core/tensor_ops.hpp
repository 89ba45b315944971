// Arithmetic and math on whole tensors, for user convenience. Every operation
// runs on its backend's kernels (map, gemm, reduce) and returns a new Tensor;
// modules use the kernels directly to fuse their updates into one pass.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>

#include "modyn/backend/kernel_math.hpp"
#include "modyn/core/elementwise.hpp"
#include "modyn/core/error.hpp"
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

template <TensorLike X, class Kernel>
owning_t<X> map_unary(const X& x, Kernel kernel) {
  auto out = owning_t<X>::empty(x.shape());
  tensor_backend_t<X>::map(
      x.size(), [kernel](const auto& a, auto& r) { r = kernel(a); },
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
  const auto pass = [kernel](const auto& a, const auto& b, auto& r) { r = kernel(a, b); };
  for (std::size_t offset = 0; row && offset < out.size(); offset += row) {
    tensor_backend_t<X>::map(row, pass, x_larger ? xs + offset : xs, x_larger ? ys : ys + offset,
                             write_only(out.data() + offset));
  }
  return out;
}

// x = kernel(x, y) in place; y's shape must equal x's or be a trailing part of it.
template <class X, TensorLike Y, class Kernel>
void update_in_place(const char* op, X& x, const Y& y, Kernel kernel) {
  require_compatible_types<X, Y>();
  if (!is_suffix(y.shape(), x.shape())) {
    throw shape_error(std::string("modyn: ") + op + ": cannot update a tensor of shape " + x.shape().to_string() +
                      " with shape " + y.shape().to_string());
  }
  using T = tensor_value_t<X>;
  const std::size_t row = y.size();
  for (std::size_t offset = 0; row && offset < x.size(); offset += row) {
    tensor_backend_t<X>::map(
        row, [kernel](const auto& b, auto& a) { a = kernel(a, b); }, static_cast<const T*>(y.data()),
        x.data() + offset);
  }
}

template <class X, class Kernel>
void update_in_place(X& x, Kernel kernel) {
  tensor_backend_t<X>::map(x.size(), [kernel](auto& a) { a = kernel(a); }, x.data());
}

// A tensor or a view whose elements may be written.
template <class X>
concept MutableTensor = TensorLike<X> && !std::is_const_v<std::remove_pointer_t<
                                             decltype(std::declval<std::remove_cvref_t<X>&>().data())>>;

}  // namespace detail

namespace detail {

template <TensorLike X, class Op>
owning_t<X> with_scalar_right(const X& a, tensor_value_t<X> s, Op op) {
  return map_unary(a, [s, op](const auto& p) { return op(p, std::remove_cvref_t<decltype(p)>(s)); });
}

template <TensorLike X, class Op>
owning_t<X> with_scalar_left(tensor_value_t<X> s, const X& a, Op op) {
  return map_unary(a, [s, op](const auto& p) { return op(std::remove_cvref_t<decltype(p)>(s), p); });
}

template <class X, class Op>
X& scalar_in_place(X& a, tensor_value_t<X> s, Op op) {
  update_in_place(a, [s, op](const auto& p) { return op(p, std::remove_cvref_t<decltype(p)>(s)); });
  return a;
}

template <class X, class Y, class Op>
X& tensor_in_place(const char* name, X& a, const Y& b, Op op) {
  update_in_place(name, a, b, op);
  return a;
}

}  // namespace detail

template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator+(const X& a, const Y& b) {
  return detail::map_binary("operator+", a, b, std::plus<>{});
}
template <TensorLike X>
detail::owning_t<X> operator+(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, std::plus<>{});
}
template <TensorLike X>
detail::owning_t<X> operator+(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, std::plus<>{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator+=(X& a, const Y& b) {
  return detail::tensor_in_place("operator+=", a, b, std::plus<>{});
}
template <detail::MutableTensor X>
X& operator+=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, std::plus<>{});
}

template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator-(const X& a, const Y& b) {
  return detail::map_binary("operator-", a, b, std::minus<>{});
}
template <TensorLike X>
detail::owning_t<X> operator-(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, std::minus<>{});
}
template <TensorLike X>
detail::owning_t<X> operator-(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, std::minus<>{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator-=(X& a, const Y& b) {
  return detail::tensor_in_place("operator-=", a, b, std::minus<>{});
}
template <detail::MutableTensor X>
X& operator-=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, std::minus<>{});
}

template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator*(const X& a, const Y& b) {
  return detail::map_binary("operator*", a, b, std::multiplies<>{});
}
template <TensorLike X>
detail::owning_t<X> operator*(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, std::multiplies<>{});
}
template <TensorLike X>
detail::owning_t<X> operator*(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, std::multiplies<>{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator*=(X& a, const Y& b) {
  return detail::tensor_in_place("operator*=", a, b, std::multiplies<>{});
}
template <detail::MutableTensor X>
X& operator*=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, std::multiplies<>{});
}

template <TensorLike X, TensorLike Y>
detail::owning_t<X> operator/(const X& a, const Y& b) {
  return detail::map_binary("operator/", a, b, std::divides<>{});
}
template <TensorLike X>
detail::owning_t<X> operator/(const X& a, tensor_value_t<X> s) {
  return detail::with_scalar_right(a, s, std::divides<>{});
}
template <TensorLike X>
detail::owning_t<X> operator/(tensor_value_t<X> s, const X& a) {
  return detail::with_scalar_left(s, a, std::divides<>{});
}
template <detail::MutableTensor X, TensorLike Y>
X& operator/=(X& a, const Y& b) {
  return detail::tensor_in_place("operator/=", a, b, std::divides<>{});
}
template <detail::MutableTensor X>
X& operator/=(X& a, tensor_value_t<X> s) {
  return detail::scalar_in_place(a, s, std::divides<>{});
}

// A view is a handle: x[t] += y updates the elements of step t in x.
template <class T, class B, class Y>
  requires(!std::is_const_v<T>)
TensorView<T, B> operator+=(TensorView<T, B>&& a, const Y& b) {
  return a += b;
}
template <class T, class B, class Y>
  requires(!std::is_const_v<T>)
TensorView<T, B> operator-=(TensorView<T, B>&& a, const Y& b) {
  return a -= b;
}
template <class T, class B, class Y>
  requires(!std::is_const_v<T>)
TensorView<T, B> operator*=(TensorView<T, B>&& a, const Y& b) {
  return a *= b;
}
template <class T, class B, class Y>
  requires(!std::is_const_v<T>)
TensorView<T, B> operator/=(TensorView<T, B>&& a, const Y& b) {
  return a /= b;
}

template <TensorLike X>
detail::owning_t<X> operator-(const X& a) {
  return detail::map_unary(a, [](const auto& p) { return -p; });
}

template <TensorLike X>
tensor_value_t<X> sum(const X& x) {
  return tensor_backend_t<X>::reduce_sum(static_cast<const tensor_value_t<X>*>(x.data()), x.size());
}

// The largest element; throws shape_error on an empty tensor.
template <TensorLike X>
tensor_value_t<X> max(const X& x) {
  if (x.size() == 0) throw shape_error("modyn::max: the tensor " + x.shape().to_string() + " is empty");
  return tensor_backend_t<X>::reduce_max(static_cast<const tensor_value_t<X>*>(x.data()), x.size());
}

// Matrix product of a (m, k) and b (k, n): a (m, n) tensor.
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

// numpy.allclose: |a - b| <= atol + rtol |b| for every element (NaN never
// close). Shapes must be equal.
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
