// dyn::DualExpon: the dual exponential ("difference of two exponentials")
// synapse, as brainpy.state.DualExpon (Roth & van Rossum 2009; Sterratt et
// al. 2011, ch. 7):
//
//   dg_rise/dt  = -g_rise / tau_rise   + sum_k x_k delta(t - t_k)
//   dg_decay/dt = -g_decay / tau_decay + sum_k x_k delta(t - t_k)
//   g = A (g_decay - g_rise)
//
// so that a unit impulse at t = 0 gives g(t) = A (exp(-t / tau_decay) -
// exp(-t / tau_rise)), which rises with tau_rise, decays with tau_decay and
// peaks at
//   t_peak = tau_rise tau_decay / (tau_decay - tau_rise) ln(tau_decay / tau_rise).
// BrainPy's default A (normalize=True, amplitude 1) is the inverse of that
// peak, so that the impulse response peaks at 1:
//   A = tau_decay / (tau_decay - tau_rise) (tau_rise / tau_decay)^(tau_rise / (tau_rise - tau_decay)).
// Other normalisations are an A away: brainpy.dyn.DualExponV2 (and the h / g
// form of brainpy.dyn.DualExpon, dg/dt = -g / tau_decay + h,
// dh/dt = -h / tau_rise) use A = tau_rise tau_decay / (tau_decay - tau_rise).
//
// Each step, both traces decay exactly over dt (exponential Euler, exact for
// these linear ODEs; the factors are computed once per step), then x, what
// arrives in this step, is added to both, then g is computed: one pass.
// BrainPy's defaults: tau_decay = 10 ms, tau_rise = 1 ms.
#pragma once

#include <cmath>
#include <cstddef>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

#include "modyn/backend/backend.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/dyn/detail/fused_update.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// The dual exponential synapse (brainpy.state.DualExpon): g = A (g_decay -
/// g_rise), two traces that decay with tau_decay and tau_rise; see the top of
/// dyn/synapses/dual_expon.hpp. T: the element type; B: the backend.
template <class T = float, class B = default_backend>
class DualExpon : public Module<DualExpon<T, B>> {
  static_assert(std::is_floating_point_v<T>,
                "dyn::DualExpon<T>: T must be a floating-point type such as float");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs

  /// BrainPy's defaults.
  struct Options {
    T tau_decay = T(10);   ///< decay time constant (ms)
    T tau_rise = T(1);     ///< rise time constant (ms), < tau_decay
    std::optional<T> A{};  ///< the output's factor; by default, 1 / the impulse response's peak
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T tau_decay{}, tau_rise{};
  /// @}
  T A{};                       ///< set at construction (changing the time constants later keeps it)
  State<tensor_type> g_rise;   ///< the trace that decays with tau_rise, starts at 0
  State<tensor_type> g_decay;  ///< the trace that decays with tau_decay, starts at 0
  State<tensor_type> g;        ///< the output A (g_decay - g_rise), written by each update
  MODYN_FIELDS(tau_decay, tau_rise, A, g_rise, g_decay, g)

  DualExpon() : DualExpon(1) {}
  /// A population of synapses of per-sample shape `size`, with the parameters of o.
  explicit DualExpon(Shape size, Options o = {})
      : tau_decay(o.tau_decay), tau_rise(o.tau_rise), g_rise(size), g_decay(size), g(size) {
    if (!(tau_rise > T(0)) || !std::isfinite(tau_rise)) {
      throw config_error("dyn::DualExpon: tau_rise must be > 0 and finite, got " + std::to_string(tau_rise));
    }
    if (!(tau_decay > tau_rise) || !std::isfinite(tau_decay)) {
      throw config_error(
          "dyn::DualExpon: tau_decay must be finite and > tau_rise = " + std::to_string(tau_rise) + ", got " +
          std::to_string(tau_decay) + " (for equal time constants use dyn::Alpha)");
    }
    A = o.A ? *o.A : peak_normalization(tau_rise, tau_decay);
    if (!std::isfinite(A)) throw config_error("dyn::DualExpon: A must be finite, got " + std::to_string(A));
  }
  /// A population of `size` synapses, with the parameters of o.
  explicit DualExpon(std::size_t size, Options o = {}) : DualExpon(Shape{size}, o) {}

  /// 1 / max_t (exp(-t / tau_decay) - exp(-t / tau_rise)), BrainPy's default A.
  static T peak_normalization(T rise, T decay) {
    const double r = rise, d = decay;
    return static_cast<T>(d / (d - r) * std::pow(r / d, r / (r - d)));
  }

  /// The per-sample shape of the synapses.
  const Shape& size() const noexcept { return g.sample_shape(); }

  /// One step of dt: both traces decay, the sum of the inputs is added to
  /// both, g = A (g_decay - g_rise). Inputs as for dyn::Expon (numbers,
  /// tensors of the synapses' shape or of the per-sample shape). Returns g.
  template <class... Inputs>
  requires((NeuronInput<Inputs, T> &&
            !InputTerm<Inputs>)&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    const detail::population who{"dyn::DualExpon", this->name()};
    if (!checked_at_start(c)) check_states();
    [[maybe_unused]] std::size_t position = 0;
    (check_input(who, position++, inputs), ...);
    const T rise_decay = static_cast<T>(std::exp(-c.dt / static_cast<double>(tau_rise)));
    const T decay_decay = static_cast<T>(std::exp(-c.dt / static_cast<double>(tau_decay)));
    const T a = A;
    const step_kernel kernel{rise_decay, decay_decay, a};
    detail::fused_update<B, T>(execution_instance<B>(c), who, g->shape(), size(), kernel,
                               std::tuple{g_rise->data(), g_decay->data(), write_only(g->data())}, inputs...);
    return *g;
  }

  /// The States of the population share one shape: checked once when a
  /// run starts (LoopOverTime calls this), and by update outside a run.
  void begin_run(const Context&) const { check_states(); }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires(NeuronInput<X, T> && !InputTerm<X>) const tensor_type& update(const X& x, const Context& c) {
    return update(c, x);
  }

 private:
  void check_states() const { detail::match_states({"dyn::DualExpon", this->name()}, g_rise, g_decay, g); }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T rise_decay, decay_decay, a;

    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& rise, Vec& decay, Vec& out,
                                                          const Input& input) const {
      const Vec x = input(Vec(T(0))).offset;  // numbers and tensors: slope 0, offset their sum
      rise = rise * Vec(rise_decay) + x;
      decay = decay * Vec(decay_decay) + x;
      out = Vec(a) * (decay - rise);
    }
  };
  /// \endcond

 private:
  template <class X>
  void check_input(const detail::population& who, std::size_t position, const X& x) const {
    if constexpr (TensorLike<X>) {
      const Shape& shape = g->shape();
      if (x.shape() == shape || (x.shape() == size() && shape.rank() == size().rank() + 1)) return;
      std::string message = who.describe() + ": input " + std::to_string(position) + " has shape " +
                            x.shape().to_string() + ", but the synapses have shape " + shape.to_string();
      if (shape.rank() == size().rank() + 1) {
        message += " (an input may also have the per-sample shape " + size().to_string() + ")";
      }
      throw shape_error(message);
    }
  }
};

}  // namespace modyn::dyn
