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

// Benchmark names are "<workload>/<implementation>"; benchmarks/run_models
// joins the two binaries' JSON on the workload.
inline constexpr const char* seed_name = "seed_rnn_fwd";
inline constexpr const char* rnn512_name = "rnn512_fwd";
inline constexpr const char* mlp_name = "mlp_fwd";

}  // namespace bench_models
