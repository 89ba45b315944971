// expect: to run for a duration, use loop\.run_for\(duration\)
// loop(x) runs over an input sequence: a number there is a duration, which
// run_for takes.
#include <modyn/compose/loop_over_time.hpp>
#include <modyn/dyn/neurons/lif.hpp>

int main() {
  modyn::LoopOverTime loop{modyn::dyn::LIF<>(10)};
  loop(100.0);
}
