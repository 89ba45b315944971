#include "modyn/dyn/neurons/plif.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "modyn/backend/serial.hpp"
#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/module/module_print.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/dense.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

namespace {

// A surrogate whose forward is S's smooth function (a soft spike) and whose
// grad is S's grad, its exact derivative: the forward is then smooth and
// the backward exact, so finite differences of the forward check it.
template <class S>
struct smoothed {
  static constexpr std::string_view name = "smoothed";
  double alpha = S{}.alpha;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return S{alpha}.smooth(x);
  }
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    return S{alpha}.grad(x);
  }
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    return S{alpha}.smooth(x);
  }
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

// Element t of a (steps, rest...) tensor, as a tensor of shape rest.
Tensor<double> slice(const Tensor<double>& xs, std::size_t t, Shape shape) {
  auto out = Tensor<double>::empty(shape);
  std::memcpy(out.data(), xs.data() + t * shape.size(), shape.size() * sizeof(double));
  return out;
}

constexpr std::size_t steps = 5, batch = 2, neurons = 3;

template <class S>
void check_plif_gradients(dyn::Reset reset, bool per_neuron) {
  using N = dyn::PLIF<double, default_backend, smoothed<S>>;
  typename N::Options o;
  o.tau = 3.0;
  o.tau_per_neuron = per_neuron;
  o.V_th = 1.0;
  o.V_reset = -0.2;
  o.V_rest = 0.1;
  o.R = 1.5;
  o.reset = reset;
  N lif(neurons, o);
  if (per_neuron) lif.tau.set_value(Tensor<double>({2.0, 3.0, 4.5}));
  const Shape shape{batch, neurons};
  auto xs = random_tensor({steps, batch, neurons}, 11, 0.0, 2.0);
  auto v0 = random_tensor(shape, 12, 0.0, 1.2);
  const auto w = random_tensor({steps, batch, neurons}, 13);
  const Context ctx{.dt = 1.0};

  const auto loss = [&] {
    lif.reset_state(batch);
    lif.V = v0;
    double total = 0;
    for (std::size_t t = 0; t < steps; ++t)
      total += modyn_test::weighted_sum(lif(slice(xs, t, shape), ctx), slice(w, t, shape));
    return total;
  };
  std::vector<typename N::tape_type> tapes(steps);
  auto gx = Tensor<double>::empty(xs.shape());
  auto gv0 = Tensor<double>::empty(shape);
  const auto backward = [&] {
    lif.reset_state(batch);
    lif.V = v0;
    for (std::size_t t = 0; t < steps; ++t) lif.forward_train(slice(xs, t, shape), tapes[t], ctx);
    lif.begin_backward();
    for (std::size_t t = steps; t-- > 0;) {
      const auto& g = lif.backward(tapes[t], slice(w, t, shape), ctx);
      REQUIRE(g.shape() == shape);
      std::memcpy(gx.data() + t * shape.size(), g.data(), shape.size() * sizeof(double));
    }
    std::memcpy(gv0.data(), lif.V_grad().data(), shape.size() * sizeof(double));
  };
  const modyn_test::GradcheckOptions tolerance{.rtol = 1e-5, .atol = 1e-8};
  modyn_test::check_param_gradients(lif, loss, backward, tolerance);
  modyn_test::check_input_gradient(xs, gx, loss, tolerance);
  modyn_test::check_input_gradient(v0, gv0, loss, tolerance);
}

}  // namespace

TEST_CASE("dyn::PLIF forward: one neuron over a few steps by hand, hard and soft reset", "[dyn][plif]") {
  // tau = 4, dt = 1: k = 0.25; V_rest = 0, R = 2, V_th = 1, V_reset = -0.5.
  for (const dyn::Reset reset : {dyn::Reset::hard, dyn::Reset::soft}) {
    dyn::PLIF<double> lif(1, {.tau = 4.0, .V_th = 1.0, .V_reset = -0.5, .R = 2.0, .reset = reset});
    const Context ctx{.dt = 1.0};
    const Tensor<double> x({1.5});
    double v = 0;
    for (int step = 0; step < 6; ++step) {
      const double v_pre = v + 0.25 * (2.0 * 1.5 - v);
      const double s = v_pre >= 1.0 ? 1.0 : 0.0;
      v = s == 0 ? v_pre : (reset == dyn::Reset::hard ? -0.5 : v_pre - 1.5);
      const auto& spikes = lif(x, ctx);
      CHECK(spikes.data()[0] == s);
      CHECK(lif.V->data()[0] == Approx(v).epsilon(1e-14));
    }
    // 0 -> 0.75 -> 1.3125 (spike) in both
    CHECK(lif.tau.value().shape() == Shape{1});
  }
}

TEST_CASE("dyn::PLIF expresses the LIF-SNN benchmark neuron", "[dyn][plif]") {
  // v += dt / tau (-v + I), dt / tau = 0.1, spike when v >= 1, reset to 0.
  dyn::PLIF<float> lif(4, {.tau = 1.0f, .reset = dyn::Reset::hard});
  const Context ctx{.dt = 0.1};
  const Tensor<float> x({0.5f, 2.0f, 3.0f, 12.0f});
  std::vector<float> v(4, 0.0f);
  for (int step = 0; step < 30; ++step) {
    const auto& s = lif(x, ctx);
    for (std::size_t i = 0; i < 4; ++i) {
      const float pre = v[i] + 0.1f * (-v[i] + x.data()[i]);
      const bool fired = pre >= 1.0f;
      CHECK(s.data()[i] == (fired ? 1.0f : 0.0f));
      v[i] = fired ? 0.0f : pre;
      CHECK(lif.V->data()[i] == Approx(v[i]).margin(1e-5));
    }
  }
}

TEST_CASE("dyn::PLIF per-neuron and per-population tau", "[dyn][plif]") {
  dyn::PLIF<double> population(3, {.tau = 2.0});
  dyn::PLIF<double> per_neuron(3, {.tau = 2.0, .tau_per_neuron = true});
  CHECK(population.tau.raw().shape() == Shape{1});
  CHECK(per_neuron.tau.raw().shape() == Shape{3});
  CHECK(population.tau.value().data()[0] == Approx(2.0));
  per_neuron.tau.set_value(Tensor<double>({1.0, 2.0, 4.0}));
  population.reset_state(2);
  per_neuron.reset_state(2);
  const Context ctx{.dt = 1.0};
  const Tensor<double> x({{0.4, 0.4, 0.4}, {0.8, 0.8, 0.8}});
  population(x, ctx);
  per_neuron(x, ctx);
  for (std::size_t b = 0; b < 2; ++b) {
    const double I = b == 0 ? 0.4 : 0.8;
    const double taus[] = {1.0, 2.0, 4.0};
    for (std::size_t i = 0; i < 3; ++i) {
      CHECK(population.V->data()[b * 3 + i] == Approx(I / 2.0));
      CHECK(per_neuron.V->data()[b * 3 + i] == Approx(I / taus[i]));
    }
  }
  // A population tau changed by an optimizer is seen by the next step.
  population.tau.set_value(Tensor<double>({4.0}));
  population.reset_state(2);
  population(x, ctx);
  CHECK(population.V->data()[0] == Approx(0.1));
}

TEST_CASE("dyn::PLIF forward_train returns and leaves exactly what update does", "[dyn][plif][grad]") {
  for (const dyn::Reset reset : {dyn::Reset::hard, dyn::Reset::soft}) {
    dyn::PLIF<float> a(8, {.tau = 2.0f, .tau_per_neuron = true, .reset = reset});
    dyn::PLIF<float> b = a;
    a.reset_state(3);
    b.reset_state(3);
    decltype(a)::tape_type tape;
    const Context ctx{.dt = 0.5};
    for (std::uint64_t step = 0; step < 6; ++step) {
      auto x = Tensor<float>::empty({3, 8});
      Rng(step).uniform(x, 0.0f, 4.0f);
      const auto& ya = a(x, ctx);
      const auto& yb = b.forward_train(x, tape, ctx);
      for (std::size_t i = 0; i < ya.size(); ++i) {
        CHECK(ya.data()[i] == yb.data()[i]);
        CHECK(a.V->data()[i] == b.V->data()[i]);
        CHECK(float(tape.V_pre.data()[i] >= b.V_th) == ya.data()[i]);  // the spike the tape implies
      }
    }
  }
}

TEST_CASE("dyn::PLIF backward equals central finite differences (smoothed sigmoid)", "[dyn][plif][grad]") {
  for (const bool per_neuron : {false, true}) {
    check_plif_gradients<surrogate::sigmoid>(dyn::Reset::hard, per_neuron);
    check_plif_gradients<surrogate::sigmoid>(dyn::Reset::soft, per_neuron);
  }
}

TEST_CASE("dyn::PLIF backward equals central finite differences (smoothed arctan)", "[dyn][plif][grad]") {
  for (const bool per_neuron : {false, true}) {
    check_plif_gradients<surrogate::arctan>(dyn::Reset::hard, per_neuron);
    check_plif_gradients<surrogate::arctan>(dyn::Reset::soft, per_neuron);
  }
}

TEST_CASE("dyn::PLIF detach_reset removes exactly the reset path of the gradient", "[dyn][plif][grad]") {
  // One neuron, two steps; the last step's carried gradient is zero, so its
  // reset contributes nothing. At step 0 the carried gradient gv (from step
  // 1) reaches s through the reset: the attached and detached input
  // gradients differ by k R gv (dV/ds) S'(V_pre - V_th).
  using S = smoothed<surrogate::sigmoid>;
  for (const dyn::Reset reset : {dyn::Reset::hard, dyn::Reset::soft}) {
    const double k = 0.25, R = 2.0, th = 1.0, v_reset = -0.5;
    const auto run = [&](bool detach, double& gv_out) {
      dyn::PLIF<double, default_backend, S> lif(
          1, {.tau = 4.0, .V_th = th, .V_reset = v_reset, .R = R, .reset = reset, .detach_reset = detach});
      const Context ctx{.dt = 1.0};
      std::vector<decltype(lif)::tape_type> tapes(2);
      lif.forward_train(Tensor<double>({1.4}), tapes[0], ctx);
      lif.forward_train(Tensor<double>({0.9}), tapes[1], ctx);
      lif.begin_backward();
      lif.backward(tapes[1], Tensor<double>({0.7}), ctx);
      gv_out = lif.V_grad().data()[0];
      const double gx0 = lif.backward(tapes[0], Tensor<double>({-0.3}), ctx).data()[0];
      return std::pair{gx0, tapes[0]};
    };
    double gv_attached = 0, gv_detached = 0;
    const auto [gx_attached, tape] = run(false, gv_attached);
    const auto [gx_detached, tape_d] = run(true, gv_detached);
    CHECK(gv_attached == gv_detached);
    const double v_pre = tape.V_pre.data()[0];
    const double dv_ds = reset == dyn::Reset::hard ? v_reset - v_pre : -(th - v_reset);
    const double expected = k * R * gv_attached * dv_ds * S{}.grad(v_pre - th);
    CHECK(expected != Approx(0.0).margin(1e-3));
    CHECK(gx_attached - gx_detached == Approx(expected).epsilon(1e-12));
    // And the detached gradient by hand: only the output's gradient reaches s.
    const double s = S{}.forward(v_pre - th);  // the spike of the step, as the module recomputes it
    const double g_pre =
        gv_detached * (reset == dyn::Reset::hard ? 1 - s : 1.0) + -0.3 * S{}.grad(v_pre - th);
    CHECK(gx_detached == Approx(k * R * g_pre).epsilon(1e-12));
  }
}

TEST_CASE("dyn::PLIF in Sequential after nn::Dense, batched", "[dyn][plif]") {
  Sequential net{nn::Dense(10, 6), dyn::PLIF(6, {.tau = 1.0f, .reset = dyn::Reset::hard})};
  net.reset_state(4);
  auto x = Tensor<float>::empty({4, 10});
  Rng(3).uniform(x, 0.0f, 5.0f);
  const Context ctx{.dt = 0.5};
  const auto& s = net(x, ctx);
  CHECK(s.shape() == Shape{4, 6});
  for (std::size_t i = 0; i < s.size(); ++i) CHECK((s.data()[i] == 0.0f || s.data()[i] == 1.0f));
}

TEST_CASE("dyn::PLIF errors: input shape, gradient shape, backward before begin_backward",
          "[dyn][plif][grad]") {
  dyn::PLIF<double> lif(3);
  lif.set_name("out");
  const Context ctx{};
  const auto unbatched = modyn_test::message_of<shape_error>([&] { lif(random_tensor({2, 3}, 1), ctx); });
  CHECK_THAT(unbatched, Catch::Contains("dyn::PLIF 'out'") && Catch::Contains("reset_state(2)"));
  lif.reset_state(2);
  decltype(lif)::tape_type tape;
  lif.forward_train(random_tensor({2, 3}, 1), tape, ctx);
  const auto early = modyn_test::message_of<config_error>([&] {
    lif.backward(tape, random_tensor({2, 3}, 2));
  });
  CHECK_THAT(early, Catch::Contains("begin_backward"));
  lif.begin_backward();
  const auto message = modyn_test::message_of<shape_error>([&] {
    lif.backward(tape, random_tensor({2, 4}, 2));
  });
  CHECK_THAT(message,
             Catch::Contains("dyn::PLIF 'out'") && Catch::Contains("(2, 3)") && Catch::Contains("(2, 4)"));
  CHECK_THROWS_AS(dyn::PLIF<double>(3, {.tau = -1.0}), config_error);
}

TEST_CASE("dyn::PLIF in LoopOverTime equals stepping by hand", "[dyn][plif]") {
  // (A seed of its own: the default generator's next stream depends on the
  // tests that ran before in the process, and some streams fire nothing;
  // this one fires 7 times.)
  const Sequential net{nn::Dense<dynamic, dynamic, double>(4, 3, {.seed = 5}),
                       dyn::PLIF<double>(3, {.tau = 1.0, .reset = dyn::Reset::hard})};
  auto by_hand = clone(net);
  LoopOverTime loop{clone(net), LoopOptions{.dt = 0.5}};
  loop.reset_state(2);
  by_hand.reset_state(2);
  const auto x = random_tensor({6, 2, 4}, 5, 0.0, 3.0);
  const auto& out = loop(x);
  REQUIRE(out.shape() == Shape{6, 2, 3});
  double fired = 0;
  for (std::size_t t = 0; t < 6; ++t) {
    const auto& s = by_hand(slice(x, t, Shape{2, 4}), Context{.t = 0.5 * t, .i = t, .dt = 0.5});
    for (std::size_t i = 0; i < 6; ++i) CHECK(out.data()[t * 6 + i] == s.data()[i]);
    for (std::size_t i = 0; i < 6; ++i) fired += s.data()[i];
  }
  CHECK(fired > 0);
}

TEST_CASE("dyn::PLIF to another backend and printed keeps its options", "[dyn][plif]") {
  dyn::PLIF<float> lif(3, {.tau = 2.0f,
                           .tau_per_neuron = true,
                           .V_th = 0.5f,
                           .reset = dyn::Reset::hard,
                           .detach_reset = true,
                           .surrogate = {.alpha = 7.0}});
  const auto moved = to<serial>(lif);
  CHECK(moved.surrogate.alpha == 7.0);
  CHECK(moved.reset == dyn::Reset::hard);
  CHECK(moved.detach_reset);
  CHECK(moved.V_th == 0.5f);
  CHECK(moved.tau.raw().shape() == Shape{3});
  // The same steps on the serial backend (one lane, as a GPU thread).
  auto on_serial = moved;
  lif.reset_state(2);
  on_serial.reset_state(2);
  const Context ctx{.dt = 0.5};
  for (std::uint64_t step = 0; step < 4; ++step) {
    auto x = Tensor<float>::empty({2, 3});
    Rng(step).uniform(x, 0.0f, 2.0f);
    const auto& a = lif(x, ctx);
    const auto& b = on_serial(to<serial>(x), ctx);
    for (std::size_t i = 0; i < 6; ++i) {
      CHECK(a.data()[i] == b.data()[i]);
      CHECK(lif.V->data()[i] == Approx(on_serial.V->data()[i]).epsilon(1e-6));
    }
  }
  std::ostringstream os;
  os << lif;
  CHECK_THAT(os.str(), Catch::Contains("PLIF") && Catch::Contains("tau"));
}
