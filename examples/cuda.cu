// The seed models on an NVIDIA GPU: built on the CPU, moved with
// modyn::to<modyn::cuda>, run there; results come back with modyn::to<modyn::cpu>.
// Without a CUDA device it says so and exits with 77 ("skipped" to ctest).
#include <cstdio>
#include <iostream>
#include <modyn/modyn.hpp>  // in a .cu file built against modyn::cuda: the CUDA backend too

int main() {
  using namespace modyn;
  using gpu = modyn::cuda;  // (::cuda is CCCL's namespace: spell the backend modyn::cuda)
  if (!gpu::available()) {
    std::puts("example_cuda: no CUDA device: not run");
    return 77;
  }

  // The LoopOverTime seed: RNNCell(100, 20), relu, RNNCell(20, 2) over T = 30
  // steps of a batch of 128.
  Sequential model{named<"l1">(nn::RNNCell(100, 20)), relu, nn::RNNCell(20, 2)};
  LoopOverTime loop{to<gpu>(model), monitor<"l1.h">};
  loop.reset_state(128);
  const auto x = Rng(0).normal<float, gpu>({30, 128, 100});  // drawn on the device
  const auto& [y, h] = loop(x);
  std::cout << "rnn: output " << y.shape() << ", l1.h " << h.shape() << ", output[29][0] "
            << to<cpu>(y)[29][0] << "\n";

  // 4000 LIF neurons under a ramp of currents for 100 ms, spikes recorded.
  std::vector<float> drive(4000);
  for (std::size_t i = 0; i < drive.size(); ++i) drive[i] = 10.0f + 20.0f * float(i) / float(drive.size());
  const auto I = to<gpu>(Tensor<float>({drive.size()}, std::span<const float>(drive)));
  LoopOverTime neurons{
      to<gpu>(dyn::LIF<float>(drive.size(), {.V_rest = 0, .V_reset = 0, .V_th = 20, .tau = 10})),
      spike_monitor<"spike">,
      {.dt = 0.1}};
  neurons.reset_state(0);
  // (The current is captured by address: nvcc mistakes a reference captured
  // by reference and returned for a reference to a local, warning #836.)
  const auto& [none, spikes] = neurons.run_for(
      100.0, [current = &I](double, std::size_t) -> const Tensor<float, gpu>& { return *current; });
  (void)none;
  std::cout << "lif: " << spikes.indices.size() << " spikes from " << drive.size() << " neurons in 100 ms\n";
}
