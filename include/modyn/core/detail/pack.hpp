// A tuple for kernels: an aggregate, trivially copyable when its elements
// are (so a kernel holding one can be passed by value to a GPU), whose get<I>
// is a host-device function (std::tuple's members are host functions only,
// under nvcc).
#pragma once

#include <cstddef>
#include <utility>

#include "modyn/core/config.hpp"

namespace modyn::detail {

template <std::size_t I, class T>
struct pack_leaf {
  T value;
};

template <class Sequence, class... T>
struct pack_base;
template <std::size_t... I, class... T>
struct pack_base<std::index_sequence<I...>, T...> : pack_leaf<I, T>... {};

// pack<A, B>{{{a}, {b}}}, or make_pack(a, b).
template <class... T>
struct pack : pack_base<std::index_sequence_for<T...>, T...> {
  static constexpr std::size_t size = sizeof...(T);
};

template <std::size_t I, class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE constexpr T& get(pack_leaf<I, T>& leaf) noexcept {
  return leaf.value;
}
template <std::size_t I, class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE constexpr const T& get(const pack_leaf<I, T>& leaf) noexcept {
  return leaf.value;
}

template <class... T>
constexpr pack<T...> make_pack(const T&... values) {
  return pack<T...>{{{values}...}};
}

}  // namespace modyn::detail
