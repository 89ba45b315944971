// expect: a segment of the path names no field of the module
// A monitor's path is checked against the model's fields at compile time.
#include <modyn/compose/loop_over_time.hpp>
#include <modyn/dyn/neurons/lif.hpp>

int main() {
  modyn::LoopOverTime loop{modyn::dyn::LIF<>(10), modyn::monitor<"v">};  // the State is "V"
  loop.run_for(1.0);
}
