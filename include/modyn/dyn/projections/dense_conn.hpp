// dyn::DenseConn: synapses as a dense weight matrix W (n_pre, n_post), the
// spikes of a step delivered as one matrix product g += s W over the spike
// vector s (brainpy's dnn.Linear as a projection's comm). For dense
// connectivity (most pairs connected) and the batched, trainable case:
// spikes as floats (batch, n_pre) through a Dense-like layer, W a Param.
//
//   dyn::DenseConn conn(W);                       // W: Tensor (n_pre, n_post)
//   conn.deliver(ctx, spikes, pre_size, first_pre, g);   // g += spikes[:, first_pre:] W
//
// Its cost is n_pre x n_post per step whatever the spikes; for sparse
// connectivity use dyn::SparseConn, whose cost grows with the events.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/connectivity/csr.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/param.hpp"

namespace modyn::dyn {

/// A dense connection: one matrix product of the spike vector with W
/// (n_pre, n_post) per step. T: the element type; B: the backend.
template <class T = float, class B = default_backend>
class DenseConn : public Module<DenseConn<T, B>> {
 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its weights and of g

  Param<tensor_type> weight;  ///< (n_pre, n_post): weight(i, j) from pre i to post j, 0 where unconnected
  MODYN_FIELDS(weight)

  DenseConn() : DenseConn(tensor_type::zeros(Shape{0, 0})) {}
  /// The connection of weight matrix W, (n_pre, n_post).
  explicit DenseConn(tensor_type W) : weight(std::move(W)) {
    if (weight->shape().rank() != 2) {
      throw shape_error("dyn::DenseConn: the weight matrix has shape " + weight->shape().to_string() +
                        "; it needs (n_pre, n_post)");
    }
  }
  /// The matrix of a CSR connectivity (synapses between one pair add up).
  explicit DenseConn(const Csr<T>& csr) : DenseConn(densify(csr)) {}

  /// The number of presynaptic neurons (W's rows).
  std::size_t n_pre() const noexcept { return weight->shape()[0]; }
  /// The number of postsynaptic neurons (W's columns).
  std::size_t n_post() const noexcept { return weight->shape()[1]; }

  /// g += s W, s the columns first_pre .. first_pre + n_pre of spikes
  /// ((pre_size,) or (batch, pre_size), 1 where a neuron fired), g (n_post,)
  /// or (batch, n_post).
  void deliver(const Context& c, TensorView<const T, B> spikes, std::size_t first_pre, tensor_type& g) {
    const Shape& s = spikes.shape();
    const std::size_t pre_size = s.rank() == 0 ? 0 : s[s.rank() - 1];
    const std::size_t batch = s.rank() == 2 ? s[0] : 1;
    const Shape expected = s.rank() == 2 ? Shape{batch, n_post()} : Shape{n_post()};
    if (s.rank() == 0 || s.rank() > 2 || first_pre + n_pre() > pre_size) {
      throw shape_error("dyn::DenseConn '" + this->name() + "': spikes of shape " + s.to_string() +
                        " have no columns " + std::to_string(first_pre) + " .. " +
                        std::to_string(first_pre + n_pre()) + " (the connection's " +
                        std::to_string(n_pre()) + " presynaptic neurons)");
    }
    if (!(g.shape() == expected)) {
      throw shape_error("dyn::DenseConn '" + this->name() + "': the trace has shape " +
                        g.shape().to_string() + ", expected " + expected.to_string() +
                        " for spikes of shape " + s.to_string());
    }
    (void)c;
    if (n_pre() == 0 || n_post() == 0) return;
    B::gemm(Transpose::no, Transpose::no, batch, n_post(), n_pre(), T(1), spikes.data() + first_pre, pre_size,
            weight->data(), n_post(), T(1), g.data(), n_post());
  }

 private:
  static tensor_type densify(const Csr<T>& csr) {
    std::vector<T> dense(csr.n_pre() * csr.n_post(), T(0));
    for (std::size_t i = 0; i < csr.n_pre(); ++i) {
      const auto row = csr.targets(i);
      const std::size_t first = std::size_t(csr.row_offsets()[i]);
      for (std::size_t k = 0; k < row.size(); ++k) {
        dense[i * csr.n_post() + std::size_t(row[k])] += csr.weight_of(first + k);
      }
    }
    return tensor_type(Shape{csr.n_pre(), csr.n_post()}, std::span<const T>(dense));
  }
};

}  // namespace modyn::dyn
