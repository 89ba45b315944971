// Layers with sizes known at compile time (nn::RNNCell<In, Hidden>,
// nn::GRUCell, nn::LSTMCell, nn::Dense<In, Out>): on the CPU their steps run
// nn/detail/static_step.hpp's fused kernel, which must compute what the
// layers of run-time sizes compute (GEMMs and a pass), and what PyTorch's
// equations written as plain loops compute. Sizes cover every tiling of a
// row: whole vectors, a narrower tail, scalar tails, scalars only, more
// chunks than the registers hold (chunk groups, staged rows), and batches
// that are not a multiple of the row block.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/backend/serial.hpp"
#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::dynamic;
using modyn::LoopOverTime;
using modyn::Rng;
using modyn::Sequential;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-5 : 1e-12;
}

template <class A, class B>
double max_difference(const A& a, const B& b) {
  REQUIRE(a.shape() == b.shape());
  double d = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    d = std::max(d, std::abs(double(a.data()[i]) - double(b.data()[i])));
  return d;
}

// Static and dynamic twins with the same weights, stepped on the same
// inputs from the same non-zero state; every output compared.
template <class Static, class Dynamic, class T>
void compare_steps(Static& fixed, Dynamic& reference, std::size_t rows, std::size_t in, bool rank1 = false) {
  fixed.load_state_dict(reference.state_dict());
  fixed.reset_state(rank1 ? 0 : rows);
  reference.reset_state(rank1 ? 0 : rows);
  if (rank1) {  // a rank-1 state: reset_state(0) is (hidden,), as reset_state()
    fixed.reset_state();
    reference.reset_state();
  }
  Rng rng(rows * 31 + in);
  for (std::size_t t = 0; t < 4; ++t) {
    const Tensor<T> x = rank1 ? rng.normal<T>({in}) : rng.normal<T>({rows, in});
    const auto& a = fixed(x);
    const auto& b = reference(x);
    INFO("step " << t << ", rows " << rows);
    REQUIRE(max_difference(a, b) < tolerance<T>());
  }
}

// Which layers compare_cells runs: the four layers share the kernel, so the
// rarer tilings are covered by some of them only (each size instantiates
// every layer's kernel and Module machinery: this file's compile time).
enum class Layers { all, rnn_dense, gated };

template <std::size_t In, std::size_t Hidden, class T = float, Layers which = Layers::all>
void compare_cells() {
  INFO("In " << In << ", Hidden " << Hidden);
  // 35 rows: two blocks of 16 rows in lanes (narrow_step, rows of at most 4
  // floats) and 3 by the chunks.
  for (const std::size_t rows : {std::size_t{1}, std::size_t{3}, std::size_t{13}, std::size_t{35}}) {
    if constexpr (which != Layers::gated) {
      for (const auto f : {nn::Nonlinearity::tanh, nn::Nonlinearity::relu}) {
        nn::RNNCell<In, Hidden, T> fixed(f, {.seed = 1});
        nn::RNNCell<dynamic, dynamic, T> reference(In, Hidden, f, {.seed = 2});
        compare_steps<decltype(fixed), decltype(reference), T>(fixed, reference, rows, In);
      }
      nn::Dense<In, Hidden, T> dense;
      nn::Dense<dynamic, dynamic, T> dense_reference(In, Hidden, {.seed = 5});
      compare_steps<decltype(dense), decltype(dense_reference), T>(dense, dense_reference, rows, In);
    }
    if constexpr (which != Layers::rnn_dense) {
      nn::GRUCell<In, Hidden, T> gru;
      nn::GRUCell<dynamic, dynamic, T> gru_reference(In, Hidden, {.seed = 3});
      compare_steps<decltype(gru), decltype(gru_reference), T>(gru, gru_reference, rows, In);
      nn::LSTMCell<In, Hidden, T> lstm;
      nn::LSTMCell<dynamic, dynamic, T> lstm_reference(In, Hidden, {.seed = 4});
      compare_steps<decltype(lstm), decltype(lstm_reference), T>(lstm, lstm_reference, rows, In);
    }
  }
}

}  // namespace

TEST_CASE("static-size cells and Dense compute what the run-time-size ones compute", "[nn][static]") {
  compare_cells<1, 1>();                               // scalars only
  compare_cells<3, 2, float, Layers::rnn_dense>();     // scalars only, two of them
  compare_cells<1, 8>();                               // one 256-bit vector (AVX-512: no whole 512-bit one)
  compare_cells<5, 7>();                               // a narrower vector and scalar tails
  compare_cells<4, 16, float, Layers::rnn_dense>();    // whole widest vectors
  compare_cells<100, 20, float, Layers::rnn_dense>();  // the seed RNN's first layer: 16 + 4
  compare_cells<2, 33, float, Layers::rnn_dense>();    // 16 + 16 + 1
  compare_cells<1, 40, float, Layers::gated>();        // 16 + 16 + 8
  compare_cells<8, 64, float, Layers::gated>();        // LSTM: 16 accumulators per row
  compare_cells<3, 200>();                             // more chunks than registers: groups, staged rows
  compare_cells<20, 2, float, Layers::rnn_dense>();    // the seed RNN's second layer: rows in lanes, K 16 + 4
  compare_cells<37, 4, float, Layers::rnn_dense>();    // rows in lanes, K 16 + 16 + 5 (a masked transpose)
}

TEST_CASE("static-size cells in double", "[nn][static]") {
  compare_cells<3, 5, double>();
  compare_cells<2, 12, double, Layers::rnn_dense>();
}

TEST_CASE("a static-size RNNCell against PyTorch's equations as plain loops", "[nn][static]") {
  constexpr std::size_t in = 7, hidden = 20, rows = 11;
  nn::RNNCell<in, hidden> cell(nn::Nonlinearity::tanh, {.seed = 9});
  Rng rng(3);
  cell.reset_state(rows);
  cell.h = rng.normal<float>({rows, hidden});
  std::vector<double> h = ref::values(cell.h.value());
  for (int t = 0; t < 5; ++t) {
    const auto x = rng.normal<float>({rows, in});
    const auto& y = cell(x);
    h = ref::rnn_step(cell, ref::values(x), h, rows, false);
    CHECK(&y == &cell.h.value());
    CHECK(ref::max_error(y, h) < 1e-5);
  }
}

TEST_CASE("a static-size cell takes rank-1 inputs and its own state as input", "[nn][static]") {
  nn::GRUCell<6, 6> fixed;
  nn::GRUCell reference(6, 6);
  compare_steps<decltype(fixed), decltype(reference), float>(fixed, reference, 1, 6, true);
  // x is the cell's own h: the kernel reads every row before writing it.
  fixed.reset_state(5);
  reference.reset_state(5);
  fixed.h = Rng(4).normal<float>({5, 6});
  reference.h = fixed.h.value();
  for (int t = 0; t < 3; ++t)
    REQUIRE(max_difference(fixed(fixed.h.value()), reference(reference.h.value())) < 2e-5);
}

TEST_CASE("the hoisted input half of a static-size RNNCell", "[nn][static]") {
  nn::RNNCell<9, 20> fixed;
  nn::RNNCell reference(9, 20);
  fixed.load_state_dict(reference.state_dict());
  const auto x = Rng(5).normal<float>({6, 3, 9});
  const Tensor<float> projected = fixed.project_input(x);
  CHECK(projected.shape() == modyn::Shape{6, 3, 20});
  CHECK(max_difference(projected, reference.project_input(x)) < 2e-5);
  fixed.reset_state(3);
  reference.reset_state(3);
  for (std::size_t t = 0; t < 6; ++t) {
    Tensor<float> a(projected[t]), b(projected[t]);
    REQUIRE(max_difference(fixed.update_projected(a.view()), reference.update_projected(b.view())) < 2e-5);
  }
}

TEST_CASE("LoopOverTime and training over static-size cells match run-time sizes", "[nn][static][train]") {
  auto make_fixed = [] {
    return Sequential{nn::RNNCell<6, 20>{}, modyn::relu, nn::GRUCell<20, 5>{}, nn::Dense<5, 2>{}};
  };
  auto fixed = LoopOverTime{make_fixed()};
  auto reference =
      LoopOverTime{Sequential{nn::RNNCell(6, 20), modyn::relu, nn::GRUCell(20, 5), nn::Dense(5, 2)}};
  fixed.model().load_state_dict(reference.model().state_dict());
  const auto x = Rng(6).normal<float>({8, 4, 6});
  fixed.reset_state(4);
  reference.reset_state(4);
  CHECK(max_difference(fixed(x), reference(x)) < 2e-5);

  // BPTT: forward_train keeps the run-time path, the gradients agree.
  auto fixed_train = LoopOverTime{make_fixed(), modyn::LoopOptions{.backprop = true}};
  auto reference_train =
      LoopOverTime{Sequential{nn::RNNCell(6, 20), modyn::relu, nn::GRUCell(20, 5), nn::Dense(5, 2)},
                   modyn::LoopOptions{.backprop = true}};
  fixed_train.model().load_state_dict(reference.model().state_dict());
  reference_train.model().load_state_dict(reference.model().state_dict());
  const auto gy = Rng(7).normal<float>({8, 4, 2});
  fixed_train.reset_state(4);
  reference_train.reset_state(4);
  fixed_train.model().zero_grad();
  reference_train.model().zero_grad();
  CHECK(max_difference(fixed_train(x), reference_train(x)) < 2e-5);
  fixed_train.backward(gy);
  reference_train.backward(gy);
  std::vector<std::pair<std::string, Tensor<float>>> fixed_grads, reference_grads;
  fixed_train.model().for_each_parameter(
      [&](std::string_view path, auto& p) { fixed_grads.emplace_back(std::string(path), p.grad()); });
  reference_train.model().for_each_parameter(
      [&](std::string_view path, auto& p) { reference_grads.emplace_back(std::string(path), p.grad()); });
  REQUIRE(fixed_grads.size() == reference_grads.size());
  REQUIRE(fixed_grads.size() == 10);
  for (std::size_t i = 0; i < fixed_grads.size(); ++i) {
    INFO(reference_grads[i].first);
    CHECK(fixed_grads[i].first == reference_grads[i].first);
    CHECK(max_difference(fixed_grads[i].second, reference_grads[i].second) < 1e-4);
  }
}

TEST_CASE("static sizes are checked at construction and in Sequential", "[nn][static][errors]") {
  using Cell = nn::RNNCell<3, 2>;
  STATIC_REQUIRE(Cell::static_in_features == 3);
  STATIC_REQUIRE(Cell::static_out_features == 2);
  STATIC_REQUIRE(Cell::has_static_sizes);
  STATIC_REQUIRE(!nn::RNNCell<>::has_static_sizes);
  STATIC_REQUIRE(Sequential<nn::GRUCell<4, 8>, nn::Dense<8, 1>>::static_out_features == 1);
  STATIC_REQUIRE(Sequential<nn::LSTMCell<4, 8>, nn::Dense<>>::static_in_features == 4);
  CHECK_THROWS_AS(Cell(4, 2), modyn::config_error);
  CHECK_THROWS_WITH(Cell(4, 2), Contains("nn::RNNCell: static in size 3 but constructed with 4"));
  CHECK_THROWS_WITH((nn::GRUCell<3, 2>(3, 5)),
                    Contains("nn::GRUCell: static hidden size 2 but constructed with 5"));
  CHECK_THROWS_WITH((nn::LSTMCell<3, 2>(1, 2)), Contains("nn::LSTMCell: static in size 3"));
  const Cell built(3, 2);  // the same sizes, given again: fine
  CHECK(built.weight_ih.value().shape() == modyn::Shape{3, 2});
  const nn::LSTMCell<5, 4> lstm;
  CHECK(lstm.weight_ih.value().shape() == modyn::Shape{5, 16});
  CHECK(lstm.weight_hh.value().shape() == modyn::Shape{4, 16});
  CHECK(lstm.c.value().shape() == modyn::Shape{4});
}

TEST_CASE("a static-size cell reports a wrong input or state as the run-time one does",
          "[nn][static][errors]") {
  nn::GRUCell<3, 4> cell;
  cell.set_name("g");
  cell.reset_state(2);
  CHECK_THROWS_WITH(cell(Tensor<float>::zeros({2, 5})),
                    Contains("nn::GRUCell 'g': expected an input of shape (batch, 3) or (3,), got (2, 5)"));
  CHECK_THROWS_WITH(cell(Tensor<float>::zeros({3, 3})),
                    Contains("the hidden state has shape (2, 4) but the input (3, 3) needs (3, 4)"));
  nn::LSTMCell<3, 4> lstm;
  lstm.reset_state(2);
  lstm.c = decltype(lstm.c)(Tensor<float>::zeros({3, 4}));  // a State of another shape
  CHECK_THROWS_WITH(lstm(Tensor<float>::zeros({2, 3})), Contains("the cell state has shape (3, 4)"));
  nn::Dense<3, 4> dense;
  CHECK_THROWS_AS(dense(Tensor<float>::zeros({2, 5})), modyn::shape_error);
}

TEST_CASE("static-size layers move to another backend with their sizes", "[nn][static][backends]") {
  nn::LSTMCell<3, 5> cell({.seed = 8});
  auto moved = modyn::to<modyn::serial>(cell);
  STATIC_REQUIRE(std::is_same_v<decltype(moved), nn::LSTMCell<3, 5, float, modyn::serial>>);
  cell.reset_state(2);
  moved.reset_state(2);
  const auto x = Rng(9).normal<float>({2, 3});
  const auto y = modyn::to<modyn::cpu>(moved(modyn::to<modyn::serial>(x)));
  CHECK(max_difference(cell(x), y) < 2e-5);
}
