#include <catch2/catch.hpp>

#include "modyn/nn/dense.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"
using namespace modyn;
using modyn_test::random_tensor;

TEST_CASE("nn::Dense backward: gradients equal central finite differences", "[nn][grad]") {
  nn::Dense<dynamic, dynamic, double> d(5, 3);
  auto x = random_tensor({4, 5}, 1);
  const auto w = random_tensor({4, 3}, 2);
  decltype(d)::tape_type tape;
  const auto loss = [&] { return modyn_test::weighted_sum(d(x), w); };
  Tensor<double> gx;
  modyn_test::check_param_gradients(d, loss, [&] {
    d.forward_train(x, tape);
    gx = d.backward(tape, w);
  });
  modyn_test::check_input_gradient(x, gx, loss);
}

TEST_CASE("nn::Dense backward: a gradient of the wrong shape names the layer and both shapes", "[nn][grad]") {
  nn::Dense<dynamic, dynamic, double> d(5, 3);
  decltype(d)::tape_type tape;
  d.forward_train(random_tensor({4, 5}, 1), tape);
  const auto message = modyn_test::message_of<shape_error>([&] {
    d.backward(tape, random_tensor({4, 2}, 3));
  });
  CHECK_THAT(message, Catch::Contains("(4, 3)") && Catch::Contains("(4, 2)") && Catch::Contains("nn::Dense"));
}
