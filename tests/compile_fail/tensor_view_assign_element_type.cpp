// expect: the assigned tensor has another element type
// x[0] = y copies y's elements into step 0 of x: y must hold the same element type.
#include <modyn/backend/cpu.hpp>
#include <modyn/core/tensor.hpp>

int main() {
  modyn::Tensor<float> x{{1, 2}, {3, 4}};
  const modyn::Tensor<double> y{5, 6};
  x[0] = y;
  return static_cast<int>(x.size());
}
