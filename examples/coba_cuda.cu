// COBA on an NVIDIA GPU (modyn::cuda): the network of examples/coba.cpp,
// built on the host and run on the device (connectivity, delivery, spike
// lists and the spike monitor there), with the same command line:
//
//   example_coba_cuda [N=4000] [T=1000] [seed=1] [out=.]
//
// scripts/gpu-check runs it at N = 4,000, 400,000 and 4,000,000 (out-degree
// 80). Without a CUDA device it says so and exits with 77.
#include <cstdio>

#include "networks/coba.hpp"
#include "networks/run_network.hpp"

int main(int argc, char** argv) {
  if (!modyn::cuda::available()) {
    std::puts("example_coba_cuda: no CUDA device: not run");
    return 77;
  }
  return networks::run_network<networks::Coba<modyn::cuda>, networks::CobaOptions>("coba_cuda", argc, argv);
}
