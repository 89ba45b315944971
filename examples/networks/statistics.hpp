// Firing statistics of a network run, as shared/BENCHMARKS.md defines them
// (and Brian2's validation figures were computed): the mean rate over all
// neurons and the whole run, and the coefficient of variation of the
// inter-spike intervals, averaged over the neurons with at least 3 spikes
// after a transient (200 ms).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <modyn/modyn.hpp>
#include <vector>

namespace networks {

// Spikes per neuron per second.
inline double mean_rate_hz(const modyn::SpikeRecord& spikes, std::size_t neurons) {
  const double seconds = static_cast<double>(spikes.num_steps) * spikes.dt / 1000.0;
  return static_cast<double>(spikes.size()) / (static_cast<double>(neurons) * seconds);
}

// Mean over neurons with >= 3 spikes after `after_ms` of std(ISI) / mean(ISI).
inline double mean_cv_isi(const modyn::SpikeRecord& spikes, std::size_t neurons, double after_ms = 200.0) {
  std::vector<std::vector<double>> times(neurons);
  for (std::size_t k = 0; k < spikes.size(); ++k) {
    const double t = spikes.time(k);
    if (t >= after_ms) times[std::size_t(spikes.indices[k]) % neurons].push_back(t);
  }
  double sum = 0.0;
  std::size_t counted = 0;
  for (const auto& train : times) {
    if (train.size() < 3) continue;
    double mean = 0.0, square = 0.0;
    const std::size_t intervals = train.size() - 1;
    for (std::size_t k = 1; k < train.size(); ++k) mean += train[k] - train[k - 1];
    mean /= static_cast<double>(intervals);
    for (std::size_t k = 1; k < train.size(); ++k)
      square += (train[k] - train[k - 1] - mean) * (train[k] - train[k - 1] - mean);
    sum += std::sqrt(square / static_cast<double>(intervals)) / mean;
    ++counted;
  }
  return counted == 0 ? 0.0 : sum / static_cast<double>(counted);
}

}  // namespace networks
