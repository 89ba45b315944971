// expect: a view of const elements cannot be assigned to
// A view of a const tensor's elements cannot be written through.
#include <modyn/backend/cpu.hpp>
#include <modyn/core/tensor.hpp>

int main() {
  const modyn::Tensor<float> x{{1, 2}, {3, 4}};
  const modyn::Tensor<float> y{5, 6};
  x[0] = y;
  return static_cast<int>(x.size());
}
