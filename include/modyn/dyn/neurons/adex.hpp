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

#include "modyn/compose/context.hpp"
#include "modyn/core/error.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_current.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class AdEx : public Module<AdEx<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;
  using method = Method;

  // BrainPy's defaults.
  struct Options {
    T V_rest = T(-65), V_reset = T(-68), V_th = T(-30);
    T V_T = T(-59.9), delta_T = T(3.48);
    T a = T(1), b = T(1);
    T tau = T(10), tau_w = T(30);
    T R = T(1);
  };

  T V_rest{}, V_reset{}, V_th{}, V_T{}, delta_T{}, a{}, b{}, tau{}, tau_w{}, R{};
  State<tensor_type> V;      // membrane potential (mV), starts at V_rest
  State<tensor_type> w;      // adaptation current, starts at 0
  State<tensor_type> spike;  // 1 where the neuron fired this step, else 0
  MODYN_FIELDS(V_rest, V_reset, V_th, V_T, delta_T, a, b, tau, tau_w, R, V, w, spike)

  AdEx() : AdEx(1) {}
  explicit AdEx(Shape size, Options o = {})
      : V_rest(o.V_rest), V_reset(o.V_reset), V_th(o.V_th), V_T(o.V_T), delta_T(o.delta_T), a(o.a), b(o.b),
        tau(o.tau), tau_w(o.tau_w), R(o.R), V(size, o.V_rest), w(size), spike(size) {
    if (!(tau > T(0) && tau_w > T(0))) {
      throw config_error("dyn::AdEx: tau and tau_w must be > 0, got " + std::to_string(tau) + " and " +
                         std::to_string(tau_w));
    }
    if (!(delta_T > T(0))) throw config_error("dyn::AdEx: delta_T must be > 0, got " + std::to_string(delta_T));
  }
  explicit AdEx(std::size_t size, Options o = {}) : AdEx(Shape{size}, o) {}

  const Shape& size() const noexcept { return V.sample_shape(); }

  template <class... Inputs>
    requires(NeuronInput<Inputs, T> && ...)
  const tensor_type& update(const Context& ctx, const Inputs&... inputs) {
    detail::match_states({"dyn::AdEx", this->name()}, V, w, spike);
    const T inv_tau = T(1) / tau, inv_tau_w = T(1) / tau_w, inv_delta = T(1) / delta_T;
    const T v_rest = V_rest, v_t = V_T, d_t = delta_T, r = R, ka = a, kb = b, v_th = V_th, v_reset = V_reset;
    const T max_exponent = T(0.5) * std::log(std::numeric_limits<T>::max());
    const auto kernel = [=](auto& v, auto& adapt, auto& fired, const auto& input) {
      using V = std::remove_cvref_t<decltype(v)>;
      Method::step(
          [&](double, const V& x, const V& y) {
            // Above V_th the neuron has spiked: the right-hand side is held at
            // its value at V_th, so that the stages of rk2/rk4 inside a
            // run-away step cannot feed huge V into w (V is reset, w is not).
            const V xc = math::min(x, V(v_th));
            const linear<V> I = input(xc);
            const V spike_current = V(d_t) * math::exp(math::min((xc - V(v_t)) * V(inv_delta), V(max_exponent)));
            // tau f(x) = -(x - V_rest) + spike_current(x) - R y + R I(x); its tangent
            // slope is -1 + spike_current / delta_T + R I.slope (0 where held).
            const V slope = math::select(x > V(v_th), V(T(0)),
                                         (V(T(-1)) + spike_current * V(inv_delta) + V(r) * I.slope) * V(inv_tau));
            const V value = (V(v_rest) - xc + spike_current - V(r) * y + V(r) * I.at(xc)) * V(inv_tau);
            return std::tuple{linear<V>{slope, value - slope * x},
                              linear<V>{V(-inv_tau_w), V(ka * inv_tau_w) * (xc - V(v_rest))}};
          },
          ctx.t, ctx.dt, v, adapt);
      const auto spiking = v >= V(v_th);
      fired = math::select(spiking, V(T(1)), V(T(0)));
      v = math::select(spiking, V(v_reset), v);
      adapt = math::select(spiking, adapt + V(kb), adapt);
    };
    detail::fused_update<B, T>({"dyn::AdEx", this->name()}, V->shape(), size(), kernel,
                               std::tuple{V->data(), w->data(), write_only(spike->data())}, inputs...);
    return *spike;
  }

  template <class X>
    requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& ctx) {
    return update(ctx, x);
  }
};

}  // namespace modyn::dyn
