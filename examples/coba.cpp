// COBA (Brette et al. 2007, benchmark 1): 4000 LIF neurons with conductance synapses,
// the definitions of shared/BENCHMARKS.md (the network: examples/networks/coba.hpp).
//
//   example_coba [N=4000] [T=1000] [seed=1] [out=.] [progress=auto|always|never]
//
// Prints the run's statistics and timings and writes its spikes to
// <out>/coba_spikes.npy; examples/plot_raster.py draws them.
#include "networks/coba.hpp"

#include "networks/run_network.hpp"

int main(int argc, char** argv) {
  return networks::run_network<networks::Coba<>, networks::CobaOptions>("coba", argc, argv);
}
