// Compile-time benchmark, modyn side: the seed RNN of shared/BENCHMARKS.md,
// Sequential(RNNCell(100 -> 20, tanh), relu, RNNCell(20 -> 2, tanh)) over
// T = 30 steps of a batch of 128, time major, as benchmarks/models.cpp
// writes it. seed_rnn_eigen.cpp is the same model written against Eigen
// directly; benchmarks/run_compile_time compares the time to compile the
// two, and its --check mode keeps this one within benchmarks/compile_time_budget.txt.
#include <iostream>
#include <modyn/modyn.hpp>

int main() {
  using namespace modyn;
  const Tensor<float> x = Rng(0).normal<float>({30, 128, 100});  // (T, B, N)

  LoopOverTime loop{Sequential{nn::RNNCell(100, 20, nn::Nonlinearity::tanh), relu,
                               nn::RNNCell(20, 2, nn::Nonlinearity::tanh)}};
  loop.reset_state(128);
  const Tensor<float>& y = loop(x);

  double sum = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) sum += y.data()[i];
  std::cout << "seed RNN (modyn): output " << y.shape() << ", sum " << sum << "\n";
}
