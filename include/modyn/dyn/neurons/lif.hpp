// dyn::LIF: the leaky integrate-and-fire neuron with a refractory period
// (brainpy.dyn.LifRef; Gerstner et al., Neuronal Dynamics, ch. 1.3):
//
//   tau dV/dt = -(V - V_rest) + R I(t)
//   V >= V_th  ->  spike, V = V_reset, then V is held (and the input
//                  ignored) for tau_ref: round(tau_ref / dt) steps.
//
// The refractory clock is a countdown (refractory_left, ms), not BrainPy's
// t_last_spike: a time of spike kept in float could not tell steps of 0.01
// ms apart after a few simulated minutes, and the countdown does not depend
// on where the run's time starts.
//
// Units as everywhere in dyn/ (README, "Units"): ms and mV; with R = 1 a
// current is in mV (BrainPy's convention).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

/// The leaky integrate-and-fire neuron with a refractory period
/// (brainpy.dyn.LifRef): see the top of dyn/neurons/lif.hpp for its equations.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class LIF : public Module<LIF<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// BrainPy's defaults.
  struct Options {
    T V_rest = T(0);    ///< resting potential (mV)
    T V_reset = T(-5);  ///< potential after a spike (mV)
    T V_th = T(20);     ///< threshold (mV)
    T tau = T(10);      ///< membrane time constant (ms)
    T R = T(1);         ///< membrane resistance
    T tau_ref = T(0);   ///< refractory period (ms)
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T V_rest{}, V_reset{}, V_th{}, tau{}, R{}, tau_ref{};
  /// @}
  State<tensor_type> V;                ///< membrane potential (mV), starts at V_rest
  State<tensor_type> spike;            ///< 1 where the neuron fired this step, else 0
  State<tensor_type> refractory_left;  ///< refractory time left (ms), 0 when the neuron is free
  MODYN_FIELDS(V_rest, V_reset, V_th, tau, R, tau_ref, V, spike, refractory_left)

  LIF() : LIF(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit LIF(Shape size, Options o = {})
      : V_rest(o.V_rest),
        V_reset(o.V_reset),
        V_th(o.V_th),
        tau(o.tau),
        R(o.R),
        tau_ref(o.tau_ref),
        V(size, o.V_rest),
        spike(size),
        refractory_left(size) {
    if (!(tau > T(0)) || !std::isfinite(tau))
      throw config_error("dyn::LIF: tau must be > 0, got " + std::to_string(tau));
    if (!(tau_ref >= T(0)))
      throw config_error("dyn::LIF: tau_ref must be >= 0, got " + std::to_string(tau_ref));
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit LIF(std::size_t size, Options o = {}) : LIF(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns the spikes.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    advance(c, std::tuple<>{}, inputs...);
    return *spike;
  }

  /// update(x, c) with the spikes written into `out` as well as into the
  /// spike State, in the same pass: LoopOverTime hands its history row of
  /// the step (compose/update_into.hpp), so that no copy of the spikes
  /// follows. out must have the shape of the States. In a run that nothing
  /// observes (Context::states_unobserved), the spikes go to `out` only,
  /// and end_run copies the last step's row into the spike State and its
  /// list (fired()): the hand-written loop's three streams (input, V,
  /// spikes) instead of five.
  template <class X>
  requires NeuronInput<X, T>
  void update_into(const X& x, const Context& c, TensorView<T, B> out) {
    if (!(out.shape() == V->shape())) {
      throw shape_error("dyn::LIF '" + this->name() + "': update_into's output has shape " +
                        out.shape().to_string() + ", the population " + V->shape().to_string());
    }
    if (c.states_unobserved && runs_free(c)) {
      if (!checked_at_start(c)) check_states();
      detail::fused_update<B, T>(execution_instance<B>(c), {"dyn::LIF", this->name()}, V->shape(), size(),
                                 row_step_kernel{{make_kernel(c)}},
                                 std::tuple{V->data(), write_only(out.data())}, x);
      spikes_in_ = out.data();
      return;
    }
    advance(c, std::tuple{write_only(out.data())}, x);
  }

  /// Called by LoopOverTime when a run ends: the spikes that the run's
  /// last steps left in the loop's history row (update_into) go to the
  /// spike State and the list of fired().
  void end_run(const Context& c) {
    if (spikes_in_ == nullptr) return;
    const T* const row = spikes_in_;
    spikes_in_ = nullptr;
    B::map(execution_instance<B>(c), V->size(), copy_spikes_kernel{}, row, write_only(spike->data()),
           fired_.begin_step(V->size()));
  }

  /// The States of the population share one shape: checked once when a
  /// run starts (LoopOverTime calls this), and by update outside a run.
  /// Also finds whether the run's steps may leave refractory_left out of
  /// their pass (see refractory_free_).
  void begin_run(const Context&) {
    check_states();
    const std::size_t n = refractory_left->size();
    const T* left = refractory_left->data();
    refractory_free_ = tau_ref == T(0) && !std::signbit(tau_ref) &&
                       (n == 0 || (B::reduce_max(left, n) == T(0) && B::reduce_sum(left, n) == T(0)));
  }

  /// The neurons that fired in the last step, in index order (flat over V).
  const SpikeList<B>& fired() const noexcept { return fired_; }

  /// Called by reset_state: forgets the last step's spike list.
  void on_reset_state(std::size_t /*batch_size*/) { fired_.clear(); }

  /// `to<B>`: the last step's list comes with the spike State (not a reflected
  /// field, so `to<B>` would leave it empty).
  template <class OtherBackend>
  void on_rebind(const LIF<T, OtherBackend, Method>& source) {
    fired_ = SpikeList<B>(rebind_tag{}, source.fired());
  }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& c) { return update(c, x); }

 private:
  void check_states() const { detail::match_states({"dyn::LIF", this->name()}, V, spike, refractory_left); }

  // One step; extra: the map arguments written after the States (an output
  // row for update_into, or none).
  template <class... Extra, class... Inputs>
  void advance(const Context& c, const std::tuple<Extra...>& extra, const Inputs&... inputs) {
    if (!checked_at_start(c)) check_states();
    spikes_in_ = nullptr;  // a step outside update_into's unobserved form writes the spike State itself
    const step_kernel kernel = make_kernel(c);
    const detail::population who{"dyn::LIF", this->name()};
    if (runs_free(c)) {
      detail::fused_update<B, T>(
          execution_instance<B>(c), who, V->shape(), size(), free_step_kernel{kernel},
          std::tuple_cat(std::tuple{V->data(), write_only(spike->data()), fired_.begin_step(V->size())},
                         extra),
          inputs...);
    } else {
      detail::fused_update<B, T>(
          execution_instance<B>(c), who, V->shape(), size(), kernel,
          std::tuple_cat(std::tuple{V->data(), write_only(spike->data()), refractory_left->data(),
                                    fired_.begin_step(V->size())},
                         extra),
          inputs...);
    }
  }

  // The kernel of a step of dt = c.dt from c.t.
  auto make_kernel(const Context& c) const {
    const double dt = c.dt;
    // Refractory while more than half a step is left: round(tau_ref / dt)
    // held steps, whatever the rounding of the countdown.
    const T half_step = static_cast<T>(0.5 * dt), step = static_cast<T>(dt), t_ref = tau_ref;
    const T leak = T(-1) / tau, gain = R / tau, drive = V_rest / tau;
    return step_kernel{half_step, step, t_ref, leak, gain, drive, V_th, V_reset, c.t, c.dt};
  }
  // Whether this step of a run may use free_step_kernel (see refractory_free_).
  bool runs_free(const Context& c) const noexcept {
    return c.run_checked && refractory_free_ && tau_ref == T(0);
  }

  SpikeList<B> fired_;
  // The history row that holds the last step's spikes while the spike State
  // and fired_ wait for end_run (update_into in an unobserved run), or null.
  const T* spikes_in_ = nullptr;
  // Set by begin_run when tau_ref is 0 and no neuron is refractory (every
  // refractory_left is 0): then no neuron ever becomes refractory in the
  // run, refractory_left stays 0, and the steps of the run use
  // free_step_kernel, whose pass does not read or write it (two of the
  // pass's five streams over memory). Its spikes and V are those of
  // step_kernel, bit for bit. (Cleared by nothing: only a run's steps,
  // whose context says run_checked, read it, and every run calls begin_run.)
  bool refractory_free_ = false;

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T half_step, step, t_ref, leak, gain, drive, v_th, v_reset;
    double t, dt;

    /// V after the step, before the threshold (not refractory).
    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec integrate(const Vec& v, const Input& input) const {
      Vec next = v;
      Method::step(
          [&](double, const Vec& u) MODYN_INLINE_LAMBDA {
            const linear<Vec> I = input(u);
            return linear<Vec>{Vec(leak) + Vec(gain) * I.slope, Vec(drive) + Vec(gain) * I.offset};
          },
          t, dt, next);
      return next;
    }

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& fired, Vec& left, Mask& emitted,
                                                          const Input& input) const {
      const auto refractory = left > Vec(half_step);
      const Vec next = math::select(refractory, v, integrate(v, input));
      const auto spiking = next >= Vec(v_th);
      fired = math::select(spiking, Vec(T(1)), Vec(T(0)));
      emitted = spiking;
      left = math::select(spiking, Vec(t_ref), math::max(left - Vec(step), Vec(T(0))));
      v = math::select(spiking, Vec(v_reset), next);
    }
    /// The same, the spikes also written to out (update_into).
    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& fired, Vec& left, Mask& emitted,
                                                          Vec& out, const Input& input) const {
      (*this)(v, fired, left, emitted, input);
      out = fired;
    }
  };
  /// step_kernel where no neuron is refractory and tau_ref is 0 (see
  /// refractory_free_): refractory_left stays 0 and is left out of the pass.
  struct free_step_kernel {
    step_kernel k;

    /// Integrates v, resets it where it crossed the threshold; returns where.
    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE auto fire(Vec& v, const Input& input) const {
      const Vec next = k.integrate(v, input);
      const auto spiking = next >= Vec(k.v_th);
      v = math::select(spiking, Vec(k.v_reset), next);
      return spiking;
    }

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& fired, Mask& emitted,
                                                          const Input& input) const {
      emitted = fire(v, input);
      fired = math::select(emitted, Vec(T(1)), Vec(T(0)));
    }
    /// The same, the spikes also written to out (update_into).
    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& fired, Mask& emitted, Vec& out,
                                                          const Input& input) const {
      (*this)(v, fired, emitted, input);
      out = fired;
    }
  };
  /// free_step_kernel with the spikes written to the history row only
  /// (update_into in an unobserved run).
  struct row_step_kernel {
    free_step_kernel free;

    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& out, const Input& input) const {
      out = math::select(free.fire(v, input), Vec(T(1)), Vec(T(0)));
    }
  };
  /// The spike State and its list from a history row (end_run).
  struct copy_spikes_kernel {
    template <class Vec, class Mask>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& row, Vec& fired, Mask& emitted) const {
      fired = row;
      emitted = row != Vec(T(0));
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
