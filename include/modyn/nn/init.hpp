// Parameter initialisers, as PyTorch's torch.nn.init: deterministic, from a
// given seed or from the default generator (modyn::manual_seed), and
// initialisation by module path: init::reset_parameters(model, seed).
//
// Which numbers a layer draws
// ---------------------------
// - init::reset_parameters(model, seed) walks the model's modules
//   (for_each_module) and calls, on every module that has one, the hook
//   `void reset_parameters(Rng& rng)` with the stream Rng(seed).for_path(path)
//   of that module's path ("" for the model itself, "enc", "blocks.1.lin").
//   The hook redraws, in place and in field order, the Params the module
//   declares itself (not its children's: they have their own hooks). So a
//   rebuilt model, a model built in another order, or the same layer under
//   the same path in another model gets the same numbers; another path or
//   seed gives others. Modules without a hook keep their Params.
// - At construction, a layer given Options::seed draws from
//   Rng(seed).for_path(""): what reset_parameters(layer, seed) gives it as a
//   model of its own. Without a seed it takes the next stream of the default
//   generator (modyn::InitGenerator): reproducible per program, but
//   dependent on the order in which layers are constructed, as in PyTorch.
//   Use reset_parameters(model, seed) where that order must not matter.
// - The hooks use the Options the layer was constructed with (kind, scale);
//   a default-constructed layer uses the default Options, and a layer moved
//   with to<B> keeps its source's (and draws nothing when it is moved).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn::init {

/// The distribution of a layer's weights (fan_in, fan_out: the sizes of the
/// weight's input and output axes).
enum class Kind {
  kaiming_uniform,  ///< U(-b, b), b = gain sqrt(3 / fan_in); PyTorch's Linear default (gain 1/sqrt(3)) below
  kaiming_normal,   ///< N(0, gain / sqrt(fan_in)), gain sqrt(2) (ReLU)
  xavier_uniform,   ///< U(-b, b), b = sqrt(6 / (fan_in + fan_out))
  xavier_normal,    ///< N(0, sqrt(2 / (fan_in + fan_out)))
  uniform,          ///< U(-scale, scale)
  normal,           ///< N(0, scale)
  zeros,            ///< all zero
};

/// How a layer initialises its weights (its biases are uniform in
/// +-1/sqrt(fan_in), as PyTorch's), and from which seed.
struct Options {
  Kind kind = Kind::kaiming_uniform;    ///< the weights' distribution
  double scale = 1.0;                   ///< for uniform / normal
  std::optional<std::uint64_t> seed{};  ///< none: the default generator
};

/// The generator of a layer's construction-time initialisation (see the top of nn/init.hpp).
inline Rng generator(const Options& options) {
  return options.seed ? Rng(*options.seed).for_path("") : InitGenerator::instance().next();
}

/// A tensor of `shape` initialised for a layer with the given fans. PyTorch's
/// Linear uses kaiming_uniform with a = sqrt(5), i.e. bound 1 / sqrt(fan_in):
/// that is what Kind::kaiming_uniform gives here.
template <class T, class B = default_backend>
Tensor<T, B> make(Shape shape, std::size_t fan_in, std::size_t fan_out, const Options& options, Rng& rng) {
  auto t = Tensor<T, B>::empty(shape);
  const double in = double(fan_in ? fan_in : 1), out = double(fan_out ? fan_out : 1);
  switch (options.kind) {
    case Kind::kaiming_uniform: {
      const T bound = T(1.0 / std::sqrt(in));
      rng.uniform(t, -bound, bound);
      break;
    }
    case Kind::kaiming_normal:
      rng.normal(t, T(0), T(std::sqrt(2.0 / in)));
      break;
    case Kind::xavier_uniform: {
      const T bound = T(std::sqrt(6.0 / (in + out)));
      rng.uniform(t, -bound, bound);
      break;
    }
    case Kind::xavier_normal:
      rng.normal(t, T(0), T(std::sqrt(2.0 / (in + out))));
      break;
    case Kind::uniform:
      rng.uniform(t, T(-options.scale), T(options.scale));
      break;
    case Kind::normal:
      rng.normal(t, T(0), T(options.scale));
      break;
    case Kind::zeros:
      t = Tensor<T, B>::zeros(shape);
      break;
  }
  return t;
}

/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's bias initialisation for
/// Linear and the initialisation of every weight and bias of its RNN cells.
template <class T, class B = default_backend>
Tensor<T, B> uniform_fan_in(Shape shape, std::size_t fan_in, Rng& rng) {
  auto t = Tensor<T, B>::empty(shape);
  const T bound = T(1.0 / std::sqrt(double(fan_in ? fan_in : 1)));
  rng.uniform(t, -bound, bound);
  return t;
}

/// Redraws each Param, in order, uniform in +-1/sqrt(fan_in) (the hook of
/// PyTorch-style recurrent cells). Assigns in place: buffers are kept.
template <class... P>
void redraw_uniform_fan_in(Rng& rng, std::size_t fan_in, P&... params) {
  ((params = uniform_fan_in<typename P::value_type::value_type, typename P::value_type::backend_type>(
        params.shape(), fan_in, rng)),
   ...);
}

/// Whether a module has the hook that reset_parameters(model, seed) calls.
template <class M>
concept ResettableParameters = requires(M& m, Rng& rng) {
  m.reset_parameters(rng);
};

/// Redraws the Params of every module of `model` that has a
/// reset_parameters(Rng&) hook from the stream of its path (see the top of nn/init.hpp).
template <class Model>
void reset_parameters(Model& model, std::uint64_t seed) {
  const Rng root(seed);
  model.for_each_module([&root](std::string_view path, auto& sub, int) {
    if constexpr (ResettableParameters<std::remove_reference_t<decltype(sub)>>) {
      Rng stream = root.for_path(path);
      sub.reset_parameters(stream);
    }
  });
}

}  // namespace modyn::init
