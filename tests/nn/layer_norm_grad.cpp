// nn::LayerNorm's backward against central finite differences in double:
// weight, bias and the input, over several calls whose gradients add up.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <tuple>
#include <vector>

#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/layer_norm.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

namespace {

// A layer whose weight and bias are not the ones / zeros they start as, so
// that a gradient mixing them up shows.
nn::LayerNorm<double> random_layer(std::size_t features) {
  nn::LayerNorm<double> ln(features);
  ln.weight = random_tensor({features}, 11, 0.5, 1.5);
  ln.bias = random_tensor({features}, 12);
  return ln;
}

}  // namespace

TEST_CASE("nn::LayerNorm backward: gradients equal central finite differences", "[nn][grad]") {
  const Shape shape = GENERATE(Shape{6}, Shape{4, 6}, Shape{2, 3, 6});
  auto ln = random_layer(6);
  // Three calls (as three steps of a run): the Param gradients of the three
  // backward calls add up; each input has its own gradient.
  std::vector<Tensor<double>> xs, ws;
  for (std::uint64_t t = 0; t < 3; ++t) {
    xs.push_back(random_tensor(shape, 1 + t, -2.0, 2.0));
    ws.push_back(random_tensor(shape, 10 + t));
  }
  const auto loss = [&] {
    double s = 0.0;
    for (std::size_t t = 0; t < xs.size(); ++t) s += modyn_test::weighted_sum(ln(xs[t]), ws[t]);
    return s;
  };
  std::vector<decltype(ln)::tape_type> tapes(xs.size());
  std::vector<Tensor<double>> gxs(xs.size());
  modyn_test::check_param_gradients(ln, loss, [&] {
    for (std::size_t t = 0; t < xs.size(); ++t) ln.forward_train(xs[t], tapes[t]);
    for (std::size_t t = xs.size(); t-- > 0;) gxs[t] = ln.backward(tapes[t], ws[t]);
  });
  for (std::size_t t = 0; t < xs.size(); ++t) {
    INFO("call " << t);
    modyn_test::check_input_gradient(xs[t], gxs[t], loss);
  }
}

TEST_CASE("nn::LayerNorm backward: a row of equal values has a finite gradient", "[nn][grad]") {
  // var = 0: inv_std = 1 / sqrt(eps), large but finite; the gradient still
  // matches the finite differences (with a looser tolerance: the loss is
  // steep there).
  auto ln = random_layer(4);
  ln.eps = 1e-2;
  auto x = Tensor<double>::full({2, 4}, 0.5);
  const auto w = random_tensor({2, 4}, 3);
  decltype(ln)::tape_type tape;
  const auto loss = [&] { return modyn_test::weighted_sum(ln(x), w); };
  Tensor<double> gx;
  modyn_test::check_param_gradients(ln, loss, [&] {
    ln.forward_train(x, tape);
    gx = ln.backward(tape, w);
  });
  modyn_test::check_input_gradient(x, gx, loss, {.eps = 1e-7, .rtol = 1e-5, .atol = 1e-8});
}

TEST_CASE("nn::LayerNorm forward_train returns what update returns and keeps each row's statistics",
          "[nn][grad]") {
  auto ln = random_layer(5);
  const auto x = random_tensor({3, 5}, 4, -3.0, 3.0);
  const Tensor<double> expected(ln(x));
  decltype(ln)::tape_type tape;
  const auto& y = ln.forward_train(x, tape);
  CHECK(y == expected);
  CHECK(tape.input == x);
  REQUIRE(tape.mean.shape() == Shape{3});
  REQUIRE(tape.inv_std.shape() == Shape{3});
  for (std::size_t r = 0; r < 3; ++r) {
    double mean = 0.0, var = 0.0;
    for (std::size_t j = 0; j < 5; ++j) mean += x.data()[r * 5 + j] / 5.0;
    for (std::size_t j = 0; j < 5; ++j)
      var += (x.data()[r * 5 + j] - mean) * (x.data()[r * 5 + j] - mean) / 5.0;
    CHECK(tape.mean.data()[r] == Approx(mean).epsilon(1e-12));
    CHECK(tape.inv_std.data()[r] == Approx(1.0 / std::sqrt(var + ln.eps)).epsilon(1e-12));
  }
  // The layer's own output as input (ln applied twice): the tape holds the
  // first output, and the result is what update gives for it.
  const Tensor<double> first(y);
  auto twin = random_layer(5);
  const Tensor<double> expected_twice(twin(first));
  const auto& y2 = ln.forward_train(ln.forward_train(x, tape), tape);
  CHECK(tape.input == first);
  CHECK(y2 == expected_twice);
}

TEST_CASE("nn::LayerNorm backward with InputGrad::no: the same Param gradients, an empty input gradient",
          "[nn][grad]") {
  auto ln = random_layer(5);
  const auto x = random_tensor({4, 5}, 5);
  const auto w = random_tensor({4, 5}, 6);
  decltype(ln)::tape_type tape;
  ln.forward_train(x, tape);
  ln.zero_grad();
  ln.backward(tape, w);
  const Tensor<double> dw(ln.weight.grad()), db(ln.bias.grad());
  ln.zero_grad();
  const auto& gx = ln.backward(tape, w, Context{}, InputGrad::no);
  CHECK(gx.size() == 0);
  CHECK(ln.weight.grad() == dw);
  CHECK(ln.bias.grad() == db);
}

TEST_CASE("nn::LayerNorm backward: a gradient of the wrong shape names the layer and both shapes",
          "[nn][grad]") {
  auto ln = random_layer(5);
  decltype(ln)::tape_type tape;
  ln.forward_train(random_tensor({4, 5}, 1), tape);
  const auto message = modyn_test::message_of<shape_error>([&] {
    ln.backward(tape, random_tensor({4, 6}, 3));
  });
  CHECK_THAT(message,
             Catch::Contains("(4, 5)") && Catch::Contains("(4, 6)") && Catch::Contains("nn::LayerNorm"));
}

TEMPLATE_TEST_CASE("nn::LayerNorm backward on another backend equals cpu", "[nn][grad][backends]",
                   modyn::serial, modyn::pseudo_device) {
  auto cpu_ln = random_layer(7);
  auto ln = modyn::to<TestType>(cpu_ln);
  const auto x = random_tensor({3, 7}, 8, -2.0, 2.0);
  const auto gy = random_tensor({3, 7}, 9);
  decltype(cpu_ln)::tape_type cpu_tape;
  typename decltype(ln)::tape_type tape;
  const std::vector<double> y = modyn::to<cpu>(ln.forward_train(modyn::to<TestType>(x), tape)).to_vector();
  const std::vector<double> cpu_y = cpu_ln.forward_train(x, cpu_tape).to_vector();
  ln.zero_grad();
  cpu_ln.zero_grad();
  const std::vector<double> gx = modyn::to<cpu>(ln.backward(tape, modyn::to<TestType>(gy))).to_vector();
  const std::vector<double> cpu_gx = cpu_ln.backward(cpu_tape, gy).to_vector();
  const auto close = [](const std::vector<double>& a, const std::vector<double>& b, const char* what) {
    INFO(what);
    REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(a[i] == Approx(b[i]).epsilon(1e-12).margin(1e-14));
  };
  close(y, cpu_y, "output");
  close(gx, cpu_gx, "input gradient");
  close(modyn::to<cpu>(ln.weight.grad()).to_vector(), cpu_ln.weight.grad().to_vector(), "weight gradient");
  close(modyn::to<cpu>(ln.bias.grad()).to_vector(), cpu_ln.bias.grad().to_vector(), "bias gradient");
  CHECK(ln.backward(tape, modyn::to<TestType>(gy), Context{}, InputGrad::no).size() == 0);
}
