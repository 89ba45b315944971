// Optimizers over the Params of any module, found by reflection: SGD (with
// momentum, dampening, Nesterov momentum, weight decay), Adam and AdamW
// (with AMSGrad), following PyTorch's update rules (torch.optim.SGD, Adam
// and AdamW of PyTorch 1.13, whose numbers the tests compare with).
//
//   nn::Dense model(4, 2);
//   train::Adam opt(model, {.lr = 1e-3, .weight_decay = 1e-4});
//   for (...) {
//     opt.zero_grad();
//     ... backward pass: accumulates into each Param's grad() ...
//     opt.step();
//   }
//
// An optimizer holds the model by reference, as torch.optim holds
// model.parameters(): the model must outlive it. A filter (module/filters.hpp)
// restricts it to some Params: train::SGD opt(model, {.lr = 0.1},
// [](std::string_view path) { return path.ends_with("bias"); }); two
// optimizers over disjoint filters play the role of torch's param groups.
//
// What a step reads and writes
// ----------------------------
// step() updates each Param's raw value (Param::raw(), what state dicts hold)
// from its gradient buffer (Param::grad(), d loss / d raw): for a Param with
// a transform (exponential, softplus, ... keeping a time constant positive)
// the optimizer works on the unconstrained raw value, and the gradient must
// be the one with respect to the raw value (the backward pass multiplies by
// the transform's derivative). The update counts as a write of the Param
// (raw_mut()), so value() recomputes the transform afterwards.
//
// A Param without a gradient buffer (has_grad() false: none was ever
// allocated, or the raw value changed shape since) is skipped, state and
// all, as torch skips a parameter whose .grad is None; zero_grad() zeroes
// the buffers that exist and creates none, so a frozen Param stays frozen.
//
// Each Param's update is one fused elementwise pass (B::map) over the Param,
// its gradient and its state buffers, so the same code runs vectorized on the
// CPU and as one kernel on a GPU. The state buffers are allocated (zeroed)
// at a Param's first step; later steps allocate nothing.
//
// State dicts
// -----------
// state_dict() holds the hyperparameters as rank-0 entries ("lr" float64,
// "amsgrad" uint8, ...; Adam's "betas" a float64 (2,)) and, for each Param
// that has state, its buffers under "state.<path>.<name>": SGD's
// momentum_buffer; Adam's step (int64, per Param as in torch: a Param that
// gets its first gradient late starts its own count), exp_avg, exp_avg_sq
// and, with amsgrad, max_exp_avg_sq. Saved with io::save_safetensors beside
// the model's, and loaded into a fresh model and optimizer, it resumes a run
// bit for bit. load_state_dict sets the hyperparameters too (as torch's
// does) and is all or nothing: a dtype or shape mismatch throws type_error /
// shape_error naming the key and both dtypes / shapes; missing keys (a
// hyperparameter, or some of a Param's buffers) and unexpected ones throw
// key_error naming them; then nothing has changed. A Param with none of its
// keys in the dict has no state after loading (it starts afresh, as in torch).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/state_dict.hpp"
#include "modyn/train/detail/param_slots.hpp"

namespace modyn::train {

/// torch.optim.SGD's arguments (lr has torch 2's default; torch 1.13 has none).
struct SGDOptions {
  double lr = 1e-3;           ///< the learning rate
  double momentum = 0.0;      ///< the momentum factor (0: none)
  double dampening = 0.0;     ///< dampening of the momentum
  bool nesterov = false;      ///< needs momentum > 0 and dampening == 0
  double weight_decay = 0.0;  ///< L2 penalty: weight_decay * param added to the gradient
  bool maximize = false;      ///< ascend the objective instead
};

/// torch.optim.Adam's arguments.
struct AdamOptions {
  double lr = 1e-3;                         ///< the learning rate
  std::array<double, 2> betas{0.9, 0.999};  ///< the decay rates of the first and second moment estimates
  double eps = 1e-8;                        ///< added to the denominator, against division by zero
  double weight_decay = 0.0;                ///< L2: added to the gradient
  bool amsgrad = false;   ///< keep the maximum of the second moment estimates (Reddi et al. 2018)
  bool maximize = false;  ///< ascend the objective instead
};

/// torch.optim.AdamW's arguments: Adam's, with decoupled weight decay
/// (param *= 1 - lr * weight_decay before the step, Loshchilov & Hutter 2019).
struct AdamWOptions {
  double lr = 1e-3;                         ///< the learning rate
  std::array<double, 2> betas{0.9, 0.999};  ///< the decay rates of the first and second moment estimates
  double eps = 1e-8;                        ///< added to the denominator, against division by zero
  double weight_decay = 1e-2;               ///< decoupled: param *= 1 - lr * weight_decay before each step
  bool amsgrad = false;   ///< keep the maximum of the second moment estimates (Reddi et al. 2018)
  bool maximize = false;  ///< ascend the objective instead
};

namespace detail {

// The gradient as the update uses it: negated to maximize, plus the L2 term.
template <class Vec, class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec decayed_gradient(const Vec& param, const Vec& grad, bool maximize,
                                                           bool l2, T weight_decay) {
  Vec g = maximize ? Vec(-grad) : grad;
  if (l2) g = g + Vec(weight_decay) * param;
  return g;
}

// One SGD step of one Param, as torch's _single_tensor_sgd:
//   d = grad + weight_decay * param
//   buf = d at the first step, else momentum * buf + (1 - dampening) * d
//   d = d + momentum * buf (Nesterov) or buf
//   param = param - lr * d
// The flags are the same for every element (a uniform branch on a GPU).
template <class T>
struct sgd_kernel {
  T neg_lr, momentum, one_minus_dampening, weight_decay;
  bool decay, maximize, nesterov, first;

  // Without momentum: no buffer.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& param, const Vec& grad) const {
    const Vec d = decayed_gradient(param, grad, maximize, decay, weight_decay);
    param = param + Vec(neg_lr) * d;
  }
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& param, const Vec& grad, Vec& buf) const {
    Vec d = decayed_gradient(param, grad, maximize, decay, weight_decay);
    if (first) {
      buf = d;
    } else {
      buf = buf * Vec(momentum) + Vec(one_minus_dampening) * d;
    }
    if (nesterov) {
      d = d + Vec(momentum) * buf;
    } else {
      d = buf;
    }
    param = param + Vec(neg_lr) * d;
  }
};

// One Adam / AdamW step of one Param, as torch's _single_tensor_adam(w):
//   param = param * (1 - lr * weight_decay)               (AdamW)
//   g = grad + weight_decay * param                       (Adam)
//   m = beta1 m + (1 - beta1) g,  v = beta2 v + (1 - beta2) g g
//   v_max = max(v_max, v)                                 (amsgrad; v_max replaces v below)
//   param = param - step_size m / (sqrt(v) / sqrt(1 - beta2^t) + eps),  step_size = lr / (1 - beta1^t)
// (Kingma & Ba 2015, Algorithm 1, with eps outside the bias correction as
// in torch.) The bias corrections are computed once per step on the host.
template <class T>
struct adam_kernel {
  T beta1, one_minus_beta1, beta2, one_minus_beta2, weight_decay, decay_factor;
  T bias_correction2_sqrt, eps, neg_step_size;
  bool l2, decoupled, maximize;

  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& param, const Vec& grad, Vec& exp_avg,
                                                        Vec& exp_avg_sq) const {
    moments(param, grad, exp_avg, exp_avg_sq);
    apply(param, exp_avg, exp_avg_sq);
  }
  // amsgrad
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& param, const Vec& grad, Vec& exp_avg,
                                                        Vec& exp_avg_sq, Vec& max_exp_avg_sq) const {
    moments(param, grad, exp_avg, exp_avg_sq);
    max_exp_avg_sq = math::max(max_exp_avg_sq, exp_avg_sq);
    apply(param, exp_avg, max_exp_avg_sq);
  }

 private:
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void moments(Vec& param, const Vec& grad, Vec& exp_avg,
                                                     Vec& exp_avg_sq) const {
    if (decoupled) param = param * Vec(decay_factor);
    const Vec g = decayed_gradient(param, grad, maximize, l2, weight_decay);
    exp_avg = exp_avg * Vec(beta1) + Vec(one_minus_beta1) * g;
    exp_avg_sq = exp_avg_sq * Vec(beta2) + Vec(one_minus_beta2) * g * g;
  }
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void apply(Vec& param, const Vec& exp_avg, const Vec& second) const {
    const Vec denom = math::sqrt(second) / Vec(bias_correction2_sqrt) + Vec(eps);
    param = param + Vec(neg_step_size) * (exp_avg / denom);
  }
};

template <class V>
struct sgd_slot {
  std::string path;
  bool has_buffer = false;
  V momentum_buffer;
};

template <class V>
struct adam_slot {
  std::string path;
  bool has_state = false;  // torch's state[p] is not empty
  std::int64_t step = 0;
  V exp_avg, exp_avg_sq, max_exp_avg_sq;
};

inline std::string state_key(std::string_view path, std::string_view name) {
  std::string key = "state.";
  key += path;
  key += '.';
  key += name;
  return key;
}

inline void check_common(std::string_view who, double lr, double weight_decay) {
  if (!(lr >= 0.0))
    throw config_error(std::string(who) + ": invalid learning rate " + format_number(lr) + " (lr >= 0)");
  if (!(weight_decay >= 0.0)) {
    throw config_error(std::string(who) + ": invalid weight_decay " + format_number(weight_decay) +
                       " (weight_decay >= 0)");
  }
}

inline void check_options(std::string_view who, const SGDOptions& o) {
  check_common(who, o.lr, o.weight_decay);
  if (!(o.momentum >= 0.0)) {
    throw config_error(std::string(who) + ": invalid momentum " + format_number(o.momentum) +
                       " (momentum >= 0)");
  }
  if (o.nesterov && (o.momentum <= 0.0 || o.dampening != 0.0)) {
    throw config_error(std::string(who) +
                       ": Nesterov momentum requires a momentum > 0 and zero dampening (momentum " +
                       format_number(o.momentum) + ", dampening " + format_number(o.dampening) + ")");
  }
}

template <class Options>
void check_adam_options(std::string_view who, const Options& o) {
  check_common(who, o.lr, o.weight_decay);
  if (!(o.eps >= 0.0))
    throw config_error(std::string(who) + ": invalid eps " + format_number(o.eps) + " (eps >= 0)");
  for (std::size_t i = 0; i < 2; ++i) {
    if (!(o.betas[i] >= 0.0 && o.betas[i] < 1.0)) {
      throw config_error(std::string(who) + ": invalid beta parameter at index " + std::to_string(i) + ": " +
                         format_number(o.betas[i]) + " (0 <= beta < 1)");
    }
  }
}

// A fresh zero-filled buffer of the shape of t, on its backend.
template <class V>
V zeros_like(const V& t) {
  return V::zeros(t.shape());
}

template <class P, class V>
void check_state_shape(std::string_view who, std::string_view path, const P& param, const V& buffer) {
  if (!(buffer.shape() == param.shape())) {
    throw shape_error(std::string(who) + ": Param '" + std::string(path) + "' has shape " +
                      param.shape().to_string() + ", its optimizer state has shape " +
                      buffer.shape().to_string() +
                      " (the Param changed shape; build a new optimizer or load a matching state)");
  }
}

// The shared part of Adam and AdamW.
template <class Model, class Filter, class Options, bool Decoupled>
class adam_base {
  static_assert(!std::is_const_v<Model>,
                "modyn::train::Adam: the optimizer updates the model: pass it non-const");

 public:
  using options_type = Options;

  adam_base(Model& model, Options options, Filter filter) : slots_(model, filter, name()), options_(options) {
    check_adam_options(name(), options_);
  }

  // (a string_view: a step builds no string unless it throws)
  static constexpr std::string_view name() noexcept {
    return Decoupled ? "modyn::train::AdamW" : "modyn::train::Adam";
  }

  // One step over every Param that has a gradient.
  void step() {
    const Options o = options_;
    check_adam_options(name(), o);
    slots_.visit([&](std::string_view path, auto& p, auto& s) {
      if (!p.has_grad()) return;
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      using T = typename V::value_type;
      using B = typename V::backend_type;
      if (!s.has_state) {
        s.exp_avg = zeros_like(p.raw());
        s.exp_avg_sq = zeros_like(p.raw());
        s.step = 0;
        s.has_state = true;
      }
      if (o.amsgrad && !(s.max_exp_avg_sq.shape() == p.shape())) s.max_exp_avg_sq = zeros_like(p.raw());
      check_state_shape(name(), path, p, s.exp_avg);
      ++s.step;
      const auto step = static_cast<double>(s.step);
      const double bias_correction1 = 1.0 - std::pow(o.betas[0], step);
      const double bias_correction2 = 1.0 - std::pow(o.betas[1], step);
      const double step_size = o.lr / bias_correction1;
      const adam_kernel<T> kernel{.beta1 = T(o.betas[0]),
                                  .one_minus_beta1 = T(1.0 - o.betas[0]),
                                  .beta2 = T(o.betas[1]),
                                  .one_minus_beta2 = T(1.0 - o.betas[1]),
                                  .weight_decay = T(o.weight_decay),
                                  .decay_factor = T(1.0 - o.lr * o.weight_decay),
                                  .bias_correction2_sqrt = T(std::sqrt(bias_correction2)),
                                  .eps = T(o.eps),
                                  .neg_step_size = T(-step_size),
                                  .l2 = !Decoupled && o.weight_decay != 0.0,
                                  .decoupled = Decoupled,
                                  .maximize = o.maximize};
      const T* grad = std::as_const(p).grad().data();
      V& raw = p.raw_mut();
      if (o.amsgrad) {
        B::map(raw.size(), kernel, raw.data(), grad, s.exp_avg.data(), s.exp_avg_sq.data(),
               s.max_exp_avg_sq.data());
      } else {
        B::map(raw.size(), kernel, raw.data(), grad, s.exp_avg.data(), s.exp_avg_sq.data());
      }
    });
  }

  // Zeroes the gradient buffers that exist (torch's zero_grad(set_to_none=False)).
  void zero_grad() {
    slots_.visit([](std::string_view, auto& p, auto&) {
      if (p.has_grad()) p.zero_grad();
    });
  }

  double lr() const noexcept { return options_.lr; }
  void set_lr(double lr) { options_.lr = lr; }
  const Options& options() const noexcept { return options_; }
  Options& options() noexcept { return options_; }
  Model& model() const noexcept { return slots_.model(); }

  StateDict state_dict() const {
    StateDict dict;
    dict.insert_or_assign("lr", scalar_tensor(options_.lr));
    dict.insert_or_assign("betas", Tensor<double>{options_.betas[0], options_.betas[1]});
    dict.insert_or_assign("eps", scalar_tensor(options_.eps));
    dict.insert_or_assign("weight_decay", scalar_tensor(options_.weight_decay));
    dict.insert_or_assign("amsgrad", scalar_tensor<std::uint8_t>(options_.amsgrad));
    dict.insert_or_assign("maximize", scalar_tensor<std::uint8_t>(options_.maximize));
    slots_.each_slot([&](const auto& s) {
      if (!s.has_state) return;
      dict.insert_or_assign(state_key(s.path, "step"), scalar_tensor<std::int64_t>(s.step));
      dict.insert_or_assign(state_key(s.path, "exp_avg"), s.exp_avg);
      dict.insert_or_assign(state_key(s.path, "exp_avg_sq"), s.exp_avg_sq);
      if (options_.amsgrad) {
        // (amsgrad switched on since the last step: the buffer the next step starts from)
        dict.insert_or_assign(
            state_key(s.path, "max_exp_avg_sq"),
            s.max_exp_avg_sq.shape() == s.exp_avg.shape() ? s.max_exp_avg_sq : zeros_like(s.exp_avg));
      }
    });
    return dict;
  }

  void load_state_dict(const StateDict& dict) {
    dict_reader in(dict, std::string(name()) + "::load_state_dict");
    Options o = options_;
    o.lr = in.scalar<double>("lr", o.lr);
    if (const StateEntry* betas = in.require<double>("betas", Shape{2})) {
      const auto b = betas->as<double>().to_vector();
      o.betas = {b[0], b[1]};
    }
    o.eps = in.scalar<double>("eps", o.eps);
    o.weight_decay = in.scalar<double>("weight_decay", o.weight_decay);
    o.amsgrad = in.flag("amsgrad", o.amsgrad);
    o.maximize = in.flag("maximize", o.maximize);
    // Check every Param's entries before changing anything.
    std::vector<char> present;
    slots_.visit([&](std::string_view path, auto& p, auto&) {
      using T = typename std::remove_cvref_t<decltype(p)>::value_type::value_type;
      const std::string keys[] = {state_key(path, "step"), state_key(path, "exp_avg"),
                                  state_key(path, "exp_avg_sq"), state_key(path, "max_exp_avg_sq")};
      const std::size_t required = o.amsgrad ? 4 : 3;
      bool any = false;
      for (std::size_t k = 0; k < required; ++k) any = any || in.contains(keys[k]);
      present.push_back(any);
      if (!any) return;
      (void)in.require<std::int64_t>(keys[0], Shape{});
      for (std::size_t k = 1; k < required; ++k) (void)in.require<T>(keys[k], p.shape(), "the parameter has");
    });
    in.finish();
    check_adam_options(std::string(name()) + "::load_state_dict", o);
    std::size_t i = 0;
    slots_.visit([&](std::string_view path, auto& p, auto& s) {
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      using T = typename V::value_type;
      using B = typename V::backend_type;
      s.has_state = present[i++] != 0;
      if (!s.has_state) {
        s = std::remove_cvref_t<decltype(s)>{};
        s.path = std::string(path);
        return;
      }
      s.step = dict.at(state_key(path, "step")).template as<std::int64_t>().item();
      s.exp_avg = dict.at(state_key(path, "exp_avg")).template as<T, B>();
      s.exp_avg_sq = dict.at(state_key(path, "exp_avg_sq")).template as<T, B>();
      s.max_exp_avg_sq = o.amsgrad ? dict.at(state_key(path, "max_exp_avg_sq")).template as<T, B>() : V();
    });
    options_ = o;
  }

 private:
  slot_table<adam_slot, Model, Filter> slots_;
  Options options_;
};

}  // namespace detail

/// Stochastic gradient descent with momentum (torch.optim.SGD):
///
///     train::SGD opt(model, {.lr = 0.1, .momentum = 0.9, .nesterov = true});
///
/// Model: the model's type; Filter: which of its Params are updated
/// (module/filters.hpp; all by default).
template <ModuleType Model, class Filter = detail::no_filter>
class SGD {
  static_assert(!std::is_const_v<Model>,
                "modyn::train::SGD: the optimizer updates the model: pass it non-const");

 public:
  using options_type = SGDOptions;  ///< the type of its options

  /// Updates the Params of `model` (which must outlive the optimizer) that
  /// `filter` selects (module/filters.hpp; all of them by default).
  explicit SGD(Model& model, SGDOptions options = {}, Filter filter = {})
      : slots_(model, filter, name()), options_(options) {
    detail::check_options(name(), options_);
  }

  /// The name its errors and state dicts use.
  static constexpr std::string_view name() noexcept { return "modyn::train::SGD"; }

  /// One step over every Param that has a gradient.
  void step() {
    const SGDOptions o = options_;
    detail::check_options(name(), o);
    slots_.visit([&](std::string_view path, auto& p, auto& s) {
      if (!p.has_grad()) return;
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      using T = typename V::value_type;
      using B = typename V::backend_type;
      const detail::sgd_kernel<T> kernel{.neg_lr = T(-o.lr),
                                         .momentum = T(o.momentum),
                                         .one_minus_dampening = T(1.0 - o.dampening),
                                         .weight_decay = T(o.weight_decay),
                                         .decay = o.weight_decay != 0.0,
                                         .maximize = o.maximize,
                                         .nesterov = o.nesterov,
                                         .first = !s.has_buffer};
      const T* grad = std::as_const(p).grad().data();
      if (o.momentum == 0.0) {
        // torch sets the buffer to None: a later momentum starts afresh.
        if (s.has_buffer) s.momentum_buffer = V();
        s.has_buffer = false;
        V& raw = p.raw_mut();
        B::map(raw.size(), kernel, raw.data(), grad);
        return;
      }
      if (!s.has_buffer) {
        s.momentum_buffer = detail::zeros_like(p.raw());
        s.has_buffer = true;
      }
      detail::check_state_shape(name(), path, p, s.momentum_buffer);
      V& raw = p.raw_mut();
      B::map(raw.size(), kernel, raw.data(), grad, s.momentum_buffer.data());
    });
  }

  /// Zeroes the gradient buffers that exist (torch's zero_grad(set_to_none=False)).
  void zero_grad() {
    slots_.visit([](std::string_view, auto& p, auto&) {
      if (p.has_grad()) p.zero_grad();
    });
  }

  /// The learning rate (what an LRScheduler reads).
  double lr() const noexcept { return options_.lr; }
  /// Sets the learning rate (what an LRScheduler does each epoch).
  void set_lr(double lr) { options_.lr = lr; }
  /// The options, to read or change between steps.
  const SGDOptions& options() const noexcept { return options_; }
  /// The options, to read or change between steps.
  SGDOptions& options() noexcept { return options_; }
  /// The model it updates.
  Model& model() const noexcept { return slots_.model(); }

  /// The options and the momentum buffers, by the Params' paths (the keys of
  /// torch's optimizer state, for checkpoints).
  StateDict state_dict() const {
    StateDict dict;
    dict.insert_or_assign("lr", detail::scalar_tensor(options_.lr));
    dict.insert_or_assign("momentum", detail::scalar_tensor(options_.momentum));
    dict.insert_or_assign("dampening", detail::scalar_tensor(options_.dampening));
    dict.insert_or_assign("nesterov", detail::scalar_tensor<std::uint8_t>(options_.nesterov));
    dict.insert_or_assign("weight_decay", detail::scalar_tensor(options_.weight_decay));
    dict.insert_or_assign("maximize", detail::scalar_tensor<std::uint8_t>(options_.maximize));
    slots_.each_slot([&](const auto& s) {
      if (s.has_buffer)
        dict.insert_or_assign(detail::state_key(s.path, "momentum_buffer"), s.momentum_buffer);
    });
    return dict;
  }

  /// Restores state_dict()'s contents; the error names the key, and nothing
  /// changes then.
  void load_state_dict(const StateDict& dict) {
    detail::dict_reader in(dict, std::string(name()) + "::load_state_dict");
    SGDOptions o = options_;
    o.lr = in.scalar<double>("lr", o.lr);
    o.momentum = in.scalar<double>("momentum", o.momentum);
    o.dampening = in.scalar<double>("dampening", o.dampening);
    o.nesterov = in.flag("nesterov", o.nesterov);
    o.weight_decay = in.scalar<double>("weight_decay", o.weight_decay);
    o.maximize = in.flag("maximize", o.maximize);
    slots_.visit([&](std::string_view path, auto& p, auto&) {
      using T = typename std::remove_cvref_t<decltype(p)>::value_type::value_type;
      const std::string key = detail::state_key(path, "momentum_buffer");
      if (in.contains(key)) (void)in.require<T>(key, p.shape(), "the parameter has");
    });
    in.finish();
    detail::check_options(std::string(name()) + "::load_state_dict", o);
    slots_.visit([&](std::string_view path, auto& p, auto& s) {
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      const StateEntry* entry = dict.find(detail::state_key(path, "momentum_buffer"));
      s.has_buffer = entry != nullptr;
      s.momentum_buffer =
          entry ? entry->template as<typename V::value_type, typename V::backend_type>() : V();
    });
    options_ = o;
  }

 private:
  detail::slot_table<detail::sgd_slot, Model, Filter> slots_;
  SGDOptions options_;
};

/// Adam (torch.optim.Adam; Kingma & Ba 2015), weight decay as an L2 term
/// added to the gradient:
///
///     train::Adam opt(model, {.lr = 1e-3, .betas = {0.9, 0.999}, .amsgrad = true});
///
/// Its members are SGD's: step(), zero_grad(), lr(), set_lr(), options(),
/// model(), state_dict(), load_state_dict().
///
/// Model: the model's type; Filter: which of its Params are updated
/// (module/filters.hpp; all by default).
template <ModuleType Model, class Filter = detail::no_filter>
class Adam : public detail::adam_base<Model, Filter, AdamOptions, false> {
 public:
  /// Updates the Params of `model` (which must outlive the optimizer) that
  /// `filter` selects (module/filters.hpp; all of them by default).
  explicit Adam(Model& model, AdamOptions options = {}, Filter filter = {})
      : detail::adam_base<Model, Filter, AdamOptions, false>(model, options, filter) {}
};

/// AdamW (torch.optim.AdamW; Loshchilov & Hutter 2019): Adam with decoupled
/// weight decay, 1e-2 by default.
///
/// Its members are SGD's, as Adam's.
///
/// Model: the model's type; Filter: which of its Params are updated
/// (module/filters.hpp; all by default).
template <ModuleType Model, class Filter = detail::no_filter>
class AdamW : public detail::adam_base<Model, Filter, AdamWOptions, true> {
 public:
  /// Updates the Params of `model` (which must outlive the optimizer) that
  /// `filter` selects (module/filters.hpp; all of them by default).
  explicit AdamW(Model& model, AdamWOptions options = {}, Filter filter = {})
      : detail::adam_base<Model, Filter, AdamWOptions, true>(model, options, filter) {}
};

}  // namespace modyn::train
