// nn::Dropout(p): in training (context.training), each element is zeroed
// with probability p and the others scaled by 1 / (1 - p) (PyTorch's inverted
// dropout); otherwise the identity. Masks come from the layer's own
// counter-based generator, so a seed gives the same masks on every run.
// Differentiable (module/differentiable.hpp): its tape is the mask of the
// step; rng_offset() / set_rng_offset() let a recomputation from a
// checkpoint replay the masks it drew.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::nn {

/// Inverted dropout (PyTorch's Dropout): in training, each element zeroed
/// with probability p and the others scaled by 1 / (1 - p); otherwise the
/// identity. T: the element type; B: the backend.
template <class T = float, class B = default_backend>
class Dropout : public Module<Dropout<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the type of the inputs and outputs

  double p = 0.5;  ///< the probability of zeroing an element, in [0, 1)
  MODYN_FIELDS(p)

  /// Dropout with probability p = `probability`; masks from Rng(seed), or,
  /// without a seed, from the next stream of the default generator.
  explicit Dropout(double probability = 0.5, std::optional<std::uint64_t> seed = std::nullopt)
      : p(probability), rng_(seed ? Rng(*seed) : InitGenerator::instance().next()) {
    if (!(p >= 0.0 && p < 1.0)) {
      throw config_error("nn::Dropout: p = " + std::to_string(p) + " must be in [0, 1)");
    }
  }

  /// `to<B>(dropout)`: the same layer on another backend, with the generator
  /// where the source's is, so a seeded layer draws the same masks there.
  template <class OtherBackend>
  Dropout(rebind_tag, const Dropout<T, OtherBackend>& source)
      : Module<Dropout>(source.name()), p(source.p), rng_(source.rng_) {}

  /// In evaluation (or with p = 0) a Tensor input is returned itself, as
  /// PyTorch returns its input: no copy, valid as long as the input is. A
  /// view input, and every input in training, gives a buffer of this layer,
  /// valid until its next call.
  template <TensorLike X>
  const tensor_type& update(const X& x, const Context& context) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::Dropout: the input's element type differs from the layer's");
    const bool identity = !context.training || p == 0.0;
    if constexpr (std::is_same_v<X, tensor_type>) {
      if (identity) return x;
    }
    return identity ? copied(x) : masked(x, mask_);
  }

  /// A temporary input: in evaluation its buffer becomes this layer's output
  /// (moved, not copied), so the result outlives the temporary.
  const tensor_type& update(tensor_type&& x, const Context& context) {
    if (context.training && p != 0.0) return update(static_cast<const tensor_type&>(x), context);
    out_ = std::move(x);
    return out_;
  }

  /// Outside a run over time: the layer acts as in evaluation.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    return update(x, Context{});
  }
  /// The temporary form of update(x), outside a run over time.
  const tensor_type& update(tensor_type&& x) { return update(std::move(x), Context{}); }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type mask;      ///< 1 where the step kept an element, 0 where it dropped it
    Shape shape;           ///< the input's
    T scale = T(1);        ///< 1 / (1 - p) of the step
    bool dropped = false;  ///< false: the step was the identity (evaluation, or p = 0)
  };

  /// update(x, context), drawing the mask (in training) into the tape: the
  /// same mask, from the same place of the generator, as update would draw.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& context = {}) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::Dropout: the input's element type differs from the layer's");
    tape.shape = x.shape();
    tape.dropped = context.training && p != 0.0;
    if (!tape.dropped) return update(x, context);
    tape.scale = T(1.0 / (1.0 - p));
    return masked(x, tape.mask);
  }

  /// gx = gy mask / (1 - p) where the step dropped, gy (a copy) where it was
  /// the identity.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    static_assert(std::is_same_v<tensor_value_t<G>, T>,
                  "nn::Dropout: the gradient's element type differs from the layer's");
    if (!(grad_out.shape() == tape.shape)) {
      throw shape_error("nn::Dropout '" + this->name() + "': backward expected a gradient of shape " +
                        tape.shape.to_string() + " (the output's), got " + grad_out.shape().to_string());
    }
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    const T* g = static_cast<const T*>(grad_out.data());
    input_grad_.ensure_shape(tape.shape);
    if (!tape.dropped) {
      B::copy(g, input_grad_.data(), input_grad_.size());
    } else {
      B::map(input_grad_.size(), scaled_mask{tape.scale}, g, static_cast<const T*>(tape.mask.data()),
             write_only(input_grad_.data()));
    }
    return input_grad_;
  }

  /// Where the generator stands: the number of masks this layer has drawn.
  /// Saved before a forward and restored with set_rng_offset before running
  /// that forward again, it makes the forward draw the same masks, bit for bit
  /// (what a recomputation from a checkpoint needs).
  std::uint64_t rng_offset() const noexcept { return rng_.fills(); }

  /// Puts the generator where rng_offset() was `offset`: the next mask is the
  /// one drawn then.
  void set_rng_offset(std::uint64_t offset) noexcept { rng_.seek_fills(offset); }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// out = x * keep / (1 - p)
  struct scaled_mask {
    T scale;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& keep, Vec& out) const {
      out = x * keep * Vec(scale);
    }
  };
  /// \endcond

 private:
  template <class, class>
  friend class Dropout;  // the rebind constructor reads another backend's rng_

  // The input's elements, from a copy where the input is part of this
  // layer's own output (not all of it): that would be overwritten, or freed
  // by a change of shape, before it is read.
  template <TensorLike X>
  const T* readable(const X& x) {
    const T* in = static_cast<const T*>(x.data());
    if (modyn::detail::overlaps(x, out_) && !modyn::detail::same_elements(x, out_)) {
      input_copy_.ensure_shape(x.shape());
      B::copy(in, input_copy_.data(), x.size());
      in = input_copy_.data();
    }
    return in;
  }

  // out_ = x
  template <TensorLike X>
  const tensor_type& copied(const X& x) {
    const T* in = readable(x);
    out_.ensure_shape(x.shape());
    B::copy(in, out_.data(), x.size());
    return out_;
  }

  // Draws the next mask into `mask`; out_ = x mask / (1 - p).
  template <TensorLike X>
  const tensor_type& masked(const X& x, tensor_type& mask) {
    const T* in = readable(x);
    out_.ensure_shape(x.shape());
    mask.ensure_shape(x.shape());
    rng_.bernoulli(mask, 1.0 - p);
    const T scale = T(1.0 / (1.0 - p));
    B::map(x.size(), scaled_mask{scale}, in, static_cast<const T*>(mask.data()), write_only(out_.data()));
    return out_;
  }

  Rng rng_;
  tensor_type mask_, out_;
  tensor_type input_copy_;  // an input that overlapped out_
  tensor_type input_grad_;  // backward's d loss / d x
};

}  // namespace modyn::nn
