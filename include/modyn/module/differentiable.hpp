/// @file
/// The training protocol: reverse-mode gradients, one step at a time.
///
/// A differentiable module M (a layer, a recurrent cell, a neuron model)
/// provides, beside its update:
///
/// @code
///   typename M::tape_type        what its backward needs of one step: a
///                                struct of tensors, default-constructible,
///                                which the first forward sizes and later
///                                forwards reuse (no allocation once warm)
///   y  = m.forward_train(x, tape, ctx)
///                                update(x), which also records into `tape`
///                                (a copy of the input, pre-activations, the
///                                membrane potential before the reset, a
///                                dropout mask), never pointers to the caller's
///                                data: a tape stays valid whatever happens to x
///   gx = m.backward(tape, gy, ctx, input_grad)
///                                from gy = d loss / d y of the step that
///                                recorded `tape`: adds d loss / d raw to the
///                                grad() of each of M's Params, and returns
///                                d loss / d x (a buffer of M; empty, shape
///                                (0,), with InputGrad::no)
/// @endcode
///
/// A module with States (a cell, a neuron) also carries d loss / d (its
/// states) from one backward call to the one before it in time: backward
/// calls run in reverse time order, each adding the gradient it finds for the
/// states before its step, and
///
/// @code
///   m.begin_backward()           zeroes that carried gradient: called once
///                                before the latest step's backward
/// @endcode
///
/// Sequential (compose/) chains these in reverse at compile time, and
/// LoopOverTime keeps one tape per step and runs the reverse sweep (BPTT).
/// A recomputation from checkpoints (LoopOptions::checkpoint_every) restores
/// the States and replays generators with an rng_offset() (nn::Dropout):
/// everything else a step reads from earlier steps must be a State, or the
/// recomputed steps differ from the recorded ones.
/// Stateless functions (relu, tanh, softmax) provide backward_into next to
/// their forward (nn/activations.hpp).
#pragma once

#include <concepts>
#include <cstddef>
#include <type_traits>

#include "modyn/core/config.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/transforms.hpp"

namespace modyn {

/// Whether a backward call computes d loss / d input (the first layer of a
/// model rarely needs it, and it costs a GEMM).
enum class InputGrad : bool { no = false, yes = true };

namespace detail {
// A container (Sequential) has a tape type whatever its entries, and says
// with is_differentiable whether all of them are.
template <class M>
constexpr bool declares_differentiable() {
  if constexpr (requires { M::is_differentiable; })
    return M::is_differentiable;
  else
    return true;
}
}  // namespace detail

/// A module with a tape and a backward pass (see the top of this header).
template <class M>
concept Differentiable = requires {
  typename std::remove_cvref_t<M>::tape_type;
}
&&detail::declares_differentiable<std::remove_cvref_t<M>>();

/// Whether M carries a gradient of its states across steps.
template <class M>
concept CarriesStateGrad = Differentiable<M> && requires(M& m) {
  m.begin_backward();
};

/// d value / d raw of a Param's transform (module/transforms.hpp), per
/// element: the transform's own derivative(raw) where it has one.
template <class Transform, class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec transform_derivative(const Transform& t, const Vec& x) {
  if constexpr (requires { t.derivative(x); }) {
    return t.derivative(x);
  } else if constexpr (std::is_same_v<Transform, transform::identity>) {
    return Vec(1);
  } else if constexpr (std::is_same_v<Transform, transform::softplus>) {
    return math::sigmoid(x);
  } else if constexpr (std::is_same_v<Transform, transform::exponential>) {
    return math::exp(x);
  } else if constexpr (std::is_same_v<Transform, transform::sigmoid>) {
    const Vec s = math::sigmoid(x);
    return Vec(t.upper - t.lower) * s * (Vec(1) - s);
  } else if constexpr (std::is_same_v<Transform, transform::affine>) {
    return Vec(t.scale);
  } else if constexpr (std::is_same_v<Transform, transform::clip>) {
    // 1 inside [lower, upper], 0 outside (PyTorch's clamp).
    return math::select(x < Vec(t.lower), Vec(0), math::select(Vec(t.upper) < x, Vec(0), Vec(1)));
  } else {
    static_assert(sizeof(Transform) == 0,
                  "modyn: this Param transform has no derivative; give it a member "
                  "`template <class V> V derivative(const V& raw) const` (d value / d raw)");
    return x;
  }
}

namespace detail {

// grad += g d value / d raw
template <class Transform>
struct add_through_transform {
  Transform transform;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& raw, const Vec& g, Vec& grad) const {
    grad = grad + g * transform_derivative(transform, raw);
  }
};
// y += x
struct add_to {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& y) const {
    y = y + x;
  }
};

}  // namespace detail

/// p.grad() += d loss / d value, given as `value_grad` (value()'s size),
/// through the transform of p: d loss / d raw = value_grad * d value / d raw.
template <class P, class T>
void add_value_grad(P& p, const T* value_grad) {
  using V = std::remove_cvref_t<decltype(p.raw())>;
  using B = typename V::backend_type;
  V& grad = p.grad();
  if constexpr (std::is_same_v<typename P::transform_type, transform::identity>) {
    B::map(grad.size(), detail::add_to{}, value_grad, grad.data());
  } else {
    B::map(grad.size(), detail::add_through_transform<typename P::transform_type>{p.transform()},
           static_cast<const T*>(p.raw().data()), value_grad, grad.data());
  }
}

namespace detail {
// y += the sum of eight rows (a pass per eight rows, not per row).
struct add_eight {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a0, const Vec& a1, const Vec& a2,
                                                        const Vec& a3, const Vec& a4, const Vec& a5,
                                                        const Vec& a6, const Vec& a7, Vec& y) const {
    y = y + (((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)));
  }
};
}  // namespace detail

/// out (cols) += the sum of the rows of g (rows x cols): a bias's gradient.
template <class B, class T>
void add_row_sums(const T* g, std::size_t rows, std::size_t cols, T* out) {
  std::size_t r = 0;
  for (; r + 8 <= rows; r += 8) {
    const T* p = g + r * cols;
    B::map(cols, detail::add_eight{}, p, p + cols, p + 2 * cols, p + 3 * cols, p + 4 * cols, p + 5 * cols,
           p + 6 * cols, p + 7 * cols, out);
  }
  for (; r < rows; ++r) B::map(cols, detail::add_to{}, g + r * cols, out);
}

/// out (cols) += the sum of the rows of g (rows x cols), as the product
/// ones^T g: one GEMM (a kernel launch on a GPU) instead of a pass per eight
/// rows. `ones` is the caller's buffer of rows ones, filled when the row
/// count changes.
template <class T, class B>
void add_row_sums(const T* g, std::size_t rows, std::size_t cols, T* out, Tensor<T, B>& ones) {
  if (!(ones.shape() == Shape{rows})) {
    ones.ensure_shape({rows});
    ones.view() = T(1);
  }
  B::gemm(Transpose::no, Transpose::no, 1, cols, rows, T(1), ones.data(), rows, g, cols, T(1), out, cols);
}

namespace detail {
template <class T>
struct transpose_element {
  const T* src;
  T* dst;
  std::size_t rows, cols;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(std::size_t i) const {
    const std::size_t r = i / cols, c = i % cols;
    dst[c * rows + r] = src[i];
  }
};
}  // namespace detail

/// out (cols, rows) = the transpose of w (rows, cols), resized only when the
/// shape changed. Backward passes multiply by W^T at every step: with W^T
/// stored once per sweep, that is a plain product, which every GEMM library
/// runs at full speed (libxsmm 1.17 has no kernel for a transposed B at all).
template <class T, class B>
void keep_transpose(Tensor<T, B>& out, const Tensor<T, B>& w) {
  const std::size_t rows = w.shape()[0], cols = w.shape()[1];
  out.ensure_shape({cols, rows});
  B::launch(B::default_instance(), rows * cols,
            detail::transpose_element<T>{w.data(), out.data(), rows, cols}, touches(w.data(), rows * cols),
            touches(out.data(), rows * cols));
}

/// tape_tensor = a copy of x (resized only when x's shape changed).
template <class T, class B, TensorLike X>
void keep_copy(Tensor<T, B>& tape_tensor, const X& x) {
  tape_tensor.ensure_shape(x.shape());
  B::copy(static_cast<const T*>(x.data()), tape_tensor.data(), x.size());
}

/// An empty gradient: what backward returns with InputGrad::no.
template <class T, class B>
const Tensor<T, B>& no_input_grad(Tensor<T, B>& buffer) {
  buffer.ensure_shape(Shape{0});
  return buffer;
}

}  // namespace modyn
