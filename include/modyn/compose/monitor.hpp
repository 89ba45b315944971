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
#include <concepts>
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
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/spike_record.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/reflection.hpp"
#include "modyn/module/state.hpp"

namespace modyn {

namespace detail {
template <fixed_string Path, class Tensor>
class state_recorder;
template <fixed_string Path, class Tensor>
class spike_recorder;
}  // namespace detail

/// A State recorded at selected steps and for selected neurons.
/// Path: the dot-separated path of the State in the model ("l1.h").
template <fixed_string Path>
struct StateMonitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;  ///< the path, as a fixed_string
  /// The path of the State in the model, dot-separated ("l1.h", "pops.0.V").
  static constexpr std::string_view path = Path.view();

  std::vector<std::size_t> selected;  ///< indices along the last axis; empty: all
  std::size_t stride = 1;             ///< record steps 0, stride, 2 stride, ...

  /// This monitor, recording only the elements at `indices` along the last axis.
  StateMonitor neurons(std::vector<std::size_t> indices) const {
    StateMonitor m = *this;
    m.selected = std::move(indices);
    return m;
  }
  /// This monitor, recording every k-th step (k >= 1).
  StateMonitor every(std::size_t k) const {
    if (k == 0) throw config_error("modyn::monitor<\"" + std::string(path) + "\">.every(k): k must be >= 1");
    StateMonitor m = *this;
    m.stride = k;
    return m;
  }

  /// What records it in a LoopOverTime with tensors of type Tensor.
  template <class Tensor>
  using recorder = detail::state_recorder<Path, Tensor>;
};

/// The whole State at every step; .neurons() and .every() refine it.
/// Path: the dot-separated path of the State in the model ("l1.h").
template <fixed_string Path>
struct Monitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;  ///< the path, as a fixed_string
  /// The path of the State in the model, dot-separated ("l1.h", "pops.0.V").
  static constexpr std::string_view path = Path.view();

  /// A StateMonitor of this path, recording only the elements at `indices` along
  /// the last axis.
  StateMonitor<Path> neurons(std::vector<std::size_t> indices) const {
    return StateMonitor<Path>{}.neurons(std::move(indices));
  }
  /// A StateMonitor of this path, recording every k-th step (k >= 1).
  StateMonitor<Path> every(std::size_t k) const { return StateMonitor<Path>{}.every(k); }

  /// What records it in a LoopOverTime with tensors of type Tensor.
  template <class Tensor>
  using recorder = detail::state_recorder<Path, Tensor>;
};

/// The non-zero elements of a State (spikes) at every step, as a SpikeRecord.
/// Path: the dot-separated path of the spike State ("pops.0.spike").
template <fixed_string Path>
struct SpikeMonitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;  ///< the path, as a fixed_string
  /// The path of the State in the model, dot-separated ("pops.0.spike").
  static constexpr std::string_view path = Path.view();

  /// What records it in a LoopOverTime with tensors of type Tensor.
  template <class Tensor>
  using recorder = detail::spike_recorder<Path, Tensor>;
};

/// monitor<"l1.h">: the whole State at Path, at every step (a Monitor).
template <fixed_string Path>
inline constexpr Monitor<Path> monitor{};

/// spike_monitor<"lif.spike">: the spikes of the State at Path (a SpikeMonitor).
template <fixed_string Path>
inline constexpr SpikeMonitor<Path> spike_monitor{};

/// What a LoopOverTime takes as a monitor: a path and a recorder type.
/// (A member test rather than partial specializations on the fixed_string
/// parameter: nvcc's front end does not match those.)
template <class M>
concept MonitorSpec = requires {
  typename M::template recorder<Tensor<float>>;
  { M::path } -> std::convertible_to<std::string_view>;
  M::fixed;
};

/// Whether M is a monitor spec (MonitorSpec).
template <class M>
inline constexpr bool is_monitor_v = MonitorSpec<M>;

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

// The segment of a dot-separated path that starts at `begin`.
constexpr std::string_view path_segment(std::string_view path, std::size_t begin) {
  const std::size_t dot = path.find('.', begin);
  return path.substr(begin, dot == std::string_view::npos ? std::string_view::npos : dot - begin);
}

// Whether a segment is a decimal index ("0", "12"), as the traversal names
// the elements of a std::array / std::vector / std::tuple of modules.
constexpr bool is_index_segment(std::string_view segment) {
  if (segment.empty()) return false;
  for (const char c : segment)
    if (c < '0' || c > '9') return false;
  return true;
}

constexpr std::size_t index_of_segment(std::string_view segment) {
  std::size_t i = 0;
  for (const char c : segment) i = 10 * i + static_cast<std::size_t>(c - '0');
  return i;
}

template <class C>
inline constexpr bool has_static_size = requires {
  std::tuple_size<C>::value;
};

// Why a monitor's path does not lead to a State of the model.
enum class path_problem {
  none,
  no_such_field,         // a segment names no field of the module
  not_an_index,          // after a container, a segment that is not an index
  index_out_of_range,    // an index past a std::array / std::tuple
  ends_before_a_state,   // the path ends at a module or a container
  continues_past_state,  // the path goes on after a State or a plain field
};

template <class Field>
struct path_resolution {
  path_problem problem = path_problem::none;
  using field_type = Field;  // the State the path leads to (void when it does not)
};

// Follows the path from character Begin on, through the types: a module's
// fields by name, a container's elements by index (a std::vector's at run
// time, in follow_path).
template <fixed_string Path, std::size_t Begin, class T>
constexpr auto resolve_path() {
  constexpr std::string_view full = Path.view();
  constexpr std::string_view head = path_segment(full, Begin);
  constexpr bool last = Begin + head.size() == full.size();
  using failure = path_resolution<void>;
  if constexpr (ReflectedModule<T>) {
    constexpr auto fields = T::template modyn_fields<T>();
    constexpr std::size_t index = field_index<T>(head);
    if constexpr (index == std::tuple_size_v<decltype(fields)>) {
      return failure{path_problem::no_such_field};
    } else {
      using Field = field_type_t<std::tuple_element_t<index, decltype(fields)>, T>;
      if constexpr (!last)
        return resolve_path<Path, Begin + head.size() + 1, Field>();
      else if constexpr (is_state_v<Field>)
        return path_resolution<Field>{};
      else
        return failure{path_problem::ends_before_a_state};
    }
  } else if constexpr (is_module_container_v<T>) {
    if constexpr (!is_index_segment(head)) {
      return failure{path_problem::not_an_index};
    } else if constexpr (last) {
      return failure{path_problem::ends_before_a_state};
    } else if constexpr (has_static_size<T>) {
      constexpr std::size_t index = index_of_segment(head);
      if constexpr (index >= std::tuple_size_v<T>)
        return failure{path_problem::index_out_of_range};
      else
        return resolve_path<Path, Begin + head.size() + 1, std::tuple_element_t<index, T>>();
    } else {
      return resolve_path<Path, Begin + head.size() + 1, typename T::value_type>();
    }
  } else if constexpr (ModuleType<T>) {
    return failure{path_problem::no_such_field};  // a module without MODYN_FIELDS
  } else {
    return failure{path_problem::continues_past_state};
  }
}

// Reports a problem of a monitor's path. The path is spelt out in the
// template arguments, one character each, so that the compiler's
// "in instantiation of monitor_path_problem<..., 'l', '1', '.', 'h'>" note
// shows which monitor it is.
template <path_problem Problem, char... Path>
struct monitor_path_problem {
  static_assert(Problem != path_problem::no_such_field,
                "modyn::monitor: a segment of the path names no field of the module (check the path "
                "against the model's named_states())");
  static_assert(Problem != path_problem::not_an_index,
                "modyn::monitor: after a std::array / std::vector / std::tuple of modules the path needs "
                "an element index (\"pops.0.V\")");
  static_assert(Problem != path_problem::index_out_of_range,
                "modyn::monitor: the index is past the end of the std::array / std::tuple of modules");
  static_assert(Problem != path_problem::ends_before_a_state,
                "modyn::monitor: the path must end at a State, not at a module or a container");
  static_assert(Problem != path_problem::continues_past_state,
                "modyn::monitor: the path goes on past a State or a plain field");
  static constexpr bool reported = true;
};

// A monitor's path checked against a model when the loop's class is
// instantiated, whether or not it ever runs.
template <fixed_string Path, class Model>
struct checked_monitor_path {
  static constexpr path_problem problem = resolve_path<Path, 0, std::remove_cvref_t<Model>>().problem;
  static constexpr bool valid = problem == path_problem::none;
  static_assert([]<std::size_t... I>(std::index_sequence<I...>) {
    return monitor_path_problem<problem, Path.chars[I]...>::reported;
  }(std::make_index_sequence<Path.view().size()>{}));

  // The State's type; an invalid path (reported above) gets a stand-in so
  // that no further errors follow.
  using state_type =
      std::conditional_t<valid,
                         typename decltype(resolve_path<Path, 0, std::remove_cvref_t<Model>>())::field_type,
                         State<Tensor<float>>>;
};

// The field or element that the path's segment at Begin names in m.
template <fixed_string Path, std::size_t Begin, class M>
decltype(auto) path_step(M& m) {
  using Self = std::remove_const_t<M>;
  constexpr std::string_view head = path_segment(Path.view(), Begin);
  if constexpr (ReflectedModule<Self>) {
    constexpr auto fields = Self::template modyn_fields<Self>();
    return std::get<field_index<Self>(head)>(fields).get(m);
  } else if constexpr (has_static_size<Self>) {
    return std::get<index_of_segment(head)>(m);
  } else {
    constexpr std::size_t index = index_of_segment(head);
    if (index >= m.size()) {
      throw config_error("modyn::monitor<\"" + std::string(Path.view()) + "\">: index " +
                         std::to_string(index) + " is out of range for '" +
                         std::string(Path.view().substr(0, Begin - 1)) + "', a std::vector of " +
                         std::to_string(m.size()) + " modules");
    }
    return m[index];
  }
}

// The State at the dot-separated path Path (from character Begin on) of m;
// the path was checked by checked_monitor_path. Throws config_error naming
// the path when an index is past the end of a std::vector.
template <fixed_string Path, std::size_t Begin = 0, class M>
decltype(auto) follow_path(M& m) {
  constexpr std::size_t end = Begin + path_segment(Path.view(), Begin).size();
  auto& next = path_step<Path, Begin>(m);
  if constexpr (end == Path.view().size())
    return (next);
  else
    return follow_path<Path, end + 1>(next);
}

// The tensor type of the State at Path in a Model (Tensor<std::int32_t> for
// an int32 counter beside a float V): what its recorder's history holds.
template <fixed_string Path, class Model>
using state_tensor_t = typename checked_monitor_path<Path, Model>::state_type::value_type;

// The State a recorder reads: follow_path's, once the path is known valid
// (an invalid one was reported by checked_monitor_path's static_assert; the
// stand-in spares the reader the errors that would follow).
template <fixed_string Path, class Model>
auto& monitored_state(Model& model) {
  using checked = checked_monitor_path<Path, Model>;
  if constexpr (checked::valid) {
    return follow_path<Path>(model);
  } else {
    static typename checked::state_type stand_in;
    return stand_in;
  }
}

// The module that owns the State at Path (the model itself for a path of
// one segment, the element for "pops.0.spike").
template <fixed_string Path, std::size_t Begin = 0, class M>
decltype(auto) follow_owner(M& m) {
  constexpr std::size_t end = Begin + path_segment(Path.view(), Begin).size();
  if constexpr (end == Path.view().size()) {
    return (m);
  } else {
    return follow_owner<Path, end + 1>(path_step<Path, Begin>(m));
  }
}

// follow_owner's module, once the path is known valid (see monitored_state).
template <fixed_string Path, class Model>
decltype(auto) monitored_owner(Model& model) {
  if constexpr (checked_monitor_path<Path, Model>::valid)
    return follow_owner<Path>(model);
  else
    return (model);
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
    const auto& state = monitored_state<Path>(model);  // an index past a std::vector throws before the run
    if (records_ == 0) history_.ensure_shape(with_leading(0, recorded_shape(state.value().shape())));
  }

  template <class Model>
  void record(Model& model, std::size_t t) {
    if (t % stride_ != 0) return;
    const auto& value = monitored_state<Path>(model).value();
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
    record_.shape = monitored_state<Path>(model).value().shape();
    record_.num_steps = steps;
    record_.t0 = c.t;
    record_.dt = c.dt;
    // On a device, steps are gathered in a device chunk (lists, or whole
    // flag vectors) and copied to the host once it is full and at the
    // run's last step: a few large copies, not one per step. Sized here, so
    // a warm run allocates nothing but the record.
    if constexpr (!B::host_accessible) {
      const std::size_t n = record_.shape.size();
      chunk_steps_.clear();
      chunk_used_ = 0;
      const std::size_t capacity = std::max<std::size_t>(n, chunk_elements);
      if (emits_spikes<Path, std::remove_cvref_t<decltype(monitored_owner<Path>(model))>>) {
        list_chunk_.ensure_shape(Shape{capacity});
        list_host_.resize(capacity);
      } else {
        flag_chunk_.ensure_shape(Shape{capacity});
        host_.resize(capacity);
      }
    }
  }

  template <class Model>
  void record(Model& model, std::size_t t) {
    const auto& value = monitored_state<Path>(model).value();
    if (t == 0) record_.shape = value.shape();  // the shape the model's first step gave it
    if (!(value.shape() == record_.shape)) {
      throw shape_error("modyn::LoopOverTime: monitored spikes '" + std::string(Path.view()) +
                        "' changed shape to " + value.shape().to_string() + " at step " + std::to_string(t));
    }
    const auto step = static_cast<std::int64_t>(t);
    // A neuron's spike State comes with the list its pass emitted: read
    // it, instead of scanning N flags.
    auto&& owner = monitored_owner<Path>(model);
    if constexpr (emits_spikes<Path, std::remove_cvref_t<decltype(owner)>>) {
      const auto& fired = owner.fired();
      if constexpr (B::host_accessible) {
        for (std::size_t k = 0; k < fired.size(); ++k) push(step, static_cast<std::int64_t>(fired.data()[k]));
      } else {
        gather(list_chunk_, fired.data(), fired.size(), step);
      }
    } else if constexpr (B::host_accessible) {
      scan(value.data(), value.size(), step);
    } else {
      gather(flag_chunk_, value.data(), value.size(), step);
    }
    if constexpr (!B::host_accessible) {
      if (t + 1 == record_.num_steps) flush();
    }
  }

  const SpikeRecord& time_major() const noexcept { return record_; }
  const SpikeRecord& batch_major() const noexcept { return record_; }

 private:
  // Device elements gathered per chunk: 256 KiB of int32 or float.
  static constexpr std::size_t chunk_elements = std::size_t(1) << 16;

  void push(std::int64_t step, std::int64_t index) {
    record_.steps.push_back(step);
    record_.indices.push_back(index);
  }

  // Appends a step's `count` device elements (a list, or the N flags) to
  // the device chunk, flushing it first when they do not fit.
  template <class Chunk, class Element>
  void gather(Chunk& chunk, const Element* data, std::size_t count, std::int64_t step) {
    if (chunk_used_ + count > chunk.size()) flush();
    if (count > chunk.size()) chunk.ensure_shape(Shape{count});  // a State that grew at the first step
    B::copy(data, chunk.data() + chunk_used_, count);
    chunk_steps_.push_back({step, count});
    chunk_used_ += count;
  }

  // One copy of the chunk to the host, turned into the record's events.
  void flush() {
    if (chunk_used_ == 0) {
      chunk_steps_.clear();
      return;
    }
    std::size_t at = 0;
    if (list_chunk_.size() != 0) {
      if (list_host_.size() < chunk_used_) list_host_.resize(chunk_used_);
      B::copy_to_host(list_chunk_.data(), list_host_.data(), chunk_used_);
      for (const auto& [step, count] : chunk_steps_) {
        for (std::size_t k = 0; k < count; ++k) push(step, static_cast<std::int64_t>(list_host_[at + k]));
        at += count;
      }
    } else {
      if (host_.size() < chunk_used_) host_.resize(chunk_used_);
      B::copy_to_host(flag_chunk_.data(), host_.data(), chunk_used_);
      for (const auto& [step, count] : chunk_steps_) {
        scan(host_.data() + at, count, step);
        at += count;
      }
    }
    chunk_steps_.clear();
    chunk_used_ = 0;
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

  struct chunk_step {
    std::int64_t step;
    std::size_t count;
  };

  SpikeRecord record_;
  // On a device: the steps gathered but not yet copied, and the host side.
  modyn::Tensor<std::int32_t, B> list_chunk_;  // spike lists, one after the other
  modyn::Tensor<T, B> flag_chunk_;             // whole flag vectors
  std::vector<chunk_step> chunk_steps_;
  std::size_t chunk_used_ = 0;
  std::vector<T> host_;
  std::vector<std::int32_t> list_host_;
};

}  // namespace detail
}  // namespace modyn
