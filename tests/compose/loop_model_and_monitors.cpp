// modyn::LoopOverTime and its model: reset_state reaches every module's
// on_reset_state hook, named_modules lists the model, an lvalue model is
// shared and an rvalue owned, any number of monitors with or without
// options, monitor paths through std::array / std::vector / std::tuple of
// modules, and when a run keeps the model's output.
#include <array>
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"
#include "support/helpers.hpp"

using modyn::Context;
using modyn::LoopOptions;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::monitor_list;
using modyn::RecordOutput;
using modyn::spike_monitor;
using modyn::Tensor;
namespace dyn = modyn::dyn;
namespace nn = modyn::nn;

namespace {

// As a COBA population: its initial V is drawn in on_reset_state (here a
// known pattern, -60 + 2 k), and each step adds 1 to V.
struct DrawnStart : modyn::Module<DrawnStart> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> V{modyn::Shape{4}};
  MODYN_FIELDS(V)

  void on_reset_state(std::size_t) {
    for (std::size_t k = 0; k < V->size(); ++k) V->data()[k] = -60.0f + 2.0f * float(k % 4);
  }
  const tensor_type& update(const Context&) {
    for (std::size_t k = 0; k < V->size(); ++k) V->data()[k] += 1.0f;
    return *V;
  }
};

// The model's own hook records the batch size it was given and the
// population's V after that population's hook ran.
struct Network : modyn::Module<Network> {
  using tensor_type = Tensor<float>;
  DrawnStart pop;
  modyn::State<tensor_type> first_v{modyn::Shape{1}};
  MODYN_FIELDS(pop, first_v)

  std::vector<std::size_t> resets;  // the batch size of every on_reset_state call

  void on_reset_state(std::size_t batch_size) {
    resets.push_back(batch_size);
    first_v->data()[0] = pop.V->data()[0];
  }
  const tensor_type& update(const Context& c) { return pop(c); }
};

}  // namespace

TEST_CASE("LoopOverTime::reset_state calls the model's on_reset_state and every submodule's",
          "[compose][loop][reset]") {
  Network net;
  LoopOverTime loop{net, monitor<"pop.V">};
  loop.reset_state(0);
  // The model's hook ran once, after its population's (which set V).
  CHECK(net.resets == std::vector<std::size_t>{0});
  CHECK(net.first_v.value() == Tensor<float>{-60.0f});
  CHECK(net.pop.V.value() == Tensor<float>{-60.0f, -58.0f, -56.0f, -54.0f});

  const auto& [out, v] = loop.run_for(0.2);  // 2 steps from the drawn V
  CHECK(Tensor<float>(v[1]) == Tensor<float>{-58.0f, -56.0f, -54.0f, -52.0f});
  (void)out;

  loop.reset_state(3);
  CHECK(net.resets == std::vector<std::size_t>{0, 3});
  REQUIRE(net.pop.V.value().shape() == modyn::Shape{3, 4});
  CHECK(net.pop.V.value()(2, 3) == -54.0f);
}

TEST_CASE("LoopOverTime::named_modules lists the model at \"\" and its modules, at the model's paths",
          "[compose][loop][reflection]") {
  modyn::Sequential seq{modyn::named<"l1">(nn::RNNCell(6, 4)), modyn::relu, nn::GRUCell(4, 2)};
  LoopOverTime loop{seq, monitor<"l1.h">};
  const auto mine = loop.named_modules();
  const auto model = seq.named_modules();
  REQUIRE(mine.size() == model.size());
  REQUIRE(mine.size() == 3);
  for (std::size_t k = 0; k < mine.size(); ++k) {
    INFO("module " << k);
    CHECK(mine[k].first == model[k].first);
    CHECK(mine[k].second.name == model[k].second.name);
    CHECK(mine[k].second.type == model[k].second.type);
    CHECK(mine[k].second.num_parameters == model[k].second.num_parameters);
  }
  CHECK(mine[0].first == "");
  CHECK(mine[0].second.type == "Sequential");
  CHECK(mine[1].first == "l1");
  CHECK(mine[2].first == "2");
  CHECK(loop.named_children().size() == 2);
  CHECK(loop.modules().size() == 3);
  CHECK(loop.named_modules(false).size() == 2);

  std::vector<std::string> visited;
  loop.for_each_module([&](std::string_view path, const auto&, int) { visited.emplace_back(path); });
  CHECK(visited == std::vector<std::string>{"", "l1", "2"});

  // The state dict keeps the model's keys, with no prefix.
  loop.reset_state(2);
  CHECK(loop.state_dict().keys() == seq.state_dict().keys());
  CHECK(ref::paths_of(loop.named_states()) == std::vector<std::string>{"l1.h", "2.h"});
}

TEST_CASE("LoopOverTime shares an lvalue model and owns an rvalue one", "[compose][loop][ownership]") {
  using Pop = DrawnStart;

  SECTION("an lvalue: after the run the caller's model holds the run's states") {
    Pop model;
    LoopOverTime loop{model, monitor<"V">};
    STATIC_REQUIRE(std::is_same_v<decltype(loop), LoopOverTime<Pop&, monitor_list<modyn::Monitor<"V">>>>);
    CHECK(&loop.model() == &model);
    loop.reset_state();
    const Tensor<float> reset_value = model.V.value();
    loop.run_for(0.5);  // 5 steps
    CHECK(model.V.value() == loop.model().V.value());
    CHECK_FALSE(model.V.value() == reset_value);
    CHECK(model.V.value() == reset_value + 5.0f);
  }
  SECTION("an rvalue, or std::move(model): the loop owns it") {
    LoopOverTime owned{Pop{}, monitor<"V">};
    STATIC_REQUIRE(std::is_same_v<decltype(owned), LoopOverTime<Pop, monitor_list<modyn::Monitor<"V">>>>);
    owned.reset_state();
    owned.run_for(0.3);
    CHECK(owned.model().V.value() == Tensor<float>{-57.0f, -55.0f, -53.0f, -51.0f});

    Pop model;
    LoopOverTime moved{std::move(model)};
    STATIC_REQUIRE(std::is_same_v<decltype(moved), LoopOverTime<Pop>>);
    CHECK(&moved.model() != &model);
  }
  SECTION("modyn::clone(model): a private copy; a const model is copied") {
    Pop model;
    model.reset_state();
    const Tensor<float> before = model.V.value();
    LoopOverTime copy{modyn::clone(model)};
    STATIC_REQUIRE(std::is_same_v<decltype(copy), LoopOverTime<Pop>>);
    copy.run_for(1.0);
    CHECK(model.V.value() == before);
    CHECK(copy.model().V.value() == before + 10.0f);

    const Pop& constant = model;
    LoopOverTime from_const{constant};
    STATIC_REQUIRE(std::is_same_v<decltype(from_const), LoopOverTime<Pop>>);
    from_const.run_for(0.1);
    CHECK(model.V.value() == before);
  }
  SECTION("a Sequential shared by a loop is the one the loop trains and runs") {
    modyn::Sequential seq{nn::RNNCell(3, 2)};
    LoopOverTime loop{seq};
    seq.reset_state(1);
    loop(Tensor<float>::ones({4, 1, 3}));
    const Tensor<float> h = seq.get<0>().h.value();
    CHECK_FALSE(h == Tensor<float>::zeros({1, 2}));
    CHECK(loop.model().get<0>().h.value() == h);
  }
}

namespace {

// Element k of x at step i is 100 i + k.
struct Counter : modyn::Module<Counter> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> x{modyn::Shape{10}};
  MODYN_FIELDS(x)
  const tensor_type& update(const Context& c) {
    for (std::size_t k = 0; k < x->size(); ++k) x->data()[k] = float(100 * c.i + k);
    return *x;
  }
};

}  // namespace

TEST_CASE("LoopOverTime takes any number of monitors, with or without options", "[compose][loop][monitors]") {
  SECTION("six monitors and braced options") {
    LoopOverTime loop{Counter{},
                      monitor<"x">.neurons({0}),
                      monitor<"x">.neurons({1}),
                      monitor<"x">.neurons({2}),
                      monitor<"x">.neurons({3}),
                      monitor<"x">.neurons({4}),
                      monitor<"x">.neurons({5}),
                      {.dt = 0.5, .record_output = true}};
    const auto& [out, m0, m1, m2, m3, m4, m5] = loop.run_for(2.0);  // 4 steps
    CHECK(loop.options().dt == 0.5);
    const std::array<const Tensor<float>*, 6> histories{&m0, &m1, &m2, &m3, &m4, &m5};
    REQUIRE(out.shape() == modyn::Shape{4, 10});
    for (std::size_t k = 0; k < 6; ++k) {
      REQUIRE(histories[k]->shape() == modyn::Shape{4, 1});
      for (std::size_t i = 0; i < 4; ++i) CHECK((*histories[k])(i, 0) == float(100 * i + k));
    }
  }
  SECTION("ten monitors and typed options") {
    LoopOverTime loop{Counter{},
                      monitor<"x">.neurons({0}),
                      monitor<"x">.neurons({1}),
                      monitor<"x">.neurons({2}),
                      monitor<"x">.neurons({3}),
                      monitor<"x">.neurons({4}),
                      monitor<"x">.neurons({5}),
                      monitor<"x">.neurons({6}),
                      monitor<"x">.neurons({7}),
                      monitor<"x">.neurons({8}),
                      monitor<"x">.neurons({9}),
                      LoopOptions{.t0 = 1.0, .i0 = 3}};
    STATIC_REQUIRE(std::tuple_size_v<decltype(loop.run_for(0.0))> == 11);
    const auto results = loop.run_for(0.3);  // steps 3, 4, 5
    CHECK(loop.options().i0 == 3);
    CHECK(std::get<0>(results).shape() == modyn::Shape{0});  // run_for keeps no output by default
    CHECK(std::get<1>(results)(0, 0) == 300.0f);
    CHECK(std::get<7>(results)(2, 0) == 506.0f);
    CHECK(std::get<10>(results)(1, 0) == 409.0f);
  }
  SECTION("ten monitors without options") {
    LoopOverTime loop{Counter{},    monitor<"x">, monitor<"x">,         monitor<"x">,
                      monitor<"x">, monitor<"x">, monitor<"x">,         monitor<"x">,
                      monitor<"x">, monitor<"x">, monitor<"x">.every(2)};
    const auto results = loop.run_for(0.5);
    CHECK(std::get<9>(results)(4, 9) == 409.0f);
    CHECK(std::get<10>(results).shape() == modyn::Shape{3, 10});
  }
  SECTION("no monitors: the output alone, with or without options") {
    LoopOverTime plain{Counter{}};
    LoopOverTime with_options{Counter{}, {.dt = 0.25, .record_output = true}};
    STATIC_REQUIRE(std::is_same_v<decltype(plain), LoopOverTime<Counter>>);
    STATIC_REQUIRE(std::is_same_v<decltype(with_options), LoopOverTime<Counter>>);
    const Tensor<float>& out = with_options.run_for(1.0);
    REQUIRE(out.shape() == modyn::Shape{4, 10});
    CHECK(out(3, 2) == 302.0f);
    CHECK(plain.run_for(1.0).shape() == modyn::Shape{0});
  }
}

TEST_CASE("LoopOptions::record_output: loop(x) keeps the output, run_for keeps none unless asked",
          "[compose][loop][record_output]") {
  const auto x = Tensor<float>::ones({5, 2, 3});  // (T, B, N)
  modyn::Sequential seq{nn::RNNCell(3, 4)};

  SECTION("by default (automatic)") {
    LoopOverTime loop{seq};
    CHECK(loop.options().record_output == RecordOutput::automatic);
    loop.reset_state(2);
    CHECK(ref::shape_of(loop(x)) == std::vector<std::size_t>{5, 2, 4});
    LoopOverTime sim{Counter{}, monitor<"x">};
    const auto& [out, hist] = sim.run_for(10.0);  // 100 steps
    CHECK(out.shape() == modyn::Shape{0});
    CHECK(hist.shape() == modyn::Shape{100, 10});
    // With an input function too.
    LoopOverTime driven{seq};
    driven.reset_state(2);
    const auto input = [](double, std::size_t) { return Tensor<float>::ones({2, 3}); };
    CHECK(driven.run_for(0.5, input).shape() == modyn::Shape{0});
  }
  SECTION("true (always) records in run_for; false and never record nothing, even in loop(x)") {
    LoopOverTime sim{Counter{}, {.record_output = true}};
    CHECK(sim.options().record_output == RecordOutput::always);
    const auto& out = sim.run_for(0.3);
    REQUIRE(out.shape() == modyn::Shape{3, 10});
    CHECK(out(2, 4) == 204.0f);

    LoopOverTime off{seq, {.record_output = false}};
    off.reset_state(2);
    CHECK(off(x).shape() == modyn::Shape{0});
    LoopOverTime never{seq, {.record_output = RecordOutput::never}};
    never.reset_state(2);
    CHECK(never(x).shape() == modyn::Shape{0});
    LoopOverTime automatic{Counter{}, {.record_output = RecordOutput::automatic}};
    CHECK(automatic.run_for(0.3).shape() == modyn::Shape{0});
  }
}

namespace {

// Two LIF populations held in a container C, driven by constant currents
// (population 1 fires, population 0 stays below threshold).
template <class C>
struct Populations : modyn::Module<Populations<C>> {
  using tensor_type = Tensor<float>;
  C pops;
  MODYN_FIELDS(pops)

  Tensor<float> I0 = Tensor<float>::full({3}, 10.0f), I1{25.0f, 40.0f, 80.0f};

  explicit Populations(C p) : pops(std::move(p)) {}

  void update(const Context& c) {
    population<0>()(c, I0);
    population<1>()(c, I1);
  }

  template <std::size_t K>
  dyn::LIF<>& population() {
    if constexpr (
        requires { pops.size(); } && !requires { std::tuple_size<C>::value; })
      return pops[K];
    else
      return std::get<K>(pops);
  }
};

// The monitored V of both populations and the spikes of the second, against
// the model stepped by hand.
template <class C>
void check_container_monitors(C pops) {
  Populations<C> net(std::move(pops));
  CHECK(ref::paths_of(net.named_states()) ==
        std::vector<std::string>{"pops.0.V", "pops.0.spike", "pops.0.refractory_left", "pops.1.V",
                                 "pops.1.spike", "pops.1.refractory_left"});
  auto replay = modyn::clone(net);
  LoopOverTime loop{net, monitor<"pops.0.V">, monitor<"pops.1.V">, spike_monitor<"pops.1.spike">,
                    monitor<"pops.1.spike">};
  const std::size_t steps = 200;
  const auto& [out, v0, v1, spikes, spike_flags] = loop.run_for(20.0);
  REQUIRE(v0.shape() == modyn::Shape{steps, 3});
  REQUIRE(v1.shape() == modyn::Shape{steps, 3});
  std::size_t mismatches = 0, fired = 0;
  std::vector<std::int64_t> spike_steps, spike_indices;
  for (std::size_t i = 0; i < steps; ++i) {
    replay(Context{.t = 0.1 * double(i), .i = i, .dt = 0.1});
    const Tensor<float> a = replay.template population<0>().V.value();
    const Tensor<float> b = replay.template population<1>().V.value();
    const Tensor<float> s = replay.template population<1>().spike.value();
    mismatches +=
        !(Tensor<float>(v0[i]) == a) + !(Tensor<float>(v1[i]) == b) + !(Tensor<float>(spike_flags[i]) == s);
    for (std::size_t k = 0; k < 3; ++k) {
      if (s(k) != 0.0f) {
        spike_steps.push_back(std::int64_t(i));
        spike_indices.push_back(std::int64_t(k));
        ++fired;
      }
    }
  }
  CHECK(mismatches == 0);
  CHECK(fired > 5);
  CHECK(spikes.steps == spike_steps);
  CHECK(spikes.indices == spike_indices);
  // The loop ran the caller's net: its states are the replay's.
  CHECK(net.template population<1>().V.value() == replay.template population<1>().V.value());
}

}  // namespace

TEST_CASE("monitor paths through std::array, std::vector and std::tuple of modules",
          "[compose][monitor][containers]") {
  SECTION("std::array") { check_container_monitors(std::array<dyn::LIF<>, 2>{dyn::LIF<>(3), dyn::LIF<>(3)}); }
  SECTION("std::vector") { check_container_monitors(std::vector<dyn::LIF<>>{dyn::LIF<>(3), dyn::LIF<>(3)}); }
  SECTION("std::tuple") {
    check_container_monitors(std::tuple<dyn::LIF<>, dyn::LIF<>>{dyn::LIF<>(3), dyn::LIF<>(3)});
  }
  SECTION("an index past a std::vector is a config_error naming the path and the size, before the run") {
    using C = std::vector<dyn::LIF<>>;
    Populations<C> net(C{dyn::LIF<>(3), dyn::LIF<>(3)});
    LoopOverTime state{net, monitor<"pops.2.V">};
    const std::string msg = modyn_test::message_of<modyn::config_error>([&] { state.run_for(1.0); });
    CHECK_THAT(msg, Catch::Contains("pops.2.V") && Catch::Contains("'pops'") && Catch::Contains("2 modules"));
    CHECK(net.template population<0>().V.value() == Tensor<float>::zeros({3}));  // no step ran
    LoopOverTime spikes{net, spike_monitor<"pops.7.spike">};
    CHECK_THROWS_AS(spikes.run_for(1.0), modyn::config_error);
  }
}

namespace {

// Mixed element types: a float State beside an int32 counter and a double Param.
struct MixedPop : modyn::Module<MixedPop> {
  modyn::Param<Tensor<double>> tau{Tensor<double>::full({3}, 4.0)};
  modyn::State<Tensor<float>> V{modyn::Shape{3}, -1.0f};
  modyn::State<Tensor<std::int32_t>> count{modyn::Shape{3}, 0};
  MODYN_FIELDS(tau, V, count)

  void update(const Context&) {
    for (std::size_t k = 0; k < 3; ++k) count->data()[k] += 1;
  }
};

}  // namespace

TEST_CASE("A const loop over a shared model reads the model as const", "[compose][loop][ownership]") {
  MixedPop model;
  LoopOverTime loop{model, monitor<"count">};
  loop.reset_state();
  const auto& reader = loop;
  const auto version = model.tau.version();
  const auto params = reader.named_parameters();  // const references, no raw_mut()
  const auto states = reader.named_states();
  CHECK(model.tau.version() == version);
  REQUIRE(params.size() == 1);
  REQUIRE(states.size() == 2);
  CHECK(params[0].first == "tau");
  STATIC_REQUIRE(std::is_same_v<std::remove_cvref_t<decltype(params[0].second)>,
                                std::reference_wrapper<const Tensor<double>>>);
  CHECK(std::visit([](auto ref) { return ref.get().size(); }, states[1].second) == 3);
  CHECK(std::holds_alternative<std::reference_wrapper<const Tensor<std::int32_t>>>(states[1].second));
}

TEST_CASE("run_for refuses a duration or a dt that is not finite or not positive", "[compose][loop]") {
  MixedPop model;
  LoopOverTime zero_dt{model, LoopOptions{.dt = 0.0}};
  zero_dt.reset_state();
  REQUIRE_THROWS_AS(zero_dt.run_for(1.0), modyn::config_error);
  REQUIRE_THROWS_WITH(zero_dt.run_for(1.0), Catch::Contains("dt must be finite and > 0"));
  LoopOverTime loop{model, LoopOptions{.dt = 0.1}};
  REQUIRE_THROWS_WITH(loop.run_for(std::numeric_limits<double>::infinity()),
                      Catch::Contains("duration must be finite"));
  REQUIRE_THROWS_WITH(loop.run_for(-1.0), Catch::Contains("duration must be finite and >= 0"));
  loop.run_for(0.3);
  CHECK(model.count.value().to_vector() == std::vector<std::int32_t>{3, 3, 3});
}
