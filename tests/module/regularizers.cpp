// Regularizers, Param::reg_loss and Module::reg_loss, against hand-computed
// sums (on the transformed values).
#include <catch2/catch.hpp>
#include <cmath>

#include "models.hpp"

using modyn::Param;
using modyn::Tensor;
namespace reg = modyn::reg;
namespace transform = modyn::transform;

namespace {

const double ln2 = std::log(2.0);

// Params with every transform and regularizer, and a child module.
struct Regs : modyn::Module<Regs> {
  // exp: values {1, 2}; L1 weight 2: 2 * 3 = 6
  Param<Tensor<float>, transform::exponential, reg::L1> a{Tensor<float>{0.0f, float(ln2)}, {}, {2.0}};
  // identity: L2 weight 1: 1 + 4 + 9 = 14
  Param<Tensor<float>, transform::identity, reg::L2> b{Tensor<float>{1.0f, -2.0f, 3.0f}};
  // identity: L1 weight 0.1: 0.1 * (1.5 + 2) = 0.35
  Param<Tensor<float>, transform::identity, reg::L1> c{Tensor<float>{-1.5f, 2.0f}, {}, {0.1}};
  // softplus of 0: ln 2 each; L2 weight 0.5: 0.5 * 2 ln2^2 = ln2^2
  Param<Tensor<float>, transform::softplus, reg::L2> d{Tensor<float>::zeros({2}), {}, {0.5}};
  // sigmoid on (0, 2) of 0: 1 each; L1: 3
  Param<Tensor<float>, transform::sigmoid, reg::L1> e{Tensor<float>::zeros({3}), {0.0, 2.0}};
  // clip to [-1, 1]: {-1, 0.5}; L2: 1.25
  Param<Tensor<float>, transform::clip, reg::L2> f{Tensor<float>{-3.0f, 0.5f}, {-1.0, 1.0}};
  // no regularizer: 0
  Param<Tensor<float>> g{Tensor<float>{100.0f}};
  // a child: Net's reg_loss is ln2^2 + 0.5
  mt::Net<> net;

  MODYN_FIELDS(a, b, c, d, e, f, g, net)
};

}  // namespace

TEST_CASE("L1 is weight * sum |v|, L2 is weight * sum v^2, none is 0", "[reg]") {
  const Tensor<float> v{1.0f, -2.0f, 3.5f};
  CHECK(reg::none{}.loss(v) == 0.0);
  CHECK(reg::L1{}.loss(v) == 6.5);
  CHECK(reg::L1{0.5}.loss(v) == 3.25);
  CHECK(reg::L2{}.loss(v) == 17.25);
  CHECK(reg::L2{0.25}.loss(v) == Approx(17.25 / 4));
  CHECK(reg::L1{}.weight == 1.0);
  CHECK(reg::L2{}.weight == 1.0);

  CHECK(reg::L1{}.loss(Tensor<float>::zeros({0})) == 0.0);
  CHECK(reg::L2{}.loss(Tensor<double>{{1.0, 2.0}, {-3.0, 4.0}}) == 30.0);
  CHECK(reg::L1{3.0}.loss(Tensor<int>{-1, 2}) == 9.0);
}

TEST_CASE("Param::reg_loss regularizes the transformed value", "[reg][param]") {
  const Regs r;
  CHECK(r.a.reg_loss() == Approx(6.0));
  CHECK(r.b.reg_loss() == 14.0);
  CHECK(r.c.reg_loss() == Approx(0.35));
  CHECK(r.d.reg_loss() == Approx(ln2 * ln2));
  CHECK(r.e.reg_loss() == Approx(3.0));
  CHECK(r.f.reg_loss() == 1.25);
  CHECK(r.g.reg_loss() == 0.0);
}

TEST_CASE("Module::reg_loss sums every regularized Param below", "[reg][module]") {
  const mt::Net<> net;
  // block.gain: 0.5 * (ln2^2 + ln2^2); scale: 0.25 * |-2|.
  CHECK(net.reg_loss() == Approx(ln2 * ln2 + 0.5));
  CHECK(net.block.reg_loss() == Approx(ln2 * ln2));
  CHECK(net.block.lin.reg_loss() == 0.0);

  Regs r;
  CHECK(r.reg_loss() == Approx(6.0 + 14.0 + 0.35 + ln2 * ln2 + 3.0 + 1.25 + ln2 * ln2 + 0.5));

  // It follows the Params' values.
  r.net.scale = Tensor<float>{4.0f};
  r.net.block.gain = Tensor<float>{1.0f, -1.0f};
  r.a = Tensor<float>{0.0f, 0.0f};
  const double gain =
      0.5 * (std::pow(std::log1p(std::exp(1.0)), 2) + std::pow(std::log1p(std::exp(-1.0)), 2));
  CHECK(r.net.reg_loss() == Approx(gain + 1.0));
  CHECK(r.reg_loss() == Approx(4.0 + 14.0 + 0.35 + ln2 * ln2 + 3.0 + 1.25 + gain + 1.0));

  // Containers: two Blocks' gains.
  CHECK(mt::Pop<>().reg_loss() == Approx(2 * ln2 * ln2));
}

TEST_CASE("a regularizer's grad is the derivative of its term for one element", "[reg]") {
  // none: 0; L1: weight sign(x), 0 at 0; L2: 2 weight x.
  CHECK(reg::none{}.grad(3.5) == 0.0);
  CHECK(reg::none{}.grad(-1.0f) == 0.0f);
  CHECK(reg::L1{0.5}.grad(2.0) == 0.5);
  CHECK(reg::L1{0.5}.grad(-1e-30) == -0.5);
  CHECK(reg::L1{0.5}.grad(0.0) == 0.0);
  CHECK(reg::L1{}.grad(-3.0f) == -1.0f);
  CHECK(reg::L2{0.25}.grad(3.0) == 1.5);
  CHECK(reg::L2{}.grad(-2.0f) == -4.0f);
  // Against central differences of loss() of one element, away from L1's kink.
  const double h = 1e-6;
  for (const double x : {-2.5, -0.3, 0.01, 0.7, 4.0}) {
    const auto term = [](const auto& r, double v) { return r.loss(Tensor<double>{v}); };
    CHECK(reg::L1{1.5}.grad(x) == Approx((term(reg::L1{1.5}, x + h) - term(reg::L1{1.5}, x - h)) / (2 * h)));
    CHECK(reg::L2{1.5}.grad(x) == Approx((term(reg::L2{1.5}, x + h) - term(reg::L2{1.5}, x - h)) / (2 * h)));
  }
}
