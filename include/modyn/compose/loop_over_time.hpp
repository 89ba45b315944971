// modyn::LoopOverTime{model, monitors..., options}: runs a single-step model
// over a time axis, as brainpy.LoopOverTime.
//
//   LoopOverTime loop{model, monitor<"l1.h">, {.dt = 0.1}};
//   loop.reset_state(batch);
//   auto [out, h] = loop(x);          // x (T, B, N) -> out (T, B, out), h (T, B, 20)
//
// - The context {t, i, dt, training} goes to every module whose update takes
//   it; t and i advance across calls.
// - When the model is a Sequential, its leading stateless entries (a Dense
//   before the first recurrent cell) run once over all T x B rows, as one
//   GEMM, before the time loop (BrainPy's no_state idea, found at compile
//   time); the results equal those of the step-by-step path.
// - Outputs and histories live in buffers of the loop, allocated when a
//   shape is first seen: a warm call allocates nothing. The returned
//   references stay valid until the next call.
// - run_for(duration) runs with no input, or with an input function of (t, i).
// - The model's output of every step is kept, (T, ...); a long simulation
//   observed through monitors sets LoopOptions::record_output = false, as
//   a dense (T, N) copy of spikes is what runs out of memory.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/compose/monitor.hpp"
#include "modyn/compose/sequential.hpp"
#include "modyn/core/axes.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/module.hpp"

namespace modyn {

struct LoopOptions {
  double dt = 0.1;                   // ms
  double t0 = 0.0;                   // time of the first step
  std::size_t i0 = 0;                // index of the first step
  bool time_major = true;            // input (T, B, N); else (B, T, N)
  bool training = false;             // context.training
  bool hoist_stateless_head = true;  // run a Sequential's stateless head over all steps at once
  bool record_output = true;         // keep the model's output of every step (else the output is (0,)):
                                     // turn off for long runs observed through monitors
};

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

}  // namespace detail

template <class Model, class... Monitors>
class LoopOverTime : public Module<LoopOverTime<Model, Monitors...>> {
 public:
  using tensor_type = typename detail::model_tensor<Model>::type;

  explicit LoopOverTime(Model model, Monitors... monitors, LoopOptions options = {})
      : model_(std::move(model)), options_(options), recorders_(recorder<Monitors>(std::move(monitors))...) {
    reset_time();
  }

  Model& model() noexcept { return model_; }
  const Model& model() const noexcept { return model_; }
  const LoopOptions& options() const noexcept { return options_; }
  const Context& context() const noexcept { return context_; }

  // Back to t0 and i0.
  void reset_time() {
    context_ = Context{options_.t0, options_.i0, options_.dt, options_.training};
    steps_ = 0;
  }

  // Runs the model over the time axis of x: the output (T, B, out), or a
  // tuple (output, histories...) with monitors ((B, T, ...) when not time major).
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

  // Runs for `duration` (ms) with no input: the model's update takes only
  // the context (or nothing).
  decltype(auto) run_for(double duration) {
    return run_steps(step_count(duration),
                     [this](const Context& c) -> decltype(auto) { return call_model(c); });
  }

  // Runs for `duration` with input(t, i) fed to the model at each step.
  template <class Input>
  requires std::is_invocable_v<Input&, double, std::size_t>
  decltype(auto) run_for(double duration, Input&& input) {
    return run_steps(step_count(duration), [this, &input](const Context& c) -> decltype(auto) {
      return detail::call_with_context(model_, input(c.t, c.i), c);
    });
  }

  // Reflection shows the model's fields directly: loop.state_dict() ==
  // loop.model().state_dict().
  template <class Self>
  static constexpr auto modyn_fields() {
    if constexpr (!ReflectedModule<Model>) {
      return std::tuple<>{};
    } else {
      return std::apply(
        [](auto... inner) {
          return std::make_tuple(detail::field_info{
              inner.name, [get = inner.get](auto& self) -> auto& { return get(self.model_); }
    }...);
  },
        Model::template modyn_fields<Model>());
}
}

private:
static constexpr std::size_t head_size = detail::hoistable_prefix<Model>();

template <class Mon>
using recorder = typename Mon::template recorder<detail::state_tensor_t<Mon::fixed, Model>>;

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
  if (!(duration >= 0.0)) throw config_error("modyn::LoopOverTime::run_for: the duration must be >= 0");
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
}

// Records the output (when the model returns one) and the monitors at step t.
template <class Y>
void record(std::size_t t, std::size_t steps, const Y& y) {
  using B = typename tensor_type::backend_type;
  if constexpr (!TensorLike<Y>) {
    if (t == 0) output_.ensure_shape(Shape{0});  // the model returns nothing
  } else if (!options_.record_output) {
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
  std::apply([&](auto&... r) { (r.record(model_, t), ...); }, recorders_);
}

// Runs `steps` steps; step(context) runs the model once.
template <class StepFn>
decltype(auto) run_steps(std::size_t steps, StepFn&& step) {
  if (steps == 0) output_.ensure_shape(Shape{0});  // no steps, not the previous call's
  begin_step();
  std::apply([&](auto&... r) { (r.start(model_, steps, context_), ...); }, recorders_);
  begin_run();
  for (std::size_t t = 0; t < steps; ++t, ++steps_) {
    begin_step();
    if constexpr (std::is_void_v<decltype(step(context_))>) {
      step(context_);
      record(t, steps, nothing{});
    } else {
      decltype(auto) y = step(context_);
      record(t, steps, y);
    }
  }
  return std::apply([&](auto&... r) -> decltype(auto) { return results(output_, r.time_major()...); },
                    recorders_);
}

struct nothing {};

template <class X>
decltype(auto) run_sequence(const X& x) {
  const std::size_t steps = x.shape(0);
  if constexpr (head_size > 0 || project_first) {
    if (options_.hoist_stateless_head && steps > 0) {
      // The head sees the first step's context (it ignores contexts).
      begin_step();
      if constexpr (head_size > 0) {
        // Every step's rows at once: the head's GEMM over T x B rows.
        const tensor_type& head_out = model_.template run_range<0, head_size>(x, &context_);
        return run_after_head(steps, head_out);
      } else {
        return run_after_head(steps, x);
      }
    }
  }
  std::size_t t = 0;
  return run_steps(steps, [&](const Context& c) -> decltype(auto) {
    return detail::call_with_context(model_, x[t++], c);
  });
}

// Steps over the head's output (T, ...): the first recurrent cell's input
// half is projected for all steps at once where the cell can
// (project_input / update_projected), then the rest runs step by step.
template <class H>
decltype(auto) run_after_head(std::size_t steps, const H& head_out) {
  std::size_t t = 0;
  if constexpr (head_size == Model::size) {
    return run_steps(steps, [&](const Context&) { return head_out[t++]; });
  } else if constexpr (project_first) {
    auto& cell = model_.template get<head_size>();
    tensor_type& projected = cell.project_input(head_out);
    return run_steps(steps, [&](const Context& c) -> decltype(auto) {
      const tensor_type& y = cell.update_projected(projected[t++]);
      if constexpr (head_size + 1 == Model::size)
        return y;
      else
        return model_.template run_range<head_size + 1, Model::size>(y, &c);
    });
  } else {
    return run_steps(steps, [&](const Context& c) -> decltype(auto) {
      return model_.template run_range<head_size, Model::size>(head_out[t++], &c);
    });
  }
}

static constexpr bool can_project_first() {
  if constexpr (detail::is_sequential_v<Model>) {
    if constexpr (head_size < Model::size) {
      using Cell = std::remove_cvref_t<decltype(std::declval<Model&>().template get<head_size>())>;
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

Model model_;
LoopOptions options_;
Context context_;
std::size_t steps_ = 0;
tensor_type output_, time_major_input_, batch_major_output_;
std::tuple<recorder<Monitors>...> recorders_;
}
;

template <class M, MonitorSpec... Mons>
LoopOverTime(M, Mons...) -> LoopOverTime<M, Mons...>;
template <class M>
LoopOverTime(M, LoopOptions) -> LoopOverTime<M>;
template <class M, MonitorSpec A>
LoopOverTime(M, A, LoopOptions) -> LoopOverTime<M, A>;
template <class M, MonitorSpec A, MonitorSpec B>
LoopOverTime(M, A, B, LoopOptions) -> LoopOverTime<M, A, B>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C>
LoopOverTime(M, A, B, C, LoopOptions) -> LoopOverTime<M, A, B, C>;
template <class M, MonitorSpec A, MonitorSpec B, MonitorSpec C, MonitorSpec D>
LoopOverTime(M, A, B, C, D, LoopOptions) -> LoopOverTime<M, A, B, C, D>;

}  // namespace modyn
