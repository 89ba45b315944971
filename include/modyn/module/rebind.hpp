// clone(model) and to<Backend>(model): the same model, copied, or rebuilt on
// another backend with its Params, States and plain fields copied through
// reflection.
//
// rebind_backend_t<M, B> replaces every template argument of M that is a
// backend by B, recursively (nn::Dense<float, cpu> -> nn::Dense<float, cuda>,
// and the same inside Sequential<...>, std::vector<...>, ...). A module whose
// template parameters are not all types (e.g. sizes) declares the rebound
// type itself:   template <class B> using rebind_backend = MyModule<..., B>;
// The rebound module must be default-constructible; its fields are then
// assigned from the source, field by field, in MODYN_FIELDS order.
#pragma once

#include <array>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/module.hpp"

namespace modyn {

template <class T, class B>
struct rebind_backend {
  using type = T;
};

template <class T, class B>
using rebind_backend_t = typename rebind_backend<T, B>::type;

namespace detail {
template <class Arg, class B>
using rebind_arg_t = std::conditional_t<Backend<Arg>, B, rebind_backend_t<Arg, B>>;
}  // namespace detail

template <class T, class B>
requires requires { typename T::template rebind_backend<B>; }
struct rebind_backend<T, B> {
  using type = typename T::template rebind_backend<B>;
};

template <template <class...> class Tmpl, class... Args, class B>
requires(!requires {
  typename Tmpl<Args...>::template rebind_backend<B>;
}) struct rebind_backend<Tmpl<Args...>, B> {
  using type = Tmpl<detail::rebind_arg_t<Args, B>...>;
};

template <class T, std::size_t N, class B>
struct rebind_backend<std::array<T, N>, B> {
  using type = std::array<rebind_backend_t<T, B>, N>;
};

// A deep copy of a model: parameters, states, name and plain fields.
template <ModuleType M>
std::remove_cvref_t<M> clone(const M& model) {
  return model;
}

namespace detail {

template <class Dst, class Src>
void copy_module_across(Dst& dst, const Src& src);
template <class Dst, class Src>
void copy_rebound_module(Dst& dst, const Src& src);

template <class Dst, class Src>
void copy_field_across(Dst& dst, const Src& src) {
  constexpr field_kind kind = kind_of<Src>();
  static_assert(kind == kind_of<Dst>(), "modyn::to<B>: the rebound module's fields differ in kind");
  if constexpr (kind == field_kind::param) {
    using DstValue = std::remove_cvref_t<decltype(dst.raw())>;
    dst = Dst(to<typename DstValue::backend_type>(src.raw()), src.transform(), src.regularizer());
    dst.set_path(src.path());
  } else if constexpr (kind == field_kind::state) {
    using V = std::remove_cvref_t<decltype(dst.value())>;
    dst = Dst(V::full(src.sample_shape(), src.fill()), src.fill());
    dst.reset_to(to<typename V::backend_type>(src.value()));
    dst.set_path(src.path());
  } else if constexpr (kind == field_kind::module) {
    copy_module_across(dst, src);
  } else if constexpr (kind == field_kind::module_container) {
    if constexpr (requires { dst.resize(src.size()); }) dst.resize(src.size());
    if constexpr (requires { src.size(); }) {
      for (std::size_t i = 0; i < src.size(); ++i) copy_module_across(dst[i], src[i]);
    } else {
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (copy_module_across(std::get<I>(dst), std::get<I>(src)), ...);
      }
      (std::make_index_sequence<std::tuple_size_v<Src>>{});
    }
  } else if constexpr (std::is_assignable_v<Dst&, const Src&>) {
    dst = src;
  }
}

template <class Dst, class Src>
void copy_module_across(Dst& dst, const Src& src) {
  if constexpr (std::is_same_v<Dst, Src>) {
    dst = src;  // a child the rebinding leaves unchanged: all of it, reflected or not
    return;
  } else {
    copy_rebound_module(dst, src);
  }
}

template <class Dst, class Src>
void copy_rebound_module(Dst& dst, const Src& src) {
  dst.set_name(src.name());
  if constexpr (ReflectedModule<Src>) {
    constexpr auto src_fields = Src::template modyn_fields<Src>();
    constexpr auto dst_fields = Dst::template modyn_fields<Dst>();
    static_assert(std::tuple_size_v<decltype(src_fields)> == std::tuple_size_v<decltype(dst_fields)>,
                  "modyn::to<B>: the rebound module declares different fields");
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (copy_field_across(std::get<I>(dst_fields).get(dst), std::get<I>(src_fields).get(src)), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(src_fields)>>{});
  }
}

}  // namespace detail

// The model rebuilt on backend B, with everything copied.
template <Backend B, ModuleType M>
rebind_backend_t<std::remove_cvref_t<M>, B> to(const M& model) {
  using Target = rebind_backend_t<std::remove_cvref_t<M>, B>;
  if constexpr (std::is_same_v<Target, std::remove_cvref_t<M>>) {
    return model;
  } else {
    static_assert(std::is_default_constructible_v<Target>,
                  "modyn::to<B>: the module rebound to the new backend must be default-constructible");
    Target target;
    detail::copy_module_across(target, model);
    return target;
  }
}

}  // namespace modyn
