// Checks that cannot change during a run run once, when LoopOverTime starts
// it (the modules' begin_run hooks), and at each step only for a module
// called by hand or with MODYN_CHECK_EVERY_STEP.
#include <catch2/catch.hpp>
#include <string>

#include "modyn/modyn.hpp"

using namespace modyn;

namespace {

struct Counted : Module<Counted> {
  dyn::LIF<> neurons{8};
  int begun = 0;
  MODYN_FIELDS(neurons)
  void begin_run(const Context& c) {
    ++begun;
    CHECK_FALSE(c.run_checked);  // the hooks run before the steps
  }
  template <class X>
  const Tensor<float>& update(const X& x, const Context& c) {
    CHECK(c.run_checked);
    return neurons(c, x);
  }
};

}  // namespace

TEST_CASE("LoopOverTime calls every module's begin_run once per run", "[dyn][run_checks]") {
  LoopOverTime loop{Counted{}, {.dt = 0.1}};
  (void)loop(zeros<float>({5, 8}));
  CHECK(loop.model().begun == 1);
  (void)loop(zeros<float>({3, 8}));
  CHECK(loop.model().begun == 2);
}

TEST_CASE("A population whose States disagree fails when the run starts, naming them", "[dyn][run_checks]") {
  LoopOverTime loop{dyn::LIF<>(6), {.dt = 0.1}};
  auto& neurons = loop.model();
  neurons.refractory_left.reset_to(zeros<float>({2, 6}));  // loaded by hand, unlike V
  const auto message = [&] {
    try {
      (void)loop.run_for(1.0, [](double, std::size_t) { return 1.0f; });
    } catch (const shape_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  }();
  CHECK_THAT(message,
             Catch::Contains("refractory_left") && Catch::Contains("(2, 6)") && Catch::Contains("(6,)"));
  // Called by hand, outside a run, the step checks itself.
  CHECK_THROWS_AS(neurons(Context{}, 1.0f), shape_error);
}
