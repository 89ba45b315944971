// dyn::Alpha: the alpha synapse, in brainpy.dyn.Alpha's form (Sterratt et
// al., Principles of Computational Modelling in Neuroscience, 2011, ch. 7):
//
//   dg/dt = -g / tau_decay + h
//   dh/dt = -h / tau_decay + sum_k x_k delta(t - t_k)
//
// (brainpy.dyn.Alpha is its DualExpon, in this h / g form, with
// tau_rise = tau_decay; default tau_decay = 10 ms.) A unit impulse at t = 0
// gives h(t) = exp(-t / tau_decay) and
//   g(t) = t exp(-t / tau_decay),
// which peaks at t = tau_decay with the value tau_decay / e.
// (brainpy.state.Alpha writes dg/dt = -g / tau + h / tau instead: the same
// curve divided by tau.)
//
// Each step advances (h, g) exactly over dt, then adds x, what arrives in
// this step, to h. The system is linear with one time constant, so its exact
// propagator (Rotter & Diesmann 1999) is, with E = exp(-dt / tau_decay):
//   g <- E (g + dt h),   h <- E h + x,
// and the impulse response above holds at every step k (t = k dt) to float
// rounding. (BrainPy's 'exp_auto' freezes h over a step, giving
// g <- E g + tau_decay (1 - E) h: exact only as dt -> 0.)
#pragma once

#include <cmath>
#include <cstddef>
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

/// The alpha synapse (brainpy.dyn.Alpha): g rises through h and decays, both
/// with tau_decay; see the top of dyn/synapses/alpha.hpp. T: the element type; B: the
/// backend.
template <class T = float, class B = default_backend>
class Alpha : public Module<Alpha<T, B>> {
  static_assert(std::is_floating_point_v<T>, "dyn::Alpha<T>: T must be a floating-point type such as float");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs

  /// BrainPy's default.
  struct Options {
    T tau_decay = T(10);  ///< time constant (ms) of the rise and of the decay
  };

  T tau_decay{};         ///< the time constant (ms), as Options sets it
  State<tensor_type> h;  ///< the rising variable, starts at 0
  State<tensor_type> g;  ///< the synaptic variable (conductance), starts at 0
  MODYN_FIELDS(tau_decay, h, g)

  Alpha() : Alpha(1) {}
  /// A population of synapses of per-sample shape `size`, with the parameters of o.
  explicit Alpha(Shape size, Options o = {}) : tau_decay(o.tau_decay), h(size), g(size) {
    if (!(tau_decay > T(0)) || !std::isfinite(tau_decay)) {
      throw config_error("dyn::Alpha: tau_decay must be > 0 and finite, got " + std::to_string(tau_decay));
    }
  }
  /// A population of `size` synapses, with the parameters of o.
  explicit Alpha(std::size_t size, Options o = {}) : Alpha(Shape{size}, o) {}

  /// The per-sample shape of the synapses.
  const Shape& size() const noexcept { return g.sample_shape(); }

  /// One step of dt: (h, g) advanced exactly, then the sum of the inputs added
  /// to h. Inputs as for dyn::Expon (numbers, tensors of the synapses' shape
  /// or of the per-sample shape). Returns g.
  template <class... Inputs>
  requires((NeuronInput<Inputs, T> &&
            !InputTerm<Inputs>)&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    const detail::population who{"dyn::Alpha", this->name()};
    if (!checked_at_start(c)) check_states();
    [[maybe_unused]] std::size_t position = 0;
    (check_input(who, position++, inputs), ...);
    const T decay = static_cast<T>(std::exp(-c.dt / static_cast<double>(tau_decay)));
    const T dt = static_cast<T>(c.dt);
    const step_kernel kernel{decay, dt};
    detail::fused_update<B, T>(execution_instance<B>(c), who, g->shape(), size(), kernel,
                               std::tuple{h->data(), g->data()}, inputs...);
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
  void check_states() const { detail::match_states({"dyn::Alpha", this->name()}, h, g); }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T decay, dt;

    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& h_value, Vec& g_value,
                                                          const Input& input) const {
      g_value = Vec(decay) * (g_value + Vec(dt) * h_value);
      h_value =
          h_value * Vec(decay) + input(Vec(T(0))).offset;  // numbers and tensors: slope 0, offset their sum
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
