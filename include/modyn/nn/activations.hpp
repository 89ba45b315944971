// The stateless functions of tensors that models compose: the elementwise
// activations (relu, tanh, sigmoid, silu, gelu, identity, and exp, log,
// sqrt, abs) and softmax. Each is an object in modyn::fn, callable on
// tensors (returning a new tensor) and a Sequential entry; the elementwise
// ones also expose their kernel, so that Sequential fuses them into the pass
// of the layer before them (a Dense's bias and activation in one pass after
// its GEMM). is_activation_v and is_elementwise_v are what Sequential reads.
// modyn::relu, sigmoid, silu, gelu, identity and softmax are the same
// objects; modyn::exp, log, sqrt, abs and tanh are functions (see below).
//
// Names: modyn::exp is this function of tensors; math::exp (core/math.hpp)
// is the function of kernel values it applies; exp_kernel is the kernel.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

// The kernels: a name, and a call operator for every kernel value type.

/// The kernel of fn::identity: y = x.
struct identity_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "identity";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return x;
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return Vec(1);
  }
};
/// The kernel of fn::exp: y = exp(x).
struct exp_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "exp";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::exp(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return y;
  }
};
/// The kernel of fn::log: y = log(x) (natural logarithm).
struct log_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "log";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::log(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return Vec(1) / x;
  }
};
/// The kernel of fn::sqrt: y = sqrt(x).
struct sqrt_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "sqrt";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::sqrt(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return Vec(0.5) / y;
  }
};
/// The kernel of fn::abs: y = |x|.
struct abs_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "abs";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::abs(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return math::select(x < Vec(0), Vec(-1),
                        math::select(Vec(0) < x, Vec(1), Vec(0)));  // sign(x), as PyTorch
  }
};
/// The kernel of fn::tanh: y = tanh(x).
struct tanh_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "tanh";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::tanh(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return Vec(1) - y * y;
  }
};
/// The kernel of fn::sigmoid: y = 1 / (1 + exp(-x)).
struct sigmoid_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "sigmoid";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::sigmoid(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return y * (Vec(1) - y);
  }
};
/// The kernel of fn::relu: y = max(x, 0).
struct relu_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "relu";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return math::relu(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    return math::select(Vec(0) < x, Vec(1), Vec(0));  // 0 at 0, as PyTorch
  }
};
/// x sigmoid(x) (PyTorch's SiLU / swish)
struct silu_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "silu";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return x * math::sigmoid(x);
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    const Vec s = math::sigmoid(x);
    return s * (Vec(1) + x * (Vec(1) - s));
  }
};
/// x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (PyTorch's exact GELU)
struct gelu_kernel {
  /// The function's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = "gelu";
  /// y of x, for every kernel value type Vec (a number, a SIMD batch).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return Vec(0.5) * x * (Vec(1) + math::erf(x * Vec(0.70710678118654752440)));
  }
  /// d y / d x, from the input x and the output y.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad([[maybe_unused]] const Vec& x,
                                                 [[maybe_unused]] const Vec& y) const {
    // Phi(x) + x phi(x)
    return Vec(0.5) * (Vec(1) + math::erf(x * Vec(0.70710678118654752440))) +
           x * Vec(0.39894228040143267794) * math::exp(Vec(-0.5) * x * x);
  }
};

namespace detail {
template <class Kernel>
struct apply_in_place {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = Kernel{}(x);
  }
};
template <class Kernel>
struct apply_to {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& result) const {
    result = Kernel{}(x);
  }
};
// gx = gy * d kernel(x) / dx
template <class Kernel>
struct chain_rule {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& y, const Vec& gy,
                                                        Vec& gx) const {
    gx = gy * Kernel{}.grad(x, y);
  }
};
}  // namespace detail

/// A stateless elementwise function: call it on a tensor, or compose it in a
/// Sequential, where it runs in place of a buffer or fused into the layer
/// before it.
///
/// Kernel: the kernel (identity_kernel, ..., or one of your own: a `name` and
/// a call operator of a kernel value; a `grad` for training).
template <class Kernel>
struct Elementwise {
  using kernel = Kernel;  ///< the kernel, which Sequential fuses into the layer before
  /// The kernel's name, as printed and as Sequential looks entries up.
  static constexpr std::string_view name = Kernel::name;

  /// A new tensor kernel(x), of x's shape, value type and backend.
  template <TensorLike X>
  Tensor<tensor_value_t<X>, tensor_backend_t<X>> operator()(const X& x) const {
    auto out = Tensor<tensor_value_t<X>, tensor_backend_t<X>>::empty(x.shape());
    apply_into(x, out);
    return out;
  }
  /// Of a number: relu(-1.5f) is 0.f (std:: functions underneath, core/math.hpp).
  /// Integers would run the kernel in integer arithmetic (sigmoid(0) == 0): not taken.
  template <std::floating_point V>
  V operator()(V x) const {
    return Kernel{}(x);
  }

  /// out = kernel(x); out must have x's size (it may be x itself).
  template <TensorLike X, TensorLike Out>
  static void apply_into(const X& x, Out& out) {
    using T = tensor_value_t<X>;
    using B = tensor_backend_t<X>;
    if (static_cast<const void*>(x.data()) == static_cast<const void*>(out.data())) {
      B::map(x.size(), detail::apply_in_place<Kernel>{}, out.data());
    } else {
      B::map(x.size(), detail::apply_to<Kernel>{}, static_cast<const T*>(x.data()), write_only(out.data()));
    }
  }

  /// Backward (module/differentiable.hpp): gx = gy * f'(x), from the input x
  /// and the output y of the forward; gx has x's size (it may be gy itself).
  template <TensorLike X, TensorLike Y, TensorLike G, TensorLike Out>
  static void backward_into(const X& x, const Y& y, const G& gy, Out& gx) {
    using T = tensor_value_t<X>;
    using B = tensor_backend_t<X>;
    static_assert(
        requires(const Kernel& k, const T& v) { k.grad(v, v); },
        "modyn::Elementwise::backward_into: this kernel has no derivative; give it a member "
        "`template <class Vec> Vec grad(const Vec& x, const Vec& y) const` (d y / d x)");
    B::map(x.size(), detail::chain_rule<Kernel>{}, static_cast<const T*>(x.data()),
           static_cast<const T*>(y.data()), static_cast<const T*>(gy.data()), write_only(gx.data()));
  }
};

namespace detail {
template <class T>
struct exp_shifted {
  T shift;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& e) const {
    e = math::exp(x - Vec(shift));
  }
};
template <class T>
struct scale_by {
  T factor;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = x * Vec(factor);
  }
};
struct product_of {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, const Vec& b, Vec& out) const {
    out = a * b;
  }
};
template <class T>
struct softmax_grad {
  T dot;  // sum(gy y) of the row
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& y, const Vec& gy, Vec& gx) const {
    gx = y * (gy - Vec(dot));
  }
};
}  // namespace detail

/// softmax over the last axis: exp(x - max) / sum exp(x - max), row by row.
struct Softmax {
  static constexpr std::string_view name = "softmax";  ///< as printed and as Sequential looks entries up

  /// A new tensor softmax(x), of x's shape, value type and backend.
  template <TensorLike X>
  Tensor<tensor_value_t<X>, tensor_backend_t<X>> operator()(const X& x) const {
    auto out = Tensor<tensor_value_t<X>, tensor_backend_t<X>>::empty(x.shape());
    apply_into(x, out);
    return out;
  }

  /// out (x's size; it may be x itself) = softmax(x) over the last axis.
  template <TensorLike X, TensorLike Out>
  static void apply_into(const X& x, Out& out) {
    using T = tensor_value_t<X>;
    using B = tensor_backend_t<X>;
    const std::size_t n = x.rank() == 0 ? 1 : x.shape(x.rank() - 1);
    for (std::size_t offset = 0; n && offset < x.size(); offset += n) {
      const T* row = static_cast<const T*>(x.data()) + offset;
      T* y = out.data() + offset;
      const T peak = B::reduce_max(row, n);
      B::map(n, detail::exp_shifted<T>{peak}, row, write_only(y));
      const T inv_sum = T(1) / B::reduce_sum(static_cast<const T*>(y), n);
      B::map(n, detail::scale_by<T>{inv_sum}, y);
    }
  }

  /// Backward (module/differentiable.hpp), row by row from the output y:
  /// gx = y (gy - sum(gy y)). gx must not be gy.
  template <TensorLike Y, TensorLike G, TensorLike Out>
  static void backward_into(const Y& y, const G& gy, Out& gx) {
    using T = tensor_value_t<Y>;
    using B = tensor_backend_t<Y>;
    const std::size_t n = y.rank() == 0 ? 1 : y.shape(y.rank() - 1);
    for (std::size_t offset = 0; n && offset < y.size(); offset += n) {
      const T* yr = static_cast<const T*>(y.data()) + offset;
      const T* gr = static_cast<const T*>(gy.data()) + offset;
      T* out = gx.data() + offset;
      B::map(n, detail::product_of{}, yr, gr, write_only(out));
      const T dot = B::reduce_sum(static_cast<const T*>(out), n);
      B::map(n, detail::softmax_grad<T>{dot}, yr, gr, write_only(out));
    }
  }
};

/// The functions as objects: what Sequential takes as an entry and
/// Dense::forward_fused as the function to fuse (Sequential{d, fn::tanh}).
namespace fn {
inline constexpr Elementwise<identity_kernel> identity{};  ///< x
inline constexpr Elementwise<exp_kernel> exp{};            ///< exp(x)
inline constexpr Elementwise<log_kernel> log{};            ///< log(x)
inline constexpr Elementwise<sqrt_kernel> sqrt{};          ///< sqrt(x)
inline constexpr Elementwise<abs_kernel> abs{};            ///< |x|
inline constexpr Elementwise<tanh_kernel> tanh{};          ///< tanh(x)
inline constexpr Elementwise<sigmoid_kernel> sigmoid{};    ///< 1 / (1 + exp(-x))
inline constexpr Elementwise<relu_kernel> relu{};          ///< max(x, 0)
inline constexpr Elementwise<silu_kernel> silu{};          ///< x sigmoid(x)
inline constexpr Elementwise<gelu_kernel> gelu{};          ///< x Phi(x) (exact GELU)
inline constexpr Softmax softmax{};                        ///< over the last axis
}  // namespace fn

/// The names no C or C++ library declares are these objects in modyn too:
/// modyn::relu(x), Sequential{d, relu}.
using fn::gelu;
using fn::identity;
using fn::relu;
using fn::sigmoid;
using fn::silu;
using fn::softmax;

/// exp(x) of a tensor, a new tensor (fn::exp is the object).
///
/// exp, log, sqrt, abs and tanh are also the C library's (`::tanh`, from
/// `<math.h>`), so in modyn they are functions of tensors, not objects: a
/// program with `using namespace modyn;` (as the README's) then reads
/// tanh(x) as this function for a tensor x and as the C library's for a
/// number, where an object and a function of one name would be ambiguous.
/// Their objects, for Sequential and forward_fused, are fn::exp, ...
template <TensorLike X>
Tensor<tensor_value_t<X>, tensor_backend_t<X>> exp(const X& x) {
  return fn::exp(x);
}
/// log(x) of a tensor, a new tensor (fn::log is the object).
template <TensorLike X>
Tensor<tensor_value_t<X>, tensor_backend_t<X>> log(const X& x) {
  return fn::log(x);
}
/// sqrt(x) of a tensor, a new tensor (fn::sqrt is the object).
template <TensorLike X>
Tensor<tensor_value_t<X>, tensor_backend_t<X>> sqrt(const X& x) {
  return fn::sqrt(x);
}
/// |x| of a tensor, a new tensor (fn::abs is the object).
template <TensorLike X>
Tensor<tensor_value_t<X>, tensor_backend_t<X>> abs(const X& x) {
  return fn::abs(x);
}
/// tanh(x) of a tensor, a new tensor (fn::tanh is the object).
template <TensorLike X>
Tensor<tensor_value_t<X>, tensor_backend_t<X>> tanh(const X& x) {
  return fn::tanh(x);
}

/// Elementwise functions: Sequential fuses them into the pass of the layer
/// before them.
template <class E>
inline constexpr bool is_elementwise_v = false;
/// An Elementwise is one.
template <class Kernel>
inline constexpr bool is_elementwise_v<Elementwise<Kernel>> = true;

/// Every stateless function of this header: Sequential gives each an output
/// buffer instead of allocating per call.
template <class E>
inline constexpr bool is_activation_v = is_elementwise_v<E> || std::is_same_v<E, Softmax>;

}  // namespace modyn
