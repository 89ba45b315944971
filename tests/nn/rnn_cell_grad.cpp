// nn::RNNCell's backward (tanh and relu) against central finite differences
// of a loss over several steps: every Param, every step's input and the
// initial hidden state (the carried h_grad() after the first step's backward).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/rnn_cell.hpp"
#include "support/gradcheck.hpp"
#include "support/helpers.hpp"

using namespace modyn;
using modyn_test::random_tensor;

namespace {

constexpr std::size_t batch = 3, in = 3, hidden = 4, steps = 4;
using Cell = nn::RNNCell<modyn::dynamic, modyn::dynamic, double>;

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
  // The input half alone, too: it needs the W_ih^T that begin_backward keeps.
  const auto input_half = modyn_test::message_of<shape_error>([&] {
    cell.backward_projection(random_tensor({batch, in}, 4), random_tensor({batch, hidden}, 5));
  });
  CHECK_THAT(input_half, Catch::Contains("begin_backward") && Catch::Contains("nn::RNNCell"));
}

// begin_backward keeps W^T for the sweep: a second sweep after the weights
// changed uses the new weights (each sweep's own begin_backward).
TEST_CASE("nn::RNNCell backward after a weight update uses the updated weights", "[nn][grad][rnn]") {
  Cell cell(in, hidden);
  const auto x = random_tensor({batch, in}, 6);
  const auto gy = random_tensor({batch, hidden}, 7);
  const auto sweep = [&] {
    cell.reset_state(batch);
    Cell::tape_type tape;
    cell.forward_train(x, tape);
    cell.begin_backward();
    return modyn::to<modyn::cpu>(cell.backward(tape, gy)).to_vector();
  };
  const auto before = sweep();
  cell.weight_ih.raw_mut().view() = 0.5;
  const auto after = sweep();
  Cell fresh(in, hidden);
  fresh.weight_ih.raw_mut().view() = 0.5;
  fresh.weight_hh = cell.weight_hh.raw();
  fresh.bias_ih = cell.bias_ih.raw();
  fresh.bias_hh = cell.bias_hh.raw();
  fresh.reset_state(batch);
  Cell::tape_type tape;
  fresh.forward_train(x, tape);
  fresh.begin_backward();
  const auto expected = modyn::to<modyn::cpu>(fresh.backward(tape, gy)).to_vector();
  CHECK(after == expected);
  CHECK(after != before);
}

namespace {

std::vector<double> host_values(const auto& x) { return modyn::to<modyn::cpu>(x).to_vector(); }

// Three steps of forward_train, then backward: every step's input gradient,
// the carried state gradients and the Params' gradients, on the host.
template <class C, class ToBackend>
std::vector<std::vector<double>> run_backward(C& cell, ToBackend to_backend) {
  constexpr std::size_t rows = 2, n_steps = 3;
  cell.reset_state(rows);
  std::vector<typename C::tape_type> tapes(n_steps);
  for (std::size_t t = 0; t < n_steps; ++t) {
    cell.forward_train(to_backend(random_tensor({rows, cell.in_features()}, 50 + t)), tapes[t]);
  }
  cell.zero_grad();
  cell.begin_backward();
  std::vector<std::vector<double>> out;
  for (std::size_t t = n_steps; t-- > 0;) {
    out.push_back(
        host_values(cell.backward(tapes[t], to_backend(random_tensor({rows, cell.out_features()}, 60 + t)))));
  }
  out.push_back(host_values(cell.h_grad()));
  if constexpr (requires { cell.c_grad(); }) out.push_back(host_values(cell.c_grad()));
  cell.for_each_parameter([&](std::string_view, auto& p) { out.push_back(host_values(p.grad())); });
  return out;
}

// The same steps and backward on modyn::serial and modyn::pseudo_device
// (kernels on one lane, memory the host cannot touch: the device paths) give
// cpu's gradients, to rounding.
template <class OtherBackend>
void check_backward_on(Cell& cpu_cell) {
  auto cell = modyn::to<OtherBackend>(cpu_cell);
  const auto want = run_backward(cpu_cell, [](const Tensor<double>& x) { return x; });
  const auto got = run_backward(cell, [](const Tensor<double>& x) { return modyn::to<OtherBackend>(x); });
  REQUIRE(got.size() == want.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    REQUIRE(got[k].size() == want[k].size());
    for (std::size_t i = 0; i < got[k].size(); ++i) {
      INFO("gradient " << k << ", element " << i);
      CHECK(std::abs(got[k][i] - want[k][i]) <= 1e-12 * (1.0 + std::abs(want[k][i])));
    }
  }
}

}  // namespace

TEST_CASE("nn::RNNCell backward on serial and pseudo_device equals cpu", "[nn][grad][rnn][backends]") {
  for (const auto f : {nn::Nonlinearity::tanh, nn::Nonlinearity::relu}) {
    Cell cpu_cell(5, 7, f);
    check_backward_on<modyn::serial>(cpu_cell);
    check_backward_on<modyn::pseudo_device>(cpu_cell);
  }
}
