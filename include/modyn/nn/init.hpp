// Parameter initialisers, as PyTorch's torch.nn.init: deterministic, from a
// given seed or from the default generator (modyn::manual_seed).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn::init {

enum class Kind {
  kaiming_uniform,  // U(-b, b), b = gain sqrt(3 / fan_in); PyTorch's Linear default (gain 1/sqrt(3)) below
  kaiming_normal,   // N(0, gain / sqrt(fan_in)), gain sqrt(2) (ReLU)
  xavier_uniform,   // U(-b, b), b = sqrt(6 / (fan_in + fan_out))
  xavier_normal,    // N(0, sqrt(2 / (fan_in + fan_out)))
  uniform,          // U(-scale, scale)
  normal,           // N(0, scale)
  zeros,
};

struct Options {
  Kind kind = Kind::kaiming_uniform;
  double scale = 1.0;                  // for uniform / normal
  std::optional<std::uint64_t> seed{};  // none: the default generator
};

// The generator for one initialisation.
inline Rng generator(const Options& options) {
  return options.seed ? Rng(*options.seed) : InitGenerator::instance().next();
}

// A tensor of `shape` initialised for a layer with the given fans. PyTorch's
// Linear uses kaiming_uniform with a = sqrt(5), i.e. bound 1 / sqrt(fan_in):
// that is what Kind::kaiming_uniform gives here.
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

// U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's bias initialisation for
// Linear and the initialisation of every weight and bias of its RNN cells.
template <class T, class B = default_backend>
Tensor<T, B> uniform_fan_in(Shape shape, std::size_t fan_in, Rng& rng) {
  auto t = Tensor<T, B>::empty(shape);
  const T bound = T(1.0 / std::sqrt(double(fan_in ? fan_in : 1)));
  rng.uniform(t, -bound, bound);
  return t;
}

}  // namespace modyn::init
