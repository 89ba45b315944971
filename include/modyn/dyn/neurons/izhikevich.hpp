// dyn::Izhikevich: the simple model of Izhikevich (2003), as
// brainpy.dyn.Izhikevich:
//
//   dV/dt = 0.04 V^2 + 5 V + 140 - u + I
//   du/dt = a (b V - u)
//   V >= V_th  ->  spike, V = c, u = u + d
//
// The standard parameter sets of the paper's figure 2 are in
// dyn::izhikevich (regular_spiking, fast_spiking, ...). Units (README,
// "Units"): ms and mV; currents in mV/ms, as in the paper. V starts at
// V_init and u at b V_init.
//
// Exponential Euler sees dV/dt linearised at the step's start, with the
// tangent slope 0.08 V + 5 (the Jacobian BrainPy's exp_auto differentiates).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/core/error.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

/// The parameter sets of Izhikevich (2003), figure 2.
namespace izhikevich {
/// One of the paper's parameter sets. (Not an aggregate, so that braced
/// Options, Izhikevich(n, {.a = ...}), are never ambiguous with it.)
struct parameter_set {
  /// @{
  /// The model's a, b, c, d.
  double a, b, c, d;
  /// @}
  /// The set (a, b, c, d).
  constexpr parameter_set(double a_, double b_, double c_, double d_) : a(a_), b(b_), c(c_), d(d_) {}
};
inline constexpr parameter_set regular_spiking{0.02, 0.2, -65, 8};         ///< RS: regular spiking
inline constexpr parameter_set intrinsically_bursting{0.02, 0.2, -55, 4};  ///< IB: intrinsically bursting
inline constexpr parameter_set chattering{0.02, 0.2, -50, 2};              ///< CH: chattering
inline constexpr parameter_set fast_spiking{0.1, 0.2, -65, 2};             ///< FS: fast spiking
inline constexpr parameter_set low_threshold_spiking{0.02, 0.25, -65, 2};  ///< LTS: low-threshold spiking
inline constexpr parameter_set thalamo_cortical{0.02, 0.25, -65, 0.05};    ///< TC: thalamo-cortical
inline constexpr parameter_set resonator{0.1, 0.26, -65, 2};               ///< RZ: resonator
}  // namespace izhikevich

/// The simple model of Izhikevich (2003; brainpy.dyn.Izhikevich): see the
/// top of this file for its equations.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class Izhikevich : public Module<Izhikevich<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// Regular spiking by default, as BrainPy.
  struct Options {
    /// @{
    /// The model's a (recovery rate), b (sensitivity of u to V), c (V after a
    /// spike, mV) and d (added to u at a spike).
    T a = T(0.02), b = T(0.2), c = T(-65), d = T(8);
    /// @}
    T V_th = T(30);     ///< spike threshold (mV)
    T V_init = T(-65);  ///< V's initial value (mV); u starts at b V_init

    /// Options with one of the paper's parameter sets (izhikevich::regular_spiking, ...).
    static Options from(izhikevich::parameter_set p) {
      return {
          static_cast<T>(p.a), static_cast<T>(p.b), static_cast<T>(p.c), static_cast<T>(p.d), T(30), T(-65)};
    }
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T a{}, b{}, c{}, d{}, V_th{};
  /// @}
  State<tensor_type> V;      ///< membrane potential (mV)
  State<tensor_type> u;      ///< recovery variable
  State<tensor_type> spike;  ///< 1 where the neuron fired this step, else 0
  MODYN_FIELDS(a, b, c, d, V_th, V, u, spike)

  Izhikevich() : Izhikevich(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit Izhikevich(Shape size, Options o = {})
      : a(o.a),
        b(o.b),
        c(o.c),
        d(o.d),
        V_th(o.V_th),
        V(size, o.V_init),
        u(size, o.b * o.V_init),
        spike(size) {
    const T checked[] = {o.a, o.b, o.c, o.d, o.V_th, o.V_init};  // (nvcc cannot range-for a braced list)
    for (const T value : checked) {
      if (!std::isfinite(value)) {
        throw config_error("dyn::Izhikevich: a, b, c, d, V_th and V_init must be finite, got " +
                           std::to_string(o.a) + ", " + std::to_string(o.b) + ", " + std::to_string(o.c) +
                           ", " + std::to_string(o.d) + ", " + std::to_string(o.V_th) + ", " +
                           std::to_string(o.V_init));
      }
    }
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit Izhikevich(std::size_t size, Options o = {}) : Izhikevich(Shape{size}, o) {}
  /// A population of per-sample shape `size` with one of the paper's parameter sets.
  Izhikevich(Shape size, izhikevich::parameter_set p) : Izhikevich(std::move(size), Options::from(p)) {}
  /// A population of `size` neurons with one of the paper's parameter sets.
  Izhikevich(std::size_t size, izhikevich::parameter_set p) : Izhikevich(Shape{size}, Options::from(p)) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns the spikes.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& ctx,
                                                                  const Inputs&... inputs) {
    if (!checked_at_start(ctx)) check_states();
    const T ka = a, kb = b, kc = c, kd = d, v_th = V_th;
    const step_kernel kernel{ka, kb, kc, kd, v_th, ctx.t, ctx.dt};
    detail::fused_update<B, T>(
        execution_instance<B>(ctx), {"dyn::Izhikevich", this->name()}, V->shape(), size(), kernel,
        std::tuple{V->data(), u->data(), write_only(spike->data()), fired_.begin_step(V->size())}, inputs...);
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
  void on_rebind(const Izhikevich<T, OtherBackend, Method>& source) {
    fired_ = SpikeList<B>(rebind_tag{}, source.fired());
  }

 private:
  void check_states() const { detail::match_states({"dyn::Izhikevich", this->name()}, V, u, spike); }

  SpikeList<B> fired_;

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T ka, kb, kc, kd, v_th;
    double t, dt;

    template <class Vec, class Mask, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& w, Vec& fired, Mask& emitted,
                                                          const Input& input) const {
      Method::step(
          [&](double, const Vec& x, const Vec& y) MODYN_INLINE_LAMBDA {
            const linear<Vec> I = input(x);
            // f(x) = 0.04 x^2 + 5 x + 140 - y + I(x), as its tangent at x.
            const linear<Vec> dv{Vec(T(0.08)) * x + Vec(T(5)) + I.slope,
                                 Vec(T(140)) - y - Vec(T(0.04)) * x * x + I.offset};
            return std::tuple{dv, linear<Vec>{Vec(-ka), Vec(ka * kb) * x}};
          },
          t, dt, v, w);
      const auto spiking = v >= Vec(v_th);
      fired = math::select(spiking, Vec(T(1)), Vec(T(0)));
      emitted = spiking;
      v = math::select(spiking, Vec(kc), v);
      w = math::select(spiking, w + Vec(kd), w);
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
