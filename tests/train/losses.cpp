// Losses and regularizers: against hand computations, central finite
// differences in double, and PyTorch (numbers from reference_losses.py,
// beside this file, run with torch 1.13.0a0, Debian's python3-torch); shape
// errors; the gradient buffer reused; the same results on the serial and the
// pseudo-device backends; add_reg_loss_grad against differences of
// reg_loss().
#include "modyn/train/losses.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_print.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/reflection.hpp"
#include "support/helpers.hpp"

using modyn::Shape;
using modyn::Tensor;
using modyn_test::message_of;
namespace reg = modyn::reg;
namespace train = modyn::train;
namespace transform = modyn::transform;

namespace {

using Td = Tensor<double>;

Td from(Shape shape, const std::vector<double>& values) { return Td(shape, std::span<const double>(values)); }

void check_equal(const Td& got, const std::vector<double>& want, double eps = 1e-12) {
  REQUIRE(got.size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("element " << i);
    CHECK(got.data()[i] == Approx(want[i]).epsilon(eps).margin(eps));
  }
}

// Central differences of loss(x) (x perturbed in place) against grad.
void check_against_differences(Td& x, const std::function<double()>& loss, const Td& grad, double h = 1e-6,
                               double eps = 1e-7) {
  REQUIRE(grad.shape() == x.shape());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double keep = x.data()[i];
    x.data()[i] = keep + h;
    const double up = loss();
    x.data()[i] = keep - h;
    const double down = loss();
    x.data()[i] = keep;
    INFO("element " << i);
    CHECK(grad.data()[i] == Approx((up - down) / (2 * h)).epsilon(eps).margin(eps));
  }
}

Td random_tensor(Shape shape, std::uint64_t seed, double scale = 1.0) {
  Td x = Td::empty(shape);
  modyn::Rng rng(seed);
  rng.normal(x);
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] *= scale;
  return x;
}

// Rows of probabilities (positive, summing to 1).
Td random_probabilities(std::size_t rows, std::size_t classes, std::uint64_t seed) {
  Td q = random_tensor({rows, classes}, seed);
  for (std::size_t b = 0; b < rows; ++b) {
    double sum = 0;
    for (std::size_t c = 0; c < classes; ++c) sum += (q(b, c) = std::exp(q(b, c)));
    for (std::size_t c = 0; c < classes; ++c) q(b, c) /= sum;
  }
  return q;
}

}  // namespace

// ---- MSE

TEST_CASE("mse_loss is the mean squared error, its gradient 2 (p - t) / n", "[losses][mse]") {
  const Td p{1.0, 2.0, 3.0};
  const Td t{1.0, 0.0, 5.0};
  Td grad;
  CHECK(train::mse_loss(p, t, grad) == Approx(8.0 / 3));
  check_equal(grad, {0.0, 4.0 / 3, -4.0 / 3});

  // Float, and views as inputs.
  const Tensor<float> pf{{0.5f, 1.5f}, {-1.0f, 2.0f}};
  const Tensor<float> tf{{0.0f, 1.5f}, {1.0f, 2.0f}};
  Tensor<float> gf;
  CHECK(train::mse_loss(pf.view(), tf.view(), gf) == Approx((0.25 + 4.0) / 4));
  CHECK(gf.shape() == Shape{2, 2});
  CHECK(gf(0, 0) == 0.25f);
  CHECK(gf(1, 0) == -1.0f);
  CHECK(gf(1, 1) == 0.0f);
}

TEST_CASE("mse_loss and its gradient equal PyTorch's", "[losses][mse][torch]") {
  const Td p = from({2, 3}, {0.5, -1.25, 2.0, 3.0, 0.0, -0.75});
  const Td t = from({2, 3}, {1.0, -1.0, 0.5, 2.5, 0.25, -2.0});
  Td grad;
  CHECK(train::mse_loss(p, t, grad) == Approx(0.7395833333333334).epsilon(1e-14));
  check_equal(grad, {-0.16666666666666666, -0.08333333333333333, 0.5, 0.16666666666666666,
                     -0.08333333333333333, 0.41666666666666663});
}

TEST_CASE("mse_loss's gradient matches central differences", "[losses][mse]") {
  Td p = random_tensor({4, 5}, 1);
  const Td t = random_tensor({4, 5}, 2);
  Td grad, scratch;
  train::mse_loss(p, t, grad);
  check_against_differences(
      p, [&] { return train::mse_loss(p, t, scratch); }, grad);
}

TEST_CASE("a loss writes into the caller's gradient tensor, allocating nothing once its size matches",
          "[losses][mse]") {
  const Td p = random_tensor({3, 4}, 3), t = random_tensor({3, 4}, 4);
  Td grad = Td::empty({3, 4});
  const double* buffer = grad.data();
  train::mse_loss(p, t, grad);
  CHECK(grad.data() == buffer);
  train::mse_loss(p, t, grad);
  CHECK(grad.data() == buffer);
  // Another shape of the same size keeps the buffer, reshaped.
  Td other = Td::empty({12});
  const double* other_buffer = other.data();
  train::mse_loss(p, t, other);
  CHECK(other.data() == other_buffer);
  CHECK(other.shape() == Shape{3, 4});
  // Another size: a new buffer of the right shape.
  Td small = Td::empty({2});
  train::mse_loss(p, t, small);
  CHECK(small.shape() == Shape{3, 4});
  CHECK(small == grad);
}

TEST_CASE("mse_loss rejects shapes that differ, naming both, and empty or shared buffers",
          "[losses][mse][errors]") {
  const Td p = Td::zeros({2, 3}), t = Td::zeros({3, 2});
  Td grad;
  const std::string m = message_of<modyn::shape_error>([&] { train::mse_loss(p, t, grad); });
  CHECK(m == "modyn::train::mse_loss: prediction of shape (2, 3) and target of shape (3, 2) differ");
  CHECK_THROWS_AS(train::mse_loss(Td::zeros({6}), p, grad), modyn::shape_error);
  const std::string empty =
      message_of<modyn::shape_error>([&] { train::mse_loss(Td::zeros({0}), Td::zeros({0}), grad); });
  CHECK(empty == "modyn::train::mse_loss: the prediction is empty (shape (0,))");
  // The gradient buffer may not be an input.
  Td q = Td::ones({2, 3});
  const std::string shared = message_of<modyn::config_error>([&] { train::mse_loss(q, p, q); });
  CHECK(shared.find("shares memory with an input") != std::string::npos);
  CHECK(q == Td::ones({2, 3}));
}

// ---- cross entropy

TEST_CASE("cross_entropy_with_logits of classes: mean of logsumexp - z_y, gradient (softmax - onehot) / B",
          "[losses][cross_entropy]") {
  // Two rows, three classes, by hand.
  const Td z = from({2, 3}, {0.0, 0.0, 0.0, 1.0, 2.0, 3.0});
  const Tensor<std::int32_t> y{2, 0};
  Td grad;
  const double lse1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  CHECK(train::cross_entropy_with_logits(z, y, grad) == Approx((std::log(3.0) + lse1 - 1.0) / 2));
  const double s0 = std::exp(1.0 - lse1), s1 = std::exp(2.0 - lse1), s2 = std::exp(3.0 - lse1);
  check_equal(grad, {1.0 / 6, 1.0 / 6, 1.0 / 6 - 0.5, (s0 - 1) / 2, s1 / 2, s2 / 2});
}

TEST_CASE("cross_entropy_with_logits and its gradient equal PyTorch's", "[losses][cross_entropy][torch]") {
  const Td z = from({3, 4}, {1.5, -0.5, 0.25, 2.0, -1.0, 0.0, 3.0, 0.5, 0.75, 0.75, -2.0, 1.25});
  Td grad;
  SECTION("integer classes") {
    const Tensor<std::int64_t> y{3, 0, 2};
    CHECK(train::cross_entropy_with_logits(z, y, grad) == Approx(2.9411770734665548).epsilon(1e-14));
    check_equal(grad, {0.10855778317108701, 0.014691698332997848, 0.031102325615024844, -0.15435180711910973,
                       -0.328025318883433, 0.014428679224362112, 0.28980776931375607, 0.02378887034531484,
                       0.08978314984538589, 0.08978314984538589, -0.32759368859131643, 0.14802738890054465});
  }
  SECTION("probabilities") {
    const Td q = from({3, 4}, {0.1, 0.2, 0.3, 0.4, 0.0, 0.5, 0.25, 0.25, 0.7, 0.1, 0.1, 0.1});
    CHECK(train::cross_entropy_with_logits(z, q, grad) == Approx(1.832843740133222).epsilon(1e-14));
    check_equal(grad,
                {0.0752244498377537, -0.05197496833366882, -0.06889767438497514, 0.045648192880890275,
                 0.005308014449900333, -0.15223798744230455, 0.20647443598042273, -0.05954446298801849,
                 -0.14355018348794743, 0.05644981651205256, -0.027593688591316473, 0.11469405556721132});
  }
}

TEST_CASE("cross_entropy_with_logits's gradients match central differences", "[losses][cross_entropy]") {
  Td z = random_tensor({5, 7}, 11, 2.0);
  Td grad, scratch;
  SECTION("classes") {
    const Tensor<std::int32_t> y{6, 0, 3, 3, 1};
    train::cross_entropy_with_logits(z, y, grad);
    check_against_differences(
        z, [&] { return train::cross_entropy_with_logits(z, y, scratch); }, grad);
    // Each row of the gradient sums to 0 (softmax and one-hot both sum to 1).
    for (std::size_t b = 0; b < 5; ++b) {
      double sum = 0;
      for (std::size_t c = 0; c < 7; ++c) sum += grad(b, c);
      CHECK(sum == Approx(0.0).margin(1e-15));
    }
  }
  SECTION("probabilities") {
    const Td q = random_probabilities(5, 7, 12);
    train::cross_entropy_with_logits(z, q, grad);
    check_against_differences(
        z, [&] { return train::cross_entropy_with_logits(z, q, scratch); }, grad);
  }
  SECTION("unnormalized targets: the gradient is softmax sum(q) - q") {
    Td q = random_probabilities(5, 7, 13);
    for (std::size_t i = 0; i < q.size(); ++i) q.data()[i] *= 1.0 + double(i % 3);
    train::cross_entropy_with_logits(z, q, grad);
    check_against_differences(
        z, [&] { return train::cross_entropy_with_logits(z, q, scratch); }, grad);
  }
}

TEST_CASE("cross_entropy_with_logits of one-hot probabilities equals it of the classes",
          "[losses][cross_entropy]") {
  const Td z = random_tensor({4, 3}, 21);
  const Tensor<std::int32_t> y{1, 2, 0, 1};
  Td q = Td::zeros({4, 3});
  for (std::size_t b = 0; b < 4; ++b) q(b, static_cast<std::size_t>(y(b))) = 1.0;
  Td g_classes, g_probabilities;
  CHECK(train::cross_entropy_with_logits(z, y, g_classes) ==
        Approx(train::cross_entropy_with_logits(z, q, g_probabilities)).epsilon(1e-14));
  for (std::size_t i = 0; i < z.size(); ++i)
    CHECK(g_classes.data()[i] == Approx(g_probabilities.data()[i]).epsilon(1e-13).margin(1e-15));
}

TEMPLATE_TEST_CASE("cross_entropy_with_logits is stable at logits of 1e4", "[losses][cross_entropy]", float,
                   double) {
  using T = TestType;
  const Tensor<T> z{{T(1e4), T(0), T(-1e4)}, {T(1e4), T(1e4 - 1), T(-1e4)}, {T(-1e4), T(-1e4), T(-1e4)}};
  Tensor<T> grad;
  // Row 0: class 1 is 1e4 below the top (loss 1e4); row 1: log(1 + e^-1)
  // for the top class; row 2: three equal logits, log 3.
  const Tensor<std::int32_t> y{1, 0, 2};
  const double want = (1e4 + std::log1p(std::exp(-1.0)) + std::log(3.0)) / 3;
  const double loss = train::cross_entropy_with_logits(z, y, grad);
  CHECK(std::isfinite(loss));
  CHECK(loss == Approx(want).epsilon(1e-6));
  for (std::size_t i = 0; i < grad.size(); ++i) CHECK(std::isfinite(double(grad.data()[i])));
  const double e = std::exp(-1.0) / (1 + std::exp(-1.0));
  CHECK(double(grad(0, 0)) == Approx(1.0 / 3).epsilon(1e-6));
  CHECK(double(grad(0, 1)) == Approx(-1.0 / 3).epsilon(1e-6));
  CHECK(double(grad(1, 0)) == Approx(-e / 3).epsilon(1e-5));
  CHECK(double(grad(1, 1)) == Approx(e / 3).epsilon(1e-5));
  CHECK(double(grad(2, 2)) == Approx((1.0 / 3 - 1) / 3).epsilon(1e-6));

  // With probabilities.
  Tensor<T> q = Tensor<T>::zeros({3, 3});
  q(0, 1) = T(1);
  q(1, 0) = T(1);
  q(2, 2) = T(1);
  CHECK(train::cross_entropy_with_logits(z, q, grad) == Approx(want).epsilon(1e-6));
  for (std::size_t i = 0; i < grad.size(); ++i) CHECK(std::isfinite(double(grad.data()[i])));
  CHECK(double(grad(1, 0)) == Approx(-e / 3).epsilon(1e-5));
}

TEST_CASE("cross_entropy_with_logits rejects wrong shapes and classes out of range, naming them",
          "[losses][cross_entropy][errors]") {
  const Td z = Td::zeros({2, 3});
  Td grad;
  using train::cross_entropy_with_logits;
  CHECK(message_of<modyn::shape_error>(
            [&] { cross_entropy_with_logits(Td::zeros({3}), Tensor<int>{0}, grad); }) ==
        "modyn::train::cross_entropy_with_logits: the logits must have shape (batch, classes) with both "
        "non-zero, "
        "got (3,)");
  CHECK(message_of<modyn::shape_error>([&] {
          cross_entropy_with_logits(z, Tensor<int>{0, 1, 2}, grad);
        }) ==
        "modyn::train::cross_entropy_with_logits: logits of shape (2, 3) need class targets of shape (2,), "
        "got (3,)");
  CHECK(message_of<modyn::shape_error>([&] {
          cross_entropy_with_logits(z, Td::zeros({3, 2}), grad);
        }) ==
        "modyn::train::cross_entropy_with_logits: logits of shape (2, 3) and target probabilities of shape "
        "(3, 2) "
        "differ");
  CHECK_THROWS_AS(cross_entropy_with_logits(Td::zeros({0, 3}), Tensor<int>::zeros({0}), grad),
                  modyn::shape_error);
  // A class out of range: index_error naming it and its row, and the
  // gradient buffer not written.
  Td untouched = Td::full({2, 3}, 7.0);
  CHECK(message_of<modyn::index_error>([&] {
          cross_entropy_with_logits(z, Tensor<int>{0, 3}, untouched);
        }) == "modyn::train::cross_entropy_with_logits: class 3 of row 1 is outside [0, 3)");
  CHECK(message_of<modyn::index_error>([&] {
          cross_entropy_with_logits(z, Tensor<std::int64_t>{-1, 0}, grad);
        }) == "modyn::train::cross_entropy_with_logits: class -1 of row 0 is outside [0, 3)");
  CHECK(untouched == Td::full({2, 3}, 7.0));
  CHECK_THROWS_AS(cross_entropy_with_logits(z, Tensor<std::uint8_t>{0, 200}, grad), modyn::index_error);
}

// ---- activity regularizers

TEST_CASE("spike_count_regularizer is weight times the number of spikes, its gradient the weight",
          "[losses][regularizer]") {
  const Td s = from({4, 2, 3}, {1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0});
  Td grad;
  // PyTorch: 1e-3 * s.sum() = 0.011.
  CHECK(train::spike_count_regularizer{1e-3}(s, grad) == Approx(0.011).epsilon(1e-14));
  CHECK(grad == Td::full({4, 2, 3}, 1e-3));
  CHECK(train::spike_count_regularizer{}(s, grad) == 11.0);

  Tensor<float> none = Tensor<float>::zeros({5, 2});
  Tensor<float> gf;
  CHECK(train::spike_count_regularizer{0.5}(none, gf) == 0.0);
  CHECK(gf == Tensor<float>::full({5, 2}, 0.5f));
}

TEST_CASE(
    "firing_rate_regularizer is weight * mean over neurons of (rate - target)^2, as PyTorch computes it",
    "[losses][regularizer][torch]") {
  const Td s = from({4, 2, 3}, {1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0});
  Td grad;
  const train::firing_rate_regularizer reg{.weight = 0.5, .target = 0.2};
  CHECK(reg(s, grad) == Approx(0.08979166666666667).epsilon(1e-14));
  check_equal(grad,
              {0.02291666666666667,  -0.008333333333333333, 0.012499999999999999, 0.02291666666666667,
               0.02291666666666667,  -0.008333333333333333, 0.02291666666666667,  -0.008333333333333333,
               0.012499999999999999, 0.02291666666666667,   0.02291666666666667,  -0.008333333333333333,
               0.02291666666666667,  -0.008333333333333333, 0.012499999999999999, 0.02291666666666667,
               0.02291666666666667,  -0.008333333333333333, 0.02291666666666667,  -0.008333333333333333,
               0.012499999999999999, 0.02291666666666667,   0.02291666666666667,  -0.008333333333333333});
  // By hand: rates {3/4, 0, 1/2, 3/4, 3/4, 0}.
  const double want =
      0.5 * (3 * std::pow(0.75 - 0.2, 2) + 2 * std::pow(0.0 - 0.2, 2) + std::pow(0.5 - 0.2, 2)) / 6;
  CHECK(reg(s, grad) == Approx(want));
}

TEST_CASE("firing_rate_regularizer's gradient matches central differences, for one step and many",
          "[losses][regularizer]") {
  const train::firing_rate_regularizer reg{.weight = 2.0, .target = 0.3};
  Td grad, scratch;
  for (const Shape shape : {Shape{6, 2, 5}, Shape{1, 3, 4}, Shape{1, 7}, Shape{9}, Shape{3, 1, 1}}) {
    INFO("shape " << shape);
    Td s = random_tensor(shape, 31);
    for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] = s.data()[i] > 0.3 ? 1.0 : 0.0;
    reg(s, grad);
    CHECK(grad.shape() == shape);
    check_against_differences(
        s, [&] { return reg(s, scratch); }, grad);
  }
  // One step: the rate is the spike itself.
  const Td one = from({1, 4}, {1, 0, 1, 1});
  CHECK(train::firing_rate_regularizer{.weight = 1.0, .target = 0.25}(one, grad) ==
        Approx((3 * 0.5625 + 0.0625) / 4));
  check_equal(grad, {2 * 0.75 / 4, -2 * 0.25 / 4, 2 * 0.75 / 4, 2 * 0.75 / 4});
}

TEST_CASE("firing_rate_regularizer rejects a tensor without a time axis, and an empty one",
          "[losses][regularizer][errors]") {
  Td grad;
  const train::firing_rate_regularizer reg{};
  CHECK(message_of<modyn::shape_error>([&] { reg(Td::zeros(Shape{}), grad); }) ==
        "modyn::train::firing_rate_regularizer: the spikes need a time axis first, (T, batch, neurons), got "
        "shape ()");
  CHECK(message_of<modyn::shape_error>([&] {
          reg(Td::zeros({0, 2, 3}), grad);
        }) == "modyn::train::firing_rate_regularizer: the spike tensor is empty (shape (0, 2, 3))");
  CHECK_THROWS_AS(reg(Td::zeros({4, 0}), grad), modyn::shape_error);
}

// ---- other backends

TEMPLATE_TEST_CASE("the losses give cpu's results on the serial and the pseudo-device backends",
                   "[losses][backends]", modyn::serial, modyn::pseudo_device) {
  using B = TestType;
  using modyn::to;
  // float: the backends' own reductions and lanes; results agree to rounding.
  auto make = [](Shape shape, std::uint64_t seed) {
    Tensor<float> x = Tensor<float>::empty(shape);
    modyn::Rng(seed).normal(x);
    return x;
  };
  const Tensor<float> p = make({8, 37}, 41), t = make({8, 37}, 42);
  Tensor<float> q = make({8, 37}, 43);
  for (std::size_t i = 0; i < q.size(); ++i) q.data()[i] = std::abs(q.data()[i]) / 37;
  const Tensor<std::int32_t> y{0, 36, 5, 5, 17, 2, 30, 11};
  Tensor<float> s = make({6, 4, 9}, 44);
  for (std::size_t i = 0; i < s.size(); ++i) s.data()[i] = s.data()[i] > 0 ? 1.0f : 0.0f;
  const Tensor<float> s1 = make({1, 5}, 45);

  const auto compare = [](double loss_cpu, const Tensor<float>& grad_cpu, double loss_b, const auto& grad_b) {
    CHECK(loss_b == Approx(loss_cpu).epsilon(1e-5));
    const Tensor<float> g = to<modyn::cpu>(grad_b);
    REQUIRE(g.shape() == grad_cpu.shape());
    for (std::size_t i = 0; i < g.size(); ++i)
      CHECK(g.data()[i] == Approx(grad_cpu.data()[i]).epsilon(1e-5).margin(1e-7));
  };
  Tensor<float> g;
  Tensor<float, B> gb;
  {
    INFO("mse_loss");
    const double l = train::mse_loss(p, t, g);
    compare(l, g, train::mse_loss(to<B>(p), to<B>(t), gb), gb);
  }
  {
    INFO("cross_entropy_with_logits, classes");
    const double l = train::cross_entropy_with_logits(p, y, g);
    compare(l, g, train::cross_entropy_with_logits(to<B>(p), to<B>(y), gb), gb);
  }
  {
    INFO("cross_entropy_with_logits, probabilities");
    const double l = train::cross_entropy_with_logits(p, q, g);
    compare(l, g, train::cross_entropy_with_logits(to<B>(p), to<B>(q), gb), gb);
  }
  {
    INFO("spike_count_regularizer");
    const train::spike_count_regularizer reg{0.01};
    const double l = reg(s, g);
    compare(l, g, reg(to<B>(s), gb), gb);
  }
  {
    INFO("firing_rate_regularizer");
    const train::firing_rate_regularizer reg{.weight = 3.0, .target = 0.4};
    double l = reg(s, g);
    compare(l, g, reg(to<B>(s), gb), gb);
    l = reg(s1, g);
    compare(l, g, reg(to<B>(s1), gb), gb);
  }
  // A class out of range, read from the device.
  CHECK_THROWS_AS(
      train::cross_entropy_with_logits(to<B>(p), to<B>(Tensor<std::int32_t>{0, 1, 2, 3, 4, 5, 6, 37}), gb),
      modyn::index_error);
}

// ---- gradients of Params' regularizers

namespace {

// Every transform beside a regularizer, in double, and a child module.
struct Inner : modyn::Module<Inner> {
  modyn::Param<Td, transform::softplus, reg::L2> gain{Td{0.3, -1.2, 2.0}, {}, {0.5}};
  modyn::Param<Td> free{Td{1.0, 2.0}};  // no regularizer: left alone
  MODYN_FIELDS(gain, free)
};

struct Regularized : modyn::Module<Regularized> {
  modyn::Param<Td, transform::identity, reg::L2> w{Td{{1.0, -2.0}, {0.5, 3.0}}, {}, {0.25}};
  modyn::Param<Td, transform::identity, reg::L1> sparse{Td{-1.5, 2.0, 0.25}, {}, {0.1}};
  modyn::Param<Td, transform::exponential, reg::L1> tau{Td{0.0, 0.7}, {}, {2.0}};
  modyn::Param<Td, transform::sigmoid, reg::L2> p{Td{-0.4, 1.1}, {-1.0, 3.0}, {1.5}};
  modyn::Param<Td, transform::affine, reg::L2> a{Td{0.2, -0.9}, {-2.0, 0.5}, {1.0}};
  modyn::Param<Td, transform::clip, reg::L2> c{Td{-3.0, 0.5, 0.9}, {-1.0, 1.0}, {1.0}};
  Inner inner;
  MODYN_FIELDS(w, sparse, tau, p, a, c, inner)
};

// d model.reg_loss() / d raw of each Param, by central differences.
template <class M>
void check_reg_grads(M& model) {
  const double h = 1e-6;
  model.for_each_parameter([&](std::string_view path, auto& param) {
    INFO("Param " << path);
    if (!param.has_grad()) {
      CHECK(path == "inner.free");  // the one Param without a regularizer
      return;
    }
    for (std::size_t i = 0; i < param.size(); ++i) {
      const double keep = param.raw().data()[i];
      param.raw_mut().data()[i] = keep + h;
      const double up = model.reg_loss();
      param.raw_mut().data()[i] = keep - h;
      const double down = model.reg_loss();
      param.raw_mut().data()[i] = keep;
      INFO("element " << i);
      CHECK(param.grad().data()[i] == Approx((up - down) / (2 * h)).epsilon(1e-7).margin(1e-8));
    }
  });
}

}  // namespace

TEST_CASE(
    "add_reg_loss_grad adds d reg_loss / d raw to every regularized Param's gradient, through its transform",
    "[losses][reg]") {
  Regularized model;
  train::add_reg_loss_grad(model);
  check_reg_grads(model);
  CHECK_FALSE(model.inner.free.has_grad());
  // By hand: identity L2 is 2 weight v; exp L1 is weight e^x.
  check_equal(model.w.grad(), {0.5, -1.0, 0.25, 1.5});
  check_equal(model.tau.grad(), {2.0, 2.0 * std::exp(0.7)});
  // clip: no gradient where the raw value is clipped.
  CHECK(model.c.grad()(0) == 0.0);

  // It adds: a second call doubles, zero_grad starts again.
  const Td once = model.p.grad();
  train::add_reg_loss_grad(model);
  for (std::size_t i = 0; i < once.size(); ++i) CHECK(model.p.grad()(i) == Approx(2 * once(i)));
  model.zero_grad();
  train::add_reg_loss_grad(model);
  check_reg_grads(model);

  // And for one Param.
  modyn::Param<Td, transform::softplus, reg::L1> one{Td{0.5, -2.0}, {}, {3.0}};
  train::add_reg_loss_grad(one);
  CHECK(one.grad()(0) == Approx(3.0 / (1 + std::exp(-0.5))));
  CHECK(one.grad()(1) == Approx(3.0 / (1 + std::exp(2.0))));
}

TEST_CASE("add_reg_loss_grad on float Params runs the regularizer's kernel on the CPU's vectors",
          "[losses][reg]") {
  // 37 elements: vectors and a tail.
  Tensor<float> raw = Tensor<float>::empty({37});
  for (std::size_t i = 0; i < 37; ++i) raw(i) = float(i) / 4.0f - 4.0f;
  modyn::Param<Tensor<float>, transform::identity, reg::L1> l1{raw, {}, {0.5}};
  modyn::Param<Tensor<float>, transform::softplus, reg::L2> l2{raw, {}, {2.0}};
  train::add_reg_loss_grad(l1);
  train::add_reg_loss_grad(l2);
  for (std::size_t i = 0; i < 37; ++i) {
    const double x = raw(i);
    CHECK(l1.grad()(i) == (x > 0 ? 0.5f : x < 0 ? -0.5f : 0.0f));
    const double sp = std::log1p(std::exp(x));
    CHECK(l2.grad()(i) == Approx(4.0 * sp / (1 + std::exp(-x))).epsilon(1e-5));
  }
}
