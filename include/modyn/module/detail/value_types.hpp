// The tensor types held by the Params (or States) of a module type, found at
// compile time, so that named_parameters() returns one concrete type: a
// reference to the model's one tensor type, or a std::variant of references
// over its distinct tensor types when it mixes them.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
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
struct fields_values<std::tuple<Infos...>, M, W>
    : concat<typename field_values<field_type_t<Infos, M>, W>::type...> {};

template <class M, value_filter W>
struct module_values {
  using type = type_list<>;
};
template <ReflectedModule M, value_filter W>
struct module_values<M, W> : fields_values<decltype(M::template modyn_fields<M>()), M, W> {};

// The distinct types of a list, in order of first appearance.
template <class Out, class In>
struct unique_impl;
template <class... Out>
struct unique_impl<type_list<Out...>, type_list<>> {
  using type = type_list<Out...>;
};
template <class... Out, class T, class... In>
struct unique_impl<type_list<Out...>, type_list<T, In...>>
    : unique_impl<
          std::conditional_t<(std::is_same_v<T, Out> || ...), type_list<Out...>, type_list<Out..., T>>,
          type_list<In...>> {};
template <class List>
using unique_t = typename unique_impl<type_list<>, List>::type;

template <class List>
inline constexpr std::size_t list_size_v = 0;
template <class... Ts>
inline constexpr std::size_t list_size_v<type_list<Ts...>> = sizeof...(Ts);

// The distinct tensor types of a model's Params / States, in traversal order.
template <class M, value_filter W>
using model_value_types_t = unique_t<typename module_values<std::remove_cvref_t<M>, W>::type>;

// The first floating-point tensor type of a list (void if none).
template <class List>
struct first_floating {
  using type = void;
};
template <class T, class... Ts>
struct first_floating<type_list<T, Ts...>>
    : std::conditional_t<std::is_floating_point_v<typename T::value_type>, std::type_identity<T>,
                         first_floating<type_list<Ts...>>> {};

template <class List>
struct first_type {
  using type = void;
};
template <class T, class... Ts>
struct first_type<type_list<T, Ts...>> {
  using type = T;
};

template <class M, value_filter W>
struct main_value {
  using all = model_value_types_t<M, W>;
  using floating_state = typename first_floating<model_value_types_t<M, value_filter::states>>::type;
  using floating_param = typename first_floating<model_value_types_t<M, value_filter::params>>::type;
  using type = std::conditional_t<
      list_size_v<all> == 0, Tensor<float>,
      std::conditional_t<
          list_size_v<all> == 1, typename first_type<all>::type,
          std::conditional_t<!std::is_void_v<floating_state> && W != value_filter::params, floating_state,
                             std::conditional_t<!std::is_void_v<floating_param> && W != value_filter::states,
                                                floating_param, typename first_type<all>::type>>>>;
};

// The tensor type a model computes in: the one tensor type of its Params /
// States (Tensor<float> when it has none); where they hold several (float V
// beside an int32 counter, double parameters), the first floating-point type
// of its States, else of its Params, else the first type. A model can say
// otherwise by declaring tensor_type (LoopOverTime reads it first).
template <class M, value_filter W>
using model_value_t = typename main_value<std::remove_cvref_t<M>, W>::type;

// What named_parameters() / named_states() hold a reference to: for one
// tensor type, std::reference_wrapper<(const) Tensor<...>>; for several, a
// std::variant of the reference_wrappers of each distinct type, in
// traversal order, for std::visit.
template <class List, bool Const>
struct tensor_ref;
template <bool Const>
struct tensor_ref<type_list<>, Const> {
  using type = std::reference_wrapper<std::conditional_t<Const, const Tensor<float>, Tensor<float>>>;
};
template <class T, bool Const>
struct tensor_ref<type_list<T>, Const> {
  using type = std::reference_wrapper<std::conditional_t<Const, const T, T>>;
};
template <class T0, class T1, class... Ts, bool Const>
struct tensor_ref<type_list<T0, T1, Ts...>, Const> {
  using type = std::variant<std::reference_wrapper<std::conditional_t<Const, const T0, T0>>,
                            std::reference_wrapper<std::conditional_t<Const, const T1, T1>>,
                            std::reference_wrapper<std::conditional_t<Const, const Ts, Ts>>...>;
};

template <class M, value_filter W, bool Const>
using model_tensor_ref_t = typename tensor_ref<model_value_types_t<M, W>, Const>::type;

template <class Ref>
inline constexpr bool is_variant_ref_v = false;
template <class... Rs>
inline constexpr bool is_variant_ref_v<std::variant<Rs...>> = true;

}  // namespace modyn::detail
