// CUBA (Brette et al. 2007, benchmark 2): 4000 LIF neurons with current synapses,
// the definitions of shared/BENCHMARKS.md (the network: examples/networks/cuba.hpp).
//
//   example_cuba [N=4000] [T=1000] [seed=1] [out=.] [progress=auto|always|never]
//
// Prints the run's statistics and timings and writes its spikes to
// <out>/cuba_spikes.npy; examples/plot_raster.py draws them.
#include "networks/cuba.hpp"

#include "networks/run_network.hpp"

int main(int argc, char** argv) {
  return networks::run_network<networks::Cuba<>, networks::CubaOptions>("cuba", argc, argv);
}
