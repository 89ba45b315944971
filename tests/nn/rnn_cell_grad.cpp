// nn::RNNCell's backward (tanh and relu) against central finite differences
// of a loss over several steps: every Param, every step's input and the
// initial hidden state (the carried h_grad() after the first step's backward).
#include <catch2/catch.hpp>
#include <cstddef>
#include <vector>

#include "modyn/nn/rnn_cell.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"

using namespace modyn;
using modyn_test::random_tensor;

namespace {

constexpr std::size_t batch = 3, in = 3, hidden = 4, steps = 4;
using Cell = nn::RNNCell<double>;

void check_cell_gradients(nn::Nonlinearity f) {
  Cell cell(in, hidden, f);
  std::vector<Tensor<double>> xs, ws;
  for (std::size_t t = 0; t < steps; ++t) {
    xs.push_back(random_tensor({batch, in}, 10 + t, -2.0, 2.0));
    ws.push_back(random_tensor({batch, hidden}, 20 + t));
  }
  auto h0 = random_tensor({batch, hidden}, 3);
  // sum over steps of sum(w_t * h_t), from h0
  const auto loss = [&] {
    cell.reset_state(batch);
    cell.h = h0;
    double s = 0.0;
    for (std::size_t t = 0; t < steps; ++t) s += modyn_test::weighted_sum(cell(xs[t]), ws[t]);
    return s;
  };
  std::vector<Cell::tape_type> tapes(steps);
  std::vector<Tensor<double>> gxs(steps);
  Tensor<double> gh0;
  modyn_test::check_param_gradients(cell, loss, [&] {
    cell.reset_state(batch);
    cell.h = h0;
    for (std::size_t t = 0; t < steps; ++t) cell.forward_train(xs[t], tapes[t]);
    cell.begin_backward();
    for (std::size_t t = steps; t-- > 0;) gxs[t] = cell.backward(tapes[t], ws[t]);
    gh0 = cell.h_grad();
  });
  for (std::size_t t = 0; t < steps; ++t) {
    INFO("input of step " << t);
    modyn_test::check_input_gradient(xs[t], gxs[t], loss);
  }
  INFO("initial h");
  modyn_test::check_input_gradient(h0, gh0, loss);
}

}  // namespace

TEST_CASE("nn::RNNCell backward (tanh): gradients over 4 steps equal central finite differences",
          "[nn][grad][rnn]") {
  check_cell_gradients(nn::Nonlinearity::tanh);
}

TEST_CASE("nn::RNNCell backward (relu): gradients over 4 steps equal central finite differences",
          "[nn][grad][rnn]") {
  check_cell_gradients(nn::Nonlinearity::relu);
}

TEST_CASE("nn::RNNCell forward_train returns what update returns and records the tape", "[nn][grad][rnn]") {
  for (const auto f : {nn::Nonlinearity::tanh, nn::Nonlinearity::relu}) {
    Cell a(in, hidden, f);
    Cell b = a;
    a.reset_state(batch);
    b.reset_state(batch);
    Cell::tape_type tape;
    for (std::size_t t = 0; t < steps; ++t) {
      const auto x = random_tensor({batch, in}, 40 + t);
      const std::vector<double> before = b.h.value().to_vector();
      const auto expected = a(x).to_vector();
      const auto& y = b.forward_train(x, tape);
      CHECK(&y == &b.h.value());
      CHECK(y.to_vector() == expected);
      CHECK(tape.input.to_vector() == x.to_vector());
      CHECK(tape.h_before.to_vector() == before);
      CHECK(tape.h_after.to_vector() == expected);
    }
  }
}

TEST_CASE("nn::RNNCell backward: without input gradient, an empty tensor and the same Param gradients",
          "[nn][grad][rnn]") {
  Cell cell(in, hidden);
  cell.reset_state(batch);
  Cell::tape_type tape;
  const auto x = random_tensor({batch, in}, 1);
  const auto w = random_tensor({batch, hidden}, 2);
  cell.forward_train(x, tape);
  cell.zero_grad();
  cell.begin_backward();
  cell.backward(tape, w);
  const auto with = cell.weight_ih.grad().to_vector();
  const auto h_with = cell.h_grad().to_vector();
  cell.zero_grad();
  cell.begin_backward();
  const auto& gx = cell.backward(tape, w, {}, InputGrad::no);
  CHECK(gx.size() == 0);
  CHECK(cell.weight_ih.grad().to_vector() == with);
  CHECK(cell.h_grad().to_vector() == h_with);
}

TEST_CASE("nn::RNNCell backward: a gradient of the wrong shape names the cell and both shapes",
          "[nn][grad][rnn]") {
  Cell cell(in, hidden);
  cell.reset_state(batch);
  Cell::tape_type tape;
  cell.forward_train(random_tensor({batch, in}, 1), tape);
  cell.begin_backward();
  const auto message = modyn_test::message_of<shape_error>([&] {
    cell.backward(tape, random_tensor({batch, hidden + 1}, 3));
  });
  CHECK_THAT(message,
             Catch::Contains("(3, 4)") && Catch::Contains("(3, 5)") && Catch::Contains("nn::RNNCell"));
}

TEST_CASE("nn::RNNCell backward: a carried gradient of another shape asks for begin_backward",
          "[nn][grad][rnn]") {
  Cell cell(in, hidden);
  cell.reset_state(batch);
  Cell::tape_type tape;
  cell.forward_train(random_tensor({batch, in}, 1), tape);
  const auto message = modyn_test::message_of<shape_error>([&] {
    cell.backward(tape, random_tensor({batch, hidden}, 3));
  });
  CHECK_THAT(message, Catch::Contains("begin_backward") && Catch::Contains("nn::RNNCell"));
}
