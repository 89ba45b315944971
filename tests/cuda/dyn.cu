// The dyn cases of every backend (tests/dyn/backend_cases.hpp) on modyn::cuda:
// models built on the CPU, moved with modyn::to<modyn::cuda>, run on the
// device, compared with the CPU run.
#include <tuple>

#include "modyn/backend/cuda.hpp"

using backends_under_test = std::tuple<modyn::cuda>;

#include "dyn/backend_cases.hpp"
#include "modyn/dyn/inputs/poisson.hpp"

// PoissonSpikes on the device: the uniform fill drawn by Philox on the GPU,
// thresholded by a kernel; the spikes must be the CPU's.
TEST_CASE("cuda: PoissonSpikes gives the cpu's spikes", "[cuda][dyn][poisson]") {
  using gpu = modyn::cuda;
  using modyn::dyn::PoissonSpikes;
  constexpr std::size_t n = 100'001;
  constexpr double dt = 0.1;
  const auto step = [](std::size_t i) { return modyn::Context{.t = double(i) * dt, .i = i, .dt = dt}; };
  PoissonSpikes on_cpu(n, 5000.0, 31);
  PoissonSpikes<float, gpu> on_gpu(n, 5000.0, 31);
  std::vector<float> hz(n);
  for (std::size_t k = 0; k < n; ++k) hz[k] = float(k % 9) * 1000.0f;
  PoissonSpikes per_cpu(n, Tensor<float>(Shape{n}, hz), 32);
  PoissonSpikes<float, gpu, Tensor<float, gpu>> per_gpu(n, modyn::to<gpu>(Tensor<float>(Shape{n}, hz)), 32);
  per_cpu.reset_state(2);
  per_gpu.reset_state(2);
  for (const std::size_t i : {0, 3, 250}) {
    INFO("step " << i);
    const auto want = on_cpu(step(i)).to_vector();
    CHECK(modyn::to<modyn::cpu>(on_gpu(step(i))).to_vector() == want);
    CHECK(std::count(want.begin(), want.end(), 1.0f) > 10'000);  // p = 0.5: about half fire
    CHECK(modyn::to<modyn::cpu>(per_gpu(step(i))).to_vector() == per_cpu(step(i)).to_vector());
  }
}
