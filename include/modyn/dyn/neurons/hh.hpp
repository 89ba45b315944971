// dyn::HH: the Hodgkin-Huxley model of the squid giant axon, with BrainPy's
// parameters and rate functions (brainpy.dyn.HH; Hodgkin & Huxley 1952, in
// the modern sign convention, potentials shifted by -65 mV):
//
//   C dV/dt = -gNa m^3 h (V - ENa) - gK n^4 (V - EK) - gL (V - EL) + I
//   dx/dt   = alpha_x(V) (1 - x) - beta_x(V) x          for x in m, h, n
//   alpha_m = 0.1 (V + 40) / (1 - exp(-(V + 40) / 10))   beta_m = 4 exp(-(V + 65) / 18)
//   alpha_h = 0.07 exp(-(V + 65) / 20)                   beta_h = 1 / (1 + exp(-(V + 35) / 10))
//   alpha_n = 0.01 (V + 55) / (1 - exp(-(V + 55) / 10))  beta_n = 0.125 exp(-(V + 65) / 80)
//
// A spike is an upward crossing of V_th. Units (README, "Units"): ms, mV,
// uF/cm^2, mS/cm^2, and currents in uA/cm^2. V starts at V_init and each
// gate at its steady state there, x_inf = alpha_x / (alpha_x + beta_x).
// That is not the resting state: with BrainPy's gL = 0.03 (the classic 0.3
// would rest at -65 mV), an unstimulated neuron settles at -70.68 mV.
//
// Step size: with the default exp_euler, dt = 0.1 ms runs about 4 % slow at
// I = 5 (spikes every 19.0 ms where a fine RK4 reference has 18.3: 5 spikes
// in 100 ms instead of 6); dt = 0.01 keeps spike times within 0.5 ms over
// 100 ms, and rk4 at dt = 0.01 within 0.001 ms (tests/dyn/neurons.cpp).
#pragma once

#include <cmath>
#include <cstddef>
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

namespace hh_rates {
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V c(double value) {
  return detail::constant<V>(value);
}

// x / (1 - exp(-x / k)), continued by its limit k + x / 2 near x = 0.
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V ratio(const V& x, double k) {
  const auto small = math::abs(x) < c<V>(1e-4 * k);
  const V safe = math::select(small, c<V>(1), x);
  return math::select(small, c<V>(k) + c<V>(0.5) * x, safe / -math::expm1(safe * c<V>(-1 / k)));
}

// (alpha, beta) of gate m (0), h (1) or n (2) at v, in 1/ms.
template <int Gate, class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE std::tuple<V, V> rates(const V& v) {
  if constexpr (Gate == 0) {
    return {c<V>(0.1) * ratio(v + c<V>(40), 10.0), c<V>(4) * math::exp((v + c<V>(65)) * c<V>(-1 / 18.0))};
  } else if constexpr (Gate == 1) {
    return {c<V>(0.07) * math::exp((v + c<V>(65)) * c<V>(-1 / 20.0)),
            c<V>(1) / (c<V>(1) + math::exp((v + c<V>(35)) * c<V>(-1 / 10.0)))};
  } else {
    return {c<V>(0.01) * ratio(v + c<V>(55), 10.0),
            c<V>(0.125) * math::exp((v + c<V>(65)) * c<V>(-1 / 80.0))};
  }
}

// dx/dt = alpha (1 - x) - beta x, as slope x + offset.
template <int Gate, class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE linear<V> gate(const V& v) {
  const auto [alpha, beta] = rates<Gate>(v);
  return {-(alpha + beta), alpha};
}
}  // namespace hh_rates

/// The Hodgkin-Huxley neuron with BrainPy's parameters and rate functions
/// (brainpy.dyn.HH; Hodgkin & Huxley 1952): see the top of dyn/neurons/hh.hpp.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class HH : public Module<HH<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// BrainPy's defaults.
  struct Options {
    /// @{
    /// Sodium: reversal potential (mV) and maximal conductance (mS/cm^2).
    T ENa = T(50), gNa = T(120);
    /// @}
    /// @{
    /// Potassium: reversal potential (mV) and maximal conductance (mS/cm^2).
    T EK = T(-77), gK = T(36);
    /// @}
    /// @{
    /// Leak: reversal potential (mV) and conductance (mS/cm^2).
    T EL = T(-54.387), gL = T(0.03);
    /// @}
    T C = T(1);         ///< membrane capacitance (uF/cm^2)
    T V_th = T(20);     ///< spike threshold (mV), crossed upwards
    T V_init = T(-65);  ///< V's initial value (mV); the gates start at their steady states there
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T ENa{}, gNa{}, EK{}, gK{}, EL{}, gL{}, C{}, V_th{};
  /// @}
  /// @{
  /// The membrane potential V (mV) and the gates m, h, n.
  State<tensor_type> V, m, h, n;
  /// @}
  State<tensor_type> spike;  ///< 1 where V crossed V_th upwards this step, else 0
  MODYN_FIELDS(ENa, gNa, EK, gK, EL, gL, C, V_th, V, m, h, n, spike)

  HH() : HH(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit HH(Shape size, Options o = {})
      : ENa(o.ENa),
        gNa(o.gNa),
        EK(o.EK),
        gK(o.gK),
        EL(o.EL),
        gL(o.gL),
        C(o.C),
        V_th(o.V_th),
        V(size, o.V_init),
        m(size, steady<0>(o.V_init)),
        h(size, steady<1>(o.V_init)),
        n(size, steady<2>(o.V_init)),
        spike(size) {
    if (!(C > T(0))) throw config_error("dyn::HH: C must be > 0, got " + std::to_string(C));
    if (!(gNa >= T(0) && gK >= T(0) && gL >= T(0))) {
      throw config_error("dyn::HH: conductances must be >= 0, got gNa " + std::to_string(gNa) + ", gK " +
                         std::to_string(gK) + ", gL " + std::to_string(gL));
    }
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit HH(std::size_t size, Options o = {}) : HH(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns the spikes.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    if (!checked_at_start(c)) check_states();
    const T gna = gNa, gk = gK, gl = gL, ena = ENa, ek = EK, el = EL, inv_c = T(1) / C, v_th = V_th;
    const step_kernel kernel{gna, gk, gl, ena, ek, el, inv_c, v_th, c.t, c.dt};
    detail::fused_update<B, T>(execution_instance<B>(c), {"dyn::HH", this->name()}, V->shape(), size(),
                               kernel,
                               std::tuple{V->data(), m->data(), h->data(), n->data(),
                                          write_only(spike->data()), fired_.begin_step(V->size())},
                               inputs...);
    return *spike;
  }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& c) { return update(c, x); }

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
  void on_rebind(const HH<T, OtherBackend, Method>& source) {
    fired_ = SpikeList<B>(rebind_tag{}, source.fired());
  }

 private:
  void check_states() const { detail::match_states({"dyn::HH", this->name()}, V, m, h, n, spike); }

  SpikeList<B> fired_;

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T gna, gk, gl, ena, ek, el, inv_c, v_th;
    double t, dt;

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& gm, Vec& gh, Vec& gn, Vec& fired,
                                                          Mask& emitted, const Input& input) const {
      const Vec v_old = v;
      Method::step(
          [&](double, const Vec& u, const Vec& x_m, const Vec& x_h, const Vec& x_n) MODYN_INLINE_LAMBDA {
            const Vec g_na = Vec(gna) * x_m * x_m * x_m * x_h;
            const Vec n2 = x_n * x_n;
            const Vec g_k = Vec(gk) * n2 * n2;
            const linear<Vec> I = input(u);
            // C dV/dt = -(g_na + g_k + gL) Vec + g_na ENa + g_k EK + gL EL + I(Vec)
            const linear<Vec> dv{(I.slope - g_na - g_k - Vec(gl)) * Vec(inv_c),
                                 (g_na * Vec(ena) + g_k * Vec(ek) + Vec(gl * el) + I.offset) * Vec(inv_c)};
            return std::tuple{dv, hh_rates::gate<0>(u), hh_rates::gate<1>(u), hh_rates::gate<2>(u)};
          },
          t, dt, v, gm, gh, gn);
      const auto crossing = (v_old < Vec(v_th)) & (v >= Vec(v_th));
      fired = math::select(crossing, Vec(T(1)), Vec(T(0)));
      emitted = crossing;
    }
  };
  /// \endcond

 private:
  template <int Gate>
  static T steady(T v) {
    const auto [alpha, beta] = hh_rates::rates<Gate>(static_cast<double>(v));
    return static_cast<T>(alpha / (alpha + beta));
  }
};

}  // namespace modyn::dyn
