// The spike lists neurons emit in their fused pass (dyn/spike_list.hpp):
// exactly the neurons whose spike State is 1, in index order, flat over a
// batch; cleared by reset_state; read by spike monitors.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/modyn.hpp"

using namespace modyn;

namespace {

template <class Neuron>
std::vector<std::int64_t> flags_of(const Neuron& n) {
  std::vector<std::int64_t> out;
  const auto& s = n.spike.value();
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s.data()[i] != 0) out.push_back(static_cast<std::int64_t>(i));
  return out;
}

template <class Neuron>
std::vector<std::int64_t> list_of(const Neuron& n) {
  const auto& fired = n.fired();
  return std::vector<std::int64_t>(fired.data(), fired.data() + fired.size());
}

// A population whose spike flags are cleared after its step: a monitor that
// scanned the flags would see nothing.
struct Hidden : Module<Hidden> {
  dyn::LIF<> neurons{50, {.V_rest = 0, .V_reset = 0, .V_th = 1, .tau = 5}};
  MODYN_FIELDS(neurons)
  template <class X>
  const Tensor<float>& update(const X& x, const Context& c) {
    const auto& s = neurons(c, x);
    neurons.spike.value() = zeros<float>(s.shape());
    return s;
  }
};

}  // namespace

TEMPLATE_TEST_CASE("neurons: the emitted list is the spiking neurons, in order", "[dyn][spike_list]",
                   dyn::LIF<>, dyn::Izhikevich<>, dyn::AdEx<>, dyn::HH<>) {
  const std::size_t n = 37;
  TestType neurons(n);
  Tensor<float> drive = Tensor<float>::empty({n});
  for (std::size_t i = 0; i < n; ++i) drive(i) = 10.0f + 5.0f * static_cast<float>(i % 5);  // diverse rates
  Context c{};
  c.dt = 0.1;
  std::size_t total = 0;
  for (std::size_t step = 0; step < 2000; ++step, c.t += c.dt) {
    neurons(c, drive);
    REQUIRE(list_of(neurons) == flags_of(neurons));
    total += neurons.fired().size();
  }
  REQUIRE(total > 0);  // the check above saw spikes
  neurons.reset_state();
  REQUIRE(neurons.fired().empty());
}

TEST_CASE("LIF with a batch axis: flat indices over (batch, N), per-sample input broadcast",
          "[dyn][spike_list]") {
  const std::size_t n = 21, batch = 3;
  dyn::LIF<> neurons(n, {.V_rest = 0, .V_reset = 0, .V_th = 1, .tau = 10});
  neurons.reset_state(batch);
  Tensor<float> drive = Tensor<float>::empty({n});
  for (std::size_t i = 0; i < n; ++i) drive(i) = 0.5f + 0.2f * static_cast<float>(i);
  Context c{};
  std::size_t total = 0;
  for (std::size_t step = 0; step < 500; ++step) {
    neurons(c, drive);
    const auto list = list_of(neurons);
    REQUIRE(list == flags_of(neurons));
    // Every sample sees the same input: the rows spike alike.
    std::vector<std::int64_t> rows[batch];
    for (const auto i : list) rows[i / n].push_back(i % static_cast<std::int64_t>(n));
    REQUIRE(rows[0] == rows[1]);
    REQUIRE(rows[1] == rows[2]);
    total += list.size();
  }
  REQUIRE(total > 0);
}

TEST_CASE("spike_monitor of a neuron's spike State reads its emitted list", "[dyn][spike_list][monitor]") {
  LoopOverTime loop{Hidden{}, spike_monitor<"neurons.spike">, monitor<"neurons.V">, {.dt = 0.1}};
  const auto& [out, spikes, v] = loop(full<float>({300, 50}, 1.5f));
  REQUIRE(sum(out) == 0.0f);   // the flags were cleared ...
  REQUIRE(spikes.size() > 0);  // ... but the list was recorded
  // Each recorded spike is a reset: V is 0 at that step.
  for (std::size_t k = 0; k < spikes.size(); ++k) {
    REQUIRE(v(static_cast<std::size_t>(spikes.steps[k]), static_cast<std::size_t>(spikes.indices[k])) ==
            0.0f);
  }
}
