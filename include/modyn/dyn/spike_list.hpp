// SpikeList: the neurons of a population that fired in its last step, as
// the ordered list its fused pass emitted (core/kernel_args.hpp, emit_to).
//
// Indices are flat over the population's States (batch * N + neuron for a
// (batch, N) population), in increasing order. Consumers (spike monitors,
// event-driven projections) read the list instead of scanning N spike
// flags: the cost of a step's delivery grows with its spikes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "modyn/core/kernel_args.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

/// The neurons of a population that fired in its last step, in increasing
/// flat index (see the top of dyn/spike_list.hpp). B: the backend that holds it.
template <class B = default_backend>
class SpikeList {
 public:
  using index_type = std::int32_t;  ///< a flat neuron index

  SpikeList() = default;
  /// The list of a population on another backend (`to<B>` of the population):
  /// the same spikes, so fired() still agrees with the spike State.
  template <class OtherBackend>
  SpikeList(rebind_tag, const SpikeList<OtherBackend>& source)
      : indices_(modyn::to<B>(source.indices_)), count_(source.count_) {}

  /// The emit channel of a step over n neurons: room for all of them, none
  /// yet. Allocates only when n grows (a warm run allocates nothing).
  emit_arg<index_type> begin_step(std::size_t n) {
    if (indices_.size() < n) indices_ = Tensor<index_type, B>::empty(Shape{n});
    count_ = 0;
    return emit_to(indices_.data(), count_);
  }

  /// Forgets the spikes (reset_state).
  void clear() noexcept { count_ = 0; }

  /// The number of spikes.
  std::size_t size() const noexcept { return count_; }
  /// Whether no neuron fired.
  bool empty() const noexcept { return count_ == 0; }

  /// The indices, on the population's backend.
  TensorView<const index_type, B> indices() const noexcept { return {indices_.data(), Shape{count_}}; }
  /// The indices (the first size() are valid), on the population's backend.
  const index_type* data() const noexcept { return indices_.data(); }

 private:
  template <class>
  friend class SpikeList;  // the rebind constructor reads another backend's list

  Tensor<index_type, B> indices_;
  std::size_t count_ = 0;
};

}  // namespace modyn::dyn
