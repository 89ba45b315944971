// expect: monitor_path_problem<[^>]*, 'v'>.*names no field|names no field.*monitor_path_problem<[^>]*, 'v'>
// A monitor's path is checked when the loop's type is instantiated, even if
// the loop never runs; the path ("v") shows in the compiler's note.
#include <modyn/compose/loop_over_time.hpp>
#include <modyn/dyn/neurons/lif.hpp>

int main() {
  modyn::LoopOverTime loop{modyn::dyn::LIF<>(10), modyn::monitor<"v">};  // the State is "V"
  (void)loop;
}
