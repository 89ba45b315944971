// expect: holds more Params, States or child modules than its MODYN_FIELDS names
// A module whose MODYN_FIELDS leaves out its State: it would not be reset or saved.
#include <modyn/module/module.hpp>
#include <modyn/module/param.hpp>
#include <modyn/module/state.hpp>

struct LeftOut : modyn::Module<LeftOut> {
  modyn::Param<modyn::Tensor<float>> weight{modyn::Tensor<float>::zeros({2})};
  modyn::State<modyn::Tensor<float>> V{modyn::Shape{2}};
  MODYN_FIELDS(weight)
};

int main() {
  LeftOut module;
  module.reset_state(1);
}
