// dyn::Expon: the exponential synapse (brainpy.dyn.Expon, brainpy.state.Expon;
// Sterratt et al., Principles of Computational Modelling in Neuroscience,
// 2011, ch. 7; Roth & van Rossum 2009):
//
//   dg/dt = -g / tau + sum_k x_k delta(t - t_k)
//
// Each step first lets g decay over dt, then adds x, what arrives in this
// step (the weighted spikes), as brainstate's Expon.update does
// (g = exp_euler_step(-g / tau) + x):
//
//   g(t + dt) = g(t) exp(-dt / tau) + x.
//
// Exponential Euler, BrainPy's default method for it ('exp_auto'), is exact
// for this linear ODE (integrators.hpp). Its factor exp(-dt / tau) is the same
// for every element, so it is computed once per step (in double) instead of
// in the kernel: the pass is one multiply-add per element, and a unit impulse
// given at step 0 is exp(-k dt / tau) at step k, to float rounding. Another
// Method gives its own factor, one step of it from g = 1: euler's is
// 1 - dt / tau (what Brian2's COBA benchmark integrates, BENCHMARKS.md).
//
//   dyn::Expon syn(100, {.tau = 5.f});
//   const auto& g = syn.update(weighted_spikes, ctx);   // (100,) or (B, 100)
//   lif(ctx, coba(g));                                  // outputs.hpp
//
// Training (module/differentiable.hpp), for the tensor-input step
// update(x, ctx): g is linear in x and in the previous g, so the tape needs
// no copy of them, only the step's factor and shapes; backward adds the
// step's output gradient to the carried g_grad(), returns it as d loss / d x
// (summed over the batch for an input of the per-sample shape) and carries
// it, times the factor, to the step before. tau is a constant (no Param).
//
// Units as everywhere in dyn/: ms, and g in the unit of x.
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
#include "modyn/dyn/integrators.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// The exponential synapse (brainpy.dyn.Expon): g decays with tau and each
/// input adds to it; see the top of dyn/synapses/expon.hpp. T: the element type; B: the
/// backend; Method: the integrator of the decay (dyn/integrators.hpp).
template <class T = float, class B = default_backend, Integrator Method = exp_euler>
class Expon : public Module<Expon<T, B, Method>> {
  static_assert(std::is_floating_point_v<T>, "dyn::Expon<T>: T must be a floating-point type such as float");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using method = Method;             ///< the integrator (dyn/integrators.hpp)

  /// BrainPy's default.
  struct Options {
    T tau = T(8);  ///< decay time constant (ms)
  };

  T tau{};               ///< the decay time constant (ms), as Options sets it
  State<tensor_type> g;  ///< the synaptic variable (conductance), starts at 0
  MODYN_FIELDS(tau, g)

  Expon() : Expon(1) {}
  /// A population of synapses of per-sample shape `size`, with the parameters of o.
  explicit Expon(Shape size, Options o = {}) : tau(o.tau), g(size) {
    if (!(tau > T(0)) || !std::isfinite(tau)) {
      throw config_error("dyn::Expon: tau must be > 0 and finite, got " + std::to_string(tau));
    }
  }
  /// A population of `size` synapses, with the parameters of o.
  explicit Expon(std::size_t size, Options o = {}) : Expon(Shape{size}, o) {}

  /// The per-sample shape of the synapses.
  const Shape& size() const noexcept { return g.sample_shape(); }

  /// One step of dt: g decays, then the sum of the inputs is added. An input
  /// is a number (the same for every synapse), or a tensor of the synapses'
  /// shape, or of the per-sample shape (broadcast over the batch axis); not a
  /// term of input_terms.hpp (those depend on a membrane potential).
  /// Returns g.
  template <class... Inputs>
  requires((NeuronInput<Inputs, T> &&
            !InputTerm<Inputs>)&&...) const tensor_type& update(const Context& c, const Inputs&... inputs) {
    const detail::population who{"dyn::Expon", this->name()};
    [[maybe_unused]] std::size_t position = 0;
    (check_input(who, position++, inputs), ...);
    const T decay = decay_factor(c.dt);
    // input(v) is the inputs' sum as a linear function of a membrane
    // potential (input_terms.hpp); plain numbers and tensors have slope 0,
    // so its offset is the sum.
    const step_kernel kernel{decay};
    detail::fused_update<B, T>(execution_instance<B>(c), who, g->shape(), size(), kernel,
                               std::tuple{g->data()}, inputs...);
    return *g;
  }

  /// The synapse as an input of the neurons it drives, with its decay fused
  /// into their pass: the neuron reads g through `output` (COBA, CUBA,
  /// MgBlock), then stores g exp(-dt / tau) back. No pass of its own:
  ///
  ///     syn.deliver(weighted_spikes);                  // g += x
  ///     lif(ctx, syn.decaying_into(coba, ctx));        // input from g; g decays
  ///
  /// gives the neuron the same input as
  ///
  ///     lif(ctx, coba(syn.update(ctx, weighted_spikes)));
  ///
  /// to float rounding (the compiler may contract g decay + x into one FMA in
  /// update, and cannot here),
  /// and g is held decayed between steps (g(t) exp(-dt / tau), to which the
  /// next step's input is added), so a monitor of g sees it one decay later.
  ///
  /// `arrival`, a number, is added to every g in this step before the neurons
  /// read it (a constant drive, what update(ctx, arrival) adds), in the same
  /// pass: lif(ctx, syn.decaying_into(coba, ctx, x)) is the whole step.
  template <class Output>
  auto decaying_into(const Output& output, const Context& c, std::type_identity_t<T> arrival = T(0)) {
    const auto term = output.update(*g);
    const T decay = decay_factor(c.dt);
    return decaying_term<std::remove_cvref_t<decltype(term)>>{term, g->data(), decay, arrival};
  }

  /// Adds what arrives in this step (numbers, or tensors of the synapses'
  /// shape or per-sample shape) to g, without the decay (which the neurons'
  /// pass applies, see decaying_into).
  template <class... Inputs>
  requires((NeuronInput<Inputs, T> &&
            !InputTerm<Inputs>)&&...) const tensor_type& deliver(const Inputs&... inputs) {
    const detail::population who{"dyn::Expon", this->name()};
    [[maybe_unused]] std::size_t position = 0;
    (check_input(who, position++, inputs), ...);
    detail::fused_update<B, T>(B::instance_of(ExecutionInstances{}), who, g->shape(), size(), add_kernel{},
                               std::tuple{g->data()}, inputs...);
    return *g;
  }

  /// The form LoopOverTime calls: one input and the context.
  template <class X>
  requires(NeuronInput<X, T> && !InputTerm<X>) const tensor_type& update(const X& x, const Context& c) {
    return update(c, x);
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    Shape input_shape;  ///< the step's input
    Shape g_shape;      ///< g's, the output's
    T decay = T(0);     ///< the step's g(t + dt) / g(t)
  };

  /// update(x, c), the same pass, noting what backward needs.
  template <TensorLike X>
  requires std::is_same_v<tensor_value_t<X>, T>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& c) {
    tape.input_shape = x.shape();
    tape.g_shape = g->shape();
    tape.decay = decay_factor(c.dt);
    return update(c, x);
  }

  /// d loss / d g, carried from step to step.
  const tensor_type& g_grad() const noexcept { return g_grad_; }

  /// Zeroes the carried gradients with the States' shapes: once, before
  /// the latest step's backward.
  void begin_backward() {
    g_grad_.ensure_shape(g->shape());
    B::map(g_grad_.size(), modyn::detail::fill_kernel<T>{T(0)}, write_only(g_grad_.data()));
  }

  /// g(t + dt) = g(t) decay + x: d loss / d x = gy + g_grad (the output's and
  /// the next step's), and g_grad becomes that times decay.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    if (!(grad_out.shape() == tape.g_shape)) {
      throw shape_error("dyn::Expon '" + this->name() + "': backward expected a gradient of shape " +
                        tape.g_shape.to_string() + " (g's), got " + grad_out.shape().to_string());
    }
    if (!(g_grad_.shape() == tape.g_shape)) {
      throw config_error("dyn::Expon '" + this->name() + "': the carried gradient has shape " +
                         g_grad_.shape().to_string() + ", the step's g " + tape.g_shape.to_string() +
                         ": call begin_backward() before the backward of the latest step");
    }
    const std::size_t total = g_grad_.size();
    const T* gy = static_cast<const T*>(grad_out.data());
    const backward_kernel kernel{tape.decay};
    if (input_grad == InputGrad::no) {
      B::map(total, kernel, gy, g_grad_.data());
      return no_input_grad(empty_grad_);
    }
    const bool per_sample = !(tape.input_shape == tape.g_shape);
    tensor_type& full = per_sample ? rows_grad_ : input_grad_;
    full.ensure_shape(tape.g_shape);
    B::map(total, kernel, gy, g_grad_.data(), write_only(full.data()));
    if (per_sample) {
      // An input of the per-sample shape, broadcast over the batch: its
      // gradient is the sum over the batch.
      const std::size_t n = tape.input_shape.size();
      input_grad_.ensure_shape(tape.input_shape);
      B::map(n, modyn::detail::fill_kernel<T>{T(0)}, write_only(input_grad_.data()));
      add_row_sums<B>(rows_grad_.data(), total / n, n, input_grad_.data());
    }
    return input_grad_;
  }

  /// g(t + dt) / g(t) without input: one step of Method from g = 1.
  T decay_factor(double dt) const {
    const double slope = -1.0 / static_cast<double>(tau);
    double factor = 1.0;
    Method::step([slope](double, const double&) { return linear<double>{slope, 0.0}; }, 0.0, dt, factor);
    return static_cast<T>(factor);
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// g += the step's input.
  struct add_kernel {
    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& g_value, const Input& input) const {
      g_value = g_value + input(Vec(T(0))).offset;
    }
  };

  /// One step of one element (a kernel of B::map, through fused_update).
  struct step_kernel {
    T decay;

    template <class Vec, class Input>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& g_value, const Input& input) const {
      g_value = g_value * Vec(decay) + input(Vec(T(0))).offset;
    }
  };

  /// The backward pass of one element: (d loss / d g of the output, d loss /
  /// d g carried (in: after the step, out: before it), [d loss / d x]).
  struct backward_kernel {
    T decay;

    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gy, Vec& carried, Vec& gx) const {
      gx = gy + carried;
      carried = gx * Vec(decay);
    }
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gy, Vec& carried) const {
      carried = (gy + carried) * Vec(decay);
    }
  };
  /// \endcond

 private:
  // A tensor input has the synapses' shape, or their per-sample shape when
  // they have a batch axis. (fused_update checks too, in words for neurons.)
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

  tensor_type g_grad_;
  tensor_type input_grad_;
  tensor_type rows_grad_;   // d loss / d x per row, for an input of the per-sample shape
  tensor_type empty_grad_;  // what backward returns with InputGrad::no
};

}  // namespace modyn::dyn
