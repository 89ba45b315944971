// The LoopOverTime seed: RNNCell(100, 20), relu, RNNCell(20, 2) over T = 30
// steps of a batch of 128, time major; then with a monitor of l1.h.
#include <iostream>
#include <modyn/modyn.hpp>

int main() {
  using namespace modyn;
  const Tensor<float> x = Rng(0).normal<float>({30, 128, 100});  // (T, B, N)

  Sequential model{named<"l1">(nn::RNNCell(100, 20)), relu, nn::RNNCell(20, 2)};
  LoopOverTime loop{model};
  loop.reset_state(128);
  const auto& out = loop(x);
  std::cout << "output " << out.shape() << "\n";

  LoopOverTime monitored{model, monitor<"l1.h">};
  monitored.reset_state(128);
  const auto [y, h] = monitored(x);
  std::cout << "output " << y.shape() << ", l1.h " << h.shape() << "\n";
}
