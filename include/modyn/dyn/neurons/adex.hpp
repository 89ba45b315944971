// dyn::AdEx: the adaptive exponential integrate-and-fire neuron (Brette &
// Gerstner 2005), as brainpy.dyn.AdEx:
//
//   tau   dV/dt = -(V - V_rest) + delta_T exp((V - V_T) / delta_T) - R w + R I
//   tau_w dw/dt = a (V - V_rest) - w
//   V >= V_th  ->  spike, V = V_reset, w = w + b
//
// Units (README, "Units"): ms and mV; with R = 1 currents and w are in mV.
// Exponential Euler sees dV/dt linearised at the step's start with its
// tangent slope. Above V_th the right-hand side is held at its value at V_th
// (the neuron has spiked and is reset at the end of the step), which keeps
// every stage of every integrator finite. The exponent is capped at half
// the log of T's largest value (44 in float): with a small delta_T,
// exp((V_th - V_T) / delta_T) would overflow float and turn V into NaN; at
// the cap the neuron spikes within the step anyway.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

/// The adaptive exponential integrate-and-fire neuron (Brette & Gerstner
/// 2005; brainpy.dyn.AdEx): see the top of dyn/neurons/adex.hpp for its equations.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class AdEx : public Module<AdEx<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// BrainPy's defaults.
  struct Options {
    /// @{
    /// Potentials (mV): resting, after a spike, threshold.
    T V_rest = T(-65), V_reset = T(-68), V_th = T(-30);
    /// @}
    /// @{
    /// The exponential term: its threshold V_T (mV) and slope factor delta_T (mV).
    T V_T = T(-59.9), delta_T = T(3.48);
    /// @}
    /// @{
    /// Adaptation: subthreshold coupling a, and b added to w at each spike.
    T a = T(1), b = T(1);
    /// @}
    /// @{
    /// Time constants (ms) of V and of w.
    T tau = T(10), tau_w = T(30);
    /// @}
    T R = T(1);  ///< membrane resistance
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T V_rest{}, V_reset{}, V_th{}, V_T{}, delta_T{}, a{}, b{}, tau{}, tau_w{}, R{};
  /// @}
  State<tensor_type> V;      ///< membrane potential (mV), starts at V_rest
  State<tensor_type> w;      ///< adaptation current, starts at 0
  State<tensor_type> spike;  ///< 1 where the neuron fired this step, else 0
  MODYN_FIELDS(V_rest, V_reset, V_th, V_T, delta_T, a, b, tau, tau_w, R, V, w, spike)

  AdEx() : AdEx(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit AdEx(Shape size, Options o = {})
      : V_rest(o.V_rest),
        V_reset(o.V_reset),
        V_th(o.V_th),
        V_T(o.V_T),
        delta_T(o.delta_T),
        a(o.a),
        b(o.b),
        tau(o.tau),
        tau_w(o.tau_w),
        R(o.R),
        V(size, o.V_rest),
        w(size),
        spike(size) {
    if (!(tau > T(0) && tau_w > T(0))) {
      throw config_error("dyn::AdEx: tau and tau_w must be > 0, got " + std::to_string(tau) + " and " +
                         std::to_string(tau_w));
    }
    if (!(delta_T > T(0)))
      throw config_error("dyn::AdEx: delta_T must be > 0, got " + std::to_string(delta_T));
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit AdEx(std::size_t size, Options o = {}) : AdEx(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns the spikes.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& ctx,
                                                                  const Inputs&... inputs) {
    if (!checked_at_start(ctx)) check_states();
    const T inv_tau = T(1) / tau, inv_tau_w = T(1) / tau_w, inv_delta = T(1) / delta_T;
    const T v_rest = V_rest, v_t = V_T, d_t = delta_T, r = R, ka = a, kb = b, v_th = V_th, v_reset = V_reset;
    const T max_exponent = T(0.5) * std::log(std::numeric_limits<T>::max());
    const step_kernel kernel{inv_tau, inv_tau_w, inv_delta, v_rest,  v_t,          d_t,   r,
                             ka,      kb,        v_th,      v_reset, max_exponent, ctx.t, ctx.dt};
    detail::fused_update<B, T>(
        execution_instance<B>(ctx), {"dyn::AdEx", this->name()}, V->shape(), size(), kernel,
        std::tuple{V->data(), w->data(), write_only(spike->data()), fired_.begin_step(V->size())}, inputs...);
    return *spike;
  }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& ctx) { return update(ctx, x); }

  /// The States of the population share one shape: checked once when a
  /// run starts (LoopOverTime calls this), and by update outside a run.
  void begin_run(const Context&) const { check_states(); }

  /// The neurons that fired in the last step, in index order (flat over V).
  const SpikeList<B>& fired() const noexcept { return fired_; }

  /// Called by reset_state: forgets the last step's spike list.
  void on_reset_state(std::size_t /*batch_size*/) { fired_.clear(); }

  /// `to<B>`: the last step's list comes with the spike State (not a reflected
  /// field, so `to<B>` would leave it empty).
  template <class OtherBackend>
  void on_rebind(const AdEx<T, OtherBackend, Method>& source) {
    fired_ = SpikeList<B>(rebind_tag{}, source.fired());
  }

 private:
  void check_states() const { detail::match_states({"dyn::AdEx", this->name()}, V, w, spike); }

  SpikeList<B> fired_;

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T inv_tau, inv_tau_w, inv_delta, v_rest, v_t, d_t, r, ka, kb, v_th, v_reset, max_exponent;
    double t, dt;

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& adapt, Vec& fired, Mask& emitted,
                                                          const Input& input) const {
      Method::step(
          [&](double, const Vec& x, const Vec& y) MODYN_INLINE_LAMBDA {
            // Above V_th the neuron has spiked: the right-hand side is held at
            // its value at V_th, so that the stages of rk2/rk4 inside a
            // run-away step cannot feed huge Vec into w (Vec is reset, w is not).
            const Vec xc = math::min(x, Vec(v_th));
            const linear<Vec> I = input(xc);
            const Vec spike_current =
                Vec(d_t) * math::exp(math::min((xc - Vec(v_t)) * Vec(inv_delta), Vec(max_exponent)));
            // tau f(x) = -(x - V_rest) + spike_current(x) - R y + R I(x); its tangent
            // slope is -1 + spike_current / delta_T + R I.slope (0 where held).
            const Vec slope =
                math::select(x > Vec(v_th), Vec(T(0)),
                             (Vec(T(-1)) + spike_current * Vec(inv_delta) + Vec(r) * I.slope) * Vec(inv_tau));
            const Vec value =
                (Vec(v_rest) - xc + spike_current - Vec(r) * y + Vec(r) * I.at(xc)) * Vec(inv_tau);
            return std::tuple{linear<Vec>{slope, value - slope * x},
                              linear<Vec>{Vec(-inv_tau_w), Vec(ka * inv_tau_w) * (xc - Vec(v_rest))}};
          },
          t, dt, v, adapt);
      const auto spiking = v >= Vec(v_th);
      fired = math::select(spiking, Vec(T(1)), Vec(T(0)));
      emitted = spiking;
      v = math::select(spiking, Vec(v_reset), v);
      adapt = math::select(spiking, adapt + Vec(kb), adapt);
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
