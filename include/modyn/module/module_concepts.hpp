/// @file
/// What a field of a module is, decided from its type: Param, State, child
/// module, a std::array / std::vector / std::tuple of modules, or a plain
/// value.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <vector>

#include "modyn/module/param.hpp"
#include "modyn/module/state.hpp"

namespace modyn {

template <class Derived>
class Module;

namespace detail {
template <class D>
void module_base_probe(const Module<D>&);
}  // namespace detail

/// A type deriving from modyn::Module<Self>.
template <class T>
concept ModuleType = requires(const std::remove_cvref_t<T>& m) {
  detail::module_base_probe(m);
};

/// A module that declared its fields with MODYN_FIELDS.
template <class T>
concept ReflectedModule = ModuleType<T> && requires {
  std::remove_cvref_t<T>::template modyn_fields<std::remove_cvref_t<T>>();
};

/// Whether T is a Param.
/// @{
template <class T>
inline constexpr bool is_param_v = false;
template <class V, class Tr, class R>
inline constexpr bool is_param_v<Param<V, Tr, R>> = true;
/// @}

/// Whether T is a State.
/// @{
template <class T>
inline constexpr bool is_state_v = false;
template <class V>
inline constexpr bool is_state_v<State<V>> = true;
/// @}

/// std::array / std::vector / std::tuple whose elements are all modules.
template <class T>
inline constexpr bool is_module_container_v = false;
template <ModuleType M, std::size_t N>
inline constexpr bool is_module_container_v<std::array<M, N>> = true;
template <ModuleType M, class A>
inline constexpr bool is_module_container_v<std::vector<M, A>> = true;
template <ModuleType... Ms>
inline constexpr bool is_module_container_v<std::tuple<Ms...>> = sizeof...(Ms) > 0;

/// What a field of a module is: a Param, a State, a child module, a
/// container of modules, or a plain value (copied, not reflected).
enum class field_kind { param, state, module, module_container, plain };

/// The field_kind of a field of type F.
template <class F>
constexpr field_kind kind_of() {
  using T = std::remove_cvref_t<F>;
  if constexpr (is_param_v<T>)
    return field_kind::param;
  else if constexpr (is_state_v<T>)
    return field_kind::state;
  else if constexpr (ModuleType<T>)
    return field_kind::module;
  else if constexpr (is_module_container_v<T>)
    return field_kind::module_container;
  else
    return field_kind::plain;
}

}  // namespace modyn
