// expect: this backend is only declared here; include its header
// core/tensor.hpp knows modyn::cpu only by a forward declaration: using a
// tensor on it without its header names the header to include.
#include <modyn/core/tensor.hpp>

int main() {
  modyn::Tensor<float> t;
  return static_cast<int>(t.size());
}
