// dyn::LeakyIntegrator: a leaky integrator without spikes, for readouts
// (brainpy.dyn.Leaky / brainpy.neurons.LeakyIntegrator):
//
//   tau dV/dt = -(V - V_rest) + R I
//
// update returns V. It has no spike State: it never fires, and a readout's
// output is its potential (a classifier reads V, or its mean over time).
// Units (README, "Units"): ms and mV.
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
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// A leaky integrator without spikes, for readouts (brainpy.dyn.Leaky):
/// tau dV/dt = -(V - V_rest) + R I; update returns V.
/// T: the element type; B: the backend; Method: the integrator (exp_euler,
/// euler, rk2, rk4; dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class LeakyIntegrator : public Module<LeakyIntegrator<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// BrainPy's defaults.
  struct Options {
    T V_rest = T(0);  ///< resting potential, and V's initial value (mV)
    T tau = T(10);    ///< ms
    T R = T(1);       ///< membrane resistance
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T V_rest{}, tau{}, R{};
  /// @}
  State<tensor_type> V;  ///< starts at V_rest
  MODYN_FIELDS(V_rest, tau, R, V)

  LeakyIntegrator() : LeakyIntegrator(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit LeakyIntegrator(Shape size, Options o = {})
      : V_rest(o.V_rest), tau(o.tau), R(o.R), V(size, o.V_rest) {
    if (!(tau > T(0)) || !std::isfinite(tau)) {
      throw config_error("dyn::LeakyIntegrator: tau must be > 0, got " + std::to_string(tau));
    }
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit LeakyIntegrator(std::size_t size, Options o = {}) : LeakyIntegrator(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt from c.t with the sum of the inputs (numbers, tensors,
  /// conductance terms; see input_terms.hpp). Returns V.
  template <class... Inputs>
  requires(NeuronInput<Inputs, T>&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    const T leak = T(-1) / tau, gain = R / tau, drive = V_rest / tau;
    const step_kernel kernel{leak, gain, drive, c.t, c.dt};
    detail::fused_update<B, T>(execution_instance<B>(c), {"dyn::LeakyIntegrator", this->name()}, V->shape(),
                               size(), kernel, std::tuple{V->data()}, inputs...);
    return *V;
  }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& c) { return update(c, x); }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T leak, gain, drive;
    double t, dt;

    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, const Input& input) const {
      Method::step(
          [&](double, const Vec& u) MODYN_INLINE_LAMBDA {
            const linear<Vec> I = input(u);
            return linear<Vec>{Vec(leak) + Vec(gain) * I.slope, Vec(drive) + Vec(gain) * I.offset};
          },
          t, dt, v);
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
