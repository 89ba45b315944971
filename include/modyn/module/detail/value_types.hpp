// The tensor types held by the Params (or States) of a module type, found at
// compile time, so that named_parameters() and state_dict() can return one
// concrete type.
#pragma once

#include <array>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/module/module_concepts.hpp"
#include "modyn/module/reflection.hpp"

namespace modyn::detail {

template <class... Ts>
struct type_list {};

template <class... Lists>
struct concat {
  using type = type_list<>;
};
template <class... A>
struct concat<type_list<A...>> {
  using type = type_list<A...>;
};
template <class... A, class... B, class... Rest>
struct concat<type_list<A...>, type_list<B...>, Rest...> : concat<type_list<A..., B...>, Rest...> {};

enum class value_filter { params, states, both };

template <class M, value_filter W>
struct module_values;

template <class F, value_filter W>
struct field_values {
  using type = type_list<>;
};
template <class V, class Tr, class R, value_filter W>
struct field_values<Param<V, Tr, R>, W> {
  using type = std::conditional_t<W != value_filter::states, type_list<V>, type_list<>>;
};
template <class V, value_filter W>
struct field_values<State<V>, W> {
  using type = std::conditional_t<W != value_filter::params, type_list<V>, type_list<>>;
};
template <ModuleType M, value_filter W>
struct field_values<M, W> : module_values<M, W> {};
template <ModuleType M, std::size_t N, value_filter W>
struct field_values<std::array<M, N>, W> : module_values<M, W> {};
template <ModuleType M, class A, value_filter W>
struct field_values<std::vector<M, A>, W> : module_values<M, W> {};
template <ModuleType... Ms, value_filter W>
struct field_values<std::tuple<Ms...>, W> : concat<typename module_values<Ms, W>::type...> {};

template <class FieldInfos, class M, value_filter W>
struct fields_values;
template <class... Infos, class M, value_filter W>
struct fields_values<std::tuple<Infos...>, M, W> : concat<typename field_values<field_type_t<Infos, M>, W>::type...> {};

template <class M, value_filter W>
struct module_values {
  using type = type_list<>;
};
template <ReflectedModule M, value_filter W>
struct module_values<M, W> : fields_values<decltype(M::template modyn_fields<M>()), M, W> {};

template <class List>
struct single_type;
template <>
struct single_type<type_list<>> {
  using type = void;
};
template <class T, class... Ts>
struct single_type<type_list<T, Ts...>> {
  static_assert((std::is_same_v<T, Ts> && ...),
                "modyn: the Params and States of this model hold different tensor types, so they cannot "
                "be listed in one container; use for_each_parameter / for_each_state instead");
  using type = T;
};

// The one tensor type of a model's Params / States (Tensor<float> when it has none).
template <class M, value_filter W>
using model_value_t = std::conditional_t<
    std::is_void_v<typename single_type<typename module_values<std::remove_cvref_t<M>, W>::type>::type>,
    Tensor<float>, typename single_type<typename module_values<std::remove_cvref_t<M>, W>::type>::type>;

}  // namespace modyn::detail
