// The openmp feature: modyn::openmp, a pass on a team of two threads.
#include <cstdio>
#include <modyn/backend/cpu.hpp>
#include <modyn/core/tensor.hpp>

static_assert(MODYN_WITH_OPENMP == 1, "modyn::openmp defines MODYN_WITH_OPENMP");

int main() {
  const modyn::Tensor<float> x = modyn::Tensor<float>::full({10000}, 3.0f);
  modyn::Tensor<float> y = modyn::Tensor<float>::empty({10000});
  const modyn::cpu_instance team{.threads = 2, .grain = 1000};
  modyn::cpu::map(
      team, x.size(), [](const auto& in, auto& out) { out = in * in; }, x.data(),
      modyn::write_only(y.data()));
  bool ok = true;
  for (std::size_t i = 0; i < y.size(); ++i) ok = ok && y.data()[i] == 9.0f;
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
