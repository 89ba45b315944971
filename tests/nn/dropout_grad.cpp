// nn::Dropout's training protocol: forward_train draws the mask update would
// draw, backward scales the gradient by the recorded mask, the identity
// outside training, and rng_offset / set_rng_offset replay masks bit for bit.
#include <catch2/catch.hpp>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/dropout.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

namespace {

const Context training{.training = true};

Tensor<float> random_float(Shape shape, std::uint64_t seed) {
  return Rng(seed).uniform<float>(shape, -1.f, 1.f);
}

}  // namespace

TEST_CASE("nn::Dropout forward_train returns what update returns, step after step", "[nn][grad]") {
  const double p = GENERATE(0.2, 0.5);
  nn::Dropout<float> a(p, 7), b(p, 7);
  decltype(b)::tape_type tape;
  for (std::uint64_t t = 0; t < 4; ++t) {
    const auto x = random_float({8, 33}, t);
    const Tensor<float> expected(a(x, training));
    const auto& y = b.forward_train(x, tape, training);
    CHECK(y == expected);
    CHECK(b.rng_offset() == a.rng_offset());
    CHECK(b.rng_offset() == t + 1);
    // The tape's mask is 0 / 1, and the output is x mask / (1 - p).
    REQUIRE(tape.mask.shape() == x.shape());
    const float scale = float(1.0 / (1.0 - p));
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const float m = tape.mask.data()[i];
      if (!(m == 0.f || m == 1.f) || y.data()[i] != x.data()[i] * m * scale) ++wrong;
    }
    CHECK(wrong == 0);
  }
}

TEST_CASE("nn::Dropout backward: gy times the recorded mask over 1 - p", "[nn][grad]") {
  const double p = 0.3;
  nn::Dropout<float> d(p, 5);
  std::vector<decltype(d)::tape_type> tapes(3);
  std::vector<Tensor<float>> gys;
  for (std::uint64_t t = 0; t < tapes.size(); ++t) {
    d.forward_train(random_float({4, 17}, t), tapes[t], training);
    gys.push_back(random_float({4, 17}, 100 + t));
  }
  const float scale = float(1.0 / (1.0 - p));
  for (std::size_t t = tapes.size(); t-- > 0;) {
    const auto& gx = d.backward(tapes[t], gys[t], training);
    REQUIRE(gx.shape() == gys[t].shape());
    std::size_t wrong = 0, kept = 0;
    for (std::size_t i = 0; i < gx.size(); ++i) {
      const float m = tapes[t].mask.data()[i];
      kept += m == 1.f;
      if (gx.data()[i] != gys[t].data()[i] * m * scale) ++wrong;
    }
    INFO("step " << t);
    CHECK(wrong == 0);
    CHECK(kept > 0);
    CHECK(kept < gx.size());
  }
  const auto& none = d.backward(tapes[0], gys[0], training, InputGrad::no);
  CHECK(none.size() == 0);
}

TEST_CASE("nn::Dropout backward equals central finite differences with the mask replayed", "[nn][grad]") {
  nn::Dropout<double> d(0.4, 9);
  auto x = random_tensor({5, 6}, 1);
  const auto w = random_tensor({5, 6}, 2);
  const std::uint64_t start = d.rng_offset();
  decltype(d)::tape_type tape;
  d.forward_train(x, tape, training);
  const Tensor<double> gx(d.backward(tape, w, training));
  // Every evaluation of the loss redraws the mask of the step from `start`.
  const auto loss = [&] {
    d.set_rng_offset(start);
    return modyn_test::weighted_sum(d(x, training), w);
  };
  modyn_test::check_input_gradient(x, gx, loss);
}

TEST_CASE("nn::Dropout set_rng_offset replays the masks bit for bit", "[nn][grad]") {
  nn::Dropout<float> d(0.5, 21);
  // Steps drawn before the stretch: the offset is not the start of the generator.
  for (std::uint64_t t = 0; t < 3; ++t) d(random_float({6, 10}, t), training);
  const std::uint64_t saved = d.rng_offset();
  CHECK(saved == 3);
  std::vector<decltype(d)::tape_type> tapes(4);
  std::vector<Tensor<float>> xs, ys;
  for (std::uint64_t t = 0; t < tapes.size(); ++t) {
    xs.push_back(random_float({6, 10}, 50 + t));
    ys.emplace_back(d.forward_train(xs[t], tapes[t], training));
  }
  const std::uint64_t after = d.rng_offset();
  CHECK(after == saved + tapes.size());

  SECTION("the whole stretch again, after the generator moved on") {
    d(random_float({6, 10}, 99), training);  // a draw after the stretch
    d.set_rng_offset(saved);
    CHECK(d.rng_offset() == saved);
    decltype(d)::tape_type replay;
    for (std::size_t t = 0; t < tapes.size(); ++t) {
      const auto& y = d.forward_train(xs[t], replay, training);
      CHECK(replay.mask == tapes[t].mask);
      CHECK(y == ys[t]);
    }
    CHECK(d.rng_offset() == after);
  }
  SECTION("from the middle of the stretch, and by update as well as forward_train") {
    d.set_rng_offset(saved + 2);
    CHECK(d(xs[2], training) == ys[2]);
    decltype(d)::tape_type replay;
    d.forward_train(xs[3], replay, training);
    CHECK(replay.mask == tapes[3].mask);
  }
  SECTION("forward: skipping masks lands where drawing them would") {
    nn::Dropout<float> fresh(0.5, 21);
    fresh.set_rng_offset(saved + 1);
    decltype(fresh)::tape_type replay;
    fresh.forward_train(xs[1], replay, training);
    CHECK(replay.mask == tapes[1].mask);
  }
  SECTION("on another layer with the same seed") {
    nn::Dropout<float> twin(0.5, 21);
    twin.set_rng_offset(saved);
    decltype(twin)::tape_type replay;
    twin.forward_train(xs[0], replay, training);
    CHECK(replay.mask == tapes[0].mask);
  }
}

TEST_CASE("nn::Dropout outside training (or with p = 0) is the identity forward and backward", "[nn][grad]") {
  const auto x = random_float({3, 7}, 1);
  const auto gy = random_float({3, 7}, 2);
  SECTION("evaluation") {
    nn::Dropout<float> d(0.5, 3);
    decltype(d)::tape_type tape;
    CHECK(d.forward_train(x, tape) == x);
    CHECK(d.forward_train(x, tape, Context{}) == x);
    CHECK(d.forward_train(x[1], tape, Context{}) == x[1]);  // a view
    CHECK(d.rng_offset() == 0);                             // no mask drawn
    CHECK(d.backward(tape, gy[1]) == gy[1]);
    decltype(d)::tape_type whole;
    d.forward_train(x, whole);
    const auto& gx = d.backward(whole, gy);
    CHECK(gx == gy);
    CHECK(gx.data() != gy.data());  // a buffer of the layer
  }
  SECTION("p = 0 in training") {
    nn::Dropout<float> d(0.0, 3);
    decltype(d)::tape_type tape;
    CHECK(d.forward_train(x, tape, training) == x);
    CHECK(d.backward(tape, gy, training) == gy);
  }
}

TEST_CASE("nn::Dropout backward: a gradient of the wrong shape names the layer and both shapes",
          "[nn][grad]") {
  nn::Dropout<float> d(0.5, 1);
  decltype(d)::tape_type tape;
  d.forward_train(random_float({4, 5}, 1), tape, training);
  const auto message = modyn_test::message_of<shape_error>([&] {
    d.backward(tape, random_float({4, 6}, 3), training);
  });
  CHECK_THAT(message,
             Catch::Contains("(4, 5)") && Catch::Contains("(4, 6)") && Catch::Contains("nn::Dropout"));
}

TEMPLATE_TEST_CASE("nn::Dropout forward_train, backward and replay on another backend equal cpu",
                   "[nn][grad][backends]", modyn::serial, modyn::pseudo_device) {
  nn::Dropout<float> cpu_drop(0.3, 42);
  auto drop = modyn::to<TestType>(cpu_drop);
  std::vector<decltype(cpu_drop)::tape_type> cpu_tapes(3);
  std::vector<typename decltype(drop)::tape_type> tapes(3);
  for (std::uint64_t t = 0; t < tapes.size(); ++t) {
    INFO("step " << t);
    const auto x = random_float({5, 13}, t);
    const auto gy = random_float({5, 13}, 10 + t);
    CHECK(modyn::to<cpu>(drop.forward_train(modyn::to<TestType>(x), tapes[t], training)).to_vector() ==
          cpu_drop.forward_train(x, cpu_tapes[t], training).to_vector());
    CHECK(modyn::to<cpu>(tapes[t].mask).to_vector() == cpu_tapes[t].mask.to_vector());
    CHECK(modyn::to<cpu>(drop.backward(tapes[t], modyn::to<TestType>(gy), training)).to_vector() ==
          cpu_drop.backward(cpu_tapes[t], gy, training).to_vector());
  }
  drop.set_rng_offset(1);
  typename decltype(drop)::tape_type replay;
  drop.forward_train(modyn::to<TestType>(random_float({5, 13}, 1)), replay, training);
  CHECK(modyn::to<cpu>(replay.mask).to_vector() == cpu_tapes[1].mask.to_vector());
}
