// expect: every entry must be a module or a callable taking a tensor
// An int is neither a module nor a callable.
#include <modyn/compose/sequential.hpp>
#include <modyn/nn/dense.hpp>

int main() {
  modyn::Sequential seq{modyn::nn::Dense(100, 10), 42};
  return static_cast<int>(seq.num_parameters());
}
