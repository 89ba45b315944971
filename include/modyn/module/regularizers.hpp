// Param regularizers: a term added to the loss by module.reg_loss() (BrainPy's
// L1Reg / L2Reg), computed on the Param's (transformed) value.
#pragma once

#include <cmath>

#include "modyn/core/tensor_concepts.hpp"

namespace modyn::reg {

struct none {
  template <TensorLike X>
  double loss(const X&) const {
    return 0.0;
  }
};

// weight * sum |v|
struct L1 {
  double weight = 1.0;
  template <TensorLike X>
  double loss(const X& v) const {
    double s = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) s += std::abs(double(v.data()[i]));
    return weight * s;
  }
};

// weight * sum v^2
struct L2 {
  double weight = 1.0;
  template <TensorLike X>
  double loss(const X& v) const {
    double s = 0.0;
    for (std::size_t i = 0; i < v.size(); ++i) s += double(v.data()[i]) * double(v.data()[i]);
    return weight * s;
  }
};

}  // namespace modyn::reg
