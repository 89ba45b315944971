// Compile-time benchmark, modyn side: the LIF-SNN of shared/BENCHMARKS.md,
// Dense(100 -> 256) feeding a LIF population (Euler, dt / tau = 0.1: v += 0.1
// (-v + I), spike when v >= 1, then v = 0) over T = 100 steps of a batch of
// 64, as benchmarks/models.cpp writes it. lif_eigen.cpp is the same network
// written against Eigen directly.
#include <iostream>
#include <modyn/modyn.hpp>

int main() {
  using namespace modyn;
  using Lif = dyn::LIF<float, cpu, dyn::euler>;
  constexpr Lif::Options options{
      .V_rest = 0.0f, .V_reset = 0.0f, .V_th = 1.0f, .tau = 1.0f, .R = 1.0f, .tau_ref = 0.0f};
  const Tensor<float> x = Rng(0).normal<float>({100, 64, 100}, 4.0f, 1.0f);  // (T, B, N), mean 4

  LoopOverTime loop{Sequential{nn::Dense(100, 256), Lif(256, options)}, LoopOptions{.dt = 0.1}};
  loop.reset_state(64);
  const Tensor<float>& spikes = loop(x);

  double count = 0.0;
  for (std::size_t i = 0; i < spikes.size(); ++i) count += spikes.data()[i];
  std::cout << "LIF network (modyn): spikes " << spikes.shape() << ", " << count << " spikes\n";
}
