// The blas feature: modyn::modyn defines MODYN_USE_CBLAS and links OpenBLAS.
// (cpu::gemm calls cblas_sgemm so; called here directly, as instantiating
// cpu::gemm at -O0 costs seconds of Eigen.)
#include <cstdio>
#include <modyn/backend/detail/cblas.hpp>

static_assert(MODYN_USE_CBLAS == 1, "the blas feature installs modyn with MODYN_BLAS=OpenBLAS");

int main() {
  const float a[4] = {1, 2, 3, 4};
  float c[4] = {};
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.0f, a, 2, a, 2, 0.0f, c, 2);
  const bool ok = c[0] == 7 && c[1] == 10 && c[2] == 15 && c[3] == 22;
  std::printf("consumer: %s\n", ok ? "ok" : "wrong values");
  return ok ? 0 : 1;
}
