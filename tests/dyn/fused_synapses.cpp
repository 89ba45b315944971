// Synapse traces as in-place input terms (Expon::decaying_into): the decay
// runs in the neuron's pass, and the neuron sees the input it sees when the
// synapse updates in its own pass.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <vector>

#include "modyn/modyn.hpp"

using namespace modyn;

namespace {

// Deterministic sparse input: a weight where (step, i) hits a pattern.
Tensor<float> arrivals(std::size_t n, std::size_t step, float w) {
  auto x = zeros<float>({n});
  for (std::size_t i = 0; i < n; ++i)
    if ((i * 7 + step * 3) % 11 == 0) x(i) = w;
  return x;
}

}  // namespace

TEST_CASE("Expon::decaying_into: the same neuron input as a separate synapse pass", "[dyn][synapse][fused]") {
  const std::size_t n = 45;  // vectors and a tail
  const dyn::LIF<>::Options o{.V_rest = -60, .V_reset = -60, .V_th = -50, .tau = 20, .tau_ref = 2};
  dyn::LIF<> separate(n, o), fused(n, o);
  dyn::Expon<> e1(n, {.tau = 5}), i1(n, {.tau = 10}), e2(n, {.tau = 5}), i2(n, {.tau = 10});
  const dyn::COBA<> excitatory{0.0f}, inhibitory{-80.0f};
  Context c{};
  std::size_t spikes = 0;
  for (std::size_t step = 0; step < 2000; ++step, c.t += c.dt) {
    const auto xe = arrivals(n, step, 0.6f), xi = arrivals(n, step + 5, 0.4f);
    separate(c, excitatory(e1.update(c, xe)), inhibitory(i1.update(c, xi)));
    e2.deliver(xe);
    i2.deliver(xi);
    fused(c, e2.decaying_into(excitatory, c), i2.decaying_into(inhibitory, c));
    // The same arithmetic, but the compiler may contract g decay + x into one
    // FMA in Expon::update and not here: equal to float rounding.
    REQUIRE(allclose(fused.V.value(), separate.V.value(), 1e-6, 1e-5));
    REQUIRE(fused.spike.value() == separate.spike.value());
    // Between steps the fused trace is held one decay later.
    const float decay = static_cast<float>(std::exp(-c.dt / 5.0));
    REQUIRE(allclose(e2.g.value(), e1.g.value() * decay, 1e-6, 1e-7));
    spikes += fused.fired().size();
  }
  REQUIRE(spikes > 0);
}

TEST_CASE("Expon::decaying_into: one pass, the trace decays exactly", "[dyn][synapse][fused]") {
  dyn::LIF<> neurons(3);
  dyn::Expon<> syn(3, {.tau = 4});
  const dyn::CUBA<> cuba;
  syn.deliver(Tensor<float>{1.0f, 2.0f, 0.0f});
  Context c{};
  for (std::size_t k = 1; k <= 10; ++k) {
    neurons(c, syn.decaying_into(cuba, c));
    const double d = std::exp(-0.1 * static_cast<double>(k) / 4.0);
    CHECK(syn.g.value()(0) == Approx(d).epsilon(1e-5));
    CHECK(syn.g.value()(1) == Approx(2 * d).epsilon(1e-5));
    CHECK(syn.g.value()(2) == 0.0f);
  }
}

TEST_CASE("Expon::decaying_into: the trace must have the neurons' full shape", "[dyn][synapse][fused]") {
  dyn::LIF<> neurons(4);
  neurons.reset_state(2);  // (2, 4)
  dyn::Expon<> syn(4);     // (4,): could be broadcast, but it is written
  const dyn::COBA<> coba;
  Context c{};
  REQUIRE_THROWS_WITH(neurons(c, syn.decaying_into(coba, c)),
                      Catch::Contains("decaying synapse") && Catch::Contains("must have their shape"));
}

TEST_CASE("Expon::decaying_into with a constant arrival: the whole step in the neurons' pass",
          "[dyn][synapse][fused]") {
  const std::size_t n = 19;
  const dyn::LIF<>::Options o{.V_rest = -60, .V_reset = -60, .V_th = -50, .tau = 20, .tau_ref = 2};
  dyn::LIF<> separate(n, o), fused(n, o);
  dyn::Expon<> e1(n, {.tau = 5}), e2(n, {.tau = 5});
  const dyn::COBA<> excitatory{0.0f};
  Context c{};
  std::size_t spikes = 0;
  for (std::size_t step = 0; step < 1000; ++step, c.t += c.dt) {
    separate(c, excitatory(e1.update(c, 0.02f)));
    fused(c, e2.decaying_into(excitatory, c, 0.02f));
    REQUIRE(allclose(fused.V.value(), separate.V.value(), 1e-6, 1e-5));
    REQUIRE(fused.spike.value() == separate.spike.value());
    const float decay = static_cast<float>(std::exp(-c.dt / 5.0));
    REQUIRE(allclose(e2.g.value(), e1.g.value() * decay, 1e-5, 1e-7));
    spikes += fused.fired().size();
  }
  REQUIRE(spikes > 0);
}
