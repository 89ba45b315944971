// Row helpers of the layers.
#pragma once

#include <cstddef>

#include "modyn/core/config.hpp"

namespace modyn::nn::detail {

// s = a + b (two bias vectors added once per step).
struct sum_of {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& a, const Vec& b, Vec& s) const {
    s = a + b;
  }
};

// Copies `row` (cols elements) into each of the rows of c (rows x cols), so
// that a GEMM with beta = 1 adds onto a broadcast bias.
template <class B, class T>
void fill_rows(T* c, std::size_t rows, std::size_t cols, const T* row) {
  for (std::size_t r = 0; r < rows; ++r) B::copy(row, c + r * cols, cols);
}

}  // namespace modyn::nn::detail
