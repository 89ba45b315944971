// modyn::Param: identity-keeping assignment, shape errors naming the path,
// from_value / set_value, the cached transformed value.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "models.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/core/tensor_transfer.hpp"

using modyn::Param;
using modyn::Shape;
using modyn::Tensor;
using mt::message_of;

namespace {
double softplus(double x) { return std::log1p(std::exp(x)); }
}  // namespace

TEST_CASE("a Param holds its raw tensor, value() is the raw tensor without a transform", "[param]") {
  const Param<Tensor<float>> p(Tensor<float>{1.0f, -2.0f, 3.0f});
  CHECK(p.raw() == Tensor<float>{1.0f, -2.0f, 3.0f});
  CHECK(p.value() == p.raw());
  CHECK(&p.value() == &p.raw());  // no copy for the identity transform
  CHECK(&*p == &p.raw());
  CHECK(p->shape() == Shape{3});
  CHECK(p.shape() == Shape{3});
  CHECK(p.size() == 3);
  CHECK(p.path().empty());
  static_assert(std::is_same_v<decltype(p)::transform_type, modyn::transform::identity>);
  static_assert(std::is_same_v<decltype(p)::regularizer_type, modyn::reg::none>);

  const Param<Tensor<float>> empty;
  CHECK(empty.shape() == Shape{0});
  CHECK(empty.size() == 0);
}

TEST_CASE("assigning a same-shape value to a Param replaces the data in the same buffer", "[param]") {
  Param<Tensor<float>> p(Tensor<float>{1.0f, 2.0f, 3.0f});
  const float* buffer = p.raw().data();
  const auto view = p.raw_mut().view();

  p = Tensor<float>{4.0f, 5.0f, 6.0f};
  CHECK(p.raw() == Tensor<float>{4.0f, 5.0f, 6.0f});
  CHECK(p.raw().data() == buffer);
  CHECK(view.data()[2] == 6.0f);  // views of the Param see the new values

  // A copy: later changes to the source do not reach the Param.
  Tensor<float> source{7.0f, 8.0f, 9.0f};
  p = source;
  source.data()[0] = 0.0f;
  CHECK(p.raw() == Tensor<float>{7.0f, 8.0f, 9.0f});
  CHECK(p.raw().data() == buffer);

  // set_value without a transform is the same assignment.
  p.set_value(Tensor<float>{-1.0f, -2.0f, -3.0f});
  CHECK(p.raw() == Tensor<float>{-1.0f, -2.0f, -3.0f});
  CHECK(p.raw().data() == buffer);
}

TEST_CASE("assigning another shape to a Param throws shape_error naming the path and both shapes",
          "[param]") {
  Param<Tensor<float>> lone(Tensor<float>{1.0f});
  CHECK(message_of<modyn::shape_error>([&] { lone = Tensor<float>::full({}, 2.0f); }) ==
        "modyn: Param '<unnamed>': the shape of the original data is (1,), while we got ()");
  CHECK(lone.raw() == Tensor<float>{1.0f});

  mt::Net<> net;
  net.reset_state();  // any traversal stamps the paths
  CHECK(message_of<modyn::shape_error>([&] { net.scale = Tensor<float>::full({}, 1.0f); }) ==
        "modyn: Param 'scale': the shape of the original data is (1,), while we got ()");
  CHECK(message_of<modyn::shape_error>([&] {
          net.block.lin.weight = Tensor<float>::ones({2, 3});
        }) ==
        "modyn: Param 'block.lin.weight': the shape of the original data is (3, 2), while we got (2, 3)");
  CHECK(message_of<modyn::shape_error>([&] { net.block.gain.set_value(Tensor<float>::ones({3})); }) ==
        "modyn: Param 'block.gain': the shape of the original data is (2,), while we got (3,)");
  // Nothing changed.
  CHECK(net.scale.raw() == Tensor<float>{-2.0f});
  CHECK(net.block.lin.weight.raw() == Tensor<float>::full({3, 2}, 0.5f));
  CHECK(net.block.gain.raw() == Tensor<float>::zeros({2}));

  // A shape_error is a modyn::error.
  CHECK_THROWS_AS(net.head.bias = (Tensor<float>{1.0f, 2.0f}), modyn::error);

  // In a container, after named_parameters.
  mt::Pop<> pop;
  pop.named_parameters();
  CHECK(message_of<modyn::shape_error>([&] { pop.blocks[1].lin.bias = Tensor<float>{1.0f}; }) ==
        "modyn: Param 'blocks.1.lin.bias': the shape of the original data is (2,), while we got (1,)");
}

TEST_CASE("a Param keeps its transform and regularizer", "[param]") {
  using P = Param<Tensor<float>, modyn::transform::sigmoid, modyn::reg::L1>;
  const P p(Tensor<float>{0.0f}, {-1.0, 3.0}, {0.5});
  CHECK(p.transform().lower == -1.0);
  CHECK(p.transform().upper == 3.0);
  CHECK(p.regularizer().weight == 0.5);
  static_assert(std::is_same_v<P::transform_type, modyn::transform::sigmoid>);
  static_assert(std::is_same_v<P::regularizer_type, modyn::reg::L1>);

  const P q = P::from_value(Tensor<float>{1.0f}, {-1.0, 3.0}, {2.0});
  CHECK(q.transform().upper == 3.0);
  CHECK(q.regularizer().weight == 2.0);
  CHECK(q.raw().at(0) == Approx(0.0).margin(1e-6));
  CHECK(q.value().at(0) == Approx(1.0));
}

TEST_CASE("value() applies the transform, and the result follows the raw value", "[param][transform]") {
  Param<Tensor<float>, modyn::transform::softplus> p(Tensor<float>::zeros({3}));
  CHECK(p.value().shape() == Shape{3});
  for (const float v : p.value().to_vector()) CHECK(v == Approx(std::log(2.0)));
  CHECK(&p.value() != &p.raw());
  CHECK(&*p == &p.value());
  CHECK(p->size() == 3);

  // After assigning a new raw value.
  p = Tensor<float>{1.0f, 0.0f, -1.0f};
  CHECK(p.value().at(0) == Approx(softplus(1.0)));
  CHECK(p.value().at(1) == Approx(softplus(0.0)));
  CHECK(p.value().at(2) == Approx(softplus(-1.0)));

  // After writing through raw_mut().
  p.raw_mut().at(1) = 2.0f;
  CHECK(p.value().at(1) == Approx(softplus(2.0)));
  p.raw_mut() += 1.0f;
  CHECK(p.value().at(0) == Approx(softplus(2.0)));
  CHECK(p.value().at(1) == Approx(softplus(3.0)));
  CHECK(p.value().at(2) == Approx(softplus(0.0)));

  // raw_mut() may even replace the tensor by another shape.
  p.raw_mut() = Tensor<float>::zeros({2, 2});
  CHECK(p.value().shape() == Shape{2, 2});
  CHECK(p.value().at(1, 1) == Approx(std::log(2.0)));

  // After set_value.
  p.set_value(Tensor<float>::full({2, 2}, 1.0f));
  for (const float v : p.raw().to_vector()) CHECK(v == Approx(std::log(std::exp(1.0) - 1.0)));
  for (const float v : p.value().to_vector()) CHECK(v == Approx(1.0));

  // After loading a state dict into the model holding it.
  mt::Net<> net;
  CHECK(net.block.gain.value().at(0) == Approx(std::log(2.0)));
  auto dict = net.state_dict();
  dict.at("block.gain") = Tensor<float>{5.0f, -5.0f};
  net.load_state_dict(dict);
  CHECK(net.block.gain.value().at(0) == Approx(softplus(5.0)));
  CHECK(net.block.gain.value().at(1) == Approx(softplus(-5.0)));
}

TEST_CASE("from_value and set_value store the transform's inverse", "[param][transform]") {
  using modyn::transform::affine;
  const auto p = Param<Tensor<float>, affine>::from_value(Tensor<float>{1.0f, 3.0f, -5.0f}, affine{2.0, 1.0});
  CHECK(p.raw() == Tensor<float>{0.0f, 1.0f, -3.0f});  // (y - 1) / 2
  CHECK(p.value() == Tensor<float>{1.0f, 3.0f, -5.0f});

  auto q = Param<Tensor<float>, modyn::transform::exponential>::from_value(Tensor<float>{1.0f, 2.0f, 0.5f});
  CHECK(q.raw().at(0) == Approx(0.0).margin(1e-7));
  CHECK(q.raw().at(1) == Approx(std::log(2.0)));
  CHECK(q.raw().at(2) == Approx(-std::log(2.0)));
  const float* buffer = q.raw().data();
  q.set_value(Tensor<float>{std::exp(1.0f), 1.0f, std::exp(-2.0f)});
  CHECK(q.raw().data() == buffer);
  CHECK(q.raw().at(0) == Approx(1.0));
  CHECK(q.raw().at(1) == Approx(0.0).margin(1e-7));
  CHECK(q.raw().at(2) == Approx(-2.0));
  CHECK(q.value().at(2) == Approx(std::exp(-2.0)));

  // The identity: raw == value.
  const auto r = Param<Tensor<float>>::from_value(Tensor<float>{4.0f, -4.0f});
  CHECK(r.raw() == Tensor<float>{4.0f, -4.0f});
}

TEST_CASE("copies of a Param are independent", "[param]") {
  Param<Tensor<float>, modyn::transform::exponential> p(Tensor<float>{0.0f, 1.0f});
  CHECK(p.value().at(1) == Approx(std::exp(1.0)));
  auto q = p;
  CHECK(q.raw().data() != p.raw().data());
  q = Tensor<float>{1.0f, 0.0f};
  CHECK(q.value().at(0) == Approx(std::exp(1.0)));
  CHECK(p.raw() == Tensor<float>{0.0f, 1.0f});
  CHECK(p.value().at(0) == Approx(1.0));
  CHECK(p.value().at(1) == Approx(std::exp(1.0)));
}

TEST_CASE("a Param can hold double tensors", "[param]") {
  Param<Tensor<double>, modyn::transform::softplus> p(Tensor<double>{0.0, 40.0});
  CHECK(p.value().at(0) == Approx(std::log(2.0)).epsilon(1e-12));
  CHECK(p.value().at(1) == Approx(40.0).epsilon(1e-12));
  mt::Net<double> net;
  static_assert(std::is_same_v<decltype(net.named_parameters())::value_type::second_type,
                               std::reference_wrapper<Tensor<double>>>);
  CHECK(net.block.gain.value().at(1) == Approx(std::log(2.0)).epsilon(1e-12));
}

// The rule for references held across writes (param.hpp): raw_mut() counts as
// a write when called; an optimizer that keeps model.parameters() (raw_mut()
// references taken once) and writes through them later calls mark_modified().
TEST_CASE("writes through references kept from named_parameters() are seen after mark_modified()",
          "[param][transform][version]") {
  mt::Net<> net;
  auto params = net.named_parameters();
  REQUIRE(params[2].first == "block.gain");
  CHECK(net.block.gain.value().at(0) == Approx(std::log(2.0)));  // fills the cache
  const auto built_from = net.block.gain.cache_version();
  params[2].second.get() += 1.0f;  // an optimizer step through the kept reference
  REQUIRE(net.block.gain.raw() == Tensor<float>{1.0f, 1.0f});
  CHECK(net.block.gain.version() == built_from);  // not counted by itself
  net.block.gain.mark_modified();
  CHECK(net.block.gain.version() == built_from + 1);
  CHECK(net.block.gain.value().at(0) == Approx(softplus(1.0)));
  CHECK(net.block.gain.cache_version() == built_from + 1);

  Param<Tensor<float>, modyn::transform::exponential> p(Tensor<float>{0.0f});
  auto& raw = p.raw_mut();
  CHECK(p.value().at(0) == Approx(1.0));
  raw.at(0) = 1.0f;
  p.mark_modified();
  CHECK(p.value().at(0) == Approx(std::exp(1.0)));
}

TEST_CASE("every mutation path of a Param bumps its version and the cache follows", "[param][version]") {
  using P = Param<Tensor<float>, modyn::transform::softplus>;
  P p(Tensor<float>::zeros({3}));
  CHECK(p.version() == 0);
  CHECK(p.cache_version() == P::no_cache);  // never computed
  CHECK(p.value().at(0) == Approx(std::log(2.0)));
  CHECK(p.cache_version() == 0);

  // Each path: the version grows, and the next value() is computed from it.
  std::uint64_t last = p.version();
  const auto bumped = [&](const char* path, double expected0, bool stale = true) {
    INFO(path);
    CHECK(p.version() > last);
    if (stale) CHECK(p.cache_version() != p.version());  // until the next value()
    CHECK(p.value().at(0) == Approx(expected0));
    CHECK(p.cache_version() == p.version());
    last = p.version();
  };
  p = Tensor<float>{1.0f, 0.0f, 0.0f};
  bumped("operator=", softplus(1.0));
  p.set_value(Tensor<float>::full({3}, 2.0f));
  bumped("set_value", 2.0);
  p.raw_mut().at(0) = -1.0f;
  bumped("raw_mut", softplus(-1.0));
  p.mark_modified();
  bumped("mark_modified", softplus(-1.0));
  p = P(Tensor<float>{3.0f, 3.0f, 3.0f});
  bumped("assignment from a Param", softplus(3.0));
  const P q(Tensor<float>{4.0f, 4.0f, 4.0f});
  CHECK(q.value().at(0) == Approx(softplus(4.0)));
  p = q;  // a copy of a Param whose own cache is current: the cache comes along
  CHECK(p.cache_version() == p.version());
  CHECK(&p.value() != &q.value());
  bumped("copy assignment from a Param", softplus(4.0), false);
  CHECK(q.version() == 0);

  // load_state_dict assigns through operator=.
  mt::Net<> net;
  CHECK(net.block.gain.value().at(0) == Approx(std::log(2.0)));
  const auto before = net.block.gain.version();
  auto dict = net.state_dict();
  dict.at("block.gain") = Tensor<float>{5.0f, -5.0f};
  net.load_state_dict(dict);
  CHECK(net.block.gain.version() > before);
  CHECK(net.block.gain.value().at(1) == Approx(softplus(-5.0)));
  CHECK(net.block.gain.cache_version() == net.block.gain.version());
}

TEST_CASE("value() does not recompute or copy while nothing changed", "[param][version]") {
  // 1M elements: value() is a comparison of two versions, the cache is reused.
  Param<Tensor<float>, modyn::transform::exponential> p(Tensor<float>::zeros({1000, 1000}));
  const Tensor<float>& first = p.value();
  const float* buffer = first.data();
  const auto built_from = p.cache_version();
  REQUIRE(built_from == p.version());
  for (int i = 0; i < 100; ++i) {
    const Tensor<float>& again = p.value();
    REQUIRE(&again == &first);
    REQUIRE(again.data() == buffer);
  }
  CHECK(p.cache_version() == built_from);  // not recomputed
  CHECK(p.version() == built_from);        // reads are not writes
  (void)p.raw();
  (void)*p;
  (void)p->size();
  (void)p.reg_loss();
  CHECK(p.version() == built_from);
  CHECK(p.cache_version() == built_from);

  // A write recomputes into the same buffer: no new allocation per write.
  p.raw_mut().at(999, 999) = 1.0f;
  CHECK(p.value().at(999, 999) == Approx(std::exp(1.0)));
  CHECK(p.value().data() == buffer);
  CHECK(p.cache_version() == built_from + 1);

  // Untransformed: value() is raw(); the cache version is always the version.
  Param<Tensor<float>> plain(Tensor<float>{1.0f});
  CHECK(plain.cache_version() == plain.version());
  plain.raw_mut();
  CHECK(plain.version() == 1);
  CHECK(plain.cache_version() == 1);
}

TEST_CASE("a Param reserves a gradient buffer of its raw value's shape", "[param][grad]") {
  Param<Tensor<float>, modyn::transform::softplus> p(Tensor<float>{1.0f, 2.0f, 3.0f});
  CHECK_FALSE(p.has_grad());  // allocated on first use: inference pays nothing
  const auto& const_p = p;
  CHECK_THROWS_AS(const_p.grad(), modyn::config_error);
  CHECK_THAT(message_of<modyn::config_error>([&] { (void)const_p.grad(); }),
             Catch::Contains("Param '<unnamed>' has no gradient buffer"));

  Tensor<float>& g = p.grad();
  CHECK(p.has_grad());
  CHECK(g == Tensor<float>::zeros({3}));
  CHECK(&const_p.grad() == &g);
  const float* buffer = g.data();
  const auto version = p.version();

  g.at(1) = 5.0f;  // accumulate, as a backward pass does
  CHECK(const_p.grad().at(1) == 5.0f);
  CHECK(p.version() == version);  // the gradient is not the value
  p.zero_grad();
  CHECK(p.grad() == Tensor<float>::zeros({3}));
  CHECK(p.grad().data() == buffer);  // same buffer: no allocation per step
  for (int step = 0; step < 3; ++step) {
    p.grad() += 1.0f;
    p.zero_grad();
    REQUIRE(p.grad().data() == buffer);
  }

  // zero_grad() on a Param without one allocates it, zero-filled.
  Param<Tensor<double>> q(Tensor<double>::ones({2, 2}));
  q.zero_grad();
  CHECK(q.has_grad());
  CHECK(q.grad() == Tensor<double>::zeros({2, 2}));

  // A raw value of another shape (through raw_mut) gets a new buffer of its shape.
  q.raw_mut() = Tensor<double>::ones({3});
  CHECK_FALSE(q.has_grad());
  CHECK(q.grad().shape() == Shape{3});

  // Copies carry the gradient, independently.
  auto copy = p;
  copy.grad().at(0) = 2.0f;
  CHECK(p.grad().at(0) == 0.0f);
  CHECK(copy.has_grad());

  // Named through a model: the message names the path.
  mt::Net<> net;
  net.reset_state();
  const auto& cnet = net;
  CHECK_THAT(message_of<modyn::config_error>([&] { (void)cnet.block.lin.weight.grad(); }),
             Catch::Contains("Param 'block.lin.weight'"));
  CHECK(net.block.lin.weight.grad().shape() == net.block.lin.weight.shape());
}

TEST_CASE("on memory the host cannot read, writes are seen through the version", "[param][version][grad]") {
  // The former check compared the raw tensor on the host, so device writes
  // were missed; the version needs no access to the data.
  using D = modyn::pseudo_device;
  using modyn::to;
  Param<Tensor<float, D>, modyn::transform::exponential> p(to<D>(Tensor<float>{0.0f, 1.0f}));
  CHECK(to<modyn::cpu>(p.value()).to_vector()[1] == Approx(std::exp(1.0)));
  p.raw_mut() = to<D>(Tensor<float>{1.0f, 2.0f});  // a device write
  CHECK(to<modyn::cpu>(p.value()).to_vector()[0] == Approx(std::exp(1.0)));
  CHECK(to<modyn::cpu>(p.value()).to_vector()[1] == Approx(std::exp(2.0)));
  CHECK(p.cache_version() == p.version());
  // The gradient lives on the same backend, zero-filled.
  CHECK(to<modyn::cpu>(p.grad()) == Tensor<float>::zeros({2}));
  p.zero_grad();
  CHECK(p.has_grad());
}
