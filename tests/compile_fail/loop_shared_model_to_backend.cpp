// expect: shares a model it does not own
// A loop over an lvalue model shares it: moved to another backend it would leave it behind.
#include <modyn/backend/serial.hpp>
#include <modyn/compose/loop_over_time.hpp>
#include <modyn/module/rebind.hpp>
#include <modyn/nn/dense.hpp>

int main() {
  modyn::nn::Dense<> dense(3, 2);
  modyn::LoopOverTime loop{dense};
  auto moved = modyn::to<modyn::serial>(loop);
  return static_cast<int>(moved.model().weight.size());
}
