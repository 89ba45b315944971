// dyn::SparseConn: event-driven synapses over a CSR connectivity
// (brainstate.event.FixedProb's role, Brian2's on_pre = 'g += w'): the
// connectivity and weights of a projection, on its backend, and the
// delivery of a step's spikes into the postsynaptic trace.
//
//   dyn::SparseConn conn(dyn::fixed_probability(3200, 4000, 0.02, rng, {.weight = 0.6f}));
//   conn.deliver(ctx, arriving, pre_size, first_pre, g);   // g[target] += w, per event
//
// Event-driven: a step visits only the rows of the neurons that fired (their
// ids in a SpikeList), so its cost grows with spikes x out-degree, not with
// n_pre x n_post. On the CPU each event is one scalar add into the target's
// trace, rows in spike order and targets sorted within a row, so the sums are
// the same on every run. On a team of CPU threads (cpu_instance, the OpenMP
// component) each thread adds into its own range of postsynaptic neurons,
// every sum in the same order: the same bits on any number of threads. On
// a GPU (cuda::launch) one warp takes a row, lanes adding into distinct
// targets with atomic adds (whose order, and so the last bits, may vary).
//
// Weights: one for every synapse (homogeneous, weight has shape (1,)), or one
// per synapse ((synapses,), in the CSR's order). Heterogeneous delays: one per
// synapse (Options::delays, ms); a synapse of delay d adds its weight
// round(d / dt) steps later than one without (the rounding rule of
// spike_delay.hpp: whole steps within 1e-6, else a config_error naming the
// synapse). They go into a ring of max_delay + 1 accumulators of the
// postsynaptic shape, the slot of the current step added into the trace at
// each delivery (NEST's ring buffers): memory (max_delay + 1) x n_post.
//
// The spike ids are flat over the presynaptic population (batch * pre_size +
// neuron); rows are neurons first_pre .. first_pre + n_pre - 1 of it (a
// subgroup, as Brian2's P[3200:]); ids outside are not this connection's. A
// batched population ((batch, pre_size)) drives the batch row of the same
// index of g ((batch, n_post)).
#pragma once

#include "modyn/core/config.hpp"
#if MODYN_WITH_OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/detail/atomic.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/connectivity/csr.hpp"
#include "modyn/dyn/spike_delay.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

namespace detail {

// How many threads of a launch share one row: a warp on a GPU, one thread on
// a host backend (whose items run in order).
template <class B>
inline constexpr std::size_t lanes_per_row = B::host_accessible ? 1 : 32;

// One launch item per (spike, lane): row = the spike's neuron, the lane's
// synapses lane, lane + Lanes, ... of it; into[target] += weight (into is the
// trace, or the delay ring with each synapse's slot). One instantiation per
// weight and delay layout, so the inner loop is a load of a target and one
// add (the weight of a homogeneous projection held in a register).
template <class T, std::size_t Lanes, bool Homogeneous, bool Delayed>
struct deliver_kernel {
  using value_type = T;

  const std::int32_t* ids;
  const std::int64_t* row_offsets;
  const std::int32_t* targets;
  const T* weights;            // weights[0] for all when Homogeneous
  const std::int32_t* delays;  // steps per synapse, when Delayed
  T* into;                     // the trace (batch, n_post), or the ring (slots, batch, n_post)
  std::int64_t first_pre, n_pre, pre_size, n_post;
  std::int64_t slot_stride;  // elements per ring slot (batch * n_post)
  std::int64_t now, slots;   // the ring's current slot and size

  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(std::size_t item) const {
    std::int64_t row = 0;
    T* trace = nullptr;
    if (!locate(ids[item / Lanes], row, trace)) return;
    add(trace, row_offsets[row] + std::int64_t(item % Lanes), row_offsets[row + 1], std::int64_t(Lanes));
  }

  // The row of spike `id` and its sample's trace; false where the spike is
  // not this connection's (outside its subgroup).
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE bool locate(std::int64_t id, std::int64_t& row, T*& trace) const {
    const std::int64_t sample = id / pre_size;
    row = id - sample * pre_size - first_pre;
    trace = into + sample * n_post;
    return row >= 0 && row < n_pre;
  }

  // Synapses k, k + step, ... before end: their weights into their targets.
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void add(T* const trace, std::int64_t k, std::int64_t end,
                                                 std::int64_t step) const {
    const T w_all = Homogeneous ? weights[0] : T(0);
    for (; k < end; k += step) {
      const T w = Homogeneous ? w_all : weights[k];
      T* target = trace + targets[k];
      if constexpr (Delayed) target += ((now + delays[k]) % slots) * slot_stride;
      if constexpr (Lanes == 1) {
        *target += w;
      } else {
        modyn::detail::atomic_add(target, w);
      }
    }
  }
};

#if MODYN_WITH_OPENMP
// A host kernel's events on a team of threads: thread k adds into the
// postsynaptic neurons of its range only (found by bisection in each row,
// whose targets are sorted), every neuron's sum in spike order as on one
// thread: bit-identical results, no atomics.
template <class Kernel>
void deliver_on_team(int threads, const Kernel& kernel, std::size_t count, std::int64_t n_post) {
#pragma omp parallel num_threads(threads)
  {
    const std::int64_t k = omp_get_thread_num(), size = omp_get_num_threads();
    const std::int32_t lo = std::int32_t(n_post * k / size), hi = std::int32_t(n_post * (k + 1) / size);
    for (std::size_t s = 0; s < count; ++s) {
      std::int64_t row = 0;
      typename Kernel::value_type* trace = nullptr;
      if (!kernel.locate(kernel.ids[s], row, trace)) continue;
      const std::int32_t* begin = kernel.targets + kernel.row_offsets[row];
      const std::int32_t* end = kernel.targets + kernel.row_offsets[row + 1];
      const std::int32_t* from = std::lower_bound(begin, end, lo);
      const std::int32_t* to = std::lower_bound(from, end, hi);
      kernel.add(trace, from - kernel.targets, to - kernel.targets, 1);
    }
  }
}
#endif

// g += ring slot; slot = 0.
template <class T>
struct drain_kernel {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& g, Vec& slot) const {
    g = g + slot;
    slot = Vec(T(0));
  }
};

}  // namespace detail

/// An event-driven sparse connection: each spike adds the weights of its
/// row of a CSR connectivity (connectivity/csr.hpp) into g, optionally with
/// per-synapse delays. T: the element type; B: the backend.
template <class T = float, class B = default_backend>
class SparseConn : public Module<SparseConn<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its weights and of g
  using index_type = std::int32_t;   ///< a neuron id
  using offset_type = std::int64_t;  ///< a synapse's position

  /// Per-synapse delays.
  struct Options {
    std::vector<double> delays;  ///< per synapse (ms), in the CSR's order; empty: none
  };

  Param<tensor_type> weight;  ///< (1,): one for all synapses; (synapses,): one each
  MODYN_FIELDS(weight)

  SparseConn() : SparseConn(Csr<T>::from_csr(0, {0}, {})) {}
  /// The connection of a CSR connectivity: its weights become the `weight`
  /// Param (one for all when the CSR has one), its rows and targets are copied to B.
  explicit SparseConn(const Csr<T>& csr, Options o = {})
      : weight(initial_weight(csr)),
        n_pre_(csr.n_pre()),
        n_post_(csr.n_post()),
        row_offsets_(Shape{csr.row_offsets().size()}, std::span<const offset_type>(csr.row_offsets())),
        targets_(Shape{csr.size()}, std::span<const index_type>(csr.targets())),
        delays_ms_(std::move(o.delays)) {
    if (!delays_ms_.empty() && delays_ms_.size() != csr.size()) {
      throw config_error("dyn::SparseConn: " + std::to_string(delays_ms_.size()) + " delays for " +
                         std::to_string(csr.size()) + " synapses (give one per synapse, or none)");
    }
    for (std::size_t k = 0; k < delays_ms_.size(); ++k) {
      if (!(delays_ms_[k] >= 0.0) || !std::isfinite(delays_ms_[k])) {
        throw config_error("dyn::SparseConn: delays[" + std::to_string(k) +
                           "] = " + std::to_string(delays_ms_[k]) + " ms; a delay must be finite and >= 0");
      }
    }
  }

  /// The number of presynaptic neurons (rows).
  std::size_t n_pre() const noexcept { return n_pre_; }
  /// The number of postsynaptic neurons.
  std::size_t n_post() const noexcept { return n_post_; }
  /// The number of synapses.
  std::size_t synapses() const noexcept { return targets_.size(); }
  /// Whether one weight serves every synapse.
  bool homogeneous() const noexcept { return weight->size() == 1; }
  /// Whether the synapses have their own delays.
  bool has_delays() const noexcept { return !delays_ms_.empty(); }
  /// The longest per-synapse delay in steps, once a delivery has fixed dt (0 before).
  std::size_t max_delay_steps() const noexcept { return ring_slots_ == 0 ? 0 : ring_slots_ - 1; }

  /// Adds the weights of the synapses of every spike in `arriving` (ids flat
  /// over a population of pre_size neurons per sample, rows from first_pre)
  /// into g, of shape (n_post,) or (batch, n_post); with per-synapse delays,
  /// into the ring, then adds this step's slot into g.
  void deliver(const Context& c, TensorView<const index_type, B> arriving, std::size_t pre_size,
               std::size_t first_pre, tensor_type& g) {
    check(pre_size, first_pre, g);
    const auto& on = execution_instance<B>(c);
    if (has_delays()) start_ring(c.dt, g.size());
    if (arriving.size() != 0) {
      if (weight->size() != 1 && weight->size() != synapses()) {
        throw shape_error("dyn::SparseConn '" + this->name() + "': weight has shape " +
                          weight->shape().to_string() + "; it needs (1,) or (" + std::to_string(synapses()) +
                          ",), one per synapse");
      }
      const bool homogeneous_weight = weight->size() == 1;
      if (has_delays()) {
        homogeneous_weight ? launch<true, true>(on, arriving, pre_size, first_pre, g)
                           : launch<false, true>(on, arriving, pre_size, first_pre, g);
      } else {
        homogeneous_weight ? launch<true, false>(on, arriving, pre_size, first_pre, g)
                           : launch<false, false>(on, arriving, pre_size, first_pre, g);
      }
    }
    if (has_delays()) {
      T* slot = ring_.data() + (now_ % ring_slots_) * g.size();
      B::map(on, g.size(), detail::drain_kernel<T>{}, g.data(), slot);
      ++now_;
    }
  }

  /// Forgets the events in flight (the delay ring).
  void on_reset_state(std::size_t /*batch_size*/) {
    if (ring_.size() != 0) ring_ = tensor_type::zeros(ring_.shape());
    now_ = 0;
  }

  /// `to<B>`: the connectivity (not reflected: integers, never trained) comes along.
  template <class OtherBackend>
  void on_rebind(const SparseConn<T, OtherBackend>& source) {
    n_pre_ = source.n_pre_;
    n_post_ = source.n_post_;
    row_offsets_ = modyn::to<B>(source.row_offsets_);
    targets_ = modyn::to<B>(source.targets_);
    delays_ms_ = source.delays_ms_;
  }

  /// The connectivity back on the host, as a Csr (weights included).
  Csr<T> csr() const {
    std::vector<offset_type> offsets(row_offsets_.size());
    std::vector<index_type> targets(targets_.size());
    std::vector<T> weights(weight->size());
    if (!offsets.empty()) B::copy_to_host(row_offsets_.data(), offsets.data(), offsets.size());
    if (!targets.empty()) B::copy_to_host(targets_.data(), targets.data(), targets.size());
    if (!weights.empty()) B::copy_to_host(weight->data(), weights.data(), weights.size());
    return Csr<T>::from_csr(n_post_, std::move(offsets), std::move(targets), std::move(weights));
  }

 private:
  template <class, class>
  friend class SparseConn;  // on_rebind reads another backend's connectivity

  template <bool Homogeneous, bool Delayed>
  void launch(const typename B::instance& on, TensorView<const index_type, B> arriving, std::size_t pre_size,
              std::size_t first_pre, tensor_type& g) {
    constexpr std::size_t lanes = detail::lanes_per_row<B>;
    const detail::deliver_kernel<T, lanes, Homogeneous, Delayed> kernel{
        arriving.data(),
        row_offsets_.data(),
        targets_.data(),
        weight->data(),
        delay_steps_.data(),
        Delayed ? ring_.data() : g.data(),
        static_cast<std::int64_t>(first_pre),
        static_cast<std::int64_t>(n_pre_),
        static_cast<std::int64_t>(pre_size),
        static_cast<std::int64_t>(n_post_),
        static_cast<std::int64_t>(g.size()),
        static_cast<std::int64_t>(now_),
        static_cast<std::int64_t>(ring_slots_)};
#if MODYN_WITH_OPENMP
    if constexpr (std::is_same_v<B, cpu>) {
      const std::size_t events = arriving.size() * synapses() / std::max<std::size_t>(n_pre_, 1);
      if (on.splits(events)) {
        detail::deliver_on_team(on.threads, kernel, arriving.size(), static_cast<std::int64_t>(n_post_));
        return;
      }
    }
#endif
    B::launch(on, arriving.size() * lanes, kernel, touches(arriving.data(), arriving.size()),
              touches(row_offsets_.data(), row_offsets_.size()), touches(targets_.data(), targets_.size()),
              touches(weight->data(), weight->size()), touches(delay_steps_.data(), delay_steps_.size()),
              Delayed ? touches(ring_.data(), ring_.size()) : touches(g.data(), g.size()));
  }

  static tensor_type initial_weight(const Csr<T>& csr) {
    if (!csr.homogeneous()) return tensor_type(Shape{csr.size()}, std::span<const T>(csr.weights()));
    const T w = csr.weight();
    return tensor_type(Shape{1}, std::span<const T>(&w, 1));
  }

  void check(std::size_t pre_size, std::size_t first_pre, const tensor_type& g) const {
    if (first_pre + n_pre_ > pre_size) {
      throw config_error("dyn::SparseConn '" + this->name() + "': rows " + std::to_string(first_pre) +
                         " .. " + std::to_string(first_pre + n_pre_) +
                         " run past the presynaptic population of " + std::to_string(pre_size) + " neurons");
    }
    if (g.shape().rank() == 0 || g.shape()[g.shape().rank() - 1] != n_post_ || g.shape().rank() > 2) {
      throw shape_error("dyn::SparseConn '" + this->name() + "': the trace has shape " +
                        g.shape().to_string() + ", but the connection has " + std::to_string(n_post_) +
                        " postsynaptic neurons: it needs (" + std::to_string(n_post_) + ",) or (batch, " +
                        std::to_string(n_post_) + ")");
    }
  }

  // Delays in steps for this dt, and a ring of max + 1 slots of g's size.
  void start_ring(double dt, std::size_t trace_size) {
    if (dt != ring_dt_) {
      std::vector<std::int32_t> steps(delays_ms_.size());
      std::size_t longest = 0;
      for (std::size_t k = 0; k < steps.size(); ++k) {
        std::size_t d = 0;
        try {
          d = SpikeDelay<B>::steps_for(delays_ms_[k], dt);
        } catch (const config_error& e) {
          throw config_error("dyn::SparseConn '" + this->name() + "': delays[" + std::to_string(k) +
                             "]: " + e.what());
        }
        steps[k] = static_cast<std::int32_t>(d);
        longest = std::max(longest, d);
      }
      delay_steps_ = Tensor<std::int32_t, B>(Shape{steps.size()}, std::span<const std::int32_t>(steps));
      ring_slots_ = longest + 1;
      ring_dt_ = dt;
      ring_ = tensor_type();
    }
    if (ring_.size() != ring_slots_ * trace_size) {
      ring_ = tensor_type::zeros(Shape{ring_slots_, trace_size});
      now_ = 0;
    }
  }

  std::size_t n_pre_ = 0, n_post_ = 0;
  Tensor<offset_type, B> row_offsets_;
  Tensor<index_type, B> targets_;
  std::vector<double> delays_ms_;
  Tensor<std::int32_t, B> delay_steps_;
  tensor_type ring_;
  std::size_t ring_slots_ = 0;
  double ring_dt_ = 0.0;
  std::size_t now_ = 0;
};

}  // namespace modyn::dyn
