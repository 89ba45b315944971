// expect: hold a modyn::Tensor<T, B>
// A Param of something that is not a tensor.
#include <modyn/module/param.hpp>

int main() {
  modyn::Param<double> p;
  return static_cast<int>(p.size());
}
