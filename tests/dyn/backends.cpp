// dyn modules on the host backends (the cases: tests/dyn/backend_cases.hpp,
// shared with the CUDA tests), then what only the host backends do.
#include <tuple>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"

using backends_under_test = std::tuple<modyn::cpu, modyn::serial, modyn::pseudo_device>;

#include "dyn/backend_cases.hpp"

// monitor<...>.neurons(...) does not run on modyn::pseudo_device (it throws
// config_error, below), so this case runs on cpu and serial; the next one
// runs spike_monitor on the pseudo-device.
TEMPLATE_TEST_CASE("LoopOverTime with spike_monitor on the host-accessible backends equals the cpu run",
                   "[dyn][backends][loop_over_time][monitor][spike_monitor]", modyn::cpu, modyn::serial) {
  using modyn::monitor;
  using modyn::spike_monitor;
  const auto run = []<class B>(B) {
    modyn::LoopOverTime loop{modyn::to<B>(Net<modyn::cpu>{}),
                             spike_monitor<"lif.spike">,
                             monitor<"lif.spike">,
                             monitor<"lif.V">.neurons({0, 36}),
                             {.dt = 0.5}};
    loop.reset_state(2);
    const auto I = ramp<B>(8.0f, 0.4f);
    const auto& [out, record, spike, V] =
        loop.run_for(50.0, [&](double, std::size_t) -> const Tensor<float, B>& { return I; });
    return std::tuple{record, host_values(spike), host_values(V)};
  };
  const auto [want_record, want_spike, want_V] = run(modyn::cpu{});
  const auto [record, spike, V] = run(TestType{});
  REQUIRE(record.steps == want_record.steps);
  REQUIRE(record.indices == want_record.indices);
  REQUIRE(record.shape == want_record.shape);
  REQUIRE(spike == want_spike);
  REQUIRE(V.size() == want_V.size());
  for (std::size_t i = 0; i < V.size(); ++i) REQUIRE(close(V[i], want_V[i], 16));
  // The record is the spike history's non-zero elements.
  REQUIRE(record.size() == count_nonzero(spike));
  REQUIRE(record.size() > 0);
  for (std::size_t k = 0; k < record.size(); ++k) {
    const auto at =
        static_cast<std::size_t>(record.steps[k]) * 2 * neurons + static_cast<std::size_t>(record.indices[k]);
    REQUIRE(spike[at] == 1.0f);
  }
}

TEST_CASE("monitor<...>.neurons(...) on modyn::pseudo_device throws config_error",
          "[dyn][backends][loop_over_time][monitor]") {
  const auto build = [] {
    return modyn::LoopOverTime{modyn::to<modyn::pseudo_device>(Net<modyn::cpu>{}),
                               modyn::monitor<"lif.V">.neurons({0}),
                               {.dt = 0.5}};
  };
  REQUIRE_THROWS_AS(build(), modyn::config_error);
}

TEST_CASE("spike_monitor on modyn::pseudo_device copies each step's emitted list to the host",
          "[dyn][backends][loop_over_time][monitor][spike_monitor]") {
  using modyn::monitor;
  using modyn::spike_monitor;
  const auto run = []<class B>(B) {
    modyn::LoopOverTime loop{
        modyn::to<B>(Net<modyn::cpu>{}), spike_monitor<"lif.spike">, monitor<"lif.spike">, {.dt = 0.5}};
    loop.reset_state(2);
    const auto I = ramp<B>(8.0f, 0.4f);
    const auto& [out, record, spike] =
        loop.run_for(50.0, [&](double, std::size_t) -> const Tensor<float, B>& { return I; });
    return std::tuple{record, host_values(spike)};
  };
  const auto [want_record, want_spike] = run(modyn::cpu{});
  const auto [record, spike] = run(modyn::pseudo_device{});
  REQUIRE(record.size() > 0);
  REQUIRE(record.steps == want_record.steps);
  REQUIRE(record.indices == want_record.indices);
  REQUIRE(spike == want_spike);
}
