// dyn::HHTraubMiles: the Hodgkin-Huxley neuron with the Traub & Miles (1991)
// sodium and delayed-rectifier potassium channels, as in the COBAHH
// benchmark (Brette et al. 2007, benchmark 3; Brian2's COBAHH example;
// shared/BENCHMARKS.md):
//
//   Cm dV/dt = gl (El - V) - g_na m^3 h (V - ENa) - g_kd n^4 (V - EK) + I
//   dx/dt    = alpha_x (1 - x) - beta_x x          for x in m, h, n
//   with u = V - VT (mV) and rates in 1/ms:
//   alpha_m = 0.32 (13 - u) / (exp((13 - u) / 4) - 1)   beta_m = 0.28 (u - 40) / (exp((u - 40) / 5) - 1)
//   alpha_h = 0.128 exp((17 - u) / 18)                 beta_h = 4 / (1 + exp((40 - u) / 5))
//   alpha_n = 0.032 (15 - u) / (exp((15 - u) / 5) - 1) beta_n = 0.5 exp((10 - u) / 40)
//
// A spike where V > V_th (-20 mV) outside the refractory period (tau_ref,
// 3 ms, counted down as dyn::LIF does: round(tau_ref / dt) steps); V is
// not reset, the refractory period only keeps one action potential from
// counting as several.
//
// Units: ms, mV, and the benchmark's whole-cell ones: capacitance in pF,
// conductances in nS, currents in pA (nS x mV), so that a conductance input
// (COBA output) of g nS gives g (E - V) pA. The defaults are the
// benchmark's cell of 20000 um^2. V starts at El, the gates at 0 (Brian2's
// initial values; the benchmark randomises V).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>

#include "modyn/core/error.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

namespace traub_miles_rates {
using hh_rates::c;

// y / (exp(y) - 1) from em1 = exp(y) - 1, and its series
// 1 - y/2 + y^2/12 - y^4/720 + y^6/30240 for |y| < 0.3, where em1, formed
// from an exp, has lost digits (the series' error there is below 1e-10).
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V exprel_inverse(const V& y, const V& em1) {
  const auto small = math::abs(y) < c<V>(0.3);
  const V y2 = y * y;
  const V series =
      c<V>(1) + y * c<V>(-0.5) + y2 * (c<V>(1.0 / 12) + y2 * (c<V>(-1.0 / 720) + y2 * c<V>(1.0 / 30240)));
  return math::select(small, series, y / math::select(small, c<V>(1), em1));
}

// The three gates' dx/dt = alpha (1 - x) - beta x, as slope x + offset, at
// u = V - VT. Two exps for the six rates: w = exp(-u / 40) gives
// exp((10 - u) / 40) = w e^(1/4), exp((13 - u) / 4) = w^10 e^(13/4),
// exp((15 - u) / 5) = w^8 e^3 and exp((u - 40) / 5) = e^-8 / w^8 (relative
// error 10 ulps of w at most); alpha_h needs exp((17 - u) / 18) of its own.
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE std::tuple<linear<V>, linear<V>, linear<V>> gates(const V& u) {
  const V w = math::exp(u * c<V>(-1.0 / 40));
  const V w2 = w * w, w4 = w2 * w2, w8 = w4 * w4;
  const V e_m = w8 * w2 * c<V>(25.790339917193062);  // exp((13 - u) / 4); e^(13/4)
  const V e_n = w8 * c<V>(20.085536923187668);       // exp((15 - u) / 5); e^3
  const V e_b = c<V>(3.3546262790251185e-4) / w8;    // exp((u - 40) / 5); e^-8
  const V alpha_m = c<V>(1.28) * exprel_inverse((c<V>(13) - u) * c<V>(0.25), e_m - c<V>(1));
  const V beta_m = c<V>(1.4) * exprel_inverse((u - c<V>(40)) * c<V>(0.2), e_b - c<V>(1));
  const V alpha_h = c<V>(0.128) * math::exp((c<V>(17) - u) * c<V>(1.0 / 18));
  const V beta_h = c<V>(4) * e_b / (e_b + c<V>(1));
  const V alpha_n = c<V>(0.16) * exprel_inverse((c<V>(15) - u) * c<V>(0.2), e_n - c<V>(1));
  const V beta_n = c<V>(0.6420127083438707) * w;  // 0.5 e^(1/4)
  return {linear<V>{-(alpha_m + beta_m), alpha_m}, linear<V>{-(alpha_h + beta_h), alpha_h},
          linear<V>{-(alpha_n + beta_n), alpha_n}};
}
}  // namespace traub_miles_rates

/// The Hodgkin-Huxley neuron with Traub & Miles (1991) channels, as in the
/// COBAHH benchmark (Brette et al. 2007): see the top of dyn/neurons/hh_traub_miles.hpp.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class HHTraubMiles : public Module<HHTraubMiles<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// The COBAHH benchmark's cell (area 20000 um^2).
  struct Options {
    T Cm = T(200);      ///< pF
    T gl = T(10);       ///< nS
    T El = T(-60);      ///< mV
    T g_na = T(20000);  ///< nS
    T ENa = T(50);      ///< mV
    T g_kd = T(6000);   ///< nS
    T EK = T(-90);      ///< mV
    T VT = T(-63);      ///< mV, shifts the rate functions
    T V_th = T(-20);    ///< mV
    T tau_ref = T(3);   ///< ms
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T Cm{}, gl{}, El{}, g_na{}, ENa{}, g_kd{}, EK{}, VT{}, V_th{}, tau_ref{};
  /// @}
  /// @{
  /// The membrane potential V (mV) and the gates m, h, n.
  State<tensor_type> V, m, h, n;
  /// @}
  State<tensor_type> spike;            ///< 1 where the neuron fired this step, else 0
  State<tensor_type> refractory_left;  ///< ms, 0 when the neuron may fire
  MODYN_FIELDS(Cm, gl, El, g_na, ENa, g_kd, EK, VT, V_th, tau_ref, V, m, h, n, spike, refractory_left)

  HHTraubMiles() : HHTraubMiles(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit HHTraubMiles(Shape size, Options o = {})
      : Cm(o.Cm),
        gl(o.gl),
        El(o.El),
        g_na(o.g_na),
        ENa(o.ENa),
        g_kd(o.g_kd),
        EK(o.EK),
        VT(o.VT),
        V_th(o.V_th),
        tau_ref(o.tau_ref),
        V(size, o.El),
        m(size),
        h(size),
        n(size),
        spike(size),
        refractory_left(size) {
    if (!(Cm > T(0)) || !std::isfinite(Cm))
      throw config_error("dyn::HHTraubMiles: Cm must be > 0, got " + std::to_string(Cm));
    if (!(gl >= T(0) && g_na >= T(0) && g_kd >= T(0))) {
      throw config_error("dyn::HHTraubMiles: conductances must be >= 0, got gl " + std::to_string(gl) +
                         ", g_na " + std::to_string(g_na) + ", g_kd " + std::to_string(g_kd));
    }
    if (!(tau_ref >= T(0)))
      throw config_error("dyn::HHTraubMiles: tau_ref must be >= 0, got " + std::to_string(tau_ref));
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit HHTraubMiles(std::size_t size, Options o = {}) : HHTraubMiles(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns the spikes.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    if (!checked_at_start(c)) check_states();
    const step_kernel kernel{g_na,
                             g_kd,
                             gl,
                             ENa,
                             EK,
                             gl * El,
                             T(1) / Cm,
                             VT,
                             V_th,
                             tau_ref,
                             static_cast<T>(0.5 * c.dt),
                             static_cast<T>(c.dt),
                             c.t,
                             c.dt};
    detail::fused_update<B, T>(
        execution_instance<B>(c), {"dyn::HHTraubMiles", this->name()}, V->shape(), size(), kernel,
        std::tuple{V->data(), m->data(), h->data(), n->data(), write_only(spike->data()),
                   refractory_left->data(), fired_.begin_step(V->size())},
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
  void on_rebind(const HHTraubMiles<T, OtherBackend, Method>& source) {
    fired_ = SpikeList<B>(rebind_tag{}, source.fired());
  }

 private:
  void check_states() const {
    detail::match_states({"dyn::HHTraubMiles", this->name()}, V, m, h, n, spike, refractory_left);
  }

  SpikeList<B> fired_;

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  struct step_kernel {
    T gna, gkd, gl, ena, ek, gl_el, inv_c, vt, v_th, t_ref, half_step, step;
    double t, dt;

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& gm, Vec& gh, Vec& gn, Vec& fired,
                                                          Vec& left, Mask& emitted,
                                                          const Input& input) const {
      Method::step(
          [&](double, const Vec& u, const Vec& x_m, const Vec& x_h, const Vec& x_n) MODYN_INLINE_LAMBDA {
            const Vec g_sodium = Vec(gna) * x_m * x_m * x_m * x_h;
            const Vec n2 = x_n * x_n;
            const Vec g_potassium = Vec(gkd) * n2 * n2;
            const linear<Vec> I = input(u);
            const linear<Vec> dv{
                (I.slope - g_sodium - g_potassium - Vec(gl)) * Vec(inv_c),
                (g_sodium * Vec(ena) + g_potassium * Vec(ek) + Vec(gl_el) + I.offset) * Vec(inv_c)};
            const auto [dm, dh, dn] = traub_miles_rates::gates(u - Vec(vt));
            return std::tuple{dv, dm, dh, dn};
          },
          t, dt, v, gm, gh, gn);
      const auto free = !(left > Vec(half_step));
      const auto spiking = free & (v > Vec(v_th));
      fired = math::select(spiking, Vec(T(1)), Vec(T(0)));
      emitted = spiking;
      left = math::select(spiking, Vec(t_ref), math::max(left - Vec(step), Vec(T(0))));
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
