// train::SGD, Adam and AdamW, train::clip_grad_norm and the learning-rate
// schedules against PyTorch 1.13 (the numbers below are printed by
// tests/train/reference_optimizers.py, run with Debian's python3-torch
// 1.13), and optimizer state dicts: a checkpoint resumes a run bit for bit.
#include "modyn/train/optimizers.hpp"

#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "compose/allocation_counter.hpp"
#include "modyn/backend/cpu.hpp"
#include "modyn/backend/pseudo_device.hpp"
#include "modyn/backend/serial.hpp"
#include "modyn/io/safetensors.hpp"
#include "modyn/train/clip.hpp"
#include "modyn/train/schedules.hpp"
#include "support/helpers.hpp"
#include "support/temp_dir.hpp"

// The model, its gradients, and the cases every backend runs (the CUDA
// tests include them too).
using backends_under_test = std::tuple<modyn::serial, modyn::pseudo_device>;
#include "train/optimizer_cases.hpp"

namespace {

using modyn_test::message_of;

// Raw values after steps 1 and 5 (reference_optimizers.py, torch 1.13).
struct Reference {
  const char* name;
  std::vector<double> after1, after5;
};

// Runs the script's 5 steps with the optimizer make(net) makes and compares.
template <class T, class Make>
void check_against_torch(const Reference& ref, Make make, double tolerance) {
  INFO(ref.name);
  Net<T> net;
  auto opt = make(net);
  for (int step = 1; step <= 5; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    opt.step();
    if (step == 1) check_close(flat(net), ref.after1, tolerance);
  }
  check_close(flat(net), ref.after5, tolerance);
  CHECK(net.frozen.raw() == make_tensor<T, modyn::cpu>({2}, {1.0, 2.0}));
  CHECK_FALSE(net.frozen.has_grad());
  // The transformed value follows the raw one the optimizer wrote.
  CHECK(double(net.tau.value()(0)) == Approx(std::exp(double(net.tau.raw()(0)))));
}

constexpr double double_tolerance = 1e-14;
constexpr double float_tolerance = 5e-7;  // a few float ulps

// clang-format off
const Reference sgd_lr{"SGD lr", {0.4, -0.3, 0.14, 0.7300000000000001, -0.46499999999999997, 0.18000000000000002, 0.11500000000000002, 0.050000000000000044, -0.5, 0.3},
  {0.09048999999999999, -0.3, -0.0016959999999999877, 0.513343, -0.09933478124999996, 0.36892800000000003, 0.3161815000000001, 0.45629468750000013, 0.28080000000000005, 0.5710000000000001}};
const Reference sgd_momentum{"SGD momentum", {0.4, -0.3, 0.14, 0.7300000000000001, -0.46499999999999997, 0.18000000000000002, 0.11500000000000002, 0.050000000000000044, -0.5, 0.3},
  {-0.52916, -0.3, -0.274126, 0.07958800000000002, 0.62067421875, 0.732168, 0.7189540000000002, 1.2563046875000001, 1.0008000000000001, 0.8140000000000001}};
const Reference sgd_dampening{"SGD momentum dampening weight_decay", {0.44975, -0.29985, 0.16990000000000002, 0.7646000000000001, -0.5322, 0.13995000000000002, 0.08247500000000002, -0.024949999999999986, -0.5, 0.3},
  {0.08349949508807118, -0.29881378313592105, -0.02695646401451393, 0.506584718927716, -0.06382997743633403, 0.4012262703448449, 0.3191712218311421, 0.49350383766081324, 0.1574166706306251, 0.511824844431625}};
const Reference sgd_nesterov{"SGD nesterov weight_decay", {0.40025, -0.29714999999999997, 0.1411, 0.7259000000000001, -0.46604999999999996, 0.17505, 0.11127500000000001, 0.04345000000000006, -0.5, 0.3},
  {-0.20326610163783504, -0.28193656675165435, -0.1350532140574812, 0.2775737530690369, 0.24898136267224333, 0.5269226437184035, 0.4820063195775273, 0.8091928068333955, 0.5829455771875001, 0.6542832110375}};
const Reference sgd_maximize{"SGD maximize momentum", {0.52, -0.3, 0.21200000000000002, 0.8140000000000001, -0.627, 0.084, 0.037, -0.13, -0.5, 0.3},
  {0.6688911232, -0.3, 0.30609140672, 0.91822378624, -0.83330537487, -0.04145520895999999, -0.05977923008000003, -0.3592281943000001, -0.7823424000000001, 0.21339199999999997}};
const Reference adam_lr{"Adam lr", {0.4500000005, -0.3, 0.15000000083333334, 0.7500000007142857, -0.5500000003703703, 0.149999999375, 0.09999999923076924, -0.050000000333333336, -0.5, 0.3},
  {0.25147789259446685, -0.3, -0.04030925032643288, 0.5524022448194349, -0.35169835633305835, 0.34424785597693247, 0.29732681015360307, 0.14852210827084908, -0.3501768993965122, 0.4496883028282943}};
const Reference adam_decay{"Adam weight_decay", {0.4500000004761905, -0.2500000166666611, 0.15000000080645162, 0.7500000006410257, -0.5500000003546099, 0.1499999993670886, 0.09999999922480621, -0.05000000033112584, -0.5, 0.3},
  {0.25157081006497917, -0.30022781777392094, -0.04000681458297021, 0.5523585016985983, -0.35174693295105247, 0.34360129823289465, 0.29688627776395815, 0.14840543962251268, -0.35018390338226585, 0.4496344579318664}};
const Reference adam_amsgrad{"Adam amsgrad betas eps", {0.45004995004995, -0.3, 0.15008319467554077, 0.7500713266761769, -0.5500370096225018, 0.14993757802746566, 0.09992319508448541, -0.050033311125916045, -0.5, 0.3},
  {0.2524673727670881, -0.3, -0.03682020322190991, 0.5538612739258942, -0.35271094076117415, 0.34181045957940204, 0.2957426507370073, 0.14761866065814694, -0.3503217504742129, 0.4493769287758769}};
const Reference adam_maximize{"Adam amsgrad weight_decay maximize", {0.5099999998974359, -0.2900000066666622, 0.2099999998305085, 0.8099999998484849, -0.6099999999242424, 0.09000000012422361, 0.04000000015325671, -0.10999999993311037, -0.5, 0.3},
  {0.550039660060918, -0.2513851853264404, 0.2501155102071618, 0.8500568545005852, -0.6500443562248577, 0.049910259105995065, -5.744637542870294e-05, -0.1500394900689016, -0.5300056640683234, 0.26999152727895254}};
const Reference adamw_default{"AdamW default weight_decay", {0.4497500005, -0.29985, 0.14990000083333335, 0.7496000007142858, -0.5497000003703704, 0.149949999375, 0.09997499923076925, -0.04995000033333334, -0.5, 0.3},
  {0.25048703524734933, -0.26928756279467375, -0.040534763213635465, 0.5506788822533141, -0.35046147865500904, 0.34376568365632854, 0.29695718070754856, 0.14852169523692096, -0.3495032303566547, 0.44916482412437875}};
const Reference adamw_amsgrad{"AdamW amsgrad betas weight_decay", {0.4450000005, -0.297, 0.1480000008333333, 0.7420000007142857, -0.5440000003703703, 0.14899999937500003, 0.09949999923076924, -0.049000000333333335, -0.5, 0.3},
  {0.2326605270156682, -0.2752870689944798, -0.042523720165635756, 0.5195641830833733, -0.32814000601967586, 0.33331807120303836, 0.2892032583143033, 0.14793669229707251, -0.33691774666256363, 0.43920204099174376}};
const Reference adam_float{"Adam amsgrad float32", {0.45000001788139343, -0.30000001192092896, 0.15000000596046448, 0.75, -0.550000011920929, 0.15000000596046448, 0.09999999403953552, -0.05000000074505806, -0.5, 0.30000001192092896},
  {0.2514779269695282, -0.30000001192092896, -0.04030924290418625, 0.5524022579193115, -0.3516983091831207, 0.34424787759780884, 0.29732680320739746, 0.14852213859558105, -0.3501769006252289, 0.4496883153915405}};
const Reference sgd_float{"SGD nesterov float32", {0.4050000011920929, -0.30000001192092896, 0.14300000667572021, 0.7335000038146973, -0.47175002098083496, 0.17599999904632568, 0.11174999922513962, 0.04249999672174454, -0.5, 0.30000001192092896},
  {-0.18405765295028687, -0.30000001192092896, -0.13137449324131012, 0.32115960121154785, 0.23046399652957916, 0.5418326258659363, 0.49463745951652527, 0.8227376937866211, 0.5762864351272583, 0.6685373783111572}};
// clang-format on

}  // namespace

TEST_CASE("SGD follows torch.optim.SGD with momentum, dampening, Nesterov, weight decay, maximize",
          "[optimizers][sgd]") {
  check_against_torch<double>(
      sgd_lr, [](auto& net) { return train::SGD(net, {.lr = 0.1}); }, double_tolerance);
  check_against_torch<double>(
      sgd_momentum, [](auto& net) { return train::SGD(net, {.lr = 0.1, .momentum = 0.9}); },
      double_tolerance);
  check_against_torch<double>(
      sgd_dampening,
      [](auto& net) {
        return train::SGD(net, {.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.01});
      },
      double_tolerance);
  check_against_torch<double>(
      sgd_nesterov,
      [](auto& net) {
        return train::SGD(net, {.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.1});
      },
      double_tolerance);
  check_against_torch<double>(
      sgd_maximize,
      [](auto& net) { return train::SGD(net, {.lr = 0.02, .momentum = 0.5, .maximize = true}); },
      double_tolerance);
  check_against_torch<float>(
      sgd_float, [](auto& net) { return train::SGD(net, {.lr = 0.05, .momentum = 0.9, .nesterov = true}); },
      float_tolerance);
}

TEST_CASE("Adam follows torch.optim.Adam with weight decay, amsgrad, betas, eps, maximize",
          "[optimizers][adam]") {
  check_against_torch<double>(
      adam_lr, [](auto& net) { return train::Adam(net, {.lr = 0.05}); }, double_tolerance);
  check_against_torch<double>(
      adam_decay, [](auto& net) { return train::Adam(net, {.lr = 0.05, .weight_decay = 0.1}); },
      double_tolerance);
  check_against_torch<double>(
      adam_amsgrad,
      [](auto& net) {
        return train::Adam(net, {.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-3, .amsgrad = true});
      },
      double_tolerance);
  check_against_torch<double>(
      adam_maximize,
      [](auto& net) {
        return train::Adam(net, {.lr = 0.01, .weight_decay = 0.05, .amsgrad = true, .maximize = true});
      },
      double_tolerance);
  check_against_torch<float>(
      adam_float, [](auto& net) { return train::Adam(net, {.lr = 0.05, .amsgrad = true}); }, float_tolerance);
}

TEST_CASE("AdamW follows torch.optim.AdamW with its default and a larger decoupled weight decay",
          "[optimizers][adamw]") {
  check_against_torch<double>(
      adamw_default, [](auto& net) { return train::AdamW(net, {.lr = 0.05}); }, double_tolerance);
  check_against_torch<double>(
      adamw_amsgrad,
      [](auto& net) {
        return train::AdamW(net, {.lr = 0.05, .betas = {0.85, 0.99}, .weight_decay = 0.2, .amsgrad = true});
      },
      double_tolerance);
  CHECK(train::AdamWOptions{}.weight_decay == 1e-2);
  CHECK(train::AdamOptions{}.weight_decay == 0.0);
}

TEST_CASE("Adam keeps a step count per Param, as torch, and its state dict holds torch's buffers",
          "[optimizers][adam][state_dict]") {
  Net<> net;
  train::Adam opt(net, {.lr = 0.05, .betas = {0.8, 0.95}, .eps = 1e-3, .amsgrad = true});
  for (int step = 1; step <= 5; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    opt.step();
  }
  const StateDict dict = opt.state_dict();
  // tau got its first gradient at step 3 (torch: state["step"] 3 and 5).
  CHECK(dict.get<std::int64_t>("state.tau.step").item() == 3);
  CHECK(dict.get<std::int64_t>("state.l1.weight.step").item() == 5);
  CHECK(dict.get<std::int64_t>("state.l1.bias.step").item() == 5);
  check_close({dict.get<double>("state.tau.exp_avg")(0), dict.get<double>("state.tau.exp_avg")(1)},
              {-1.5056472362358493, -0.46005338648449146}, double_tolerance);
  check_close({dict.get<double>("state.tau.exp_avg_sq")(0), dict.get<double>("state.tau.exp_avg_sq")(1)},
              {1.3686275592231127, 0.12851868820076887}, double_tolerance);
  check_close(
      {dict.get<double>("state.tau.max_exp_avg_sq")(0), dict.get<double>("state.tau.max_exp_avg_sq")(1)},
      {1.3686275592231127, 0.12851868820076887}, double_tolerance);
  // A Param without a gradient has no state; the hyperparameters are entries.
  CHECK_FALSE(dict.contains("state.frozen.step"));
  CHECK_FALSE(dict.contains("state.frozen.exp_avg"));
  CHECK(dict.get<double>("lr").item() == 0.05);
  CHECK(dict.at("lr").shape() == Shape{});
  CHECK(dict.get<double>("betas") == Tensor<double>{0.8, 0.95});
  CHECK(dict.get<double>("eps").item() == 1e-3);
  CHECK(dict.get<std::uint8_t>("amsgrad").item() == 1);
  CHECK(dict.get<std::uint8_t>("maximize").item() == 0);
  CHECK(dict.size() == 6 + 3 * 4);
}

TEST_CASE("zero_grad zeroes the gradient buffers that exist and creates none", "[optimizers]") {
  Net<> net;
  train::SGD opt(net, {.lr = 0.1});
  set_grads(net, 1);
  REQUIRE(net.l1.weight.has_grad());
  REQUIRE_FALSE(net.tau.has_grad());
  opt.zero_grad();
  CHECK(net.l1.weight.grad() == Tensor<double>::zeros({3, 2}));
  CHECK(net.l1.bias.grad() == Tensor<double>::zeros({2}));
  CHECK_FALSE(net.tau.has_grad());  // still skipped, as torch's .grad None
  CHECK_FALSE(net.frozen.has_grad());
  // A step with zero gradients and no momentum leaves the Params.
  const auto before = flat(net);
  opt.step();
  CHECK(flat(net) == before);
}

TEST_CASE("an optimizer over a filter updates only the Params it accepts", "[optimizers][filter]") {
  Net<> net;
  const auto before = flat(net);
  train::SGD opt(net, {.lr = 0.1, .momentum = 0.9},
                 [](std::string_view path) { return path.ends_with("bias"); });
  for (int step = 1; step <= 4; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    opt.step();
  }
  const auto after = flat(net);
  for (std::size_t i = 0; i < 10; ++i) {
    INFO("element " << i);
    if (i == 6 || i == 7) {
      CHECK(after[i] != before[i]);  // l1.bias
    } else {
      CHECK(after[i] == before[i]);
    }
  }
  const StateDict dict = opt.state_dict();
  CHECK(dict.contains("state.l1.bias.momentum_buffer"));
  CHECK_FALSE(dict.contains("state.l1.weight.momentum_buffer"));
  CHECK_FALSE(dict.contains("state.tau.momentum_buffer"));
}

TEST_CASE("a Param that changed shape under its optimizer state is an error naming it", "[optimizers]") {
  Net<float> net;
  train::Adam opt(net, {.lr = 0.01});
  set_grads(net, 1);
  opt.step();
  net.l1.bias = Param<Tensor<float>>(Tensor<float>::zeros({3}));
  (void)net.l1.bias.grad();  // a gradient of the new shape
  const std::string message = message_of<modyn::shape_error>([&] { opt.step(); });
  CHECK_THAT(message, Catch::Contains("modyn::train::Adam") && Catch::Contains("'l1.bias'") &&
                          Catch::Contains("(3,)") && Catch::Contains("(2,)"));
}

TEST_CASE("invalid optimizer options are config errors naming the option", "[optimizers][options]") {
  Net<> net;
  CHECK_THAT(message_of<modyn::config_error>([&] { train::SGD opt(net, {.lr = -1.0}); }),
             Catch::Contains("modyn::train::SGD") && Catch::Contains("learning rate"));
  CHECK_THAT(message_of<modyn::config_error>([&] { train::SGD opt(net, {.lr = 0.1, .nesterov = true}); }),
             Catch::Contains("Nesterov"));
  CHECK_THAT(message_of<modyn::config_error>([&] {
               train::SGD opt(net, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true});
             }),
             Catch::Contains("dampening"));
  CHECK_THAT(message_of<modyn::config_error>([&] {
               train::Adam opt(net, {.betas = {0.9, 1.0}});
             }),
             Catch::Contains("modyn::train::Adam") && Catch::Contains("beta parameter at index 1"));
  CHECK_THAT(message_of<modyn::config_error>([&] { train::AdamW opt(net, {.eps = -1e-8}); }),
             Catch::Contains("modyn::train::AdamW") && Catch::Contains("eps"));
  CHECK_THAT(message_of<modyn::config_error>([&] { train::Adam opt(net, {.weight_decay = -0.1}); }),
             Catch::Contains("weight_decay"));
  // Options changed between steps are checked by the next step.
  train::Adam opt(net);
  opt.options().betas[0] = 1.5;
  CHECK_THROWS_AS(opt.step(), modyn::config_error);
}

TEST_CASE("clip_grad_norm follows torch.nn.utils.clip_grad_norm_ for norms 2, 1, infinity and 3", "[clip]") {
  struct Case {
    double norm_type, total;
    std::vector<double> clipped;
  };
  const double inf = std::numeric_limits<double>::infinity();
  // clang-format off
  const Case cases[] = {
    {2.0, 4.2124814539651085, {0.071216913845568, -0.284867655382272, 0.47477942563712, 0.11869485640928, -0.166172798972992, 0.011869485640928, 0.35608456922784, -0.05934742820464, -0.71216913845568, 0.094955885127424}},
    {1.0, 9.9, {0.03030302724211846, -0.12121210896847384, 0.20202018161412308, 0.05050504540353077, -0.07070706356494308, 0.005050504540353077, 0.15151513621059232, -0.025252522701765385, -0.30303027242118463, 0.04040403632282462}},
    {inf, 3.0, {0.09999996666667778, -0.3999998666667111, 0.6666664444445185, 0.16666661111112963, -0.23333325555558146, 0.016666661111112962, 0.4999998333333889, -0.08333330555556481, -0.9999996666667778, 0.1333332888889037}},
    {3.0, 3.439159419188541, {0.08723059218935302, -0.34892236875741206, 0.5815372812623535, 0.14538432031558837, -0.20353804844182372, 0.014538432031558838, 0.43615296094676514, -0.07269216015779419, -0.8723059218935303, 0.1163074562524707}},
  };
  // clang-format on
  const std::vector<double> given = {0.3, -1.2, 2.0, 0.5, -0.7, 0.05, 1.5, -0.25, -3.0, 0.4};
  const auto set = [&](Net<>& net) {
    net.l1.weight.grad() = make_tensor<double, modyn::cpu>({3, 2}, {given.begin(), given.begin() + 6});
    net.l1.bias.grad() = make_tensor<double, modyn::cpu>({2}, {given[6], given[7]});
    net.tau.grad() = make_tensor<double, modyn::cpu>({2}, {given[8], given[9]});
  };
  for (const Case& c : cases) {
    INFO("norm_type " << c.norm_type);
    Net<> net;
    set(net);
    CHECK(train::grad_norm(net, c.norm_type) == Approx(c.total).epsilon(1e-12));
    CHECK(grads(net) == given);  // grad_norm changes nothing
    CHECK(train::clip_grad_norm(net, 1.0, c.norm_type) == Approx(c.total).epsilon(1e-12));
    check_close(grads(net), c.clipped, 1e-12);
    CHECK_FALSE(net.frozen.has_grad());  // skipped, not created
    // Below max_norm nothing changes.
    set(net);
    CHECK(train::clip_grad_norm(net, 100.0, c.norm_type) == Approx(c.total).epsilon(1e-12));
    CHECK(grads(net) == given);
  }
}

TEST_CASE("clip_grad_norm with a non-finite gradient throws with error_if_nonfinite, else poisons as torch",
          "[clip]") {
  Net<float> net;
  set_grads(net, 3);
  net.tau.grad()(1) = std::numeric_limits<float>::quiet_NaN();
  CHECK_THAT(message_of<modyn::error>([&] { train::clip_grad_norm(net, 1.0, 2.0, true); }),
             Catch::Contains("modyn::train::clip_grad_norm") && Catch::Contains("error_if_nonfinite"));
  CHECK(std::isnan(net.l1.weight.grad()(0, 0)) == false);  // nothing was scaled
  CHECK(std::isinf(train::grad_norm(net, std::numeric_limits<double>::infinity())));
  CHECK(std::isnan(train::grad_norm(net, 1.0)));
  CHECK(std::isnan(train::grad_norm(net, 3.0)));
  CHECK(std::isnan(train::clip_grad_norm(net, 1.0)));
  CHECK(std::isnan(net.l1.weight.grad()(0, 0)));  // torch 1.13 multiplies by NaN too
  CHECK_THROWS_AS(train::grad_norm(net, 0.0), modyn::config_error);
  // No gradients at all: a norm of 0.
  Net<float> fresh;
  CHECK(train::clip_grad_norm(fresh, 1.0) == 0.0);
}

namespace {

// The learning rates of epochs 0 .. epochs of a scheduler over SGD(lr 0.1),
// checking that it drives the optimizer's lr.
template <class Rule>
std::vector<double> learning_rates(Rule rule, int epochs) {
  Net<> net;
  train::SGD opt(net, {.lr = 0.1});
  train::LRScheduler sched(opt, rule);
  std::vector<double> out{sched.last_lr()};
  CHECK(opt.lr() == sched.last_lr());
  for (int e = 0; e < epochs; ++e) {
    opt.step();
    sched.step();
    out.push_back(sched.last_lr());
    CHECK(opt.lr() == sched.last_lr());
    CHECK(sched.last_epoch() == e + 1);
  }
  return out;
}

}  // namespace

TEST_CASE("the schedules give torch.optim.lr_scheduler's learning rates", "[schedules]") {
  // clang-format off
  SECTION("StepLR(step_size=3, gamma=0.5)") {
    check_close(learning_rates(train::StepLR{.step_size = 3, .gamma = 0.5}, 12),
                {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625}, 1e-12);
  }
  SECTION("ExponentialLR(gamma=0.9)") {
    check_close(learning_rates(train::ExponentialLR{.gamma = 0.9}, 8),
                {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024}, 1e-12);
  }
  SECTION("CosineAnnealingLR(T_max=10, eta_min=0.001), past T_max") {
    check_close(learning_rates(train::CosineAnnealingLR{.T_max = 10, .eta_min = 0.001}, 25),
                {0.1, 0.09757729755661011, 0.0905463412215599, 0.07959536998847742, 0.0657963412215599, 0.0505, 0.03520365877844011, 0.02140463001152259, 0.010453658778440109, 0.0034227024433899004, 0.001, 0.0034227024433899004, 0.01045365877844014, 0.02140463001152267, 0.035203658778440255, 0.05050000000000022, 0.06579634122156018, 0.07959536998847777, 0.09054634122156031, 0.09757729755661054, 0.10000000000000045, 0.09757729755661054, 0.09054634122156033, 0.07959536998847778, 0.0657963412215602, 0.050500000000000225}, 1e-12);
  }
  SECTION("LinearLR(start_factor=0.25, end_factor=1.0, total_iters=4) and LinearLR()") {
    check_close(learning_rates(train::LinearLR{.start_factor = 0.25, .end_factor = 1.0, .total_iters = 4}, 8),
                {0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002}, 1e-12);
    check_close(learning_rates(train::LinearLR{}, 8),
                {0.03333333333333333, 0.04666666666666667, 0.060000000000000005, 0.07333333333333335, 0.08666666666666668, 0.1, 0.1, 0.1, 0.1}, 1e-12);
  }
  SECTION("a linear warm-up then cosine annealing: SequentialLR(LinearLR, CosineAnnealingLR, milestone 3)") {
    check_close(learning_rates(train::SequentialLR{train::LinearLR{.start_factor = 0.1, .total_iters = 3},
                                                   train::CosineAnnealingLR{.T_max = 8}, 3}, 15),
                {0.010000000000000002, 0.04, 0.07, 0.1, 0.09619397662556434, 0.08535533905932738, 0.0691341716182545, 0.05, 0.030865828381745515, 0.014644660940672627, 0.0038060233744356634, 0.0, 0.0038060233744356634, 0.014644660940672639, 0.030865828381745536, 0.050000000000000065}, 1e-12);
  }
  // clang-format on
  SECTION("invalid rules are config errors") {
    CHECK_THROWS_AS(learning_rates(train::StepLR{.step_size = 0}, 1), modyn::config_error);
    CHECK_THROWS_AS(learning_rates(train::CosineAnnealingLR{.T_max = 0}, 1), modyn::config_error);
    CHECK_THROWS_AS(learning_rates(train::LinearLR{.start_factor = 0.0}, 1), modyn::config_error);
  }
}

namespace {

// A training run of the float Net: the loss before each step, clipping to
// norm 0.5, then opt.step() and sched.step().
template <class Opt, class Sched>
void train_steps(Net<float>& net, Opt& opt, Sched& sched, int from, int to, std::vector<double>& losses) {
  for (int step = from; step <= to; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    losses.push_back(loss(net));
    train::clip_grad_norm(net, 0.5);
    opt.step();
    sched.step();
  }
}

auto warmup_cosine() {
  return train::SequentialLR{train::LinearLR{.start_factor = 0.2, .total_iters = 3},
                             train::CosineAnnealingLR{.T_max = 7, .eta_min = 1e-3}, 3};
}

// 10 steps at once, and 5 steps, a checkpoint through safetensors files,
// a fresh model, optimizer and scheduler loading it, and 5 more steps: the
// same losses, Params and optimizer state, bit for bit.
template <class Make>
void check_resume(Make make) {
  Net<float> net_a;
  auto opt_a = make(net_a);
  train::LRScheduler sched_a(opt_a, warmup_cosine());
  std::vector<double> losses_a;
  train_steps(net_a, opt_a, sched_a, 1, 10, losses_a);

  modyn_test::TempDir dir;
  std::vector<double> losses_b;
  {
    Net<float> net_b;
    auto opt_b = make(net_b);
    train::LRScheduler sched_b(opt_b, warmup_cosine());
    train_steps(net_b, opt_b, sched_b, 1, 5, losses_b);
    modyn::io::save_safetensors(dir / "model.safetensors", net_b);
    modyn::io::save_safetensors(dir / "optimizer.safetensors", opt_b.state_dict());
    modyn::io::save_safetensors(dir / "scheduler.safetensors", sched_b.state_dict());
  }
  Net<float> net_c;
  net_c.l1.weight = Tensor<float>::zeros({3, 2});  // overwritten by the checkpoint
  auto opt_c = make(net_c);
  opt_c.set_lr(123.0);  // so is the learning rate
  train::LRScheduler sched_c(opt_c, warmup_cosine());
  net_c.load_state_dict(modyn::io::load_safetensors(dir / "model.safetensors"));
  opt_c.load_state_dict(modyn::io::load_safetensors(dir / "optimizer.safetensors"));
  sched_c.load_state_dict(modyn::io::load_safetensors(dir / "scheduler.safetensors"));
  CHECK(sched_c.last_epoch() == 5);
  CHECK(opt_c.lr() == sched_a.rule().lr(sched_a.base_lr(), 5));
  train_steps(net_c, opt_c, sched_c, 6, 10, losses_b);

  REQUIRE(losses_b.size() == losses_a.size());
  for (std::size_t i = 0; i < losses_a.size(); ++i) {
    INFO("step " << i + 1);
    CHECK(losses_b[i] == losses_a[i]);  // exactly
  }
  CHECK(flat(net_c) == flat(net_a));
  CHECK(opt_c.state_dict() == opt_a.state_dict());
  CHECK(sched_c.state_dict() == sched_a.state_dict());
  CHECK(net_c.state_dict() == net_a.state_dict());
  // The run did move: the loss fell.
  CHECK(losses_a.back() < losses_a.front());
}

}  // namespace

TEST_CASE("a checkpoint of model, optimizer and scheduler resumes the same loss curve bit for bit",
          "[optimizers][state_dict][resume]") {
  SECTION("SGD with Nesterov momentum and weight decay") {
    check_resume([](auto& net) {
      return train::SGD(net, {.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 1e-3});
    });
  }
  SECTION("SGD with dampened momentum") {
    check_resume([](auto& net) { return train::SGD(net, {.lr = 0.05, .momentum = 0.5, .dampening = 0.2}); });
  }
  SECTION("Adam with amsgrad and weight decay") {
    check_resume(
        [](auto& net) { return train::Adam(net, {.lr = 0.05, .weight_decay = 1e-2, .amsgrad = true}); });
  }
  SECTION("AdamW") {
    check_resume([](auto& net) { return train::AdamW(net, {.lr = 0.05}); });
  }
}

TEST_CASE("a warm step of an optimizer, a ClipGradNorm and a scheduler allocates nothing",
          "[optimizers][allocation]") {
  const auto check = [](const char* name, auto make) {
    INFO(name);
    Net<float> net;
    auto opt = make(net);
    train::ClipGradNorm clip(net, {.max_norm = 0.5});
    train::LRScheduler sched(opt, warmup_cosine());
    set_grads(net, 3);  // every trained Param has a gradient
    clip();             // the first step allocates the state and scratch buffers
    opt.step();
    sched.step();
    for (int step = 4; step <= 6; ++step) {
      set_grads(net, step);
      double norm = 0.0;
      CHECK(alloc_counter::allocations_in([&] {
              norm = clip();
              opt.step();
              sched.step();
              opt.zero_grad();
            }) == 0);
      CHECK(norm > 0.5);  // it did scale
    }
  };
  check("SGD",
        [](auto& net) { return train::SGD(net, {.lr = 0.05, .momentum = 0.9, .weight_decay = 1e-3}); });
  check("Adam",
        [](auto& net) { return train::Adam(net, {.lr = 0.05, .weight_decay = 1e-3, .amsgrad = true}); });
  check("AdamW", [](auto& net) { return train::AdamW(net, {.lr = 0.05}); });
  // The counter sees the allocations of a first step.
  Net<float> net;
  train::Adam opt(net);
  set_grads(net, 3);
  CHECK(alloc_counter::allocations_in([&] { opt.step(); }) >= 6);  // exp_avg and exp_avg_sq of 3 Params
}

TEST_CASE("loading an optimizer state dict checks keys, dtypes and shapes, and changes nothing on error",
          "[optimizers][state_dict][errors]") {
  Net<float> net;
  train::Adam opt(net, {.lr = 0.05, .amsgrad = true});
  for (int step = 1; step <= 3; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    opt.step();
  }
  const StateDict good = opt.state_dict();

  Net<float> other;
  train::Adam fresh(other, {.lr = 0.5});
  const StateDict before = fresh.state_dict();
  const auto load_error = [&]<class E>(const StateDict& dict, E*) {
    const std::string message = message_of<E>([&] { fresh.load_state_dict(dict); });
    CHECK(fresh.state_dict() == before);  // nothing changed
    return message;
  };

  SECTION("a missing buffer of a Param that has state") {
    StateDict dict = good;
    dict.erase("state.l1.weight.exp_avg");
    CHECK_THAT(load_error(dict, (modyn::key_error*)nullptr),
               Catch::Contains("modyn::train::Adam::load_state_dict") &&
                   Catch::Contains("missing keys: 'state.l1.weight.exp_avg'") &&
                   Catch::Contains("unexpected keys: none"));
  }
  SECTION("a missing hyperparameter and an unexpected key") {
    StateDict dict = good;
    dict.erase("lr");
    dict.insert_or_assign("state.l2.weight.exp_avg", Tensor<float>::zeros({3, 2}));
    CHECK_THAT(load_error(dict, (modyn::key_error*)nullptr),
               Catch::Contains("missing keys: 'lr'") &&
                   Catch::Contains("unexpected keys: 'state.l2.weight.exp_avg'"));
  }
  SECTION("a buffer of the wrong shape") {
    StateDict dict = good;
    dict.insert_or_assign("state.l1.weight.exp_avg", Tensor<float>::zeros({2, 3}));
    CHECK_THAT(load_error(dict, (modyn::shape_error*)nullptr),
               Catch::Contains("'state.l1.weight.exp_avg'") &&
                   Catch::Contains("the parameter has shape (3, 2)") &&
                   Catch::Contains("the state dict has shape (2, 3)"));
  }
  SECTION("a hyperparameter of the wrong shape") {
    StateDict dict = good;
    dict.insert_or_assign("betas", Tensor<double>{0.9, 0.99, 0.999});
    CHECK_THAT(load_error(dict, (modyn::shape_error*)nullptr),
               Catch::Contains("'betas'") && Catch::Contains("(2,)") && Catch::Contains("(3,)"));
  }
  SECTION("a buffer of the wrong dtype") {
    StateDict dict = good;
    dict.insert_or_assign("state.tau.exp_avg_sq", Tensor<double>::zeros({2}));
    CHECK_THAT(load_error(dict, (modyn::type_error*)nullptr), Catch::Contains("'state.tau.exp_avg_sq'") &&
                                                                  Catch::Contains("expected float32") &&
                                                                  Catch::Contains("float64"));
  }
  SECTION("the amsgrad buffer is required with amsgrad") {
    StateDict dict = good;
    dict.erase("state.tau.max_exp_avg_sq");
    CHECK_THAT(load_error(dict, (modyn::key_error*)nullptr), Catch::Contains("'state.tau.max_exp_avg_sq'"));
  }
  SECTION("another optimizer's state dict") {
    train::SGD sgd(other, {.lr = 0.1});
    const std::string message = message_of<modyn::key_error>([&] { sgd.load_state_dict(good); });
    CHECK_THAT(message, Catch::Contains("modyn::train::SGD::load_state_dict") &&
                            Catch::Contains("'momentum'") && Catch::Contains("'betas'") &&
                            Catch::Contains("'state.l1.weight.exp_avg'"));
  }
  SECTION("a good one loads, hyperparameters included") {
    fresh.load_state_dict(good);
    CHECK(fresh.state_dict() == good);
    CHECK(fresh.lr() == 0.05);
    CHECK(fresh.options().amsgrad);
    // A Param with no keys at all has no state: it starts afresh.
    StateDict partial = good;
    for (const char* name : {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"})
      partial.erase(std::string("state.tau.") + name);
    fresh.load_state_dict(partial);
    CHECK(fresh.state_dict() == partial);
  }
}

TEST_CASE("loading a scheduler state dict checks its keys and sets the optimizer's rate",
          "[schedules][state_dict]") {
  Net<> net;
  train::SGD opt(net, {.lr = 0.1});
  train::LRScheduler sched(opt, train::StepLR{.step_size = 2, .gamma = 0.5});
  for (int e = 0; e < 5; ++e) sched.step();
  const StateDict good = sched.state_dict();
  CHECK(good.get<std::int64_t>("last_epoch").item() == 5);
  CHECK(good.get<double>("base_lr").item() == 0.1);
  CHECK(good.get<double>("last_lr").item() == 0.025);

  train::SGD other_opt(net, {.lr = 0.3});
  train::LRScheduler other(other_opt, train::StepLR{.step_size = 2, .gamma = 0.5});
  StateDict missing = good;
  missing.erase("last_epoch");
  CHECK_THAT(
      message_of<modyn::key_error>([&] { other.load_state_dict(missing); }),
      Catch::Contains("modyn::train::LRScheduler::load_state_dict") && Catch::Contains("'last_epoch'"));
  CHECK(other.last_epoch() == 0);
  other.load_state_dict(good);
  CHECK(other.last_epoch() == 5);
  CHECK(other_opt.lr() == 0.025);
  other.step();
  CHECK(other_opt.lr() == 0.0125);
}
