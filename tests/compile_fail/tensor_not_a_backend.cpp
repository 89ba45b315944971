// expect: is not a modyn backend .*use modyn::cpu\)
// A type that is not a backend, passed as one.
#include <modyn/core/tensor.hpp>

struct not_a_backend {};

int main() {
  modyn::Tensor<float, not_a_backend> t;
  return static_cast<int>(t.size());
}
