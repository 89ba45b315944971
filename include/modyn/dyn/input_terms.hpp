// What a neuron accepts as input, and how its fused kernel turns it into a
// current at the membrane potential of each integration stage.
//
// A neuron's update takes any number of inputs (brainstate's
// sum_current_inputs), each one of:
// - a number: the same current for every neuron;
// - a tensor of currents, of the neurons' shape, or of the per-sample shape
//   (N,) when the neurons have a batch axis (it is then broadcast over it);
// - conductance(g, E): a conductance-based (COBA) input, I = g (E - V);
// - mg_blocked(g, E, ...): an NMDA-style input, I = g (E - V) B(V), with
//   the magnesium block B of Jahr & Stevens (1990);
// - anything else that is an InputTerm (below).
// The synapse outputs of dyn/synapses/outputs.hpp (CUBA, COBA, MgBlock)
// return these terms.
//
// Inside the kernel, the sum of the inputs is a function of V, linearised
// as I(V) ~ slope V + offset: conductances stay exact under every
// integrator, and exponential Euler integrates their effect on the time
// constant exactly.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/dyn/integrators.hpp"

namespace modyn::dyn {

/// A term of the input current read from one array: data() points to the
/// per-element values x (of shape()), and at(x, v) gives the current as a
/// linear function of the membrane potential v.
template <class Term>
concept InputTerm = requires(const Term& term) {
  typename Term::value_type;
  { term.data() } -> std::convertible_to<const typename Term::value_type*>;
  { term.shape() } -> std::convertible_to<Shape>;
  { Term::describe } -> std::convertible_to<const char*>;
};

/// A tensor of currents.
/// T: the element type.
template <class T>
struct current_term {
  using value_type = T;                               ///< the element type
  static constexpr const char* describe = "current";  ///< what errors call the term

  const T* values;  ///< the currents, one per element
  Shape extents;    ///< their shape

  /// The array the neuron's pass reads.
  const T* data() const noexcept { return values; }
  /// The shape of that array.
  const Shape& shape() const noexcept { return extents; }

  /// The current x as a linear function of v: constant.
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<V> at(const V& x, const V& /*v*/) const {
    return {V(T(0)), x};
  }
};

/// Conductance-based input: I = g (E - V).
/// T: the element type.
template <class T>
struct conductance_term {
  using value_type = T;                                   ///< the element type
  static constexpr const char* describe = "conductance";  ///< what errors call the term

  const T* g;     ///< the conductances, one per element
  Shape extents;  ///< their shape
  T E;            ///< reversal potential (mV)

  /// The array the neuron's pass reads.
  const T* data() const noexcept { return g; }
  /// The shape of that array.
  const Shape& shape() const noexcept { return extents; }

  /// The current g (E - v) as a linear function of v.
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<V> at(const V& g_value, const V& /*v*/) const {
    return {-g_value, g_value * V(E)};
  }
};

/// NMDA-style input: I = g (E - V) / (1 + [Mg] / beta exp(-alpha V)), with
/// the block evaluated at the stage's V (Jahr & Stevens 1990; BrainPy's
/// MgBlock: E = 0 mV, [Mg] = 1.2 mM, alpha = 0.062 / mV, beta = 3.57 mM).
/// T: the element type.
template <class T>
struct mg_block_term {
  using value_type = T;                                              ///< the element type
  static constexpr const char* describe = "Mg-blocked conductance";  ///< what errors call the term

  const T* g;          ///< the conductances, one per element
  Shape extents;       ///< their shape
  T E = T(0);          ///< reversal potential (mV)
  T cc_Mg = T(1.2);    ///< extracellular magnesium concentration (mM)
  T alpha = T(0.062);  ///< steepness of the block's voltage dependence (1/mV)
  T beta = T(3.57);    ///< magnesium dissociation constant (mM)

  /// The array the neuron's pass reads.
  const T* data() const noexcept { return g; }
  /// The shape of that array.
  const Shape& shape() const noexcept { return extents; }

  /// The unblocked fraction at v, 1 / (1 + [Mg] / beta exp(-alpha v)).
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V block(const V& v) const {
    return V(T(1)) / (V(T(1)) + V(cc_Mg / beta) * math::exp(V(-alpha) * v));
  }

  /// The current g block(v) (E - v) as a linear function of v, the block
  /// evaluated at v.
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<V> at(const V& g_value, const V& v) const {
    const V gb = g_value * block(v);
    return {-gb, gb * V(E)};
  }
};

namespace detail {

// The checks of an input's parameters, shared by the free functions below
// and the output modules (synapses/outputs.hpp).
template <class T>
void require_finite(const char* who, const char* field, T value) {
  if (!std::isfinite(value)) {
    throw config_error(std::string(who) + ": " + field + " must be finite, got " + std::to_string(value));
  }
}

template <class T>
void check_mg_block(const char* who, T E, T cc_Mg, T alpha, T beta) {
  require_finite(who, "E", E);
  require_finite(who, "alpha", alpha);
  if (!(cc_Mg >= T(0)) || !std::isfinite(cc_Mg)) {
    throw config_error(std::string(who) + ": cc_Mg must be >= 0 and finite, got " + std::to_string(cc_Mg));
  }
  if (!(beta > T(0)) || !std::isfinite(beta)) {
    throw config_error(std::string(who) + ": beta must be > 0 and finite, got " + std::to_string(beta));
  }
}

}  // namespace detail

/// conductance(g, E): g is a tensor of conductances.
template <TensorLike G>
auto conductance(const G& g, tensor_value_t<G> E) {
  using T = tensor_value_t<G>;
  detail::require_finite("dyn::conductance", "E", E);
  return conductance_term<T>{static_cast<const T*>(g.data()), g.shape(), E};
}

/// mg_blocked(g, E, [Mg], alpha, beta): g is a tensor of conductances, under
/// the magnesium block of mg_block_term (BrainPy's MgBlock defaults).
template <TensorLike G>
auto mg_blocked(const G& g, tensor_value_t<G> E = 0, tensor_value_t<G> cc_Mg = tensor_value_t<G>(1.2),
                tensor_value_t<G> alpha = tensor_value_t<G>(0.062),
                tensor_value_t<G> beta = tensor_value_t<G>(3.57)) {
  using T = tensor_value_t<G>;
  detail::check_mg_block("dyn::mg_blocked", E, cc_Mg, alpha, beta);
  return mg_block_term<T>{static_cast<const T*>(g.data()), g.shape(), E, cc_Mg, alpha, beta};
}

/// A term whose array the neuron's pass also writes: it reads g, contributes
/// its input, then advance(g) gives the value stored back (the synapse's
/// decay over the step). So a synapse trace costs no pass of its own: its
/// decay is fused into the pass of the neuron it drives. An in-place term has
/// the neurons' full shape (it is never broadcast over a batch).
template <class Term>
concept InPlaceTerm = InputTerm<Term> && requires(const Term& term) {
  { term.data() } -> std::same_as<typename Term::value_type*>;
  { Term::in_place } -> std::convertible_to<bool>;
} && Term::in_place;

/// term (a conductance_term, current_term, ...) read from g + arrival, and
/// g <- (g + arrival) decay stored in the same pass, once the step's input
/// is taken (exponential Euler of dg/dt = -g / tau, exact). arrival is a
/// number added to every element in this step (0 when the step's arrivals
/// were delivered to g before). Made by the synapses' decaying_into(output);
/// see synapses/expon.hpp.
/// Term: the term read from g (current_term, conductance_term, ...).
template <class Term>
struct decaying_term {
  using value_type = typename Term::value_type;                ///< the wrapped term's element type
  static constexpr const char* describe = "decaying synapse";  ///< what errors call the term
  static constexpr bool in_place = true;                       ///< the neuron's pass writes g back

  Term term;                           ///< the term, read from g + arrival
  value_type* g;                       ///< the synapse's trace, read and written
  value_type decay;                    ///< g(t + dt) / g(t) over the step
  value_type arrival = value_type(0);  ///< added to every element in this step

  /// The array the neuron's pass reads and writes.
  value_type* data() const noexcept { return g; }
  /// The shape of that array.
  const Shape& shape() const noexcept { return term.shape(); }

  /// The wrapped term's current at g + arrival.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<Vec> at(const Vec& g_value, const Vec& v) const {
    return term.at(g_value + Vec(arrival), v);
  }
  /// The value stored back: (g + arrival) decay.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void advance(Vec& g_value) const {
    g_value = (g_value + Vec(arrival)) * Vec(decay);
  }
};

/// Whether X can be an input of a neuron whose elements are T.
template <class X, class T>
concept NeuronInput = std::is_arithmetic_v<X> ||(TensorLike<X>&& std::is_same_v<tensor_value_t<X>, T>) ||
                      (InputTerm<X> && std::is_same_v<typename X::value_type, T>);

}  // namespace modyn::dyn
