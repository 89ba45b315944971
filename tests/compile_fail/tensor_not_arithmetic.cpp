// expect: T must be an arithmetic type
// A tensor of a non-arithmetic element type.
#include <modyn/backend/cpu.hpp>
#include <modyn/core/tensor.hpp>
#include <string>

int main() {
  modyn::Tensor<std::string> t;
  return static_cast<int>(t.size());
}
