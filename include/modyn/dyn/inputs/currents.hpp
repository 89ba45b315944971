// Input currents as functions of time: dyn::inputs::constant, step, ramp and
// section, the functions brainpy.inputs builds as arrays (constant_input,
// ramp_input, section_input), kept here as values of t so that they need no
// dt until they are sampled.
//
//   LoopOverTime loop{neurons, monitor<"V">, {.dt = 0.1}};
//   loop.run_for(300.0, inputs::section({0.f, 5.f, 0.f}, {100., 100., 100.}));
//   Tensor<float> I = inputs::sample(inputs::ramp(0.f, 10.f, 50., 250.), 300.0, 0.1);  // (3000,)
//
// Each input is a small copyable value with `T at(double t)` (t in ms) and
// `T operator()(double t, std::size_t i)`, the form LoopOverTime::run_for
// calls (the step index i is not needed: the value depends on t only).
//
// Value type. T is the type of the values given (constant(5.0f) holds a float,
// constant(5.0) a double: write 5.0f, or constant<float>(5.0), for the float
// models of the library). T must be floating-point.
//
// Boundaries. Every interval is half-open, [t_start, t_end), as BrainPy's
// array slices current[start:end]. Times of a run are t = t0 + i * dt and
// section edges are sums of durations, both rounded: 43 * 0.1 = 4.3 but
// 1.1 + 3.2 = 4.300000000000001, and 3 * 0.3 = 0.8999999999999999. So t
// counts as having reached an edge e when t >= e - 1e-9 * max(1, |e|) (ms):
// far above the rounding of t (1 ulp for t = i * dt, about i ulp when t is
// summed step by step) and far below any usable dt (a run of 1e6 ms with
// dt = 0.01 ms keeps the tolerance, 1e-3 ms, below dt).
#pragma once

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/tensor.hpp"

namespace modyn::dyn::inputs {

namespace detail {

// Relative tolerance on time edges (see the header comment).
inline constexpr double time_tolerance = 1e-9;

// Whether time t has reached the edge, forgiving the rounding of t and edge.
inline bool reached(double t, double edge) noexcept {
  if (std::isinf(edge)) return t >= edge;  // the tolerance would be inf - inf
  return t >= edge - time_tolerance * std::max(1.0, std::abs(edge));
}

// Whether t lies in [start, end), with the tolerance above at both edges.
inline bool within(double t, double start, double end) noexcept {
  return reached(t, start) && !reached(t, end);
}

// A number as a user wrote it: 20, 0.5, -1e+30, nan.
inline std::string number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

inline void check_interval(const char* who, double t_start, double t_end) {
  if (std::isnan(t_start) || std::isnan(t_end) || t_start > t_end) {
    throw config_error(std::string("modyn::dyn::inputs::") + who +
                       ": need t_start <= t_end (ms), got t_start = " + number(t_start) +
                       ", t_end = " + number(t_end));
  }
}

}  // namespace detail

/// The same value at every time.
/// T: the type of the value.
template <class T = float>
class constant {
  static_assert(std::is_floating_point_v<T>,
                "modyn::dyn::inputs::constant: the value must be floating-point (write 5.0f, not 5)");

 public:
  using value_type = T;  ///< the type of the value

  /// The input `value` at every t.
  constexpr explicit constant(T value) noexcept : value_(value) {}

  /// The value at t (ms).
  constexpr T at(double /*t*/) const noexcept { return value_; }
  /// The value at t, at step i (unused): the form LoopOverTime::run_for calls.
  constexpr T operator()(double t, std::size_t /*i*/) const noexcept { return at(t); }

  /// The value.
  constexpr T value() const noexcept { return value_; }

 private:
  T value_;
};

/// amplitude for t in [t_start, t_end), baseline elsewhere.
/// T: the type of the value.
template <class T = float>
class step {
  static_assert(std::is_floating_point_v<T>,
                "modyn::dyn::inputs::step: the amplitude must be floating-point (write 5.0f, not 5)");

 public:
  using value_type = T;  ///< the type of the value

  /// The baseline takes the amplitude's type (it does not take part in
  /// deducing T).
  step(T amplitude, double t_start, double t_end = std::numeric_limits<double>::infinity(),
       std::type_identity_t<T> baseline = T(0))
      : amplitude_(amplitude), baseline_(baseline), t_start_(t_start), t_end_(t_end) {
    detail::check_interval("step", t_start, t_end);
  }

  /// The value at t (ms).
  T at(double t) const noexcept { return detail::within(t, t_start_, t_end_) ? amplitude_ : baseline_; }
  /// The value at t, at step i (unused): the form LoopOverTime::run_for calls.
  T operator()(double t, std::size_t /*i*/) const noexcept { return at(t); }

  /// The value in [t_start, t_end).
  T amplitude() const noexcept { return amplitude_; }
  /// The value elsewhere.
  T baseline() const noexcept { return baseline_; }
  /// The start of the step (ms).
  double t_start() const noexcept { return t_start_; }
  /// The end of the step (ms), excluded.
  double t_end() const noexcept { return t_end_; }

 private:
  T amplitude_, baseline_;
  double t_start_, t_end_;
};

/// 0 before t_start; c_start + (c_end - c_start) (t - t_start) / (t_end - t_start)
/// on [t_start, t_end); 0 at and after t_end.
///
/// brainpy.inputs.ramp_input(c_start, c_end, duration, t_start, t_end, dt)
/// fills the samples ceil(t_start / dt) .. ceil(t_end / dt) - 1 with
/// linspace(c_start, c_end, count), whose last sample is c_end itself, and
/// zeros elsewhere. This ramp is the continuous line instead, the same for
/// every dt: it starts at c_start at t_start and would reach c_end at t_end,
/// so its last sample, at t_end - dt, is c_end - (c_end - c_start) dt /
/// (t_end - t_start). (BrainPy's slope, (c_end - c_start) / (t_end - t_start
/// - dt), depends on dt.)
/// T: the type of the value.
template <class T = float>
class ramp {
  static_assert(std::is_floating_point_v<T>,
                "modyn::dyn::inputs::ramp: the currents must be floating-point (write 5.0f, not 5)");

 public:
  using value_type = T;  ///< the type of the value

  /// c_end takes c_start's type (it does not take part in deducing T).
  ramp(T c_start, std::type_identity_t<T> c_end, double t_start, double t_end)
      : c_start_(c_start), c_end_(c_end), t_start_(t_start), t_end_(t_end) {
    detail::check_interval("ramp", t_start, t_end);
    if (!std::isfinite(t_start) || !std::isfinite(t_end)) {
      throw config_error("modyn::dyn::inputs::ramp: t_start and t_end must be finite, got t_start = " +
                         detail::number(t_start) + ", t_end = " + detail::number(t_end));
    }
  }

  /// The value at t (ms).
  T at(double t) const noexcept {
    if (!detail::within(t, t_start_, t_end_)) return T(0);
    // A t just below t_start (within the tolerance) starts at c_start.
    using W = std::common_type_t<T, double>;
    const W fraction = std::max(W(0), W(t - t_start_) / W(t_end_ - t_start_));
    return T(W(c_start_) + (W(c_end_) - W(c_start_)) * fraction);
  }
  /// The value at t, at step i (unused): the form LoopOverTime::run_for calls.
  T operator()(double t, std::size_t /*i*/) const noexcept { return at(t); }

  /// The value at t_start.
  T c_start() const noexcept { return c_start_; }
  /// The value the line would reach at t_end.
  T c_end() const noexcept { return c_end_; }
  /// The start of the ramp (ms).
  double t_start() const noexcept { return t_start_; }
  /// The end of the ramp (ms), excluded.
  double t_end() const noexcept { return t_end_; }

 private:
  T c_start_, c_end_;
  double t_start_, t_end_;
};

/// values[k] during [d_0 + ... + d_{k-1}, d_0 + ... + d_k), 0 before 0 and
/// from total_duration() on, as brainpy.inputs.section_input(values,
/// durations). A section of duration 0 is never active.
///
/// BrainPy gives each section int(d_k / dt) samples, so a duration that is
/// not a multiple of dt shortens its section and shifts every later one; here
/// the edges are the exact sums, the same for every dt.
/// T: the type of the values.
template <class T = float>
class section {
  static_assert(
      std::is_floating_point_v<T>,
      "modyn::dyn::inputs::section: the values must be floating-point (write {1.f, 2.f}, not {1, 2})");

 public:
  using value_type = T;  ///< the type of the values

  /// Sections of values[k] for durations[k] (ms) each, one duration per value.
  section(std::vector<T> values, std::vector<double> durations)
      : values_(std::move(values)), ends_(ends_of(values_.size(), durations)) {}
  /// Deduces T from braced values: section({1.f, 2.f}, {10., 20.}) holds floats.
  section(std::initializer_list<T> values, std::initializer_list<double> durations)
      : section(std::vector<T>(values), std::vector<double>(durations)) {}

  /// The value at t (ms).
  T at(double t) const noexcept {
    if (!detail::reached(t, 0.0)) return T(0);
    // The first section whose end t has not reached (ends are sorted, and so
    // is "reached" along them).
    const auto end =
        std::partition_point(ends_.begin(), ends_.end(), [t](double e) { return detail::reached(t, e); });
    return end == ends_.end() ? T(0) : values_[static_cast<std::size_t>(end - ends_.begin())];
  }
  /// The value at t, at step i (unused): the form LoopOverTime::run_for calls.
  T operator()(double t, std::size_t /*i*/) const noexcept { return at(t); }

  /// The sum of the durations (ms).
  double total_duration() const noexcept { return ends_.empty() ? 0.0 : ends_.back(); }
  /// The number of sections.
  std::size_t size() const noexcept { return values_.size(); }

 private:
  // The cumulative end of each section, after checking the durations.
  static std::vector<double> ends_of(std::size_t value_count, const std::vector<double>& durations) {
    if (value_count != durations.size()) {
      throw config_error("modyn::dyn::inputs::section: " + std::to_string(value_count) + " values but " +
                         std::to_string(durations.size()) + " durations; give one duration per value");
    }
    std::vector<double> ends(durations.size());
    double end = 0.0;
    for (std::size_t k = 0; k < durations.size(); ++k) {
      if (!std::isfinite(durations[k]) || durations[k] < 0.0) {
        throw config_error("modyn::dyn::inputs::section: duration " + std::to_string(k) + " is " +
                           detail::number(durations[k]) + " ms; durations must be finite and >= 0");
      }
      end += durations[k];
      ends[k] = end;
    }
    return ends;
  }

  std::vector<T> values_;
  std::vector<double> ends_;
};

/// Any input: a value of t through at(t).
template <class I>
concept TimeInput = requires(const I& input, double t) {
  { input.at(t) } -> std::floating_point;
};

/// The input at t = k dt for k = 0 .. steps - 1, steps = round(duration / dt)
/// (LoopOverTime::run_for's step count): shape (steps,), the array BrainPy's
/// functions return. Its reshape({steps, 1}) is an input (T, N) for a
/// LoopOverTime over one neuron.
template <class B = default_backend, TimeInput I>
auto sample(const I& input, double duration, double dt) {
  using T = std::remove_cvref_t<decltype(input.at(0.0))>;
  if (!(dt > 0.0) || !std::isfinite(dt)) {
    throw config_error("modyn::dyn::inputs::sample: dt must be finite and > 0 (ms), got " +
                       detail::number(dt));
  }
  if (!(duration >= 0.0) || !std::isfinite(duration)) {
    throw config_error("modyn::dyn::inputs::sample: the duration must be finite and >= 0 (ms), got " +
                       detail::number(duration));
  }
  const auto steps = static_cast<std::size_t>(std::llround(duration / dt));
  std::vector<T> values(steps);
  for (std::size_t k = 0; k < steps; ++k) values[k] = input.at(static_cast<double>(k) * dt);
  return Tensor<T, B>(Shape{steps}, std::span<const T>(values));
}

}  // namespace modyn::dyn::inputs
