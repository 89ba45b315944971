// nn::GRUCell against a naive implementation of PyTorch's documented
// equations (gates r, z, n in that order):
//   r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
//   z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
//   n = tanh(x W_in + b_in + r * (h W_hn + b_hn))
//   h' = (1 - z) * n + z * h
// with W_ir, W_iz, W_in the column blocks [0, H), [H, 2H), [2H, 3H) of the
// stored (in, 3H) weight_ih, and likewise for weight_hh and the biases.
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

std::vector<double> gru_step(const nn::GRUCell<>& cell, const std::vector<double>& x,
                             const std::vector<double>& h, std::size_t rows) {
  const std::size_t H = hidden, G = 3 * hidden;
  const auto w_ih = ref::values(cell.weight_ih.value());  // (in, 3H)
  const auto w_hh = ref::values(cell.weight_hh.value());  // (H, 3H)
  const auto b_ih = ref::values(cell.bias_ih.value());
  const auto b_hh = ref::values(cell.bias_hh.value());
  // x W + b and h W + b, gate by gate: column j of gate g is column g * H + j.
  const auto input_part = [&](std::size_t r, std::size_t g, std::size_t j) {
    double s = b_ih[g * H + j];
    for (std::size_t k = 0; k < in; ++k) s += x[r * in + k] * w_ih[k * G + g * H + j];
    return s;
  };
  const auto hidden_part = [&](std::size_t r, std::size_t g, std::size_t j) {
    double s = b_hh[g * H + j];
    for (std::size_t k = 0; k < H; ++k) s += h[r * H + k] * w_hh[k * G + g * H + j];
    return s;
  };
  std::vector<double> out(rows * H);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < H; ++j) {
      const double reset = ref::sigmoid(input_part(r, 0, j) + hidden_part(r, 0, j));
      const double update = ref::sigmoid(input_part(r, 1, j) + hidden_part(r, 1, j));
      const double candidate = std::tanh(input_part(r, 2, j) + reset * hidden_part(r, 2, j));
      out[r * H + j] = (1.0 - update) * candidate + update * h[r * H + j];
    }
  }
  return out;
}

void check_steps(nn::GRUCell<>& cell, std::size_t steps) {
  Rng rng(31);
  cell.reset_state(batch);
  REQUIRE(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{batch, hidden});
  cell.h = rng.normal<float>({batch, hidden});
  std::vector<double> h = ref::values(cell.h.value());
  for (std::size_t t = 0; t < steps; ++t) {
    const auto x = rng.normal<float>({batch, in});
    const auto& y = cell(x);
    h = gru_step(cell, ref::values(x), h, batch);
    INFO("step " << t);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{batch, hidden});
    CHECK(&y == &cell.h.value());
    CHECK(ref::max_error(y, h) < 1e-5);
  }
}

}  // namespace

TEST_CASE("GRUCell: one step and several steps match PyTorch's equations", "[nn][gru_cell]") {
  nn::GRUCell cell(in, hidden, {.seed = 1});
  REQUIRE(ref::shape_of(cell.weight_ih.value()) == std::vector<std::size_t>{in, 3 * hidden});
  REQUIRE(ref::shape_of(cell.weight_hh.value()) == std::vector<std::size_t>{hidden, 3 * hidden});
  REQUIRE(ref::shape_of(cell.bias_ih.value()) == std::vector<std::size_t>{3 * hidden});
  REQUIRE(ref::shape_of(cell.bias_hh.value()) == std::vector<std::size_t>{3 * hidden});
  CHECK(cell.in_features() == in);
  CHECK(cell.out_features() == hidden);
  SECTION("one step") { check_steps(cell, 1); }
  SECTION("eight steps") { check_steps(cell, 8); }
}

TEST_CASE("GRUCell: b_hn is inside the reset gate's product (PyTorch, not the original GRU)",
          "[nn][gru_cell]") {
  // Only b_hn non-zero, everything else zero, h = 0: r = sigmoid(0) = 1/2,
  // z = 1/2, n = tanh(r * b_hn) = tanh(b_hn / 2), h' = n / 2.
  nn::GRUCell cell(2, 1, {.seed = 2});
  cell.weight_ih = Tensor<float>::zeros({2, 3});
  cell.weight_hh = Tensor<float>::zeros({1, 3});
  cell.bias_ih = Tensor<float>::zeros({3});
  cell.bias_hh = Tensor<float>{0, 0, 2};
  cell.reset_state(1);
  const auto& y = cell(Tensor<float>{{0.3f, -0.2f}});
  CHECK(double(y(0, 0)) == Approx(std::tanh(1.0) / 2).epsilon(1e-6));

  // b_in is outside it: n = tanh(b_in).
  cell.bias_hh = Tensor<float>::zeros({3});
  cell.bias_ih = Tensor<float>{0, 0, 2};
  cell.reset_state(1);
  CHECK(double(cell(Tensor<float>{{0.3f, -0.2f}})(0, 0)) == Approx(std::tanh(2.0) / 2).epsilon(1e-6));
}

TEST_CASE("GRUCell: unbatched input (in,) with reset_state(0)", "[nn][gru_cell]") {
  nn::GRUCell cell(in, hidden, {.seed = 5});
  cell.reset_state(0);
  CHECK(ref::shape_of(cell.h.value()) == std::vector<std::size_t>{hidden});
  Rng rng(6);
  std::vector<double> h(hidden, 0.0);
  for (int t = 0; t < 3; ++t) {
    const auto x = rng.normal<float>({in});
    const auto& y = cell(x);
    h = gru_step(cell, ref::values(x), h, 1);
    CHECK(ref::shape_of(y) == std::vector<std::size_t>{hidden});
    CHECK(ref::max_error(y, h) < 1e-5);
  }
}

TEST_CASE("GRUCell: reset_state shapes and batch mismatch", "[nn][gru_cell][error]") {
  nn::GRUCell cell(in, hidden, {.seed = 7});
  cell.reset_state(batch);
  CHECK(cell.h.value() == Tensor<float>::zeros({batch, hidden}));
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               cell(Tensor<float>::zeros({2, in}));
             }),
             Contains("reset_state") && Contains("(3, 4)") && Contains("(2, 5)"));
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] {
               cell(Tensor<float>::zeros({batch, 6}));
             }),
             Contains("(batch, 5)") && Contains("(3, 6)"));
}

TEST_CASE("GRUCell: parameter and state paths, initialisation", "[nn][gru_cell]") {
  nn::GRUCell cell(in, hidden, {.seed = 8});
  CHECK(ref::paths_of(cell.named_parameters()) ==
        std::vector<std::string>{"weight_ih", "weight_hh", "bias_ih", "bias_hh"});
  CHECK(ref::paths_of(cell.named_states()) == std::vector<std::string>{"h"});
  CHECK(cell.num_parameters() == 3 * (in * hidden + hidden * hidden + 2 * hidden));

  nn::GRUCell big(50, 64, {.seed = 9});
  const double bound = 1.0 / std::sqrt(64.0);
  for (const auto& [path, value] : big.named_parameters()) {
    double max_abs = 0;
    for (const double v : ref::values(value.get())) max_abs = std::max(max_abs, std::abs(v));
    INFO(path);
    CHECK(max_abs <= bound);
    CHECK(max_abs > 0.9 * bound);
  }
  nn::GRUCell same(in, hidden, {.seed = 8});
  CHECK(same.weight_ih.value() == cell.weight_ih.value());
  CHECK(same.bias_hh.value() == cell.bias_hh.value());
}

// x and h are read before h is written, so an input that is the state itself
// needs no copy; checked against the same cell fed a copy of it.
TEST_CASE("GRUCell: fed its own hidden state as input, as if fed a copy of it", "[nn][gru_cell]") {
  nn::GRUCell fed_state(hidden, hidden, {.seed = 5});
  nn::GRUCell fed_copy(hidden, hidden, {.seed = 5});
  fed_state.reset_state(batch);
  fed_copy.reset_state(batch);
  fed_state.h = Rng(6).normal<float>({batch, hidden});
  fed_copy.h = fed_state.h.value();
  for (int t = 0; t < 3; ++t) {
    const Tensor<float> want(fed_copy(Tensor<float>(fed_copy.h.value())));
    CHECK(fed_state(fed_state.h.value()) == want);
  }
}
