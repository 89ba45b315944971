// expect: an entry's static output size differs from the static input size
// Dense<100, 10> followed (through relu) by Dense<20, 2>: 10 != 20.
#include <modyn/compose/sequential.hpp>
#include <modyn/nn/dense.hpp>

int main() {
  modyn::Sequential seq{modyn::nn::Dense<100, 10>{}, modyn::relu, modyn::nn::Dense<20, 2>{}};
  return static_cast<int>(seq.num_parameters());
}
