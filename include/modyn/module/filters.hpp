/// @file
/// Filters for the lists of a module (named_parameters, named_states,
/// named_gradients, named_modules and their unnamed forms):
///
/// @code
///   model.named_parameters(max_depth{1})                 // the root and its children
///   model.named_states(depth_range{1, 2})                // brainstate's allowed_hierarchy=(1, 2)
///   model.named_parameters(with_transform<transform::softplus>)
///   model.named_parameters(regularized)                  // every Param with a regularizer
///   model.named_parameters(all_of{max_depth{1}, transformed})
///   model.named_parameters([](std::string_view path) { return path.ends_with("bias"); })
///   model.named_parameters([](std::string_view path, const auto& param) { return param.size() > 10; })
/// @endcode
///
/// Depth is the module's: the root is 0, its children 1, ...; a Param or
/// State has the depth of the module that holds it.
#pragma once

#include <concepts>
#include <functional>
#include <string_view>
#include <tuple>
#include <type_traits>

#include "modyn/module/regularizers.hpp"
#include "modyn/module/transforms.hpp"

namespace modyn {

/// Modules at most this deep (brainstate's nodes(level=...)).
struct max_depth {
  int value;  ///< The deepest depth listed (the root is depth 0).
};

/// Modules from depth `min` to depth `max` (inclusive; a negative max has no
/// upper bound), as brainstate's allowed_hierarchy=(min, max).
struct depth_range {
  int min = 0;   ///< The shallowest depth listed.
  int max = -1;  ///< The deepest depth listed; negative: no bound.
};

/// Params whose transform is of type Transform (transform::softplus, ...).
template <class Transform>
struct with_transform_t {
  using type = Transform;  ///< The transform type accepted.
};
/// The filter with_transform_t<Transform>: named_parameters(with_transform<transform::softplus>).
template <class Transform>
inline constexpr with_transform_t<Transform> with_transform{};

/// Params whose regularizer is of type Reg (reg::L1, reg::L2).
template <class Reg>
struct with_regularizer_t {
  using type = Reg;  ///< The regularizer type accepted.
};
/// The filter with_regularizer_t<Reg>: named_parameters(with_regularizer<reg::L2>).
template <class Reg>
inline constexpr with_regularizer_t<Reg> with_regularizer{};

/// Params with any transform but the identity.
struct transformed_t {};
inline constexpr transformed_t transformed{};  ///< The filter transformed_t.
/// Params with any regularizer.
struct regularized_t {};
inline constexpr regularized_t regularized{};  ///< The filter regularized_t.

/// Fields every one of the filters accepts.
template <class... Filters>
struct all_of {
  std::tuple<Filters...> filters;                     ///< The filters, in order.
  explicit all_of(Filters... fs) : filters(fs...) {}  ///< all_of{max_depth{1}, transformed}.
};

namespace detail {

struct no_filter {};

template <class F>
inline constexpr bool is_param_filter_v = false;
template <class T>
inline constexpr bool is_param_filter_v<with_transform_t<T>> = true;
template <class R>
inline constexpr bool is_param_filter_v<with_regularizer_t<R>> = true;
template <>
inline constexpr bool is_param_filter_v<transformed_t> = true;
template <>
inline constexpr bool is_param_filter_v<regularized_t> = true;

template <class Field>
concept param_like = requires {
  typename Field::transform_type;
  typename Field::regularizer_type;
};

// Whether something deeper than `depth` may be accepted (when not, a
// traversal does not descend below `depth`).
template <class Filter>
constexpr bool deeper_accepted(const Filter& filter, int depth) {
  if constexpr (std::is_same_v<Filter, max_depth>) {
    return depth < filter.value;
  } else if constexpr (std::is_same_v<Filter, depth_range>) {
    return filter.max < 0 || depth < filter.max;
  } else if constexpr (requires { filter.filters; }) {
    return std::apply([depth](const auto&... f) { return (deeper_accepted(f, depth) && ...); },
                      filter.filters);
  } else {
    return true;
  }
}

// Whether `filter` accepts `field` (a Param, a State or a module) at `path`,
// held by a module at `depth`.
template <class Filter, class Field>
bool accepts(const Filter& filter, std::string_view path, const Field& field, int depth) {
  if constexpr (std::is_same_v<Filter, no_filter>) {
    return true;
  } else if constexpr (std::is_same_v<Filter, max_depth>) {
    return depth <= filter.value;
  } else if constexpr (std::is_same_v<Filter, depth_range>) {
    return depth >= filter.min && (filter.max < 0 || depth <= filter.max);
  } else if constexpr (requires { filter.filters; }) {
    return std::apply([&](const auto&... f) { return (accepts(f, path, field, depth) && ...); },
                      filter.filters);
  } else if constexpr (is_param_filter_v<Filter>) {
    if constexpr (!param_like<Field>) {
      return false;  // a State or a module has no transform or regularizer
    } else if constexpr (std::is_same_v<Filter, transformed_t>) {
      return !std::is_same_v<typename Field::transform_type, transform::identity>;
    } else if constexpr (std::is_same_v<Filter, regularized_t>) {
      return !std::is_same_v<typename Field::regularizer_type, reg::none>;
    } else if constexpr (std::is_same_v<Filter, with_transform_t<typename Filter::type>>) {
      return std::is_same_v<typename Filter::type, typename Field::transform_type>;
    } else {
      return std::is_same_v<typename Filter::type, typename Field::regularizer_type>;
    }
  } else if constexpr (std::is_invocable_r_v<bool, const Filter&, std::string_view, const Field&>) {
    return std::invoke(filter, path, field);
  } else {
    static_assert(std::is_invocable_r_v<bool, const Filter&, std::string_view>,
                  "modyn: a filter is max_depth, depth_range, with_transform<T>, with_regularizer<R>, "
                  "transformed, regularized, all_of{...}, or a predicate of (path) or (path, field)");
    return std::invoke(filter, path);
  }
}

}  // namespace detail
}  // namespace modyn
