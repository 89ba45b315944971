// expect: has no default constructor; give it a constructor Target\(modyn::rebind_tag, const Source&\)
// to<B> of a module that has neither a default constructor nor a rebind
// constructor: to<B> cannot build it, and says what to add.
#include <cstddef>
#include <modyn/backend/serial.hpp>
#include <modyn/module/module.hpp>
#include <modyn/module/rebind.hpp>

template <class B = modyn::cpu>
struct Sized : modyn::Module<Sized<B>> {
  modyn::Param<modyn::Tensor<float, B>> w;
  MODYN_FIELDS(w)

  explicit Sized(std::size_t n) : w(modyn::Tensor<float, B>::zeros({n})) {}
};

int main() {
  Sized<> sized(3);
  auto moved = modyn::to<modyn::serial>(sized);
  return static_cast<int>(moved.w.raw().size());
}
