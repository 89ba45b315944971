// modyn::cuda on a GPU, against the device's own limits and peers, in one
// run (scripts/gpu-check runs it; benchmarks/cuda_torch.py times the same
// neural models in PyTorch on the same GPU). Every figure is the median of
// `repeats` timings, each of `inner` back-to-back calls on one stream,
// fenced before and after (host clock around the fence).
//
//   copy            cudaMemcpyAsync device to device, 1 GiB: the bandwidth
//                   bar (read + write counted)
//   lif, hh         dyn::LIF / dyn::HH (exp_euler, a constant current), one
//                   step of N = 4e5 and 4e7 neurons: the fused update pass and
//                   its emit (ballot, scan, scatter, and the count read back).
//                   Bytes per neuron-step as in benchmarks/neurons.cpp: LIF
//                   24, HH 40 (float32 state read and written, spikes
//                   written)
//   map3            out = a * b + c over N = 4e7 floats: one fused map of
//                   three inputs and a write-only output, 16 B per element
//   gemm            modyn::cuda::gemm against cublasSgemm called directly,
//                   same shapes (the models' and a large square one)
//   seed RNN, rnn-512  forward over the whole sequence with LoopOverTime, the
//                   model moved with to<cuda> (benchmarks/models.cpp's
//                   definitions; PyTorch's numbers come from cuda_torch.py)
//
// Output: one line per figure, "name value unit [ratio]".
#include <cublas_v2.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "models_common.hpp"
#include "modyn/backend/cuda.hpp"
#include "modyn/modyn.hpp"

namespace {

using gpu = modyn::cuda;
using modyn::Shape;
using modyn::Tensor;

constexpr int repeats = 7;

// Median seconds per call of f (called `inner` times per timing).
template <class F>
double seconds_per_call(int inner, F f) {
  std::vector<double> times;
  f();  // warm: allocations, cuBLAS handles, first launches
  gpu::fence();
  for (int r = 0; r < repeats; ++r) {
    gpu::fence();
    const auto start = std::chrono::steady_clock::now();
    for (int k = 0; k < inner; ++k) f();
    gpu::fence();
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / inner);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void report(const std::string& name, double value, const char* unit) {
  std::printf("%-34s %12.4g %s\n", name.c_str(), value, unit);
}

void report_ratio(const std::string& name, double value, const char* unit, double ratio, const char* of) {
  std::printf("%-34s %12.4g %s  (%.2f of %s)\n", name.c_str(), value, unit, ratio, of);
}

double copy_bandwidth() {
  const std::size_t n = std::size_t(1) << 28;  // 1 GiB of floats
  const auto a = Tensor<float, gpu>::zeros(Shape{n});
  auto b = Tensor<float, gpu>::empty(Shape{n});
  const double s = seconds_per_call(5, [&] { gpu::copy(a.data(), b.data(), n); });
  const double bytes_per_second = 2.0 * double(n) * sizeof(float) / s;
  report("copy (device to device, 1 GiB)", bytes_per_second / 1e12, "TB/s");
  return bytes_per_second;
}

template <class Neuron>
void neuron_step(const char* name, std::size_t n, double bytes_per_neuron, double bandwidth) {
  Neuron neuron(n);
  neuron.reset_state(0);
  std::size_t i = 0;
  const double s = seconds_per_call(20, [&] {
    const modyn::Context c{0.1 * double(i), i, 0.1, false};
    neuron.update(c, 20.0f);
    ++i;
  });
  const double bytes_per_second = bytes_per_neuron * double(n) / s;
  report(std::string(name) + " N=" + std::to_string(n) + " step", s * 1e6, "us");
  report_ratio(std::string(name) + " N=" + std::to_string(n) + " traffic", bytes_per_second / 1e12, "TB/s",
               bytes_per_second / bandwidth, "copy");
}

struct fma3 {
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const V& a, const V& b, const V& c, V& out) const {
    out = modyn::math::fma(a, b, c);
  }
};

void map3(double bandwidth) {
  const std::size_t n = 40'000'000;
  const auto a = modyn::Rng(1).uniform<float, gpu>(Shape{n});
  const auto b = modyn::Rng(2).uniform<float, gpu>(Shape{n});
  const auto c = modyn::Rng(3).uniform<float, gpu>(Shape{n});
  auto out = Tensor<float, gpu>::empty(Shape{n});
  const double s = seconds_per_call(
      20, [&] { gpu::map(n, fma3{}, a.data(), b.data(), c.data(), modyn::write_only(out.data())); });
  const double bytes_per_second = 16.0 * double(n) / s;
  report_ratio("map3 N=4e7 (a*b+c)", bytes_per_second / 1e12, "TB/s", bytes_per_second / bandwidth, "copy");
}

void gemm(std::size_t m, std::size_t n, std::size_t k) {
  const auto a = modyn::Rng(4).uniform<float, gpu>(Shape{m, k});
  const auto b = modyn::Rng(5).uniform<float, gpu>(Shape{k, n});
  auto c = Tensor<float, gpu>::empty(Shape{m, n});
  const int inner = double(m) * double(n) * double(k) > 1e9 ? 5 : 200;
  const double ours = seconds_per_call(inner, [&] {
    gpu::gemm(modyn::Transpose::no, modyn::Transpose::no, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f,
              c.data(), n);
  });
  const cublasHandle_t handle = gpu::default_instance().blas();
  const float one = 1.f, zero = 0.f;
  const auto i = [](std::size_t v) { return static_cast<int>(v); };
  const double direct = seconds_per_call(inner, [&] {
    cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, i(n), i(m), i(k), &one, b.data(), i(n), a.data(), i(k),
                &zero, c.data(), i(n));
  });
  const std::string shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  const double flops = 2.0 * double(m) * double(n) * double(k);
  report_ratio("gemm " + shape + " modyn", flops / ours / 1e12, "TFLOP/s", direct / ours,
               "cublasSgemm's speed");
}

template <class Make>
void model(const char* name, Make make, Shape input_shape, double flops) {
  modyn::LoopOverTime loop{modyn::to<gpu>(make())};
  const auto x = modyn::Rng(6).normal<float, gpu>(input_shape);
  const double s = seconds_per_call(20, [&] {
    loop.reset_state(input_shape[1]);
    (void)loop(x);
  });
  report(std::string(name) + " forward", s * 1e6, "us");
  report(std::string(name) + " throughput", flops / s / 1e9, "GFLOP/s");
}

auto make_seed() {
  using namespace modyn;
  namespace bm = bench_models;
  return Sequential{
      nn::RNNCell(std::size_t(bm::seed::in), std::size_t(bm::seed::hidden1), nn::Nonlinearity::tanh), relu,
      nn::RNNCell(std::size_t(bm::seed::hidden1), std::size_t(bm::seed::hidden2), nn::Nonlinearity::tanh)};
}

auto make_rnn512() {
  using namespace modyn;
  namespace bm = bench_models;
  return Sequential{
      nn::RNNCell(std::size_t(bm::rnn512::in), std::size_t(bm::rnn512::hidden), nn::Nonlinearity::tanh), relu,
      nn::Dense(std::size_t(bm::rnn512::hidden), std::size_t(bm::rnn512::out))};
}

}  // namespace

int main() {
  if (!gpu::available()) {
    std::printf("bench_cuda: no CUDA device: nothing measured\n");
    return 77;
  }
  cudaDeviceProp properties{};
  cudaGetDeviceProperties(&properties, 0);
  std::printf("bench_cuda on %s (compute capability %d.%d, %d SMs)\n", properties.name, properties.major,
              properties.minor, properties.multiProcessorCount);
  namespace bm = bench_models;
  const double bandwidth = copy_bandwidth();
  for (const std::size_t n : {std::size_t(400'000), std::size_t(40'000'000)}) {
    neuron_step<modyn::dyn::LIF<float, gpu>>("lif", n, 24, bandwidth);
    neuron_step<modyn::dyn::HH<float, gpu>>("hh", n, 40, bandwidth);
  }
  map3(bandwidth);
  gemm(bm::seed::batch, bm::seed::hidden1, bm::seed::in);
  gemm(bm::rnn512::batch, bm::rnn512::hidden, bm::rnn512::in);
  gemm(bm::rnn512::batch, bm::rnn512::hidden, bm::rnn512::hidden);
  gemm(4096, 4096, 4096);
  model("seed RNN (T=30, B=128)", make_seed, Shape{bm::seed::steps, bm::seed::batch, bm::seed::in},
        bm::seed::flops);
  model("rnn-512 (T=100, B=64)", make_rnn512, Shape{bm::rnn512::steps, bm::rnn512::batch, bm::rnn512::in},
        bm::rnn512::flops);
  return 0;
}
