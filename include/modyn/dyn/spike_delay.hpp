// dyn::SpikeDelay: the spike lists of a population held back a fixed delay,
// for a projection (a ring buffer of lists on the population's backend).
//
// The convention (shared/BENCHMARKS.md, as in Brian2): a delay of d ms takes
// effect round(d / dt) steps after the step that follows the spike, so a
// delay of 0 delivers in the next step. In a network's step the projections
// run before the populations (dyn's update order), so at step t a projection
// calls
//
//   const auto arriving = delay.step(pre.fired(), ctx);
//
// with pre.fired() still the list of step t - 1: it stores that list and
// returns the one of step t - 1 - D, D = round(d / dt) (empty while the
// buffer fills). A spike emitted at step s therefore reaches the synapses at
// step s + 1 + D.
//
// Rounding rule: d must be a whole number of steps, to within 1e-6 of a
// step (0.3 ms at dt = 0.1 ms is 3 steps, whatever 0.3 / 0.1 rounds to in
// binary); otherwise, and for d < 0, a config_error says by how much. A
// delay shorter than dt but not 0 is therefore an error, never a silent 0.
// D is fixed at the first step, and again whenever dt changes (which empties
// the buffer).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"

namespace modyn::dyn {

/// The spike lists of a population held back a fixed delay, for a projection:
/// a ring buffer of lists (see the top of dyn/spike_delay.hpp). B: the backend.
template <class B = default_backend>
class SpikeDelay {
 public:
  using index_type = typename SpikeList<B>::index_type;  ///< a neuron id

  SpikeDelay() = default;
  /// A delay of delay_ms (finite, >= 0; a whole number of steps once dt is known).
  explicit SpikeDelay(double delay_ms) : delay_(delay_ms) {
    if (!(delay_ms >= 0.0) || !std::isfinite(delay_ms)) {
      throw config_error("dyn::SpikeDelay: a delay must be finite and >= 0 ms, got " +
                         std::to_string(delay_ms));
    }
  }

  /// round(delay / dt), checked (see the top of dyn/spike_delay.hpp).
  static std::size_t steps_for(double delay_ms, double dt) {
    if (!(dt > 0.0) || !std::isfinite(dt)) {
      throw config_error("dyn::SpikeDelay: dt must be finite and > 0, got " + std::to_string(dt));
    }
    const double exact = delay_ms / dt, steps = std::round(exact);
    if (std::fabs(exact - steps) > 1e-6) {
      throw config_error("dyn::SpikeDelay: a delay of " + std::to_string(delay_ms) +
                         " ms is not a whole number of steps of dt = " + std::to_string(dt) + " ms (" +
                         std::to_string(exact) + " steps); delays are rounded only within 1e-6 of a step");
    }
    return static_cast<std::size_t>(steps);
  }

  /// The delay (ms).
  double delay() const noexcept { return delay_; }
  /// D, once a step has fixed dt (0 before).
  std::size_t steps() const noexcept { return steps_; }

  /// Stores `fired` (the population's list of the previous step) and returns
  /// the list that arrives now. The view is valid until the next call.
  TensorView<const index_type, B> step(const SpikeList<B>& fired, const Context& c) {
    if (slots_.empty() || c.dt != dt_) start(c.dt);
    if (steps_ == 0) return fired.indices();  // no delay: the list itself, valid until pre's next update
    const std::size_t ring = slots_.size();
    slot& in = slots_[pushed_ % ring];
    if (in.indices.size() < fired.size()) in.indices = Tensor<index_type, B>::empty(Shape{fired.size()});
    if (fired.size() > 0) B::copy(fired.data(), in.indices.data(), fired.size());
    in.count = fired.size();
    ++pushed_;
    if (pushed_ <= steps_) return {in.indices.data(), Shape{0}};  // nothing has waited D steps yet
    const slot& out = slots_[(pushed_ - 1 - steps_) % ring];
    return {out.indices.data(), Shape{out.count}};
  }

  /// Forgets the spikes in flight (reset_state of the projection).
  void clear() noexcept {
    for (slot& s : slots_) s.count = 0;
    pushed_ = 0;
  }

 private:
  struct slot {
    Tensor<index_type, B> indices;  ///< capacity grows to the largest list seen, then stays
    std::size_t count = 0;
  };

  void start(double dt) {
    steps_ = steps_for(delay_, dt);
    dt_ = dt;
    slots_.resize(steps_ + 1);  // D + 1: the new list and the D waiting
    clear();
  }

  double delay_ = 0.0;
  double dt_ = 0.0;
  std::size_t steps_ = 0;
  std::vector<slot> slots_;
  std::size_t pushed_ = 0;
};

}  // namespace modyn::dyn
