// expect: MODYN_FIELDS may only name non-static data members
// MODYN_FIELDS naming a member function instead of a data member.
#include <modyn/module/module.hpp>

struct Bad : modyn::Module<Bad> {
  modyn::Param<modyn::Tensor<float>> weight;
  float update(float x) const { return x; }
  MODYN_FIELDS(weight, update)
};

int main() {
  Bad bad;
  return static_cast<int>(bad.num_parameters());
}
