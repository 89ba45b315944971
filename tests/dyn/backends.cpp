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

TEST_CASE("spike_monitor on modyn::pseudo_device gathers the emitted lists on the device, equal to cpu's",
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

// A State without an emitted list (a synapse's conductance) is recorded from
// its flags: on a device, whole flag vectors are gathered in a device chunk
// of 65536 elements, copied to the host when full. 1000 steps of 74 values
// fill it once mid-run: the record must not notice.
TEST_CASE("spike_monitor on modyn::pseudo_device records a State's non-zeros across chunk flushes",
          "[dyn][backends][loop_over_time][monitor][spike_monitor]") {
  using modyn::spike_monitor;
  const auto run = []<class B>(B) {
    modyn::LoopOverTime loop{modyn::to<B>(Net<modyn::cpu>{}), spike_monitor<"syn.g">, {.dt = 0.5}};
    loop.reset_state(2);
    const auto I = ramp<B>(8.0f, 0.4f);
    const auto& [out, record] = loop.run_for(
        500.0, [current = &I](double, std::size_t) -> const Tensor<float, B>& { return *current; });
    return record;
  };
  const auto want = run(modyn::cpu{});
  const auto got = run(modyn::pseudo_device{});
  REQUIRE(want.num_steps == 1000);
  REQUIRE(want.size() > 10000);
  REQUIRE(got.steps == want.steps);
  REQUIRE(got.indices == want.indices);
}
