// COBA, CUBA and COBAHH (examples/networks/) against Brian2's statistics in
// shared/BENCHMARKS.md (Brian2 2.5.1, cpp_standalone, N = 4000): the mean
// rate over seeds 1-5 (1 s each) within 15 % of Brian2's, and the CV of the
// inter-spike intervals (2 s runs, seeds 1-3, neurons with >= 3 spikes after
// 200 ms) within 0.15 of Brian2's. And determinism: one seed, one spike
// train, bit for bit; another seed, another network.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>

#include "networks/coba.hpp"
#include "networks/cobahh.hpp"
#include "networks/cuba.hpp"
#include "networks/statistics.hpp"

namespace {

struct Brian2Figures {
  double rate_hz;
  double cv;
};

template <class Net>
modyn::SpikeRecord run(std::uint64_t seed, double ms) {
  Net net({.N = 4000, .p = 0.02, .seed = seed});
  modyn::LoopOverTime loop{net, modyn::spike_monitor<"P.spike">, {.dt = 0.1}};
  const auto& [none, spikes] = loop.run_for(ms);
  return spikes;
}

// The spikes of the first `ms` of a record.
double rate_over(const modyn::SpikeRecord& spikes, double ms) {
  std::size_t count = 0;
  for (std::size_t k = 0; k < spikes.size(); ++k) count += spikes.time(k) < ms;
  return static_cast<double>(count) / (4000.0 * ms / 1000.0);
}

template <class Net>
void check_against_brian2(const Brian2Figures& brian2) {
  double rate_sum = 0.0, cv_sum = 0.0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    // Seeds 1-3 run 2 s (their first second gives the rate), 4-5 run 1 s.
    const modyn::SpikeRecord spikes = run<Net>(seed, seed <= 3 ? 2000.0 : 1000.0);
    rate_sum += rate_over(spikes, 1000.0);
    if (seed <= 3) cv_sum += networks::mean_cv_isi(spikes, 4000);
  }
  const double rate = rate_sum / 5.0, cv = cv_sum / 3.0;
  INFO("mean rate " << rate << " Hz (Brian2 " << brian2.rate_hz << "), CV " << cv << " (Brian2 " << brian2.cv
                    << ")");
  CHECK(rate == Approx(brian2.rate_hz).epsilon(0.15));
  CHECK(cv == Approx(brian2.cv).margin(0.15));
}

template <class Net>
void check_determinism() {
  const modyn::SpikeRecord a = run<Net>(4, 300.0), b = run<Net>(4, 300.0), c = run<Net>(5, 300.0);
  REQUIRE(a.size() > 0);
  CHECK(a.steps == b.steps);
  CHECK(a.indices == b.indices);
  CHECK(a.indices != c.indices);
}

}  // namespace

TEST_CASE("COBA's rate and CV agree with Brian2's", "[networks][validation]") {
  check_against_brian2<networks::Coba<>>({19.7, 1.63});
}
TEST_CASE("CUBA's rate and CV agree with Brian2's", "[networks][validation]") {
  check_against_brian2<networks::Cuba<>>({5.66, 0.59});
}
TEST_CASE("COBAHH's rate and CV agree with Brian2's", "[networks][validation]") {
  check_against_brian2<networks::Cobahh<>>({37.1, 2.14});
}

TEST_CASE("The same seed gives the same spike trains, bit for bit", "[networks][determinism]") {
  check_determinism<networks::Coba<>>();
  check_determinism<networks::Cuba<>>();
  check_determinism<networks::Cobahh<>>();
}

TEST_CASE("A network's state dict, reset and monitors work by path", "[networks]") {
  networks::Coba<> net({.N = 400, .p = 0.05, .seed = 3});
  const modyn::StateDict dict = net.state_dict();
  for (const char* key : {"P.V", "P.refractory_left", "exc.comm.weight", "exc.syn.g", "inh.syn.g"}) {
    INFO(key);
    CHECK(dict.contains(key));
  }
  CHECK(dict.at("exc.comm.weight").shape() == modyn::Shape{1});
  modyn::LoopOverTime loop{net, modyn::monitor<"exc.syn.g">, modyn::spike_monitor<"P.spike">, {.dt = 0.1}};
  const auto& [none, ge, spikes] = loop.run_for(50.0);
  CHECK(ge.shape() == modyn::Shape{500, 400});
  const auto first = spikes.indices;
  // reset_state draws the same initial state: the run repeats itself.
  loop.reset_state();
  loop.reset_time();
  const auto& [none2, ge2, again] = loop.run_for(50.0);
  CHECK(again.indices == first);
}
