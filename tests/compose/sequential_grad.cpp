// Sequential's backward: the entries' backward passes folded in reverse.
#include <catch2/catch.hpp>

#include "modyn/compose/sequential.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/dense.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"

using namespace modyn;
using modyn_test::random_tensor;
using Dense64 = nn::Dense<dynamic, dynamic, double>;

namespace {
template <class Model>
void check_model(Model& model, Shape in, Shape out) {
  auto x = random_tensor(in, 11);
  const auto w = random_tensor(out, 12);
  typename Model::tape_type tape;
  const auto loss = [&] { return modyn_test::weighted_sum(model(x), w); };
  Tensor<double> gx;
  modyn_test::check_param_gradients(model, loss, [&] {
    const auto& y = model.forward_train(x, tape);
    CHECK(modyn_test::weighted_sum(y, w) == Approx(loss()).epsilon(1e-12));
    gx = model.backward(tape, w);
  });
  modyn_test::check_input_gradient(x, gx, loss);
}
}  // namespace

TEST_CASE("Sequential backward: Dense and every elementwise activation, against finite differences",
          "[compose][grad]") {
  Sequential model{Dense64(4, 6), fn::tanh, Dense64(6, 5), fn::sigmoid, Dense64(5, 5), fn::silu,
                   Dense64(5, 5), fn::gelu, Dense64(5, 3), relu,        Dense64(3, 3)};
  check_model(model, {3, 4}, {3, 3});
}

TEST_CASE("Sequential backward: exp, log, sqrt, abs and softmax, against finite differences",
          "[compose][grad]") {
  // sigmoid keeps log and sqrt away from 0.
  Sequential model{Dense64(4, 5), fn::sigmoid,   fn::log, fn::abs,      fn::sqrt,     Dense64(5, 5),
                   fn::exp,       Dense64(5, 4), softmax, fn::identity, Dense64(4, 2)};
  check_model(model, {3, 4}, {3, 2});
}

TEST_CASE("Sequential backward: a shape error names the entry", "[compose][grad]") {
  Sequential model{named<"hidden">(Dense64(4, 6)), fn::tanh, named<"out">(Dense64(6, 2))};
  decltype(model)::tape_type tape;
  model.forward_train(random_tensor({3, 4}, 1), tape);
  const auto message = modyn_test::message_of<shape_error>([&] {
    model.backward(tape, random_tensor({3, 5}, 2));
  });
  CHECK_THAT(message, Catch::Contains("out") && Catch::Contains("(3, 2)") && Catch::Contains("(3, 5)"));
}

TEST_CASE("Sequential backward: InputGrad::no skips the first entry's input gradient", "[compose][grad]") {
  Sequential model{Dense64(4, 6), fn::tanh, Dense64(6, 2)};
  decltype(model)::tape_type tape;
  model.forward_train(random_tensor({3, 4}, 1), tape);
  CHECK(model.backward(tape, random_tensor({3, 2}, 2), {}, InputGrad::no).size() == 0);
  CHECK(model.get<0>().weight.grad().size() == 24);
}
