// The HH seed: one Hodgkin-Huxley neuron (BrainPy's parameters), its
// membrane potential monitored, run for 100 ms without input, then for 1000
// steps of dt = 0.1 ms with a constant input current of 5 uA/cm^2. The two
// traces go to .npy files that numpy.load reads; examples/plot_trace.py
// draws them.
//
//   example_hh [output directory]
#include <filesystem>
#include <iostream>
#include <modyn/modyn.hpp>

int main(int argc, char** argv) {
  using namespace modyn;
  const std::filesystem::path out = argc > 1 ? argv[1] : ".";

  LoopOverTime loop{dyn::HH<>(1), monitor<"V">, spike_monitor<"spike">, {.dt = 0.1}};

  // 100 ms with no input: no spike; V relaxes from V_init = -65 mV to its
  // resting -70.7 mV (hh.hpp).
  const auto& [none, v_rest, spikes_rest] = loop.run_for(100.0);
  io::save_npy(out / "hh_V_no_input.npy", v_rest);
  std::cout << "no input: V " << v_rest.shape() << ", " << spikes_rest.size() << " spikes\n";

  // The same neuron from its initial state, with I = 5 at each of 1000 steps
  // (the input is time major: (T, neurons)).
  loop.reset_state();
  loop.reset_time();
  const auto current = full<float>({1000, 1}, 5.0f);
  const auto& [y, v, spikes] = loop(current);
  io::save_npy(out / "hh_V_input_5.npy", v);
  io::save_npy(out / "hh_spikes_input_5.npy", spikes);
  std::cout << "input 5: V " << v.shape() << ", " << spikes.size() << " spikes at";
  for (const double t : spikes.times()) std::cout << " " << t;
  std::cout << " ms\n";
}
