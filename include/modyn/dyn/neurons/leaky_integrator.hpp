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

#include "modyn/compose/context.hpp"
#include "modyn/core/error.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_current.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class LeakyIntegrator : public Module<LeakyIntegrator<T, B, Method>> {
 public:
  using tensor_type = Tensor<T, B>;
  using method = Method;

  struct Options {
    T V_rest = T(0);
    T tau = T(10);  // ms
    T R = T(1);
  };

  T V_rest{}, tau{}, R{};
  State<tensor_type> V;  // starts at V_rest
  MODYN_FIELDS(V_rest, tau, R, V)

  LeakyIntegrator() : LeakyIntegrator(1) {}
  explicit LeakyIntegrator(Shape size, Options o = {}) : V_rest(o.V_rest), tau(o.tau), R(o.R), V(size, o.V_rest) {
    if (!(tau > T(0)) || !std::isfinite(tau)) {
      throw config_error("dyn::LeakyIntegrator: tau must be > 0, got " + std::to_string(tau));
    }
  }
  explicit LeakyIntegrator(std::size_t size, Options o = {}) : LeakyIntegrator(Shape{size}, o) {}

  const Shape& size() const noexcept { return V.sample_shape(); }

  template <class... Inputs>
    requires(NeuronInput<Inputs, T> && ...)
  const tensor_type& update(const Context& c, const Inputs&... inputs) {
    const T leak = T(-1) / tau, gain = R / tau, drive = V_rest / tau;
    const auto kernel = [=](auto& v, const auto& input) {
      using V = std::remove_cvref_t<decltype(v)>;
      Method::step(
          [&](double, const V& u) {
            const linear<V> I = input(u);
            return linear<V>{V(leak) + V(gain) * I.slope, V(drive) + V(gain) * I.offset};
          },
          c.t, c.dt, v);
    };
    detail::fused_update<B, T>({"dyn::LeakyIntegrator", this->name()}, V->shape(), size(), kernel,
                               std::tuple{V->data()}, inputs...);
    return *V;
  }

  template <class X>
    requires NeuronInput<X, T>
  const tensor_type& update(const X& x, const Context& c) {
    return update(c, x);
  }
};

}  // namespace modyn::dyn
