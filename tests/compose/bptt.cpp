// LoopOverTime's backward (BPTT), with and without recomputation from
// checkpoints, against central finite differences of whole runs.
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "modyn/compose/loop_over_time.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"

using namespace modyn;
using modyn_test::random_tensor;
using Tensor64 = Tensor<double>;

namespace {

// h' = tanh(a h + x), elementwise, with a trainable per unit: the smallest
// model whose gradient goes through time. Written with plain loops: an
// independent check of the loop's machinery.
struct Leaky : Module<Leaky> {
  using tensor_type = Tensor64;
  Param<Tensor64> a;
  State<Tensor64> h;
  MODYN_FIELDS(a, h)

  explicit Leaky(std::size_t n = 3) : a(random_tensor({n}, 5, 0.2, 0.9)), h(Shape{n}) {}

  const Tensor64& update(const Tensor64& x) { return step(x.data(), x.size()); }
  template <class X>
  const Tensor64& update(const X& x) {
    return step(static_cast<const double*>(x.data()), x.size());
  }

  struct tape_type {
    Tensor64 h_before, h_after;
  };
  template <class X>
  const Tensor64& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    ++forward_train_calls;
    keep_copy(tape.h_before, *h);
    step(static_cast<const double*>(x.data()), x.size());
    keep_copy(tape.h_after, *h);
    return *h;
  }
  template <class G>
  const Tensor64& backward(const tape_type& tape, const G& gy, const Context& = {},
                           InputGrad input_grad = InputGrad::yes) {
    const std::size_t n = a.raw().size();
    gx_.ensure_shape(tape.h_after.shape());
    for (std::size_t i = 0; i < tape.h_after.size(); ++i) {
      const double y = tape.h_after.data()[i];
      const double dpre = (static_cast<const double*>(gy.data())[i] + h_grad_.data()[i]) * (1 - y * y);
      a.grad().data()[i % n] += dpre * tape.h_before.data()[i];
      h_grad_.data()[i] = dpre * a.value().data()[i % n];
      gx_.data()[i] = dpre;
    }
    if (input_grad == InputGrad::no) return no_input_grad(gx_);
    return gx_;
  }
  void begin_backward() {
    h_grad_ = Tensor64::zeros(h->shape());
    ++backward_sweeps;
  }
  const Tensor64& h_grad() const { return h_grad_; }

  int backward_sweeps = 0;
  int forward_train_calls = 0;

 private:
  const Tensor64& step(const double* x, std::size_t size) {
    const std::size_t n = a.raw().size();
    for (std::size_t i = 0; i < size; ++i)
      h->data()[i] = std::tanh(a.value().data()[i % n] * h->data()[i] + x[i]);
    return *h;
  }
  Tensor64 gx_, h_grad_;
};

// Loss sum(w * out) over a run of the loop from reset states.
template <class Loop>
void check_loop(Loop& loop, Shape in, Shape out, std::size_t batch) {
  auto x = random_tensor(in, 21);
  const auto w = random_tensor(out, 22);
  const auto loss = [&] {
    loop.reset_state(batch);
    loop.reset_time();
    LoopOptions o = loop.options();
    return modyn_test::weighted_sum(
        LoopOverTime(loop.model(), LoopOptions{.dt = o.dt, .time_major = o.time_major})(x), w);
  };
  Tensor64 gx;
  modyn_test::check_param_gradients(loop.model(), loss, [&] {
    loop.reset_state(batch);
    const auto& y = loop(x);
    CHECK(modyn_test::weighted_sum(y, w) == Approx(loss()).epsilon(1e-12));
    loop.reset_state(batch);
    loop(x);
    gx = loop.backward(w, InputGrad::yes);
  });
  modyn_test::check_input_gradient(x, gx, loss);
}

}  // namespace

TEST_CASE("LoopOverTime backward: a recurrent model over 6 steps, against finite differences",
          "[compose][grad]") {
  Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), Leaky(3), fn::sigmoid,
                   nn::Dense<dynamic, dynamic, double>(3, 2)};
  LoopOverTime loop{model, {.training = true, .backprop = true}};
  check_loop(loop, {6, 2, 4}, {6, 2, 2}, 2);
}

TEST_CASE("LoopOverTime backward: the stateless head hoisted over every step, against finite differences",
          "[compose][grad]") {
  Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), fn::tanh, Leaky(3), fn::sigmoid,
                   nn::Dense<dynamic, dynamic, double>(3, 2)};
  LoopOverTime loop{model, {.training = true, .backprop = true, .hoist_in_training = true}};
  check_loop(loop, {6, 2, 4}, {6, 2, 2}, 2);
  LoopOverTime recomputing{
      model, {.training = true, .backprop = true, .checkpoint_every = 4, .hoist_in_training = true}};
  check_loop(recomputing, {6, 2, 4}, {6, 2, 2}, 2);
}

TEST_CASE("LoopOverTime backward: batch-major input and output", "[compose][grad]") {
  Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), Leaky(3)};
  LoopOverTime loop{model, {.time_major = false, .training = true, .backprop = true}};
  check_loop(loop, {2, 5, 4}, {2, 5, 3}, 2);
}

TEST_CASE("LoopOverTime backward: recomputation from checkpoints gives the same gradients",
          "[compose][grad]") {
  for (const std::size_t every : {2u, 3u, 4u, 7u, 20u}) {
    INFO("checkpoint_every = " << every);
    Sequential kept{nn::Dense<dynamic, dynamic, double>(4, 3), Leaky(3),
                    nn::Dense<dynamic, dynamic, double>(3, 2)};
    auto recomputed = kept;
    LoopOverTime all{kept, {.training = true, .backprop = true}};
    LoopOverTime some{recomputed, {.training = true, .backprop = true, .checkpoint_every = every}};
    const auto x = random_tensor({7, 2, 4}, 3);
    const auto w = random_tensor({7, 2, 2}, 4);
    all.reset_state(2);
    some.reset_state(2);
    kept.zero_grad();
    recomputed.zero_grad();
    const auto y_all = Tensor64(all(x));
    const auto y_some = Tensor64(some(x));
    const auto h_after = Tensor64(*recomputed.get<1>().h);
    const auto gx_all = Tensor64(all.backward(w, InputGrad::yes));
    const auto& gx_some = some.backward(w, InputGrad::yes);
    for (std::size_t i = 0; i < y_all.size(); ++i) CHECK(y_all.data()[i] == y_some.data()[i]);
    for (std::size_t i = 0; i < gx_all.size(); ++i)
      CHECK(gx_all.data()[i] == Approx(gx_some.data()[i]).epsilon(1e-14));
    const auto& ga = kept.get<0>().weight.grad();
    const auto& gb = recomputed.get<0>().weight.grad();
    for (std::size_t i = 0; i < ga.size(); ++i) CHECK(ga.data()[i] == Approx(gb.data()[i]).epsilon(1e-14));
    CHECK(kept.get<1>().a.grad().data()[0] == Approx(recomputed.get<1>().a.grad().data()[0]).epsilon(1e-14));
    // The States are those the forward left.
    for (std::size_t i = 0; i < h_after.size(); ++i)
      CHECK(recomputed.get<1>().h->data()[i] == h_after.data()[i]);
  }
}

TEST_CASE("LoopOverTime backward: errors", "[compose][grad]") {
  Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), Leaky(3)};
  LoopOverTime loop{model, {.training = true, .backprop = true}};
  loop.reset_state(2);
  SECTION("no training run") {
    CHECK_THAT(modyn_test::message_of<config_error>([&] {
                 loop.backward(random_tensor({5, 2, 3}, 1));
               }),
               Catch::Contains("no run to go back through"));
  }
  SECTION("a gradient of the wrong shape names both shapes") {
    loop(random_tensor({5, 2, 4}, 1));
    CHECK_THAT(modyn_test::message_of<shape_error>([&] {
                 loop.backward(random_tensor({5, 2, 2}, 1));
               }),
               Catch::Contains("(5, 2, 3)") && Catch::Contains("(5, 2, 2)"));
  }
  SECTION("tapes belong to a loop, and training alone keeps none") {
    loop(random_tensor({5, 2, 4}, 1));
    LoopOverTime<Sequential<nn::Dense<dynamic, dynamic, double>, Leaky>&> inference{model};
    inference(random_tensor({3, 2, 4}, 1));  // another loop over the model: the first one's tapes stay
    loop.backward(random_tensor({5, 2, 3}, 1));
    LoopOverTime plain{model, {.training = true}};
    plain(random_tensor({5, 2, 4}, 1));
    CHECK_THAT(modyn_test::message_of<config_error>([&] {
                 plain.backward(random_tensor({5, 2, 3}, 1));
               }),
               Catch::Contains("backprop"));
  }
  SECTION("a run is gone back through once") {
    loop(random_tensor({5, 2, 4}, 1));
    loop.backward(random_tensor({5, 2, 3}, 1));
    CHECK_THROWS_AS(loop.backward(random_tensor({5, 2, 3}, 1)), config_error);
  }
}

TEST_CASE("LoopOverTime backward: what is recomputed", "[compose][grad]") {
  // 7 steps in stretches of k: every stretch but the last is run again.
  for (const auto& [every, forward_steps] : std::vector<std::pair<std::size_t, int>>{
           {0, 7}, {1, 7}, {2, 7 + 6}, {3, 7 + 6}, {4, 7 + 4}, {7, 7}, {20, 7}}) {
    INFO("checkpoint_every = " << every);
    Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), Leaky(3)};
    LoopOverTime loop{model, {.training = true, .backprop = true, .checkpoint_every = every}};
    loop.reset_state(2);
    loop(random_tensor({7, 2, 4}, 1));
    loop.backward(random_tensor({7, 2, 3}, 2));
    CHECK(model.get<1>().forward_train_calls == forward_steps);
    CHECK(model.get<1>().backward_sweeps == 1);
  }
}

TEST_CASE("LoopOverTime backward: a model that is not differentiable", "[compose][grad]") {
  // A callable entry has no backward: the Sequential still runs, in training
  // mode too, and asking for backprop is a config_error that says why.
  Sequential model{nn::Dense<dynamic, dynamic, double>(4, 3), [](const Tensor64& x) { return Tensor64(x); }};
  static_assert(!Differentiable<decltype(model)>);
  LoopOverTime training{model, {.training = true}};
  CHECK(training(random_tensor({5, 2, 4}, 1)).shape() == Shape{5, 2, 3});
  LoopOverTime backprop{model, {.training = true, .backprop = true}};
  CHECK_THAT(modyn_test::message_of<config_error>([&] {
               backprop(random_tensor({5, 2, 4}, 1));
             }),
             Catch::Contains("not differentiable"));
}
