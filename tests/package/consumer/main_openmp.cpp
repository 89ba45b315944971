// A downstream program of find_package(modyn COMPONENTS OpenMP): a pass on a
// team of two threads gives what the calling thread gives.
#include <cstdio>
#include <modyn/modyn.hpp>

int main() {
  static_assert(MODYN_WITH_OPENMP == 1, "modyn::openmp defines MODYN_WITH_OPENMP");
  modyn::Rng rng(7);
  const auto x = rng.uniform<float>({100000});
  const modyn::cpu_instance team{.threads = 2, .grain = 1000};
  modyn::Tensor<float> alone = modyn::Tensor<float>::empty({100000}), on_team = alone;
  const auto square = [](const auto& in, auto& out) { out = in * in; };
  modyn::cpu::map(x.size(), square, x.data(), modyn::write_only(alone.data()));
  modyn::cpu::map(team, x.size(), square, x.data(), modyn::write_only(on_team.data()));
  const bool ok = alone == on_team;
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
