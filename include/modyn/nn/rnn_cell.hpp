// nn::RNNCell: h' = f(x W_ih + b_ih + h W_hh + b_hh), f = tanh or relu
// (PyTorch's RNNCell, with weights stored (in, hidden) and (hidden, hidden):
// the transposes of PyTorch's weight_ih / weight_hh). Initialised as PyTorch:
// every weight and bias uniform in +-1/sqrt(hidden).
// Differentiable (module/differentiable.hpp): its tape holds the input and
// h before and after the step; it carries d loss / d h (h_grad()).
// With sizes known at compile time (nn::RNNCell<100, 20>) a step on the CPU
// runs nn/detail/static_step.hpp's fused kernel instead of a GEMM and a pass.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>

#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"
#include "modyn/module/differentiable.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"
#include "modyn/nn/activations.hpp"
#include "modyn/nn/detail/narrow_step.hpp"
#include "modyn/nn/detail/recurrent.hpp"
#include "modyn/nn/detail/rows.hpp"
#include "modyn/nn/detail/static_step.hpp"
#include "modyn/nn/init.hpp"

namespace modyn::nn {

/// The activation f of an RNNCell.
enum class Nonlinearity { tanh, relu };

/// An Elman recurrent cell (PyTorch's RNNCell): h' = f(x W_ih + b_ih + h W_hh
/// + b_hh), f = tanh or relu.
///
/// In, Hidden: the input and hidden sizes when known at compile time
/// (nn::RNNCell<100, 20>{}: a step on the CPU is one fused, register-blocked
/// kernel; Sequential checks adjacent sizes), else `dynamic`
/// (nn::RNNCell(100, 20)); T: the element type; B: the backend.
template <std::size_t In = dynamic, std::size_t Hidden = dynamic, class T = float, class B = default_backend>
class RNNCell : public Module<RNNCell<In, Hidden, T, B>> {
 public:
  using tensor_type = Tensor<T, B>;                           ///< the type of the weights, inputs and states
  static constexpr std::size_t static_in_features = In;       ///< In: the input size, or `dynamic`
  static constexpr std::size_t static_out_features = Hidden;  ///< Hidden: the hidden size, or `dynamic`
  /// The same cell on backend NewB (what `to<B>` builds).
  template <class NewB>
  using rebind_backend = RNNCell<In, Hidden, T, NewB>;
  /// Whether In and Hidden are both known at compile time.
  static constexpr bool has_static_sizes = In != dynamic && Hidden != dynamic;

  Param<tensor_type> weight_ih;                    ///< (in, hidden)
  Param<tensor_type> weight_hh;                    ///< (hidden, hidden)
  Param<tensor_type> bias_ih;                      ///< (hidden,)
  Param<tensor_type> bias_hh;                      ///< (hidden,)
  State<tensor_type> h;                            ///< (batch, hidden)
  Nonlinearity nonlinearity = Nonlinearity::tanh;  ///< f
  MODYN_FIELDS(weight_ih, weight_hh, bias_ih, bias_hh, h, nonlinearity)

  /// An empty cell (0 x 0) with dynamic sizes; with static sizes, a tanh cell
  /// of those sizes initialised from the default generator
  /// (nn::RNNCell<100, 20>{}).
  RNNCell() {
    if constexpr (has_static_sizes) initialize(In, Hidden, {});
  }
  /// A cell of static sizes with activation f, initialised from
  /// init::generator(options).
  explicit RNNCell(Nonlinearity f, init::Options options = {}) requires(has_static_sizes) : nonlinearity(f) {
    initialize(In, Hidden, options);
  }
  /// Weights and biases of a cell from `in` inputs to `hidden` units with
  /// activation f, uniform in +-1/sqrt(hidden), from init::generator(options).
  /// Sizes that differ from static ones are a config_error.
  RNNCell(std::size_t in, std::size_t hidden, Nonlinearity f = Nonlinearity::tanh, init::Options options = {})
      : nonlinearity(f) {
    detail::check_static_sizes("nn::RNNCell", In, Hidden, in, hidden);
    initialize(in, hidden, options);
  }

  /// `to<B>(cell)`: empty Params (`to<B>` copies the source's over them) and
  /// no stream taken from the default generator.
  template <class OtherBackend>
  RNNCell(rebind_tag, const RNNCell<In, Hidden, T, OtherBackend>& source)
      : Module<RNNCell>(source.name()), nonlinearity(source.nonlinearity) {}

  /// Redraws the weights and biases, in field order, uniform in +-1/sqrt(hidden).
  void reset_parameters(Rng& rng) {
    init::redraw_uniform_fan_in(rng, out_features(), weight_ih, weight_hh, bias_ih, bias_hh);
  }

  /// The size of the last axis of an input.
  std::size_t in_features() const { return weight_ih.raw().shape(0); }
  /// The size of the hidden state.
  std::size_t out_features() const { return weight_ih.raw().shape(1); }

  /// One step; returns the new hidden state.
  template <TensorLike X>
  const tensor_type& update(const X& x) {
    const std::size_t hidden = out_features();
    const std::size_t rows = detail::checked_rows("nn::RNNCell", this->name(), x, in_features(), *h, hidden);
    if constexpr (uses_static_step) {
      static_assert(std::is_same_v<tensor_value_t<X>, T>,
                    "nn::RNNCell: the input's element type differs from the cell's");
      if (detail::static_step_pays<T>(rows, (In + Hidden) * Hidden)) {
        using added = detail::added_rows<T>;
        fused_step(rows, std::tuple{added{bias_ih.value().data(), 0}, added{bias_hh.value().data(), 0},
                                    detail::product<T, In>{static_cast<const T*>(x.data()), In,
                                                           weight_ih.value().data()},
                                    detail::product<T, Hidden>{h->data(), Hidden, weight_hh.value().data()}});
        return *h;
      }
    }
    // pre = (b_ih + b_hh) in every row, += x W_ih, += h W_hh; then h = f(pre)
    // in one flat pass.
    project_into(x, rows, pre_);
    return recur(pre_.view());
  }

  /// The input half of the step for many steps at once: x (..., in) ->
  /// (b_ih + b_hh) + x W_ih, (..., hidden), one GEMM over every row. A
  /// LoopOverTime calls it once before its time loop, then update_projected
  /// at each step. The result is a buffer of this cell.
  template <TensorLike X>
  tensor_type& project_input(const X& x) {
    const std::size_t in = in_features();
    if (x.rank() == 0 || x.shape(x.rank() - 1) != in) {
      throw shape_error("nn::RNNCell '" + this->name() + "': expected an input of shape (..., " +
                        std::to_string(in) + "), got " + x.shape().to_string());
    }
    project_into(x, x.size() / in, projected_);
    std::size_t extents[Shape::max_rank];
    std::copy(x.shape().begin(), x.shape().end(), extents);
    extents[x.rank() - 1] = out_features();
    projected_.ensure_shape(Shape(std::span<const std::size_t>(extents, x.rank())));
    return projected_;
  }

  /// project_input's latest result (the buffer update_projected overwrites).
  tensor_type& projected_input() noexcept { return projected_; }

  /// One step from a projected input (a step of project_input's result, which
  /// it overwrites): h = f(projected + h W_hh).
  const tensor_type& update_projected(TensorView<T, B> projected) {
    const std::size_t hidden = out_features();
    if (!(projected.shape() == h->shape())) {
      throw shape_error("nn::RNNCell '" + this->name() + "': a projected step of shape " +
                        projected.shape().to_string() + " for a hidden state of shape " +
                        h->shape().to_string() + "; call reset_state(batch_size) first");
    }
    const std::size_t rows = projected.size() / (hidden ? hidden : 1);
    if constexpr (uses_static_step) {
      if (detail::static_step_pays<T>(rows, Hidden * Hidden)) {
        fused_step(rows, std::tuple{detail::added_rows<T>{projected.data(), Hidden},
                                    detail::product<T, Hidden>{h->data(), Hidden, weight_hh.value().data()}});
        return *h;
      }
    }
    B::gemm(Transpose::no, Transpose::no, rows, hidden, hidden, T(1), h->data(), hidden,
            weight_hh.value().data(), hidden, T(1), projected.data(), hidden);
    return activate(projected);
  }

  // ---- training (module/differentiable.hpp)

  /// What backward needs of a step.
  struct tape_type {
    tensor_type input;     ///< x
    tensor_type h_before;  ///< h before the step
    tensor_type h_after;   ///< h after it: f(pre), from which f'(pre) follows
  };

  /// update(x), recording the input and h before and after the step.
  template <TensorLike X>
  const tensor_type& forward_train(const X& x, tape_type& tape, const Context& = {}) {
    keep_copy(tape.input, x);  // first: x may be this cell's own h
    keep_copy(tape.h_before, *h);
    update(x);
    keep_copy(tape.h_after, *h);
    return *h;
  }

  /// d loss / d h carried from the step after the one being differentiated:
  /// after a backward call, d loss / d (h before that call's step).
  const tensor_type& h_grad() const noexcept { return h_grad_; }

  /// Zeroes h_grad() with the shape of h: once, before the latest step's
  /// backward. Also keeps W_hh^T and W_ih^T for the sweep (the weights must
  /// not change until it ends, as in any backward pass).
  void begin_backward() {
    h_grad_.ensure_shape(h->shape());
    h_grad_.view() = T(0);
    keep_transpose(weight_hh_t_, weight_hh.value());
    keep_transpose(weight_ih_t_, weight_ih.value());
  }

  /// From gy = d loss / d h' of the recorded step and the carried h_grad():
  /// d pre = (gy + h_grad) f'(pre); dW_ih += x^T d pre, dW_hh += h^T d pre,
  /// db_ih and db_hh += the rows of d pre summed; h_grad = d pre W_hh^T;
  /// returns gx = d pre W_ih^T.
  template <TensorLike G>
  const tensor_type& backward(const tape_type& tape, const G& grad_out, const Context& context = {},
                              InputGrad input_grad = InputGrad::yes) {
    const tensor_type& d = backward_projected(tape, grad_out, context);
    return backward_projection(tape.input, d, input_grad);
  }

  // ---- training with the input half hoisted (LoopOverTime: project_input
  // once over every step, then a step at a time)

  /// update_projected, recording h before and after the step (not the input).
  const tensor_type& forward_train_projected(TensorView<T, B> projected, tape_type& tape,
                                             const Context& = {}) {
    keep_copy(tape.h_before, *h);
    update_projected(projected);
    keep_copy(tape.h_after, *h);
    return *h;
  }

  /// The recurrent half of backward: d pre = (gy + h_grad) f'(pre),
  /// dW_hh += h^T d pre, h_grad = d pre W_hh^T. Returns d pre (a buffer of
  /// this cell, until the next call), which backward_projection takes.
  template <TensorLike G>
  const tensor_type& backward_projected(const tape_type& tape, const G& grad_out, const Context& = {}) {
    const std::size_t hidden = out_features();
    const Shape& expected = tape.h_after.shape();
    if (!(grad_out.shape() == expected)) {
      throw shape_error("nn::RNNCell '" + this->name() + "': backward expected a gradient of shape " +
                        expected.to_string() + " (the output's), got " + grad_out.shape().to_string());
    }
    if (!(h_grad_.shape() == expected)) {
      throw shape_error("nn::RNNCell '" + this->name() + "': the carried h gradient has shape " +
                        h_grad_.shape().to_string() + " but the step's output has shape " +
                        expected.to_string() + "; call begin_backward() before the first backward");
    }
    const std::size_t rows = tape.h_after.size() / (hidden ? hidden : 1);
    pre_grad_.ensure_shape({rows, hidden});
    const T* gy = static_cast<const T*>(grad_out.data());
    if (nonlinearity == Nonlinearity::tanh)
      B::map(rows * hidden, chain_from_output<tanh_kernel>{}, tape.h_after.data(), gy, h_grad_.data(),
             write_only(pre_grad_.data()));
    else
      B::map(rows * hidden, chain_from_output<relu_kernel>{}, tape.h_after.data(), gy, h_grad_.data(),
             write_only(pre_grad_.data()));
    const T* d = pre_grad_.data();
    B::gemm(Transpose::yes, Transpose::no, hidden, hidden, rows, T(1), tape.h_before.data(), hidden, d,
            hidden, T(1), weight_hh.grad().data(), hidden);
    // h_grad_ was read into d pre: it now takes d loss / d (h before).
    B::gemm(Transpose::no, Transpose::no, rows, hidden, hidden, T(1), d, hidden, weight_hh_t_.data(), hidden,
            T(0), h_grad_.data(), hidden);
    return pre_grad_;
  }

  /// The input half of backward, for one step or for every step at once:
  /// from x (..., in) and d pre (the same rows, hidden): dW_ih += x^T d pre,
  /// db_ih and db_hh += the rows of d pre summed; returns d loss / d x.
  template <TensorLike X, TensorLike D>
  const tensor_type& backward_projection(const X& x, const D& pre_grad,
                                         InputGrad input_grad = InputGrad::yes) {
    const std::size_t in = in_features(), hidden = out_features();
    const std::size_t rows = pre_grad.size() / (hidden ? hidden : 1);
    if (x.size() != rows * in) {
      throw shape_error("nn::RNNCell '" + this->name() +
                        "': backward of the input half got an input of shape " + x.shape().to_string() +
                        " for " + std::to_string(rows) + " rows of d pre");
    }
    if (!(weight_ih_t_.shape() == Shape{hidden, in})) {
      throw shape_error("nn::RNNCell '" + this->name() +
                        "': backward before begin_backward() (W_ih^T for the sweep is missing)");
    }
    const T* d = static_cast<const T*>(pre_grad.data());
    const T* input = static_cast<const T*>(x.data());
    B::gemm(Transpose::yes, Transpose::no, in, hidden, rows, T(1), input, in, d, hidden, T(1),
            weight_ih.grad().data(), hidden);
    add_row_sums(d, rows, hidden, bias_ih.grad().data(), ones_);
    add_row_sums(d, rows, hidden, bias_hh.grad().data(), ones_);
    if (input_grad == InputGrad::no) return no_input_grad(input_grad_);
    input_grad_.ensure_shape(x.shape());
    B::gemm(Transpose::no, Transpose::no, rows, in, hidden, T(1), d, hidden, weight_ih_t_.data(), in, T(0),
            input_grad_.data(), in);
    return input_grad_;
  }

  // (Public: nvcc launches kernels only of accessible types.)
  /// \cond internal
  /// d pre = (gy + carried) f'(pre), from y = f(pre) alone: the activation's
  /// own grad(x, y) (nn/activations.hpp), given y for x, which is exact for
  /// tanh (1 - y^2) and relu (y > 0 exactly where pre > 0; 0 at 0, as PyTorch).
  template <class Kernel>
  struct chain_from_output {
    template <class Vec>
    MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& y, const Vec& gy, const Vec& carried,
                                                          Vec& pre_grad) const {
      pre_grad = (gy + carried) * Kernel{}.grad(y, y);
    }
  };
  /// \endcond

 private:
  static constexpr bool uses_static_step =
      has_static_sizes && In > 0 && Hidden > 0 && detail::has_static_step<T, B>;

  void initialize(std::size_t in, std::size_t hidden, init::Options options) {
    weight_ih = Param<tensor_type>(tensor_type::empty({in, hidden}));
    weight_hh = Param<tensor_type>(tensor_type::empty({hidden, hidden}));
    bias_ih = Param<tensor_type>(tensor_type::empty({hidden}));
    bias_hh = Param<tensor_type>(tensor_type::empty({hidden}));
    h = State<tensor_type>(Shape{hidden});
    Rng rng = init::generator(options);  // the key: nn/init.hpp
    reset_parameters(rng);
  }

  // h = f(sum) for `rows` rows, the sum's terms accumulated in registers.
  template <class Sum>
  void fused_step(std::size_t rows, const Sum& sum) {
    if constexpr (detail::has_narrow_step<T, Hidden>) {
      // Rows of at most 4: 16 rows to a vector (nn/detail/narrow_step.hpp),
      // the last rows % 16 by the chunks.
      const std::size_t done = nonlinearity == Nonlinearity::tanh
                                   ? detail::narrow_step<Hidden>(rows, h->data(), math_tanh{}, sum)
                                   : detail::narrow_step<Hidden>(rows, h->data(), math_relu{}, sum);
      if (done < rows) step_rows(rows - done, h->data() + done * Hidden, detail::from_row(sum, done));
      return;
    }
    if constexpr (!detail::whole_vectors<T, Hidden>) {
      // f in one flat pass over every row: the narrower chunks would call f
      // on part-filled or scalar lanes, more calls for the same elements.
      detail::static_step<T, Hidden, 1>(
          rows, h->data(),
          [](std::size_t, std::size_t offset, T* out, const auto& pre) {
            detail::store_lane(out + offset, pre[0]);
          },
          sum);
      activate(h->view());
      return;
    }
    step_rows(rows, h->data(), sum);
  }

  struct math_tanh {
    template <class V>
    MODYN_ALWAYS_INLINE V operator()(const V& v) const {
      return math::tanh(v);
    }
  };
  struct math_relu {
    template <class V>
    MODYN_ALWAYS_INLINE V operator()(const V& v) const {
      return math::relu(v);
    }
  };

  // out (rows, Hidden) = f(sum), f applied to each lane chunk.
  template <class Sum>
  void step_rows(std::size_t rows, T* out, const Sum& sum) {
    const auto step = [&]<class Activation>(Activation) {
      detail::static_step<T, Hidden, 1>(
          rows, out,
          [](std::size_t, std::size_t offset, T* y, const auto& pre) {
            using V = std::remove_cvref_t<decltype(pre[0])>;
            detail::store_lane(y + offset, V(Activation{}(pre[0])));
          },
          sum);
    };
    if (nonlinearity == Nonlinearity::tanh)
      step(math_tanh{});
    else
      step(math_relu{});
  }

  // out (rows, hidden) = (b_ih + b_hh) + x W_ih
  template <class X>
  void project_into(const X& x, std::size_t rows, tensor_type& out) {
    const std::size_t hidden = out_features(), in = in_features();
    if constexpr (uses_static_step) {
      if (detail::static_step_pays<T>(rows, In * Hidden)) {
        out.ensure_shape({rows, hidden});
        detail::static_step<T, Hidden, 1>(
            rows, out.data(),
            [](std::size_t, std::size_t offset, T* y, const auto& pre) {
              detail::store_lane(y + offset, pre[0]);
            },
            std::tuple{
                detail::added_rows<T>{bias_ih.value().data(), 0},
                detail::added_rows<T>{bias_hh.value().data(), 0},
                detail::product<T, In>{static_cast<const T*>(x.data()), In, weight_ih.value().data()}});
        return;
      }
    }
    bias_.ensure_shape({hidden});
    B::map(hidden, detail::sum_of{}, bias_ih.value().data(), bias_hh.value().data(),
           write_only(bias_.data()));
    out.ensure_shape({rows, hidden});
    detail::fill_rows<B>(out.data(), rows, hidden, static_cast<const T*>(bias_.data()));
    B::gemm(Transpose::no, Transpose::no, rows, hidden, in, T(1), static_cast<const T*>(x.data()), in,
            weight_ih.value().data(), hidden, T(1), out.data(), hidden);
  }

  // pre += h W_hh, then h = f(pre).
  const tensor_type& recur(TensorView<T, B> pre) {
    const std::size_t hidden = out_features();
    B::gemm(Transpose::no, Transpose::no, pre.size() / (hidden ? hidden : 1), hidden, hidden, T(1), h->data(),
            hidden, weight_hh.value().data(), hidden, T(1), pre.data(), hidden);
    return activate(pre);
  }

  const tensor_type& activate(TensorView<T, B> pre) {
    if (nonlinearity == Nonlinearity::tanh)
      Elementwise<tanh_kernel>::apply_into(pre, *h);
    else
      Elementwise<relu_kernel>::apply_into(pre, *h);
    return *h;
  }

  tensor_type pre_;                        // b + x W_ih + h W_hh
  tensor_type bias_;                       // b_ih + b_hh
  tensor_type projected_;                  // project_input's result
  tensor_type h_grad_;                     // the carried d loss / d h
  tensor_type pre_grad_;                   // backward's d loss / d pre
  tensor_type input_grad_;                 // backward's d loss / d x
  tensor_type weight_hh_t_, weight_ih_t_;  // W^T for the sweep (begin_backward)
  tensor_type ones_;                       // rows ones: bias gradients as one GEMM
};

/// nn::RNNCell(in, hidden, ...): sizes known at run time, RNNCell<dynamic, dynamic>.
RNNCell(std::size_t, std::size_t)->RNNCell<>;
/// nn::RNNCell(in, hidden, f): sizes known at run time.
RNNCell(std::size_t, std::size_t, Nonlinearity)->RNNCell<>;
/// nn::RNNCell(in, hidden, f, options): sizes known at run time.
RNNCell(std::size_t, std::size_t, Nonlinearity, init::Options)->RNNCell<>;

}  // namespace modyn::nn
