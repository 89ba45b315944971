// Small models shared by the tests of the module system, and a few helpers.
//
//   Net      three levels: Net > Block > Lin, plus a Param and a plain int
//            of its own; Block holds a State.
//   Pop      containers: a std::vector of Neurons (States and an exp Param),
//            a std::array of Blocks, a std::tuple<Lin, Scale, Neuron>, and
//            a State of its own.
//   Scale    brainstate's example: no MODYN_FIELDS, update(x) = x * factor.
//   Fixed    a module with a size template parameter, which declares
//            rebind_backend itself.
#pragma once

#include <array>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_ops.hpp"
#include "modyn/core/tensor_print.hpp"  // so that Catch prints tensors on failure
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/module_print.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/module/reflection.hpp"
#include "modyn/module/regularizers.hpp"
#include "modyn/module/state.hpp"
#include "modyn/module/state_dict.hpp"
#include "modyn/module/transforms.hpp"
#include "modyn/nn/activations.hpp"
#include "support/helpers.hpp"

namespace mt {

using modyn::Param;
using modyn::Shape;
using modyn::State;

// A second backend: the CPU backend under another name, so that tensors and
// modules on it are distinct types.
struct other_backend : modyn::cpu {
  static constexpr std::string_view name = "other";
};

// brainstate's example: a module without reflected fields.
struct Scale : modyn::Module<Scale> {
  float factor = 2.0f;

  Scale() = default;
  explicit Scale(float f) : factor(f) {}
  Scale(std::string name, float f) : Module(std::move(name)), factor(f) {}

  template <class X>
  auto update(const X& x) const {
    return x * factor;
  }
};

// x + offset: with Scale, shows the order of a chain.
struct Shift : modyn::Module<Shift> {
  float offset = 1.0f;

  Shift() = default;
  explicit Shift(float o) : offset(o) {}

  template <class X>
  auto update(const X& x) const {
    return x + offset;
  }
};

// Level 3: y = x weight + bias.
template <class T = float, class B = modyn::cpu>
struct Lin : modyn::Module<Lin<T, B>> {
  using tensor = modyn::Tensor<T, B>;

  Param<tensor> weight, bias;
  int features = 0;

  Lin() : Lin(1, 1) {}
  Lin(std::size_t in, std::size_t out)
      : weight(tensor::full({in, out}, T(0.5))), bias(tensor::zeros({out})), features(int(out)) {}

  MODYN_FIELDS(weight, bias, features)

  tensor update(const tensor& x) const { return matmul(x, weight.value()) + bias.value(); }
};

// Level 2: y = lin(x) * softplus(gain), with a State h of per-sample shape (2,).
template <class T = float, class B = modyn::cpu>
struct Block : modyn::Module<Block<T, B>> {
  using tensor = modyn::Tensor<T, B>;

  Lin<T, B> lin{3, 2};
  Param<tensor, modyn::transform::softplus, modyn::reg::L2> gain{tensor::zeros({2}), {}, {0.5}};
  State<tensor> h{Shape{2}, T(0.25)};

  MODYN_FIELDS(lin, gain, h)

  tensor update(const tensor& x) const { return lin(x) * gain.value(); }
};

// Level 1: y = head(block(x)) * scale.
template <class T = float, class B = modyn::cpu>
struct Net : modyn::Module<Net<T, B>> {
  using tensor = modyn::Tensor<T, B>;

  Block<T, B> block;
  Param<tensor, modyn::transform::identity, modyn::reg::L1> scale{tensor::full({1}, T(-2)), {}, {0.25}};
  Lin<T, B> head{2, 1};
  int steps = 0;

  Net() = default;
  explicit Net(std::string name) : modyn::Module<Net>(std::move(name)) {}

  MODYN_FIELDS(block, scale, head, steps)

  tensor update(const tensor& x) const { return head(block(x)) * scale.value(); }
};

// A neuron-like module: two States and a Param; records its reset hook calls.
template <class T = float, class B = modyn::cpu>
struct Neuron : modyn::Module<Neuron<T, B>> {
  using tensor = modyn::Tensor<T, B>;

  State<tensor> v{Shape{3}, T(-65)};
  Param<tensor, modyn::transform::exponential> tau{tensor::zeros({1})};
  State<tensor> spike{Shape{3}, T(0)};

  MODYN_FIELDS(v, tau, spike)

  // Not reflected: what on_reset_state saw.
  int resets = 0;
  std::size_t last_batch = 12345;
  Shape v_shape_at_hook{};
  std::vector<T> v_at_hook;

  void on_reset_state(std::size_t batch_size) {
    ++resets;
    last_batch = batch_size;
    v_shape_at_hook = v.value().shape();
    v_at_hook = v.value().to_vector();
  }
};

// Containers of modules, at depth 1 (and 2 inside the Blocks).
template <class T = float, class B = modyn::cpu>
struct Pop : modyn::Module<Pop<T, B>> {
  using tensor = modyn::Tensor<T, B>;

  std::vector<Neuron<T, B>> cells = std::vector<Neuron<T, B>>(2);
  std::array<Block<T, B>, 2> blocks;
  std::tuple<Lin<T, B>, Scale, Neuron<T, B>> misc{Lin<T, B>(2, 1), Scale{}, Neuron<T, B>{}};
  State<tensor> trace{Shape{2}, T(1)};

  MODYN_FIELDS(cells, blocks, misc, trace)

  // How many child reset hooks had run when this module's hook ran.
  int child_resets_seen = -1;
  int resets = 0;
  void on_reset_state(std::size_t) {
    ++resets;
    child_resets_seen = cells[0].resets + cells[1].resets + std::get<2>(misc).resets;
  }

  tensor update(const tensor& x) const {
    return std::get<1>(misc)(std::get<0>(misc)(blocks[0](x) + blocks[1](x)));
  }
};

// A module with a size template parameter: declares its rebound type.
template <std::size_t N, class B = modyn::cpu>
struct Fixed : modyn::Module<Fixed<N, B>> {
  using tensor = modyn::Tensor<float, B>;

  Param<tensor, modyn::transform::affine> w{tensor::full({N}, 1.0f), {2.0, 1.0}};
  State<tensor> s{Shape{N}, 0.5f};
  int tag = 0;

  MODYN_FIELDS(w, s, tag)

  template <class B2>
  using rebind_backend = Fixed<N, B2>;
};

// A type-template module holding NTTP modules, alone and in a std::array.
template <class B = modyn::cpu>
struct Holder : modyn::Module<Holder<B>> {
  Fixed<3, B> one;
  std::array<Fixed<2, B>, 2> two;

  MODYN_FIELDS(one, two)
};

// Mixed element types, as a spiking population holds them: a double Param,
// a float V and an int32 counter (the steps each neuron spent above 0).
struct Mixed : modyn::Module<Mixed> {
  Param<modyn::Tensor<double>> tau{modyn::Tensor<double>::full({3}, 4.0)};
  State<modyn::Tensor<float>> V{Shape{3}, -1.0f};
  State<modyn::Tensor<std::int32_t>> counter{Shape{3}, 0};

  MODYN_FIELDS(tau, V, counter)

  // dV = (x - V) / tau, one step of 1; counter += (V > 0). x has V's shape.
  const modyn::Tensor<float>& update(const modyn::Tensor<float>& x) {
    float* v = V->data();
    std::int32_t* c = counter->data();
    for (std::size_t i = 0; i < V->size(); ++i) {
      v[i] += (x.data()[i] - v[i]) / static_cast<float>(tau.value().data()[i % 3]);
      c[i] += v[i] > 0.0f ? 1 : 0;
    }
    return *V;
  }
};

// A float Lin before the Mixed population.
struct MixedNet : modyn::Module<MixedNet> {
  Lin<> in{2, 3};
  Mixed pop;

  MODYN_FIELDS(in, pop)

  const modyn::Tensor<float>& update(const modyn::Tensor<float>& x) { return pop(in(x)); }
};

// ---- helpers

using modyn_test::message_of;

using modyn_test::paths_of;

// Fills every Param (normal) and State (uniform) of a model from a seed.
template <class M>
void randomize(M& model, std::uint64_t seed) {
  modyn::Rng rng(seed);
  model.for_each_parameter([&](std::string_view, auto& p) { rng.normal(p.raw_mut()); });
  model.for_each_state([&](std::string_view, auto& s) { rng.uniform(s.value(), -1.0f, 1.0f); });
}

// Every tensor of a (path, tensor) list, copied.
template <class Pairs>
auto tensors_of(const Pairs& pairs) {
  std::vector<std::remove_cvref_t<decltype(pairs.front().second.get())>> out;
  for (const auto& p : pairs) out.push_back(p.second.get());
  return out;
}

// A (rows, cols) input with distinct values.
inline modyn::Tensor<float> input(std::size_t rows, std::size_t cols) {
  std::vector<float> values(rows * cols);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 0.25f * float(i) - 1.0f;
  return modyn::Tensor<float>({rows, cols}, values);
}

}  // namespace mt
