// What the optimizers share: the walk over the Params a filter accepts, one
// slot of optimizer state per Param (typed by the Param's tensor), and the
// checked reading of an optimizer's state dict.
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/shape.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/module/detail/traversal.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/filters.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/state_dict.hpp"

namespace modyn::train::detail {

using modyn::detail::no_filter;

// f(path, param) for every Param of a model that `filter` accepts (the
// filters of module/filters.hpp), in traversal order; allocates nothing.
template <class Filter, class F>
struct filtered_param_visitor : modyn::detail::visitor_base {
  const Filter& filter;
  F& f;
  filtered_param_visitor(const Filter& fl, F& fn) : filter(fl), f(fn) {}
  template <class M>
  bool enter(std::string_view, M&, int depth) {
    return depth == 0 || modyn::detail::deeper_accepted(filter, depth - 1);
  }
  template <class P>
  void param(std::string_view path, P& p, int depth) {
    if (modyn::detail::accepts(filter, path, std::as_const(p), depth)) f(path, p);
  }
};

template <class M, class Filter, class F>
void for_each_trained(M& model, const Filter& filter, F&& f) {
  filtered_param_visitor<Filter, std::remove_reference_t<F>> visitor(filter, f);
  modyn::detail::walk(model, visitor);
}

template <class V>
inline constexpr bool floating_tensor_v = std::is_floating_point_v<typename V::value_type>;

// std::variant<std::monostate, Slot<V>...> over the distinct tensor types V
// of a model's Params.
template <template <class> class Slot, class List>
struct slot_variant;
template <template <class> class Slot, class... Vs>
struct slot_variant<Slot, modyn::detail::type_list<Vs...>> {
  using type = std::variant<std::monostate, Slot<Vs>...>;
};

// The optimizer state of each trained Param, in traversal order: Slot<V>
// for a Param holding V, with the Param's path. Built once from the model;
// each step walks the model again and checks that the Params are still the
// ones the slots were made for (same order, paths and tensor types), so a
// model changed under an optimizer is an error, never a silent mix-up.
template <template <class> class Slot, class Model, class Filter>
class slot_table {
  using types = modyn::detail::model_value_types_t<Model, modyn::detail::value_filter::params>;

 public:
  using slot_type = typename slot_variant<Slot, types>::type;

  slot_table(Model& model, Filter filter, std::string_view who) : model_(&model), filter_(filter), who_(who) {
    for_each_trained(model, filter_, [&](std::string_view path, auto& p) {
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      static_assert(floating_tensor_v<V>,
                    "modyn::train: optimizers update floating-point Params only (an integer Param has no "
                    "gradient); exclude it with a filter");
      Slot<V> slot;
      slot.path = std::string(path);
      slots_.emplace_back(std::move(slot));
    });
  }

  Model& model() const noexcept { return *model_; }
  const Filter& filter() const noexcept { return filter_; }
  const std::string& who() const noexcept { return who_; }
  std::size_t size() const noexcept { return slots_.size(); }

  // f(path, param, slot) for every trained Param.
  template <class F>
  void visit(F&& f) {
    std::size_t i = 0;
    for_each_trained(*model_, filter_, [&](std::string_view path, auto& p) {
      using V = typename std::remove_cvref_t<decltype(p)>::value_type;
      Slot<V>* slot = i < slots_.size() ? std::get_if<Slot<V>>(&slots_[i]) : nullptr;
      if (!slot || slot->path != path) changed(path, i);
      ++i;
      f(path, p, *slot);
    });
    if (i != slots_.size()) changed({}, i);
  }

  // f(slot) for every slot, without the model.
  template <class F>
  void each_slot(F&& f) const {
    for (const slot_type& s : slots_) {
      std::visit(
          [&](const auto& slot) {
            if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(slot)>, std::monostate>) f(slot);
          },
          s);
    }
  }

 private:
  [[noreturn]] void changed(std::string_view path, std::size_t index) const {
    const auto path_of = [&](std::size_t k) {
      std::string p;
      std::visit(
          [&](const auto& slot) {
            if constexpr (!std::is_same_v<std::remove_cvref_t<decltype(slot)>, std::monostate>) p = slot.path;
          },
          slots_[k]);
      return p;
    };
    std::string what;
    if (index >= slots_.size()) {
      what = "it has a Param '" + std::string(path) + "' beyond the " + std::to_string(slots_.size()) +
             " the optimizer was built for";
    } else if (path.empty()) {
      what = "it has " + std::to_string(index) + " Params, the optimizer was built for " +
             std::to_string(slots_.size());
    } else {
      what = "Param " + std::to_string(index) + " is '" + std::string(path) + "' where '" + path_of(index) +
             "' (of the same tensor type) was";
    }
    throw config_error(who_ + ": the model's Params changed since the optimizer was built (" + what +
                       "); build a new optimizer for the new model");
  }

  Model* model_;
  [[no_unique_address]] Filter filter_;
  std::string who_;
  std::vector<slot_type> slots_;
};

// Reads an optimizer's or scheduler's state dict with checks: every entry
// read must have the expected dtype (type_error) and shape (shape_error),
// both naming the key; missing and unexpected keys are collected and
// reported together by finish() (key_error).
class dict_reader {
 public:
  dict_reader(const StateDict& dict, std::string who) : dict_(dict), who_(std::move(who)) {}

  bool contains(const std::string& key) const { return dict_.contains(key); }

  // The entry under key, checked to hold T with the given shape; null (and
  // the key noted missing) when there is none. `what` names what the shape
  // is of in the message ("the parameter", "the optimizer").
  template <HasDType T>
  const StateEntry* require(const std::string& key, const Shape& shape, std::string_view what = "expected") {
    const StateEntry* entry = dict_.find(key);
    if (!entry) {
      missing_.push_back(key);
      return nullptr;
    }
    used_.insert(key);
    if (!entry->holds<T>()) {
      throw type_error(who_ + ": '" + key + "': expected " + std::string(to_string(dtype_v<T>)) +
                       ", the state dict has " + std::string(to_string(entry->dtype())));
    }
    if (!(entry->shape() == shape)) {
      throw shape_error(who_ + ": '" + key + "': " + std::string(what) + " shape " + shape.to_string() +
                        ", the state dict has shape " + entry->shape().to_string());
    }
    return entry;
  }

  // A rank-0 entry of T (a hyperparameter or a counter), or `fallback`
  // (with the key noted missing) when there is none.
  template <HasDType T>
  T scalar(const std::string& key, T fallback) {
    const StateEntry* entry = require<T>(key, Shape{});
    return entry ? entry->as<T>().item() : fallback;
  }
  bool flag(const std::string& key, bool fallback) {
    return scalar<std::uint8_t>(key, fallback ? 1 : 0) != 0;
  }

  // Throws key_error listing the missing keys and the keys nothing read.
  void finish() const {
    std::vector<std::string> unexpected;
    for (const auto& [key, entry] : dict_) {
      if (!used_.contains(key)) unexpected.push_back(key);
    }
    if (missing_.empty() && unexpected.empty()) return;
    const auto join = [](const std::vector<std::string>& keys) {
      std::string s;
      for (const auto& k : keys) s += (s.empty() ? "'" : ", '") + k + "'";
      return s.empty() ? std::string("none") : s;
    };
    throw key_error(who_ + ": missing keys: " + join(missing_) + "; unexpected keys: " + join(unexpected));
  }

 private:
  const StateDict& dict_;
  std::string who_;
  std::unordered_set<std::string> used_;
  std::vector<std::string> missing_;
};

// The shortest text that reads back as x ("1e-08", "0.9", "inf").
inline std::string format_number(double x) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

// A rank-0 host tensor holding one value, for a state dict.
template <class T>
Tensor<T> scalar_tensor(T value) {
  return Tensor<T>(Shape{}, {value});
}

}  // namespace modyn::train::detail
