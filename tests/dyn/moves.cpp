// dyn modules moved with modyn::to<B> (module/rebind.hpp) from modyn::cpu to
// modyn::serial and modyn::pseudo_device: what to<B> must carry besides the
// reflected fields. dyn::PoissonSpikes (no default constructor; its size,
// rate and generator are not reflected) fires as on cpu, and takes no stream
// from the default generator; the spiking neurons keep the list of the last
// step's spikes (fired()), which the spike State they carry describes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/dyn/inputs/poisson.hpp"
#include "modyn/dyn/neurons/adex.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/neurons/izhikevich.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/rebind.hpp"

namespace dyn = modyn::dyn;
using modyn::Shape;
using modyn::Tensor;

namespace {

constexpr std::size_t neurons = 37;  // not a multiple of any SIMD width

modyn::Context step_context(std::size_t i, double dt) {
  return modyn::Context{.t = static_cast<double>(i) * dt, .i = i, .dt = dt};
}

template <class X>
auto host_values(const X& x) {
  return modyn::to<modyn::cpu>(x).to_vector();
}

template <class B>
std::vector<std::int32_t> fired_indices(const dyn::SpikeList<B>& fired) {
  return host_values(Tensor<std::int32_t, B>(fired.indices()));
}

// first + k * step for neuron k.
Tensor<float> per_neuron(float first, float step) {
  std::vector<float> v(neurons);
  for (std::size_t k = 0; k < neurons; ++k) v[k] = first + step * static_cast<float>(k);
  return Tensor<float>(Shape{neurons}, std::span<const float>(v));
}

// Steps `source` and `moved` (its to<B> copy, made before) through the same
// steps and requires the same spikes at each.
template <class Source, class Moved>
void require_same_spikes(Source& source, Moved& moved, std::size_t first_step, std::size_t steps, double dt) {
  for (std::size_t i = first_step; i < first_step + steps; ++i) {
    INFO("step " << i);
    const auto& want = source(step_context(i, dt));
    REQUIRE(host_values(moved(step_context(i, dt))) == want.to_vector());
  }
}

}  // namespace

TEMPLATE_TEST_CASE("dyn::PoissonSpikes moved with to<B> fires as on cpu", "[dyn][poisson][backends][rebind]",
                   modyn::serial, modyn::pseudo_device) {
  using B = TestType;
  constexpr double dt = 0.1;
  SECTION("a constant rate") {
    dyn::PoissonSpikes cpu(neurons, 2000.0, 21);
    cpu.set_name("drive");
    auto moved = modyn::to<B>(cpu);
    STATIC_REQUIRE(std::is_same_v<decltype(moved), dyn::PoissonSpikes<float, B, double>>);
    CHECK(moved.name() == "drive");
    CHECK(moved.size() == neurons);
    CHECK(moved.rate() == 2000.0);
    require_same_spikes(cpu, moved, 0, 8, dt);
  }
  SECTION("a rate function of t") {
    const auto onset = [](double t) { return t < 0.35 ? 0.0 : 3000.0; };
    dyn::PoissonSpikes cpu(neurons, onset, 22);
    auto moved = modyn::to<B>(cpu);
    require_same_spikes(cpu, moved, 0, 8, dt);
  }
  SECTION("per-neuron rates, with a batch") {
    dyn::PoissonSpikes cpu(neurons, per_neuron(0.0f, 200.0f), 23);
    cpu.reset_state(2);
    auto moved = modyn::to<B>(cpu);
    STATIC_REQUIRE(std::is_same_v<decltype(moved), dyn::PoissonSpikes<float, B, Tensor<float, B>>>);
    CHECK(host_values(moved.rate()) == cpu.rate().to_vector());
    CHECK(moved.spike->shape() == Shape{2, neurons});
    require_same_spikes(cpu, moved, 0, 8, dt);
  }
  SECTION("moved after some steps: the spike State comes along, the next steps are cpu's") {
    dyn::PoissonSpikes cpu(neurons, 2500.0, 24);
    for (std::size_t i = 0; i < 5; ++i) cpu(step_context(i, dt));
    auto moved = modyn::to<B>(cpu);
    CHECK(host_values(*moved.spike) == cpu.spike->to_vector());
    require_same_spikes(cpu, moved, 5, 8, dt);
  }
  SECTION("unseeded: the source's generator, none taken from InitGenerator") {
    const auto next_stream_after = [](bool move) {
      modyn::manual_seed(9);
      dyn::PoissonSpikes cpu(neurons, 2000.0);
      if (move) {
        auto moved = modyn::to<B>(cpu);
        require_same_spikes(cpu, moved, 0, 4, dt);
      }
      Tensor<float> next = Tensor<float>::empty(Shape{8});
      modyn::InitGenerator::instance().next().uniform(next);
      return next.to_vector();
    };
    CHECK(next_stream_after(true) == next_stream_after(false));
  }
}

namespace {

// Steps a neuron on cpu until some fire (drive per neuron, plus nothing
// else), moves it to B, and requires the same fired() list and spike flags
// on B; then both go on for `more` steps with the same spikes.
template <class B, class Neuron>
void require_fired_list_moves(Neuron cpu, const Tensor<float>& drive, double dt, std::size_t more) {
  std::size_t i = 0;
  for (; i < 20000 && cpu.fired().empty(); ++i) cpu(step_context(i, dt), drive);
  REQUIRE(!cpu.fired().empty());
  auto moved = modyn::to<B>(cpu);
  CHECK(fired_indices(moved.fired()) == fired_indices(cpu.fired()));
  CHECK(host_values(*moved.spike) == cpu.spike->to_vector());
  const auto drive_on_b = modyn::to<B>(drive);
  for (std::size_t k = i; k < i + more; ++k) {
    INFO("step " << k);
    cpu(step_context(k, dt), drive);
    moved(step_context(k, dt), drive_on_b);
    REQUIRE(fired_indices(moved.fired()) == fired_indices(cpu.fired()));
  }
}

}  // namespace

TEMPLATE_TEST_CASE("dyn neurons moved with to<B> keep the last step's fired() list",
                   "[dyn][neurons][backends][rebind]", modyn::serial, modyn::pseudo_device) {
  using B = TestType;
  SECTION("LIF") {
    require_fired_list_moves<B>(dyn::LIF<float>(neurons), per_neuron(14.0f, 0.375f), 0.5, 20);
  }
  SECTION("HH") { require_fired_list_moves<B>(dyn::HH<float>(neurons), per_neuron(1.0f, 0.5f), 0.05, 20); }
  SECTION("Izhikevich") {
    require_fired_list_moves<B>(dyn::Izhikevich<float>(neurons, dyn::izhikevich::chattering),
                                per_neuron(0.0f, 0.4f), 0.25, 20);
  }
  SECTION("AdEx") { require_fired_list_moves<B>(dyn::AdEx<float>(neurons), per_neuron(0.0f, 1.0f), 0.1, 20); }
}
