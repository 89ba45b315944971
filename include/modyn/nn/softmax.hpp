// modyn::softmax over the last axis: exp(x - max) / sum exp(x - max), row by
// row. A stateless callable, usable as a Sequential entry.
#pragma once

#include <cstddef>
#include <string_view>

#include "modyn/core/tensor.hpp"

namespace modyn {

struct Softmax {
  static constexpr std::string_view name = "softmax";

  template <TensorLike X>
  Tensor<tensor_value_t<X>, tensor_backend_t<X>> operator()(const X& x) const {
    auto out = Tensor<tensor_value_t<X>, tensor_backend_t<X>>::empty(x.shape());
    apply_into(x, out);
    return out;
  }

  // out (x's size; it may be x itself) = softmax(x) over the last axis.
  template <TensorLike X, TensorLike Out>
  static void apply_into(const X& x, Out& out) {
    using T = tensor_value_t<X>;
    using B = tensor_backend_t<X>;
    const std::size_t n = x.rank() == 0 ? 1 : x.shape(x.rank() - 1);
    for (std::size_t offset = 0; n && offset < x.size(); offset += n) {
      const T* row = static_cast<const T*>(x.data()) + offset;
      T* y = out.data() + offset;
      const T peak = B::reduce_max(row, n);
      B::map(n, [peak](const auto& v, auto& e) {
        using V = std::remove_cvref_t<decltype(e)>;
        e = math::exp(v - V(peak));
      }, row, y);
      const T inv_sum = T(1) / B::reduce_sum(static_cast<const T*>(y), n);
      B::map(n, [inv_sum](auto& e) {
        using V = std::remove_cvref_t<decltype(e)>;
        e = e * V(inv_sum);
      }, y);
    }
  }
};

inline constexpr Softmax softmax{};

}  // namespace modyn
