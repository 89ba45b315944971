// A first look at modyn: tensors, a fused elementwise kernel, GEMM and the
// counter-based random number generator.
#include <iostream>
#include <modyn/modyn.hpp>

int main() {
  using modyn::Tensor;

  // Tensors are row-major, 64-byte aligned, and print like numpy arrays.
  const Tensor<float> x{{1, 2, 3}, {4, 5, 6}};
  std::cout << "x " << x.shape() << " =\n" << x << "\n\n";
  std::cout << "tanh(x) * 2 + 1 =\n" << modyn::tanh(x) * 2.0f + 1.0f << "\n\n";
  std::cout << "x @ x^T =\n" << modyn::matmul(x, Tensor<float>{{1, 4}, {2, 5}, {3, 6}}) << "\n\n";

  // One fused pass of a leaky integrator over 1000 neurons: reads the input
  // current I, updates v in place and writes the spikes, written once for
  // xsimd vectors and for the scalar tail.
  modyn::Rng rng(2024);
  const Tensor<float> current = rng.uniform<float>({1000}, 0.0f, 3.0f);
  Tensor<float> v = modyn::zeros<float>({1000});
  Tensor<float> spikes = modyn::zeros<float>({1000});
  const float decay = 0.1f, threshold = 1.0f;
  std::size_t total = 0;
  for (int step = 0; step < 100; ++step) {
    modyn::cpu::map(
        v.size(),
        [=]<class V>(const V& I, V& vm, V& spike) {
          vm = vm + V(decay) * (I - vm);
          const auto fired = vm >= V(threshold);
          spike = modyn::math::select(fired, V(1), V(0));
          vm = modyn::math::select(fired, V(0), vm);
        },
        current.data(), v.data(), modyn::write_only(spikes.data()));
    total += static_cast<std::size_t>(modyn::sum(spikes));
  }
  std::cout << "leaky integrators: " << total << " spikes in 100 steps of 1000 neurons\n";

  // The same seed gives the same numbers everywhere; split() gives
  // independent streams.
  const Tensor<float> u = modyn::Rng(42).split(1).uniform<float>({100000});
  std::cout << "uniform mean " << modyn::sum(u) / 100000.0f << " (expected 0.5)\n";
  std::cout << "normal samples " << modyn::Rng(42).normal<float>({5}) << "\n";
}
