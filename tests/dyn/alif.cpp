#include "modyn/dyn/neurons/alif.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <vector>

#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

namespace {

// forward = S's smooth function, grad = its exact derivative (see plif.cpp).
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

Tensor<double> slice(const Tensor<double>& xs, std::size_t t, Shape shape) {
  auto out = Tensor<double>::empty(shape);
  std::memcpy(out.data(), xs.data() + t * shape.size(), shape.size() * sizeof(double));
  return out;
}

constexpr std::size_t steps = 5, batch = 2, neurons = 3;

template <class S>
void check_alif_gradients(dyn::Reset reset, bool per_neuron, bool detach = false) {
  using N = dyn::ALIF<double, default_backend, smoothed<S>>;
  typename N::Options o;
  o.tau = 3.0;
  o.tau_per_neuron = per_neuron;
  o.tau_a = 4.0;
  o.beta = 0.6;
  o.V_th = 1.0;
  o.V_reset = -0.2;
  o.V_rest = 0.1;
  o.R = 1.5;
  o.reset = reset;
  o.detach_reset = detach;
  N lif(neurons, o);
  if (per_neuron) lif.tau.set_value(Tensor<double>({2.0, 3.0, 4.5}));
  const Shape shape{batch, neurons};
  auto xs = random_tensor({steps, batch, neurons}, 21, 0.0, 2.5);
  auto v0 = random_tensor(shape, 22, 0.0, 1.2);
  auto a0 = random_tensor(shape, 23, 0.0, 1.0);
  const auto w = random_tensor({steps, batch, neurons}, 24);
  const Context ctx{.dt = 1.0};

  const auto loss = [&] {
    lif.reset_state(batch);
    lif.V = v0;
    lif.a = a0;
    double total = 0;
    for (std::size_t t = 0; t < steps; ++t)
      total += modyn_test::weighted_sum(lif(slice(xs, t, shape), ctx), slice(w, t, shape));
    return total;
  };
  std::vector<typename N::tape_type> tapes(steps);
  auto gx = Tensor<double>::empty(xs.shape());
  auto gv0 = Tensor<double>::empty(shape);
  auto ga0 = Tensor<double>::empty(shape);
  const auto backward = [&] {
    lif.reset_state(batch);
    lif.V = v0;
    lif.a = a0;
    for (std::size_t t = 0; t < steps; ++t) lif.forward_train(slice(xs, t, shape), tapes[t], ctx);
    lif.begin_backward();
    for (std::size_t t = steps; t-- > 0;) {
      const auto& g = lif.backward(tapes[t], slice(w, t, shape), ctx);
      REQUIRE(g.shape() == shape);
      std::memcpy(gx.data() + t * shape.size(), g.data(), shape.size() * sizeof(double));
    }
    std::memcpy(gv0.data(), lif.V_grad().data(), shape.size() * sizeof(double));
    std::memcpy(ga0.data(), lif.a_grad().data(), shape.size() * sizeof(double));
  };
  const modyn_test::GradcheckOptions tolerance{.rtol = 1e-5, .atol = 1e-8};
  modyn_test::check_param_gradients(lif, loss, backward, tolerance);
  modyn_test::check_input_gradient(xs, gx, loss, tolerance);
  modyn_test::check_input_gradient(v0, gv0, loss, tolerance);
  modyn_test::check_input_gradient(a0, ga0, loss, tolerance);
}

}  // namespace

TEST_CASE("dyn::ALIF forward: one neuron over a few steps by hand", "[dyn][alif]") {
  // tau = 2, dt = 1: k = 0.5; tau_a = 10; beta = 0.5; V_th = 1.
  for (const dyn::Reset reset : {dyn::Reset::hard, dyn::Reset::soft}) {
    dyn::ALIF<double> n(1, {.tau = 2.0, .tau_a = 10.0, .beta = 0.5, .V_th = 1.0, .reset = reset});
    const Context ctx{.dt = 1.0};
    const Tensor<double> x({2.2});
    double v = 0, a = 0;
    int spikes = 0;
    for (int step = 0; step < 12; ++step) {
      const double v_pre = v + 0.5 * (2.2 - v);
      const double s = v_pre >= 1.0 + 0.5 * a ? 1.0 : 0.0;
      v = s == 0 ? v_pre : (reset == dyn::Reset::hard ? 0.0 : v_pre - 1.0);
      a = a * std::exp(-0.1) + s;
      spikes += static_cast<int>(s);
      CHECK(n(x, ctx).data()[0] == s);
      CHECK(n.V->data()[0] == Approx(v).epsilon(1e-14));
      CHECK(n.a->data()[0] == Approx(a).epsilon(1e-14));
    }
    // The threshold adapts: fewer spikes than a PLIF with the same input.
    CHECK(spikes > 0);
    dyn::PLIF<double> plain(1, {.tau = 2.0, .V_th = 1.0, .reset = reset});
    int plain_spikes = 0;
    for (int step = 0; step < 12; ++step) plain_spikes += static_cast<int>(plain(x, ctx).data()[0]);
    CHECK(spikes < plain_spikes);
  }
}

TEST_CASE("dyn::ALIF forward_train returns and leaves exactly what update does", "[dyn][alif][grad]") {
  dyn::ALIF<float> a(8, {.tau = 2.0f, .tau_per_neuron = true, .tau_a = 20.0f, .beta = 0.3f});
  dyn::ALIF<float> b = a;
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
      CHECK(a.a->data()[i] == b.a->data()[i]);
    }
  }
}

TEST_CASE("dyn::ALIF backward equals central finite differences (smoothed sigmoid)", "[dyn][alif][grad]") {
  for (const bool per_neuron : {false, true}) {
    check_alif_gradients<surrogate::sigmoid>(dyn::Reset::hard, per_neuron);
    check_alif_gradients<surrogate::sigmoid>(dyn::Reset::soft, per_neuron);
  }
}

TEST_CASE("dyn::ALIF backward equals central finite differences (smoothed arctan)", "[dyn][alif][grad]") {
  for (const bool per_neuron : {false, true}) {
    check_alif_gradients<surrogate::arctan>(dyn::Reset::hard, per_neuron);
    check_alif_gradients<surrogate::arctan>(dyn::Reset::soft, per_neuron);
  }
}

TEST_CASE("dyn::ALIF detach_reset removes exactly the reset path of the gradient", "[dyn][alif][grad]") {
  // As PLIF's test: one neuron, two steps; at step 0 the attached and
  // detached input gradients differ by k R gv (dV/ds) S'(z), and the
  // adaptation's gradient by -beta gv (dV/ds) S'(z).
  using S = smoothed<surrogate::sigmoid>;
  for (const dyn::Reset reset : {dyn::Reset::hard, dyn::Reset::soft}) {
    const double k = 0.25, R = 2.0, th = 1.0, v_reset = -0.5, beta = 0.4;
    struct result {
      double gx0, ga0, gv1, v_pre, a0;
    };
    const auto run = [&](bool detach) {
      dyn::ALIF<double, default_backend, S> n(1, {.tau = 4.0,
                                                  .tau_a = 5.0,
                                                  .beta = beta,
                                                  .V_th = th,
                                                  .V_reset = v_reset,
                                                  .R = R,
                                                  .reset = reset,
                                                  .detach_reset = detach});
      n.a = Tensor<double>({0.3});
      const Context ctx{.dt = 1.0};
      std::vector<decltype(n)::tape_type> tapes(2);
      n.forward_train(Tensor<double>({1.4}), tapes[0], ctx);
      n.forward_train(Tensor<double>({0.9}), tapes[1], ctx);
      n.begin_backward();
      n.backward(tapes[1], Tensor<double>({0.7}), ctx);
      const double gv1 = n.V_grad().data()[0];
      const double gx0 = n.backward(tapes[0], Tensor<double>({-0.3}), ctx).data()[0];
      return result{gx0, n.a_grad().data()[0], gv1, tapes[0].V_pre.data()[0], tapes[0].a.data()[0]};
    };
    const result attached = run(false), detached = run(true);
    CHECK(attached.gv1 == detached.gv1);
    const double dv_ds = reset == dyn::Reset::hard ? v_reset - attached.v_pre : -(th - v_reset);
    const double through_reset = attached.gv1 * dv_ds * S{}.grad(attached.v_pre - th - beta * attached.a0);
    CHECK(through_reset != Approx(0.0).margin(1e-3));
    CHECK(attached.gx0 - detached.gx0 == Approx(k * R * through_reset).epsilon(1e-12));
    CHECK(attached.ga0 - detached.ga0 == Approx(-beta * through_reset).epsilon(1e-12));
  }
}

TEST_CASE("dyn::ALIF errors: input shape, gradient shape", "[dyn][alif][grad]") {
  dyn::ALIF<double> n(3);
  n.set_name("adaptive");
  const Context ctx{};
  CHECK_THROWS_AS(n(random_tensor({4}, 1), ctx), shape_error);
  decltype(n)::tape_type tape;
  n.forward_train(random_tensor({3}, 1), tape, ctx);
  n.begin_backward();
  const auto message = modyn_test::message_of<shape_error>([&] { n.backward(tape, random_tensor({2}, 2)); });
  CHECK_THAT(message,
             Catch::Contains("dyn::ALIF 'adaptive'") && Catch::Contains("(3,)") && Catch::Contains("(2,)"));
  CHECK_THROWS_AS(dyn::ALIF<double>(3, {.tau_a = 0.0}), config_error);
}
