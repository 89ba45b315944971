// The cuda feature: modyn::cuda from a .cu file (configured by the test, not
// compiled: nvcc over modyn's headers is slow and there is no GPU to run on).
#include <cstdio>
#include <modyn/modyn.hpp>

int main() {
  std::printf("consumer: %s\n", modyn::cuda::available() ? "ok (a device)" : "ok (no device)");
  return 0;
}
