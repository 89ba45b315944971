// The model workloads of shared/BENCHMARKS.md ("Neural networks"), shared by
// bench_models (modyn, hand-written Eigen) and bench_torch_models (libtorch):
// sizes, FLOP counts and benchmark names, so the two binaries measure and
// label the same work. Plain C++ only: no modyn, Eigen or libtorch headers.
//
// FLOPs count 2 M N K per GEMM (x W as (rows, in) x (in, out)) and nothing
// for biases and activations, the convention of BENCHMARKS.md's table.
#pragma once

#include <cstdint>

namespace bench_models {

// seed RNN: Sequential(RNNCell(100 -> 20, tanh), relu, RNNCell(20 -> 2, tanh)),
// input (T = 30, B = 128, 100), time major.
namespace seed {
inline constexpr std::int64_t steps = 30, batch = 128, in = 100, hidden1 = 20, hidden2 = 2;
inline constexpr double flops =
    2.0 * steps * batch * (in * hidden1 + hidden1 * hidden1 + hidden1 * hidden2 + hidden2 * hidden2);
}  // namespace seed

// rnn-512: Sequential(RNNCell(256 -> 512, tanh), relu, Dense(512 -> 10)); T = 100, B = 64.
namespace rnn512 {
inline constexpr std::int64_t steps = 100, batch = 64, in = 256, hidden = 512, out = 10;
inline constexpr double flops = 2.0 * steps * batch * (in * hidden + hidden * hidden + hidden * out);
}  // namespace rnn512

// MLP: Dense(784 -> 256), relu, Dense(256 -> 256), relu, Dense(256 -> 10); batch 256.
namespace mlp {
inline constexpr std::int64_t batch = 256, in = 784, hidden = 256, out = 10;
inline constexpr double flops = 2.0 * batch * (in * hidden + hidden * hidden + hidden * out);
}  // namespace mlp

// LIF-SNN: Dense(100 -> 256) feeding a LIF population (Euler, dt / tau = 0.1:
// v += 0.1 (-v + I), spike when v >= 1, then v = 0); T = 100, B = 64, input
// (T, B, 100) time major, output the spikes (T, B, 256). The input is normal
// with mean input_mean and unit deviation (both implementations draw it so).
// With the PyTorch-style initialisation of the Dense (W, b uniform in
// +-1/sqrt(100)), a zero-mean input drives the membranes to about 0.13 (std)
// and nothing spikes; with mean m a neuron's mean current is b + m sum W
// (std about 0.58 m over neurons) and those above threshold fire regularly.
// m = 4: 6.4% of neuron-steps spike, 40% of the neurons fire at least once
// (bench_models prints these; m = 2 gives 2.2%).
// Only the Dense counts as FLOPs (the LIF is a few flops per neuron-step).
namespace lif {
inline constexpr std::int64_t steps = 100, batch = 64, in = 100, hidden = 256;
inline constexpr double dt = 0.1;          // with tau = 1 ms: dt / tau = 0.1
inline constexpr double input_mean = 4.0;  // input ~ N(input_mean, 1)
inline constexpr double flops = 2.0 * steps * batch * in * hidden;
}  // namespace lif

// Benchmark names are "<workload>/<implementation>"; benchmarks/run_models
// joins the two binaries' JSON on the workload.
inline constexpr const char* seed_name = "seed_rnn_fwd";
inline constexpr const char* rnn512_name = "rnn512_fwd";
inline constexpr const char* mlp_name = "mlp_fwd";
inline constexpr const char* lif_name = "lif_snn_fwd";

}  // namespace bench_models
