// The one traversal every reflection feature is built on: a depth-first walk
// over a module's fields (in MODYN_FIELDS order), with the dot-separated path
// of each in a fixed buffer. Statically dispatched; allocates nothing.
#pragma once

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/module/detail/path.hpp"
#include "modyn/module/detail/unreflected.hpp"
#include "modyn/module/module_concepts.hpp"

namespace modyn::detail {

// Visitors derive from this and hide what they handle. Depth: the root
// module is 0, its children 1, ...; a Param or State has its module's depth.
struct visitor_base {
  template <class M>
  bool enter(std::string_view /*path*/, M& /*module*/, int /*depth*/) {
    return true;  // descend into the module
  }
  template <class M>
  void leave(std::string_view /*path*/, M& /*module*/, int /*depth*/) {}
  template <class P>
  void param(std::string_view /*path*/, P& /*param*/, int /*depth*/) {}
  template <class S>
  void state(std::string_view /*path*/, S& /*state*/, int /*depth*/) {}
  template <class T>
  void plain(std::string_view /*name*/, T& /*value*/, int /*depth*/) {}
};

template <class M, class Visitor>
void walk_fields(M& module, path_buffer& path, int depth, Visitor& visitor);

template <class M, class Visitor>
void walk_module(M& module, path_buffer& path, int depth, Visitor& visitor) {
  if (visitor.enter(path.view(), module, depth)) {
    walk_fields(module, path, depth, visitor);
    visitor.leave(path.view(), module, depth);
  }
}

template <class C, class Visitor>
void walk_container(C& container, path_buffer& path, int depth, Visitor& visitor) {
  using T = std::remove_const_t<C>;
  if constexpr (
      requires { std::tuple_size<T>::value; } && !requires { container.size(); }) {
    std::size_t index = 0;
    std::apply(
        [&](auto&... child) {
          (
              (void)[&] {
                const std::size_t previous = path.push(index++);
                walk_module(child, path, depth, visitor);
                path.pop(previous);
              }(),
              ...);
        },
        container);
  } else {
    for (std::size_t index = 0; index < container.size(); ++index) {
      const std::size_t previous = path.push(index);
      walk_module(container[index], path, depth, visitor);
      path.pop(previous);
    }
  }
}

template <class F, class Visitor>
void walk_field(F& field, std::string_view name, path_buffer& path, int depth, Visitor& visitor) {
  constexpr field_kind kind = kind_of<F>();
  if constexpr (kind == field_kind::plain) {
    visitor.plain(name, field, depth);
  } else {
    const std::size_t previous = path.push(name);
    if constexpr (kind == field_kind::param) {
      field.set_path(path.view());
      visitor.param(path.view(), field, depth);
    } else if constexpr (kind == field_kind::state) {
      field.set_path(path.view());
      visitor.state(path.view(), field, depth);
    } else if constexpr (kind == field_kind::module) {
      walk_module(field, path, depth + 1, visitor);
    } else {
      walk_container(field, path, depth + 1, visitor);
    }
    path.pop(previous);
  }
}

template <class M, class Visitor>
void walk_fields(M& module, path_buffer& path, int depth, Visitor& visitor) {
  using Self = std::remove_const_t<M>;
  static_assert(check_reflection_complete<Self>());  // fails with its own message naming what is missing
  if constexpr (ReflectedModule<Self>) {
    constexpr auto fields = Self::template modyn_fields<Self>();
    std::apply(
        [&](const auto&... field) { (walk_field(field.get(module), field.name, path, depth, visitor), ...); },
        fields);
  }
}

// Walks a whole model; the root is entered with the empty path at depth 0.
template <class M, class Visitor>
void walk(M& root, Visitor& visitor) {
  path_buffer path;
  walk_module(root, path, 0, visitor);
}

}  // namespace modyn::detail
