// SpikeRecord: the spikes of a run, stored sparsely as (step, index) pairs.
//
// A dense (T, N) monitor of a long run of a large network is mostly zeros
// and runs out of memory (a common complaint of BrainPy users); a record
// of the events costs memory in proportion to the spikes instead.
//
// - steps[k] is the step of event k, counted from the start of the run that
//   recorded it (its time is t0 + steps[k] * dt);
// - indices[k] is the flat index of the spiking element in the monitored
//   State (row-major over its shape: batch * N + neuron for (batch, N));
// - events are in step order, and by index within a step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"

namespace modyn {

/// The spikes of a run, stored sparsely as (step, index) events (see the top
/// of dyn/spike_record.hpp): what a spike_monitor records.
struct SpikeRecord {
  std::vector<std::int64_t> steps;    ///< the step of each event, from the start of the run
  std::vector<std::int64_t> indices;  ///< the flat index of each event's element in the monitored State
  Shape shape{0};                     ///< shape of the monitored State at each step
  std::size_t num_steps = 0;          ///< steps of the run
  double t0 = 0.0;                    ///< time of step 0 (ms)
  double dt = 0.1;                    ///< time step (ms)

  /// The number of events.
  std::size_t size() const noexcept { return steps.size(); }
  /// Whether no event was recorded.
  bool empty() const noexcept { return steps.empty(); }

  /// The time (ms) of event k: t0 + steps[k] dt.
  double time(std::size_t k) const {
    check(k);
    return t0 + static_cast<double>(steps[k]) * dt;
  }

  /// Spike times of every event, in ms.
  std::vector<double> times() const {
    std::vector<double> out(steps.size());
    for (std::size_t k = 0; k < steps.size(); ++k) out[k] = t0 + static_cast<double>(steps[k]) * dt;
    return out;
  }

  /// How many times element `index` spiked.
  std::size_t count(std::int64_t index) const {
    std::size_t n = 0;
    for (const std::int64_t i : indices) n += (i == index);
    return n;
  }

  /// The spike times (ms) of element `index`, in order.
  std::vector<double> times_of(std::int64_t index) const {
    std::vector<double> out;
    for (std::size_t k = 0; k < indices.size(); ++k)
      if (indices[k] == index) out.push_back(t0 + static_cast<double>(steps[k]) * dt);
    return out;
  }

  /// Forgets the events, keeping the memory (a warm run allocates nothing).
  void clear() noexcept {
    steps.clear();
    indices.clear();
  }

 private:
  void check(std::size_t k) const {
    if (k >= steps.size()) {
      throw index_error("modyn::SpikeRecord: event " + std::to_string(k) + " of " +
                        std::to_string(steps.size()));
    }
  }
};

}  // namespace modyn
