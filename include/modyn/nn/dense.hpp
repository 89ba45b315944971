// nn::Dense: y = x W + b, W of shape (in, out) (brainstate's Linear layout),
// over the last axis of x (so (batch, in), (time, batch, in) and (in,) all
// work). Initialised as PyTorch's Linear: W and b uniform in
// +-1/sqrt(in) (kaiming-uniform with a = sqrt(5)), or as init::Options say.
// Differentiable (module/differentiable.hpp): its tape is a copy of the input.
#pragma once

#include <cstddef>
#include <string>

#include "modyn/backend/backend.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/detail/narrow_step.hpp"
#include "modyn/nn/detail/rows.hpp"
#include "modyn/nn/detail/static_step.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

/// A fully connected layer, y = x W + b over the last axis of x, initialised
/// as PyTorch's Linear (see the top of nn/dense.hpp).
///
/// In, Out: the input and output sizes when known at compile time (checked by
/// static_assert where Sequential chains layers), else `dynamic`; T: the
/// element type; B: the backend.
template <std::size_t In = dynamic, std::size_t Out = dynamic, class T = float, class B = default_backend>
class Dense : public Module<Dense<In, Out, T, B>> {
 public:
  using tensor_type = Tensor<T, B>;                        ///< the type of the weights, inputs and outputs
  static constexpr std::size_t static_in_features = In;    ///< In: the input size, or `dynamic`
  static constexpr std::size_t static_out_features = Out;  ///< Out: the output size, or `dynamic`
  /// The same layer on backend NewB (what `to<B>` builds).
  template <class NewB>
  using rebind_backend = Dense<In, Out, T, NewB>;

  Param<tensor_type> weight;  ///< (in, out)
  Param<tensor_type> bias;    ///< (out,)
  MODYN_FIELDS(weight, bias)

  /// Static sizes: nn::Dense<100, 10>{}; dynamic ones: nn::Dense(100, 10).
  /// A default Dense<> is empty (0 x 0).
  Dense() : Dense(In == dynamic ? 0 : In, Out == dynamic ? 0 : Out) {}
  /// Initialised from init::generator(options) (see nn/init.hpp for the key).
  /// A layer without parameters (out = 0, as a default Dense<>) takes no
  /// stream from the default generator: an empty layer, which a parent module
  /// default-constructs when `to<B>` moves it, does not shift the
  /// initialisation of the layers built after it.
  Dense(std::size_t in, std::size_t out, init::Options options = {}) : init_(options) {
    check_static_size(In, in, "in");
    check_static_size(Out, out, "out");
    weight = Param<tensor_type>(tensor_type::empty({in, out}));
    bias = Param<tensor_type>(tensor_type::empty({out}));
    if (out == 0) return;
    Rng rng = init::generator(options);
    reset_parameters(rng);
  }

  /// `to<B>(dense)`: the same layer on another backend, with the source's
  /// Options, so that reset_parameters redraws as the source would. Builds
  /// empty Params (`to<B>` copies the source's over them) and takes no stream
  /// from the default generator: moving a layer does not change the
  /// initialisation of layers built after it.
  template <class OtherBackend>
  Dense(rebind_tag, const Dense<In, Out, T, OtherBackend>& source)
      : Module<Dense>(source.name()), init_(source.init_) {}

  /// Redraws weight, then bias, from rng with the constructor's Options, in
  /// place (init::reset_parameters(model, seed) calls it with this layer's
  /// path stream). Kind::zeros zeroes both (the bias draw is still made).
  void reset_parameters(Rng& rng) {
    const std::size_t in = in_features(), out = out_features();
    weight = init::make<T, B>({in, out}, in, out, init_, rng);
    bias = init::uniform_fan_in<T, B>({out}, in, rng);
    if (init_.kind == init::Kind::zeros) bias = tensor_type::zeros({out});
  }

  /// The size of the last axis of an input.
  std::size_t in_features() const { return weight.raw().shape(0); }
  /// The size of the last axis of the output.
  std::size_t out_features() const { return weight.raw().shape(1); }

  /// y = x W + b; the result is a buffer of this layer, valid until its next call.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    return forward_fused(x, identity);
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type input;  ///< x, as given
  };

  /// update(x), keeping a copy of x in the tape.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    keep_copy(tape.input, x);  // first: x may be this layer's own output
    return update(x);
  }

  /// dW += x^T gy, db += the rows of gy summed; returns gx = gy W^T.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    const std::size_t in = in_features(), out = out_features();
    const Shape expected = output_shape(tape.input.shape(), out);
    if (!(grad_out.shape() == expected)) {
      throw shape_error("nn::Dense '" + this->name() + "': backward expected a gradient of shape " +
                        expected.to_string() + " (the output's), got " + grad_out.shape().to_string());
    }
    const std::size_t rows = tape.input.size() / (in ? in : 1);
    const T* g = static_cast<const T*>(grad_out.data());
    B::gemm(Transpose::yes, Transpose::no, in, out, rows, T(1), tape.input.data(), in, g, out, T(1),
            weight.grad().data(), out);
    add_row_sums(g, rows, out, bias.grad().data(), ones_);
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    input_grad_.ensure_shape(tape.input.shape());
    B::gemm(Transpose::no, Transpose::yes, rows, in, out, T(1), g, out, weight.value().data(), out, T(0),
            input_grad_.data(), in);
    return input_grad_;
  }

  /// y = f(x W + b) with the bias and f applied in one pass after the GEMM.
  template <TensorLike X, class Op>
  const tensor_type& forward_fused(const X& x, Elementwise<Op>) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::Dense: the input's element type differs from the layer's");
    const std::size_t in = in_features(), out = out_features();
    if (x.rank() == 0 || x.shape(x.rank() - 1) != in) {
      throw shape_error("nn::Dense '" + this->name() + "': expected an input of shape (..., " +
                        std::to_string(in) + "), got " + x.shape().to_string());
    }
    const std::size_t rows = x.size() / in;
    // An input that is (part of) this layer's own output (the same Dense
    // applied twice, x >> d >> d) would be overwritten by the bias rows
    // before the GEMM reads it: read a copy (a buffer of the layer, so no
    // allocation once warm; an input that is not ours is read directly).
    const T* input = static_cast<const T*>(x.data());
    if (modyn::detail::overlaps(x, out_)) {
      input_copy_.ensure_shape(x.shape());
      B::copy(input, input_copy_.data(), x.size());
      input = input_copy_.data();
    }
    if (!has_output_shape(x.shape())) out_.ensure_shape(output_shape(x.shape(), out));
    if constexpr (uses_static_step) {
      if (detail::static_step_pays<T>(rows, In * Out)) {
        // y = f(b + x W) per block of rows in registers (nn/detail/static_step.hpp);
        // outputs of at most 4 floats 16 rows to a vector (narrow_step.hpp).
        const std::tuple sum{detail::added_rows<T>{bias.value().data(), 0},
                             detail::product<T, In>{input, In, weight.value().data()}};
        std::size_t done = 0;
        if constexpr (detail::has_narrow_step<T, Out>)
          done = detail::narrow_step<Out>(rows, out_.data(), Op{}, sum);
        detail::static_step<T, Out, 1>(
            rows - done, out_.data() + done * Out,
            [](std::size_t, std::size_t offset, T* y, const auto& pre) {
              using V = std::remove_cvref_t<decltype(pre[0])>;
              detail::store_lane(y + offset, V(Op{}(pre[0])));
            },
            detail::from_row(sum, done));
        return out_;
      }
    }
    // Bias rows first, the GEMM accumulates onto them, then the function in
    // one flat pass: whole vectors, whatever the row length.
    detail::fill_rows<B>(out_.data(), rows, out, bias.value().data());
    B::gemm(Transpose::no, Transpose::no, rows, out, in, T(1), input, in, weight.value().data(), out, T(1),
            out_.data(), out);
    if constexpr (!std::is_same_v<Op, identity_kernel>) Elementwise<Op>::apply_into(out_, out_);
    return out_;
  }

 private:
  template <std::size_t, std::size_t, class, class>
  friend class Dense;  // the rebind constructor reads another backend's init_

  init::Options init_{};

  static constexpr bool uses_static_step =
      In != dynamic && Out != dynamic && In > 0 && Out > 0 && detail::has_static_step<T, B>;

  static void check_static_size(std::size_t declared, std::size_t given, const char* which) {
    if (declared != dynamic && declared != given) {
      throw config_error(std::string("nn::Dense: static ") + which + " size " + std::to_string(declared) +
                         " but constructed with " + std::to_string(given));
    }
  }

  // Whether out_ is already the output of an input of shape `in` (no Shape
  // built on the steps after the first).
  bool has_output_shape(const Shape& in) const {
    const Shape& have = out_.shape();
    if (have.rank() != in.rank() || have.end()[-1] != out_features()) return false;
    for (std::size_t axis = 0; axis + 1 < in.rank(); ++axis)  // a loop, not std::equal: no memcmp call
      if (have.begin()[axis] != in.begin()[axis]) return false;
    return true;
  }

  static Shape output_shape(const Shape& in, std::size_t out) {
    std::size_t extents[Shape::max_rank];
    std::size_t rank = 0;
    for (const std::size_t e : in) extents[rank++] = e;
    extents[rank - 1] = out;
    return Shape(std::span<const std::size_t>(extents, rank));
  }

  tensor_type out_;
  tensor_type input_copy_;  // an input that overlapped out_
  tensor_type input_grad_;  // backward's d loss / d x
  tensor_type ones_;        // rows ones: the bias gradient as one GEMM
};

/// nn::Dense(in, out): sizes known at run time, Dense<dynamic, dynamic>.
Dense(std::size_t, std::size_t)->Dense<>;
/// nn::Dense(in, out, options): sizes known at run time, Dense<dynamic, dynamic>.
Dense(std::size_t, std::size_t, init::Options)->Dense<>;

}  // namespace modyn::nn
