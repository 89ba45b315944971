// COBA on memory the host cannot touch (pseudo_device: the device path of
// every kernel, the connectivity, the delivery launch, the spike lists and
// the monitor, as on a GPU, one lane at a time): the same network as on the
// CPU, and the same spike trains while the two agree to the bit (COBA's
// forward Euler has no exp; its sums may still round differently where the
// CPU's vectors contract a product into an FMA).
#include <catch2/catch.hpp>

#include "modyn/backend/pseudo_device.hpp"
#include "networks/coba.hpp"
#include "networks/statistics.hpp"

TEST_CASE("COBA runs on a device backend and fires as on the CPU", "[networks][backend]") {
  const networks::CobaOptions options{.N = 400, .p = 0.05, .seed = 2};
  networks::Coba<modyn::cpu> host(options);
  networks::Coba<modyn::pseudo_device> device(options);
  CHECK(device.synapses() == host.synapses());
  modyn::LoopOverTime on_host{host, modyn::spike_monitor<"P.spike">, {.dt = 0.1}};
  modyn::LoopOverTime on_device{device, modyn::spike_monitor<"P.spike">, {.dt = 0.1}};
  const auto& [a, host_spikes] = on_host.run_for(100.0);
  const auto& [b, device_spikes] = on_device.run_for(100.0);
  REQUIRE(host_spikes.size() > 50);
  // The first 20 ms spike for spike; the whole run's rate within 10 %.
  std::size_t early = 0;
  while (early < host_spikes.size() && host_spikes.time(early) < 20.0) ++early;
  REQUIRE(device_spikes.size() >= early);
  for (std::size_t k = 0; k < early; ++k) {
    CHECK(device_spikes.steps[k] == host_spikes.steps[k]);
    CHECK(device_spikes.indices[k] == host_spikes.indices[k]);
  }
  CHECK(networks::mean_rate_hz(device_spikes, 400) ==
        Approx(networks::mean_rate_hz(host_spikes, 400)).epsilon(0.10));
}
