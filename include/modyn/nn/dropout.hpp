// nn::Dropout(p): in training (context.training), each element is zeroed
// with probability p and the others scaled by 1 / (1 - p) (PyTorch's inverted
// dropout); otherwise the identity. Masks come from the layer's own
// counter-based generator, so a seed gives the same masks on every run.
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
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::nn {

template <class T = float, class B = default_backend>
class Dropout : public Module<Dropout<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;

  double p = 0.5;
  MODYN_FIELDS(p)

  explicit Dropout(double probability = 0.5, std::optional<std::uint64_t> seed = std::nullopt)
      : p(probability), rng_(seed ? Rng(*seed) : InitGenerator::instance().next()) {
    if (!(p >= 0.0 && p < 1.0)) {
      throw config_error("nn::Dropout: p = " + std::to_string(p) + " must be in [0, 1)");
    }
  }

  // to<B>(dropout): the same layer on another backend, with the generator
  // where the source's is, so a seeded layer draws the same masks there.
  template <class OtherBackend>
  Dropout(rebind_tag, const Dropout<T, OtherBackend>& source)
      : Module<Dropout>(source.name()), p(source.p), rng_(source.rng_) {}

  // In evaluation (or with p = 0) a Tensor input is returned itself, as
  // PyTorch returns its input: no copy, valid as long as the input is. A
  // view input, and every input in training, gives a buffer of this layer,
  // valid until its next call.
  template <TensorLike X>
  const tensor_type& update(const X& x, const Context& context) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::Dropout: the input's element type differs from the layer's");
    const bool identity = !context.training || p == 0.0;
    if constexpr (std::is_same_v<X, tensor_type>) {
      if (identity) return x;
    }
    const T* in = static_cast<const T*>(x.data());
    // An input that is part of this layer's own output (not all of it) would
    // be overwritten, or freed by a change of shape, before it is read.
    if (modyn::detail::overlaps(x, out_) && !modyn::detail::same_elements(x, out_)) {
      input_copy_.ensure_shape(x.shape());
      B::copy(in, input_copy_.data(), x.size());
      in = input_copy_.data();
    }
    out_.ensure_shape(x.shape());
    if (identity) {
      B::copy(in, out_.data(), x.size());
      return out_;
    }
    mask_.ensure_shape(x.shape());
    rng_.bernoulli(mask_, 1.0 - p);
    const T scale = T(1.0 / (1.0 - p));
    B::map(x.size(), scaled_mask{scale}, in, static_cast<const T*>(mask_.data()), write_only(out_.data()));
    return out_;
  }

  // A temporary input: in evaluation its buffer becomes this layer's output
  // (moved, not copied), so the result outlives the temporary.
  const tensor_type& update(tensor_type&& x, const Context& context) {
    if (context.training && p != 0.0) return update(static_cast<const tensor_type&>(x), context);
    out_ = std::move(x);
    return out_;
  }

  // Outside a run over time: the layer acts as in evaluation.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    return update(x, Context{});
  }
  const tensor_type& update(tensor_type&& x) { return update(std::move(x), Context{}); }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  // out = x * keep / (1 - p)
  struct scaled_mask {
    T scale;
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& keep, Vec& out) const {
      out = x * keep * Vec(scale);
    }
  };

 private:
  template <class, class>
  friend class Dropout;  // the rebind constructor reads another backend's rng_

  Rng rng_;
  tensor_type mask_, out_;
  tensor_type input_copy_;  // an input that overlapped out_
};

}  // namespace modyn::nn
