// Compile-time benchmark, Eigen side: the seed RNN of seed_rnn_modyn.cpp
// written against Eigen directly, as a user without modyn would (and as
// benchmarks/models.cpp's hand-written baseline does): row-major matrices,
// PyTorch's initialisation (uniform in +-1/sqrt(hidden)), per step
// h = tanh(x_t W_ih + h W_hh + b_ih + b_hh), relu between the layers.
#include <cmath>
#include <cstddef>
#include <iostream>
#include <random>
#include <vector>

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
using ConstRowMap = Eigen::Map<const RowMatrix>;

struct RnnLayer {
  RowMatrix w_ih, w_hh, h, pre;
  RowVector b;

  RnnLayer(Eigen::Index in, Eigen::Index hidden, std::mt19937& gen) {
    std::uniform_real_distribution<float> u(-1.0f / std::sqrt(static_cast<float>(hidden)),
                                            1.0f / std::sqrt(static_cast<float>(hidden)));
    const auto draw = [&] { return u(gen); };
    w_ih = RowMatrix::NullaryExpr(in, hidden, draw);
    w_hh = RowMatrix::NullaryExpr(hidden, hidden, draw);
    b = RowVector::NullaryExpr(hidden, draw) + RowVector::NullaryExpr(hidden, draw);  // b_ih + b_hh
  }

  void reset(Eigen::Index batch) { h.setZero(batch, w_hh.rows()); }

  template <class X>
  const RowMatrix& step(const X& x) {
    pre.noalias() = x * w_ih;
    pre.noalias() += h * w_hh;
    pre.rowwise() += b;
    h = pre.array().tanh().matrix();
    return h;
  }
};

}  // namespace

int main() {
  constexpr Eigen::Index steps = 30, batch = 128, in = 100;
  std::mt19937 gen(0);
  std::normal_distribution<float> normal;
  std::vector<float> x(static_cast<std::size_t>(steps * batch * in));
  for (float& v : x) v = normal(gen);

  RnnLayer l1(in, 20, gen), l2(20, 2, gen);
  l1.reset(batch);
  l2.reset(batch);
  RowMatrix r1, y(steps * batch, 2);
  for (Eigen::Index t = 0; t < steps; ++t) {
    const ConstRowMap x_t(x.data() + t * batch * in, batch, in);
    r1 = l1.step(x_t).cwiseMax(0.0f);
    y.middleRows(t * batch, batch) = l2.step(r1);
  }
  std::cout << "seed RNN (Eigen): output (" << steps << ", " << batch << ", 2), sum "
            << y.cast<double>().sum() << "\n";
}
