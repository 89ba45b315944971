// Elementwise functions as objects: modyn::relu, modyn::tanh, ... are
// callables on tensors (returning a new tensor) that also expose their kernel,
// so that Sequential can fuse them into the pass of the layer before them
// (a Dense's bias and activation in one pass after its GEMM).
#pragma once

#include <string_view>

#include "modyn/backend/kernel_math.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn {

namespace ops {
// Each op: a name and apply(V) for every kernel value type V.
struct identity {
  static constexpr std::string_view name = "identity";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return x; }
};
struct exp {
  static constexpr std::string_view name = "exp";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::exp(x); }
};
struct log {
  static constexpr std::string_view name = "log";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::log(x); }
};
struct sqrt {
  static constexpr std::string_view name = "sqrt";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::sqrt(x); }
};
struct abs {
  static constexpr std::string_view name = "abs";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::abs(x); }
};
struct tanh {
  static constexpr std::string_view name = "tanh";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::tanh(x); }
};
struct sigmoid {
  static constexpr std::string_view name = "sigmoid";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::sigmoid(x); }
};
struct relu {
  static constexpr std::string_view name = "relu";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return math::relu(x); }
};
// x sigmoid(x) (PyTorch's SiLU / swish)
struct silu {
  static constexpr std::string_view name = "silu";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) { return x * math::sigmoid(x); }
};
// x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (PyTorch's exact GELU)
struct gelu {
  static constexpr std::string_view name = "gelu";
  template <class V>
  static MODYN_ALWAYS_INLINE V apply(const V& x) {
    return V(0.5) * x * (V(1) + math::erf(x * V(0.70710678118654752440)));
  }
};
}  // namespace ops

// A stateless elementwise function: call it on a tensor, or compose it in a
// Sequential, where it runs in place of a buffer or fused into the layer
// before it.
template <class Op>
struct Elementwise {
  using op = Op;
  static constexpr std::string_view name = Op::name;

  template <TensorLike X>
  Tensor<tensor_value_t<X>, tensor_backend_t<X>> operator()(const X& x) const {
    auto out = Tensor<tensor_value_t<X>, tensor_backend_t<X>>::empty(x.shape());
    apply_into(x, out);
    return out;
  }

  // out = op(x); out must have x's size (it may be x itself).
  template <TensorLike X, TensorLike Out>
  static void apply_into(const X& x, Out& out) {
    using T = tensor_value_t<X>;
    if (static_cast<const void*>(x.data()) == static_cast<const void*>(out.data())) {
      tensor_backend_t<X>::map(x.size(), [](auto& v) { v = Op::apply(v); }, out.data());
    } else {
      tensor_backend_t<X>::map(
          x.size(), [](const auto& v, auto& r) { r = Op::apply(v); }, static_cast<const T*>(x.data()),
          write_only(out.data()));
    }
  }
};

template <class T>
inline constexpr bool is_elementwise_v = false;
template <class Op>
inline constexpr bool is_elementwise_v<Elementwise<Op>> = true;

inline constexpr Elementwise<ops::identity> identity{};
inline constexpr Elementwise<ops::exp> exp{};
inline constexpr Elementwise<ops::log> log{};
inline constexpr Elementwise<ops::sqrt> sqrt{};
inline constexpr Elementwise<ops::abs> abs{};
inline constexpr Elementwise<ops::tanh> tanh{};
inline constexpr Elementwise<ops::sigmoid> sigmoid{};
inline constexpr Elementwise<ops::relu> relu{};
inline constexpr Elementwise<ops::silu> silu{};
inline constexpr Elementwise<ops::gelu> gelu{};

}  // namespace modyn
