// The command line, the run and the report shared by examples/coba.cpp,
// cuba.cpp and cobahh.cpp:
//
//   example_coba [N=4000] [T=1000] [seed=1] [p=...] [threads=1] [out=.] [progress=auto|always|never]
//
// threads > 1 runs the CPU passes and the delivery on a team of threads
// (built with the OpenMP component, modyn::openmp; without it, a team is a
// config_error), with the spike trains of one thread. A pass splits only
// from 16,384 elements per thread on (cpu_instance's grain).
// T in ms; p defaults to 0.02 at N <= 4000 and 80 / N beyond (out-degree
// 80, BENCHMARKS.md). Prints N, synapses, total spikes, mean rate, CV of
// the inter-spike intervals, set-up and simulation wall time and synaptic
// events per second, and writes the spikes to <out>/<name>_spikes.npy
// ((K, 2) int64 rows of step and neuron; examples/plot_raster.py draws them).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <modyn/modyn.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "networks/statistics.hpp"

namespace networks {

struct RunArguments {
  std::size_t N = 4000;
  double T = 1000.0;  // ms
  std::uint64_t seed = 1;
  double p = 0.0;  // 0: BENCHMARKS.md's choice for N
  std::filesystem::path out = ".";
  modyn::Progress progress = modyn::Progress::terminal;
  int threads = 1;

  double probability() const { return p > 0.0 ? p : (N <= 4000 ? 0.02 : 80.0 / static_cast<double>(N)); }
};

inline RunArguments parse_run_arguments(int argc, char** argv) {
  RunArguments a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t eq = arg.find('=');
    const std::string key(arg.substr(0, eq)), value(eq == std::string_view::npos ? "" : arg.substr(eq + 1));
    if (key == "N")
      a.N = std::stoul(value);
    else if (key == "T")
      a.T = std::stod(value);
    else if (key == "seed")
      a.seed = std::stoull(value);
    else if (key == "p")
      a.p = std::stod(value);
    else if (key == "out")
      a.out = value;
    else if (key == "threads")
      a.threads = std::stoi(value);
    else if (key == "progress" && value == "always")
      a.progress = modyn::Progress::always;
    else if (key == "progress" && value == "never")
      a.progress = modyn::Progress::never;
    else if (key == "progress" && value == "auto")
      a.progress = modyn::Progress::terminal;
    else
      throw std::invalid_argument("unknown argument '" + std::string(arg) +
                                  "' (N=, T=, seed=, p=, threads=, out=, progress=auto|always|never)");
  }
  return a;
}

// Builds Net from Options{N, p, seed}, runs it for T ms at dt = 0.1 ms with
// a spike monitor on P, reports, and saves the spikes.
template <class Net, class Options>
int run_network(const char* name, int argc, char** argv) {
  try {
    const RunArguments a = parse_run_arguments(argc, argv);
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    Net net(Options{a.N, a.probability(), a.seed});
    const double setup = std::chrono::duration<double>(clock::now() - t0).count();

    const modyn::cpu_instance team{.threads = a.threads};
    modyn::LoopOverTime loop{net, modyn::spike_monitor<"P.spike">,
                             modyn::LoopOptions{.dt = 0.1, .progress = a.progress, .exec = {.cpu = &team}}};
    const auto t1 = clock::now();
    const auto& [none, spikes] = loop.run_for(a.T);
    const double sim = std::chrono::duration<double>(clock::now() - t1).count();

    const double events = static_cast<double>(spikes.size()) * static_cast<double>(net.synapses()) /
                          static_cast<double>(a.N);  // spikes x mean out-degree
    std::printf("%s: N %zu, synapses %zu, %.0f ms simulated, %d thread%s\n", name, a.N, net.synapses(), a.T,
                a.threads, a.threads == 1 ? "" : "s");
    std::printf("spikes %zu, mean rate %.2f Hz, CV of ISI %.3f\n", spikes.size(), mean_rate_hz(spikes, a.N),
                mean_cv_isi(spikes, a.N));
    std::printf("set-up %.4f s, simulation %.4f s, %.3g synaptic events/s\n", setup, sim, events / sim);
    std::filesystem::create_directories(a.out);
    const auto file = a.out / (std::string(name) + "_spikes.npy");
    modyn::io::save_npy(file, spikes);
    std::printf("spikes written to %s\n", file.string().c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", name, e.what());
    return 1;
  }
}

}  // namespace networks
