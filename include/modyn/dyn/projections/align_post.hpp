// dyn::AlignPostProj: a projection as one compile-time composition, as
// brainpy.state's AlignPostProj:
//
//   pre spikes -> delay -> connection -> synapse -> output -> post
//
//   dyn::AlignPostProj exc{dyn::SparseConn(csr), dyn::Expon<float>(4000, {.tau = 5}),
//                          dyn::COBA<float>{0.0}, {.delay = 0.0}};
//   exc.update(ctx, P);                 // P's spikes of the last step into the trace
//   P(ctx, exc.input(ctx), inh.input(ctx));
//
// Align-post: the synapse's trace is kept per postsynaptic neuron, not per
// synapse, which is exact for the linear synapse models (Expon, DualExpon,
// Alpha): every event is one add into its target's trace. For dyn::Expon
// the events go straight into g and its decay runs inside the neuron's pass
// (Expon::decaying_into); for the others into an arrival buffer that
// input(ctx) hands to the synapse's update. (Per-synapse state, for
// nonlinear synapses, would need a trace per synapse; no such synapse model
// exists in dyn/ yet.)
//
// update(ctx, pre) then input(ctx), once each per step, in that order:
// input(ctx) advances the synapse, and the term it returns is read by the
// post population's update of the same step (a term points into g; see
// outputs.hpp for its lifetime). Several projections of one synapse type
// onto one population can share a trace: dyn::Projection (projection.hpp)
// delivers into a synapse the network owns.
//
// Reflected: comm (the weights), syn (the trace g), out; paths as
// "E2E.comm.weight", "E2E.syn.g" in state dicts and monitors.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "modyn/core/tensor.hpp"
#include "modyn/dyn/projections/projection.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// A synapse whose decay can run inside the neuron's pass (dyn::Expon).
template <class Syn, class Out>
concept DecaysInPostPass = requires(Syn& syn, const Out& out, const Context& c) {
  syn.decaying_into(out, c);
};

/// A projection as one composition, pre spikes -> delay -> connection ->
/// synapse -> output -> post (brainpy.state's AlignPostProj; see the top of
/// dyn/projections/align_post.hpp). Conn: the connection (SparseConn, DenseConn); Syn: the synapse
/// (Expon, DualExpon, Alpha); Out: the output (CUBA, COBA, MgBlock).
template <class Conn, class Syn, class Out>
class AlignPostProj : public Module<AlignPostProj<Conn, Syn, Out>> {
 public:
  using tensor_type = typename Conn::tensor_type;           ///< the connection's tensor type
  using backend_type = typename tensor_type::backend_type;  ///< the connection's backend
  static_assert(
      std::is_same_v<tensor_type, typename Syn::tensor_type>,
      "dyn::AlignPostProj: the connection and the synapse must have the same element type and backend");

  Conn comm;  ///< the connection
  Syn syn;    ///< the synapse, one trace per postsynaptic neuron
  Out out;    ///< the output, which turns the trace into the post population's input
  MODYN_FIELDS(comm, syn, out)

  AlignPostProj() = default;
  /// A projection through `connection` into `synapse`, read through `output`,
  /// with the delay and subgroup of o.
  AlignPostProj(Conn connection, Syn synapse, Out output, ProjectionOptions o = {})
      : comm(std::move(connection)), syn(std::move(synapse)), out(std::move(output)), route_(o) {}

  /// Step t: pre's spikes of step t - 1 (after the delay) into the trace.
  template <SpikingPopulation Pre>
  void update(const Context& c, const Pre& pre) {
    if constexpr (DecaysInPostPass<Syn, Out>) {
      route_.deliver(c, comm, pre, *syn.g);
    } else {
      if (!(arrival_.shape() == syn.g->shape())) arrival_ = tensor_type::zeros(syn.g->shape());
      route_.deliver(c, comm, pre, arrival_);
    }
  }

  /// The input of the post population in this step (an input term of
  /// input_terms.hpp); the synapse advances by one step.
  auto input(const Context& c) {
    if constexpr (DecaysInPostPass<Syn, Out>) {
      return syn.decaying_into(out, c);
    } else {
      if (!(arrival_.shape() == syn.g->shape())) arrival_ = tensor_type::zeros(syn.g->shape());
      const auto& g = syn.update(c, arrival_);
      arrival_.view() = typename tensor_type::value_type(0);
      return out.update(g);
    }
  }

  /// The delay (ms).
  double delay() const noexcept { return route_.delay().delay(); }
  /// The presynaptic neuron of the connection's row 0.
  std::size_t first_pre() const noexcept { return route_.first_pre(); }

  /// Called by reset_state: forgets the spikes in flight and the pending arrival.
  void on_reset_state(std::size_t /*batch_size*/) {
    route_.clear();
    arrival_ = tensor_type();
  }

  /// `to<B>`: the delay and subgroup come along; spikes in flight do not.
  template <class Other>
  void on_rebind(const Other& source) {
    route_ = detail::spike_route<backend_type>(ProjectionOptions{source.delay(), source.first_pre()});
  }

 private:
  detail::spike_route<backend_type> route_;
  tensor_type arrival_;  // events of the step, for synapses that add them in their own update
};

}  // namespace modyn::dyn
