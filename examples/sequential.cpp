// The Sequential seed: Dense(100, 10), relu, Dense(10, 2) on a (256, 100)
// input, with positional and with named entries.
#include <iostream>
#include <modyn/modyn.hpp>

int main() {
  using namespace modyn;
  const Tensor<float> x = Rng(0).normal<float>({256, 100});

  Sequential positional{nn::Dense(100, 10), relu, nn::Dense(10, 2)};
  const auto& y = positional(x);
  std::cout << "positional: input " << x.shape() << " -> output " << y.shape() << "\n";
  std::cout << positional << "\n";

  Sequential named_entries{named<"l1">(nn::Dense(100, 10)), relu, named<"l2">(nn::Dense(10, 2))};
  const auto& z = named_entries(x);
  std::cout << "named: input " << x.shape() << " -> output " << z.shape() << "\n";
  for (const auto& [path, weight] : named_entries.named_parameters()) {
    std::cout << "  " << path << " " << weight.get().shape() << "\n";
  }
  std::cout << "l1 is " << named_entries.get<"l1">().name() << "\n";
}
