// A downstream CUDA program: find_package(modyn COMPONENTS CUDA), modyn::cuda.
// It compiles the backend and, where a GPU is, checks a product on it.
#include <cstdio>
#include <modyn/modyn.hpp>  // with modyn::cuda: the CUDA backend too

int main() {
  using gpu = modyn::cuda;
  if (!gpu::available()) {
    std::printf("consumer: ok (CUDA component found and compiled; no device to run on)\n");
    return 0;
  }
  const modyn::Tensor<float> a{{1, 2}, {3, 4}};
  const auto on_gpu = modyn::to<gpu>(a);
  const modyn::Tensor<float> b = modyn::to<modyn::cpu>(modyn::matmul(on_gpu, on_gpu) + 1.0f);
  const bool ok = b == modyn::Tensor<float>{{8, 11}, {16, 23}};
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
