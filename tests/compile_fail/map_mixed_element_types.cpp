// expect: arrays of one map must have element types of one width
// A kernel given a float array and a double array in one pass.
#include <modyn/backend/cpu.hpp>

int main() {
  const float in[4] = {1, 2, 3, 4};
  double out[4] = {};
  modyn::cpu::map(
      4, [](const auto& a, auto& b) { b = b + a; }, +in, +out);
  return 0;
}
