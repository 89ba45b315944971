// expect: write each derivative as dyn::linear<V>
// Exponential Euler integrates dy/dt = slope y + offset exactly; a bare
// derivative value has no slope.
#include <modyn/dyn/integrators.hpp>

int main() {
  double y = 1.0;
  modyn::dyn::exp_euler::step([](double, double v) { return -v; }, 0.0, 0.1, y);
  return y > 0 ? 0 : 1;
}
