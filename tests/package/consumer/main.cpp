// A downstream program: it builds against modyn and checks a few values.
#include <cstdio>
#include <modyn/modyn.hpp>

int main() {
  const modyn::Tensor<float> a{{1, 2}, {3, 4}};
  const modyn::Tensor<float> b = modyn::matmul(a, a) + 1.0f;  // [[8, 11], [16, 23]]
  modyn::Rng rng(7);
  const auto u = rng.uniform<float>({100});
  const bool in_range = modyn::max(u) < 1.0f && modyn::max(-u) <= 0.0f;
  const bool ok = b == modyn::Tensor<float>{{8, 11}, {16, 23}} && in_range;
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
