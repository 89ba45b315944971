/// @file
/// MODYN_FIELDS: declares, inside a module, which data members are its fields,
/// with their names, in order, without repeating them.
///
/// @code
///   struct Dense : modyn::Module<Dense> {
///     modyn::Param<Tensor<float>> weight, bias;
///     MODYN_FIELDS(weight, bias)
///   };
/// @endcode
///
/// The kind of each field comes from its type (see module_concepts.hpp):
/// Param, State, child module, std::array / std::vector / std::tuple of
/// modules; any other type is a plain value, copied by clone and `to<B>()` but
/// not reflected as a parameter or state.
///
/// What is checked at compile time: a name that is not a non-static data
/// member (one error, naming it); and, for a module that is an aggregate (public
/// members, no constructors of its own, the usual form of a user's module), a
/// Param, State or child module that MODYN_FIELDS leaves out, or a module that
/// holds one and declares no MODYN_FIELDS at all (module/detail/unreflected.hpp).
/// A module with constructors is not probed: there, a member left out of
/// MODYN_FIELDS is silently not reflected.
///
/// A module cannot be a local class (a class defined inside a function):
/// MODYN_FIELDS declares a member template, which C++ forbids in local classes.
/// Define modules at namespace scope (an unnamed namespace keeps them local to
/// a file).
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/core/fixed_string.hpp"

namespace modyn::detail {

// One reflected field: its name and an accessor, a stateless callable that
// returns the field of a module (const when the module is const). Modules
// that hold their children otherwise (Sequential's tuple) make these too.
template <class Accessor>
struct field_info {
  std::string_view name;
  Accessor get;
};

template <class Accessor>
field_info(std::string_view, Accessor) -> field_info<Accessor>;

// The type of a field, given its field_info and the module type.
template <class Info, class M>
using field_type_t = std::remove_cvref_t<decltype(std::declval<const Info&>().get(std::declval<M&>()))>;

template <class>
inline constexpr bool always_false = false;

// What a field that is not a data member reflects as, once its error is
// reported: a plain value, so that the static_assert of make_field is the
// only error a user sees (not one more per use of the module).
struct not_a_field {
  template <class M>
  const int& operator()(M&) const noexcept {
    static constexpr int none = 0;
    return none;
  }
};

// Checks that `getter` yields a pointer to a non-static data member of S. The
// getter's trailing return type makes `&S::name` a substitution failure when
// the name is a member function, a member template or not a member at all.
// The field's name is a template argument so that the compiler's message
// ("In instantiation of make_field<Lin, \"bais\", ...>") names it.
template <class S, fixed_string Name, class Getter, class Accessor>
constexpr auto make_field(Getter, Accessor accessor) {
  if constexpr (std::is_invocable_v<Getter, S*>) {
    static_assert(std::is_member_object_pointer_v<std::invoke_result_t<Getter, S*>>,
                  "modyn: MODYN_FIELDS may only name non-static data members of the module; this one is a "
                  "member function or a static member (its name is in make_field<Module, \"name\"> above)");
    return field_info<Accessor>{Name.view(), accessor};
  } else {
    static_assert(always_false<Getter>,
                  "modyn: MODYN_FIELDS may only name non-static data members of the module; this name is "
                  "no member (misspelt?) or a type (it is in make_field<Module, \"name\"> above)");
    return field_info<not_a_field>{Name.view(), not_a_field{}};
  }
}

}  // namespace modyn::detail

// Applies a macro to each argument, comma-separated (up to 256 arguments).
#define MODYN_DETAIL_PARENS ()
#define MODYN_DETAIL_EXPAND(...) \
  MODYN_DETAIL_EXPAND4(MODYN_DETAIL_EXPAND4(MODYN_DETAIL_EXPAND4(MODYN_DETAIL_EXPAND4(__VA_ARGS__))))
#define MODYN_DETAIL_EXPAND4(...) \
  MODYN_DETAIL_EXPAND3(MODYN_DETAIL_EXPAND3(MODYN_DETAIL_EXPAND3(MODYN_DETAIL_EXPAND3(__VA_ARGS__))))
#define MODYN_DETAIL_EXPAND3(...) \
  MODYN_DETAIL_EXPAND2(MODYN_DETAIL_EXPAND2(MODYN_DETAIL_EXPAND2(MODYN_DETAIL_EXPAND2(__VA_ARGS__))))
#define MODYN_DETAIL_EXPAND2(...) \
  MODYN_DETAIL_EXPAND1(MODYN_DETAIL_EXPAND1(MODYN_DETAIL_EXPAND1(MODYN_DETAIL_EXPAND1(__VA_ARGS__))))
#define MODYN_DETAIL_EXPAND1(...) __VA_ARGS__
#define MODYN_DETAIL_FOR_EACH(macro, ...) \
  __VA_OPT__(MODYN_DETAIL_EXPAND(MODYN_DETAIL_FOR_EACH_HELPER(macro, __VA_ARGS__)))
#define MODYN_DETAIL_FOR_EACH_HELPER(macro, first, ...) \
  macro(first) __VA_OPT__(, MODYN_DETAIL_FOR_EACH_AGAIN MODYN_DETAIL_PARENS(macro, __VA_ARGS__))
#define MODYN_DETAIL_FOR_EACH_AGAIN() MODYN_DETAIL_FOR_EACH_HELPER

#define MODYN_DETAIL_FIELD(name)                                                                    \
  ::modyn::detail::make_field<ModynSelf_, #name>(                                                   \
      [](auto* self) -> decltype(&std::remove_pointer_t<decltype(self)>::name) { return nullptr; }, \
      [](auto& self) -> auto& { return self.name; })

/// The reflection macro: place it inside the module's class body, naming
/// the data members that are the module's fields, in order:
/// MODYN_FIELDS(weight, bias). See the top of module/reflection.hpp.
#define MODYN_FIELDS(...)                                                           \
  template <class ModynSelf_>                                                       \
  static constexpr auto modyn_fields() {                                            \
    return std::make_tuple(MODYN_DETAIL_FOR_EACH(MODYN_DETAIL_FIELD, __VA_ARGS__)); \
  }
