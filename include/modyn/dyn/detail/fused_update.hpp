// The one pass over memory that updates a population: a model's kernel over
// its States, with the inputs of the step read in the same pass.
//
// fused_update<B, T>(instance, who, shape, sample_shape, kernel, states, inputs...)
// calls
//   kernel(state_0, ..., state_k, input)
// for every element, where the states are the model's per-element values
// (V& slots of B::map) and input(v) is the sum of the inputs as a
// linear<V> function of the membrane potential v (see input_terms.hpp).
// Numbers are summed once, before the pass; tensors and terms are read
// element by element. An input of the per-sample shape is broadcast over
// the batch axis: every batch row reads it (a row of stride 0).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/detail/pack.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/dyn/input_terms.hpp"

namespace modyn::dyn::detail {

// Every input as a tuple of terms read from memory (numbers give none).
template <class T, class X>
auto memory_terms(const X& x) {
  if constexpr (std::is_arithmetic_v<X>)
    return std::tuple<>{};
  else if constexpr (InputTerm<X>)
    return std::tuple<X>{x};
  else
    return std::tuple<current_term<T>>{current_term<T>{static_cast<const T*>(x.data()), x.shape()}};
}

// The argument positions of the inputs read from memory, in messages.
template <class... Inputs>
constexpr auto memory_positions() {
  constexpr bool from_memory[] = {!std::is_arithmetic_v<Inputs>..., false};
  std::array<std::size_t, (std::size_t{!std::is_arithmetic_v<Inputs>} + ... + 0)> positions{};
  if constexpr (sizeof...(Inputs) > 0) {  // (nvcc warns of i < 0 otherwise)
    std::size_t k = 0;
    for (std::size_t i = 0; i < sizeof...(Inputs); ++i) {
      if (from_memory[i]) positions[k++] = i;
    }
  }
  return positions;
}

template <class T, class X>
T constant_current(const X& x) {
  if constexpr (std::is_arithmetic_v<X>)
    return static_cast<T>(x);
  else
    return T(0);
}

// The sum of a step's inputs at membrane potential v, as a linear function
// of v: what a model's kernel calls as input(v). A function object rather
// than a lambda, so that it is force-inlined at every optimisation level.
// (Terms and slots are modyn::detail::packs, usable in device code.)
template <std::size_t NumStates, class T, class Terms, class Slots, class Vec>
struct summed_input {
  const Terms& terms;
  const Slots& slots;
  T constant;

  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<Vec> operator()(const Vec& v) const {
    return sum(v, std::make_index_sequence<Terms::size>{});
  }

 private:
  template <std::size_t... J>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<Vec> sum(const Vec& v, std::index_sequence<J...>) const {
    linear<Vec> total{Vec(T(0)), Vec(constant)};
    (add(total, modyn::detail::get<J>(terms).at(modyn::detail::get<NumStates + J>(slots), v)), ...);
    return total;
  }
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void add(linear<Vec>& total, const linear<Vec>& term) {
    total.slope = total.slope + term.slope;
    total.offset = total.offset + term.offset;
  }
};

// The kernel B::map runs: the model's kernel with its inputs summed.
template <std::size_t NumStates, class T, class Kernel, class Terms>
struct with_inputs {
  Kernel kernel;
  Terms terms;
  T constant;

  template <class First, class... Slots>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(First& first, Slots&... slots) const {
    static_assert(1 + sizeof...(Slots) == NumStates + Terms::size);
    const modyn::detail::pack<First&, Slots&...> all{{{first}, {slots}...}};
    run<First>(all, std::make_index_sequence<NumStates>{}, std::make_index_sequence<Terms::size>{});
  }

 private:
  template <class Vec, class All, std::size_t... S, std::size_t... J>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void run(const All& all, std::index_sequence<S...>,
                                                 std::index_sequence<J...>) const {
    const summed_input<NumStates, T, Terms, All, Vec> input{terms, all, constant};
    kernel(modyn::detail::get<S>(all)..., input);
    // In-place terms (decaying synapses) write their array once the step
    // has read it.
    (advance(modyn::detail::get<J>(terms), modyn::detail::get<NumStates + J>(all)), ...);
  }

  template <class Term, class Slot>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void advance(const Term& term, Slot& slot) {
    if constexpr (InPlaceTerm<Term>) term.advance(slot);
  }
};

// Names a population in messages: "dyn::LIF 'exc'". Built only on error.
struct population {
  std::string_view kind;
  std::string_view name;

  std::string describe() const {
    std::string out(kind);
    out.append(" '").append(name).append("'");
    return out;
  }
};

// Before a pass: every State of a population must have the shape of the
// first (they differ only after loading some of them by hand).
template <class First, class... Rest>
void match_states(const population& who, const First& first, const Rest&... rest) {
  const auto label = [](const auto& state) {
    return state.path().empty() ? std::string("<unnamed>") : state.path();
  };
  const auto check = [&](const auto& state) {
    if (!(state->shape() == first->shape())) {
      throw shape_error(who.describe() + ": State '" + label(state) + "' has shape " +
                        state->shape().to_string() + " but '" + label(first) + "' has " +
                        first->shape().to_string() + "; call reset_state(batch_size)");
    }
  };
  (check(rest), ...);
}

// Checks that a term has the population's shape or its per-sample shape;
// returns whether it is broadcast over the batch rows.
template <class Term>
bool check_input(const population& who, std::size_t position, const Term& term, const Shape& shape,
                 const Shape& sample_shape) {
  if (term.shape() == shape) return false;
  if constexpr (InPlaceTerm<Term>) {
    throw shape_error(who.describe() + ": input " + std::to_string(position) + " (a " + Term::describe +
                      ") has shape " + term.shape().to_string() + ", but the neurons have shape " +
                      shape.to_string() +
                      " (a synapse whose decay is fused into the neurons' pass must have their shape)");
  }
  if (term.shape() == sample_shape && shape.rank() == sample_shape.rank() + 1) return true;
  throw shape_error(who.describe() + ": input " + std::to_string(position) + " (a " + Term::describe +
                    ") has shape " + term.shape().to_string() + ", but the neurons have shape " +
                    shape.to_string() + " (an input may also have the per-sample shape " +
                    sample_shape.to_string() + ")");
}

// The map argument of a term: its array in place when the pass writes it,
// else rows read element by element or, broadcast, by every batch row.
template <class Term>
auto term_arg(const Term& term, std::size_t row, bool broadcast) {
  if constexpr (InPlaceTerm<Term>)
    return term.data();
  else
    return strided_rows(term.data(), row, broadcast ? 0 : row);
}

// One pass over the population. Terms of the per-sample shape are read as
// rows of sample_shape.size() elements by every batch row (stride 0), the
// others element by element; the states are plain arrays (or emit channels).
template <class B, std::size_t NumStates, class T, class Kernel, class... StateArgs, class... Terms>
void run_pass(const typename B::instance& on, const Kernel& kernel, const Shape& shape,
              const Shape& sample_shape, T constant, const std::tuple<StateArgs...>& states,
              const std::tuple<Terms...>& terms, const std::array<std::size_t, sizeof...(Terms)>& positions,
              const population& who) {
  static_assert(sizeof...(StateArgs) == NumStates);
  bool broadcast[sizeof...(Terms) + 1] = {};
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    ((broadcast[J] = check_input(who, positions[J], std::get<J>(terms), shape, sample_shape)), ...);
  }
  (std::index_sequence_for<Terms...>{});
  bool any_broadcast = false;
  for (const bool b : broadcast) any_broadcast = any_broadcast || b;

  const std::size_t total = shape.size();
  const std::size_t row = any_broadcast ? sample_shape.size() : total;
  if (total == 0 || row == 0) return;
  const auto device_terms =
      std::apply([](const Terms&... t) { return modyn::detail::make_pack(t...); }, terms);
  const with_inputs<NumStates, T, Kernel, modyn::detail::pack<Terms...>> fused{kernel, device_terms,
                                                                               constant};
  [&]<std::size_t... S, std::size_t... J>(std::index_sequence<S...>, std::index_sequence<J...>) {
    B::map(on, total, fused, std::get<S>(states)..., term_arg(std::get<J>(terms), row, broadcast[J])...);
  }
  (std::index_sequence_for<StateArgs...>{}, std::index_sequence_for<Terms...>{});
}

// Updates a population of the given shape (its States' shape) and per-sample
// shape on the execution instance `on`; states is a tuple of map arguments
// (T*, write_only(T*), emit_to(...)), passed to the kernel in order.
template <class B, class T, class Kernel, class... StateArgs, class... Inputs>
void fused_update(const typename B::instance& on, const population& who, const Shape& shape,
                  const Shape& sample_shape, const Kernel& kernel, const std::tuple<StateArgs...>& states,
                  const Inputs&... inputs) {
  const T constant = (T(0) + ... + constant_current<T>(inputs));
  const auto terms = std::tuple_cat(memory_terms<T>(inputs)...);
  run_pass<B, sizeof...(StateArgs)>(on, kernel, shape, sample_shape, constant, states, terms,
                                    memory_positions<Inputs...>(), who);
}

}  // namespace modyn::dyn::detail
