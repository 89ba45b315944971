// COBA on a team of two threads (the OpenMP component): neuron updates split
// by index, delivery by postsynaptic neuron; the spike trains are those of
// one thread, bit for bit.
#include <catch2/catch.hpp>

#include "networks/coba.hpp"
#include "networks/cobahh.hpp"

#if MODYN_WITH_OPENMP
namespace {

template <class Net, class Options>
modyn::SpikeRecord run_on(const modyn::cpu_instance& team, Options options) {
  Net net(options);
  modyn::LoopOverTime loop{net, modyn::spike_monitor<"P.spike">,
                           modyn::LoopOptions{.dt = 0.1, .exec = {.cpu = &team}}};
  const auto& [none, spikes] = loop.run_for(200.0);
  return spikes;
}

}  // namespace

TEST_CASE("COBA and COBAHH spike as on one thread on a team of two", "[networks][threads]") {
  const modyn::cpu_instance one{}, two{.threads = 2, .grain = 256};  // a small grain: 4000 neurons split
  const auto coba1 = run_on<networks::Coba<>>(one, networks::CobaOptions{});
  const auto coba2 = run_on<networks::Coba<>>(two, networks::CobaOptions{});
  REQUIRE(coba1.size() > 1000);
  CHECK(coba1.steps == coba2.steps);
  CHECK(coba1.indices == coba2.indices);
  const auto hh1 = run_on<networks::Cobahh<>>(one, networks::CobahhOptions{});
  const auto hh2 = run_on<networks::Cobahh<>>(two, networks::CobahhOptions{});
  REQUIRE(hh1.size() > 1000);
  CHECK(hh1.steps == hh2.steps);
  CHECK(hh1.indices == hh2.indices);
}
#endif
