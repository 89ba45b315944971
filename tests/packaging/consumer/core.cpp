// The core of the vcpkg port: modyn::modyn (Eigen, xsimd, Random123).
#include <cstdio>
#include <modyn/backend/cpu.hpp>
#include <modyn/core/random.hpp>
#include <modyn/core/tensor.hpp>

int main() {
  modyn::Rng rng(7);
  const auto u = rng.uniform<float>({100});
  modyn::Tensor<float> doubled = modyn::Tensor<float>::empty({100});
  modyn::cpu::map(
      u.size(), [](const auto& x, auto& y) { y = x + x; }, u.data(), modyn::write_only(doubled.data()));
  bool ok = true;
  for (std::size_t i = 0; i < u.size(); ++i)
    ok = ok && doubled.data()[i] == 2 * u.data()[i] && u.data()[i] < 1.0f;
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
