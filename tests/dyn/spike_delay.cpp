// dyn::SpikeDelay: a spike emitted at step s reaches the synapses at step
// s + 1 + round(d / dt), exactly (a delay of 0: the next step), on the host
// and on memory the host cannot touch; delays that are not whole steps are
// errors, never silently rounded to 0 (brainpy#709's off-by-one).
#include "modyn/dyn/spike_delay.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"
#include "support/helpers.hpp"

namespace dyn = modyn::dyn;
using Catch::Matchers::Contains;

namespace {

constexpr double dt = 0.1;

// Sets a population's list to `ids` (as its pass would have emitted them).
template <class B>
void emit(dyn::SpikeList<B>& list, std::size_t n, const std::vector<std::int32_t>& ids) {
  const auto channel = list.begin_step(n);
  B::copy_from_host(ids.data(), channel.list, ids.size());
  *channel.count = ids.size();
}

// What arrives at each step of a run in which the population emits
// spikes[s] at step s; the delay reads the list of step t - 1 at step t.
template <class B>
std::map<std::size_t, std::vector<std::int32_t>> arrivals(
    double delay_ms, const std::map<std::size_t, std::vector<std::int32_t>>& spikes, std::size_t steps) {
  dyn::SpikeDelay<B> delay(delay_ms);
  dyn::SpikeList<B> fired;
  std::map<std::size_t, std::vector<std::int32_t>> arrived;
  for (std::size_t t = 0; t < steps; ++t) {
    const modyn::Context c{double(t) * dt, t, dt, false};
    const auto now = delay.step(fired, c);  // projections first: fired still holds step t - 1
    if (now.size() > 0) arrived[t] = modyn::to<modyn::cpu>(modyn::Tensor<std::int32_t, B>(now)).to_vector();
    const auto it = spikes.find(t);  // then the population's step t
    emit(fired, 100, it == spikes.end() ? std::vector<std::int32_t>{} : it->second);
  }
  return arrived;
}

}  // namespace

TEMPLATE_TEST_CASE("SpikeDelay: a spike of step s arrives at step s + 1 + round(d / dt)", "[dyn][delay]",
                   modyn::cpu, modyn::pseudo_device) {
  const std::map<std::size_t, std::vector<std::int32_t>> spikes{{3, {7}}, {4, {1, 2, 9}}, {10, {5}}};
  for (const auto& [delay_ms, steps] :
       std::vector<std::pair<double, std::size_t>>{{0.0, 0}, {0.1, 1}, {0.5, 5}, {0.3, 3}}) {
    INFO("delay " << delay_ms << " ms = " << steps << " steps");
    const auto got = arrivals<TestType>(delay_ms, spikes, 30);
    std::map<std::size_t, std::vector<std::int32_t>> want;
    for (const auto& [s, ids] : spikes) want[s + 1 + steps] = ids;
    CHECK(got == want);
  }
}

TEST_CASE("SpikeDelay: lists in flight keep their order and sizes, and clear() drops them", "[dyn][delay]") {
  dyn::SpikeDelay<> delay(0.2);
  dyn::SpikeList<> fired;
  const modyn::Context c{0.0, 0, dt, false};
  emit(fired, 100, {1, 2, 3});
  CHECK(delay.step(fired, c).size() == 0);  // list of step 0 stored
  emit(fired, 100, {});
  CHECK(delay.step(fired, c).size() == 0);
  emit(fired, 100, {4});
  const auto first = delay.step(fired, c);
  CHECK(modyn::Tensor<std::int32_t>(first).to_vector() == std::vector<std::int32_t>{1, 2, 3});
  CHECK(delay.steps() == 2);
  delay.clear();
  CHECK(delay.step(fired, c).size() == 0);  // what was in flight is gone
}

TEST_CASE("SpikeDelay: a delay that is not a whole number of steps is a config_error",
          "[dyn][delay][errors]") {
  CHECK(dyn::SpikeDelay<>::steps_for(0.3, 0.1) == 3);  // 0.3 / 0.1 is 2.9999999999999996 in binary
  CHECK(dyn::SpikeDelay<>::steps_for(1.5, 0.1) == 15);
  CHECK(dyn::SpikeDelay<>::steps_for(0.0, 0.1) == 0);
  CHECK_THAT(
      modyn_test::message_of<modyn::config_error>([] { (void)dyn::SpikeDelay<>::steps_for(0.05, 0.1); }),
      Contains("0.050000 ms") && Contains("not a whole number of steps") && Contains("0.500000 steps"));
  CHECK_THROWS_AS(dyn::SpikeDelay<>::steps_for(0.25, 0.1), modyn::config_error);
  CHECK_THROWS_AS(dyn::SpikeDelay<>(-1.0), modyn::config_error);
  CHECK_THROWS_AS(dyn::SpikeDelay<>::steps_for(1.0, 0.0), modyn::config_error);
  // The error comes at the first step, where dt is known.
  dyn::SpikeDelay<> delay(0.15);
  dyn::SpikeList<> fired;
  CHECK_THROWS_AS(delay.step(fired, modyn::Context{0.0, 0, 0.1, false}), modyn::config_error);
  CHECK(delay.step(fired, modyn::Context{0.0, 0, 0.05, false}).size() == 0);  // 3 steps of 0.05 ms
  CHECK(delay.steps() == 3);
}
