// nn::GRUCell (PyTorch's definition, gates in the order r, z, n):
//   r = sigmoid(x W_ir + b_ir + h W_hr + b_hr)
//   z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
//   n = tanh(x W_in + b_in + r (h W_hn + b_hn))
//   h' = (1 - z) n + z h
// Weights stored (in, 3 hidden) and (hidden, 3 hidden): PyTorch's transposed.
// Differentiable (module/differentiable.hpp): its tape holds the input, h
// before the step, r, z, n and h W_hn + b_hn; it carries d loss / d h
// (h_grad()).
// With sizes known at compile time (nn::GRUCell<1, 8>) a step on the CPU runs
// nn/detail/static_step.hpp's fused kernel instead of two GEMMs and a pass.
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
#include "modyn/nn/detail/static_step.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

namespace detail {

// One GRU step of one element: returns h', and sets r, z, n and
// hn = h W_hn + b_hn (what the backward reads).
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec gru_step(const Vec& gir, const Vec& giz, const Vec& gin,
                                                   const Vec& ghr, const Vec& ghz, const Vec& ghn,
                                                   const Vec& bir, const Vec& biz, const Vec& bin,
                                                   const Vec& bhr, const Vec& bhz, const Vec& bhn,
                                                   const Vec& state, Vec& reset, Vec& update, Vec& candidate,
                                                   Vec& hidden_n) {
  reset = math::sigmoid(gir + bir + ghr + bhr);
  update = math::sigmoid(giz + biz + ghz + bhz);
  hidden_n = ghn + bhn;
  candidate = math::tanh(gin + bin + reset * hidden_n);
  return (Vec(1) - update) * candidate + update * state;
}

}  // namespace detail

/// A gated recurrent unit cell (PyTorch's GRUCell, gates r, z, n): one step
/// of h' = (1 - z) n + z h per update (see the top of nn/gru_cell.hpp).
///
/// In, Hidden: the input and hidden sizes when known at compile time
/// (nn::GRUCell<1, 8>{}: a step on the CPU is one fused, register-blocked
/// kernel; Sequential checks adjacent sizes), else `dynamic`
/// (nn::GRUCell(1, 8)); T: the element type; B: the backend.
template <std::size_t In = dynamic, std::size_t Hidden = dynamic, class T = float, class B = default_backend>
class GRUCell : public Module<GRUCell<In, Hidden, T, B>> {
 public:
  using tensor_type = Tensor<T, B>;                           ///< the type of the weights, inputs and states
  static constexpr std::size_t static_in_features = In;       ///< In: the input size, or `dynamic`
  static constexpr std::size_t static_out_features = Hidden;  ///< Hidden: the hidden size, or `dynamic`
  /// The same cell on backend NewB (what `to<B>` builds).
  template <class NewB>
  using rebind_backend = GRUCell<In, Hidden, T, NewB>;
  /// Whether In and Hidden are both known at compile time.
  static constexpr bool has_static_sizes = In != dynamic && Hidden != dynamic;

  Param<tensor_type> weight_ih;  ///< (in, 3 hidden): [r | z | n]
  Param<tensor_type> weight_hh;  ///< (hidden, 3 hidden)
  Param<tensor_type> bias_ih;    ///< (3 hidden,)
  Param<tensor_type> bias_hh;    ///< (3 hidden,)
  State<tensor_type> h;          ///< (batch, hidden)
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h)

  /// An empty cell (0 x 0) with dynamic sizes; with static sizes, a cell of
  /// those sizes initialised from the default generator (nn::GRUCell<1, 8>{}).
  GRUCell() {
    if constexpr (has_static_sizes) initialize(In, Hidden, {});
  }
  /// A cell of static sizes initialised from init::generator(options).
  explicit GRUCell(init::Options options) requires(has_static_sizes) { initialize(In, Hidden, options); }
  /// Weights and biases of a cell from `in` inputs to `hidden` units, uniform in
  /// +-1/sqrt(hidden), from init::generator(options). Sizes that differ from
  /// static ones are a config_error.
  GRUCell(std::size_t in, std::size_t hidden, init::Options options = {}) {
    detail::check_static_sizes("nn::GRUCell", In, Hidden, in, hidden);
    initialize(in, hidden, options);
  }

  /// `to<B>(cell)`: empty Params (`to<B>` copies the source's over them) and
  /// no stream taken from the default generator.
  template <class OtherBackend>
  GRUCell(rebind_tag, const GRUCell<In, Hidden, T, OtherBackend>& source) : Module<GRUCell>(source.name()) {}

  /// Redraws the weights and biases, in field order, uniform in +-1/sqrt(hidden).
  void reset_parameters(Rng& rng) {
    init::redraw_uniform_fan_in(rng, out_features(), weight_ih, weight_hh, bias_ih, bias_hh);
  }

  /// The size of the last axis of an input.
  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  /// The size of the hidden state.
  std::size_t out_features() const { return weight_hh.raw().shape(0); }

  /// One step from x (batch, in) or (in,); returns the new hidden state h.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    if constexpr (uses_static_step) {
      if (detail::static_step_pays<T>(x.size() / In, (In + Hidden) * 3 * Hidden)) return static_update(x);
    }
    const std::size_t rows = project(x);
    const std::size_t hidden = out_features(), stride = 3 * hidden;
    const T* bi = bias_ih.value().data();
    const T* bh = bias_hh.value().data();
    // One pass over every row: the gates are rows of hidden, 3 hidden
    // apart; the biases are rows read by every row.
    const T* gi = gi_.data();
    const T* gh = gh_.data();
    B::map(rows * hidden, gates{}, strided_rows(gi, hidden, stride),
           strided_rows(gi + hidden, hidden, stride), strided_rows(gi + 2 * hidden, hidden, stride),
           strided_rows(gh, hidden, stride), strided_rows(gh + hidden, hidden, stride),
           strided_rows(gh + 2 * hidden, hidden, stride), broadcast_row(bi, hidden),
           broadcast_row(bi + hidden, hidden), broadcast_row(bi + 2 * hidden, hidden),
           broadcast_row(bh, hidden), broadcast_row(bh + hidden, hidden),
           broadcast_row(bh + 2 * hidden, hidden), h->data());
    return *h;
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type input;     ///< x
    tensor_type h_before;  ///< h before the step
    /// @{
    /// the gates, (rows, hidden) each
    tensor_type r, z, n;
    /// @}
    tensor_type hn;  ///< h W_hn + b_hn, which r multiplies
  };

  /// update(x), recording the input, h before the step and the gates.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    keep_copy(tape.input, x);  // first: x may be this cell's own h
    keep_copy(tape.h_before, *h);
    const std::size_t rows = project(x);
    const std::size_t hidden = out_features(), stride = 3 * hidden;
    for (tensor_type* t : {&tape.r, &tape.z, &tape.n, &tape.hn}) t->ensure_shape({rows, hidden});
    const T* bi = bias_ih.value().data();
    const T* bh = bias_hh.value().data();
    const T* gi = gi_.data();
    const T* gh = gh_.data();
    B::map(rows * hidden, gates_train{}, strided_rows(gi, hidden, stride),
           strided_rows(gi + hidden, hidden, stride), strided_rows(gi + 2 * hidden, hidden, stride),
           strided_rows(gh, hidden, stride), strided_rows(gh + hidden, hidden, stride),
           strided_rows(gh + 2 * hidden, hidden, stride), broadcast_row(bi, hidden),
           broadcast_row(bi + hidden, hidden), broadcast_row(bi + 2 * hidden, hidden),
           broadcast_row(bh, hidden), broadcast_row(bh + hidden, hidden),
           broadcast_row(bh + 2 * hidden, hidden), h->data(), write_only(tape.r.data()),
           write_only(tape.z.data()), write_only(tape.n.data()), write_only(tape.hn.data()));
    return *h;
  }

  /// d loss / d h carried from the step after the one being differentiated:
  /// after a backward call, d loss / d (h before that call's step).
  const tensor_type& h_grad() const noexcept { return h_grad_; }

  /// Zeroes h_grad() with the shape of h: once, before the latest step's backward.
  void begin_backward() {
    h_grad_.ensure_shape(h->shape());
    h_grad_.view() = T(0);
    keep_transpose(weight_hh_t_, weight_hh.value());  // W^T for the sweep's products
    keep_transpose(weight_ih_t_, weight_ih.value());
  }

  /// From gy = d loss / d h' of the recorded step and the carried h_grad()
  /// (dh' = gy + h_grad): the pre-activation gradients
  ///
  ///     d a_n = dh' (1 - z) (1 - n^2),   d a_z = dh' (h - n) z (1 - z),
  ///     d a_r = d a_n hn r (1 - r),      d hn = d a_n r
  ///
  /// of the input side [a_r | a_z | a_n] (x W_ih + b_ih) and of the hidden
  /// side [a_r | a_z | hn] (h W_hh + b_hh) give the Params' gradients;
  /// h_grad = dh' z + [d a_r | d a_z | d hn] W_hh^T; returns
  /// gx = [d a_r | d a_z | d a_n] W_ih^T.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& = {},
                              InputGrad input_grad = InputGrad::yes) {
    const std::size_t in = in_features(), hidden = out_features();
    const Shape& expected = tape.h_before.shape();
    if (!(grad_out.shape() == expected)) {
      throw shape_error("nn::GRUCell '" + this->name() + "': backward expected a gradient of shape " +
                        expected.to_string() + " (the output's), got " + grad_out.shape().to_string());
    }
    if (!(h_grad_.shape() == expected)) {
      throw shape_error("nn::GRUCell '" + this->name() + "': the carried h gradient has shape " +
                        h_grad_.shape().to_string() + " but the step's output has shape " +
                        expected.to_string() + "; call begin_backward() before the first backward");
    }
    const std::size_t rows = tape.r.shape(0), n = rows * hidden;
    gate_grad_.ensure_shape({4, rows, hidden});
    T* d = gate_grad_.data();
    // d a_r, d a_z, d a_n, d hn; h_grad_ becomes dh' z.
    B::map(n, gates_grad{}, tape.r.data(), tape.z.data(), tape.n.data(), tape.hn.data(), tape.h_before.data(),
           static_cast<const T*>(grad_out.data()), h_grad_.data(), write_only(d), write_only(d + n),
           write_only(d + 2 * n), write_only(d + 3 * n));
    const T* const input_side[3] = {d, d + n, d + 2 * n};
    const T* const hidden_side[3] = {d, d + n, d + 3 * n};
    detail::add_stacked_grads<T, B>(input_side, rows, hidden, tape.input.data(), in, weight_ih.grad().data(),
                                    bias_ih.grad().data(), ones_);
    detail::add_stacked_grads<T, B>(hidden_side, rows, hidden, tape.h_before.data(), hidden,
                                    weight_hh.grad().data(), bias_hh.grad().data(), ones_);
    detail::through_stacked_weight<T, B>(hidden_side, rows, hidden, weight_hh_t_.data(), hidden, T(1),
                                         h_grad_.data());
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    input_grad_.ensure_shape(tape.input.shape());
    detail::through_stacked_weight<T, B>(input_side, rows, hidden, weight_ih_t_.data(), in, T(0),
                                         input_grad_.data());
    return input_grad_;
  }

 public:
  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// PyTorch's GRU equations, r, z, n gates.
  struct gates {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gir, const Vec& giz, const Vec& gin,
                                                          const Vec& ghr, const Vec& ghz, const Vec& ghn,
                                                          const Vec& bir, const Vec& biz, const Vec& bin,
                                                          const Vec& bhr, const Vec& bhz, const Vec& bhn,
                                                          Vec& state) const {
      Vec reset, update, candidate, hidden_n;
      state = detail::gru_step(gir, giz, gin, ghr, ghz, ghn, bir, biz, bin, bhr, bhz, bhn, state, reset,
                               update, candidate, hidden_n);
    }
  };
  /// The same, writing the gates for the tape.
  struct gates_train {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& gir, const Vec& giz, const Vec& gin,
                                                          const Vec& ghr, const Vec& ghz, const Vec& ghn,
                                                          const Vec& bir, const Vec& biz, const Vec& bin,
                                                          const Vec& bhr, const Vec& bhz, const Vec& bhn,
                                                          Vec& state, Vec& reset, Vec& update, Vec& candidate,
                                                          Vec& hidden_n) const {
      state = detail::gru_step(gir, giz, gin, ghr, ghz, ghn, bir, biz, bin, bhr, bhz, bhn, state, reset,
                               update, candidate, hidden_n);
    }
  };
  /// The pre-activation gradients of a step (see backward); carried, dh'
  /// (gy + the carried gradient) on entry, leaves with dh' z.
  struct gates_grad {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& r, const Vec& z, const Vec& n,
                                                          const Vec& hn, const Vec& h_before, const Vec& gy,
                                                          Vec& carried, Vec& d_r, Vec& d_z, Vec& d_in,
                                                          Vec& d_hn) const {
      const Vec dh = gy + carried;
      d_in = dh * (Vec(1) - z) * (Vec(1) - n * n);
      d_z = dh * (h_before - n) * z * (Vec(1) - z);
      d_hn = d_in * r;
      d_r = d_in * hn * r * (Vec(1) - r);
      carried = dh * z;
    }
  };
  /// \endcond

 private:
  static constexpr bool uses_static_step =
      has_static_sizes && In > 0 && Hidden > 0 && detail::has_static_step<T, B>;

  void initialize(std::size_t in, std::size_t hidden, init::Options options) {
    weight_ih = Param<tensor_type>(tensor_type::empty({in, 3 * hidden}));
    weight_hh = Param<tensor_type>(tensor_type::empty({hidden, 3 * hidden}));
    bias_ih = Param<tensor_type>(tensor_type::empty({3 * hidden}));
    bias_hh = Param<tensor_type>(tensor_type::empty({3 * hidden}));
    h = State<tensor_type>(Shape{hidden});
    Rng rng = init::generator(options);  // the key: nn/init.hpp
    reset_parameters(rng);
  }

  // The step with static sizes: b_ih + x W_ih and b_hh + h W_hh accumulated
  // in registers, then the gates.
  template <class X>
  const tensor_type& static_update(const X& x) {
    static_assert(std::is_same_v<tensor_value_t<X>, T>,
                  "nn::GRUCell: the input's element type differs from the cell's");
    const std::size_t rows = detail::checked_rows("nn::GRUCell", this->name(), x, In, *h, Hidden);
    const T* state = h->data();
    detail::static_step<T, Hidden, 3>(
        rows, h->data(),
        [state](std::size_t row, std::size_t offset, T* out, const auto& gi, const auto& gh) {
          using V = std::remove_cvref_t<decltype(gi[0])>;
          const V reset = math::sigmoid(gi[0] + gh[0]);
          const V update = math::sigmoid(gi[1] + gh[1]);
          const V candidate = math::tanh(gi[2] + reset * gh[2]);
          const V before = detail::load_lane<V>(state + row * Hidden + offset);
          detail::store_lane(out + offset, V((V(1) - update) * candidate + update * before));
        },
        std::tuple{detail::added_rows<T>{bias_ih.value().data(), 0},
                   detail::product<T, In>{static_cast<const T*>(x.data()), In, weight_ih.value().data()}},
        std::tuple{detail::added_rows<T>{bias_hh.value().data(), 0},
                   detail::product<T, Hidden>{state, Hidden, weight_hh.value().data()}});
    return *h;
  }

  // gi = x W_ih, gh = h W_hh (the n gate needs h W_hn apart from x W_in: two
  // GEMMs into two buffers); returns the number of rows.
  template <class X>
  std::size_t project(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::GRUCell", this->name(), x, in_features(), *h, hidden);
    detail::input_and_hidden_gemm(x, weight_ih.value(), *h, weight_hh.value(), gi_, rows, false);
    gh_.ensure_shape({rows, 3 * hidden});
    B::gemm(Transpose::no, Transpose::no, rows, 3 * hidden, hidden, T(1), h->data(), hidden,
            weight_hh.value().data(), 3 * hidden, T(0), gh_.data(), 3 * hidden);
    return rows;
  }

  tensor_type gi_, gh_;
  tensor_type h_grad_;                     // the carried d loss / d h
  tensor_type gate_grad_;                  // (4, rows, hidden): d a_r, d a_z, d a_n, d hn
  tensor_type weight_hh_t_, weight_ih_t_;  // W^T for the sweep (begin_backward)
  tensor_type ones_;                       // rows ones: bias gradients as one GEMM
  tensor_type input_grad_;                 // backward's d loss / d x
};

/// nn::GRUCell(in, hidden): sizes known at run time, GRUCell<dynamic, dynamic>.
GRUCell(std::size_t, std::size_t)->GRUCell<>;
/// nn::GRUCell(in, hidden, options): sizes known at run time.
GRUCell(std::size_t, std::size_t, init::Options)->GRUCell<>;

}  // namespace modyn::nn
