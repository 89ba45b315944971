// The one pass over memory that updates a population: a model's kernel over
// its States, with the inputs of the step read in the same pass.
//
// fused_update<B, T>(who, shape, sample_shape, kernel, states, inputs...) calls
//   kernel(state_0, ..., state_k, input)
// for every element, where the states are the model's per-element values
// (V& slots of B::map) and input(v) is the sum of the inputs as a
// linear<V> function of the membrane potential v (see input_current.hpp).
// Numbers are summed once, before the pass; tensors and terms are read
// element by element. An input of the per-sample shape is broadcast over
// the batch axis by running the pass once per batch row.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/backend/backend_concepts.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/dyn/input_current.hpp"

namespace modyn::dyn::detail {

// Every input as a tuple of terms read from memory (numbers give none).
template <class T, class X>
auto memory_terms(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) return std::tuple<>{};
  else if constexpr (InputTerm<X>) return std::tuple<X>{x};
  else return std::tuple<current<T>>{current<T>{static_cast<const T*>(x.data()), x.shape()}};
}

// The argument positions of the inputs read from memory, in messages.
template <class... Inputs>
constexpr auto memory_positions() {
  constexpr bool from_memory[] = {!std::is_arithmetic_v<Inputs>..., false};
  std::array<std::size_t, (std::size_t{!std::is_arithmetic_v<Inputs>} + ... + 0)> positions{};
  std::size_t k = 0;
  for (std::size_t i = 0; i < sizeof...(Inputs); ++i) {
    if (from_memory[i]) positions[k++] = i;
  }
  return positions;
}

template <class T, class X>
T constant_current(const X& x) {
  if constexpr (std::is_arithmetic_v<X>) return static_cast<T>(x);
  else return T(0);
}

// The kernel B::map runs: the model's kernel with its inputs summed.
template <std::size_t NumStates, class T, class Kernel, class Terms>
struct with_inputs {
  Kernel kernel;
  Terms terms;
  T constant;

  template <class... Slots>
  MODYN_ALWAYS_INLINE void operator()(Slots&... slots) const {
    static_assert(sizeof...(Slots) == NumStates + std::tuple_size_v<Terms>);
    auto all = std::tie(slots...);
    using V = std::remove_cvref_t<std::tuple_element_t<0, decltype(all)>>;
    [&]<std::size_t... S, std::size_t... J>(std::index_sequence<S...>, std::index_sequence<J...>) {
      const auto input = [&](const V& v) {
        linear<V> sum{V(T(0)), V(constant)};
        ((accumulate(sum, std::get<J>(terms).at(std::get<NumStates + J>(all), v))), ...);
        return sum;
      };
      kernel(std::get<S>(all)..., input);
    }(std::make_index_sequence<NumStates>{}, std::make_index_sequence<std::tuple_size_v<Terms>>{});
  }

 private:
  template <class V>
  MODYN_ALWAYS_INLINE static void accumulate(linear<V>& sum, const linear<V>& term) {
    sum.slope = sum.slope + term.slope;
    sum.offset = sum.offset + term.offset;
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
  const auto label = [](const auto& state) { return state.path().empty() ? std::string("<unnamed>") : state.path(); };
  const auto check = [&](const auto& state) {
    if (!(state->shape() == first->shape())) {
      throw shape_error(who.describe() + ": State '" + label(state) + "' has shape " + state->shape().to_string() +
                        " but '" + label(first) + "' has " + first->shape().to_string() +
                        "; call reset_state(batch_size)");
    }
  };
  (check(rest), ...);
}

// p advanced by n elements, for every kind of map argument.
template <class T>
T* advanced(T* p, std::size_t n) noexcept {
  return p + n;
}
template <class T>
write_only_ptr<T> advanced(write_only_ptr<T> p, std::size_t n) noexcept {
  return write_only(p.ptr + n);
}

// Checks that a term has the population's shape or its per-sample shape;
// returns whether it is broadcast over the batch rows.
template <class Term>
bool check_input(const population& who, std::size_t position, const Term& term, const Shape& shape,
                 const Shape& sample_shape) {
  if (term.shape() == shape) return false;
  if (term.shape() == sample_shape && shape.rank() == sample_shape.rank() + 1) return true;
  throw shape_error(who.describe() + ": input " + std::to_string(position) + " (a " + Term::describe +
                    ") has shape " + term.shape().to_string() + ", but the neurons have shape " + shape.to_string() +
                    " (an input may also have the per-sample shape " + sample_shape.to_string() + ")");
}

template <class B, std::size_t NumStates, class T, class Kernel, class... StatePtrs, class... Terms>
void run_rows(const Kernel& kernel, const Shape& shape, const Shape& sample_shape, T constant,
              const std::tuple<StatePtrs...>& states, const std::tuple<Terms...>& terms,
              const std::array<std::size_t, sizeof...(Terms)>& positions, const population& who) {
  static_assert(sizeof...(StatePtrs) == NumStates);
  bool broadcast[sizeof...(Terms) + 1] = {};
  [&]<std::size_t... J>(std::index_sequence<J...>) {
    ((broadcast[J] = check_input(who, positions[J], std::get<J>(terms), shape, sample_shape)), ...);
  }(std::index_sequence_for<Terms...>{});
  bool any_broadcast = false;
  for (const bool b : broadcast) any_broadcast = any_broadcast || b;

  const std::size_t total = shape.size();
  const std::size_t row = any_broadcast ? sample_shape.size() : total;
  const std::size_t rows = row == 0 ? 0 : total / row;
  const with_inputs<NumStates, T, Kernel, std::tuple<Terms...>> fused{kernel, terms, constant};
  for (std::size_t r = 0; r < rows; ++r) {
    [&]<std::size_t... S, std::size_t... J>(std::index_sequence<S...>, std::index_sequence<J...>) {
      B::map(row, fused, advanced(std::get<S>(states), r * row)...,
             (std::get<J>(terms).data() + (broadcast[J] ? 0 : r * row))...);
    }(std::index_sequence_for<StatePtrs...>{}, std::index_sequence_for<Terms...>{});
  }
}

// Updates a population of the given shape (its States' shape) and per-sample
// shape; states is a tuple of pointers (T* or write_only(T*)).
template <class B, class T, class Kernel, class... StatePtrs, class... Inputs>
void fused_update(const population& who, const Shape& shape, const Shape& sample_shape, const Kernel& kernel,
                  const std::tuple<StatePtrs...>& states, const Inputs&... inputs) {
  const T constant = (T(0) + ... + constant_current<T>(inputs));
  const auto terms = std::tuple_cat(memory_terms<T>(inputs)...);
  run_rows<B, sizeof...(StatePtrs)>(kernel, shape, sample_shape, constant, states, terms,
                                    memory_positions<Inputs...>(), who);
}

}  // namespace modyn::dyn::detail
