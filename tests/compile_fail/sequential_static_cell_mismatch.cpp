// expect: an entry's static output size differs from the static input size
// RNNCell<100, 20> followed (through relu) by GRUCell<10, 2>: 20 != 10.
#include <modyn/compose/sequential.hpp>
#include <modyn/nn/gru_cell.hpp>
#include <modyn/nn/rnn_cell.hpp>

int main() {
  modyn::Sequential seq{modyn::nn::RNNCell<100, 20>{}, modyn::relu, modyn::nn::GRUCell<10, 2>{}};
  return static_cast<int>(seq.num_parameters());
}
