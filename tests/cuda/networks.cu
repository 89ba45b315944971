// COBA, CUBA and COBAHH (examples/networks/) on modyn::cuda: connectivity,
// delivery (one warp per spiking row, atomic adds), spike lists and monitors
// on the device. Atomic float adds are not associative: the trains match
// the CPU's until the first step where two adds into one trace land in
// another order; the test reports that step and checks the rates.
#include <catch2/catch.hpp>
#include <cstdio>

#include "modyn/backend/cuda.hpp"
#include "networks/coba.hpp"
#include "networks/cobahh.hpp"
#include "networks/cuba.hpp"
#include "networks/statistics.hpp"

namespace {

template <class Net>
modyn::SpikeRecord run(double ms) {
  Net net;
  modyn::LoopOverTime loop{net, modyn::spike_monitor<"P.spike">, {.dt = 0.1}};
  const auto& [none, spikes] = loop.run_for(ms);
  return spikes;
}

// The first step whose spikes differ (num_steps when none does).
std::size_t first_divergence(const modyn::SpikeRecord& a, const modyn::SpikeRecord& b) {
  std::size_t k = 0;
  while (k < a.size() && k < b.size() && a.steps[k] == b.steps[k] && a.indices[k] == b.indices[k]) ++k;
  if (k == a.size() && k == b.size()) return a.num_steps;
  const auto step_of = [](const modyn::SpikeRecord& r, std::size_t k) {
    return k < r.size() ? std::size_t(r.steps[k]) : r.num_steps;
  };
  return std::min(step_of(a, k), step_of(b, k));
}

template <class Host, class Device>
void compare(const char* name) {
  const modyn::SpikeRecord host = run<Host>(1000.0), device = run<Device>(1000.0);
  const std::size_t step = first_divergence(host, device);
  std::printf("cuda %s: %zu spikes on the GPU, %zu on the CPU, identical up to step %zu of %zu\n", name,
              device.size(), host.size(), step, host.num_steps);
  CHECK(step > 0);
  CHECK(networks::mean_rate_hz(device, 4000) == Approx(networks::mean_rate_hz(host, 4000)).epsilon(0.15));
}

}  // namespace

TEST_CASE("cuda: COBA, CUBA and COBAHH run on the GPU and fire as on the CPU", "[cuda][networks]") {
  compare<networks::Coba<modyn::cpu>, networks::Coba<modyn::cuda>>("COBA");
  compare<networks::Cuba<modyn::cpu>, networks::Cuba<modyn::cuda>>("CUBA");
  compare<networks::Cobahh<modyn::cpu>, networks::Cobahh<modyn::cuda>>("COBAHH");
}
