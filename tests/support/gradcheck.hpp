// Gradient checks by central finite differences, in double precision: the
// test helper of the training protocol (module/differentiable.hpp).
//
//   check_param_gradients(model, loss, backward): `backward()` fills the
//   Params' grad() (after zero_grad, which this helper calls), `loss()`
//   recomputes the scalar loss from scratch (resetting states itself); every
//   element of every Param (or an evenly spread sample of at most
//   max_elements of it) is moved by +-eps and the difference quotient
//   compared with the analytic gradient: |analytic - numeric| <= atol +
//   rtol * max(|analytic|, |numeric|).
//
//   check_input_gradient(x, analytic, loss): the same for an input tensor.
//
// The usual loss is weighted_sum: sum(w * y) with fixed random weights, so
// that d loss / d y = w reaches every output element with a different weight.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstddef>
#include <sstream>
#include <string>
#include <string_view>

#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn_test {

struct GradcheckOptions {
  double eps = 1e-6;
  double rtol = 1e-6;
  double atol = 1e-9;
  std::size_t max_elements = 200;  // per Param; larger Params are sampled evenly
};

// Random weights of a shape, uniform in [-1, 1), from a seed.
inline modyn::Tensor<double> random_tensor(modyn::Shape shape, std::uint64_t seed, double low = -1.0,
                                           double high = 1.0) {
  auto w = modyn::Tensor<double>::empty(shape);
  modyn::Rng(seed).uniform(w, low, high);
  return w;
}

// sum(w * y)
template <class Y>
double weighted_sum(const Y& y, const modyn::Tensor<double>& w) {
  REQUIRE(y.size() == w.size());
  const double* a = static_cast<const double*>(y.data());
  double s = 0.0;
  for (std::size_t i = 0; i < w.size(); ++i) s += a[i] * w.data()[i];
  return s;
}

namespace detail {

struct mismatch_log {
  std::ostringstream text;
  std::size_t count = 0;
  double worst = 0.0;

  void compare(std::string_view what, std::size_t index, double analytic, double numeric,
               const GradcheckOptions& o) {
    const double error = std::abs(analytic - numeric);
    const double bound = o.atol + o.rtol * std::max(std::abs(analytic), std::abs(numeric));
    if (!(error <= bound)) {
      if (count < 8) {
        text << what << "[" << index << "]: analytic " << analytic << ", finite difference " << numeric
             << " (error " << error << ", allowed " << bound << ")\n";
      }
      ++count;
    }
    if (error > worst) worst = error;
  }
};

inline std::size_t sample_step(std::size_t size, std::size_t max_elements) {
  return size <= max_elements ? 1 : (size + max_elements - 1) / max_elements;
}

}  // namespace detail

template <class M, class Loss, class Backward>
void check_param_gradients(M& model, Loss&& loss, Backward&& backward, GradcheckOptions o = {}) {
  model.zero_grad();
  backward();
  std::size_t checked = 0;
  model.for_each_parameter([&](std::string_view path, auto& p) {
    auto& raw = p.raw_mut();
    const auto& grad = p.grad();
    REQUIRE(grad.shape() == raw.shape());
    detail::mismatch_log log;
    const std::size_t step = detail::sample_step(raw.size(), o.max_elements);
    for (std::size_t i = 0; i < raw.size(); i += step) {
      const double saved = raw.data()[i];
      raw.data()[i] = saved + o.eps;
      p.mark_modified();
      const double up = loss();
      raw.data()[i] = saved - o.eps;
      p.mark_modified();
      const double down = loss();
      raw.data()[i] = saved;
      p.mark_modified();
      log.compare(path, i, grad.data()[i], (up - down) / (2 * o.eps), o);
      ++checked;
    }
    INFO("Param " << path << ": " << log.count << " mismatches\n" << log.text.str());
    CHECK(log.count == 0);
  });
  CHECK(checked > 0);
}

template <class Loss>
void check_input_gradient(modyn::Tensor<double>& x, const modyn::Tensor<double>& analytic, Loss&& loss,
                          GradcheckOptions o = {}) {
  REQUIRE(analytic.shape() == x.shape());
  detail::mismatch_log log;
  const std::size_t step = detail::sample_step(x.size(), o.max_elements);
  for (std::size_t i = 0; i < x.size(); i += step) {
    const double saved = x.data()[i];
    x.data()[i] = saved + o.eps;
    const double up = loss();
    x.data()[i] = saved - o.eps;
    const double down = loss();
    x.data()[i] = saved;
    log.compare("input", i, analytic.data()[i], (up - down) / (2 * o.eps), o);
  }
  INFO(log.count << " mismatches\n" << log.text.str());
  CHECK(log.count == 0);
}

}  // namespace modyn_test
