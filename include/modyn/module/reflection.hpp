// MODYN_FIELDS: declares, inside a module, which data members are its fields,
// with their names, in order, without repeating them.
//
//   struct Dense : modyn::Module<Dense> {
//     modyn::Param<Tensor<float>> weight, bias;
//     MODYN_FIELDS(weight, bias)
//   };
//
// The kind of each field comes from its type (see module_concepts.hpp):
// Param, State, child module, std::array / std::vector / std::tuple of
// modules; any other type is a plain value, copied by clone and to<B>() but
// not reflected as a parameter or state.
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

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

// Checks that `getter` yields a pointer to a non-static data member of S. The
// getter's trailing return type makes `&S::name` a substitution failure when
// the name is a member function, a member template or not a member at all.
template <class S, class Getter, class Accessor>
constexpr auto make_field(std::string_view name, Getter, Accessor accessor) {
  if constexpr (std::is_invocable_v<Getter, S*>) {
    using Member = std::invoke_result_t<Getter, S*>;
    static_assert(std::is_member_object_pointer_v<Member>,
                  "modyn: MODYN_FIELDS may only name non-static data members of the module "
                  "(not member functions, static members or types)");
    return field_info<Accessor>{name, accessor};
  } else {
    static_assert(always_false<Getter>,
                  "modyn: MODYN_FIELDS may only name non-static data members of the module "
                  "(not member functions, static members or types)");
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

#define MODYN_DETAIL_FIELD(name)                                                                           \
  ::modyn::detail::make_field<ModynSelf_>(                                                                 \
      #name, [](auto* self) -> decltype(&std::remove_pointer_t<decltype(self)>::name) { return nullptr; }, \
      [](auto& self) -> auto& { return self.name; })

// The reflection macro: place it inside the module's class body.
#define MODYN_FIELDS(...)                                                           \
  template <class ModynSelf_>                                                       \
  static constexpr auto modyn_fields() {                                            \
    return std::make_tuple(MODYN_DETAIL_FOR_EACH(MODYN_DETAIL_FIELD, __VA_ARGS__)); \
  }
