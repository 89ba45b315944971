/// @file
/// Printing a module as a tree, like PyTorch's repr:
///
/// @code
///   Net(  # 1230 parameters
///     (l1): Dense(weight: Param (100, 10), bias: Param (10,))  # 1010 parameters
///     (cells): [
///       (0): LIF(v: State (7, 4), tau=10)
///     ]
///   )
/// @endcode
///
/// A model whose Params and States hold several element types prints each
/// field's dtype after its shape ("V: State (7, 4) float32, counter: State
/// (7, 4) int32"); a model of one element type prints none, as PyTorch
/// prints a module.
#pragma once

#include <cstddef>
#include <ostream>
#include <sstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "modyn/core/dtype.hpp"
#include "modyn/core/type_name.hpp"
#include "modyn/module/detail/value_types.hpp"
#include "modyn/module/module.hpp"

namespace modyn {

namespace detail {

template <class M>
std::string module_repr(const M& m, std::size_t indent, bool dtypes);

// "(label): text". Built by appending: g++ 12 reports a false -Wrestrict on
// "literal" + std::string (GCC bug 105329).
inline std::string labelled(std::string_view label, std::string_view text) {
  std::string s;
  s.reserve(label.size() + text.size() + 4);
  s += '(';
  s += label;
  s += "): ";
  s += text;
  return s;
}

inline std::string parameter_count(std::size_t n) {
  return n ? "  # " + std::to_string(n) + (n == 1 ? " parameter" : " parameters") : "";
}

template <class V>
std::string dtype_suffix(bool dtypes) {
  if (!dtypes) return {};
  std::string s = " ";
  s += to_string(dtype_v<typename V::value_type>);
  return s;
}

template <class V, class Tr, class R>
std::string field_repr(const Param<V, Tr, R>& p, bool dtypes) {
  std::string kind = "Param";
  if constexpr (!std::is_same_v<Tr, transform::identity>)
    kind += "[" + std::string(short_type_name<Tr>()) + "]";
  if constexpr (!std::is_same_v<R, reg::none>) kind += "[" + std::string(short_type_name<R>()) + "]";
  return kind + " " + p.shape().to_string() + dtype_suffix<V>(dtypes);
}

template <class V>
std::string field_repr(const State<V>& s, bool dtypes) {
  return "State " + s.shape().to_string() + dtype_suffix<V>(dtypes);
}

// One printed item: a line of its own when it holds modules.
struct repr_item {
  std::string text;
  bool multiline;
};

template <class C>
std::string container_repr(const C& container, std::size_t indent, bool dtypes) {
  std::vector<std::string> lines;
  const auto add = [&](std::size_t index, const auto& child) {
    lines.push_back(labelled(std::to_string(index), module_repr(child, indent + 2, dtypes)));
  };
  if constexpr (requires { container.size(); }) {
    for (std::size_t i = 0; i < container.size(); ++i) add(i, container[i]);
  } else {
    std::size_t i = 0;
    std::apply([&](const auto&... child) { (add(i++, child), ...); }, container);
  }
  std::string out = "[\n";
  for (const auto& line : lines) out += std::string(indent + 2, ' ') + line + "\n";
  return out + std::string(indent, ' ') + "]";
}

template <class F>
void add_field_repr(std::vector<repr_item>& items, std::string_view name, const F& field, std::size_t indent,
                    bool dtypes) {
  constexpr field_kind kind = kind_of<F>();
  if constexpr (kind == field_kind::param || kind == field_kind::state) {
    items.push_back({std::string(name) + ": " + field_repr(field, dtypes), false});
  } else if constexpr (kind == field_kind::module) {
    items.push_back({labelled(name, module_repr(field, indent + 2, dtypes)), true});
  } else if constexpr (kind == field_kind::module_container) {
    items.push_back({labelled(name, container_repr(field, indent + 2, dtypes)), true});
  } else if constexpr (requires { std::string_view(F::name); } && !std::is_arithmetic_v<F>) {
    // A stateless function entry (relu, softmax, ...)
    items.push_back({labelled(name, F::name), true});
  } else if constexpr (std::is_arithmetic_v<F>) {
    std::ostringstream os;
    os << name << "=" << field;
    items.push_back({os.str(), false});
  }
}

// dtypes: whether fields show their dtype (decided once, for the whole model).
template <class M>
std::string module_repr(const M& m, std::size_t indent, bool dtypes) {
  std::vector<repr_item> items;
  if constexpr (ReflectedModule<M>) {
    constexpr auto fields = M::template modyn_fields<M>();
    std::apply([&](const auto&... f) { (add_field_repr(items, f.name, f.get(m), indent, dtypes), ...); },
               fields);
  }
  bool multiline = false;
  for (const auto& item : items) multiline = multiline || item.multiline;
  std::string out(short_type_name<M>());
  out += "(";
  if (!multiline) {
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i].text;
    return out + ")" + parameter_count(m.num_parameters());
  }
  out += parameter_count(m.num_parameters()) + "\n";
  for (const auto& item : items) out += std::string(indent + 2, ' ') + item.text + "\n";
  return out + std::string(indent, ' ') + ")";
}

}  // namespace detail

/// Prints a module as a tree, as PyTorch's repr (the top of module_print.hpp).
template <ModuleType M>
std::ostream& operator<<(std::ostream& os, const M& module) {
  using types = detail::model_value_types_t<M, detail::value_filter::both>;
  return os << detail::module_repr(module, 0, detail::list_size_v<types> > 1);
}

}  // namespace modyn
