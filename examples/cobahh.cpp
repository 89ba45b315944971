// COBAHH (Brette et al. 2007, benchmark 3): 4000 Traub-Miles HH neurons with conductance synapses,
// the definitions of shared/BENCHMARKS.md (the network: examples/networks/cobahh.hpp).
//
//   example_cobahh [N=4000] [T=1000] [seed=1] [out=.] [progress=auto|always|never]
//
// Prints the run's statistics and timings and writes its spikes to
// <out>/cobahh_spikes.npy; examples/plot_raster.py draws them.
#include "networks/cobahh.hpp"

#include "networks/run_network.hpp"

int main(int argc, char** argv) {
  return networks::run_network<networks::Cobahh<>, networks::CobahhOptions>("cobahh", argc, argv);
}
