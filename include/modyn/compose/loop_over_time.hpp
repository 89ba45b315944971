// modyn::LoopOverTime{model, monitors..., options}: runs a single-step model
// over a time axis, as brainpy.LoopOverTime.
//
//   LoopOverTime loop{model, monitor<"l1.h">, {.dt = 0.1}};
//   loop.reset_state(batch);
//   auto [out, h] = loop(x);          // x (T, B, N) -> out (T, B, out), h (T, B, 20)
//
// - The model: an lvalue is shared, not copied: after loop.run_for(...),
//   `model` holds the states the run left (as BrainPy's runner.run();
//   model.V), and loop.model() is model, which must outlive the loop. An
//   rvalue (LoopOverTime{nn::Dense(...)}, std::move(model)) is owned by the
//   loop; LoopOverTime{modyn::clone(model)} runs a private copy. A const
//   lvalue, which a run could not update, is copied.
// - Reflection is the model's: the loop adds no path segment.
//   loop.state_dict() == loop.model().state_dict(), named_states() and
//   named_parameters() list the model's paths ("l1.h"), and named_modules()
//   / for_each_module() are the model's: the model itself at path "", its
//   modules below it. reset_state(batch) resets every State and calls every
//   module's on_reset_state(batch) hook, the model's included.
// - Monitors: any number (monitor.hpp), each path checked at compile time
//   when the loop's type is instantiated. A trailing LoopOptions is
//   optional; written as a bare braced list ({.dt = 0.1}) it needs a
//   deduction guide per monitor count (a braced list deduces nothing, and a
//   pack before a parameter is never deduced), provided for up to 8
//   monitors: beyond, spell LoopOptions{.dt = 0.1}.
// - The context {t, i, dt, training} goes to every module whose update takes
//   it; t and i advance across calls.
// - When the model is a Sequential, its leading stateless entries (a Dense
//   before the first recurrent cell), and the first cell's input half where
//   the cell can project it, run over many steps' rows at once, as one GEMM
//   (BrainPy's no_state idea, found at compile time): a chunk of steps whose
//   rows fill LoopOptions::hoist_chunk_bytes, when the steps reach it, so
//   that the steps read them from the cache; the results equal those of the
//   step-by-step path up to the GEMM's rounding.
// - Outputs and histories live in buffers of the loop, allocated when a
//   shape is first seen: a warm call allocates nothing. The returned
//   references stay valid until the next call. A model (or a Sequential's
//   last entry) with update_into writes its output of every step after the
//   first straight into the history row (compose/update_into.hpp); the loop
//   copies the output of the others. Without monitors the run is
//   unobserved (Context::states_unobserved), and such a module may leave
//   its own copy of the output to the end of the run (the end_run(ctx)
//   hook, called however the run ends).
// - run_for(duration) runs with no input, or with an input function of (t, i).
// - Training (BPTT): with LoopOptions::backprop, loop(x) over a
//   differentiable model (module/differentiable.hpp) runs step by step
//   through forward_train, keeping one tape per step, and
//   loop.backward(grad_output) runs the model's backward from the last step
//   to the first, adding into every Param's grad(). With
//   checkpoint_every = k > 1, the loop keeps only the model's States at
//   every k-th step and the tapes of k steps, and backward recomputes each
//   stretch of k steps from its checkpoint before going back through it:
//   about T / k + k steps of tapes instead of T, for one more forward
//   (what a hoisted run keeps of every step, below, stays).
//   Training runs step by step, unless hoist_in_training asks for a
//   Sequential's stateless head and first RNNCell's input half to run once
//   over every step as in inference (a gain for large GEMMs, a loss where
//   their output over every step leaves the cache: benchmarks/run_train).
// - The model's output of every step: loop(x) keeps it, (T, B, out);
//   run_for keeps none (the output is (0,)) unless LoopOptions::record_output
//   is true, as simulations are observed through monitors (Brian2, NEST) and
//   a dense (T, N) copy of spikes is what runs out of memory.
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/compose/monitor.hpp"
#include "modyn/compose/progress.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/compose/update_into.hpp"
#include "modyn/core/axes.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"

namespace modyn {

/// When a run keeps the model's output of every step. automatic: loop(x)
/// keeps it, run_for does not. A bool converts: true is always, false never.
class RecordOutput {
 public:
  /// automatic: loop(x) keeps the output, run_for does not; always; never.
  enum class When { automatic, always, never };
  static constexpr When automatic = When::automatic;  ///< RecordOutput::When::automatic
  static constexpr When always = When::always;        ///< RecordOutput::When::always
  static constexpr When never = When::never;          ///< RecordOutput::When::never

  /// When::automatic.
  constexpr RecordOutput() noexcept = default;
  /// From a When: record_output = RecordOutput::never.
  constexpr RecordOutput(When when) noexcept : when_(when) {}  // NOLINT: implicit by design
  /// From a bool: true is always, false never.
  template <std::same_as<bool> Bool>            // a bool, not what converts to one
  constexpr RecordOutput(Bool record) noexcept  // NOLINT: implicit by design
      : when_(record ? When::always : When::never) {}

  /// The When it holds.
  constexpr When when() const noexcept { return when_; }
  /// Whether a run keeps the output: a run over an input sequence (loop(x))
  /// or a simulation (run_for).
  constexpr bool records(bool input_sequence) const noexcept {
    return when_ == When::always || (when_ == When::automatic && input_sequence);
  }
  /// Equal when their Whens are.
  friend constexpr bool operator==(RecordOutput, RecordOutput) noexcept = default;

 private:
  When when_ = When::automatic;
};

/// How a LoopOverTime runs: the time step, the axes of its input, training
/// and checkpointing, where kernels run. Every field has a default, so
/// LoopOptions{.dt = 0.05} sets one.
struct LoopOptions {
  double dt = 0.1;                             ///< ms
  double t0 = 0.0;                             ///< time of the first step
  std::size_t i0 = 0;                          ///< index of the first step
  bool time_major = true;                      ///< input (T, B, N); else (B, T, N)
  bool training = false;                       ///< context.training
  bool backprop = false;                       ///< keep what loop.backward needs (a tape per step): BPTT
  bool hoist_stateless_head = true;            ///< run a Sequential's stateless head over many steps at once
  std::size_t hoist_chunk_bytes = 256 * 1024;  ///< ... that many bytes of its output (or of the first
                                               ///< cell's projected input) at a time, to be read from
                                               ///< the cache; 0: all steps at once (always on a device)
  RecordOutput record_output{};                ///< keep the model's output of every step (else it is (0,)):
                                               ///< by default for loop(x), not for run_for
  Progress progress = Progress::never;         ///< a progress bar on stderr (compose/progress.hpp):
                                               ///< terminal = only when stderr is a terminal
  ExecutionInstances exec{};                   ///< where kernels run (a cpu_instance team, a cuda_instance);
                                               ///< the instances must outlive the loop's runs
  std::size_t checkpoint_every = 1;            ///< training: keep every step's tape (1), or the States of
                                               ///< every k-th step and recompute the others in backward
  bool hoist_in_training = false;              ///< training: a Sequential's stateless head, and its first
                                               ///< RNNCell's input half, once over every step (large GEMMs
  ///< gain; an output that leaves the cache loses: benchmarks/run_train)
};

/// The monitors of a LoopOverTime, as one template argument:
/// LoopOverTime<Model, monitor_list<Monitor<"l1.h">>>.
template <MonitorSpec... Monitors>
struct monitor_list {};

namespace detail {
template <class M>
inline constexpr bool is_sequential_v = false;
template <class... Es>
inline constexpr bool is_sequential_v<Sequential<Es...>> = true;

// The tensor type of a model: its tensor_type, else the type of its Params
// and States (Tensor<float> when it has none).
template <class M>
struct model_tensor {
  using type = model_value_t<M, value_filter::both>;
};
template <class M>
requires requires { typename M::tensor_type; }
struct model_tensor<M> {
  using type = typename M::tensor_type;
};

template <class M>
constexpr std::size_t hoistable_prefix() {
  if constexpr (is_sequential_v<M>)
    return M::stateless_prefix;
  else
    return 0;
}

// How a loop holds the model it is given: a non-const lvalue by reference
// (shared with the caller), anything else by value (owned).
template <class M>
using stored_model_t =
    std::conditional_t<std::is_lvalue_reference_v<M> && !std::is_const_v<std::remove_reference_t<M>>, M,
                       std::remove_cvref_t<M>>;

// The monitor_list of the monitor specs among Args (a LoopOptions is not one).
template <class List, class... Args>
struct collect_monitors {
  using type = List;
};
template <class... Ms, class A, class... Rest>
struct collect_monitors<monitor_list<Ms...>, A, Rest...> : collect_monitors<monitor_list<Ms...>, Rest...> {};
template <class... Ms, MonitorSpec A, class... Rest>
struct collect_monitors<monitor_list<Ms...>, A, Rest...> : collect_monitors<monitor_list<Ms..., A>, Rest...> {
};
template <class... Args>
using monitor_list_of_t = typename collect_monitors<monitor_list<>, Args...>::type;

// Monitor specs, optionally followed by one LoopOptions: what a loop takes
// after its model.
template <class... Args>
constexpr bool monitors_then_options() {
  constexpr bool is_options[] = {std::is_same_v<Args, LoopOptions>..., false};
  constexpr bool is_monitor[] = {MonitorSpec<Args>..., false};
  constexpr std::size_t count = sizeof...(Args);
  for (std::size_t k = 0; k + 1 <= count; ++k) {  // (not k < count: nvcc warns of k < 0)
    const bool options_last = is_options[k] && k + 1 == count;
    if (!is_monitor[k] && !options_last) return false;
  }
  return true;
}

template <class T>
inline constexpr bool is_loop_over_time_v = false;

// The tapes a loop keeps for BPTT: none for a model that is not differentiable.
template <class M>
struct tape_store {
  using type = std::tuple<>;
};
template <Differentiable M>
struct tape_store<M> {
  using type = std::vector<typename M::tape_type>;
};
template <class M>
struct head_tape_store {
  using type = std::tuple<>;
};
template <Differentiable M>
struct head_tape_store<M> {
  using type = typename M::tape_type;
};

}  // namespace detail

template <class Model, class Monitors = monitor_list<>>
class LoopOverTime;  // defined for a monitor_list below

/// Runs a single-step model over a time axis (brainpy.LoopOverTime), with
/// monitors recording its States, and back through time for training (see
/// the top of compose/loop_over_time.hpp):
///
///     LoopOverTime loop{model, monitor<"l1.h">, {.dt = 0.1}};
///     auto [out, h] = loop(x);
///
/// Model: the model's type (owned), or an lvalue reference to it (shared);
/// Monitors: the monitor specs (Monitor, StateMonitor, SpikeMonitor), usually
/// deduced.
template <class Model, class... Monitors>
class LoopOverTime<Model, monitor_list<Monitors...>>
    : public Module<LoopOverTime<Model, monitor_list<Monitors...>>> {
  using model_type = std::remove_reference_t<Model>;
  static_assert(!std::is_const_v<model_type>,
                "modyn::LoopOverTime: a run updates its model, which cannot be const");

 public:
  /// The tensor type of the model's input and output.
  using tensor_type = typename detail::model_tensor<model_type>::type;
  /// A loop over a shared model is not cloned or moved to another backend
  /// (module/rebind.hpp): the copy would share the model, or leave it behind.
  static constexpr bool refers_to_shared_model = std::is_reference_v<Model>;

 private:
  // What run_steps takes for into when the model has no update_into.
  struct no_into {};
  // A history row of the output.
  using row_view = TensorView<typename tensor_type::value_type, typename tensor_type::backend_type>;
  // Whether the model (a Sequential) runs its entries [Begin, size) on an X
  // with the last one writing into a history row. (Sequential::writes_into
  // itself, not a requires expression on run_range_into, whose constraint is
  // that: nvcc 13's device front end crashed on the requires expression.)
  template <std::size_t Begin, class X>
  static constexpr bool range_writes_into = [] {
    if constexpr (requires { model_type::template writes_into<Begin, X, row_view>(); })
      return model_type::template writes_into<Begin, X, row_view>();
    else
      return false;
  }();

 public:
  /// A model convertible to Model (an lvalue for a shared model), the
  /// monitors, the options.
  template <class M>
  requires std::is_constructible_v<Model, M&&>
  explicit LoopOverTime(M&& model, Monitors... monitors, LoopOptions options = {})
      : model_(std::forward<M>(model)),
        options_(options),
        recorders_(recorder<Monitors>(std::move(monitors))...) {
    reset_time();
  }

  /// The model it runs (owned, or the caller's for a shared model).
  model_type& model() noexcept { return model_; }
  /// The model it runs (owned, or the caller's for a shared model).
  const model_type& model() const noexcept { return model_; }
  /// The options it was built with.
  const LoopOptions& options() const noexcept { return options_; }
  /// The context of the last step run (its t, i, dt, training).
  const Context& context() const noexcept { return context_; }

  /// Back to t0 and i0.
  void reset_time() {
    context_ = Context{options_.t0, options_.i0, options_.dt, options_.training, options_.exec};
    steps_ = 0;
  }

  /// Runs the model over the time axis of x: the output (T, B, out), or a
  /// tuple (output, histories...) with monitors ((B, T, ...) when not time major).
  template <TensorLike X>
  decltype(auto) update(const X& x) {
    if (x.rank() < 2) {
      throw shape_error(
          "modyn::LoopOverTime: expected an input with a time axis ((T, B, N) or (T, N)), got " +
          x.shape().to_string());
    }
    if (options_.time_major) return run_sequence(x);
    // (B, T, ...) -> (T, B, ...) into a buffer of the loop, and back after.
    using T = typename tensor_type::value_type;
    using B = typename tensor_type::backend_type;
    const std::size_t batch = x.shape(0), steps = x.shape(1);
    time_major_input_.ensure_shape(swapped(x.shape()));
    if (x.size()) {
      detail::swap_leading_axes<T, B>(static_cast<const T*>(x.data()), time_major_input_.data(), batch, steps,
                                      x.size() / (batch * steps));
    }
    run_sequence(time_major_input_);
    to_batch_major(output_, batch_major_output_);
    return std::apply(
        [&](auto&... r) -> decltype(auto) { return results(batch_major_output_, r.batch_major()...); },
        recorders_);
  }

  /// loop(100.0): a number is not an input sequence.
  template <class Number>
  requires std::is_arithmetic_v<Number>
  void update(Number) {
    static_assert(detail::always_false<Number>,
                  "modyn::LoopOverTime: loop(x) runs over an input sequence x (T, B, N); to run for a "
                  "duration, use loop.run_for(duration)");
  }

  /// Runs for `duration` (ms) with no input: the model's update takes only
  /// the context (or nothing).
  decltype(auto) run_for(double duration) {
    const auto into = [&] {
      if constexpr (UpdatesIntoWithoutInput<model_type, row_view>)
        return [this](const Context& c, row_view out) { model_.update_into(c, out); };
      else
        return no_into{};
    }();
    return run_steps(
        step_count(duration), options_.record_output.records(false),
        [this](const Context& c) -> decltype(auto) { return call_model(c); }, into);
  }

  /// Runs for `duration` with input(t, i) fed to the model at each step.
  template <class Input>
  requires std::is_invocable_v<Input&, double, std::size_t>
  decltype(auto) run_for(double duration, Input&& input) {
    const auto into = [&] {
      using In = std::remove_cvref_t<std::invoke_result_t<Input&, double, std::size_t>>;
      if constexpr (UpdatesInto<model_type, In, row_view>)
        return
            [this, &input](const Context& c, row_view out) { model_.update_into(input(c.t, c.i), c, out); };
      else
        return no_into{};
    }();
    return run_steps(
        step_count(duration), options_.record_output.records(false),
        [this, &input](const Context& c) -> decltype(auto) {
          return detail::call_with_context(model_, input(c.t, c.i), c);
        },
        into);
  }

  // ---- training (see the header comment)

  /// Back through the last training run: grad_output is d loss / d output,
  /// the shape of the output that run returned ((T, B, out), or (B, T, out)
  /// when not time major). Adds the gradients of every Param of the model to
  /// its grad(); returns d loss / d x with InputGrad::yes, else an empty
  /// tensor. A run is gone back through once: the next backward needs a new
  /// training run. The model's States are left as the forward left them.
  const tensor_type& backward(const tensor_type& grad_output, InputGrad input_grad = InputGrad::no) {
    static_assert(Differentiable<model_type>,
                  "modyn::LoopOverTime::backward: the model is not differentiable (it needs tape_type, "
                  "forward_train and backward: module/differentiable.hpp)");
    if (!trained_) {
      throw config_error(
          "modyn::LoopOverTime::backward: no run to go back through (run loop(x) with "
          "LoopOptions::backprop = true first; each run can be gone back through once)");
    }
    const std::size_t steps = train_steps_;
    const Shape expected = with_leading(steps, train_step_shape_);
    const Shape given = options_.time_major ? grad_output.shape() : swapped_or_same(grad_output.shape());
    if (!(given == expected)) {
      throw shape_error("modyn::LoopOverTime::backward: expected d loss / d output of shape " +
                        (options_.time_major ? expected : swapped(expected)).to_string() +
                        " (the output's), got " + grad_output.shape().to_string());
    }
    trained_ = false;
    const tensor_type* grad = &grad_output;
    if (!options_.time_major) {
      grad_time_major_.ensure_shape(expected);
      to_time_major(grad_output, grad_time_major_);
      grad = &grad_time_major_;
    }
    if (input_grad == InputGrad::yes) input_grad_.ensure_shape(train_input_shape_);
    if constexpr (CarriesStateGrad<model_type>) model_.begin_backward();
    if (train_hoisted_) begin_hoisted_backward();
    if (train_every_ == 0) {
      for (std::size_t t = steps; t-- > 0;) step_backward(t, (*grad)[t], input_grad);
    } else {
      tensor_type* projected = nullptr;
      if constexpr (project_first_in_training) {
        if (train_hoisted_) projected = &model_.template get<head_size>().projected_input();
      }
      const tensor_type& in = train_hoisted_ && head_size > 0 ? head_out_ : train_input_;
      const std::size_t every = train_every_, stretches = (steps + every - 1) / every;
      try {
        for (std::size_t s = stretches; s-- > 0;) {
          const std::size_t first = s * every, end = std::min(steps, first + every);
          if (s + 1 != stretches) {  // the last stretch's tapes are still those of the forward
            restore_states(checkpoint(s));
            for (std::size_t t = first; t < end; ++t) (void)step_forward(in, projected, t, context_of(t));
          }
          for (std::size_t t = end; t-- > first;) step_backward(t, (*grad)[t], input_grad);
        }
      } catch (...) {  // the States as the forward left them, whatever failed (gradients stay partial)
        restore_states(checkpoint(stretches));
        throw;
      }
      restore_states(checkpoint(stretches));
    }
    if (train_hoisted_) end_hoisted_backward(input_grad);
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    if (options_.time_major) return input_grad_;
    to_batch_major(input_grad_, batch_major_input_grad_);
    return batch_major_input_grad_;
  }

  // ---- reflection: the model's (see the header comment)

  /// The model's fields, with the model's paths: loop.state_dict() ==
  /// loop.model().state_dict().
  template <class Self>
  static constexpr auto modyn_fields() {
    if constexpr (!ReflectedModule<model_type>) {
      return std::tuple<>{};
    } else {
      const auto through_model = [](auto inner) {
        // A shared model is a reference member: constness of the loop does
        // not reach it by itself.
        const auto get = [get_inner = inner.get](auto& self) -> decltype(auto) {
          if constexpr (std::is_const_v<std::remove_reference_t<decltype(self)>>)
            return get_inner(std::as_const(self.model_));
          else
            return get_inner(self.model_);
        };
        return detail::field_info{inner.name, get};
      };
      return std::apply([&](auto... inner) { return std::make_tuple(through_model(inner)...); },
                        model_type::template modyn_fields<model_type>());
    }
  }

  /// Called by reset_state after every State below is reset and every
  /// module below the model had its own hook: the model's hook, which the
  /// traversal would not reach (it sees the model's fields, not the model).
  void on_reset_state(std::size_t batch_size) {
    if constexpr (requires { model_.on_reset_state(batch_size); }) model_.on_reset_state(batch_size);
  }

  /// @{
  /// The model and the modules below it, at the model's paths (a model
  /// that is not a Module: the loop alone).
  template <class F>
  void for_each_module(F&& f, bool include_self = true) {
    module_root().for_each_module(std::forward<F>(f), include_self);
  }
  template <class F>
  void for_each_module(F&& f, bool include_self = true) const {
    module_root().for_each_module(std::forward<F>(f), include_self);
  }
  template <class Filter = detail::no_filter>
  auto named_modules(bool include_self = true, Filter filter = {}) {
    return module_root().named_modules(include_self, filter);
  }
  template <class Filter = detail::no_filter>
  auto named_modules(bool include_self = true, Filter filter = {}) const {
    return module_root().named_modules(include_self, filter);
  }
  auto modules(bool include_self = true) { return module_root().modules(include_self); }
  auto modules(bool include_self = true) const { return module_root().modules(include_self); }
  auto named_children() { return module_root().named_children(); }
  auto named_children() const { return module_root().named_children(); }
  auto children() { return module_root().children(); }
  auto children() const { return module_root().children(); }
  /// @}

 private:
  using module_base = Module<LoopOverTime<Model, monitor_list<Monitors...>>>;

  // Where the module listings start: the model, or the loop itself when
  // the model is not a Module (a lambda).
  decltype(auto) module_root() {
    if constexpr (ModuleType<model_type>)
      return (model_);
    else
      return static_cast<module_base&>(*this);
  }
  decltype(auto) module_root() const {
    if constexpr (ModuleType<model_type>)
      return (model());
    else
      return static_cast<const module_base&>(*this);
  }

  static constexpr std::size_t head_size = detail::hoistable_prefix<model_type>();

  // Each monitor's path is checked here, when the class is instantiated.
  template <class Mon>
  using recorder = typename Mon::template recorder<detail::state_tensor_t<Mon::fixed, model_type>>;

  static Shape swapped(const Shape& s) { return detail::swap_leading(s); }
  static Shape with_leading(std::size_t n, const Shape& s) { return detail::with_leading(n, s); }

  void to_batch_major(const tensor_type& time_major, tensor_type& out) {
    using T = typename tensor_type::value_type;
    using B = typename tensor_type::backend_type;
    if (time_major.rank() < 2 || time_major.size() == 0) {  // no output, no steps, or (T,) of rank-0 outputs
      out.ensure_shape(time_major.rank() < 2 ? time_major.shape() : swapped(time_major.shape()));
      B::copy(time_major.data(), out.data(), time_major.size());
      return;
    }
    out.ensure_shape(swapped(time_major.shape()));
    const std::size_t steps = time_major.shape(0), batch = time_major.shape(1);
    detail::swap_leading_axes<T, B>(time_major.data(), out.data(), steps, batch,
                                    time_major.size() / (steps * batch));
  }

  decltype(auto) results(const tensor_type& out, const auto&... histories) const {
    if constexpr (sizeof...(Monitors) == 0) {
      return static_cast<const tensor_type&>(out);
    } else {
      return std::tuple<const tensor_type&, decltype(histories)...>(out, histories...);
    }
  }

  std::size_t step_count(double duration) const {
    if (!(duration >= 0.0) || !std::isfinite(duration)) {
      throw config_error("modyn::LoopOverTime::run_for: the duration must be finite and >= 0, got " +
                         std::to_string(duration));
    }
    if (!(options_.dt > 0.0) || !std::isfinite(options_.dt)) {
      throw config_error("modyn::LoopOverTime::run_for: LoopOptions::dt must be finite and > 0, got " +
                         std::to_string(options_.dt));
    }
    return static_cast<std::size_t>(std::llround(duration / options_.dt));
  }

  decltype(auto) call_model(const Context& c) {
    if constexpr (requires { model_(c); })
      return model_(c);
    else
      return model_();
  }

  // Advances the context to the next step.
  void begin_step() {
    context_.i = options_.i0 + steps_;
    context_.t = options_.t0 + static_cast<double>(steps_) * options_.dt;
    context_.dt = options_.dt;
    context_.training = options_.training;
    context_.exec = options_.exec;
  }

  // The checks that cannot change during the run, once: every module's
  // begin_run(ctx) hook; the steps then skip them (Context::run_checked).
  void begin_run() {
    context_.run_checked = false;
    if constexpr (requires { model_.for_each_module([](std::string_view, auto&, int) {}); }) {
      model_.for_each_state([](std::string_view, const auto&) {});  // names every State for the messages
      model_.for_each_module([this](std::string_view, auto& m, int) {
        if constexpr (requires { m.begin_run(context_); }) m.begin_run(context_);
      });
    }
    context_.run_checked = true;
    context_.states_unobserved = sizeof...(Monitors) == 0;
  }

  // Every module's end_run(ctx) hook: what a step left to the end of the
  // run (Context::states_unobserved) is written back.
  void end_run() {
    if constexpr (requires { model_.for_each_module([](std::string_view, auto&, int) {}); }) {
      model_.for_each_module([this](std::string_view, auto& m, int) {
        if constexpr (requires { m.end_run(context_); }) m.end_run(context_);
      });
    }
    context_.states_unobserved = false;
  }

  // Records the output (when the model returns one) and the monitors at step t.
  template <class Y>
  void record(std::size_t t, std::size_t steps, bool record_output, const Y& y) {
    using B = typename tensor_type::backend_type;
    if constexpr (!TensorLike<Y>) {
      if (t == 0) output_.ensure_shape(Shape{0});  // the model returns nothing
    } else if (!record_output) {
      if (t == 0) output_.ensure_shape(Shape{0});
    } else {
      if (t == 0) output_.ensure_shape(with_leading(steps, y.shape()));
      if (!(output_[t].shape() == y.shape())) {
        throw shape_error("modyn::LoopOverTime: the model's output changed shape from " +
                          output_[t].shape().to_string() + " to " + y.shape().to_string() + " at step " +
                          std::to_string(t));
      }
      B::copy(static_cast<const typename tensor_type::value_type*>(y.data()), output_[t].data(), y.size());
    }
    record_monitors(t);
  }

  void record_monitors(std::size_t t) {
    std::apply([&](auto&... r) { (r.record(model_, t), ...); }, recorders_);
  }

  // Runs `steps` steps; step(context) runs the model once. into(context,
  // row), when given (not no_into), runs it once with the output written
  // into the history row (compose/update_into.hpp): every step after the
  // first, whose output gave the history its shape, when the run keeps the
  // output.
  // (into is passed by every caller, no_into{} included: nvcc 13's device
  // front end crashed on a defaulted argument here.)
  template <class StepFn, class IntoFn>
  decltype(auto) run_steps(std::size_t steps, bool record_output, StepFn&& step, IntoFn&& into) {
    if (steps == 0) output_.ensure_shape(Shape{0});  // no steps, not the previous call's
    trained_ = false;                                // a run replaces the one backward would go through
    begin_step();
    std::apply([&](auto&... r) { (r.start(model_, steps, context_), ...); }, recorders_);
    begin_run();
    detail::progress_bar bar(options_.progress, steps, context_.t, options_.dt);
    using Y = decltype(step(context_));
    constexpr bool writes_rows = !std::is_same_v<std::remove_cvref_t<IntoFn>, no_into> && TensorLike<Y>;
    try {
      for (std::size_t t = 0; t < steps; ++t, ++steps_) {
        bar.advance(t);
        begin_step();
        if constexpr (std::is_void_v<Y>) {
          step(context_);
          record(t, steps, record_output, nothing{});
        } else {
          if constexpr (writes_rows) {
            if (t > 0 && record_output) {
              into(std::as_const(context_), output_[t]);
              record_monitors(t);
              continue;
            }
          }
          decltype(auto) y = step(context_);
          record(t, steps, record_output, y);
        }
      }
    } catch (...) {
      end_run();  // the States hold the last step that completed
      throw;
    }
    end_run();
    bar.advance(steps);
    return std::apply([&](auto&... r) -> decltype(auto) { return results(output_, r.time_major()...); },
                      recorders_);
  }

  struct nothing {};

  template <class X>
  decltype(auto) run_sequence(const X& x) {
    const std::size_t steps = x.shape(0);
    const bool record_output = options_.record_output.records(true);
    if constexpr (Differentiable<model_type>) {
      if (options_.backprop) return run_training(x, steps, record_output);
    } else {
      if (options_.backprop) {
        throw config_error(
            "modyn::LoopOverTime: LoopOptions::backprop, but the model is not differentiable (every module "
            "needs tape_type, forward_train and backward: module/differentiable.hpp)");
      }
    }
    if constexpr (head_size > 0 || project_first) {
      if (options_.hoist_stateless_head && steps > 0) {
        // The head sees the first step's context (it ignores contexts).
        begin_step();
        if constexpr (head_size == model_type::size) {
          // Every step's rows at once: the head's GEMM over T x B rows.
          return run_after_head(steps, record_output, model_.template run_range<0, head_size>(x, &context_));
        } else {
          return run_after_head(steps, record_output, hoisted_chunks<X>{*this, x, steps});
        }
      }
    }
    std::size_t t = 0;
    const auto into = [&] {
      if constexpr (UpdatesInto<model_type, decltype(x[0]), row_view>)
        return [&](const Context& c, row_view out) { model_.update_into(x[t++], c, out); };
      else
        return no_into{};
    }();
    return run_steps(
        steps, record_output,
        [&](const Context& c) -> decltype(auto) { return detail::call_with_context(model_, x[t++], c); },
        into);
  }

  // Steps over the head's output (T, ...) or hoisted_chunks: the first
  // recurrent cell's input half is projected for many steps at once where
  // the cell can (project_input / update_projected), then the rest runs
  // step by step.
  template <class H>
  decltype(auto) run_after_head(std::size_t steps, bool record_output, H&& head_out) {
    std::size_t t = 0;
    if constexpr (head_size == model_type::size) {
      return run_steps(
          steps, record_output, [&](const Context&) { return head_out[t++]; }, no_into{});
    } else if constexpr (project_first) {
      auto& cell = model_.template get<head_size>();
      const auto step = [&](const Context& c) -> decltype(auto) {
        const tensor_type& y = cell.update_projected(head_out[t++]);
        if constexpr (head_size + 1 == model_type::size)
          return y;
        else
          return model_.template run_range<head_size + 1, model_type::size>(y, &c);
      };
      // (Two calls under if constexpr, not a lambda that returns the into
      // function: nvcc 13's device front end crashed on that form here.)
      if constexpr (head_size + 1 < model_type::size && range_writes_into<head_size + 1, tensor_type>) {
        return run_steps(steps, record_output, step, [&](const Context& c, row_view out) {
          const tensor_type& y = cell.update_projected(head_out[t++]);
          model_.template run_range_into<head_size + 1, model_type::size>(y, c, out);
        });
      } else {
        return run_steps(steps, record_output, step, no_into{});
      }
    } else {
      const auto step = [&](const Context& c) -> decltype(auto) {
        return model_.template run_range<head_size, model_type::size>(head_out[t++], &c);
      };
      if constexpr (range_writes_into<head_size, decltype(head_out[0])>) {
        return run_steps(steps, record_output, step, [&](const Context& c, row_view out) {
          model_.template run_range_into<head_size, model_type::size>(head_out[t++], c, out);
        });
      } else {
        return run_steps(steps, record_output, step, no_into{});
      }
    }
  }

  // ---- training

  // Steps through forward_train, one tape per step, or (checkpoint_every =
  // k > 1) the States of every k-th step, k tapes reused, and a copy of x
  // to recompute from. With hoist_in_training, a Sequential's stateless
  // head runs once over every step, and the first recurrent cell's input
  // half as one GEMM where the cell can (as in inference); their backward
  // passes then run once too.
  template <class X>
  decltype(auto) run_training(const X& x, std::size_t steps, bool record_output) {
    const std::size_t every = std::max<std::size_t>(options_.checkpoint_every, 1);
    train_every_ = every > 1 && every < steps ? every : 0;  // 0: every tape kept
    const std::size_t kept = train_every_ ? every : steps;
    if (tapes_.size() < kept) tapes_.resize(kept);
    train_steps_ = steps;
    train_first_step_ = steps_;
    train_input_shape_ = x.shape();
    trained_ = false;
    train_hoisted_ = hoists_in_training && options_.hoist_in_training && steps > 0;
    if (train_every_) {
      count_states();
      const std::size_t stretches = (steps + every - 1) / every;
      if (checkpoints_.size() < (stretches + 1) * state_count_)
        checkpoints_.resize((stretches + 1) * state_count_);
      if (rng_checkpoints_.size() < (stretches + 1) * rng_count_)
        rng_checkpoints_.resize((stretches + 1) * rng_count_);
    }
    // What the steps (or a recomputation, or the input half's backward) read.
    if (train_every_ || (train_hoisted_ && head_size == 0)) keep_copy(train_input_, x);
    if constexpr (hoists_in_training) {
      if (train_hoisted_) {
        if constexpr (head_size > 0) {
          begin_step();  // the head sees the first step's context
          keep_copy(head_out_, model_.template forward_train_range<0, head_size>(x, head_tape_, context_));
          return train_steps_over(head_out_, steps, record_output);
        } else {
          return train_steps_over(train_input_, steps, record_output);
        }
      }
    }
    return train_steps_over(x, steps, record_output);
  }

  template <class In>
  decltype(auto) train_steps_over(const In& in, std::size_t steps, bool record_output) {
    tensor_type* projected = nullptr;
    if constexpr (project_first_in_training) {
      if (train_hoisted_) projected = &model_.template get<head_size>().project_input(in);
    }
    std::size_t t = 0;
    decltype(auto) result = run_steps(
        steps, record_output,
        [&](const Context& c) -> decltype(auto) {
          if (train_every_ && t % train_every_ == 0) save_states(t / train_every_);
          const tensor_type& y = step_forward(in, projected, t, c);
          if (t++ == 0) train_step_shape_ = y.shape();
          return y;
        },
        no_into{});
    if (train_every_) save_states((steps + train_every_ - 1) / train_every_);  // the States the run leaves
    trained_ = steps > 0;
    return result;
  }

  // Step t of a training run, into its tape.
  template <class In>
  const tensor_type& step_forward(const In& in, tensor_type* projected, std::size_t t, const Context& c) {
    auto& tape = tapes_[train_every_ ? t % train_every_ : t];
    if constexpr (hoists_in_training) {
      if (train_hoisted_) {
        if constexpr (project_first_in_training) {
          const tensor_type& h = model_.template get<head_size>().forward_train_projected(
              (*projected)[t], std::get<head_size>(tape), c);
          if constexpr (head_size + 1 == model_type::size)
            return h;
          else
            return model_.template forward_train_range<head_size + 1, model_type::size>(h, tape, c);
        } else {
          return model_.template forward_train_range<head_size, model_type::size>(in[t], tape, c);
        }
      }
    }
    return model_.forward_train(in[t], tape, c);
  }

  // Back through step t of the last training run (see backward).
  template <class Grad>
  void step_backward(std::size_t t, const Grad& grad, InputGrad input_grad) {
    const auto& tape = tapes_[train_every_ ? t % train_every_ : t];
    const Context c = context_of(t);
    if constexpr (hoists_in_training) {
      if (train_hoisted_) {
        if constexpr (project_first_in_training) {
          auto& cell = model_.template get<head_size>();
          if constexpr (head_size + 1 == model_type::size) {
            keep_step(pre_grads_, t, cell.backward_projected(std::get<head_size>(tape), grad, c));
          } else {
            const tensor_type& g = model_.template backward_range<head_size + 1, model_type::size>(
                tape, grad, c, InputGrad::yes);
            keep_step(pre_grads_, t, cell.backward_projected(std::get<head_size>(tape), g, c));
          }
        } else {
          keep_step(
              head_grads_, t,
              model_.template backward_range<head_size, model_type::size>(tape, grad, c, InputGrad::yes));
        }
        return;
      }
    }
    const tensor_type& gx = model_.backward(tape, grad, c, input_grad);
    if (input_grad == InputGrad::yes) keep_step(input_grad_, t, gx);
  }

  // Before the reverse sweep of a hoisted run: the buffers its steps fill,
  // and the input half projected again where a recomputation needs it.
  void begin_hoisted_backward() {
    if constexpr (hoists_in_training) {
      const tensor_type& in = head_size > 0 ? head_out_ : train_input_;
      if constexpr (project_first_in_training) {
        auto& cell = model_.template get<head_size>();
        pre_grads_.ensure_shape(with_leading(train_steps_, cell.h->shape()));
        if (train_every_) (void)cell.project_input(in);  // the forward's steps overwrote it
      } else {
        head_grads_.ensure_shape(in.shape());
      }
    }
  }

  // After the reverse sweep of a hoisted run: the input half of the first
  // cell and the head, once over every step.
  void end_hoisted_backward(InputGrad input_grad) {
    if constexpr (hoists_in_training) {
      const tensor_type& in = head_size > 0 ? head_out_ : train_input_;
      const Context c = context_of(0);
      const tensor_type* g = &head_grads_;
      if constexpr (project_first_in_training) {
        g = &model_.template get<head_size>().backward_projection(
            in, pre_grads_, head_size > 0 ? InputGrad::yes : input_grad);
      }
      if constexpr (head_size > 0)
        g = &model_.template backward_range<0, head_size>(head_tape_, *g, c, input_grad);
      if (input_grad == InputGrad::yes) keep_copy(input_grad_, *g);
    }
  }

  // The context of step t of the last training run.
  Context context_of(std::size_t t) const {
    Context c = context_;
    c.i = options_.i0 + train_first_step_ + t;
    c.t = options_.t0 + static_cast<double>(train_first_step_ + t) * options_.dt;
    c.dt = options_.dt;
    c.training = options_.training;
    c.run_checked = true;
    return c;
  }

  // How many States (and generators with an offset, nn::Dropout's) a checkpoint holds.
  void count_states() {
    state_count_ = 0;
    rng_count_ = 0;
    model_.for_each_state([&](std::string_view path, const auto& s) {
      using V = std::remove_cvref_t<decltype(*s)>;
      if constexpr (!std::is_same_v<V, tensor_type>) {
        throw config_error(
            "modyn::LoopOverTime: checkpoint_every > 1 recomputes from the States, and State '" +
            std::string(path) + "' is not a " + std::string(short_type_name<tensor_type>()));
      }
      ++state_count_;
    });
    model_.for_each_module([&](std::string_view, auto& m, int) {
      if constexpr (requires { m.rng_offset(); }) ++rng_count_;
    });
  }

  struct checkpoint_ref {
    std::size_t index;
  };
  static checkpoint_ref checkpoint(std::size_t index) { return {index}; }

  void save_states(std::size_t index) {
    std::size_t k = index * state_count_, r = index * rng_count_;
    model_.for_each_state([&](std::string_view, const auto& s) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*s)>, tensor_type>)
        keep_copy(checkpoints_[k++], *s);
    });
    model_.for_each_module([&](std::string_view, auto& m, int) {
      if constexpr (requires { m.rng_offset(); }) rng_checkpoints_[r++] = m.rng_offset();
    });
  }

  void restore_states(checkpoint_ref at) {
    using B = typename tensor_type::backend_type;
    std::size_t k = at.index * state_count_, r = at.index * rng_count_;
    model_.for_each_state([&](std::string_view, auto& s) {
      if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*s)>, tensor_type>) {
        const tensor_type& saved = checkpoints_[k++];
        if (!((*s).shape() == saved.shape())) s.reset_to(tensor_type::empty(saved.shape()));
        B::copy(saved.data(), (*s).data(), saved.size());
      }
    });
    model_.for_each_module([&](std::string_view, auto& m, int) {
      if constexpr (requires { m.set_rng_offset(std::uint64_t{}); }) m.set_rng_offset(rng_checkpoints_[r++]);
    });
  }

  // out[t] = step (the input gradient of one step).
  template <class Step>
  static void keep_step(tensor_type& out, std::size_t t, const Step& step) {
    using B = typename tensor_type::backend_type;
    auto row = out[t];
    if (!(row.shape() == step.shape())) {
      throw shape_error("modyn::LoopOverTime::backward: the model's input gradient of a step has shape " +
                        step.shape().to_string() + ", its input " + row.shape().to_string());
    }
    B::copy(step.data(), row.data(), step.size());
  }

  Shape swapped_or_same(const Shape& s) const { return s.rank() < 2 ? s : swapped(s); }

  void to_time_major(const tensor_type& batch_major, tensor_type& out) {
    using T = typename tensor_type::value_type;
    using B = typename tensor_type::backend_type;
    const std::size_t batch = batch_major.shape(0), steps = batch_major.shape(1);
    if (batch_major.size()) {
      detail::swap_leading_axes<T, B>(batch_major.data(), out.data(), batch, steps,
                                      batch_major.size() / (batch * steps));
    }
  }

  static constexpr bool can_project_first() {
    if constexpr (detail::is_sequential_v<model_type>) {
      if constexpr (head_size < model_type::size) {
        using Cell = std::remove_cvref_t<decltype(std::declval<model_type&>().template get<head_size>())>;
        using T = typename tensor_type::value_type;
        using B = typename tensor_type::backend_type;
        return requires(Cell & cell, const tensor_type& x, TensorView<T, B> v) {
          cell.project_input(x);
          cell.update_projected(v);
        };
      }
    }
    return false;
  }
  static constexpr bool project_first = can_project_first();

  // The hoisted rows of every step: the stateless head's output, or the
  // first recurrent cell's projected input (of the head's output, or of x),
  // computed a chunk of steps at a time, each chunk when the steps reach
  // it. A chunk's rows fill about LoopOptions::hoist_chunk_bytes, so that
  // the steps read them from the cache they were just written to, where
  // rows of all T steps at once would have gone to memory and back. (On a
  // device, one chunk of every step: large GEMMs are what it is fast at.)
  // Every chunk of a run has the same number of steps, the last one ending
  // at the last step (it recomputes rows of fewer steps than there are
  // chunks, already run and stateless), so that the buffers the chunks go
  // to keep their size: a warm run allocates nothing. That number comes from the hoisted rows'
  // size, known after a first chunk sized by x's rows; the loop keeps it
  // for the next runs over inputs of the same shape.
  template <class X>
  struct hoisted_chunks {
    LoopOverTime& loop;
    const X& x;
    std::size_t steps;
    std::size_t first = 0, count = 0;  // the chunk held: steps [first, first + count)
    // its rows (count, ...): update_projected overwrites a projected step
    std::conditional_t<project_first, tensor_type*, const tensor_type*> rows = nullptr;
    tensor_type held{};  // (see hold)

    // The rows of step t; t from 0 to steps - 1 in order.
    auto operator[](std::size_t t) {
      if (t >= first + count) hoist(t);
      return (*rows)[t - first];
    }

   private:
    using T = typename tensor_type::value_type;
    using B = typename tensor_type::backend_type;

    void hoist(std::size_t t) {
      const std::size_t step_size = x.size() / steps;
      hoist_plan& plan = loop.hoist_plan_;
      if (!(plan.input == x.shape() && plan.budget == loop.options_.hoist_chunk_bytes)) {
        plan = {x.shape(), loop.options_.hoist_chunk_bytes, steps_within_budget(step_size)};  // from x's rows
      }
      count = plan.chunk;
      first = std::min(t, steps - count);
      const TensorView<const T, B> part{static_cast<const T*>(x.data()) + first * step_size,
                                        with_leading(count, x.shape().drop_front())};
      if constexpr (project_first) {
        auto& cell = loop.model_.template get<head_size>();
        if constexpr (head_size > 0)
          rows = &cell.project_input(loop.model_.template run_range<0, head_size>(part, &loop.context_));
        else
          rows = &cell.project_input(part);
      } else {
        hold(loop.model_.template run_range<0, head_size>(part, &loop.context_));
      }
      // The next chunks, and runs: from the hoisted rows (x's are read once, from memory).
      plan.chunk = steps_within_budget(rows->size() / count);
    }

    // Points rows at the head's output: its buffer, or (a head that returns
    // a new tensor, such as a lambda) a copy kept here.
    template <class Y>
    void hold(Y&& y) {
      if constexpr (std::is_lvalue_reference_v<Y>) {
        rows = &y;
      } else {
        held = tensor_type(std::forward<Y>(y));
        rows = &held;
      }
    }

    // Steps per chunk: as many as fit the budget, evened out over the
    // chunks the run needs (30 steps of at most 25 a chunk: two of 15, not
    // 25 and a last one of 25 that recomputes 20).
    std::size_t steps_within_budget(std::size_t elements_per_step) const {
      const std::size_t budget = loop.options_.hoist_chunk_bytes;
      if (!B::host_accessible || budget == 0 || elements_per_step == 0) return steps;
      const std::size_t most = std::clamp<std::size_t>(budget / (elements_per_step * sizeof(T)), 1, steps);
      const std::size_t chunks = (steps + most - 1) / most;
      return (steps + chunks - 1) / chunks;
    }
  };

  // The steps per chunk of hoisted_chunks for an input shape and a budget.
  struct hoist_plan {
    Shape input{0};
    std::size_t budget = 0;
    std::size_t chunk = 0;
  };

  // Whether training runs the head, or the first cell's input half, over
  // every step at once: a Sequential with a stateless head (and steps
  // after it), or whose first recurrent cell trains from a projected input.
  static constexpr bool can_project_first_in_training() {
    if constexpr (project_first) {
      using Cell = std::remove_cvref_t<decltype(std::declval<model_type&>().template get<head_size>())>;
      using T = typename tensor_type::value_type;
      using B = typename tensor_type::backend_type;
      return requires(Cell & cell, const tensor_type& x, TensorView<T, B> v, typename Cell::tape_type& tape,
                      const Context& c) {
        cell.forward_train_projected(v, tape, c);
        cell.backward_projected(tape, x, c);
        cell.backward_projection(x, x, InputGrad::yes);
        cell.projected_input();
      };
    }
    return false;
  }
  static constexpr bool project_first_in_training = can_project_first_in_training();
  static constexpr bool hoists_in_training = [] {
    if constexpr (detail::is_sequential_v<model_type>) {
      if constexpr (Differentiable<model_type>)
        return head_size < model_type::size && (head_size > 0 || project_first_in_training);
    }
    return false;
  }();

  Model model_;
  LoopOptions options_;
  Context context_;
  std::size_t steps_ = 0;
  hoist_plan hoist_plan_;  // what the last hoisted run learned (hoisted_chunks)
  tensor_type output_, time_major_input_, batch_major_output_;
  std::tuple<recorder<Monitors>...> recorders_;
  // BPTT: the tapes of the last training run, its checkpoints, and what
  // backward needs to know of it.
  typename detail::tape_store<model_type>::type tapes_;
  std::vector<tensor_type> checkpoints_;        // state_count_ States per checkpoint
  std::vector<std::uint64_t> rng_checkpoints_;  // rng_count_ offsets per checkpoint
  std::size_t state_count_ = 0, rng_count_ = 0;
  std::size_t train_steps_ = 0, train_every_ = 0, train_first_step_ = 0;
  bool trained_ = false, train_hoisted_ = false;
  Shape train_step_shape_, train_input_shape_;
  tensor_type train_input_, grad_time_major_, input_grad_, batch_major_input_grad_;
  // A hoisted training run: the head's tape and output over every step, and
  // the gradients of every step that its backward and the first cell's input
  // half take at once.
  typename detail::head_tape_store<model_type>::type head_tape_;
  tensor_type head_out_, head_grads_, pre_grads_;
};

namespace detail {
template <class Model, class Monitors>
inline constexpr bool is_loop_over_time_v<LoopOverTime<Model, Monitors>> = true;
}  // namespace detail

/// Any number of monitors, then optionally a LoopOptions (typed:
/// LoopOptions{.dt = 0.1}, or a variable).
template <class M, class... Args>
requires(!detail::is_loop_over_time_v<std::remove_cvref_t<M>> && detail::monitors_then_options<Args...>())
    LoopOverTime(M&&, Args...)
->LoopOverTime<detail::stored_model_t<M>, detail::monitor_list_of_t<Args...>>;

/// @{
/// Options as a bare braced list, {.dt = 0.1}, after up to 8 monitors (see
/// the header comment).
template <class M>
LoopOverTime(M&&, LoopOptions) -> LoopOverTime<detail::stored_model_t<M>>;
template <class M, MonitorSpec A>
LoopOverTime(M&&, A, LoopOptions) -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A>>;
template <class M, MonitorSpec A, MonitorSpec B>
LoopOverTime(M&&, A, B, LoopOptions) -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C>
LoopOverTime(M&&, A, B, C, LoopOptions) -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D>
LoopOverTime(M&&, A, B, C, D, LoopOptions)
    -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C, D>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D, MonitorSpec E>
LoopOverTime(M&&, A, B, C, D, E, LoopOptions)
    -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C, D, E>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D, MonitorSpec E, MonitorSpec F>
LoopOverTime(M&&, A, B, C, D, E, F, LoopOptions)
    -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C, D, E, F>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D, MonitorSpec E, MonitorSpec F,
          MonitorSpec G>
LoopOverTime(M&&, A, B, C, D, E, F, G, LoopOptions)
    -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C, D, E, F, G>>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D, MonitorSpec E, MonitorSpec F,
          MonitorSpec G, MonitorSpec H>
LoopOverTime(M&&, A, B, C, D, E, F, G, H, LoopOptions)
    -> LoopOverTime<detail::stored_model_t<M>, monitor_list<A, B, C, D, E, F, G, H>>;
/// @}

}  // namespace modyn
