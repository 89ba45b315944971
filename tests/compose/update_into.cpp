// The output-into protocol (compose/update_into.hpp): LoopOverTime hands the
// last module of a step its history row, and dyn::LIF writes its spikes
// there in its own pass. The outputs, States and monitors must be those of
// the copying path, bit for bit; the module's update_into must be what runs
// (every step but the first, which gives the history its shape); and a warm
// run allocates nothing.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "compose/allocation_counter.hpp"
#include "modyn/modyn.hpp"

using modyn::Context;
using modyn::LoopOptions;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::Sequential;
using modyn::Tensor;
using modyn::TensorView;
namespace dyn = modyn::dyn;
namespace nn = modyn::nn;

namespace {

using Lif = dyn::LIF<float, modyn::cpu, dyn::euler>;

// The same elements, bit for bit (a NaN equals itself, 0 is not -0).
template <class A, class B>
bool same_bits(const A& a, const B& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// A LIF without update_into: the loop copies its spikes, as before the
// protocol.
struct CopiedLif : modyn::Module<CopiedLif> {
  using tensor_type = Tensor<float>;
  Lif lif;
  MODYN_FIELDS(lif)

  explicit CopiedLif(Lif l) : lif(std::move(l)) {}
  template <class X>
  const tensor_type& update(const X& x, const Context& c) {
    return lif.update(c, x);
  }
};

// Doubles its input; counts how each step ran.
struct Doubler : modyn::Module<Doubler> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> calls{modyn::Shape{1}};  // (a State: a module, not a stateless entry)
  MODYN_FIELDS(calls)

  std::size_t updates = 0, intos = 0;
  tensor_type out;

  template <class X>
  const tensor_type& update(const X& x, const Context&) {
    ++updates;
    out.ensure_shape(x.shape());
    for (std::size_t k = 0; k < x.size(); ++k) out.data()[k] = 2.0f * x.data()[k];
    return out;
  }
  template <class X>
  void update_into(const X& x, const Context&, TensorView<float, modyn::cpu> row) {
    ++intos;
    if (!(row.shape() == x.shape())) throw modyn::shape_error("Doubler: wrong row shape");
    for (std::size_t k = 0; k < x.size(); ++k) row.data()[k] = 2.0f * x.data()[k];
  }
};

Lif make_lif(float tau_ref) {
  return Lif(16, {.V_rest = 0.0f, .V_reset = 0.0f, .V_th = 1.0f, .tau = 1.0f, .R = 1.0f, .tau_ref = tau_ref});
}

// Currents around the threshold: some neurons fire, some often.
Tensor<float> currents(std::size_t steps, std::size_t batch) {
  return modyn::Rng(7).normal<float>({steps, batch, 16}, 1.2f, 0.6f);
}

}  // namespace

static_assert(modyn::UpdatesInto<Lif, TensorView<const float, modyn::cpu>, TensorView<float, modyn::cpu>>);
static_assert(
    !modyn::UpdatesInto<CopiedLif, TensorView<const float, modyn::cpu>, TensorView<float, modyn::cpu>>);
static_assert(modyn::UpdatesInto<Sequential<nn::Dense<>, Lif>, TensorView<const float, modyn::cpu>,
                                 TensorView<float, modyn::cpu>>);
static_assert(!modyn::UpdatesInto<Sequential<Lif, nn::Dense<>>, TensorView<const float, modyn::cpu>,
                                  TensorView<float, modyn::cpu>>);

TEST_CASE("a LIF writing into the loop's history gives the copying path's outputs and States, bit for bit",
          "[compose][loop][update_into]") {
  const float tau_ref = GENERATE(0.0f, 0.3f);  // 0: the pass without refractory_left (begin_run finds it)
  const bool time_major = GENERATE(true, false);
  CAPTURE(tau_ref, time_major);
  const std::size_t steps = 40, batch = 3;
  Tensor<float> x = currents(steps, batch);
  if (!time_major) x = modyn::Rng(7).normal<float>({batch, steps, 16}, 1.2f, 0.6f);

  LoopOverTime into{make_lif(tau_ref), monitor<"V">, LoopOptions{.time_major = time_major}};
  LoopOverTime copied{CopiedLif(make_lif(tau_ref)), monitor<"lif.V">, LoopOptions{.time_major = time_major}};
  into.reset_state(batch);
  copied.reset_state(batch);
  for (int run = 0; run < 2; ++run) {  // the second run starts from the first's States
    const auto& [y, v] = into(x);
    const auto& [y_copied, v_copied] = copied(x);
    CHECK(same_bits(y, y_copied));
    CHECK(same_bits(v, v_copied));
    CHECK(same_bits(into.model().V.value(), copied.model().lif.V.value()));
    CHECK(same_bits(into.model().spike.value(), copied.model().lif.spike.value()));
    CHECK(into.model().refractory_left.value() == copied.model().lif.refractory_left.value());
    CHECK(into.model().fired().size() == copied.model().lif.fired().size());
  }

  // Stepped by hand outside a run: update's full pass (refractory_left read
  // and written) every step.
  Lif by_hand = make_lif(tau_ref);
  by_hand.reset_state(batch);
  const Tensor<float> x_tm = time_major ? x : currents(steps, batch);
  if (time_major) {
    auto expected = Tensor<float>::empty(modyn::Shape{steps, batch, 16});
    Context c{};
    for (std::size_t t = 0; t < steps; ++t) {
      c.i = t;
      c.t = static_cast<double>(t) * c.dt;
      expected[t] = by_hand.update(c, x_tm[t]);
    }
    LoopOverTime again{make_lif(tau_ref)};
    again.reset_state(batch);
    CHECK(same_bits(again(x), expected));
    CHECK(same_bits(again.model().V.value(), by_hand.V.value()));
  }
}

TEST_CASE("a LIF with tau_ref = 0 but neurons still refractory at the start runs the full pass",
          "[compose][loop][update_into]") {
  // (refractory_left loaded, say, from a run with another tau_ref: the
  // neurons are held until it runs out, as stepping by hand holds them.)
  const std::size_t steps = 10, batch = 2;
  const Tensor<float> x = currents(steps, batch);
  LoopOverTime loop{make_lif(0.0f)};
  Lif by_hand = make_lif(0.0f);
  loop.reset_state(batch);
  by_hand.reset_state(batch);
  for (std::size_t k = 0; k < 16; k += 3) {
    loop.model().refractory_left->data()[k] = 0.35f;
    by_hand.refractory_left->data()[k] = 0.35f;
  }
  auto expected = Tensor<float>::empty(modyn::Shape{steps, batch, 16});
  Context c{};
  for (std::size_t t = 0; t < steps; ++t) {
    c.i = t;
    c.t = static_cast<double>(t) * c.dt;
    expected[t] = by_hand.update(c, x[t]);
  }
  CHECK(same_bits(loop(x), expected));
  CHECK(same_bits(loop.model().V.value(), by_hand.V.value()));
  CHECK(same_bits(loop.model().refractory_left.value(), by_hand.refractory_left.value()));
}

TEST_CASE("a Sequential ending in a LIF writes into the history on every path of the loop",
          "[compose][loop][update_into]") {
  const std::size_t steps = 25, batch = 2;
  const auto x = modyn::Rng(3).normal<float>({steps, batch, 5}, 0.5f, 1.0f);
  const auto make = [] { return Sequential{nn::Dense(5, 16, {.seed = 4}), make_lif(0.2f)}; };
  const auto make_copied = [] {
    return Sequential{nn::Dense(5, 16, {.seed = 4}), CopiedLif(make_lif(0.2f))};
  };
  const bool hoist = GENERATE(true, false);
  CAPTURE(hoist);
  LoopOverTime into{make(), monitor<"1.spike">, LoopOptions{.hoist_stateless_head = hoist}};
  LoopOverTime copied{make_copied(), monitor<"1.lif.spike">, LoopOptions{.hoist_stateless_head = hoist}};
  into.reset_state(batch);
  copied.reset_state(batch);
  const auto& [y, s] = into(x);
  const auto& [y_copied, s_copied] = copied(x);
  CHECK(same_bits(y, y_copied));
  CHECK(same_bits(s, s_copied));
  CHECK(same_bits(into.model().get<1>().V.value(), copied.model().get<1>().lif.V.value()));
}

TEST_CASE("run_for with an input and record_output writes into the history", "[compose][loop][update_into]") {
  const auto x = currents(30, 2);
  LoopOverTime into{make_lif(0.0f), LoopOptions{.record_output = true}};
  LoopOverTime copied{CopiedLif(make_lif(0.0f)), LoopOptions{.record_output = true}};
  into.reset_state(2);
  copied.reset_state(2);
  const auto input = [&](double, std::size_t i) { return x[i]; };
  const Tensor<float> y = into.run_for(3.0, input);
  CHECK(y.shape() == modyn::Shape{30, 2, 16});
  CHECK(same_bits(y, copied.run_for(3.0, input)));
  // Without record_output the run keeps no output, and writes no row.
  LoopOverTime quiet{make_lif(0.0f)};
  quiet.reset_state(2);
  CHECK(quiet.run_for(3.0, input).shape() == modyn::Shape{0});
  CHECK(same_bits(quiet.model().V.value(), into.model().V.value()));
}

TEST_CASE("the loop calls the last module's update_into on every step but the first",
          "[compose][loop][update_into]") {
  const auto x = modyn::Rng(5).normal<float>({12, 3, 4});
  SECTION("the model itself") {
    LoopOverTime loop{Doubler{}};
    const Tensor<float> y = loop(x);
    CHECK(loop.model().updates == 1);  // the first step gives the history its shape
    CHECK(loop.model().intos == 11);
    for (std::size_t k = 0; k < x.size(); ++k) REQUIRE(y.data()[k] == 2.0f * x.data()[k]);
  }
  SECTION("the last entry of a Sequential, after a stateless head (hoisted or not)") {
    const bool hoist = GENERATE(true, false);
    LoopOverTime loop{Sequential{modyn::relu, Doubler{}}, LoopOptions{.hoist_stateless_head = hoist}};
    const Tensor<float> y = loop(x);
    CHECK(loop.model().get<1>().updates == 1);
    CHECK(loop.model().get<1>().intos == 11);
    for (std::size_t k = 0; k < x.size(); ++k) REQUIRE(y.data()[k] == 2.0f * std::max(x.data()[k], 0.0f));
  }
  SECTION("not an entry before the last") {
    LoopOverTime loop{Sequential{Doubler{}, modyn::relu}};
    loop(x);
    CHECK(loop.model().get<0>().updates == 12);
    CHECK(loop.model().get<0>().intos == 0);
  }
  SECTION("not when the run keeps no output") {
    LoopOverTime loop{Doubler{}, LoopOptions{.record_output = false}};
    CHECK(loop(x).shape() == modyn::Shape{0});
    CHECK(loop.model().updates == 12);
    CHECK(loop.model().intos == 0);
  }
}

namespace {

// The spike list of a neuron, as a vector.
std::vector<std::int32_t> fired_list(const Lif& lif) {
  return {lif.fired().data(), lif.fired().data() + lif.fired().size()};
}

}  // namespace

TEST_CASE("after a run no monitor observes, a LIF's spike State and list are those of its last step",
          "[compose][loop][update_into]") {
  // (Such a run leaves them to end_run: its steps write the spikes into
  // the history only.)
  const float tau_ref = GENERATE(0.0f, 0.3f);
  CAPTURE(tau_ref);
  const std::size_t steps = 30, batch = 3;
  const Tensor<float> x = currents(steps, batch);
  LoopOverTime into{make_lif(tau_ref)};
  LoopOverTime copied{CopiedLif(make_lif(tau_ref))};
  into.reset_state(batch);
  copied.reset_state(batch);
  for (int run = 0; run < 2; ++run) {
    CHECK(same_bits(into(x), copied(x)));
    const Lif& lif = into.model();
    const Lif& reference = copied.model().lif;
    CHECK(same_bits(lif.spike.value(), reference.spike.value()));
    CHECK(same_bits(lif.V.value(), reference.V.value()));
    CHECK(lif.fired().size() > 0);
    CHECK(fired_list(lif) == fired_list(reference));
  }
}

TEST_CASE("a run that ends by an exception leaves a LIF's States at the last step that completed",
          "[compose][loop][update_into]") {
  const std::size_t batch = 2, completed = 7;
  const Tensor<float> x = modyn::Rng(9).normal<float>({20, batch, 16}, 8.0f, 6.0f);  // spikes at most steps
  LoopOverTime loop{make_lif(0.0f), LoopOptions{.record_output = true}};
  loop.reset_state(batch);
  const auto input = [&](double, std::size_t i) {
    if (i == completed) throw std::runtime_error("input ends");
    return x[i];
  };
  CHECK_THROWS_WITH(loop.run_for(2.0, input), "input ends");

  Lif by_hand = make_lif(0.0f);
  by_hand.reset_state(batch);
  Context c{};
  for (std::size_t t = 0; t < completed; ++t) {
    c.i = t;
    c.t = static_cast<double>(t) * c.dt;
    by_hand.update(c, x[t]);
  }
  CHECK(same_bits(loop.model().spike.value(), by_hand.spike.value()));
  CHECK(same_bits(loop.model().V.value(), by_hand.V.value()));
  CHECK(by_hand.fired().size() > 0);
  CHECK(fired_list(loop.model()) == fired_list(by_hand));
}

TEST_CASE("dyn::LIF::update_into in an unobserved run leaves the spike State to end_run",
          "[compose][update_into]") {
  Lif lif = make_lif(0.0f);
  lif.reset_state(2);
  Context c{};
  lif.begin_run(c);
  c.run_checked = true;
  c.states_unobserved = true;
  const Tensor<float> x = modyn::Tensor<float>::full(modyn::Shape{2, 16}, 20.0f);  // every neuron fires
  auto row = Tensor<float>::empty(modyn::Shape{2, 16});
  lif.update_into(x, c, row.view());
  CHECK(std::all_of(row.data(), row.data() + row.size(), [](float s) { return s == 1.0f; }));
  CHECK(std::all_of(lif.spike->data(), lif.spike->data() + 32, [](float s) { return s == 0.0f; }));
  CHECK(lif.fired().empty());
  lif.end_run(c);
  CHECK(same_bits(lif.spike.value(), row));
  CHECK(lif.fired().size() == 32);
  lif.end_run(c);  // a second call changes nothing
  CHECK(lif.fired().size() == 32);
  // A step through update writes the State itself: end_run has nothing left to write.
  const Tensor<float> quiet = modyn::Tensor<float>::full(modyn::Shape{2, 16}, 0.0f);
  lif.update(c, quiet);
  lif.end_run(c);
  CHECK(lif.fired().empty());
  CHECK(std::all_of(lif.spike->data(), lif.spike->data() + 32, [](float s) { return s == 0.0f; }));
}

TEST_CASE("dyn::LIF::update_into checks the row's shape", "[compose][update_into]") {
  Lif lif = make_lif(0.0f);
  lif.reset_state(2);
  auto row = Tensor<float>::empty(modyn::Shape{3, 16});
  const auto x = Tensor<float>::empty(modyn::Shape{2, 16});
  CHECK_THROWS_AS(lif.update_into(x, Context{}, row.view()), modyn::shape_error);
}

TEST_CASE("a warm LoopOverTime over a Dense and a LIF writing into its history allocates nothing",
          "[compose][loop][update_into][allocation]") {
  auto model = Sequential{nn::Dense(5, 16, {.seed = 4}), make_lif(0.0f)};
  model.get<1>().set_name("l");  // (short: a long name would allocate in messages, never built here)
  LoopOverTime loop{model};
  loop.reset_state(4);
  const auto x = modyn::Rng(3).normal<float>({20, 4, 5}, 0.5f, 1.0f);
  loop(x);
  CHECK(alloc_counter::allocations_in([&] { loop(x); }) == 0);
}
