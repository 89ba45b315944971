// Monitors of a LoopOverTime: which State to record, and how.
//
//   monitor<"l1.h">                         the whole State at every step: (T, ...)
//   monitor<"lif.V">.neurons({0, 7})        selected neurons only (along the last
//                                           axis): (T, ..., 2)
//   monitor<"lif.V">.every(10)              every 10th step (steps 0, 10, ...):
//                                           (ceil(T / 10), ...)
//   spike_monitor<"lif.spike">              the non-zero elements as a sparse
//                                           SpikeRecord of (step, index) pairs
//
// Paths are resolved at compile time through the model's reflected fields,
// so a typo is a compile error, not a run-time surprise. Each monitor's
// recorder owns its buffers, sized when a run starts: the steps of a run
// allocate nothing (a spike record grows only while a run has more spikes
// than any before it).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/axes.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/fixed_string.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/dyn/spike_record.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/reflection.hpp"

namespace modyn {

namespace detail {
template <fixed_string Path, class Tensor>
class state_recorder;
template <fixed_string Path, class Tensor>
class spike_recorder;
}  // namespace detail

// A State recorded at selected steps and for selected neurons.
template <fixed_string Path>
struct StateMonitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;
  static constexpr std::string_view path = Path.view();

  std::vector<std::size_t> selected;  // indices along the last axis; empty: all
  std::size_t stride = 1;             // record steps 0, stride, 2 stride, ...

  StateMonitor neurons(std::vector<std::size_t> indices) const {
    StateMonitor m = *this;
    m.selected = std::move(indices);
    return m;
  }
  StateMonitor every(std::size_t k) const {
    if (k == 0) throw config_error("modyn::monitor<\"" + std::string(path) + "\">.every(k): k must be >= 1");
    StateMonitor m = *this;
    m.stride = k;
    return m;
  }

  template <class Tensor>
  using recorder = detail::state_recorder<Path, Tensor>;
};

// The whole State at every step; .neurons() and .every() refine it.
template <fixed_string Path>
struct Monitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;
  static constexpr std::string_view path = Path.view();

  StateMonitor<Path> neurons(std::vector<std::size_t> indices) const {
    return StateMonitor<Path>{}.neurons(std::move(indices));
  }
  StateMonitor<Path> every(std::size_t k) const { return StateMonitor<Path>{}.every(k); }

  template <class Tensor>
  using recorder = detail::state_recorder<Path, Tensor>;
};

// The non-zero elements of a State (spikes) at every step, as a SpikeRecord.
template <fixed_string Path>
struct SpikeMonitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;
  static constexpr std::string_view path = Path.view();

  template <class Tensor>
  using recorder = detail::spike_recorder<Path, Tensor>;
};

template <fixed_string Path>
inline constexpr Monitor<Path> monitor{};

template <fixed_string Path>
inline constexpr SpikeMonitor<Path> spike_monitor{};

template <class M>
inline constexpr bool is_monitor_v = false;
template <fixed_string P>
inline constexpr bool is_monitor_v<Monitor<P>> = true;
template <fixed_string P>
inline constexpr bool is_monitor_v<StateMonitor<P>> = true;
template <fixed_string P>
inline constexpr bool is_monitor_v<SpikeMonitor<P>> = true;

template <class M>
concept MonitorSpec = is_monitor_v<M>;

namespace detail {

template <class M>
constexpr std::size_t field_index(std::string_view name) {
  constexpr auto fields = M::template modyn_fields<M>();
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    const bool matches[] = {std::get<I>(fields).name == name..., false};
    std::size_t i = 0;
    while (i < sizeof...(I) && !matches[i]) ++i;
    return i;
  }
  (std::make_index_sequence<std::tuple_size_v<decltype(fields)>>{});
}

// The field at the dot-separated path Path (from character Begin on) of m.
template <fixed_string Path, std::size_t Begin = 0, class M>
decltype(auto) follow_path(M& m) {
  using Self = std::remove_const_t<M>;
  static_assert(ReflectedModule<Self>,
                "modyn::monitor: the path goes through a field that is not a module with MODYN_FIELDS");
  constexpr std::string_view full = Path.view();
  constexpr std::size_t dot = full.find('.', Begin);
  constexpr std::string_view head =
      full.substr(Begin, dot == std::string_view::npos ? full.size() - Begin : dot - Begin);
  constexpr auto fields = Self::template modyn_fields<Self>();
  constexpr std::size_t index = field_index<Self>(head);
  static_assert(index < std::tuple_size_v<decltype(fields)>,
                "modyn::monitor: a segment of the path names no field of the module (check the path "
                "against the model's named_states())");
  auto& field = std::get<index>(fields).get(m);
  if constexpr (dot == std::string_view::npos) {
    static_assert(is_state_v<std::remove_cvref_t<decltype(field)>>,
                  "modyn::monitor: the path must end at a State");
    return (field);
  } else {
    return follow_path<Path, dot + 1>(field);
  }
}

// The tensor type of the State at Path in a Model (Tensor<std::int32_t> for
// an int32 counter beside a float V): what its recorder's history holds.
template <fixed_string Path, class Model>
using state_tensor_t =
    typename std::remove_cvref_t<decltype(follow_path<Path>(std::declval<Model&>()))>::value_type;

}  // namespace detail

namespace detail {

struct no_owner {};

// The module that owns the field at Path (the model itself for a path of
// one segment).
template <fixed_string Path, std::size_t Begin = 0, class M>
decltype(auto) follow_owner(M& m) {
  constexpr std::string_view full = Path.view();
  constexpr std::size_t dot = full.find('.', Begin);
  if constexpr (dot == std::string_view::npos) {
    return (m);
  } else {
    using Self = std::remove_const_t<M>;
    constexpr std::string_view head = full.substr(Begin, dot - Begin);
    constexpr auto fields = Self::template modyn_fields<Self>();
    auto& field = std::get<field_index<Self>(head)>(fields).get(m);
    if constexpr (ReflectedModule<std::remove_cvref_t<decltype(field)>>) {
      return follow_owner<Path, dot + 1>(field);
    } else {
      return no_owner{};  // the path continues into a container: scan the State
    }
  }
}

// Whether the State at Path is the `spike` State of a neuron that emits the
// list of its spikes.
template <fixed_string Path, class Owner>
inline constexpr bool emits_spikes = [] {
  constexpr std::string_view full = Path.view();
  constexpr std::size_t dot = full.rfind('.');
  constexpr std::string_view last = dot == std::string_view::npos ? full : full.substr(dot + 1);
  return last == "spike" && requires(const Owner& o) {
    o.fired().size();
    o.fired().data();
  };
}();

// Records a State (or selected neurons of it) at every stride-th step into a
// (records, ...) tensor.
template <fixed_string Path, class Tensor>
class state_recorder {
  using T = typename Tensor::value_type;
  using B = typename Tensor::backend_type;

 public:
  state_recorder() = default;
  explicit state_recorder(const Monitor<Path>&) {}
  explicit state_recorder(StateMonitor<Path> spec)
      : selected_(std::move(spec.selected)), stride_(spec.stride) {
    if constexpr (!B::host_accessible) {
      if (!selected_.empty()) {
        throw config_error("modyn::monitor<\"" + std::string(Path.view()) +
                           "\">.neurons(): selecting neurons needs a host-accessible backend");
      }
    }
  }

  // A run of `steps` steps begins. (The history is sized at its first
  // record: a State may take its shape in the model's first step.)
  template <class Model>
  void start(Model& model, std::size_t steps, const Context&) {
    records_ = (steps + stride_ - 1) / stride_;
    if (records_ == 0)
      history_.ensure_shape(with_leading(0, recorded_shape(follow_path<Path>(model).value().shape())));
  }

  template <class Model>
  void record(Model& model, std::size_t t) {
    if (t % stride_ != 0) return;
    const auto& value = follow_path<Path>(model).value();
    if (t == 0) history_.ensure_shape(with_leading(records_, recorded_shape(value.shape())));
    auto slot = history_[t / stride_];
    if (!(slot.shape() == recorded_shape(value.shape()))) {
      throw shape_error("modyn::LoopOverTime: monitored state '" + std::string(Path.view()) +
                        "' changed shape to " + value.shape().to_string() + " at step " + std::to_string(t));
    }
    if (selected_.empty()) {
      B::copy(value.data(), slot.data(), value.size());
      return;
    }
    if constexpr (B::host_accessible) {  // else the constructor threw
      const std::size_t n = value.rank() ? value.shape(value.rank() - 1) : 1, k = selected_.size();
      const T* in = value.data();
      T* out = slot.data();
      for (std::size_t row = 0; row < value.size() / (n ? n : 1); ++row)
        for (std::size_t j = 0; j < k; ++j) out[row * k + j] = in[row * n + selected_[j]];
    }
  }

  const Tensor& time_major() const noexcept { return history_; }

  const Tensor& batch_major() {
    if (history_.rank() < 2 || history_.size() == 0) {  // (T,) of a rank-0 State: no axes to swap
      batch_major_.ensure_shape(swap_leading(history_.shape()));
      B::copy(history_.data(), batch_major_.data(), history_.size());
      return batch_major_;
    }
    batch_major_.ensure_shape(swap_leading(history_.shape()));
    const std::size_t a = history_.shape(0), b = history_.shape(1);
    swap_leading_axes<T, B>(history_.data(), batch_major_.data(), a, b, history_.size() / (a * b));
    return batch_major_;
  }

 private:
  Shape recorded_shape(const Shape& shape) const {
    if (selected_.empty()) return shape;
    const std::size_t n = shape.rank() ? shape[shape.rank() - 1] : 1;
    for (const std::size_t i : selected_) {
      if (i >= n) {
        throw index_error("modyn::monitor<\"" + std::string(Path.view()) + "\">.neurons(): index " +
                          std::to_string(i) + " is out of range for a State of shape " + shape.to_string());
      }
    }
    std::size_t e[Shape::max_rank];
    std::copy(shape.begin(), shape.end(), e);
    const std::size_t rank = shape.rank() ? shape.rank() : 1;
    e[rank - 1] = selected_.size();
    return Shape(std::span<const std::size_t>(e, rank));
  }

  std::vector<std::size_t> selected_;
  std::size_t stride_ = 1;
  std::size_t records_ = 0;
  Tensor history_, batch_major_;
};

// Records the non-zero elements of a State as (step, flat index) events.
template <fixed_string Path, class Tensor>
class spike_recorder {
  using T = typename Tensor::value_type;
  using B = typename Tensor::backend_type;

 public:
  spike_recorder() = default;
  explicit spike_recorder(const SpikeMonitor<Path>&) {}

  template <class Model>
  void start(Model& model, std::size_t steps, const Context& c) {
    record_.clear();
    record_.shape = follow_path<Path>(model).value().shape();
    // On a device, a step's list or flags are copied into this host buffer
    // (sized once here: a warm run allocates nothing but the record).
    if constexpr (!B::host_accessible) {
      host_.resize(record_.shape.size());
      list_host_.resize(record_.shape.size());
    }
    record_.num_steps = steps;
    record_.t0 = c.t;
    record_.dt = c.dt;
  }

  template <class Model>
  void record(Model& model, std::size_t t) {
    const auto& value = follow_path<Path>(model).value();
    if (t == 0) record_.shape = value.shape();  // the shape the model's first step gave it
    if (!(value.shape() == record_.shape)) {
      throw shape_error("modyn::LoopOverTime: monitored spikes '" + std::string(Path.view()) +
                        "' changed shape to " + value.shape().to_string() + " at step " + std::to_string(t));
    }
    // A neuron's spike State comes with the list its pass emitted: read
    // it, instead of scanning N flags.
    auto&& owner = follow_owner<Path>(model);
    if constexpr (emits_spikes<Path, std::remove_cvref_t<decltype(owner)>>) {
      const auto& fired = owner.fired();
      push_list(fired.data(), fired.size(), static_cast<std::int64_t>(t));
    } else if constexpr (B::host_accessible) {
      scan(value.data(), value.size(), static_cast<std::int64_t>(t));
    } else {
      host_.resize(value.size());
      B::copy_to_host(value.data(), host_.data(), value.size());
      scan(host_.data(), value.size(), static_cast<std::int64_t>(t));
    }
  }

  const SpikeRecord& time_major() const noexcept { return record_; }
  const SpikeRecord& batch_major() const noexcept { return record_; }

 private:
  // The `count` indices of a neuron's emitted list (on B), as events of step.
  template <class Index>
  void push_list(const Index* list, std::size_t count, std::int64_t step) {
    const Index* host = list;
    if constexpr (!B::host_accessible) {
      static_assert(std::is_same_v<Index, std::int32_t>,
                    "modyn::spike_monitor: spike lists hold int32 indices");
      if (list_host_.size() < count) list_host_.resize(count);
      B::copy_to_host(list, list_host_.data(), count);
      host = list_host_.data();
    }
    for (std::size_t k = 0; k < count; ++k) {
      record_.steps.push_back(step);
      record_.indices.push_back(static_cast<std::int64_t>(host[k]));
    }
  }

  // Spikes are rare: blocks without any are skipped by a branch-free test
  // the compiler vectorizes.
  void scan(const T* x, std::size_t n, std::int64_t step) {
    constexpr std::size_t block = 64;
    std::size_t i = 0;
    for (; i + block <= n; i += block) {
      bool any = false;
      for (std::size_t j = 0; j < block; ++j) any |= (x[i + j] != T(0));
      if (any) push_block(x, i, i + block, step);
    }
    push_block(x, i, n, step);
  }

  void push_block(const T* x, std::size_t begin, std::size_t end, std::int64_t step) {
    for (std::size_t j = begin; j < end; ++j) {
      if (x[j] != T(0)) {
        record_.steps.push_back(step);
        record_.indices.push_back(static_cast<std::int64_t>(j));
      }
    }
  }

  SpikeRecord record_;
  std::vector<T> host_;                  // a device State's flags, on the host
  std::vector<std::int32_t> list_host_;  // a device neuron's spike list, on the host
};

}  // namespace detail
}  // namespace modyn
