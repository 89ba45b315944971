#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "modyn/dyn/synapses/expon.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

namespace {

Tensor<double> slice(const Tensor<double>& xs, std::size_t t, Shape shape) {
  auto out = Tensor<double>::empty(shape);
  std::memcpy(out.data(), xs.data() + t * shape.size(), shape.size() * sizeof(double));
  return out;
}

constexpr std::size_t steps = 4, batch = 2, synapses = 3;

// Inputs of input_shape (the synapses' (batch, n), or the per-sample (n,)),
// loss sum_t w_t g_t: the input gradient and the initial g's gradient
// against central finite differences.
template <class Method>
void check_expon_gradients(Shape input_shape) {
  dyn::Expon<double, default_backend, Method> syn(synapses, {.tau = 3.0});
  const Shape shape{batch, synapses};
  auto xs = random_tensor({steps * input_shape.size()}, 51);
  auto g0 = random_tensor(shape, 52);
  const auto w = random_tensor({steps, batch, synapses}, 53);
  const Context ctx{.dt = 0.5};
  const auto loss = [&] {
    syn.reset_state(batch);
    syn.g = g0;
    double total = 0;
    for (std::size_t t = 0; t < steps; ++t)
      total += modyn_test::weighted_sum(syn(slice(xs, t, input_shape), ctx), slice(w, t, shape));
    return total;
  };
  std::vector<typename decltype(syn)::tape_type> tapes(steps);
  syn.reset_state(batch);
  syn.g = g0;
  for (std::size_t t = 0; t < steps; ++t) syn.forward_train(slice(xs, t, input_shape), tapes[t], ctx);
  syn.begin_backward();
  auto gx = Tensor<double>::empty(xs.shape());
  for (std::size_t t = steps; t-- > 0;) {
    const auto& g = syn.backward(tapes[t], slice(w, t, shape), ctx);
    REQUIRE(g.shape() == input_shape);
    std::memcpy(gx.data() + t * input_shape.size(), g.data(), input_shape.size() * sizeof(double));
  }
  auto gg0 = Tensor<double>::empty(shape);
  std::memcpy(gg0.data(), syn.g_grad().data(), shape.size() * sizeof(double));
  modyn_test::check_input_gradient(xs, gx, loss);
  modyn_test::check_input_gradient(g0, gg0, loss);
}

}  // namespace

TEST_CASE("dyn::Expon backward equals central finite differences", "[dyn][grad]") {
  check_expon_gradients<dyn::exp_euler>(Shape{batch, synapses});
  check_expon_gradients<dyn::euler>(Shape{batch, synapses});
}

TEST_CASE("dyn::Expon backward: an input of the per-sample shape gets the batch's sum", "[dyn][grad]") {
  check_expon_gradients<dyn::exp_euler>(Shape{synapses});
}

TEST_CASE("dyn::Expon forward_train returns and leaves exactly what update does", "[dyn][grad]") {
  dyn::Expon<float> a(5, {.tau = 2.0f});
  dyn::Expon<float> b = a;
  a.reset_state(2);
  b.reset_state(2);
  decltype(b)::tape_type tape;
  const Context ctx{.dt = 0.25};
  for (std::uint64_t step = 0; step < 5; ++step) {
    auto x = Tensor<float>::empty({2, 5});
    Rng(step).uniform(x, 0.0f, 1.0f);
    const auto& ya = a(x, ctx);
    const auto& yb = b.forward_train(x, tape, ctx);
    CHECK(&yb == &*b.g);
    for (std::size_t i = 0; i < ya.size(); ++i) CHECK(ya.data()[i] == yb.data()[i]);
  }
}

TEST_CASE("dyn::Expon backward with InputGrad::no still carries g_grad", "[dyn][grad]") {
  dyn::Expon<double> a(3, {.tau = 2.0}), b(3, {.tau = 2.0});
  decltype(a)::tape_type ta, tb;
  const Context ctx{.dt = 1.0};
  a.forward_train(random_tensor({3}, 1), ta, ctx);
  b.forward_train(random_tensor({3}, 1), tb, ctx);
  a.begin_backward();
  b.begin_backward();
  const auto w = random_tensor({3}, 2);
  CHECK(a.backward(ta, w, ctx, InputGrad::no).size() == 0);
  b.backward(tb, w, ctx);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(a.g_grad().data()[i] == b.g_grad().data()[i]);
    CHECK(a.g_grad().data()[i] == Approx(w.data()[i] * std::exp(-0.5)));
  }
}

TEST_CASE("dyn::Expon backward: a gradient of the wrong shape names the synapses and both shapes",
          "[dyn][grad]") {
  dyn::Expon<double> syn(3);
  syn.set_name("ampa");
  decltype(syn)::tape_type tape;
  syn.forward_train(random_tensor({3}, 1), tape, Context{});
  syn.begin_backward();
  const auto message =
      modyn_test::message_of<shape_error>([&] { syn.backward(tape, random_tensor({4}, 2)); });
  CHECK_THAT(message,
             Catch::Contains("dyn::Expon 'ampa'") && Catch::Contains("(3,)") && Catch::Contains("(4,)"));
}
