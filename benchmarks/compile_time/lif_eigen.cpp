// Compile-time benchmark, Eigen side: the LIF network of lif_modyn.cpp
// written against Eigen directly (as benchmarks/models.cpp's baseline): one
// GEMM for the currents of all T x B rows, then a plain loop per step.
#include <cmath>
#include <cstddef>
#include <iostream>
#include <random>

// g++ 12 reports its own AVX-512 intrinsics as maybe-uninitialized once Eigen
// inlines them (GCC bug 105593; modyn's backend/detail/eigen.hpp does the same).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <Eigen/Core>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

// One Euler step over n neurons: v += 0.1 (I - v); spike where v >= 1, then v = 0.
void lif_step(const float* current, float* v, float* spike, Eigen::Index n) {
  for (Eigen::Index i = 0; i < n; ++i) {
    const float next = v[i] + 0.1f * (current[i] - v[i]);
    const bool fired = next >= 1.0f;
    spike[i] = fired ? 1.0f : 0.0f;
    v[i] = fired ? 0.0f : next;
  }
}

}  // namespace

int main() {
  constexpr Eigen::Index steps = 100, batch = 64, in = 100, hidden = 256;
  std::mt19937 gen(0);
  std::normal_distribution<float> normal(4.0f, 1.0f);
  std::uniform_real_distribution<float> u(-1.0f / std::sqrt(static_cast<float>(in)),
                                          1.0f / std::sqrt(static_cast<float>(in)));
  const RowMatrix x = RowMatrix::NullaryExpr(steps * batch, in, [&] { return normal(gen); });
  const RowMatrix w = RowMatrix::NullaryExpr(in, hidden, [&] { return u(gen); });
  const RowVector b = RowVector::NullaryExpr(hidden, [&] { return u(gen); });

  RowMatrix current(steps * batch, hidden);
  current.rowwise() = b;
  current.noalias() += x * w;
  RowMatrix v = RowMatrix::Zero(batch, hidden), spikes(steps * batch, hidden);
  const Eigen::Index n = batch * hidden;
  for (Eigen::Index t = 0; t < steps; ++t)
    lif_step(current.data() + t * n, v.data(), spikes.data() + t * n, n);
  std::cout << "LIF network (Eigen): spikes (" << steps << ", " << batch << ", " << hidden << "), "
            << spikes.sum() << " spikes\n";
}
