// Monitors of LoopOverTime: selected neurons, decimation, sparse spike
// records, against a model whose states are known functions of the step.
#include "modyn/compose/monitor.hpp"

#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "modyn/compose/loop_over_time.hpp"
#include "modyn/module/module.hpp"
#include "support/helpers.hpp"

using modyn::Context;
using modyn::LoopOverTime;
using modyn::monitor;
using modyn::spike_monitor;
using modyn::Tensor;

namespace {

// Element k of x at step i is 100 i + k; element k spikes at step i when
// (i + k) % period == 0.
struct Pattern : modyn::Module<Pattern> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> x{modyn::Shape{5}};
  modyn::State<tensor_type> spike{modyn::Shape{5}};
  std::size_t period = 3;
  MODYN_FIELDS(x, spike, period)

  const tensor_type& update(const Context& c) {
    const std::size_t n = 5;
    for (std::size_t k = 0; k < x->size(); ++k) {
      x->data()[k] = float(100 * c.i + k % n + 10 * (k / n));
      spike->data()[k] = ((c.i + k) % period == 0) ? 1.0f : 0.0f;
    }
    return *spike;
  }
};

// One spike per step, at flat index 3 i + 149.
struct Wide : modyn::Module<Wide> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> spike{modyn::Shape{150}};
  MODYN_FIELDS(spike)
  void update(const Context& c) {
    for (std::size_t k = 0; k < spike->size(); ++k) spike->data()[k] = (k == 3 * c.i + 149) ? 1.0f : 0.0f;
  }
};

// Its state is its input.
struct Echo : modyn::Module<Echo> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> h{modyn::Shape{3}};
  MODYN_FIELDS(h)
  template <modyn::TensorLike X>
  const tensor_type& update(const X& x) {
    for (std::size_t k = 0; k < x.size(); ++k) h->data()[k] = x.data()[k];
    return *h;
  }
};

// Its State takes its shape (4,) in the first step, not at construction.
struct LazyShape : modyn::Module<LazyShape> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> h{modyn::Shape{1}};
  MODYN_FIELDS(h)
  void update(const Context& c) {
    if (h->size() != 4) h.reset_to(Tensor<float>::zeros({4}));
    h->data()[1] = float(c.i);
  }
};

// A rank-0 State and output: 1 + the sum of the step's input.
struct Scalar : modyn::Module<Scalar> {
  using tensor_type = Tensor<float>;
  modyn::State<tensor_type> s{modyn::Shape{}};
  modyn::State<tensor_type> h{modyn::Shape{3}};
  MODYN_FIELDS(s, h)
  template <modyn::TensorLike X>
  const tensor_type& update(const X& x) {
    float sum = 1;
    for (std::size_t k = 0; k < x.size(); ++k) sum += x.data()[k];
    s->data()[0] = sum;
    for (std::size_t k = 0; k < 3; ++k) h->data()[k] = sum;
    return *s;
  }
};

}  // namespace

TEST_CASE("batch-major runs of rank-0 outputs and States give their (T,) values", "[compose][monitor]") {
  LoopOverTime loop{Scalar{}, monitor<"s">, {.time_major = false}};
  auto x = Tensor<float>::zeros({1, 4, 3});  // (B = 1, T = 4, 3)
  for (std::size_t t = 0; t < 4; ++t) x(0, t, 0) = float(10 * (t + 1));
  const auto& [out, s] = loop(x);
  const Tensor<float> expected{11.f, 21.f, 31.f, 41.f};
  CHECK(out == expected);
  CHECK(s == expected);
}

TEST_CASE("a run of zero steps gives histories of shape (0, ...)", "[compose][monitor]") {
  LoopOverTime loop{Scalar{}, monitor<"h">, monitor<"h">.every(3), monitor<"h">.neurons({2})};
  const auto& [out, h, every, selected] = loop(Tensor<float>::zeros({0, 3}));
  CHECK(out.size() == 0);
  CHECK(h.shape() == modyn::Shape{0, 3});
  CHECK(every.shape() == modyn::Shape{0, 3});
  CHECK(selected.shape() == modyn::Shape{0, 1});
}

TEST_CASE("monitor.neurons(): only the selected neurons, along the last axis", "[compose][monitor]") {
  LoopOverTime loop{Pattern{}, monitor<"x">.neurons({4, 0, 2}), {.dt = 0.5}};
  SECTION("without a batch axis: (T, 3)") {
    const auto& [out, x] = loop.run_for(2.0);
    REQUIRE(x.shape() == modyn::Shape{4, 3});
    for (std::size_t i = 0; i < 4; ++i) {
      CHECK(x(i, 0) == float(100 * i + 4));
      CHECK(x(i, 1) == float(100 * i + 0));
      CHECK(x(i, 2) == float(100 * i + 2));
    }
  }
  SECTION("with a batch axis: (T, B, 3), each row's own neurons") {
    loop.reset_state(2);
    const auto& [out, x] = loop.run_for(1.0);
    REQUIRE(x.shape() == modyn::Shape{2, 2, 3});
    CHECK(x(1, 1, 0) == 100.0f + 4 + 10);
    CHECK(x(1, 1, 2) == 100.0f + 2 + 10);
    CHECK(x(0, 0, 1) == 0.0f);
  }
  SECTION("an index past the last axis is an index_error naming the monitor and the shape") {
    LoopOverTime bad{Pattern{}, monitor<"x">.neurons({5})};
    const std::string msg = modyn_test::message_of<modyn::index_error>([&] { bad.run_for(1.0); });
    CHECK_THAT(msg,
               Catch::Contains("monitor<\"x\">") && Catch::Contains("index 5") && Catch::Contains("(5,)"));
  }
}

TEST_CASE("monitor.every(k): steps 0, k, 2k, ... only", "[compose][monitor]") {
  LoopOverTime loop{Pattern{}, monitor<"x">.every(4), monitor<"x">, {.dt = 0.1}};
  const auto& [out, sparse, dense] = loop.run_for(1.0);  // 10 steps: records at 0, 4, 8
  REQUIRE(sparse.shape() == modyn::Shape{3, 5});
  REQUIRE(dense.shape() == modyn::Shape{10, 5});
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t k = 0; k < 5; ++k) CHECK(sparse(r, k) == dense(4 * r, k));
  SECTION("combined with neurons(), and every(1) is every step") {
    LoopOverTime both{Pattern{}, monitor<"x">.every(3).neurons({1}), monitor<"x">.every(1), {.dt = 0.1}};
    const auto& [o, a, b] = both.run_for(0.7);  // 7 steps: records at 0, 3, 6
    REQUIRE(a.shape() == modyn::Shape{3, 1});
    CHECK(a(2, 0) == 601.0f);
    CHECK(b.shape() == modyn::Shape{7, 5});
  }
  SECTION("every(0) is a config_error") { CHECK_THROWS_AS(monitor<"x">.every(0), modyn::config_error); }
}

TEST_CASE("spike_monitor: (step, flat index) events in order, times from t0 and dt", "[compose][monitor]") {
  Pattern model;
  model.period = 3;
  LoopOverTime loop{model, spike_monitor<"spike">, {.dt = 0.25, .t0 = 2.0}};
  const auto& [out, spikes] = loop.run_for(1.5);  // 6 steps
  // Hand enumeration: (i + k) % 3 == 0 for i in 0..5, k in 0..4.
  std::vector<std::int64_t> steps, indices;
  for (std::int64_t i = 0; i < 6; ++i)
    for (std::int64_t k = 0; k < 5; ++k)
      if ((i + k) % 3 == 0) {
        steps.push_back(i);
        indices.push_back(k);
      }
  CHECK(spikes.steps == steps);
  CHECK(spikes.indices == indices);
  CHECK(spikes.num_steps == 6);
  CHECK(spikes.shape == modyn::Shape{5});
  CHECK(spikes.time(0) == 2.0);
  CHECK(spikes.times_of(1) == std::vector<double>{2.5, 3.25});
  CHECK(spikes.count(0) == 2);
  CHECK_THROWS_AS(spikes.time(spikes.size()), modyn::index_error);

  SECTION("a second run starts a fresh record at the loop's current time") {
    const auto& [out2, again] = loop.run_for(0.5);  // steps 6, 7 of the loop
    CHECK(again.num_steps == 2);
    CHECK(again.t0 == Approx(3.5));
    // Step 6 of the pattern: k = 0 and 3 spike; step 7: k = 2.
    CHECK(again.steps == std::vector<std::int64_t>{0, 0, 1});
    CHECK(again.indices == std::vector<std::int64_t>{0, 3, 2});
  }
  SECTION("flat indices over a batch axis, and blocks of 64 with no spike skipped correctly") {
    LoopOverTime wide{Wide{}, spike_monitor<"spike">};
    wide.reset_state(2);
    const auto& [o, s] = wide.run_for(0.3);  // spikes at flat 149, 152, 155
    CHECK(s.indices == std::vector<std::int64_t>{149, 152, 155});
    CHECK(s.shape == modyn::Shape{2, 150});
  }
}

TEST_CASE("monitors with a batch-major input give batch-major histories, spike records are unchanged",
          "[compose][monitor]") {
  LoopOverTime loop{Echo{}, monitor<"h">.neurons({2}), spike_monitor<"h">, {.time_major = false}};
  loop.reset_state(2);
  Tensor<float> x = Tensor<float>::zeros({2, 4, 3});  // (B, T, N)
  x(1, 2, 2) = 7.0f;
  const auto& [out, h, events] = loop(x);
  REQUIRE(h.shape() == modyn::Shape{2, 4, 1});
  CHECK(h(1, 2, 0) == 7.0f);
  CHECK(h(0, 2, 0) == 0.0f);
  CHECK(events.steps == std::vector<std::int64_t>{2});
  CHECK(events.indices == std::vector<std::int64_t>{1 * 3 + 2});
}

TEST_CASE("LoopOptions::record_output = false: monitors only, the output is (0,)", "[compose][monitor]") {
  LoopOverTime loop{
      Pattern{}, spike_monitor<"spike">, monitor<"x">.neurons({1}), {.dt = 0.1, .record_output = false}};
  const auto& [out, spikes, x] = loop.run_for(1.0);
  CHECK(out.shape() == modyn::Shape{0});
  CHECK(spikes.num_steps == 10);
  CHECK(x.shape() == modyn::Shape{10, 1});
  CHECK(x(9, 0) == 901.0f);
}

TEST_CASE("monitors take the State's shape from the model's first step", "[compose][monitor]") {
  LoopOverTime loop{LazyShape{}, monitor<"h">, monitor<"h">.neurons({1}), spike_monitor<"h">};
  const auto& [out, h, h1, spikes] = loop.run_for(0.3);
  REQUIRE(h.shape() == modyn::Shape{3, 4});
  CHECK(h1(2, 0) == 2.0f);
  CHECK(spikes.shape == modyn::Shape{4});
  CHECK(spikes.indices == std::vector<std::int64_t>{1, 1});  // steps 1 and 2 write i != 0
}

namespace {

// Mixed element types: a float V and an int32 counter. counter[k] at step i
// is 2^24 + 1 + 10 i + k, which no float holds exactly; V[k] = i + k / 4.
struct Counting : modyn::Module<Counting> {
  modyn::State<Tensor<float>> V{modyn::Shape{2}};
  modyn::State<Tensor<std::int32_t>> counter{modyn::Shape{2}};
  MODYN_FIELDS(V, counter)
  const Tensor<float>& update(const Context& c) {
    for (std::size_t k = 0; k < V->size(); ++k) {
      V->data()[k] = float(c.i) + float(k % 2) / 4;
      counter->data()[k] = (1 << 24) + 1 + std::int32_t(10 * c.i + k);
    }
    return *V;
  }
};

// No tensor_type: LoopOverTime's is the first floating-point State type.
struct CountingNet : modyn::Module<CountingNet> {
  Counting pop;
  MODYN_FIELDS(pop)
  const Tensor<float>& update(const Context& c) { return pop(c); }
};

}  // namespace

TEST_CASE("monitors of an int32 State of a mixed model record an int32 history",
          "[compose][monitor][dtype]") {
  LoopOverTime loop{CountingNet{},
                    monitor<"pop.counter">,
                    monitor<"pop.V">,
                    monitor<"pop.counter">.every(2),
                    spike_monitor<"pop.counter">,
                    {.record_output = true}};
  static_assert(std::is_same_v<decltype(loop)::tensor_type, Tensor<float>>);
  const auto& [out, counter, v, every, events] = loop.run_for(0.3);  // 3 steps
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(counter)>, Tensor<std::int32_t>>);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(v)>, Tensor<float>>);
  static_assert(std::is_same_v<std::remove_cvref_t<decltype(out)>, Tensor<float>>);
  REQUIRE(counter.shape() == modyn::Shape{3, 2});
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t k = 0; k < 2; ++k) CHECK(counter(i, k) == (1 << 24) + 1 + std::int32_t(10 * i + k));
  CHECK(v(2, 1) == 2.25f);
  CHECK(out == v);
  REQUIRE(every.shape() == modyn::Shape{2, 2});
  CHECK(every(1, 0) == counter(2, 0));
  CHECK(events.steps.size() == 6);  // every element non-zero

  SECTION("selected neurons, with a batch axis") {
    LoopOverTime batched{CountingNet{}, monitor<"pop.counter">.neurons({1})};
    batched.reset_state(3);
    const auto& [o, c] = batched.run_for(0.4);
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(c)>, Tensor<std::int32_t>>);
    REQUIRE(c.shape() == modyn::Shape{4, 3, 1});  // (T, B, 1)
    CHECK(c(3, 2, 0) == (1 << 24) + 1 + 30 + 5);
  }
}
