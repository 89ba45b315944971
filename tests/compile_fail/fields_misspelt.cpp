// expect: this name is no member \(misspelt\?\)
// MODYN_FIELDS naming a member that does not exist: one error, naming the field.
#include <modyn/module/module.hpp>
#include <modyn/module/param.hpp>

struct Lin : modyn::Module<Lin> {
  modyn::Param<modyn::Tensor<float>> weight{modyn::Tensor<float>::zeros({2})};
  modyn::Param<modyn::Tensor<float>> bias{modyn::Tensor<float>::zeros({2})};
  MODYN_FIELDS(weight, bais)
};

int main() {
  Lin lin;
  return static_cast<int>(lin.num_parameters());
}
