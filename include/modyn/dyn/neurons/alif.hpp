// dyn::ALIF: the adaptive leaky integrate-and-fire neuron made for gradient
// training (brainpy.state's / brainstate's ALIF; the LSNN neuron of Bellec et
// al. 2018, "Long short-term memory and learning-to-learn in networks of
// spiking neurons", NeurIPS). dyn::PLIF (plif.hpp) with an adaptation a that
// raises the threshold after each spike. One step of dt, forward Euler:
//
//   V_pre = V + dt / tau (-(V - V_rest) + R I)
//   s     = surrogate.forward(V_pre - (V_th + beta a))
//   V     = (1 - s) V_pre + s V_reset  (Reset::hard)  or  V_pre - s (V_th - V_reset)  (Reset::soft)
//   a     = a exp(-dt / tau_a) + s     (after the spike, so the spike of this
//                                       step raises the next step's threshold)
//
// The soft reset subtracts V_th - V_reset, not the adapted threshold, as
// brainstate's ALIF does. tau is trainable as PLIF's (a softplus Param, per
// population or per neuron); tau_a and beta are constants of Options, as
// brainstate's (not Params: Bellec et al. fix them too, and a trainable
// adaptation would be a Param of the same form as tau, should it be wanted).
// Defaults are brainstate's: tau = 5 ms, tau_a = 100 ms, beta = 0.1, V_th = 1,
// V_reset = V_rest = 0, R = 1, soft reset.
//
// Training (module/differentiable.hpp): the tape keeps V and a before the
// step, the input, V_pre and s. The carried gradients are V_grad() and
// a_grad(); the gradient reaches a through the threshold (and the adaptation
// through s is never detached: detach_reset concerns the reset of V only).
#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>

#include "modyn/backend/backend.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/dyn/neurons/plif.hpp"
#include "modyn/dyn/surrogate.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

template <class T = float, class B = default_backend,
          surrogate::SurrogateFunction Surrogate = surrogate::sigmoid>
/// The adaptive leaky integrate-and-fire neuron for gradient training (the
/// LSNN neuron of Bellec et al. 2018; brainstate's ALIF): PLIF with an
/// adaptation a that raises the threshold after each spike. See the top of
/// dyn/neurons/alif.hpp.
/// T: the element type (floating point); B: the backend; Surrogate: the
/// surrogate spike function (dyn/surrogate.hpp).
class ALIF : public Module<ALIF<T, B, Surrogate>> {
  static_assert(std::is_floating_point_v<T>, "dyn::ALIF<T>: T must be a floating-point type such as float");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using surrogate_type = Surrogate;  ///< the surrogate spike function (dyn/surrogate.hpp)

  /// brainstate's ALIF defaults.
  struct Options {
    T tau = T(5);                 ///< membrane time constant (ms), trainable
    bool tau_per_neuron = false;  ///< one tau per neuron, else one for the population
    T tau_a = T(100);             ///< adaptation time constant (ms)
    T beta = T(0.1);              ///< threshold increase per unit of a
    T V_th = T(1);                ///< base threshold
    T V_reset = T(0);             ///< potential after a spike
    T V_rest = T(0);              ///< resting potential, and V's initial value
    T R = T(1);                   ///< membrane resistance
    Reset reset = Reset::soft;    ///< how V resets after a spike
    bool detach_reset = false;    ///< no gradient through the reset's s
    Surrogate surrogate{};        ///< spike function and its slope alpha
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T tau_a{}, beta{}, V_th{}, V_reset{}, V_rest{}, R{};
  /// @}
  Reset reset = Reset::soft;                    ///< how V resets after a spike
  bool detach_reset = false;                    ///< no gradient through the reset's s
  Surrogate surrogate{};                        ///< spike function and its slope alpha
  Param<tensor_type, transform::softplus> tau;  ///< (1,) or the per-sample shape
  State<tensor_type> V;                         ///< membrane potential, starts at V_rest
  State<tensor_type> a;                         ///< adaptation, starts at 0
  State<tensor_type> spike;                     ///< the step's spikes
  MODYN_FIELDS(tau_a, beta, V_th, V_reset, V_rest, R, reset, detach_reset, surrogate, tau, V, a, spike)

  ALIF() : ALIF(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit ALIF(Shape size, Options o = {})
      : tau_a(o.tau_a),
        beta(o.beta),
        V_th(o.V_th),
        V_reset(o.V_reset),
        V_rest(o.V_rest),
        R(o.R),
        reset(o.reset),
        detach_reset(o.detach_reset),
        surrogate(o.surrogate),
        tau(tau_helper::make(size, o.tau_per_neuron, o.tau, "dyn::ALIF")),
        V(size, o.V_rest),
        a(size),
        spike(size) {
    if (!(tau_a > T(0)) || !std::isfinite(tau_a))
      throw config_error("dyn::ALIF: tau_a must be > 0 and finite, got " + std::to_string(tau_a));
  }
  /// A population of `size` neurons, with the parameters of o.
  explicit ALIF(std::size_t size, Options o = {}) : ALIF(Shape{size}, o) {}

  /// The per-sample shape of the population.
  const Shape& size() const noexcept { return V.sample_shape(); }

  /// One step of c.dt with the input current x (the states' shape). Returns
  /// the spikes.
  template <TensorLike X>
  const tensor_type& update(const X& x, const Context& c) {
    check_input(x);
    run_step(static_cast<const T*>(x.data()), nullptr, c.dt);
    return *spike;
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type V;      ///< before the step
    tensor_type a;      ///< before the step
    tensor_type input;  ///< the step's input
    tensor_type V_pre;  ///< before the reset
    tensor_type spike;  ///< s
    double dt = 0.0;    ///< the step's dt (ms)
  };

  /// update(x, c), recording in the tape what backward needs.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& c) {
    check_input(x);
    keep_copy(tape.input, x);  // first: x may be this neuron's own spikes
    keep_copy(tape.V, *V);
    keep_copy(tape.a, *a);
    tape.V_pre.ensure_shape(V->shape());
    tape.dt = c.dt;
    run_step(tape.input.data(), tape.V_pre.data(), c.dt);
    keep_copy(tape.spike, *spike);
    return *spike;
  }

  /// d loss / d V and d loss / d a, carried from step to step.
  const tensor_type& V_grad() const noexcept { return V_grad_; }
  /// d loss / d a, carried from step to step.
  const tensor_type& a_grad() const noexcept { return a_grad_; }

  /// Zeroes the carried gradients with the States' shapes: once, before
  /// the latest step's backward.
  void begin_backward() {
    V_grad_.ensure_shape(V->shape());
    a_grad_.ensure_shape(a->shape());
    B::map(V_grad_.size(), modyn::detail::fill_kernel<T>{T(0)}, write_only(V_grad_.data()));
    B::map(a_grad_.size(), modyn::detail::fill_kernel<T>{T(0)}, write_only(a_grad_.data()));
  }

  /// Back through the step the tape recorded: grad_out is d loss / d spike.
  /// Adds d loss / d tau to tau's gradient, carries the States' gradients
  /// to the step before, and returns d loss / d x with InputGrad::yes (else
  /// an empty tensor).
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    detail::check_output_grad("dyn::ALIF", this->name(), tape.spike.shape(), grad_out.shape());
    detail::check_carried_grad("dyn::ALIF", this->name(), V_grad_.shape(), tape.V.shape());
    detail::check_carried_grad("dyn::ALIF", this->name(), a_grad_.shape(), tape.a.shape());
    const std::size_t n = size().size(), total = tape.V.size();
    const T* tau_row = tau_rows_.row(tau, n);
    const backward_kernel kernel{
        surrogate, static_cast<T>(tape.dt), decay(tape.dt), beta, V_th, V_reset, V_rest,
        R,         reset == Reset::soft,    detach_reset};
    const T* gy = static_cast<const T*>(grad_out.data());
    tau_grad_.ensure_shape(tape.V.shape());
    if (input_grad == InputGrad::yes) {
      input_grad_.ensure_shape(tape.input.shape());
      B::map(total, kernel, tape.V.data(), tape.a.data(), tape.input.data(), tape.V_pre.data(),
             tape.spike.data(), broadcast_row(tau_row, n), gy, V_grad_.data(), a_grad_.data(),
             write_only(input_grad_.data()), write_only(tau_grad_.data()));
    } else {
      B::map(total, kernel, tape.V.data(), tape.a.data(), tape.input.data(), tape.V_pre.data(),
             tape.spike.data(), broadcast_row(tau_row, n), gy, V_grad_.data(), a_grad_.data(),
             write_only(tau_grad_.data()));
    }
    tau_rows_.add_grad(tau, tau_grad_, n);
    if (input_grad == InputGrad::no) return no_input_grad(empty_grad_);
    return input_grad_;
  }

 private:
  using tau_helper = detail::trainable_tau<T, B>;

  // a's factor over one step, exp(-dt / tau_a), computed in double.
  T decay(double dt) const { return static_cast<T>(std::exp(-dt / static_cast<double>(tau_a))); }

  template <class X>
  void check_input(const X& x) const {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "dyn::ALIF: the input's element type differs from the neuron's");
    detail::check_neuron_input("dyn::ALIF", this->name(), x.shape(), V->shape(), size());
    if (!(spike->shape() == V->shape()) || !(a->shape() == V->shape())) {
      throw shape_error("dyn::ALIF '" + this->name() + "': V has shape " + V->shape().to_string() + ", a " +
                        a->shape().to_string() + ", spike " + spike->shape().to_string() +
                        " (reset_state sets all three)");
    }
  }

  // v_pre: where to keep V_pre (the tape's), or null.
  void run_step(const T* x, T* v_pre, double dt) {
    const std::size_t n = size().size();
    const step_kernel kernel{surrogate, static_cast<T>(dt),  decay(dt), beta, V_th, V_reset, V_rest,
                             R,         reset == Reset::soft};
    const T* tau_row = tau_rows_.row(tau, n);
    if (v_pre) {
      B::map(V->size(), kernel, x, broadcast_row(tau_row, n), V->data(), a->data(), write_only(v_pre),
             write_only(spike->data()));
    } else {
      B::map(V->size(), kernel, x, broadcast_row(tau_row, n), V->data(), a->data(),
             write_only(spike->data()));
    }
  }

  tau_helper tau_rows_;
  tensor_type V_grad_;
  tensor_type a_grad_;
  tensor_type input_grad_;
  tensor_type empty_grad_;  // what backward returns with InputGrad::no
  tensor_type tau_grad_;    // d loss / d tau, per element of the states

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element: (x, tau, V, a, [V_pre,] spike).
  struct step_kernel {
    Surrogate surrogate;
    T dt, decay, beta, v_th, v_reset, v_rest, r;
    bool soft;

    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& tau_value, Vec& v,
                                                          Vec& adaptation, Vec& v_pre, Vec& s) const {
      v_pre = v + Vec(dt) / tau_value * (Vec(r) * x - (v - Vec(v_rest)));
      s = surrogate.forward(v_pre - (Vec(v_th) + Vec(beta) * adaptation));
      if (soft)
        v = v_pre - s * Vec(v_th - v_reset);
      else
        v = (Vec(1) - s) * v_pre + s * Vec(v_reset);
      adaptation = adaptation * Vec(decay) + s;
    }
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& tau_value, Vec& v,
                                                          Vec& adaptation, Vec& s) const {
      Vec v_pre;
      (*this)(x, tau_value, v, adaptation, v_pre, s);
    }
  };

  /// The backward pass of one element: (V, a, x, V_pre, s, tau, d loss / d s,
  /// d loss / d V and d loss / d a (in: after the step, out: before it),
  /// [d loss / d x,] d loss / d tau).
  struct backward_kernel {
    Surrogate surrogate;
    T dt, decay, beta, v_th, v_reset, v_rest, r;
    bool soft, detach;

    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& v, const Vec& adaptation, const Vec& x,
                                                          const Vec& v_pre, const Vec& s,
                                                          const Vec& tau_value, const Vec& gy, Vec& gv,
                                                          Vec& ga, Vec& gx, Vec& gtau) const {
      // s reaches the loss as the output, through a_after = a decay + s, and
      // (unless detached) through the reset of V.
      Vec g_s = gy + ga;
      Vec g_pre = gv;
      if (soft) {
        if (!detach) g_s = g_s - gv * Vec(v_th - v_reset);
      } else {
        if (!detach) g_s = g_s + gv * (Vec(v_reset) - v_pre);
        g_pre = gv * (Vec(1) - s);
      }
      // Through s = surrogate(V_pre - V_th - beta a).
      const Vec g_z = g_s * surrogate.grad(v_pre - (Vec(v_th) + Vec(beta) * adaptation));
      g_pre = g_pre + g_z;
      ga = ga * Vec(decay) - Vec(beta) * g_z;
      // Through V_pre = V + k (R x - (V - V_rest)), k = dt / tau.
      const Vec k = Vec(dt) / tau_value;
      gtau = Vec(0) - g_pre * k / tau_value * (Vec(r) * x - (v - Vec(v_rest)));
      gx = g_pre * k * Vec(r);
      gv = g_pre * (Vec(1) - k);
    }
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& v, const Vec& adaptation, const Vec& x,
                                                          const Vec& v_pre, const Vec& s,
                                                          const Vec& tau_value, const Vec& gy, Vec& gv,
                                                          Vec& ga, Vec& gtau) const {
      Vec gx;
      (*this)(v, adaptation, x, v_pre, s, tau_value, gy, gv, ga, gx, gtau);
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
