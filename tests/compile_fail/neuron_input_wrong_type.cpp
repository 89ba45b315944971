// expect: NeuronInput
// A neuron's inputs are numbers, tensors of its element type, or input terms:
// a double tensor for a float population is refused at the call.
#include <modyn/dyn/neurons/lif.hpp>

int main() {
  modyn::dyn::LIF<float> lif(4);
  const auto current = modyn::Tensor<double>::full({4}, 1.0);
  lif.update(modyn::Context{}, current);
}
