// modyn::Sequential: composition against manual computations, names and
// paths, nesting, user callables, contexts, shape errors naming entries,
// state dicts, reset_state, static sizes and the stateless prefix.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "compose/allocation_counter.hpp"
#include "modyn/modyn.hpp"
#include "nn/reference.hpp"

using Catch::Matchers::Contains;
using modyn::Context;
using modyn::named;
using modyn::Rng;
using modyn::Sequential;
using modyn::Tensor;
namespace nn = modyn::nn;

namespace {

std::vector<double> relu_of(std::vector<double> v) {
  for (double& x : v) x = ref::relu(x);
  return v;
}

// x W + b with the layer's stored weights, naive.
std::vector<double> dense_ref(const nn::Dense<>& d, const std::vector<double>& x) {
  const auto b = ref::values(d.bias.value());
  return ref::affine(x, x.size() / d.in_features(), d.in_features(), ref::values(d.weight.value()),
                     d.out_features(), &b);
}

}  // namespace

TEST_CASE("Sequential(Dense(100, 10), relu, Dense(10, 2)) equals the manual composition",
          "[compose][sequential]") {
  Sequential seq{nn::Dense(100, 10), modyn::relu, nn::Dense(10, 2)};
  STATIC_REQUIRE(decltype(seq)::size == 3);
  const auto x = Rng(1).normal<float>({256, 100});
  const auto& y = seq(x);
  CHECK(ref::shape_of(y) == std::vector<std::size_t>{256, 2});
  const auto expected = dense_ref(seq.get<2>(), relu_of(dense_ref(seq.get<0>(), ref::values(x))));
  CHECK(ref::max_error(y, expected) < 1e-5);

  // The same through the library's own tensor operations.
  const auto manual =
      modyn::matmul(modyn::relu(modyn::matmul(x, seq.get<0>().weight.value()) + seq.get<0>().bias.value()),
                    seq.get<2>().weight.value()) +
      seq.get<2>().bias.value();
  CHECK(modyn::allclose(y, manual, 1e-5, 1e-6));

  // Calling again with other data gives the new result (buffers are reused).
  const auto x2 = Rng(2).normal<float>({256, 100});
  const auto expected2 = dense_ref(seq.get<2>(), relu_of(dense_ref(seq.get<0>(), ref::values(x2))));
  CHECK(ref::max_error(seq(x2), expected2) < 1e-5);
  // And another batch size.
  const auto x3 = Rng(3).normal<float>({5, 100});
  CHECK(ref::shape_of(seq(x3)) == std::vector<std::size_t>{5, 2});
}

TEST_CASE("Sequential: more entry kinds in a row (tanh, LayerNorm, softmax, sigmoid)",
          "[compose][sequential]") {
  Sequential seq{nn::Dense(8, 6, {.seed = 1}), modyn::fn::tanh, nn::LayerNorm(6),
                 nn::Dense(6, 5, {.seed = 2}), modyn::softmax,  modyn::sigmoid};
  const auto x = Rng(4).normal<float>({7, 8});
  auto h = dense_ref(seq.get<0>(), ref::values(x));
  for (double& v : h) v = std::tanh(v);
  // LayerNorm with weight 1 and bias 0.
  for (std::size_t r = 0; r < 7; ++r) {
    double mean = 0, var = 0;
    for (std::size_t j = 0; j < 6; ++j) mean += h[r * 6 + j] / 6;
    for (std::size_t j = 0; j < 6; ++j) var += (h[r * 6 + j] - mean) * (h[r * 6 + j] - mean) / 6;
    for (std::size_t j = 0; j < 6; ++j) h[r * 6 + j] = (h[r * 6 + j] - mean) / std::sqrt(var + 1e-5);
  }
  h = dense_ref(seq.get<3>(), h);
  for (std::size_t r = 0; r < 7; ++r) {
    double sum = 0;
    for (std::size_t j = 0; j < 5; ++j) sum += std::exp(h[r * 5 + j]);
    for (std::size_t j = 0; j < 5; ++j) h[r * 5 + j] = ref::sigmoid(std::exp(h[r * 5 + j]) / sum);
  }
  CHECK(ref::max_error(seq(x), h) < 1e-5);
}

TEST_CASE("Sequential: named entries have named paths and get<name>", "[compose][sequential]") {
  Sequential seq{named<"l1">(nn::Dense(100, 10)), modyn::relu, named<"l2">(nn::Dense(10, 2))};
  CHECK(ref::paths_of(seq.named_parameters()) ==
        std::vector<std::string>{"l1.weight", "l1.bias", "l2.weight", "l2.bias"});
  CHECK(&seq.get<"l1">() == &seq.get<0>());
  CHECK(&seq.get<"l2">() == &seq.get<2>());
  CHECK(seq.get<"l1">().in_features() == 100);
  const auto& cseq = seq;
  CHECK(&cseq.get<"l2">() == &cseq.get<2>());
  // The named form computes the same as the unnamed one.
  const auto x = Rng(5).normal<float>({16, 100});
  const auto expected = dense_ref(seq.get<"l2">(), relu_of(dense_ref(seq.get<"l1">(), ref::values(x))));
  CHECK(ref::max_error(seq(x), expected) < 1e-5);
}

TEST_CASE("Sequential: unnamed entries are paths by index", "[compose][sequential]") {
  Sequential seq{nn::Dense(100, 10), modyn::relu, nn::Dense(10, 2)};
  CHECK(ref::paths_of(seq.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  CHECK(seq.num_parameters() == 100 * 10 + 10 + 10 * 2 + 2);
}

TEST_CASE("Sequential: nested Sequentials", "[compose][sequential]") {
  Sequential inner{named<"l1">(nn::Dense(4, 3, {.seed = 1})), modyn::fn::tanh};
  Sequential outer{inner, named<"head">(nn::Dense(3, 2, {.seed = 2}))};
  CHECK(ref::paths_of(outer.named_parameters()) ==
        std::vector<std::string>{"0.l1.weight", "0.l1.bias", "head.weight", "head.bias"});
  Sequential renamed{named<"enc">(inner), nn::Dense(3, 2, {.seed = 2})};
  CHECK(ref::paths_of(renamed.named_parameters()) ==
        std::vector<std::string>{"enc.l1.weight", "enc.l1.bias", "1.weight", "1.bias"});
  CHECK(&renamed.get<"enc">().get<"l1">() == &renamed.get<0>().get<0>());

  const auto x = Rng(6).normal<float>({5, 4});
  auto h = dense_ref(outer.get<0>().get<"l1">(), ref::values(x));
  for (double& v : h) v = std::tanh(v);
  CHECK(ref::max_error(outer(x), dense_ref(outer.get<"head">(), h)) < 1e-5);

  // Three levels.
  Sequential deep{
      named<"a">(Sequential{named<"b">(Sequential{nn::Dense(4, 4), modyn::relu}), nn::Dense(4, 2)}),
      modyn::sigmoid};
  CHECK(ref::paths_of(deep.named_parameters()) ==
        std::vector<std::string>{"a.b.0.weight", "a.b.0.bias", "a.1.weight", "a.1.bias"});
  CHECK(ref::shape_of(deep(x)) == std::vector<std::size_t>{5, 2});
}

TEST_CASE("Sequential: a user lambda entry", "[compose][sequential]") {
  Sequential seq{nn::Dense(4, 3, {.seed = 1}), [](const Tensor<float>& x) { return x * 2.0f; },
                 nn::Dense(3, 2, {.seed = 2})};
  const auto x = Rng(7).normal<float>({6, 4});
  auto h = dense_ref(seq.get<0>(), ref::values(x));
  for (double& v : h) v *= 2;
  CHECK(ref::max_error(seq(x), dense_ref(seq.get<2>(), h)) < 1e-5);
  // Lambdas have no parameters: only the Dense entries have paths.
  CHECK(ref::paths_of(seq.named_parameters()) ==
        std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});

  // As the last entry, its result is returned by value.
  Sequential last{nn::Dense(4, 3, {.seed = 1}), [](const Tensor<float>& x) { return x + 1.0f; }};
  const Tensor<float> y = last(x);
  auto e = dense_ref(last.get<0>(), ref::values(x));
  for (double& v : e) v += 1;
  CHECK(ref::max_error(y, e) < 1e-5);
}

TEST_CASE("Sequential passes the context to entries that take it", "[compose][sequential][context]") {
  SECTION("a Dropout: training true vs false differ") {
    Sequential seq{nn::Dense(50, 50, {.seed = 1}), nn::Dropout(0.5, 7)};
    const auto x = Rng(8).normal<float>({20, 50});
    const Tensor<float> dense_out(seq.get<0>()(x));
    const Tensor<float> no_context(seq(x));
    const Tensor<float> eval(seq(x, Context{}));
    const Tensor<float> train(seq(x, Context{.training = true}));
    CHECK(no_context == dense_out);
    CHECK(eval == dense_out);
    CHECK_FALSE(train == eval);
    std::size_t zeros = 0, scaled = 0;
    for (std::size_t i = 0; i < train.size(); ++i) {
      if (train.data()[i] == 0.0f)
        ++zeros;
      else if (train.data()[i] == 2.0f * dense_out.data()[i])
        ++scaled;
    }
    CHECK(zeros + scaled == train.size());
    CHECK(double(zeros) / double(train.size()) == Approx(0.5).margin(0.05));
  }
  SECTION("a lambda taking (x, context)") {
    Sequential seq{[](const Tensor<float>& x, const Context& c) { return x * float(c.i); }, modyn::identity};
    const Tensor<float> x{1, 2, 3};
    CHECK(seq(x, Context{.i = 4}) == Tensor<float>{4, 8, 12});
    CHECK(seq(x) == Tensor<float>{0, 0, 0});  // no context: the default one, i = 0
  }
}

TEST_CASE("Sequential: a runtime size mismatch throws shape_error naming both entries and the shape",
          "[compose][sequential][error]") {
  Sequential bad{nn::Dense(100, 10), modyn::relu, nn::Dense(20, 2)};
  const auto x = Rng(9).normal<float>({256, 100});
  CHECK_THROWS_AS(bad(x), modyn::shape_error);
  const std::string message = ref::message_of<modyn::shape_error>([&] { bad(x); });
  INFO(message);
  CHECK_THAT(message, Contains("entry 2 (Dense)") && Contains("fed by entry 1") && Contains("(256, 10)") &&
                          Contains("(..., 20)") && Contains(bad.name()));

  // Named entries are named; the first entry has no feeder.
  Sequential named_bad{named<"enc">(nn::Dense(100, 10)), modyn::relu, named<"dec">(nn::Dense(20, 2))};
  const std::string m2 = ref::message_of<modyn::shape_error>([&] { named_bad(x); });
  CHECK_THAT(m2, Contains("entry dec (Dense)") && Contains("fed by entry 1"));
  const std::string m3 = ref::message_of<modyn::shape_error>([&] {
    named_bad(Tensor<float>::zeros({4, 99}));
  });
  CHECK_THAT(m3, Contains("entry enc (Dense)") && Contains("(4, 99)") && Contains("(..., 100)"));
  CHECK_THAT(m3, !Contains("fed by"));

  // A Dense after a Dense (no fusion): the feeder is the Dense.
  Sequential two{nn::Dense(100, 10), nn::Dense(20, 2)};
  CHECK_THAT(ref::message_of<modyn::shape_error>([&] { two(x); }),
             Contains("entry 1 (Dense), fed by entry 0 (Dense)") && Contains("(256, 10)"));
}

TEST_CASE("Sequential: a device_error of an entry is re-thrown naming the entry",
          "[compose][sequential][error]") {
  // What the CUDA backend throws when a call fails (here by hand: this
  // machine may have no GPU).
  Sequential seq{
      nn::Dense(3, 3), named<"gpu_step">([](const Tensor<float>& x) -> Tensor<float> {
        (void)x;
        throw modyn::device_error("modyn::cuda: cudaMallocAsync(12 bytes) failed: cudaErrorMemoryAllocation");
      })};
  const std::string message = ref::message_of<modyn::device_error>([&] {
    seq(Tensor<float>::zeros({2, 3}));
  });
  INFO(message);
  CHECK_THAT(message, Contains("entry gpu_step") && Contains(seq.name()) && Contains("cudaMallocAsync") &&
                          Contains("cudaErrorMemoryAllocation"));
}

TEST_CASE("Sequential: state_dict round trip", "[compose][sequential][state_dict]") {
  const auto make = [](std::uint64_t seed) {
    return Sequential{named<"l1">(nn::Dense(6, 4, {.seed = seed})), modyn::relu,
                      named<"l2">(nn::Dense(4, 2, {.seed = seed + 1}))};
  };
  auto a = make(1);
  auto b = make(10);
  const auto x = Rng(10).normal<float>({3, 6});
  const auto dict = a.state_dict();
  CHECK(dict.keys() == std::vector<std::string>{"l1.weight", "l1.bias", "l2.weight", "l2.bias"});
  CHECK_FALSE(Tensor<float>(b(x)) == Tensor<float>(a(x)));
  const auto result = b.load_state_dict(dict);
  CHECK(result.ok());
  CHECK(Tensor<float>(b(x)) == Tensor<float>(a(x)));
  CHECK(b.get<"l1">().weight.value() == a.get<"l1">().weight.value());

  SECTION("with recurrent states") {
    Sequential r1{named<"rnn">(nn::RNNCell(3, 4, nn::Nonlinearity::tanh, {.seed = 1})),
                  named<"out">(nn::Dense(4, 2, {.seed = 2}))};
    Sequential r2{named<"rnn">(nn::RNNCell(3, 4, nn::Nonlinearity::tanh, {.seed = 3})),
                  named<"out">(nn::Dense(4, 2, {.seed = 4}))};
    r1.reset_state(2);
    r2.reset_state(2);
    const auto xs = Rng(11).normal<float>({2, 3});
    r1(xs);
    r1(xs);
    const auto d = r1.state_dict();
    CHECK(d.keys() == std::vector<std::string>{"rnn.weight_ih", "rnn.weight_hh", "rnn.bias_ih", "rnn.bias_hh",
                                               "out.weight", "out.bias", "rnn.h"});
    r2.load_state_dict(d);
    CHECK(r2.get<"rnn">().h.value() == r1.get<"rnn">().h.value());
    CHECK(Tensor<float>(r2(xs)) == Tensor<float>(r1(xs)));
  }
}

TEST_CASE("Sequential: reset_state reaches the cells inside", "[compose][sequential]") {
  Sequential seq{named<"a">(nn::RNNCell(5, 4)), modyn::fn::tanh, named<"b">(nn::GRUCell(4, 3)),
                 nn::LSTMCell(3, 2)};
  CHECK(ref::paths_of(seq.named_states()) == std::vector<std::string>{"a.h", "b.h", "3.h", "3.c"});
  seq.reset_state(7);
  CHECK(ref::shape_of(seq.get<"a">().h.value()) == std::vector<std::size_t>{7, 4});
  CHECK(ref::shape_of(seq.get<"b">().h.value()) == std::vector<std::size_t>{7, 3});
  CHECK(ref::shape_of(seq.get<3>().h.value()) == std::vector<std::size_t>{7, 2});
  CHECK(ref::shape_of(seq.get<3>().c.value()) == std::vector<std::size_t>{7, 2});
  const auto x = Rng(12).normal<float>({7, 5});
  CHECK(ref::shape_of(seq(x)) == std::vector<std::size_t>{7, 2});
  CHECK_FALSE(seq.get<"a">().h.value() == Tensor<float>::zeros({7, 4}));
  seq.reset_state(7);
  CHECK(seq.get<"a">().h.value() == Tensor<float>::zeros({7, 4}));
  CHECK(seq.get<3>().c.value() == Tensor<float>::zeros({7, 2}));
  // Nested.
  Sequential outer{named<"inner">(Sequential{nn::RNNCell(2, 3)}), nn::Dense(3, 1)};
  outer.reset_state(4);
  CHECK(ref::shape_of(outer.get<"inner">().get<0>().h.value()) == std::vector<std::size_t>{4, 3});
  CHECK(ref::paths_of(outer.named_states()) == std::vector<std::string>{"inner.0.h"});
}

TEST_CASE("Sequential: static sizes flow through functions", "[compose][sequential][static]") {
  Sequential st{nn::Dense<100, 10>{}, modyn::relu, nn::Dense<10, 2>{}};
  STATIC_REQUIRE(decltype(st)::static_in_features == 100);
  STATIC_REQUIRE(decltype(st)::static_out_features == 2);
  using Head = Sequential<nn::Dense<100, 10>, modyn::Elementwise<modyn::relu_kernel>>;
  STATIC_REQUIRE(Head::static_out_features == 10);
  using Dyn = Sequential<nn::Dense<>, modyn::Elementwise<modyn::relu_kernel>>;
  STATIC_REQUIRE(Dyn::static_in_features == modyn::dynamic);
  STATIC_REQUIRE(Dyn::static_out_features == modyn::dynamic);
  const auto x = Rng(13).normal<float>({4, 100});
  CHECK(ref::shape_of(st(x)) == std::vector<std::size_t>{4, 2});
}

namespace {
using relu_t = modyn::Elementwise<modyn::relu_kernel>;
using tanh_t = modyn::Elementwise<modyn::tanh_kernel>;
// Callables as user lambdas would be, with nameable types.
struct PlainFn {
  Tensor<float> operator()(const Tensor<float>& x) const { return x; }
};
struct ContextFn {
  Tensor<float> operator()(const Tensor<float>& x, const Context&) const { return x; }
};
}  // namespace

TEST_CASE("Sequential::stateless_prefix", "[compose][sequential][static]") {
  STATIC_REQUIRE(Sequential<nn::Dense<>, relu_t, nn::Dense<>>::stateless_prefix == 3);
  STATIC_REQUIRE(Sequential<nn::Dense<>, relu_t, nn::RNNCell<>>::stateless_prefix == 2);
  STATIC_REQUIRE(Sequential<nn::Dense<>, relu_t, nn::RNNCell<>, nn::Dense<>>::stateless_prefix == 2);
  STATIC_REQUIRE(Sequential<nn::RNNCell<>, relu_t, nn::Dense<>>::stateless_prefix == 0);
  STATIC_REQUIRE(Sequential<nn::GRUCell<>>::stateless_prefix == 0);
  STATIC_REQUIRE(Sequential<nn::LayerNorm<>, modyn::Softmax, nn::LSTMCell<>>::stateless_prefix == 2);
  // Dropout takes the context: it ends the prefix.
  STATIC_REQUIRE(Sequential<nn::Dense<>, nn::Dropout<>, nn::Dense<>>::stateless_prefix == 1);
  STATIC_REQUIRE(Sequential<modyn::Named<"x", nn::Dense<>>, tanh_t, nn::RNNCell<>>::stateless_prefix == 2);
  STATIC_REQUIRE(Sequential<PlainFn, nn::RNNCell<>>::stateless_prefix == 1);
  STATIC_REQUIRE(Sequential<ContextFn, nn::Dense<>>::stateless_prefix == 0);
  // A nested Sequential is a module whose update accepts a context, so it
  // counts as context-dependent even when all its entries are stateless
  // (conservative: it is then run step by step).
  STATIC_REQUIRE(Sequential<Sequential<nn::Dense<>, relu_t>, nn::RNNCell<>>::stateless_prefix == 0);
  // The seed models.
  Sequential seq{nn::Dense(100, 10), modyn::relu, nn::Dense(10, 2)};
  Sequential rnn{named<"l1">(nn::RNNCell(100, 20)), modyn::relu, nn::RNNCell(20, 2)};
  Sequential hoisted{nn::Dense(100, 32), modyn::relu, nn::RNNCell(32, 8)};
  CHECK(decltype(seq)::stateless_prefix == 3);
  CHECK(decltype(rnn)::stateless_prefix == 0);
  CHECK(decltype(hoisted)::stateless_prefix == 2);
}

TEST_CASE("Sequential of stateless entries allocates nothing once warm",
          "[compose][sequential][allocation]") {
  Sequential seq{nn::Dense(100, 10, {.seed = 1}),
                 modyn::relu,
                 nn::Dense(10, 10, {.seed = 2}),
                 modyn::fn::tanh,
                 nn::LayerNorm(10),
                 nn::Dense(10, 4, {.seed = 3}),
                 modyn::softmax,
                 modyn::sigmoid};
  const auto x = Rng(14).normal<float>({64, 100});
  const Tensor<float> first(seq(x));  // warm: buffers get their shapes
  const std::size_t allocations = alloc_counter::allocations_in([&] { seq(x); });
  CHECK(allocations == 0);
  CHECK(Tensor<float>(seq(x)) == first);
}
