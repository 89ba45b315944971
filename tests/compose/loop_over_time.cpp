// modyn::LoopOverTime: the seed model over time, monitors against a manual
// step-by-step run, batch-major input, the context (t, i, dt, training)
// across calls, run_for, and hoisting the stateless head of a Sequential.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <exception>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using modyn::Context;
using modyn::LoopOptions;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::named;
using modyn::Rng;
using modyn::Sequential;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

// Echoes x * gain and records every context it is given.
struct Recorder : modyn::Module<Recorder> {
  using tensor_type = Tensor<float>;
  float gain = 1.0f;
  MODYN_FIELDS(gain)

  std::vector<Context> seen;

  template <modyn::TensorLike X>
  const tensor_type& update(const X& x, const Context& c) {
    seen.push_back(c);
    out_.ensure_shape(x.shape());
    for (std::size_t k = 0; k < x.size(); ++k) out_.data()[k] = x.data()[k] * gain;
    return out_;
  }

 private:
  tensor_type out_;
};

// No input: its state is (t, i) of the step.
struct Clock : modyn::Module<Clock> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> v{modyn::Shape{2}};
  MODYN_FIELDS(v)

  const tensor_type& update(const Context& c) {
    v->data()[0] = float(c.t);
    v->data()[1] = float(c.i);
    return *v;
  }
};

// No input, no context, no output: counts its steps in a State.
struct Ticker : modyn::Module<Ticker> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> count{modyn::Shape{1}};
  MODYN_FIELDS(count)

  void update() { count->data()[0] += 1.0f; }
};

// Integrates its input into a State and returns nothing (as a neuron model
// that is only observed through monitors).
struct Integrator : modyn::Module<Integrator> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> v{modyn::Shape{3}};
  MODYN_FIELDS(v)

  template <modyn::TensorLike X>
  void update(const X& x) {
    for (std::size_t k = 0; k < x.size(); ++k) v->data()[k] += x.data()[k];
  }
};

// No tensor_type: the loop takes the type of its State (double here).
struct Leaky : modyn::Module<Leaky> {
  modyn::State<Tensor<double>> v{modyn::Shape{2}};
  MODYN_FIELDS(v)

  template <modyn::TensorLike X>
  const Tensor<double>& update(const X& x) {
    for (std::size_t k = 0; k < x.size(); ++k) v->data()[k] = 0.5 * v->data()[k] + x.data()[k];
    return *v;
  }
};

// Neither tensor_type nor MODYN_FIELDS: Tensor<float>.
struct Doubler : modyn::Module<Doubler> {
  Tensor<float> out;

  template <modyn::TensorLike X>
  const Tensor<float>& update(const X& x) {
    out = Tensor<float>(x) * 2.0f;
    return out;
  }
};

// The number of steps t at which a[t] and b[t] differ.
template <class A, class B>
std::size_t differing_steps(const A& a, const B& b, std::size_t steps) {
  std::size_t n = 0;
  for (std::size_t t = 0; t < steps; ++t) n += (a[t] == b[t]) ? 0 : 1;
  return n;
}

// (A, B, N) -> (B, A, N), naive.
Tensor<float> swap01(const Tensor<float>& x) {
  const std::size_t a = x.shape(0), b = x.shape(1), n = x.shape(2);
  auto out = Tensor<float>::empty({b, a, n});
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < b; ++j)
      for (std::size_t k = 0; k < n; ++k) out(j, i, k) = x(i, j, k);
  return out;
}

}  // namespace

TEST_CASE("LoopOverTime: the seed model, RNNCell(100, 20), relu, RNNCell(20, 2), T = 30, B = 128",
          "[compose][loop]") {
  Sequential seq{named<"l1">(nn::RNNCell(100, 20)), modyn::relu, nn::RNNCell(20, 2)};
  const auto x = Rng(3).normal<float>({30, 128, 100});

  SECTION("without monitors: the output (30, 128, 2), equal to stepping the Sequential by hand") {
    LoopOverTime loop{seq};
    loop.reset_state(128);
    const auto& out = loop(x);
    REQUIRE(ref::shape_of(out) == std::vector<std::size_t>{30, 128, 2});

    auto model = seq;  // a copy: the same weights
    model.reset_state(128);
    std::vector<Tensor<float>> expected;
    for (std::size_t t = 0; t < 30; ++t) expected.emplace_back(model(x[t]));
    CHECK(differing_steps(out, expected, 30) == 0);
    // The loop's model ends in the same state.
    CHECK(loop.model().get<"l1">().h.value() == model.get<"l1">().h.value());
    CHECK(loop.model().get<2>().h.value() == model.get<2>().h.value());
  }

  SECTION("with monitor<\"l1.h\">: also the history (30, 128, 20)") {
    LoopOverTime loop{seq, monitor<"l1.h">};
    loop.reset_state(128);
    auto [out, h] = loop(x);
    REQUIRE(ref::shape_of(out) == std::vector<std::size_t>{30, 128, 2});
    REQUIRE(ref::shape_of(h) == std::vector<std::size_t>{30, 128, 20});

    auto model = seq;
    model.reset_state(128);
    std::vector<Tensor<float>> outputs, states;
    for (std::size_t t = 0; t < 30; ++t) {
      outputs.emplace_back(model(x[t]));
      states.push_back(model.get<"l1">().h.value());
    }
    CHECK(differing_steps(out, outputs, 30) == 0);
    CHECK(differing_steps(h, states, 30) == 0);
    // The state changes over time (the history is not one value repeated).
    CHECK_FALSE(states[0] == states[29]);
    // relu after l1 and l1's own tanh: the monitored h is before the relu.
    CHECK(std::count_if(h.data(), h.data() + h.size(), [](float v) { return v < 0; }) > 0);
  }

  SECTION("two monitors") {
    LoopOverTime loop{seq, monitor<"l1.h">, monitor<"2.h">};
    loop.reset_state(128);
    auto [out, h1, h2] = loop(x);
    CHECK(ref::shape_of(h1) == std::vector<std::size_t>{30, 128, 20});
    CHECK(ref::shape_of(h2) == std::vector<std::size_t>{30, 128, 2});
    CHECK(out == h2);  // the last cell's output is its state
  }

  SECTION("a second call continues from the state the first left") {
    LoopOverTime loop{seq};
    loop.reset_state(128);
    auto model = seq;
    model.reset_state(128);
    const auto a = Rng(4).normal<float>({5, 128, 100});
    const auto b = Rng(5).normal<float>({7, 128, 100});
    loop(a);
    const Tensor<float> yb(loop(b));
    for (std::size_t t = 0; t < 5; ++t) model(a[t]);
    std::vector<Tensor<float>> expected;
    for (std::size_t t = 0; t < 7; ++t) expected.emplace_back(model(b[t]));
    CHECK(ref::shape_of(yb) == std::vector<std::size_t>{7, 128, 2});
    CHECK(differing_steps(yb, expected, 7) == 0);
  }

  SECTION("reflection goes through to the model") {
    LoopOverTime loop{seq, monitor<"l1.h">};
    loop.reset_state(4);
    CHECK(loop.state_dict().keys() == loop.model().state_dict().keys());
    CHECK(ref::paths_of(loop.named_states()) == std::vector<std::string>{"l1.h", "2.h"});
    CHECK(ref::shape_of(loop.model().get<"l1">().h.value()) == std::vector<std::size_t>{4, 20});
  }
}

TEST_CASE("LoopOverTime: batch-major input (B, T, N) gives (B, T, out), the transposed time-major result",
          "[compose][loop]") {
  Sequential seq{named<"l1">(nn::RNNCell(10, 6)), modyn::fn::tanh, nn::GRUCell(6, 3)};
  const std::size_t T = 12, B = 5;
  const auto x = Rng(6).normal<float>({T, B, 10});
  const auto xb = swap01(x);

  // Each loop runs its own copy of seq: both start from the same weights and states.
  LoopOverTime tm{modyn::clone(seq), monitor<"l1.h">};
  LoopOverTime bm{modyn::clone(seq), monitor<"l1.h">, {.time_major = false}};
  tm.reset_state(B);
  bm.reset_state(B);
  auto [yt, ht] = tm(x);
  auto [yb, hb] = bm(xb);
  REQUIRE(ref::shape_of(yb) == std::vector<std::size_t>{B, T, 3});
  REQUIRE(ref::shape_of(hb) == std::vector<std::size_t>{B, T, 6});
  CHECK(yb == swap01(Tensor<float>(yt)));
  CHECK(hb == swap01(Tensor<float>(ht)));
  CHECK(bm.context().i == T - 1);

  // Without monitors.
  LoopOverTime plain{modyn::clone(seq), LoopOptions{.time_major = false}};
  plain.reset_state(B);
  CHECK(plain(xb) == yb);
  // A second call with another sequence length.
  const auto x2 = Rng(7).normal<float>({B, 4, 10});
  CHECK(ref::shape_of(plain(x2)) == std::vector<std::size_t>{B, 4, 3});
}

TEST_CASE("LoopOverTime: the context gives t = t0 + i dt, continues across calls, reset_time restarts",
          "[compose][loop][context]") {
  LoopOverTime loop{Recorder{}, LoopOptions{.dt = 0.5, .t0 = 2.0, .i0 = 10, .training = true}};
  const auto x = Rng(8).normal<float>({4, 3, 2});
  const auto& y = loop(x);
  CHECK(y == x);  // gain 1
  const auto& seen = loop.model().seen;
  REQUIRE(seen.size() == 4);
  for (std::size_t k = 0; k < 4; ++k) {
    INFO("step " << k);
    CHECK(seen[k].i == 10 + k);
    CHECK(seen[k].t == 2.0 + 0.5 * double(k));
    CHECK(seen[k].dt == 0.5);
    CHECK(seen[k].training);
  }
  CHECK(loop.context().t == 3.5);
  CHECK(loop.context().i == 13);

  // A second call continues.
  loop(Rng(9).normal<float>({3, 3, 2}));
  REQUIRE(seen.size() == 7);
  for (std::size_t k = 4; k < 7; ++k) {
    CHECK(seen[k].i == 10 + k);
    CHECK(seen[k].t == 2.0 + 0.5 * double(k));
  }

  // reset_time goes back to t0, i0.
  loop.reset_time();
  CHECK(loop.context().t == 2.0);
  CHECK(loop.context().i == 10);
  loop(Rng(10).normal<float>({2, 3, 2}));
  REQUIRE(seen.size() == 9);
  CHECK(seen[7].i == 10);
  CHECK(seen[7].t == 2.0);
  CHECK(seen[8].i == 11);
  CHECK(seen[8].t == 2.5);

  SECTION("default options: t = 0.1 i, training false") {
    LoopOverTime plain{Recorder{}};
    plain(Rng(11).normal<float>({25, 2}));
    const auto& s = plain.model().seen;
    REQUIRE(s.size() == 25);
    for (std::size_t k = 0; k < 25; ++k) {
      CHECK(s[k].i == k);
      CHECK(s[k].t == Approx(0.1 * double(k)).margin(1e-12));
      CHECK(s[k].dt == 0.1);
      CHECK_FALSE(s[k].training);
    }
  }
}

TEST_CASE("LoopOverTime: a context-taking entry inside a Sequential gets the step's context",
          "[compose][loop][context]") {
  Sequential seq{nn::Dense(3, 3, {.seed = 1}), named<"rec">(Recorder{}), nn::RNNCell(3, 2)};
  LoopOverTime loop{seq, LoopOptions{.dt = 1.0, .t0 = 5.0}};
  loop.reset_state(2);
  loop(Rng(12).normal<float>({6, 2, 3}));
  const auto& seen = loop.model().get<"rec">().seen;
  REQUIRE(seen.size() == 6);
  for (std::size_t k = 0; k < 6; ++k) {
    CHECK(seen[k].i == k);
    CHECK(seen[k].t == 5.0 + double(k));
  }
}

TEST_CASE("LoopOverTime: LoopOptions::training reaches a Dropout inside the model",
          "[compose][loop][context]") {
  Sequential seq{nn::Dense(8, 64, {.seed = 1}), nn::Dropout(0.5, 3)};
  LoopOverTime eval{seq};
  LoopOverTime train{seq, LoopOptions{.training = true}};
  const auto x = Rng(15).normal<float>({5, 4, 8});
  const Tensor<float> ye(eval(x));
  const Tensor<float> yt(train(x));
  // Evaluation: the Dense alone.
  const auto& d = seq.get<0>();
  const auto bias = ref::values(d.bias.value());
  CHECK(ref::max_error(ye, ref::affine(ref::values(x), 20, 8, ref::values(d.weight.value()), 64, &bias)) <
        1e-5);
  // Training: about half zeroed, the rest doubled.
  std::size_t zeros = 0, doubled = 0;
  for (std::size_t k = 0; k < yt.size(); ++k) {
    if (yt.data()[k] == 0.0f)
      ++zeros;
    else if (yt.data()[k] == 2.0f * ye.data()[k])
      ++doubled;
  }
  CHECK(zeros + doubled == yt.size());
  CHECK(double(zeros) / double(yt.size()) == Approx(0.5).margin(0.05));
  // Each step draws its own mask.
  CHECK_FALSE(Tensor<float>(yt[0]) == Tensor<float>(yt[1]));
}

TEST_CASE("LoopOverTime::run_for without input", "[compose][loop][run_for]") {
  SECTION("update(const Context&): round(duration / dt) steps, the output and a monitor") {
    LoopOverTime loop{Clock{}, monitor<"v">, LoopOptions{.dt = 0.25, .record_output = true}};
    {
      auto [out, hist] = loop.run_for(1.0);
      REQUIRE(ref::shape_of(out) == std::vector<std::size_t>{4, 2});
      CHECK(out == Tensor<float>{{0, 0}, {0.25f, 1}, {0.5f, 2}, {0.75f, 3}});
      CHECK(hist == out);
    }
    {
      auto [out, hist] = loop.run_for(0.6);  // 2.4 steps -> 2, continuing in time
      CHECK(out == Tensor<float>{{1.0f, 4}, {1.25f, 5}});
      CHECK(hist == out);
    }
    {
      auto [out, hist] = loop.run_for(0.9);  // 3.6 steps -> 4
      CHECK(ref::shape_of(out) == std::vector<std::size_t>{4, 2});
      CHECK(out(3, 1) == 9.0f);
    }
  }
  SECTION("update() returning nothing: only monitors record") {
    LoopOverTime loop{Ticker{}, monitor<"count">};  // dt 0.1
    auto [out, hist] = loop.run_for(0.5);
    REQUIRE(ref::shape_of(hist) == std::vector<std::size_t>{5, 1});
    CHECK(hist == Tensor<float>(modyn::Shape{5, 1}, {1, 2, 3, 4, 5}));
    CHECK(loop.model().count.value() == Tensor<float>{5});
    CHECK(loop.context().i == 4);
    (void)out;
  }
  SECTION("a negative duration throws config_error") {
    LoopOverTime loop{Clock{}};
    CHECK_THROWS_AS(loop.run_for(-1.0), modyn::config_error);
    CHECK_NOTHROW(loop.run_for(0.0));  // zero steps is allowed
  }
}

TEST_CASE("LoopOverTime::run_for with an input function of (t, i)", "[compose][loop][run_for]") {
  LoopOverTime loop{Recorder{}, LoopOptions{.dt = 0.5, .record_output = true}};
  const auto& y = loop.run_for(2.0, [](double t, std::size_t i) {
    return Tensor<float>{float(t), float(i)};
  });
  REQUIRE(ref::shape_of(y) == std::vector<std::size_t>{4, 2});
  CHECK(y == Tensor<float>{{0, 0}, {0.5f, 1}, {1, 2}, {1.5f, 3}});

  // Batched inputs through a model with state.
  Sequential seq{nn::RNNCell(2, 3, nn::Nonlinearity::tanh, {.seed = 1})};
  LoopOverTime rnn{seq, monitor<"0.h">, {.record_output = true}};
  rnn.reset_state(4);
  const auto input = [](double t, std::size_t i) { return Tensor<float>::full({4, 2}, float(t) + float(i)); };
  auto [out, h] = rnn.run_for(1.0, input);  // 10 steps
  REQUIRE(ref::shape_of(out) == std::vector<std::size_t>{10, 4, 3});
  auto model = seq;
  model.reset_state(4);
  std::vector<Tensor<float>> expected;
  for (std::size_t i = 0; i < 10; ++i) expected.emplace_back(model(input(0.1 * double(i), i)));
  CHECK(differing_steps(out, expected, 10) == 0);
  CHECK(out == h);
}

TEST_CASE("LoopOverTime: hoisting the stateless head gives the step-by-step results",
          "[compose][loop][hoist]") {
  const auto x = Rng(13).normal<float>({30, 128, 100});

  SECTION("Dense(100, 32), relu, RNNCell(32, 8)") {
    Sequential hs{nn::Dense(100, 32), modyn::relu, nn::RNNCell(32, 8)};
    LoopOverTime a{modyn::clone(hs), LoopOptions{.hoist_stateless_head = true}};
    LoopOverTime b{modyn::clone(hs), LoopOptions{.hoist_stateless_head = false}};
    a.reset_state(128);
    b.reset_state(128);
    const Tensor<float> ya(a(x));
    const Tensor<float> yb(b(x));
    REQUIRE(ref::shape_of(ya) == std::vector<std::size_t>{30, 128, 8});
    CHECK(modyn::allclose(ya, yb, 1e-6, 1e-6));
    // Against the Sequential stepped by hand.
    auto model = hs;
    model.reset_state(128);
    std::vector<double> expected;
    for (std::size_t t = 0; t < 30; ++t) {
      const auto step = ref::values(model(x[t]));
      expected.insert(expected.end(), step.begin(), step.end());
    }
    CHECK(ref::max_error(ya, expected) < 1e-6);
    // Hoisted and not, the context still advances one step at a time.
    CHECK(a.context().i == 29);
    CHECK(b.context().i == 29);
  }

  SECTION("the head runs once per chunk of steps when hoisted, once per step when not") {
    int calls = 0;
    std::size_t steps_seen = 0;
    Sequential counted{[&](const auto& in) {
                         ++calls;
                         steps_seen += in.shape(0);
                         return Tensor<float>(in);
                       },
                       nn::RNNCell(100, 8)};
    STATIC_REQUIRE(decltype(counted)::stateless_prefix == 1);
    // The first chunk from x's rows: 128 x 100 floats a step, 51200 bytes,
    // 5 steps in the default budget of 256 KiB. The next from the projected
    // rows the steps read: 128 x 8 floats, 64 steps, so all 30 (the last
    // chunk ends at the last step: chunks of one size). A second run knows
    // the chunk from the first: one call.
    REQUIRE(LoopOptions{}.hoist_chunk_bytes == 256 * 1024);
    LoopOverTime a{modyn::clone(counted), LoopOptions{.hoist_stateless_head = true}};
    LoopOverTime whole{modyn::clone(counted), LoopOptions{.hoist_chunk_bytes = 0}};
    LoopOverTime b{modyn::clone(counted), LoopOptions{.hoist_stateless_head = false}};
    a.reset_state(128);
    whole.reset_state(128);
    b.reset_state(128);
    const Tensor<float> ya(a(x));
    CHECK(calls == 2);
    calls = 0;
    a.reset_state(128);
    CHECK(Tensor<float>(a(x)) == ya);
    CHECK(calls == 1);
    calls = 0;
    const Tensor<float> y_whole(whole(x));
    CHECK(calls == 1);
    calls = 0;
    const Tensor<float> yb(b(x));
    CHECK(calls == 30);
    CHECK(modyn::allclose(ya, yb, 1e-6, 1e-6));
    CHECK(modyn::allclose(y_whole, yb, 1e-6, 1e-6));

    // At most 25 projected steps a chunk (102400 bytes): two chunks of 15
    // once warm, not 25 and then a last 25 that recomputes 20 steps.
    LoopOverTime evened{modyn::clone(counted), LoopOptions{.hoist_chunk_bytes = 25 * 128 * 8 * 4}};
    evened.reset_state(128);
    evened(x);
    calls = 0;
    steps_seen = 0;
    evened.reset_state(128);
    CHECK(modyn::allclose(evened(x), yb, 1e-6, 1e-6));
    CHECK(calls == 2);
    CHECK(steps_seen == 30);
  }

  SECTION("chunks of any size give the results of every step at once") {
    // Budgets: one step per chunk (1 byte); chunks of 4 projected steps of
    // 128 x 8 floats after a first chunk of one step (16384 bytes: less
    // than one step of x), 4 not dividing the 30 steps (the last chunk,
    // [26, 30), recomputes two); chunks of 7 evened out to 6 (28672 bytes).
    const std::size_t budget =
        GENERATE(std::size_t{1}, std::size_t{4 * 128 * 8 * 4}, std::size_t{7 * 128 * 8 * 4});
    CAPTURE(budget);
    const auto compare = [&](const auto& model, const Tensor<float>& input) {
      LoopOverTime chunked{modyn::clone(model), LoopOptions{.hoist_chunk_bytes = budget}};
      LoopOverTime whole{modyn::clone(model), LoopOptions{.hoist_chunk_bytes = 0}};
      LoopOverTime by_step{modyn::clone(model), LoopOptions{.hoist_stateless_head = false}};
      chunked.reset_state(128);
      whole.reset_state(128);
      by_step.reset_state(128);
      const Tensor<float> y(chunked(input));
      CHECK(modyn::allclose(y, whole(input), 1e-6, 1e-6));
      CHECK(modyn::allclose(y, by_step(input), 1e-6, 1e-6));
      CHECK(chunked.context().i == 29);
    };
    // A head, then the first cell's input half projected a chunk at a time.
    compare(Sequential{nn::Dense(100, 32, {.seed = 2}), modyn::relu,
                       nn::RNNCell(32, 8, nn::Nonlinearity::tanh, {.seed = 3}), nn::Dense(8, 3, {.seed = 4})},
            x);
    // No head: the cell's input half alone.
    compare(
        Sequential{nn::RNNCell(100, 8, nn::Nonlinearity::tanh, {.seed = 5}), nn::Dense(8, 3, {.seed = 6})},
        x);
    // Spiking models: the same spikes, bit for bit (the currents' GEMMs sum
    // each row alike), some of them 1.
    const auto same_spikes = [&](const auto& model) {
      LoopOverTime chunked{modyn::clone(model), LoopOptions{.hoist_chunk_bytes = budget}};
      LoopOverTime by_step{modyn::clone(model), LoopOptions{.hoist_stateless_head = false}};
      chunked.reset_state(128);
      by_step.reset_state(128);
      const Tensor<float> spikes(chunked(x));
      CHECK(modyn::sum(spikes) > 0.0f);
      CHECK(spikes == by_step(x));
    };
    // A head, then a LIF writing into the history.
    same_spikes(Sequential{nn::Dense(100, 16, {.seed = 7}),
                           modyn::dyn::LIF<float>(16, {.V_th = 0.5f, .tau = 2.0f, .R = 20.0f})});
    // A head that returns a new tensor (a lambda), before a LIF.
    same_spikes(Sequential{[](const auto& in) { return Tensor<float>(in); },
                           modyn::dyn::LIF<float>(100, {.V_th = 0.5f, .tau = 2.0f, .R = 20.0f})});
  }

  SECTION("a fully stateless model (Dense, tanh) and a bare Dense") {
    Sequential st{nn::Dense(100, 16, {.seed = 1}), modyn::fn::tanh};
    LoopOverTime a{st};
    LoopOverTime b{st, LoopOptions{.hoist_stateless_head = false}};
    const Tensor<float> ya(a(x));
    const Tensor<float> yb(b(x));
    REQUIRE(ref::shape_of(ya) == std::vector<std::size_t>{30, 128, 16});
    CHECK(modyn::allclose(ya, yb, 1e-6, 1e-6));
    const auto& d = st.get<0>();
    const auto bias = ref::values(d.bias.value());
    auto expected = ref::affine(ref::values(x), 30 * 128, 100, ref::values(d.weight.value()), 16, &bias);
    for (double& v : expected) v = std::tanh(v);
    CHECK(ref::max_error(ya, expected) < 1e-5);
    CHECK(a.context().i == 29);

    LoopOverTime bare{nn::Dense(100, 16, {.seed = 1})};
    const auto& yd = bare(x);
    REQUIRE(ref::shape_of(yd) == std::vector<std::size_t>{30, 128, 16});
    CHECK(modyn::allclose(modyn::tanh(yd), ya, 1e-6, 1e-6));

    // Batch-major with a hoisted, fully stateless model.
    LoopOverTime bm{st, LoopOptions{.time_major = false}};
    CHECK(modyn::allclose(bm(swap01(x)), swap01(ya), 1e-6, 1e-6));
  }
}

TEST_CASE("LoopOverTime: an input without a time axis throws shape_error", "[compose][loop][error]") {
  LoopOverTime loop{Sequential{nn::Dense(3, 2)}};
  CHECK_THROWS_AS(loop(Tensor<float>::zeros({3})), modyn::shape_error);
  // A wrong feature size inside the model is reported by the model.
  CHECK_THROWS_AS(loop(Tensor<float>::zeros({4, 2, 5})), modyn::shape_error);
}

TEST_CASE("LoopOverTime: a model returning nothing is observed through its monitors", "[compose][loop]") {
  const auto x = Tensor<float>::ones({4, 2, 3});  // T = 4, B = 2
  LoopOverTime loop{Integrator{}, monitor<"v">};
  loop.reset_state(2);
  auto [out, hist] = loop(x);
  CHECK(out.size() == 0);
  REQUIRE(ref::shape_of(hist) == std::vector<std::size_t>{4, 2, 3});
  for (std::size_t t = 0; t < 4; ++t)
    CHECK(Tensor<float>(hist[t]) == Tensor<float>::full({2, 3}, float(t + 1)));
}

// Regression: LoopOverTime::update used to call to_batch_major(output_, ...)
// on the empty rank-1 output_ (0,) of a model returning nothing: swapped()
// swapped e[0] with the uninitialised e[1] of a rank-1 shape (undefined
// behaviour: a garbage extent, std::bad_alloc in a Release build) and
// to_batch_major asked for shape(1), throwing modyn::index_error.
TEST_CASE("LoopOverTime: batch-major input with a model returning nothing", "[compose][loop][batch_major]") {
  const auto xb = Tensor<float>::ones({2, 4, 3});  // B = 2, T = 4
  LoopOverTime loop{Integrator{}, monitor<"v">, LoopOptions{.time_major = false}};
  loop.reset_state(2);
  std::string error;
  try {
    auto [out, hist] = loop(xb);
    CHECK(out.size() == 0);
    REQUIRE(ref::shape_of(hist) == std::vector<std::size_t>{2, 4, 3});
    for (std::size_t b = 0; b < 2; ++b)
      for (std::size_t t = 0; t < 4; ++t) CHECK(hist(b, t, 0) == float(t + 1));
  } catch (const std::exception& e) {
    error = e.what();
  }
  CHECK(error == "");
}

// Regression: with no steps (T = 0, or run_for(0)) the loop used to return
// output_ and the histories as the previous call left them ((30, 4, 2)
// below), and a first batch-major call with T = 0 threw (see above).
TEST_CASE("LoopOverTime: an empty time axis gives results without steps", "[compose][loop][edge]") {
  Sequential st{nn::Dense(3, 2, {.seed = 1})};
  LoopOverTime loop{st};
  CHECK(ref::shape_of(loop(Rng(14).normal<float>({30, 4, 3}))) == std::vector<std::size_t>{30, 4, 2});
  const auto& empty = loop(Tensor<float>::zeros({0, 4, 3}));
  CHECK(empty.size() == 0);

  LoopOverTime clock{Clock{}, monitor<"v">};
  clock.run_for(1.0);
  auto [out, hist] = clock.run_for(0.0);
  CHECK(out.size() == 0);
  CHECK(hist.size() == 0);

  LoopOverTime bm{st, LoopOptions{.time_major = false}};
  std::string error;
  try {
    CHECK(bm(Tensor<float>::zeros({4, 0, 3})).size() == 0);
  } catch (const std::exception& e) {
    error = e.what();
  }
  CHECK(error == "");
}

TEST_CASE("LoopOverTime: models without tensor_type", "[compose][loop]") {
  SECTION("the tensor type of the model's States") {
    LoopOverTime loop{Leaky{}, monitor<"v">};
    STATIC_REQUIRE(std::is_same_v<decltype(loop)::tensor_type, Tensor<double>>);
    loop.reset_state(3);
    auto [out, hist] = loop(Tensor<double>::ones({3, 3, 2}));
    REQUIRE(ref::shape_of(out) == std::vector<std::size_t>{3, 3, 2});
    CHECK(Tensor<double>(out[0]) == Tensor<double>::full({3, 2}, 1.0));
    CHECK(Tensor<double>(out[1]) == Tensor<double>::full({3, 2}, 1.5));
    CHECK(Tensor<double>(out[2]) == Tensor<double>::full({3, 2}, 1.75));
    CHECK(hist == out);
  }
  SECTION("no reflected fields: Tensor<float>") {
    LoopOverTime loop{Doubler{}};
    STATIC_REQUIRE(std::is_same_v<decltype(loop)::tensor_type, Tensor<float>>);
    const auto x = Rng(16).normal<float>({4, 2, 3});
    CHECK(loop(x) == x * 2.0f);
    CHECK(loop.named_parameters().empty());
  }
}
