// Finds, at compile time, Params, States and child modules that reflection
// would not see: a module that forgets MODYN_FIELDS (or leaves a member out of
// it) would otherwise silently have no parameters, save nothing in its state
// dict and reset nothing.
//
// C++20 cannot list a class's members, but it can probe an aggregate (a
// struct with public members and no constructors of its own, the usual form of
// a user's module): count its members by brace-initialising it from objects
// that convert to anything, then ask, member by member, whether it accepts an
// object that converts only to a Param, a State, a module or a container of
// modules. Classes with constructors are not probed (nothing is reported for
// them: MODYN_FIELDS's documentation says so).
#pragma once

#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/module/module_concepts.hpp"
#include "modyn/module/reflection.hpp"

namespace modyn::detail {

// Converts to any type; used only in unevaluated operands (the definitions
// exist for constexpr constructors of std::optional and the like, which name
// the conversion even there).
struct to_any {
  template <class T>
  operator T() const {  // NOLINT: implicit by design
    std::terminate();   // never called: defined so that constexpr constructors may name it
  }
};

// Converts only to a type that reflection lists (a Param, a State, a module
// or a container of modules).
struct to_reflected_kind {
  template <class T>
  requires(kind_of<T>() != field_kind::plain) operator T() const {  // NOLINT: implicit by design
    std::terminate();
  }
};

// Converts only to a plain type. A member that also accepts it is a plain
// type that merely wraps anything (std::optional<nn::Dense<>>, std::any):
// reflection lists it as a plain value, and so does the probe.
struct to_plain_kind {
  template <class T>
  requires(kind_of<T>() == field_kind::plain) operator T() const {  // NOLINT: implicit by design
    std::terminate();
  }
};

template <std::size_t>
using to_any_at = to_any;

template <class M, class... Args>
concept brace_initialisable_from = requires {
  M{std::declval<Args>()...};
};

// The number of initialisers M takes (its base, then its members), up to 64.
template <class M, std::size_t... I>
constexpr std::size_t initialiser_count(std::index_sequence<I...>) {
  if constexpr (sizeof...(I) > 64)
    return 0;
  else if constexpr (!brace_initialisable_from<M, to_any_at<I>..., to_any>)
    return sizeof...(I);
  else
    return initialiser_count<M>(std::make_index_sequence<sizeof...(I) + 1>{});
}

// Whether initialiser `At` of M is a reflected kind of field: it takes an
// object that converts only to one, and not one that converts only to a
// plain type.
template <class M, std::size_t At, std::size_t... I>
constexpr bool reflected_kind_at(std::index_sequence<I...>) {
  return brace_initialisable_from<M, std::conditional_t<I == At, to_reflected_kind, to_any>...> &&
         !brace_initialisable_from<M, std::conditional_t<I == At, to_plain_kind, to_any>...>;
}

// How many members of the aggregate M are Params, States, modules or
// containers of modules (0 when M is not an aggregate).
template <class M>
constexpr std::size_t reflected_kind_members() {
  if constexpr (!std::is_aggregate_v<M>) {
    return 0;
  } else {
    constexpr std::size_t count = initialiser_count<M>(std::index_sequence<>{});
    return [&]<std::size_t... At>(std::index_sequence<At...>) {
      return (std::size_t{0} + ... + (At > 0 && reflected_kind_at<M, At>(std::make_index_sequence<count>{})));
    }
    (std::make_index_sequence<count>{});
  }
}

// How many fields MODYN_FIELDS declares that are not plain values.
template <class M>
constexpr std::size_t reflected_fields() {
  if constexpr (!ReflectedModule<M>) {
    return 0;
  } else {
    return std::apply(
        [](const auto&... field) {
          // A name that is no member was reported by make_field: counted, so
          // that its error stays the only one.
          return (std::size_t{0} + ... +
                  (std::is_same_v<std::remove_cvref_t<decltype(field.get)>, not_a_field> ||
                   kind_of<field_type_t<std::remove_cvref_t<decltype(field)>, M>>() != field_kind::plain));
        },
        M::template modyn_fields<M>());
  }
}

// a <= b, through a call: nvcc warns of a comparison of constants with 0.
constexpr bool at_most(std::size_t a, std::size_t b) { return a <= b; }

template <class M>
constexpr bool check_reflection_complete() {
  constexpr std::size_t members = reflected_kind_members<M>();
  if constexpr (!ReflectedModule<M>) {
    static_assert(members == 0,
                  "modyn: this module holds a Param, State or child module but declares no MODYN_FIELDS, so "
                  "reflection (parameters, state dicts, reset_state, to<B>) would not see it: add "
                  "MODYN_FIELDS(...) naming its fields");
  } else {
    static_assert(
        at_most(members, reflected_fields<M>()),
        "modyn: this module holds more Params, States or child modules than its MODYN_FIELDS names: "
        "add the missing ones to MODYN_FIELDS(...)");
  }
  return true;
}

}  // namespace modyn::detail
