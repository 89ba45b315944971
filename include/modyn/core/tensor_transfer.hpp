/// @file
/// Moving tensors between backends: to<cuda>(cpu_tensor) and back.
#pragma once

#include <vector>

#include "modyn/core/tensor.hpp"

namespace modyn {

/// A copy of x on backend To (through host memory when neither side is the
/// other's memory space).
template <Backend To, class T, class From>
Tensor<T, To> to(const Tensor<T, From>& x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else {
    std::vector<T> host(x.size());
    From::copy_to_host(x.data(), host.data(), host.size());
    return Tensor<T, To>(x.shape(), std::span<const T>(host));
  }
}

}  // namespace modyn
