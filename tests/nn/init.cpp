// init::reset_parameters(model, seed): Params drawn from streams keyed by
// (seed, module path), not by construction order; the layers'
// reset_parameters(Rng&) hooks; the key of construction-time initialisation.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "modyn/modyn.hpp"

namespace nn = modyn::nn;
using modyn::named;
using modyn::Rng;
using modyn::Sequential;
using modyn::Tensor;

namespace {

// Every Param of a model, by path, as float vectors.
template <class M>
std::vector<std::pair<std::string, std::vector<float>>> params_of(M& model) {
  std::vector<std::pair<std::string, std::vector<float>>> out;
  for (const auto& [path, t] : model.named_parameters()) out.emplace_back(path, t.get().to_vector());
  return out;
}

// The model of these tests: enc -> cell -> norm -> head.
template <class Enc, class Cell, class Norm, class Head>
auto make_model(Enc enc, Cell cell, Norm norm, Head head) {
  return Sequential{named<"enc">(std::move(enc)), named<"cell">(std::move(cell)),
                    named<"norm">(std::move(norm)), named<"head">(std::move(head))};
}

}  // namespace

TEST_CASE("init::reset_parameters: models built in different orders get the same parameters", "[nn][init]") {
  // Construction order decides the default generator's streams: the two
  // models start different, and are equal once initialised by path.
  nn::Dense enc_a(4, 8);
  nn::GRUCell cell_a(8, 6);
  nn::LayerNorm norm_a(6);
  nn::Dense head_a(6, 3);
  auto a = make_model(enc_a, cell_a, norm_a, head_a);

  nn::Dense head_b(6, 3);  // the reverse order
  nn::LayerNorm norm_b(6);
  nn::GRUCell cell_b(8, 6);
  nn::Dense enc_b(4, 8);
  auto b = make_model(enc_b, cell_b, norm_b, head_b);
  REQUIRE(params_of(a) != params_of(b));

  modyn::init::reset_parameters(a, 2024);
  modyn::init::reset_parameters(b, 2024);
  CHECK(params_of(a) == params_of(b));

  SECTION("a rebuilt model draws the same numbers") {
    auto c = make_model(nn::Dense(4, 8), nn::GRUCell(8, 6), nn::LayerNorm(6), nn::Dense(6, 3));
    modyn::init::reset_parameters(c, 2024);
    CHECK(params_of(c) == params_of(a));
    modyn::init::reset_parameters(c, 2024);  // and again: a pure function of (seed, path)
    CHECK(params_of(c) == params_of(a));
  }
  SECTION("another seed gives other numbers") {
    modyn::init::reset_parameters(b, 2025);
    const auto pa = params_of(a), pb = params_of(b);
    REQUIRE(pa.size() == pb.size());
    for (std::size_t k = 0; k < pa.size(); ++k) {
      INFO(pa[k].first);
      if (pa[k].first.starts_with("norm."))
        CHECK(pa[k].second == pb[k].second);  // ones and zeros
      else
        CHECK(pa[k].second != pb[k].second);
    }
  }
}

TEST_CASE("init::reset_parameters: each layer draws from the stream of its path", "[nn][init]") {
  auto model = make_model(nn::Dense(4, 8), nn::GRUCell(8, 6), nn::LayerNorm(6), nn::Dense(6, 3));
  const float* weight = model.get<"enc">().weight.raw().data();
  const auto version = model.get<"enc">().weight.version();
  modyn::init::reset_parameters(model, 7);
  CHECK(model.get<"enc">().weight.raw().data() == weight);  // redrawn in place
  CHECK(model.get<"enc">().weight.version() > version);     // and counted as a write

  // The same layer drawn on its own from Rng(7).for_path("enc") has the same numbers.
  nn::Dense alone(4, 8);
  Rng enc_stream = Rng(7).for_path("enc");
  alone.reset_parameters(enc_stream);
  CHECK(alone.weight.raw() == model.get<"enc">().weight.raw());
  CHECK(alone.bias.raw() == model.get<"enc">().bias.raw());

  // What the stream is: fill 0 for the weight, fill 1 for the bias, U(+-1/sqrt(in)).
  Rng manual = Rng(7).for_path("enc");
  const float bound = float(1.0 / std::sqrt(4.0));
  CHECK(model.get<"enc">().weight.raw() == manual.uniform<float>({4, 8}, -bound, bound));
  CHECK(model.get<"enc">().bias.raw() == manual.uniform<float>({8}, -bound, bound));

  // Another path, same shapes: other numbers.
  auto renamed = Sequential{named<"encoder">(nn::Dense(4, 8))};
  modyn::init::reset_parameters(renamed, 7);
  CHECK(renamed.get<"encoder">().weight.raw() != model.get<"enc">().weight.raw());

  // The same layer under the same path in another model: the same numbers.
  auto other = Sequential{named<"enc">(nn::Dense(4, 8)), named<"extra">(nn::Dense(8, 8))};
  modyn::init::reset_parameters(other, 7);
  CHECK(other.get<"enc">().weight.raw() == model.get<"enc">().weight.raw());

  // Recurrent cells: four fills in field order, U(+-1/sqrt(hidden)).
  Rng cell_stream = Rng(7).for_path("cell");
  const float hb = float(1.0 / std::sqrt(6.0));
  const auto& cell = model.get<"cell">();
  CHECK(cell.weight_ih.raw() == cell_stream.uniform<float>({8, 18}, -hb, hb));
  CHECK(cell.weight_hh.raw() == cell_stream.uniform<float>({6, 18}, -hb, hb));
  CHECK(cell.bias_ih.raw() == cell_stream.uniform<float>({18}, -hb, hb));
  CHECK(cell.bias_hh.raw() == cell_stream.uniform<float>({18}, -hb, hb));
}

TEST_CASE("init: a seeded layer draws what reset_parameters gives it as a model of its own", "[nn][init]") {
  // The documented key of construction-time initialisation: Rng(seed).for_path("").
  const nn::Dense seeded(7, 5, {.seed = 3});
  nn::Dense d(7, 5);
  modyn::init::reset_parameters(d, 3);
  CHECK(d.weight.raw() == seeded.weight.raw());
  CHECK(d.bias.raw() == seeded.bias.raw());
  Rng root = Rng(3).for_path("");
  const float bound = float(1.0 / std::sqrt(7.0));
  CHECK(seeded.weight.raw() == root.uniform<float>({7, 5}, -bound, bound));

  const nn::RNNCell r(3, 4, nn::Nonlinearity::tanh, {.seed = 9});
  nn::RNNCell r2(3, 4);
  modyn::init::reset_parameters(r2, 9);
  CHECK(r2.weight_hh.raw() == r.weight_hh.raw());
  const nn::LSTMCell l(3, 4, {.seed = 9});
  nn::LSTMCell l2(3, 4);
  modyn::init::reset_parameters(l2, 9);
  CHECK(l2.bias_hh.raw() == l.bias_hh.raw());

  // The hook keeps the constructor's kind.
  nn::Dense zeros(3, 2, {.kind = modyn::init::Kind::zeros});
  modyn::init::reset_parameters(zeros, 1);
  CHECK(zeros.weight.raw() == Tensor<float>::zeros({3, 2}));
  CHECK(zeros.bias.raw() == Tensor<float>::zeros({2}));
  nn::Dense xavier(30, 20, {.kind = modyn::init::Kind::xavier_uniform});
  modyn::init::reset_parameters(xavier, 1);
  const float xb = float(std::sqrt(6.0 / 50.0));
  Rng xs = Rng(1).for_path("");
  CHECK(xavier.weight.raw() == xs.uniform<float>({30, 20}, -xb, xb));

  // LayerNorm resets to ones and zeros.
  nn::LayerNorm norm(4);
  norm.weight = Tensor<float>::full({4}, 3.0f);
  norm.bias = Tensor<float>::full({4}, 3.0f);
  modyn::init::reset_parameters(norm, 1);
  CHECK(norm.weight.raw() == Tensor<float>::ones({4}));
  CHECK(norm.bias.raw() == Tensor<float>::zeros({4}));
}
