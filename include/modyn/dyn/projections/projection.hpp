// dyn::Projection: the spikes of a presynaptic population, held back a
// delay, through a connection (SparseConn, event-driven; DenseConn, one
// matrix product) into a postsynaptic trace that the caller owns:
//
//   pre spikes -> delay -> connection -> g
//
// The building block of dyn::AlignPostProj (align_post.hpp), which owns its
// synapse and output, and the way several projections merge into one trace
// (brainpy's Mg variants): two Projections delivering into one dyn::Expon
// ge of a network cost one trace and one decay, however many there are.
//
// Update order (a network's update runs its projections, then its
// populations, as brainpy.DynSysGroup): at step t, update(ctx, pre, g)
// reads pre.fired(), the spikes of pre's step t - 1, so a spike of step s
// reaches g at step s + 1 + round(delay / dt) (spike_delay.hpp's rule), and
// the post population's update of that step sees it.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/projections/dense_conn.hpp"
#include "modyn/dyn/projections/sparse_conn.hpp"
#include "modyn/dyn/spike_delay.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

/// Where a projection's spikes come from and when they arrive.
struct ProjectionOptions {
  double delay = 0.0;         ///< ms, the same for every synapse (0: the next step)
  std::size_t first_pre = 0;  ///< the population's neuron of row 0 (a subgroup, as Brian2's P[3200:])
};

/// A connection whose delivery takes the spike list (event-driven), or one that
/// takes the spike vector (dense).
template <class Conn>
concept EventConnection = requires {
  typename Conn::index_type;
};

/// A population a projection reads: its size, its spike list and its spike State.
template <class Pre>
concept SpikingPopulation = requires(const Pre& pre) {
  pre.size();
  pre.fired();
};

namespace detail {

// The delay and the subgroup of a projection, and its delivery.
template <class B>
class spike_route {
 public:
  spike_route() = default;
  explicit spike_route(const ProjectionOptions& o) : delay_(o.delay), first_pre_(o.first_pre) {}

  template <class Conn, SpikingPopulation Pre, class G>
  void deliver(const Context& c, Conn& conn, const Pre& pre, G& g) {
    const std::size_t pre_size = pre.size().size();
    if constexpr (EventConnection<Conn>) {
      conn.deliver(c, delay_.step(pre.fired(), c), pre_size, first_pre_, g);
    } else {
      if (delay_.delay() != 0.0) {
        throw config_error(
            "dyn::Projection '" + conn.name() +
            "': a dense connection takes no delay (give the delay to a SparseConn projection)");
      }
      conn.deliver(c, pre.spike->view(), first_pre_, g);
    }
  }

  void clear() noexcept { delay_.clear(); }
  const SpikeDelay<B>& delay() const noexcept { return delay_; }
  std::size_t first_pre() const noexcept { return first_pre_; }
  ProjectionOptions options() const noexcept { return {delay_.delay(), first_pre_}; }

 private:
  SpikeDelay<B> delay_;
  std::size_t first_pre_ = 0;
};

}  // namespace detail

/// The spikes of a presynaptic population, held back a delay, through a
/// connection into a postsynaptic trace the caller owns (see the top of dyn/projections/projection.hpp
///). Conn: the connection (SparseConn, DenseConn).
template <class Conn>
class Projection : public Module<Projection<Conn>> {
 public:
  using tensor_type = typename Conn::tensor_type;           ///< the connection's tensor type
  using backend_type = typename tensor_type::backend_type;  ///< the connection's backend

  Conn comm;  ///< the connection
  MODYN_FIELDS(comm)

  Projection() = default;
  /// A projection through `connection`, with the delay and subgroup of o.
  explicit Projection(Conn connection, ProjectionOptions o = {}) : comm(std::move(connection)), route_(o) {}

  /// Step t: pre's spikes of step t - 1 (after the delay) into g, the trace
  /// of the postsynaptic neurons ((n_post,) or (batch, n_post)).
  template <SpikingPopulation Pre>
  void update(const Context& c, const Pre& pre, tensor_type& g) {
    route_.deliver(c, comm, pre, g);
  }

  /// The delay (ms).
  double delay() const noexcept { return route_.delay().delay(); }
  /// The presynaptic neuron of the connection's row 0.
  std::size_t first_pre() const noexcept { return route_.first_pre(); }

  /// Called by reset_state: forgets the spikes in flight.
  void on_reset_state(std::size_t /*batch_size*/) { route_.clear(); }

  /// `to<B>`: the delay and subgroup come along; spikes in flight do not.
  template <class Other>
  void on_rebind(const Other& source) {
    route_ = detail::spike_route<backend_type>(ProjectionOptions{source.delay(), source.first_pre()});
  }

 private:
  detail::spike_route<backend_type> route_;
};

}  // namespace modyn::dyn
