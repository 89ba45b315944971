// Synaptic outputs: how a synapse's variable g becomes an input of a neuron
// (brainpy.dyn's and brainpy.state's CUBA, COBA and MgBlock). They are
// modules without States; update(g) returns an input term of
// input_terms.hpp, which the neuron's fused kernel evaluates at the
// membrane potential V of each integration stage:
//
//   CUBA{}            I = g                                    current_term<T>
//   COBA{E}           I = g (E - V)                            conductance_term<T>
//   MgBlock{E, ...}   I = g (E - V) / (1 + [Mg] / beta exp(-alpha (V - V_offset)))
//                                                              mg_block_term<T>
//
//   dyn::Expon syn(100);
//   dyn::LIF lif(100);
//   dyn::COBA coba{0.0};                                    // COBA<float>, E = 0 mV
//   const auto& spikes = lif(ctx, coba(syn.update(weighted_spikes, ctx)));
//
// Lifetime: a term holds a pointer into g's buffer and g's shape, not a
// copy. Use it in the step it was made in, as above: the synapse's next
// update overwrites g, and its reset_state (or its destruction) frees the
// buffer.
#pragma once

#include <cmath>
#include <string>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// Current-based output: I = g (brainpy.dyn.CUBA; brainpy.state.CUBA's scale
/// is a weight, left to the synapse's input here).
/// T: the element type of the neurons it drives.
template <class T = float>
class CUBA : public Module<CUBA<T>> {
  static_assert(std::is_floating_point_v<T>, "dyn::CUBA<T>: T must be a floating-point type such as float");

 public:
  MODYN_FIELDS()

  /// The input term of the neurons it drives: the current g, read from g's array.
  template <TensorLike G>
  current_term<T> update(const G& g) const {
    static_assert(std::is_same_v<tensor_value_t<G>, T>,
                  "dyn::CUBA<T>: g must be a tensor of T (the neuron's element type)");
    return {static_cast<const T*>(g.data()), g.shape()};
  }
};

/// Conductance-based output: I = g (E - V), E the reversal potential (mV)
/// (brainpy.dyn.COBA; BrainPy has no default E; here the default
/// constructor, which composition needs, takes E = 0 mV, excitatory).
/// (The constructor's parameter does not deduce T: COBA{-80.0} is a
/// COBA<float>.)
/// T: the element type of the neurons it drives.
template <class T = float>
class COBA : public Module<COBA<T>> {
  static_assert(std::is_floating_point_v<T>, "dyn::COBA<T>: T must be a floating-point type such as float");

 public:
  T E{};  ///< reversal potential (mV)
  MODYN_FIELDS(E)

  COBA() : COBA(T(0)) {}
  /// COBA with reversal potential E = `reversal` (mV).
  explicit COBA(std::type_identity_t<T> reversal) : E(reversal) {
    detail::require_finite("dyn::COBA", "E", E);
  }

  /// The input term of the neurons it drives: g (E - V), read from g's array.
  template <TensorLike G>
  conductance_term<T> update(const G& g) const {
    static_assert(std::is_same_v<tensor_value_t<G>, T>,
                  "dyn::COBA<T>: g must be a tensor of T (the neuron's element type)");
    return {static_cast<const T*>(g.data()), g.shape(), E};
  }
};

/// NMDA-style output with the magnesium block of Jahr & Stevens (1990):
///
///     I = g (E - V) / (1 + cc_Mg / beta exp(-alpha (V - V_offset)))
///
/// with BrainPy's defaults (brainpy.dyn.MgBlock, brainpy.state.MgBlock):
/// E = 0 mV, cc_Mg = 1.2 mM, alpha = 0.062 / mV, beta = 3.57 mM, V_offset =
/// 0 mV (brainpy.state's shift of the block curve). The shift is folded into
/// the term's concentration: cc_Mg exp(alpha V_offset) / beta exp(-alpha V).
/// T: the element type of the neurons it drives.
template <class T = float>
class MgBlock : public Module<MgBlock<T>> {
  static_assert(std::is_floating_point_v<T>,
                "dyn::MgBlock<T>: T must be a floating-point type such as float");

 public:
  T E{};         ///< reversal potential (mV)
  T cc_Mg{};     ///< extracellular magnesium concentration (mM)
  T alpha{};     ///< steepness of the block's voltage dependence (1/mV)
  T beta{};      ///< magnesium dissociation constant (mM)
  T V_offset{};  ///< shift of the block curve along V (mV)
  MODYN_FIELDS(E, cc_Mg, alpha, beta, V_offset)

  /// MgBlock with E = `reversal` (mV), [Mg] = `mg` (mM), alpha = `steepness`
  /// (1/mV), beta = `dissociation` (mM) and V_offset = `offset` (mV): BrainPy's
  /// defaults.
  explicit MgBlock(std::type_identity_t<T> reversal = T(0), std::type_identity_t<T> mg = T(1.2),
                   std::type_identity_t<T> steepness = T(0.062),
                   std::type_identity_t<T> dissociation = T(3.57), std::type_identity_t<T> offset = T(0))
      : E(reversal), cc_Mg(mg), alpha(steepness), beta(dissociation), V_offset(offset) {
    detail::check_mg_block("dyn::MgBlock", E, cc_Mg, alpha, beta);
    detail::require_finite("dyn::MgBlock", "V_offset", V_offset);
  }

  /// The input term of the neurons it drives: g (E - V) / (1 + [Mg] / beta
  /// exp(-alpha (V - V_offset))), read from g's array.
  template <TensorLike G>
  mg_block_term<T> update(const G& g) const {
    static_assert(std::is_same_v<tensor_value_t<G>, T>,
                  "dyn::MgBlock<T>: g must be a tensor of T (the neuron's element type)");
    const T mg =
        V_offset == T(0) ? cc_Mg : static_cast<T>(cc_Mg * std::exp(static_cast<double>(alpha) * V_offset));
    return {static_cast<const T*>(g.data()), g.shape(), E, mg, alpha, beta};
  }
};

}  // namespace modyn::dyn
