// The CUDA tests' runner: without a CUDA device it runs nothing and exits
// with 77, which ctest reports as "Skipped" (SKIP_RETURN_CODE), so a machine
// without a GPU shows the CUDA tests as not run, never as passed.
#define CATCH_CONFIG_RUNNER
#include <cuda_runtime_api.h>

#include <catch2/catch.hpp>
#include <cstdio>

int main(int argc, char** argv) {
  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (status != cudaSuccess || devices == 0) {
    std::printf("modyn CUDA tests: NOT RUN, no CUDA device (%s)\n",
                status == cudaSuccess ? "0 devices" : cudaGetErrorString(status));
    return 77;
  }
  cudaDeviceProp properties{};
  if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess) {
    std::printf("modyn CUDA tests on %s (compute capability %d.%d)\n", properties.name, properties.major,
                properties.minor);
  }
  return Catch::Session().run(argc, argv);
}
