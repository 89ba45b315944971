// expect: holds a Param, State or child module but declares no MODYN_FIELDS
// A module whose Param reflection cannot see: it would have no parameters.
#include <modyn/module/module.hpp>
#include <modyn/module/param.hpp>

struct Forgot : modyn::Module<Forgot> {
  float factor = 2;
  modyn::Param<modyn::Tensor<float>> weight{modyn::Tensor<float>::zeros({2})};
};

int main() {
  Forgot forgot;
  return static_cast<int>(forgot.num_parameters());
}
