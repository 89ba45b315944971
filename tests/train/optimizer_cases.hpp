// The model and gradients of tests/train/reference_optimizers.py, and the
// optimizer cases of every backend, over the type list backends_under_test
// that the including file declares first (tests/train/optimizers.cpp: the
// host backends; tests/cuda/train.cu: modyn::cuda): SGD, Adam and
// clip_grad_norm run on Net<double, B> give modyn::cpu's numbers, and a
// state dict of B loads into a CPU optimizer that goes on as B's.
#pragma once

#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "modyn/backend/cpu.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/state_dict.hpp"
#include "modyn/module/transforms.hpp"
#include "modyn/nn/dense.hpp"
#include "modyn/train/clip.hpp"
#include "modyn/train/optimizers.hpp"

namespace {

namespace train = modyn::train;
using modyn::Param;
using modyn::Shape;
using modyn::StateDict;
using modyn::Tensor;

template <class T, class B>
Tensor<T, B> make_tensor(Shape shape, std::vector<double> values) {
  const std::vector<T> converted(values.begin(), values.end());
  return Tensor<T, B>(shape, std::span<const T>(converted));
}

// The model of reference_optimizers.py: a Dense, a time-constant-like Param
// kept positive by an exponential transform (the optimizer updates its raw
// value), and a Param that never gets a gradient.
template <class T = double, class B = modyn::cpu>
struct Net : modyn::Module<Net<T, B>> {
  modyn::nn::Dense<modyn::dynamic, modyn::dynamic, T, B> l1{3, 2};
  Param<Tensor<T, B>, modyn::transform::exponential> tau{make_tensor<T, B>({2}, {-0.5, 0.3})};
  Param<Tensor<T, B>> frozen{make_tensor<T, B>({2}, {1.0, 2.0})};
  MODYN_FIELDS(l1, tau, frozen)

  Net() {
    l1.weight = make_tensor<T, B>({3, 2}, {0.5, -0.3, 0.2, 0.8, -0.6, 0.1});
    l1.bias = make_tensor<T, B>({2}, {0.05, -0.1});
  }
};

// The quadratic loss sum_k c_k (theta_k - t_k)^2 / 2 over the flat index k
// of l1.weight, l1.bias and tau.
double coefficient(std::size_t k) { return 1.0 + 0.5 * double(k % 3); }
double target(std::size_t k) { return 0.2 * double(k) - 0.5; }

// Sets the loss's gradient into the grad buffers; tau gets its first one at
// step 3, frozen none (the script's p.grad = None).
template <class T, class B>
void set_grads(Net<T, B>& net, int step) {
  std::size_t k = 0;
  net.for_each_parameter([&](std::string_view path, auto& p) {
    if (path == "frozen") return;
    std::vector<T> raw = p.raw().to_vector();
    std::vector<T> grad(raw.size());
    // In T, as torch computes c * (theta - t) on a tensor of T.
    for (std::size_t i = 0; i < raw.size(); ++i, ++k) grad[i] = T(coefficient(k)) * (raw[i] - T(target(k)));
    if (path == "tau" && step < 3) return;
    B::copy_from_host(grad.data(), p.grad().data(), grad.size());
  });
}

template <class T, class B>
double loss(const Net<T, B>& net) {
  double sum = 0.0;
  std::size_t k = 0;
  net.for_each_parameter([&](std::string_view path, const auto& p) {
    if (path == "frozen") return;
    for (const T x : p.raw().to_vector()) {
      sum += 0.5 * coefficient(k) * (double(x) - target(k)) * (double(x) - target(k));
      ++k;
    }
  });
  return sum;
}

// The raw values of l1.weight, l1.bias, tau.
template <class T, class B>
std::vector<double> flat(const Net<T, B>& net) {
  std::vector<double> out;
  for (const auto* p : {&net.l1.weight.raw(), &net.l1.bias.raw(), &net.tau.raw()}) {
    for (const T x : p->to_vector()) out.push_back(double(x));
  }
  return out;
}

template <class T, class B>
std::vector<double> grads(const Net<T, B>& net) {
  std::vector<double> out;
  for (const auto* g : {&net.l1.weight.grad(), &net.l1.bias.grad(), &net.tau.grad()}) {
    for (const T x : g->to_vector()) out.push_back(double(x));
  }
  return out;
}

void check_close(const std::vector<double>& actual, const std::vector<double>& expected, double tolerance) {
  REQUIRE(actual.size() == expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    INFO("element " << i);
    CHECK(actual[i] == Approx(expected[i]).epsilon(tolerance).margin(tolerance));
  }
}

}  // namespace

namespace {

// 5 steps of Net<double, B> with clipping to norm 1 (steps 1 .. 5 of
// set_grads: tau's gradient from step 3), by the optimizer make(net) makes.
template <class B, class Make>
auto run_steps(Net<double, B>& net, Make make, int from = 1, int to = 5) {
  auto opt = make(net);
  for (int step = from; step <= to; ++step) {
    opt.zero_grad();
    set_grads(net, step);
    train::clip_grad_norm(net, 1.0);
    opt.step();
  }
  return opt;
}

const auto make_adam = [](auto& net) {
  return train::Adam(net, {.lr = 0.05, .weight_decay = 0.01, .amsgrad = true});
};
const auto make_adamw = [](auto& net) { return train::AdamW(net, {.lr = 0.05, .betas = {0.8, 0.9}}); };
const auto make_sgd = [](auto& net) {
  return train::SGD(net, {.lr = 0.05, .momentum = 0.9, .nesterov = true, .weight_decay = 0.01});
};

}  // namespace

// The per-element (GPU thread) form of the kernels, on memory the host may
// not be able to read, gives the CPU's numbers (the same operations in the
// same order; a few ulps apart at most where a compiler contracts a * b + c
// differently); state dicts move between backends.
TEMPLATE_LIST_TEST_CASE("the optimizers and clip_grad_norm on each backend give the CPU's numbers",
                        "[optimizers][backends]", backends_under_test) {
  using B = TestType;
  const auto check = [](const char* name, auto make) {
    INFO(name);
    Net<double, modyn::cpu> cpu_net;
    auto cpu_opt = run_steps(cpu_net, make);
    Net<double, B> net;
    auto opt = run_steps(net, make);
    check_close(flat(net), flat(cpu_net), 1e-14);
    const StateDict state = opt.state_dict();
    CHECK(state.keys() == cpu_opt.state_dict().keys());
    // B's checkpoint resumes on the CPU: one more step on each.
    Net<double, modyn::cpu> resumed;
    resumed.load_state_dict(net.state_dict());
    auto resumed_opt = make(resumed);
    resumed_opt.load_state_dict(state);
    resumed_opt.zero_grad();
    set_grads(resumed, 6);
    resumed_opt.step();
    opt.zero_grad();
    set_grads(net, 6);
    opt.step();
    check_close(flat(resumed), flat(net), 1e-14);
  };
  check("Adam", make_adam);
  check("AdamW", make_adamw);
  check("SGD", make_sgd);
  // The gradient norm itself, before any step.
  Net<double, B> net;
  Net<double, modyn::cpu> cpu_net;
  set_grads(net, 3);
  set_grads(cpu_net, 3);
  for (const double p : {2.0, 1.0, 3.0, std::numeric_limits<double>::infinity()}) {
    INFO("norm_type " << p);
    CHECK(train::grad_norm(net, p) == Approx(train::grad_norm(cpu_net, p)).epsilon(1e-14));
  }
}
