/// @file
/// clone(model) and to<Backend>(model): the same model, copied, or rebuilt on
/// another backend.
///
/// rebind_backend_t<M, B> replaces every template argument of M that is a
/// backend by B, recursively (nn::Dense<float, cpu> -> nn::Dense<float, serial>,
/// and the same inside Sequential<...>, std::vector<...>, ...; Named<"l1", M>
/// rebinds M, see compose/named.hpp). A module whose template parameters are
/// not all types (e.g. sizes) declares the rebound type itself:
/// @code
///   template <class B> using rebind_backend = MyModule<..., B>;
/// @endcode
///
/// How `to<B>(source)` builds the rebound module (the contract):
///  1. Construction: Target(modyn::rebind_tag{}, source) when Target has that
///     constructor, otherwise Target{} (default construction). A module with
///     neither does not compile; the message says what to add.
///  2. Copy, over whatever step 1 made, of what reflection knows: the name,
///     then each MODYN_FIELDS field in order:
///       Param   its value (moved to B), transform, regularizer and path;
///       State   its per-sample shape, fill and value (moved to B), and path;
///       module  a child, or a std::array / std::vector / std::tuple of them,
///               by these same three steps (a child whose type does not change
///               is copied whole, reflected members or not);
///       plain   the same type is copied, a Tensor is moved to B, a type that
///               converts itself by assignment is assigned; any other type
///               that changes with the backend is a compile error.
///  3. target.on_rebind(source), when the module has that member: for what
///     step 2 does not copy.
/// Not copied: data members that are not in MODYN_FIELDS (buffers, caches,
/// options, random generators). They keep what step 1 gave them: for a module
/// without a rebind constructor or on_rebind, their default values. A module
/// whose unreflected members matter (a seeded Rng, as nn::Dropout's) provides
/// one of the two hooks.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <exception>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/detail/variable.hpp"  // detail::is_tensor_v
#include "modyn/module/module.hpp"

namespace modyn {

/// The type T rebuilt on backend B (the top of module/rebind.hpp): by
/// default T itself (a type with no backend argument).
template <class T, class B>
struct rebind_backend {
  using type = T;  ///< The rebound type.
};

/// The type T rebuilt on backend B: rebind_backend<T, B>::type.
template <class T, class B>
using rebind_backend_t = typename rebind_backend<T, B>::type;

namespace detail {
template <class Arg, class B>
using rebind_arg_t = std::conditional_t<Backend<Arg>, B, rebind_backend_t<Arg, B>>;
}  // namespace detail

/// A type that declares its rebound type: T::rebind_backend<B>.
template <class T, class B>
requires requires { typename T::template rebind_backend<B>; }
struct rebind_backend<T, B> {
  using type = typename T::template rebind_backend<B>;  ///< The rebound type.
};

/// A template of types: every argument that is a backend becomes B, every
/// other argument is rebound in turn.
template <template <class...> class Tmpl, class... Args, class B>
requires(!requires {
  typename Tmpl<Args...>::template rebind_backend<B>;
}) struct rebind_backend<Tmpl<Args...>, B> {
  using type = Tmpl<detail::rebind_arg_t<Args, B>...>;  ///< The rebound type.
};

/// A std::array: its element type rebound.
template <class T, std::size_t N, class B>
struct rebind_backend<std::array<T, N>, B> {
  using type = std::array<rebind_backend_t<T, B>, N>;  ///< The rebound type.
};

/// Selects the constructor by which `to<B>` builds a module from its source on
/// another backend: Module(modyn::rebind_tag, const Source&).
struct rebind_tag {
  explicit rebind_tag() = default;
};

namespace detail {
// Any type but rebind_tag: a constructor that accepts it with the source takes
// any arguments (Sequential's constructor from its entries), and is no rebind
// constructor.
struct not_a_rebind_tag {};
}  // namespace detail

/// Target has the rebind constructor for Source (step 1 above).
template <class Target, class Source>
concept RebindConstructible = std::constructible_from<Target, rebind_tag, const Source&> &&
    !std::constructible_from<Target, detail::not_a_rebind_tag, const Source&>;

/// Target has the hook called after its reflected fields are copied (step 3).
template <class Target, class Source>
concept HasRebindHook = requires(Target& target, const Source& source) {
  target.on_rebind(source);
};

/// A module whose rebind constructor copies everything itself, its reflected
/// fields included (Sequential rebuilds each entry from the source's): `to<B>`
/// skips step 2 for it, which would rebuild each child a second time.
template <class M>
concept RebindConstructorCopiesFields = requires {
  requires M::rebind_constructor_copies_fields;
};

/// A module that refers to a model it does not own (a LoopOverTime built from
/// an lvalue): a copy of it, or a move to another backend, would share that
/// model or leave it behind.
template <class M>
concept RefersToSharedModel = requires {
  requires M::refers_to_shared_model;
};

/// A deep copy of a model: parameters, states, name and plain fields.
template <ModuleType M>
std::remove_cvref_t<M> clone(const M& model) {
  static_assert(
      !RefersToSharedModel<std::remove_cvref_t<M>>,
      "modyn::clone: this module shares a model it does not own (a LoopOverTime built from an "
      "lvalue): clone the model and build a new loop over the copy, LoopOverTime{clone(model), ...}");
  static_assert(detail::check_reflection_complete<std::remove_cvref_t<M>>());
  return model;
}

namespace detail {

template <class Dst, class Src>
void copy_module_across(Dst& dst, const Src& src);
template <class Dst, class Src>
Dst make_rebound(const Src& src);

// A separate template so that the compiler's message names the module and
// the field's two types.
template <class Module, class SourceField, class ReboundField>
void reject_backend_dependent_plain_field() {
  static_assert(always_false<Module>,
                "modyn::to<B>: a plain field of this module (see Module) has a type that changes with the "
                "backend and is not a Tensor; declare it as a Param or State, or give the module an "
                "on_rebind(const Source&) member that sets it");
}

template <class Module, class Dst, class Src>
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
    if constexpr (requires { dst.clear(); }) {  // std::vector: as many elements as the source
      dst.clear();
      dst.reserve(src.size());
      for (const auto& element : src) dst.push_back(make_rebound<typename Dst::value_type>(element));
    } else if constexpr (requires { src.size(); }) {  // std::array
      for (std::size_t i = 0; i < src.size(); ++i) copy_module_across(dst[i], src[i]);
    } else {  // std::tuple
      [&]<std::size_t... I>(std::index_sequence<I...>) {
        (copy_module_across(std::get<I>(dst), std::get<I>(src)), ...);
      }
      (std::make_index_sequence<std::tuple_size_v<Src>>{});
    }
  } else if constexpr (std::is_same_v<Dst, Src>) {
    dst = src;
  } else if constexpr (is_tensor_v<Dst> && is_tensor_v<Src>) {
    dst = to<typename Dst::backend_type>(src);
  } else if constexpr (std::is_assignable_v<Dst&, const Src&>) {
    dst = src;  // the field's type converts itself
  } else {
    reject_backend_dependent_plain_field<Module, Src, Dst>();
  }
}

// Steps 2 and 3 of the contract, into an already constructed dst.
template <class Dst, class Src>
void copy_reflected_then_hook(Dst& dst, const Src& src) {
  dst.set_name(src.name());
  if constexpr (ReflectedModule<Src>) {
    constexpr auto src_fields = Src::template modyn_fields<Src>();
    constexpr auto dst_fields = Dst::template modyn_fields<Dst>();
    static_assert(std::tuple_size_v<decltype(src_fields)> == std::tuple_size_v<decltype(dst_fields)>,
                  "modyn::to<B>: the rebound module declares different fields");
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (copy_field_across<Src>(std::get<I>(dst_fields).get(dst), std::get<I>(src_fields).get(src)), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<decltype(src_fields)>>{});
  }
  if constexpr (HasRebindHook<Dst, Src>) dst.on_rebind(src);
}

// A separate template so that the compiler's message names both modules.
template <class Target, class Source>
[[noreturn]] void reject_unconstructible_module() {
  static_assert(
      always_false<Target>,
      "modyn::to<B>: the module rebound to the new backend (Target) has no default constructor; "
      "give it a constructor Target(modyn::rebind_tag, const Source&) that builds it from the source "
      "(to<B> then copies the reflected fields over it)");
  std::terminate();
}

// The three steps of the contract: a new module.
template <class Dst, class Src>
Dst make_rebound(const Src& src) {
  if constexpr (std::is_same_v<Dst, Src>) {
    return src;
  } else {
    static_assert(check_reflection_complete<Src>());
    if constexpr (RebindConstructible<Dst, Src>) {
      Dst dst(rebind_tag{}, src);
      if constexpr (!RebindConstructorCopiesFields<Dst>) copy_reflected_then_hook(dst, src);
      return dst;
    } else if constexpr (std::is_default_constructible_v<Dst>) {
      Dst dst;
      copy_reflected_then_hook(dst, src);
      return dst;
    } else {
      reject_unconstructible_module<Dst, Src>();
    }
  }
}

// The three steps into a child that its parent already constructed: rebuilt
// through the rebind constructor when there is one, else filled in place.
template <class Dst, class Src>
void copy_module_across(Dst& dst, const Src& src) {
  if constexpr (std::is_same_v<Dst, Src>) {
    dst = src;  // a child the rebinding leaves unchanged: all of it, reflected or not
  } else if constexpr (RebindConstructible<Dst, Src>) {
    dst = make_rebound<Dst>(src);
  } else {
    copy_reflected_then_hook(dst, src);
  }
}

}  // namespace detail

/// The model rebuilt on backend B (see the contract at the top of this file).
template <Backend B, ModuleType M>
rebind_backend_t<std::remove_cvref_t<M>, B> to(const M& model) {
  static_assert(!RefersToSharedModel<std::remove_cvref_t<M>>,
                "modyn::to<B>: this module shares a model it does not own (a LoopOverTime built from an "
                "lvalue): move the model, to<B>(model), and build a loop over the result");
  return detail::make_rebound<rebind_backend_t<std::remove_cvref_t<M>, B>>(model);
}

}  // namespace modyn
