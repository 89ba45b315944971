// named<"l1">(module): a Sequential entry with a name, so that its path is
// "l1.weight" and seq.get<"l1">() finds it.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include "modyn/core/fixed_string.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn {

/// A Sequential entry M under the name Name: made by named<"l1">(module).
template <fixed_string Name, class M>
struct Named {
  static constexpr std::string_view name = Name.view();  ///< the name, as a string
  static constexpr auto fixed_name = Name;               ///< the name, as a fixed_string
  using entry_type = M;                                  ///< the entry's type
  using named_entry_tag = void;  ///< what tells a Named entry (see detail::named_entry)
  M value;                       ///< the entry
};

/// The module as a Sequential entry named Name: Sequential{named<"l1">(d), ...}.
template <fixed_string Name, class M>
Named<Name, std::decay_t<M>> named(M&& module) {
  return {std::forward<M>(module)};
}

namespace detail {
// A Named entry, told by its members: nvcc's front end does not match
// partial specializations on Named<Name, M> (a class-type template
// parameter), so none is written.
template <class T>
concept named_entry = requires {
  typename T::named_entry_tag;
  typename T::entry_type;
  T::fixed_name;
};
}  // namespace detail

/// `to<B>(model)` rebinds the entry and keeps its name. (The generic rule of
/// rebind.hpp matches templates of types only, not the name.)
template <class N, class B>
requires detail::named_entry<N>
struct rebind_backend<N, B> {
  using type = Named<N::fixed_name,
                     rebind_backend_t<typename N::entry_type, B>>;  ///< the Named entry of the rebound module
};

namespace detail {
template <class T>
struct unnamed {
  using type = T;
  static constexpr bool is_named = false;
};
template <named_entry T>
struct unnamed<T> {
  using type = typename T::entry_type;
  static constexpr bool is_named = true;
};
}  // namespace detail

/// The entry type without its name.
template <class E>
using unnamed_t = typename detail::unnamed<E>::type;

}  // namespace modyn
