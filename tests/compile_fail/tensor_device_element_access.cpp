// expect: element access and printing need a host-accessible backend
// Elements of a tensor on memory the host cannot read are not read on the
// host: copy the tensor to modyn::cpu first.
#include <modyn/backend/pseudo_device.hpp>
#include <modyn/core/tensor.hpp>

int main() {
  const auto t = modyn::Tensor<float, modyn::pseudo_device>::zeros({3});
  return static_cast<int>(t(0));
}
