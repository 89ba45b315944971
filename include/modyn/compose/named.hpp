// named<"l1">(module): a Sequential entry with a name, so that its path is
// "l1.weight" and seq.get<"l1">() finds it.
#pragma once

#include <string_view>
#include <type_traits>
#include <utility>

#include "modyn/core/fixed_string.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn {

template <fixed_string Name, class M>
struct Named {
  static constexpr std::string_view name = Name.view();
  M value;
};

template <fixed_string Name, class M>
Named<Name, std::decay_t<M>> named(M&& module) {
  return {std::forward<M>(module)};
}

// to<B>(model) rebinds the entry and keeps its name. (The generic rule of
// rebind.hpp matches templates of types only, not the name.)
template <fixed_string Name, class M, class B>
struct rebind_backend<Named<Name, M>, B> {
  using type = Named<Name, rebind_backend_t<M, B>>;
};

namespace detail {
template <class T>
struct unnamed {
  using type = T;
  static constexpr bool is_named = false;
};
template <fixed_string Name, class M>
struct unnamed<Named<Name, M>> {
  using type = M;
  static constexpr bool is_named = true;
};
}  // namespace detail

// The entry type without its name.
template <class E>
using unnamed_t = typename detail::unnamed<E>::type;

}  // namespace modyn
