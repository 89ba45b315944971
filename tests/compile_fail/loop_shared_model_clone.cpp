// expect: shares a model it does not own
// A loop over an lvalue model shares it: a clone of the loop would share it too.
#include <modyn/compose/loop_over_time.hpp>
#include <modyn/module/rebind.hpp>
#include <modyn/nn/dense.hpp>

int main() {
  modyn::nn::Dense<> dense(3, 2);
  modyn::LoopOverTime loop{dense};
  auto copy = modyn::clone(loop);
  return static_cast<int>(copy.model().weight.size());
}
