// Learning-rate schedules (torch.optim.lr_scheduler): a rule gives the
// learning rate of epoch e from the base rate, in closed form, and an
// LRScheduler drives an optimizer's lr with it:
//
//   train::Adam opt(model, {.lr = 1e-3});
//   train::LRScheduler sched(opt, train::CosineAnnealingLR{.T_max = 100});
//   for (int epoch = 0; epoch < 100; ++epoch) {
//     ... opt.step() over the epoch's batches ...
//     sched.step();
//   }
//
// Rules (PyTorch's formulas, with PyTorch's defaults):
//   StepLR{.step_size, .gamma = 0.1}           base gamma^floor(e / step_size)
//   ExponentialLR{.gamma}                      base gamma^e
//   CosineAnnealingLR{.T_max, .eta_min = 0}    eta_min + (base - eta_min) (1 + cos(pi e / T_max)) / 2
//   LinearLR{.start_factor = 1/3, .end_factor = 1, .total_iters = 5}
//                                              base (start + (end - start) min(e, total_iters) / total_iters)
//   SequentialLR{first, then, milestone}       first's rule before the milestone, then's from it,
//                                              counting from 0 again (torch's SequentialLR)
//
// Linear warm-up is a SequentialLR of a LinearLR and the main rule:
//
//   train::LRScheduler sched(opt, train::SequentialLR{train::LinearLR{.start_factor = 0.1, .total_iters = 5},
//                                                     train::CosineAnnealingLR{.T_max = 95}, 5});
//
// Any type with `double lr(double base_lr, std::int64_t epoch) const` is a
// rule. torch computes most of these recursively (each epoch's rate from the
// previous one); the closed forms here agree with its sequences to a few
// ulps (tests/train/optimizers.cpp), and do not drift over long runs.
//
// As in torch: constructing the scheduler takes the optimizer's lr as the
// base rate and sets epoch 0's rate; each step() (after the epoch's
// opt.step(), as in torch) moves to the next epoch and sets its rate. The
// state dict holds "last_epoch" (int64), "base_lr" and "last_lr" (float64);
// the rule's parameters come from the code that builds the scheduler.
// Loading it sets the optimizer's lr to last_lr.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <numbers>
#include <string>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/module/state_dict.hpp"
#include "modyn/train/detail/param_slots.hpp"

namespace modyn::train {

/// Decays the rate by gamma every step_size epochs (torch's StepLR).
struct StepLR {
  std::int64_t step_size = 1;  ///< epochs between two decays
  double gamma = 0.1;          ///< the factor of each decay
  /// The rate of `epoch`, from the base rate.
  double lr(double base_lr, std::int64_t epoch) const {
    if (step_size <= 0) {
      throw config_error("modyn::train::StepLR: step_size must be positive, got " +
                         std::to_string(step_size));
    }
    return base_lr * std::pow(gamma, static_cast<double>(epoch / step_size));
  }
};

/// Decays the rate by gamma every epoch (torch's ExponentialLR).
struct ExponentialLR {
  double gamma = 0.1;  ///< the factor of each epoch's decay
  /// The rate of `epoch`, from the base rate.
  double lr(double base_lr, std::int64_t epoch) const {
    return base_lr * std::pow(gamma, static_cast<double>(epoch));
  }
};

/// Cosine annealing from the base rate to eta_min over T_max epochs (SGDR of
/// Loshchilov & Hutter 2017 without restarts; torch's CosineAnnealingLR),
/// rising again after T_max as torch's does.
struct CosineAnnealingLR {
  std::int64_t T_max = 1;  ///< epochs to reach eta_min
  double eta_min = 0.0;    ///< the lowest rate
  /// The rate of `epoch`, from the base rate.
  double lr(double base_lr, std::int64_t epoch) const {
    if (T_max <= 0) {
      throw config_error("modyn::train::CosineAnnealingLR: T_max must be positive, got " +
                         std::to_string(T_max));
    }
    const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(T_max);
    return eta_min + (base_lr - eta_min) * (1.0 + std::cos(phase)) / 2.0;
  }
};

/// The rate times a factor going linearly from start_factor to end_factor
/// over total_iters epochs, then end_factor (torch's LinearLR): a warm-up.
struct LinearLR {
  double start_factor = 1.0 / 3.0;  ///< the factor at epoch 0, in (0, 1]
  double end_factor = 1.0;          ///< the factor from total_iters on, in [0, 1]
  std::int64_t total_iters = 5;     ///< epochs of the linear part
  /// The rate of `epoch`, from the base rate.
  double lr(double base_lr, std::int64_t epoch) const {
    if (!(start_factor > 0.0 && start_factor <= 1.0) || !(end_factor >= 0.0 && end_factor <= 1.0)) {
      throw config_error(
          "modyn::train::LinearLR: start_factor must be in (0, 1] and end_factor in [0, 1], got " +
          detail::format_number(start_factor) + " and " + detail::format_number(end_factor));
    }
    if (total_iters <= 0) return base_lr * end_factor;
    const double progress =
        static_cast<double>(std::min(epoch, total_iters)) / static_cast<double>(total_iters);
    return base_lr * (start_factor + (end_factor - start_factor) * progress);
  }
};

/// `first` for the epochs before `milestone`, then `then` from its own epoch 0
/// (torch's SequentialLR of two schedulers).
/// First, Then: the two rules (LRRule).
template <class First, class Then>
struct SequentialLR {
  First first;                 ///< the rule before the milestone
  Then then;                   ///< the rule from the milestone on
  std::int64_t milestone = 0;  ///< the epoch at which `then` takes over
  /// The rate of `epoch`, from the base rate.
  double lr(double base_lr, std::int64_t epoch) const {
    return epoch < milestone ? first.lr(base_lr, epoch) : then.lr(base_lr, epoch - milestone);
  }
};
/// SequentialLR{first, then, milestone} deduces First and Then.
template <class First, class Then>
SequentialLR(First, Then, std::int64_t) -> SequentialLR<First, Then>;

/// A rule of the learning rate by epoch.
template <class R>
concept LRRule = requires(const R& rule, double base_lr, std::int64_t epoch) {
  { rule.lr(base_lr, epoch) } -> std::convertible_to<double>;
};

/// What a scheduler drives: an optimizer's learning rate.
template <class O>
concept HasLearningRate = requires(O& opt, const O& copt, double lr) {
  { copt.lr() } -> std::convertible_to<double>;
  opt.set_lr(lr);
};

/// Sets an optimizer's learning rate by epoch from a rule: step() once per
/// epoch, as torch's schedulers.
///
/// Optimizer: the optimizer (train::SGD, Adam, AdamW; anything HasLearningRate);
/// Rule: the rule (StepLR, CosineAnnealingLR, LinearLR, SequentialLR, ...; an
/// LRRule).
template <class Optimizer, class Rule>
class LRScheduler {
  static_assert(
      LRRule<Rule>,
      "modyn::train::LRScheduler: the rule needs `double lr(double base_lr, std::int64_t epoch) const` "
      "(StepLR, CosineAnnealingLR, LinearLR, SequentialLR, ...)");
  static_assert(
      HasLearningRate<Optimizer>,
      "modyn::train::LRScheduler: the optimizer needs lr() and set_lr(double) (train::SGD, Adam, AdamW)");

 public:
  /// Takes the optimizer's lr as the base rate and sets epoch 0's rate.
  LRScheduler(Optimizer& optimizer, Rule rule)
      : optimizer_(&optimizer), rule_(std::move(rule)), base_lr_(optimizer.lr()) {
    apply();
  }

  /// The next epoch: sets its rate.
  void step() {
    ++last_epoch_;
    apply();
  }

  /// The rate the last step (or the constructor) set (torch's get_last_lr()).
  double last_lr() const noexcept { return last_lr_; }
  /// The epoch of the last step (0 after construction).
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  /// The rate the rule starts from: the optimizer's lr at construction.
  double base_lr() const noexcept { return base_lr_; }
  /// The rule.
  const Rule& rule() const noexcept { return rule_; }

  /// The epoch counter and the rates (for checkpoints).
  StateDict state_dict() const {
    StateDict dict;
    dict.insert_or_assign("last_epoch", detail::scalar_tensor<std::int64_t>(last_epoch_));
    dict.insert_or_assign("base_lr", detail::scalar_tensor(base_lr_));
    dict.insert_or_assign("last_lr", detail::scalar_tensor(last_lr_));
    return dict;
  }

  /// Restores the epoch counter and rates, and sets the optimizer's lr to the
  /// last rate (which the optimizer's own state dict also holds; setting it
  /// here makes the order of the two loads irrelevant). key_error /
  /// type_error / shape_error name the key; nothing changes then.
  void load_state_dict(const StateDict& dict) {
    detail::dict_reader in(dict, "modyn::train::LRScheduler::load_state_dict");
    const auto last_epoch = in.scalar<std::int64_t>("last_epoch", last_epoch_);
    const double base_lr = in.scalar<double>("base_lr", base_lr_);
    const double last_lr = in.scalar<double>("last_lr", last_lr_);
    in.finish();
    last_epoch_ = last_epoch;
    base_lr_ = base_lr;
    last_lr_ = last_lr;
    optimizer_->set_lr(last_lr_);
  }

 private:
  void apply() {
    last_lr_ = static_cast<double>(rule_.lr(base_lr_, last_epoch_));
    optimizer_->set_lr(last_lr_);
  }

  Optimizer* optimizer_;
  Rule rule_;
  double base_lr_;
  double last_lr_ = 0.0;
  std::int64_t last_epoch_ = 0;
};

}  // namespace modyn::train
