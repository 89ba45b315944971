// expect: MODYN_FIELDS may only name non-static data members
// MODYN_FIELDS naming a static data member.
#include <modyn/module/module.hpp>

struct Bad : modyn::Module<Bad> {
  modyn::Param<modyn::Tensor<float>> weight;
  static inline int instances = 0;
  MODYN_FIELDS(weight, instances)
};

int main() {
  Bad bad;
  return static_cast<int>(bad.num_parameters());
}
