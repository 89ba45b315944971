// nn::LSTMCell (PyTorch's definition, gates in the order i, f, g, o):
//   i = sigmoid(.), f = sigmoid(.), g = tanh(.), o = sigmoid(.) of
//   x W_ih + b_ih + h W_hh + b_hh
//   c' = f c + i g,   h' = o tanh(c')
// Weights stored (in, 4 hidden) and (hidden, 4 hidden): PyTorch's transposed.
// Differentiable (module/differentiable.hpp): its tape holds the input, h and
// c before the step, the gates and c after it; it carries d loss / d h and
// d loss / d c (h_grad(), c_grad()).
// With sizes known at compile time (nn::LSTMCell<1, 32>) a step on the CPU
// runs nn/detail/static_step.hpp's fused kernel instead of GEMMs and a pass.
#pragma once

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/detail/rows.hpp"
#include "modyn/nn/detail/static_step.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

namespace detail {

// One LSTM step of one element: updates h and c, and sets the gates (what
// the backward reads).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void lstm_step(const Vec& gi, const Vec& gf, const Vec& gg,
                                                     const Vec& go, const Vec& bi, const Vec& bf,
                                                     const Vec& bg, const Vec& bo, Vec& hidden_state,
                                                     Vec& cell, Vec& input, Vec& forget, Vec& candidate,
                                                     Vec& output) {
  input = math::sigmoid(gi + bi);
  forget = math::sigmoid(gf + bf);
  candidate = math::tanh(gg + bg);
  output = math::sigmoid(go + bo);
  cell = forget * cell + input * candidate;
  hidden_state = output * math::tanh(cell);
}

}  // namespace detail

/// A long short-term memory cell (PyTorch's LSTMCell, gates i, f, g, o): one
/// step of c' = f c + i g, h' = o tanh(c') per update (see the top of nn/lstm_cell.hpp
///).
///
/// In, Hidden: the input and hidden sizes when known at compile time
/// (nn::LSTMCell<1, 32>{}: a step on the CPU is one fused, register-blocked
/// kernel; Sequential checks adjacent sizes), else `dynamic`
/// (nn::LSTMCell(1, 32)); T: the element type; B: the backend.
template <std::size_t In = dynamic, std::size_t Hidden = dynamic, class T = float, class B = default_backend>
class LSTMCell : public Module<LSTMCell<In, Hidden, T, B>> {
 public:
  using tensor_type = Tensor<T, B>;                           ///< the type of the weights, inputs and states
  static constexpr std::size_t static_in_features = In;       ///< In: the input size, or `dynamic`
  static constexpr std::size_t static_out_features = Hidden;  ///< Hidden: the hidden size, or `dynamic`
  /// The same cell on backend NewB (what `to<B>` builds).
  template <class NewB>
  using rebind_backend = LSTMCell<In, Hidden, T, NewB>;
  /// Whether In and Hidden are both known at compile time.
  static constexpr bool has_static_sizes = In != dynamic && Hidden != dynamic;

  Param<tensor_type> weight_ih;  ///< (in, 4 hidden): [i | f | g | o]
  Param<tensor_type> weight_hh;  ///< (hidden, 4 hidden)
  Param<tensor_type> bias_ih;    ///< (4 hidden,)
  Param<tensor_type> bias_hh;    ///< (4 hidden,)
  State<tensor_type> h;          ///< (batch, hidden)
  State<tensor_type> c;          ///< (batch, hidden)
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h, c)

  /// An empty cell (0 x 0) with dynamic sizes; with static sizes, a cell of
  /// those sizes initialised from the default generator (nn::LSTMCell<1, 32>{}).
  LSTMCell() {
    if constexpr (has_static_sizes) initialize(In, Hidden, {});
  }
  /// A cell of static sizes initialised from init::generator(options).
  explicit LSTMCell(init::Options options) requires(has_static_sizes) { initialize(In, Hidden, options); }
  /// Weights and biases of a cell from `in` inputs to `hidden` units, uniform in
  /// +-1/sqrt(hidden), from init::generator(options). Sizes that differ from
  /// static ones are a config_error.
  LSTMCell(std::size_t in, std::size_t hidden, init::Options options = {}) {
    detail::check_static_sizes("nn::LSTMCell", In, Hidden, in, hidden);
    initialize(in, hidden, options);
  }

  /// `to<B>(cell)`: empty Params (`to<B>` copies the source's over them) and
  /// no stream taken from the default generator.
  template <class OtherBackend>
  LSTMCell(rebind_tag, const LSTMCell<In, Hidden, T, OtherBackend>& source)
      : Module<LSTMCell>(source.name()) {}

  /// Redraws the weights and biases, in field order, uniform in +-1/sqrt(hidden).
  void reset_parameters(Rng& rng) {
    init::redraw_uniform_fan_in(rng, out_features(), weight_ih, weight_hh, bias_ih, bias_hh);
  }

  /// The size of the last axis of an input.
  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  /// The size of the hidden state (and of the cell state).
  std::size_t out_features() const { return weight_hh.raw().shape(0); }

  /// One step from x (batch, in) or (in,); returns the new hidden state h.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    if constexpr (uses_static_step) {
      if (detail::static_step_pays<T>(x.size() / In, (In + Hidden) * 4 * Hidden)) return static_update(x);
    }
    const std::size_t rows = project(x);
    const std::size_t hidden = out_features(), stride = 4 * hidden;
    // One pass over every row: gates are rows of hidden, 4 hidden apart.
    const T* b = bias_.data();
    const T* g = gates_.data();
    B::map(rows * hidden, cell_update{}, strided_rows(g, hidden, stride),
           strided_rows(g + hidden, hidden, stride), strided_rows(g + 2 * hidden, hidden, stride),
           strided_rows(g + 3 * hidden, hidden, stride), broadcast_row(b, hidden),
           broadcast_row(b + hidden, hidden), broadcast_row(b + 2 * hidden, hidden),
           broadcast_row(b + 3 * hidden, hidden), h->data(), c->data());
    return *h;
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type input;     ///< x
    tensor_type h_before;  ///< h before the step
    tensor_type c_before;  ///< c before the step
    /// @{
    /// the gates, (rows, hidden) each
    tensor_type i, f, g, o;
    /// @}
    tensor_type c_after;  ///< c after the step
  };

  /// update(x), recording the input, h and c before the step, the gates and c after it.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    keep_copy(tape.input, x);  // first: x may be this cell's own h
    keep_copy(tape.h_before, *h);
    keep_copy(tape.c_before, *c);
    const std::size_t rows = project(x);
    const std::size_t hidden = out_features(), stride = 4 * hidden;
    for (tensor_type* t : {&tape.i, &tape.f, &tape.g, &tape.o}) t->ensure_shape({rows, hidden});
    const T* b = bias_.data();
    const T* g = gates_.data();
    B::map(rows * hidden, cell_update_train{}, strided_rows(g, hidden, stride),
           strided_rows(g + hidden, hidden, stride), strided_rows(g + 2 * hidden, hidden, stride),
           strided_rows(g + 3 * hidden, hidden, stride), broadcast_row(b, hidden),
           broadcast_row(b + hidden, hidden), broadcast_row(b + 2 * hidden, hidden),
           broadcast_row(b + 3 * hidden, hidden), h->data(), c->data(), write_only(tape.i.data()),
           write_only(tape.f.data()), write_only(tape.g.data()), write_only(tape.o.data()));
    keep_copy(tape.c_after, *c);
    return *h;
  }

  /// d loss / d h and d loss / d c carried from the step after the one being
  /// differentiated: after a backward call, those of the states before that
  /// call's step.
  const tensor_type& h_grad() const noexcept { return h_grad_; }
  /// d loss / d c, carried as h_grad() is.
  const tensor_type& c_grad() const noexcept { return c_grad_; }

  /// Zeroes h_grad() and c_grad() with the shapes of h and c: once, before
  /// the latest step's backward.
  void begin_backward() {
    h_grad_.ensure_shape(h->shape());
    h_grad_.view() = T(0);
    keep_transpose(weight_hh_t_, weight_hh.value());  // W^T for the sweep's products
    keep_transpose(weight_ih_t_, weight_ih.value());
    c_grad_.ensure_shape(c->shape());
    c_grad_.view() = T(0);
  }

  /// From gy = d loss / d h' of the recorded step and the carried h_grad(),
  /// c_grad() (dh' = gy + h_grad, dc' = c_grad):
  ///
  ///     dc = dc' + dh' o (1 - tanh(c')^2)
  ///     d a_i = dc g i (1 - i),   d a_f = dc c f (1 - f),
  ///     d a_g = dc i (1 - g^2),   d a_o = dh' tanh(c') o (1 - o)
  ///
  /// are the gradients of both x W_ih + b_ih and h W_hh + b_hh; with
  /// dG = [d a_i | d a_f | d a_g | d a_o]: h_grad = dG W_hh^T, c_grad = dc f;
  /// returns gx = dG W_ih^T.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    const std::size_t in = in_features(), hidden = out_features();
    const Shape& expected = tape.h_before.shape();
    if (!(grad_out.shape() == expected)) {
      throw shape_error("nn::LSTMCell '" + this->name() + "': backward expected a gradient of shape " +
                        expected.to_string() + " (the output's), got " + grad_out.shape().to_string());
    }
    if (!(h_grad_.shape() == expected) || !(c_grad_.shape() == tape.c_before.shape())) {
      throw shape_error("nn::LSTMCell '" + this->name() + "': the carried gradients have shapes " +
                        h_grad_.shape().to_string() + " and " + c_grad_.shape().to_string() +
                        " but the step's h and c have shapes " + expected.to_string() + " and " +
                        tape.c_before.shape().to_string() +
                        "; call begin_backward() before the first backward");
    }
    const std::size_t rows = tape.i.shape(0), n = rows * hidden;
    gate_grad_.ensure_shape({4, rows, hidden});
    T* d = gate_grad_.data();
    // d a_i, d a_f, d a_g, d a_o; c_grad_ becomes dc f.
    B::map(n, cell_update_grad{}, tape.i.data(), tape.f.data(), tape.g.data(), tape.o.data(),
           tape.c_before.data(), tape.c_after.data(), static_cast<const T*>(grad_out.data()),
           static_cast<const T*>(h_grad_.data()), c_grad_.data(), write_only(d), write_only(d + n),
           write_only(d + 2 * n), write_only(d + 3 * n));
    const T* const gates[4] = {d, d + n, d + 2 * n, d + 3 * n};
    detail::add_stacked_grads<T, B>(gates, rows, hidden, tape.input.data(), in, weight_ih.grad().data(),
                                    bias_ih.grad().data(), ones_);
    detail::add_stacked_grads<T, B>(gates, rows, hidden, tape.h_before.data(), hidden,
                                    weight_hh.grad().data(), bias_hh.grad().data(), ones_);
    // h_grad_ was read into the gate gradients: it now takes d loss / d (h before).
    detail::through_stacked_weight<T, B>(gates, rows, hidden, weight_hh_t_.data(), hidden, T(0),
                                         h_grad_.data());
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    input_grad_.ensure_shape(tape.input.shape());
    detail::through_stacked_weight<T, B>(gates, rows, hidden, weight_ih_t_.data(), in, T(0),
                                         input_grad_.data());
    return input_grad_;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// PyTorch's LSTM equations, i, f, g, o gates.
  struct cell_update {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gi, const Vec& gf, const Vec& gg,
                                                          const Vec& go, const Vec& bi, const Vec& bf,
                                                          const Vec& bg, const Vec& bo, Vec& hidden_state,
                                                          Vec& cell) const {
      Vec input, forget, candidate, output;
      detail::lstm_step(gi, gf, gg, go, bi, bf, bg, bo, hidden_state, cell, input, forget, candidate, output);
    }
  };
  /// The same, writing the gates for the tape.
  struct cell_update_train {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gi, const Vec& gf, const Vec& gg,
                                                          const Vec& go, const Vec& bi, const Vec& bf,
                                                          const Vec& bg, const Vec& bo, Vec& hidden_state,
                                                          Vec& cell, Vec& input, Vec& forget, Vec& candidate,
                                                          Vec& output) const {
      detail::lstm_step(gi, gf, gg, go, bi, bf, bg, bo, hidden_state, cell, input, forget, candidate, output);
    }
  };
  /// The pre-activation gradients of a step (see backward); carried_c, dc'
  /// on entry, leaves with dc f.
  struct cell_update_grad {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& i, const Vec& f, const Vec& g,
                                                          const Vec& o, const Vec& c_before,
                                                          const Vec& c_after, const Vec& gy,
                                                          const Vec& carried_h, Vec& carried_c, Vec& d_i,
                                                          Vec& d_f, Vec& d_g, Vec& d_o) const {
      const Vec dh = gy + carried_h;
      const Vec tc = math::tanh(c_after);
      const Vec dc = carried_c + dh * o * (Vec(1) - tc * tc);
      d_i = dc * g * i * (Vec(1) - i);
      d_f = dc * c_before * f * (Vec(1) - f);
      d_g = dc * i * (Vec(1) - g * g);
      d_o = dh * tc * o * (Vec(1) - o);
      carried_c = dc * f;
    }
  };
  /// \endcond

 private:
  static constexpr bool uses_static_step =
      has_static_sizes && In > 0 && Hidden > 0 && detail::has_static_step<T, B>;

  void initialize(std::size_t in, std::size_t hidden, init::Options options) {
    weight_ih = Param<tensor_type>(tensor_type::empty({in, 4 * hidden}));
    weight_hh = Param<tensor_type>(tensor_type::empty({hidden, 4 * hidden}));
    bias_ih = Param<tensor_type>(tensor_type::empty({4 * hidden}));
    bias_hh = Param<tensor_type>(tensor_type::empty({4 * hidden}));
    h = State<tensor_type>(Shape{hidden});
    c = State<tensor_type>(Shape{hidden});
    Rng rng = init::generator(options);  // the key: nn/init.hpp
    reset_parameters(rng);
  }

  // The step with static sizes: b_ih + b_hh + x W_ih + h W_hh accumulated in
  // registers, then the gates; c is updated in place.
  template <class X>
  const tensor_type& static_update(const X& x) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::LSTMCell: the input's element type differs from the cell's");
    const std::size_t rows = detail::checked_rows("nn::LSTMCell", this->name(), x, In, *h, Hidden);
    if (!(c->shape() == h->shape())) {
      throw shape_error("nn::LSTMCell '" + this->name() + "': the cell state has shape " +
                        c->shape().to_string() + " but the hidden state " + h->shape().to_string() +
                        "; call reset_state(batch_size) first");
    }
    T* cell = c->data();
    using added = detail::added_rows<T>;
    detail::static_step<T, Hidden, 4>(
        rows, h->data(),
        [cell](std::size_t row, std::size_t offset, T* out, const auto& pre) {
          using V = std::remove_cvref_t<decltype(pre[0])>;
          T* c_row = cell + row * Hidden + offset;
          const V c_next = math::sigmoid(pre[1]) * detail::load_lane<V>(c_row) +
                           math::sigmoid(pre[0]) * math::tanh(pre[2]);
          detail::store_lane(c_row, c_next);
          detail::store_lane(out + offset, V(math::sigmoid(pre[3]) * math::tanh(c_next)));
        },
        std::tuple{added{bias_ih.value().data(), 0}, added{bias_hh.value().data(), 0},
                   detail::product<T, In>{static_cast<const T*>(x.data()), In, weight_ih.value().data()},
                   detail::product<T, Hidden>{h->data(), Hidden, weight_hh.value().data()}});
    return *h;
  }

  // gates = x W_ih + h W_hh, bias = b_ih + b_hh; returns the number of rows.
  template <class X>
  std::size_t project(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::LSTMCell", this->name(), x, in_features(), *h, hidden);
    detail::input_and_hidden_gemm(x, weight_ih.value(), *h, weight_hh.value(), gates_, rows, true);
    // b_ih + b_hh once per step, not once per row.
    bias_.ensure_shape({4 * hidden});
    B::map(4 * hidden, detail::sum_of{}, bias_ih.value().data(), bias_hh.value().data(),
           write_only(bias_.data()));
    return rows;
  }

  tensor_type gates_, bias_;
  tensor_type h_grad_, c_grad_;            // the carried d loss / d h and d loss / d c
  tensor_type gate_grad_;                  // (4, rows, hidden): d a_i, d a_f, d a_g, d a_o
  tensor_type weight_hh_t_, weight_ih_t_;  // W^T for the sweep (begin_backward)
  tensor_type ones_;                       // rows ones: bias gradients as one GEMM
  tensor_type input_grad_;                 // backward's d loss / d x
};

/// nn::LSTMCell(in, hidden): sizes known at run time, LSTMCell<dynamic, dynamic>.
LSTMCell(std::size_t, std::size_t)->LSTMCell<>;
/// nn::LSTMCell(in, hidden, options): sizes known at run time.
LSTMCell(std::size_t, std::size_t, init::Options)->LSTMCell<>;

}  // namespace modyn::nn
