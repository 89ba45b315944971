// monitor<"l1.h">: records a State of the model at every step of a
// LoopOverTime. The path is resolved at compile time through the model's
// reflected fields, so a typo is a compile error, not a run-time surprise.
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/core/fixed_string.hpp"
#include "modyn/module/module_concepts.hpp"
#include "modyn/module/reflection.hpp"

namespace modyn {

template <fixed_string Path>
struct Monitor {
  static constexpr fixed_string<sizeof(Path.chars)> fixed = Path;
  static constexpr std::string_view path = Path.view();
};

template <fixed_string Path>
inline constexpr Monitor<Path> monitor{};

namespace detail {

template <class M>
constexpr std::size_t field_index(std::string_view name) {
  constexpr auto fields = M::template modyn_fields<M>();
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    const bool matches[] = {std::get<I>(fields).name == name..., false};
    std::size_t i = 0;
    while (i < sizeof...(I) && !matches[i]) ++i;
    return i;
  }(std::make_index_sequence<std::tuple_size_v<decltype(fields)>>{});
}

// The field at the dot-separated path Path (from character Begin on) of m.
template <fixed_string Path, std::size_t Begin = 0, class M>
decltype(auto) follow_path(M& m) {
  using Self = std::remove_const_t<M>;
  static_assert(ReflectedModule<Self>,
                "modyn::monitor: the path goes through a field that is not a module with MODYN_FIELDS");
  constexpr std::string_view full = Path.view();
  constexpr std::size_t dot = full.find('.', Begin);
  constexpr std::string_view head = full.substr(Begin, dot == std::string_view::npos ? full.size() - Begin : dot - Begin);
  constexpr auto fields = Self::template modyn_fields<Self>();
  constexpr std::size_t index = field_index<Self>(head);
  static_assert(index < std::tuple_size_v<decltype(fields)>,
                "modyn::monitor: a segment of the path names no field of the module (check the path "
                "against the model's named_states())");
  auto& field = std::get<index>(fields).get(m);
  if constexpr (dot == std::string_view::npos) {
    static_assert(is_state_v<std::remove_cvref_t<decltype(field)>>, "modyn::monitor: the path must end at a State");
    return (field);
  } else {
    return follow_path<Path, dot + 1>(field);
  }
}

}  // namespace detail
}  // namespace modyn
