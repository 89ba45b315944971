// nn::RNNCell against a naive implementation of PyTorch's documented
// equations, h' = f(x W_ih + b_ih + h W_hh + b_hh), written with plain loops
// over the stored (in, hidden) and (hidden, hidden) weights.
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

void check_steps(nn::RNNCell<>& cell, bool relu, std::size_t steps) {
  Rng rng(21);
  cell.reset_state(batch);
  REQUIRE(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{batch, hidden});
  // A non-zero initial state, so that W_hh matters from the first step.
  cell.h = rng.normal<float>({batch, hidden});
  std::vector<double> h = ref::values(cell.h.value());
  for (std::size_t t = 0; t < steps; ++t) {
    const auto x = rng.normal<float>({batch, in});
    const auto& y = cell(x);
    h = ref::rnn_step(cell, ref::values(x), h, batch, relu);
    INFO("step " << t);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{batch, hidden});
    CHECK(&y == &cell.h.value());  // the output is the new state
    CHECK(ref::max_error(y, h) < 1e-5);
  }
}

}  // namespace

TEST_CASE("RNNCell (tanh): one step and several steps match PyTorch's equations", "[nn][rnn_cell]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::tanh, {.seed = 1});
  REQUIRE(ref::shape_of(cell.weight_ih.value()) == std::vector<std::size_t>{in, hidden});
  REQUIRE(ref::shape_of(cell.weight_hh.value()) == std::vector<std::size_t>{hidden, hidden});
  REQUIRE(ref::shape_of(cell.bias_ih.value()) == std::vector<std::size_t>{hidden});
  REQUIRE(ref::shape_of(cell.bias_hh.value()) == std::vector<std::size_t>{hidden});
  CHECK(cell.in_features() == in);
  CHECK(cell.out_features() == hidden);
  SECTION("one step") { check_steps(cell, false, 1); }
  SECTION("eight steps") { check_steps(cell, false, 8); }
}

TEST_CASE("RNNCell (relu): several steps match PyTorch's equations", "[nn][rnn_cell]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::relu, {.seed = 2});
  CHECK(cell.nonlinearity == nn::Nonlinearity::relu);
  check_steps(cell, true, 8);
}

TEST_CASE("RNNCell: from a zero state after reset_state", "[nn][rnn_cell]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::tanh, {.seed = 3});
  cell.reset_state(batch);
  CHECK(cell.h.value() == Tensor<float>::zeros({batch, hidden}));
  const auto x = Rng(4).normal<float>({batch, in});
  const auto expected =
      ref::rnn_step(cell, ref::values(x), std::vector<double>(batch * hidden, 0.0), batch, false);
  CHECK(ref::max_error(cell(x), expected) < 1e-5);
  // reset_state zeroes the state again, with another batch size.
  cell.reset_state(7);
  CHECK(cell.h.value() == Tensor<float>::zeros({7, hidden}));
}

TEST_CASE("RNNCell: unbatched input (in,) with reset_state(0)", "[nn][rnn_cell]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::tanh, {.seed = 5});
  // A new cell's state has no batch axis: it takes (in,) inputs directly.
  CHECK(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{hidden});
  cell.reset_state(0);
  CHECK(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{hidden});
  Rng rng(6);
  std::vector<double> h(hidden, 0.0);
  for (int t = 0; t < 3; ++t) {
    const auto x = rng.normal<float>({in});
    const auto& y = cell(x);
    h = ref::rnn_step(cell, ref::values(x), h, 1, false);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{hidden});
    CHECK(ref::max_error(y, h) < 1e-5);
  }
}

TEST_CASE("RNNCell: an input whose batch does not match h throws shape_error mentioning reset_state",
          "[nn][rnn_cell][error]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::tanh, {.seed = 7});
  cell.reset_state(batch);
  const auto x = Tensor<float>::zeros({2, in});
  CHECK_THROWS_AS(cell(x), modyn::shape_error);
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] { cell(x); }),
             Contains("reset_state") && Contains("(3, 4)") && Contains("(2, 5)"));

  // A new cell (state (hidden,)) given a batch.
  nn::RNNCell fresh(in, hidden);
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               fresh(Tensor<float>::zeros({batch, in}));
             }),
             Contains("reset_state"));
  // A batched state given an unbatched input.
  CHECK_THROWS_AS(cell(Tensor<float>::zeros({in})), modyn::shape_error);
}

TEST_CASE("RNNCell: an input of the wrong feature size or rank throws shape_error", "[nn][rnn_cell][error]") {
  nn::RNNCell cell(in, hidden);
  cell.reset_state(batch);
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               cell(Tensor<float>::zeros({batch, 6}));
             }),
             Contains("(batch, 5)") && Contains("(3, 6)"));
  CHECK_THROWS_AS(cell(Tensor<float>::zeros({2, batch, in})), modyn::shape_error);
  // The state is untouched by a failed call.
  CHECK(cell.h.value() == Tensor<float>::zeros({batch, hidden}));
}

TEST_CASE("RNNCell: parameter and state paths, initialisation", "[nn][rnn_cell]") {
  nn::RNNCell cell(in, hidden, nn::Nonlinearity::tanh, {.seed = 8});
  CHECK(ref::paths_of(cell.named_parameters()) ==
        std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(ref::paths_of(cell.named_states()) == std::vector<std::string>{"h"});
  CHECK(cell.num_parameters() == in * hidden + hidden * hidden + 2 * hidden);

  // PyTorch: every weight and bias uniform in +-1/sqrt(hidden).
  nn::RNNCell big(50, 64, nn::Nonlinearity::tanh, {.seed = 9});
  const double bound = 1.0 / std::sqrt(64.0);
  for (const auto& [path, value] : big.named_parameters()) {
    double max_abs = 0;
    for (const double v : ref::values(value.get())) max_abs = std::max(max_abs, std::abs(v));
    INFO(path);
    CHECK(max_abs <= bound);
    CHECK(max_abs > 0.9 * bound);
  }

  nn::RNNCell same(in, hidden, nn::Nonlinearity::tanh, {.seed = 8});
  CHECK(same.weight_ih.value() == cell.weight_ih.value());
  CHECK(same.weight_hh.value() == cell.weight_hh.value());
  CHECK(same.bias_hh.value() == cell.bias_hh.value());
}

// The cells read x and h before writing h, so an input that is the state
// itself needs no copy; checked against the same cell fed a copy of it (that
// path is checked against the equations above).
TEST_CASE("RNNCell: fed its own hidden state as input, as if fed a copy of it", "[nn][rnn_cell]") {
  const auto f = GENERATE(nn::Nonlinearity::tanh, nn::Nonlinearity::relu);
  nn::RNNCell fed_state(hidden, hidden, f, {.seed = 5});
  nn::RNNCell fed_copy(hidden, hidden, f, {.seed = 5});
  fed_state.reset_state(batch);
  fed_copy.reset_state(batch);
  fed_state.h = Rng(6).normal<float>({batch, hidden});
  fed_copy.h = fed_state.h.value();
  for (int t = 0; t < 3; ++t) {
    const Tensor<float> want(fed_copy(Tensor<float>(fed_copy.h.value())));
    CHECK(fed_state(fed_state.h.value()) == want);
  }
}
