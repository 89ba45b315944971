// dyn::PLIF: the leaky integrate-and-fire neuron made for gradient training,
// with a trainable membrane time constant (the parametric LIF of Fang et al.
// 2021, "Incorporating learnable membrane time constant to enhance learning
// of spiking neural networks", ICCV; brainpy.state's / brainstate's LIF with
// a surrogate spike function). One step of dt, forward Euler:
//
//   V_pre = V + dt / tau (-(V - V_rest) + R I)      I: the input, (batch, n) or (n,)
//   s     = surrogate.forward(V_pre - V_th)          1 where V_pre >= V_th, else 0
//   V     = (1 - s) V_pre + s V_reset                Reset::hard (spikingjelly's)
//   V     = V_pre - s (V_th - V_reset)               Reset::soft (brainstate's default)
//
// update(I, ctx) returns s. tau is a Param through softplus (it stays
// positive whatever an optimizer does to its raw value), one per population
// (shape (1,), Options::tau_per_neuron = false) or one per neuron (the
// per-sample shape). V_th, V_reset, V_rest and R are constants. Fang et al.
// parametrize 1 / tau = sigmoid(w) with dt = 1; softplus on tau itself keeps
// tau's unit (ms) and any dt.
//
// Defaults are brainstate's LIF: tau = 5 ms, V_th = 1, V_reset = V_rest = 0,
// R = 1, soft reset. The LIF-SNN benchmark (v += dt / tau (-v + I), dt / tau =
// 0.1, spike at v >= 1, reset to 0) is PLIF with {.tau = 10 dt, .reset =
// Reset::hard} and the other defaults.
//
//   Sequential net{nn::Dense(100, 256), dyn::PLIF(256)};
//   net.reset_state(batch);                         // V and spike: (batch, 256)
//
// Training (module/differentiable.hpp): the tape keeps V before the step, the
// input, V_pre and s. Backward differentiates the step above with
// surrogate.grad(V_pre - V_th) standing in for the Heaviside's derivative;
// with Options::detach_reset the s of the reset is a constant (no gradient
// through the reset into the surrogate; see the end of dyn/surrogate.hpp).
// The carried gradient is V_grad() (d loss / d V).
//
// Units as everywhere in dyn/ (README, "Units"): ms and mV.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>

#include "modyn/backend/backend.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/dyn/surrogate.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"

namespace modyn::dyn {

/// How a spiking neuron made for training resets after a spike s (PLIF, ALIF).
enum class Reset : unsigned char {
  hard,  ///< V = (1 - s) V_pre + s V_reset
  soft,  ///< V = V_pre - s (V_th - V_reset)
};

namespace detail {

// What PLIF and ALIF share: the tau Param seen as a row of the per-sample
// size, the sum of tau's gradient over the batch (and the neurons), and the
// checks of the input and of a gradient.
template <class T, class B>
struct trainable_tau {
  using tensor_type = Tensor<T, B>;
  using param_type = Param<tensor_type, transform::softplus>;

  static param_type make(const Shape& size, bool per_neuron, T tau, const char* who) {
    if (!(tau > T(0)) || !std::isfinite(tau))
      throw config_error(std::string(who) + ": tau must be > 0 and finite, got " + std::to_string(tau));
    return param_type::from_value(tensor_type::full(per_neuron ? size : Shape{1}, tau));
  }

  // tau's value as a row of n elements (one per neuron): the value itself
  // when tau is per neuron; a population tau is copied into `row`, again
  // only when the Param changed.
  const T* row(const param_type& tau, std::size_t n) {
    const tensor_type& value = tau.value();
    if (value.size() == n) return value.data();
    if (!(row_.shape() == Shape{n}) || version_ != tau.version()) {
      row_.ensure_shape(Shape{n});
      B::map(n, modyn::detail::copy_kernel{}, broadcast_row(static_cast<const T*>(value.data()), 1),
             write_only(row_.data()));
      version_ = tau.version();
    }
    return row_.data();
  }

  // tau.grad() += d loss / d raw, from `elementwise` (d loss / d tau per
  // element of the states, rows of n): summed over the rows (the batch), and
  // over the neurons for a population tau.
  void add_grad(param_type& tau, const tensor_type& elementwise, std::size_t n) {
    const std::size_t rows = elementwise.size() / n;
    const T* g = elementwise.data();
    if (tau.raw().size() == n && n != 1) {
      if (rows != 1) {
        sums_.ensure_shape(Shape{n});
        B::map(n, modyn::detail::fill_kernel<T>{T(0)}, write_only(sums_.data()));
        add_row_sums<B>(g, rows, n, sums_.data());
        g = sums_.data();
      }
    } else {
      const T total = B::reduce_sum(g, elementwise.size());
      sums_.ensure_shape(Shape{1});
      B::copy_from_host(&total, sums_.data(), 1);
      g = sums_.data();
    }
    add_value_grad(tau, g);
  }

  tensor_type row_;  // a population tau repeated over the neurons
  std::uint64_t version_ = ~std::uint64_t(0);
  tensor_type sums_;  // tau's value gradient, summed
};

// Throws shape_error unless x has the states' shape.
inline void check_neuron_input(const char* who, const std::string& name, const Shape& input,
                               const Shape& states, const Shape& sample) {
  if (input == states) return;
  std::string message = std::string(who) + " '" + name + "': the input has shape " + input.to_string() +
                        ", the neurons' states " + states.to_string();
  if (input.rank() == sample.rank() + 1 && input.drop_front() == sample && states == sample)
    message += " (call reset_state(" + std::to_string(input[0]) + ") for a batch)";
  throw shape_error(message);
}

inline void check_output_grad(const char* who, const std::string& name, const Shape& expected,
                              const Shape& got) {
  if (got == expected) return;
  throw shape_error(std::string(who) + " '" + name + "': backward expected a gradient of shape " +
                    expected.to_string() + " (the spikes'), got " + got.to_string());
}

inline void check_carried_grad(const char* who, const std::string& name, const Shape& carried,
                               const Shape& states) {
  if (carried == states) return;
  throw config_error(std::string(who) + " '" + name + "': the carried state gradient has shape " +
                     carried.to_string() + ", the step's states " + states.to_string() +
                     ": call begin_backward() before the backward of the latest step");
}

}  // namespace detail

template <class T = float, class B = default_backend,
          surrogate::SurrogateFunction Surrogate = surrogate::sigmoid>
/// The leaky integrate-and-fire neuron for gradient training, with a
/// trainable membrane time constant (the parametric LIF of Fang et al. 2021;
/// brainstate's LIF). See the top of dyn/neurons/plif.hpp.
/// T: the element type (floating point); B: the backend; Surrogate: the
/// surrogate spike function (dyn/surrogate.hpp).
class PLIF : public Module<PLIF<T, B, Surrogate>> {
  static_assert(std::is_floating_point_v<T>, "dyn::PLIF<T>: T must be a floating-point type such as float");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its States and inputs
  using surrogate_type = Surrogate;  ///< the surrogate spike function (dyn/surrogate.hpp)

  /// brainstate's LIF defaults.
  struct Options {
    T tau = T(5);                 ///< membrane time constant (ms), trainable
    bool tau_per_neuron = false;  ///< one tau per neuron, else one for the population
    T V_th = T(1);                ///< threshold
    T V_reset = T(0);             ///< potential after a spike
    T V_rest = T(0);              ///< resting potential, and V's initial value
    T R = T(1);                   ///< membrane resistance
    Reset reset = Reset::soft;    ///< how V resets after a spike
    bool detach_reset = false;    ///< no gradient through the reset's s
    Surrogate surrogate{};        ///< spike function and its slope alpha
  };

  /// @{
  /// The parameters, as Options sets them (see Options).
  T V_th{}, V_reset{}, V_rest{}, R{};
  /// @}
  Reset reset = Reset::soft;                    ///< how V resets after a spike
  bool detach_reset = false;                    ///< no gradient through the reset's s
  Surrogate surrogate{};                        ///< spike function and its slope alpha
  Param<tensor_type, transform::softplus> tau;  ///< (1,) or the per-sample shape
  State<tensor_type> V;                         ///< membrane potential, starts at V_rest
  State<tensor_type> spike;                     ///< the step's spikes
  MODYN_FIELDS(V_th, V_reset, V_rest, R, reset, detach_reset, surrogate, tau, V, spike)

  PLIF() : PLIF(1) {}
  /// A population of neurons of per-sample shape `size`, with the parameters of o.
  explicit PLIF(Shape size, Options o = {})
      : V_th(o.V_th),
        V_reset(o.V_reset),
        V_rest(o.V_rest),
        R(o.R),
        reset(o.reset),
        detach_reset(o.detach_reset),
        surrogate(o.surrogate),
        tau(tau_helper::make(size, o.tau_per_neuron, o.tau, "dyn::PLIF")),
        V(size, o.V_rest),
        spike(size) {}
  /// A population of `size` neurons, with the parameters of o.
  explicit PLIF(std::size_t size, Options o = {}) : PLIF(Shape{size}, o) {}

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

  /// V before the step and V_pre before the reset are all backward needs:
  /// the spike is surrogate.forward(V_pre - V_th) again, d V_pre / d x is
  /// R dt / tau, and d V_pre / d tau is -(V_pre - V) / tau.
  struct tape_type {
    tensor_type V;      ///< before the step
    tensor_type V_pre;  ///< before the reset
    Shape input_shape;  ///< the input's shape
    double dt = 0.0;    ///< the step's dt (ms)
  };

  /// update(x, c), recording in the tape what backward needs.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& c) {
    check_input(x);
    keep_copy(tape.V, *V);
    tape.V_pre.ensure_shape(V->shape());
    tape.input_shape = x.shape();
    tape.dt = c.dt;
    // (x may be this neuron's own spikes: the kernel reads each element of x
    // before it writes the spike of that element.)
    run_step(static_cast<const T*>(x.data()), tape.V_pre.data(), c.dt);
    return *spike;
  }

  /// d loss / d V, carried from step to step.
  const tensor_type& V_grad() const noexcept { return V_grad_; }

  /// Zeroes the carried gradients with the States' shapes: once, before
  /// the latest step's backward.
  void begin_backward() {
    V_grad_.ensure_shape(V->shape());
    B::map(V_grad_.size(), modyn::detail::fill_kernel<T>{T(0)}, write_only(V_grad_.data()));
  }

  /// Back through the step the tape recorded: grad_out is d loss / d spike.
  /// Adds d loss / d tau to tau's gradient, carries the States' gradients
  /// to the step before, and returns d loss / d x with InputGrad::yes (else
  /// an empty tensor).
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    detail::check_output_grad("dyn::PLIF", this->name(), tape.V.shape(), grad_out.shape());
    detail::check_carried_grad("dyn::PLIF", this->name(), V_grad_.shape(), tape.V.shape());
    const std::size_t n = size().size(), total = tape.V.size();
    const T* tau_row = tau_rows_.row(tau, n);
    const backward_kernel kernel{surrogate, static_cast<T>(tape.dt), V_th,        V_reset, V_rest,
                                 R,         reset == Reset::soft,    detach_reset};
    const T* gy = static_cast<const T*>(grad_out.data());
    tau_grad_.ensure_shape(tape.V.shape());
    if (input_grad == InputGrad::yes) {
      input_grad_.ensure_shape(tape.input_shape);
      B::map(total, kernel, tape.V.data(), tape.V_pre.data(), broadcast_row(tau_row, n), gy, V_grad_.data(),
             write_only(input_grad_.data()), write_only(tau_grad_.data()));
    } else {
      B::map(total, kernel, tape.V.data(), tape.V_pre.data(), broadcast_row(tau_row, n), gy, V_grad_.data(),
             write_only(tau_grad_.data()));
    }
    tau_rows_.add_grad(tau, tau_grad_, n);
    if (input_grad == InputGrad::no) return no_input_grad(empty_grad_);
    return input_grad_;
  }

 private:
  using tau_helper = detail::trainable_tau<T, B>;

  template <class X>
  void check_input(const X& x) const {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "dyn::PLIF: the input's element type differs from the neuron's");
    detail::check_neuron_input("dyn::PLIF", this->name(), x.shape(), V->shape(), size());
    if (!(spike->shape() == V->shape())) {
      throw shape_error("dyn::PLIF '" + this->name() + "': V has shape " + V->shape().to_string() +
                        ", spike " + spike->shape().to_string() + " (reset_state sets both)");
    }
  }

  // v_pre: where to keep V_pre (the tape's), or null.
  void run_step(const T* x, T* v_pre, double dt) {
    const std::size_t n = size().size();
    const step_kernel kernel{surrogate, static_cast<T>(dt), V_th, V_reset, V_rest, R, reset == Reset::soft};
    const T* tau_row = tau_rows_.row(tau, n);
    if (v_pre) {
      B::map(V->size(), kernel, x, broadcast_row(tau_row, n), V->data(), write_only(v_pre),
             write_only(spike->data()));
    } else {
      B::map(V->size(), kernel, x, broadcast_row(tau_row, n), V->data(), write_only(spike->data()));
    }
  }

  tau_helper tau_rows_;
  tensor_type V_grad_;
  tensor_type input_grad_;
  tensor_type empty_grad_;  // what backward returns with InputGrad::no
  tensor_type tau_grad_;    // d loss / d tau, per element of the states

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// One step of one element: (x, tau, V, [V_pre,] spike).
  struct step_kernel {
    Surrogate surrogate;
    T dt, v_th, v_reset, v_rest, r;
    bool soft;

    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& tau_value, Vec& v,
                                                          Vec& v_pre, Vec& s) const {
      v_pre = v + Vec(dt) / tau_value * (Vec(r) * x - (v - Vec(v_rest)));
      s = surrogate.forward(v_pre - Vec(v_th));
      if (soft)
        v = v_pre - s * Vec(v_th - v_reset);
      else
        v = (Vec(1) - s) * v_pre + s * Vec(v_reset);
    }
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& tau_value, Vec& v,
                                                          Vec& s) const {
      Vec v_pre;
      (*this)(x, tau_value, v, v_pre, s);
    }
  };

  /// The backward pass of one element: (V, V_pre, tau, d loss / d s,
  /// d loss / d V (in: after the step, out: before it), [d loss / d x,]
  /// d loss / d tau).
  struct backward_kernel {
    Surrogate surrogate;
    T dt, v_th, v_reset, v_rest, r;
    bool soft, detach;

    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& v, const Vec& v_pre,
                                                          const Vec& tau_value, const Vec& gy, Vec& gv,
                                                          Vec& gx, Vec& gtau) const {
      const Vec s = surrogate.forward(v_pre - Vec(v_th));  // the step's spike, again
      // Through the reset: V_after = soft ? V_pre - s (V_th - V_reset)
      //                                   : (1 - s) V_pre + s V_reset.
      Vec g_s = gy;
      Vec g_pre = gv;
      if (soft) {
        if (!detach) g_s = g_s - gv * Vec(v_th - v_reset);
      } else {
        if (!detach) g_s = g_s + gv * (Vec(v_reset) - v_pre);
        g_pre = gv * (Vec(1) - s);
      }
      // Through the spike, s = surrogate(V_pre - V_th).
      g_pre = g_pre + g_s * surrogate.grad(v_pre - Vec(v_th));
      // Through V_pre = V + k (R x - (V - V_rest)), k = dt / tau: d V_pre /
      // d tau = -k / tau (R x - (V - V_rest)) = -(V_pre - V) / tau.
      const Vec k = Vec(dt) / tau_value;
      gtau = Vec(0) - g_pre * (v_pre - v) / tau_value;
      gx = g_pre * k * Vec(r);
      gv = g_pre * (Vec(1) - k);
    }
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& v, const Vec& v_pre,
                                                          const Vec& tau_value, const Vec& gy, Vec& gv,
                                                          Vec& gtau) const {
      Vec gx;
      (*this)(v, v_pre, tau_value, gy, gv, gx, gtau);
    }
  };
  /// \endcond
};

}  // namespace modyn::dyn
