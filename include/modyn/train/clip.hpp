// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_:
//
//   opt.zero_grad();
//   ... backward pass ...
//   const double norm = train::clip_grad_norm(model, 1.0);   // the norm before clipping
//   opt.step();
//
// The total norm is the p-norm of the vector of every gradient buffer of the
// model (Params without one are skipped, as torch skips .grad None): the
// norm of the per-Param norms, as torch computes it; p = infinity is the
// largest magnitude. When max_norm / (total + 1e-6) < 1 every gradient is
// multiplied by that factor, so the clipped norm is max_norm (just below);
// otherwise nothing changes. A non-finite total (a NaN or infinite
// gradient) throws modyn::error with error_if_nonfinite; without it, as in
// torch 1.13, the factor is applied all the same (NaN for a NaN total, 0
// for an infinite one). A NaN gradient makes the infinity norm +infinity
// (reductions need not propagate NaN on every backend).
//
// Each Param's sum is one elementwise pass (|g|^p into a scratch buffer, on
// the gradient's backend) and one reduction (B::reduce_sum / reduce_max) in
// the gradient's element type; the per-Param norms are combined in double.
// The scratch buffers (one per element type, the size of the largest
// gradient) are allocated by each clip_grad_norm call; a ClipGradNorm
// object keeps them, so that its warm calls allocate nothing:
//
//   train::ClipGradNorm clip(model, {.max_norm = 1.0});
//   ... clip(); opt.step(); ...
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/detail/traversal.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/train/detail/param_slots.hpp"

namespace modyn::train {

namespace detail {

// |g|^p, elementwise: p = 1 and 2 exactly, infinity as |g| (NaN as
// +infinity, see above), other p through exp(p log |g|).
template <class T>
struct abs_pow_kernel {
  T p;
  T infinity;
  int kind;  // 1, 2, 0 (infinity) or -1 (other p)
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& g, Vec& out) const {
    const Vec a = math::abs(g);
    if (kind == 2) {
      out = g * g;
    } else if (kind == 1) {
      out = a;
    } else if (kind == 0) {
      // (a == a is false for NaN only; some vector != are ordered, false for NaN too)
      out = math::select(a == a, a, Vec(infinity));
    } else {
      // 0 for 0 without exp(-inf) (which some vector exps compute through an
      // integer conversion of -inf); NaN stays NaN (a * 0)
      const auto positive = a > Vec(0);
      out = math::select(positive, math::exp(Vec(p) * math::log(math::select(positive, a, Vec(1)))),
                         a * Vec(0));
    }
  }
};

template <class T>
struct scale_kernel {
  T factor;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& g) const {
    g = g * Vec(factor);
  }
};

template <class List>
struct tuple_of;
template <class... Vs>
struct tuple_of<modyn::detail::type_list<Vs...>> {
  using type = std::tuple<Vs...>;
};

// f(path, param) for every Param that has a gradient buffer.
template <class F>
struct grad_visitor : modyn::detail::visitor_base {
  F& f;
  explicit grad_visitor(F& fn) : f(fn) {}
  template <class P>
  void param(std::string_view path, P& p, int) {
    if (p.has_grad()) f(path, p);
  }
};

template <class M, class F>
void for_each_grad(M& model, F&& f) {
  grad_visitor<std::remove_reference_t<F>> visitor(f);
  modyn::detail::walk(model, visitor);
}

inline int norm_kind(double norm_type) {
  if (norm_type == std::numeric_limits<double>::infinity()) return 0;
  if (norm_type == 1.0) return 1;
  if (norm_type == 2.0) return 2;
  return -1;
}

}  // namespace detail

/// What ClipGradNorm does (torch.nn.utils.clip_grad_norm_'s arguments).
struct ClipOptions {
  double max_norm = 1.0;   ///< the largest total norm the gradients are scaled to
  double norm_type = 2.0;  ///< > 0, or std::numeric_limits<double>::infinity()
  /// Throw `error` when the total norm is not finite, instead of scaling by NaN.
  bool error_if_nonfinite = false;
};

/// Clipping held across steps: keeps its scratch buffers, so that a warm
/// clip() allocates nothing.
///
///     train::ClipGradNorm clip(model, {.max_norm = 1.0});
///     ... clip(); opt.step(); ...
///
/// M: the model's type.
template <ModuleType M>
class ClipGradNorm {
  using types = modyn::detail::model_value_types_t<M, modyn::detail::value_filter::params>;

 public:
  /// Clips the gradients of `model`'s Params, which must outlive this object.
  explicit ClipGradNorm(M& model, ClipOptions options = {}) : model_(&model), options_(options) {
    check(options_.norm_type);
  }

  /// Scales the gradients to a total norm of at most max_norm; returns the
  /// total norm before.
  double operator()() {
    const double total = norm();
    if (options_.error_if_nonfinite && !std::isfinite(total)) {
      throw error("modyn::train::clip_grad_norm: the total norm of order " +
                  detail::format_number(options_.norm_type) + " of the gradients is " +
                  detail::format_number(total) + ", so they cannot be clipped (error_if_nonfinite is set)");
    }
    const double coefficient = options_.max_norm / (total + 1e-6);
    // (torch 1.13 multiplies by min(coefficient, 1) always: by NaN for a NaN total)
    if (coefficient < 1.0 || std::isnan(coefficient)) {
      detail::for_each_grad(*model_, [&](std::string_view, auto& p) {
        using V = typename std::remove_cvref_t<decltype(p)>::value_type;
        using T = typename V::value_type;
        V& grad = p.grad();
        V::backend_type::map(grad.size(), detail::scale_kernel<T>{T(coefficient)}, grad.data());
      });
    }
    return total;
  }

  /// The total norm of the gradients, unchanged.
  double norm() { return norm(options_.norm_type); }
  /// The total norm of order norm_type of the gradients, unchanged.
  double norm(double norm_type) {
    check(norm_type);
    const int kind = detail::norm_kind(norm_type);
    double total = 0.0;
    detail::for_each_grad(*model_, [&](std::string_view, auto& p) {
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      using T = typename V::value_type;
      using B = typename V::backend_type;
      static_assert(std::is_floating_point_v<T>,
                    "modyn::train::clip_grad_norm: gradients are floating-point");
      const V& grad = std::as_const(p).grad();
      const std::size_t n = grad.size();
      if (n == 0) return;
      V& buffer = std::get<V>(scratch_);
      if (buffer.size() < n) buffer = V::empty(Shape{n});
      B::map(n, detail::abs_pow_kernel<T>{T(norm_type), std::numeric_limits<T>::infinity(), kind},
             grad.data(), write_only(buffer.data()));
      if (kind == 0) {
        total = std::max(total, static_cast<double>(B::reduce_max(buffer.data(), n)));
      } else {
        // torch's total: the norm of the per-Param norms
        const double sum = static_cast<double>(B::reduce_sum(buffer.data(), n));
        const double param_norm = kind == 2   ? std::sqrt(sum)
                                  : kind == 1 ? sum
                                              : std::pow(sum, 1.0 / norm_type);
        total += kind == 2   ? param_norm * param_norm
                 : kind == 1 ? param_norm
                             : std::pow(param_norm, norm_type);
      }
    });
    if (kind == 0 || kind == 1) return total;
    return kind == 2 ? std::sqrt(total) : std::pow(total, 1.0 / norm_type);
  }

  /// The options, to read or change between steps.
  const ClipOptions& options() const noexcept { return options_; }
  /// The options, to read or change between steps.
  ClipOptions& options() noexcept { return options_; }

 private:
  static void check(double norm_type) {
    if (!(norm_type > 0.0)) {
      throw config_error("modyn::train::clip_grad_norm: norm_type must be > 0 or infinity, got " +
                         detail::format_number(norm_type));
    }
  }

  M* model_;
  ClipOptions options_;
  typename detail::tuple_of<types>::type scratch_;
};

/// The norm_type-norm of all the gradients of `model` (the total that
/// clip_grad_norm reports), without changing them.
template <ModuleType M>
double grad_norm(M& model, double norm_type = 2.0) {
  return ClipGradNorm<M>(model, {.norm_type = norm_type}).norm();
}

/// Scales every gradient of `model` so that their total norm_type-norm is at
/// most max_norm (torch.nn.utils.clip_grad_norm_); returns the total norm
/// before clipping. (Allocates its scratch buffers per call; ClipGradNorm
/// keeps them.)
template <ModuleType M>
double clip_grad_norm(M& model, double max_norm, double norm_type = 2.0, bool error_if_nonfinite = false) {
  return ClipGradNorm<M>(
      model, {.max_norm = max_norm, .norm_type = norm_type, .error_if_nonfinite = error_if_nonfinite})();
}

}  // namespace modyn::train
