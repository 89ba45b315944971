// nn::LSTMCell against a naive implementation of PyTorch's documented
// equations (gates i, f, g, o in that order):
//   i = sigmoid(x W_ii + b_ii + h W_hi + b_hi)    (columns [0, H))
//   f = sigmoid(...)                               (columns [H, 2H))
//   g = tanh(...)                                  (columns [2H, 3H))
//   o = sigmoid(...)                               (columns [3H, 4H))
//   c' = f * c + i * g,   h' = o * tanh(c')
// of the stored (in, 4H) weight_ih, (H, 4H) weight_hh and (4H,) biases.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::Rng;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

constexpr std::size_t batch = 3, in = 5, hidden = 4;

struct HC {
  std::vector<double> h, c;
};

HC lstm_step(const nn::LSTMCell<>& cell, const std::vector<double>& x, const HC& state, std::size_t rows) {
  const std::size_t H = hidden, G = 4 * hidden;
  const auto w_ih = ref::values(cell.weight_ih.value());  // (in, 4H)
  const auto w_hh = ref::values(cell.weight_hh.value());  // (H, 4H)
  const auto b_ih = ref::values(cell.bias_ih.value());
  const auto b_hh = ref::values(cell.bias_hh.value());
  // The pre-activation of gate g (0 = i, 1 = f, 2 = g, 3 = o), unit j, row r.
  const auto pre = [&](std::size_t r, std::size_t g, std::size_t j) {
    double s = b_ih[g * H + j] + b_hh[g * H + j];
    for (std::size_t k = 0; k < in; ++k) s += x[r * in + k] * w_ih[k * G + g * H + j];
    for (std::size_t k = 0; k < H; ++k) s += state.h[r * H + k] * w_hh[k * G + g * H + j];
    return s;
  };
  HC next{std::vector<double>(rows * H), std::vector<double>(rows * H)};
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < H; ++j) {
      const double i = ref::sigmoid(pre(r, 0, j));
      const double f = ref::sigmoid(pre(r, 1, j));
      const double g = std::tanh(pre(r, 2, j));
      const double o = ref::sigmoid(pre(r, 3, j));
      const double c = f * state.c[r * H + j] + i * g;
      next.c[r * H + j] = c;
      next.h[r * H + j] = o * std::tanh(c);
    }
  }
  return next;
}

void check_steps(nn::LSTMCell<>& cell, std::size_t steps) {
  Rng rng(41);
  cell.reset_state(batch);
  REQUIRE(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{batch, hidden});
  REQUIRE(ref::shape_of(cell.c.value()) == std::vector<std::size_t>{batch, hidden});
  cell.h = rng.normal<float>({batch, hidden});
  cell.c = rng.normal<float>({batch, hidden});
  HC state{ref::values(cell.h.value()), ref::values(cell.c.value())};
  for (std::size_t t = 0; t < steps; ++t) {
    const auto x = rng.normal<float>({batch, in});
    const auto& y = cell(x);
    state = lstm_step(cell, ref::values(x), state, batch);
    INFO("step " << t);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{batch, hidden});
    CHECK(&y == &cell.h.value());
    CHECK(ref::max_error(y, state.h) < 1e-5);
    CHECK(ref::max_error(cell.c.value(), state.c) < 1e-5);
  }
}

}  // namespace

TEST_CASE("LSTMCell: one step and several steps match PyTorch's equations", "[nn][lstm_cell]") {
  nn::LSTMCell cell(in, hidden, {.seed = 1});
  REQUIRE(ref::shape_of(cell.weight_ih.value()) == std::vector<std::size_t>{in, 4 * hidden});
  REQUIRE(ref::shape_of(cell.weight_hh.value()) == std::vector<std::size_t>{hidden, 4 * hidden});
  REQUIRE(ref::shape_of(cell.bias_ih.value()) == std::vector<std::size_t>{4 * hidden});
  REQUIRE(ref::shape_of(cell.bias_hh.value()) == std::vector<std::size_t>{4 * hidden});
  CHECK(cell.in_features() == in);
  CHECK(cell.out_features() == hidden);
  SECTION("one step") { check_steps(cell, 1); }
  SECTION("eight steps") { check_steps(cell, 8); }
}

TEST_CASE("LSTMCell: gate order i, f, g, o by hand", "[nn][lstm_cell]") {
  // Zero weights; biases pick each gate: i = sigmoid(1), f = sigmoid(-1),
  // g = tanh(0.5), o = sigmoid(2); c = 0.4, h = 0 before the step.
  nn::LSTMCell cell(2, 1, {.seed = 2});
  cell.weight_ih = Tensor<float>::zeros({2, 4});
  cell.weight_hh = Tensor<float>::zeros({1, 4});
  cell.bias_ih = Tensor<float>{1, -1, 0.5f, 2};
  cell.bias_hh = Tensor<float>::zeros({4});
  cell.reset_state(1);
  cell.c = Tensor<float>(modyn::Shape{1, 1}, {0.4f});
  const auto& h = cell(Tensor<float>{{0.7f, -0.1f}});
  const double c = ref::sigmoid(-1) * 0.4 + ref::sigmoid(1) * std::tanh(0.5);
  CHECK(double(cell.c.value()(0, 0)) == Approx(c).epsilon(1e-6));
  CHECK(double(h(0, 0)) == Approx(ref::sigmoid(2) * std::tanh(c)).epsilon(1e-6));
}

TEST_CASE("LSTMCell: unbatched input (in,) with reset_state(0)", "[nn][lstm_cell]") {
  nn::LSTMCell cell(in, hidden, {.seed = 5});
  cell.reset_state(0);
  CHECK(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{hidden});
  CHECK(ref::shape_of(cell.c.value()) == std::vector<std::size_t>{hidden});
  Rng rng(6);
  HC state{std::vector<double>(hidden, 0.0), std::vector<double>(hidden, 0.0)};
  for (int t = 0; t < 3; ++t) {
    const auto x = rng.normal<float>({in});
    const auto& y = cell(x);
    state = lstm_step(cell, ref::values(x), state, 1);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{hidden});
    CHECK(ref::max_error(y, state.h) < 1e-5);
    CHECK(ref::max_error(cell.c.value(), state.c) < 1e-5);
  }
}

TEST_CASE("LSTMCell: reset_state shapes and batch mismatch", "[nn][lstm_cell][error]") {
  nn::LSTMCell cell(in, hidden, {.seed = 7});
  cell.reset_state(batch);
  CHECK(cell.h.value() == Tensor<float>::zeros({batch, hidden}));
  CHECK(cell.c.value() == Tensor<float>::zeros({batch, hidden}));
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               cell(Tensor<float>::zeros({2, in}));
             }),
             Contains("reset_state") && Contains("(3, 4)") && Contains("(2, 5)"));
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               cell(Tensor<float>::zeros({batch, 6}));
             }),
             Contains("(batch, 5)") && Contains("(3, 6)"));
}

TEST_CASE("LSTMCell: parameter and state paths, initialisation", "[nn][lstm_cell]") {
  nn::LSTMCell cell(in, hidden, {.seed = 8});
  CHECK(ref::paths_of(cell.named_parameters()) ==
        std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(ref::paths_of(cell.named_states()) == std::vector<std::string>{"h", "c"});
  CHECK(cell.num_parameters() == 4 * (in * hidden + hidden * hidden + 2 * hidden));

  nn::LSTMCell big(50, 64, {.seed = 9});
  const double bound = 1.0 / std::sqrt(64.0);
  for (const auto& [path, value] : big.named_parameters()) {
    double max_abs = 0;
    for (const double v : ref::values(value.get())) max_abs = std::max(max_abs, std::abs(v));
    INFO(path);
    CHECK(max_abs <= bound);
    CHECK(max_abs > 0.9 * bound);
  }
  nn::LSTMCell same(in, hidden, {.seed = 8});
  CHECK(same.weight_ih.value() == cell.weight_ih.value());
  CHECK(same.bias_hh.value() == cell.bias_hh.value());
}

// x, h and c are read before h and c are written, so an input that is a
// state itself needs no copy; checked against the same cell fed a copy.
TEST_CASE("LSTMCell: fed its own h or c as input, as if fed a copy of it", "[nn][lstm_cell]") {
  const bool feed_c = GENERATE(false, true);
  nn::LSTMCell fed_state(hidden, hidden, {.seed = 5});
  nn::LSTMCell fed_copy(hidden, hidden, {.seed = 5});
  Rng rng(6);
  fed_state.reset_state(batch);
  fed_copy.reset_state(batch);
  fed_state.h = rng.normal<float>({batch, hidden});
  fed_state.c = rng.normal<float>({batch, hidden});
  fed_copy.h = fed_state.h.value();
  fed_copy.c = fed_state.c.value();
  for (int t = 0; t < 3; ++t) {
    const Tensor<float> want(fed_copy(Tensor<float>(feed_c ? fed_copy.c.value() : fed_copy.h.value())));
    CHECK(fed_state(feed_c ? fed_state.c.value() : fed_state.h.value()) == want);
    CHECK(fed_state.c.value() == fed_copy.c.value());
  }
}
