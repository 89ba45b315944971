// expect: modyn::to<B>: a plain field of this module \(see Module\) has a type that changes with the backend
// to<B> of a module whose plain field (neither Param, State, module nor
// Tensor) depends on the backend: it cannot be copied, so it does not compile.
#include <modyn/backend/serial.hpp>
#include <modyn/module/module.hpp>
#include <modyn/module/rebind.hpp>
#include <vector>

template <class B = modyn::cpu>
struct History : modyn::Module<History<B>> {
  std::vector<modyn::Tensor<float, B>> steps;
  MODYN_FIELDS(steps)
};

int main() {
  History<> history;
  auto moved = modyn::to<modyn::serial>(history);
  return static_cast<int>(moved.steps.size());
}
