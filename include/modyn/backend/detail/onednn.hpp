// The oneDNN path of the CPU backend's GEMM (MODYN_USE_DNNL, set by CMake's
// MODYN_BLAS=oneDNN): float products go to dnnl_sgemm, double ones stay
// with Eigen (oneDNN has no double GEMM).
//
// dnnl_sgemm rather than the matmul primitive: measured on every shape of
// benchmarks/gemm_libraries.cpp (Debian's oneDNN 2.6.3, one thread), neither
// won consistently on the models' shapes, dnnl_sgemm was 1.5-3x faster at
// batch 1 (0.23 against 0.68 us on GRU(1 -> 8)'s 1x8x24), and it needs no
// primitive per shape and no heap allocation per call, where every execution
// of a cached primitive allocated (six mallocs: the argument maps).
//
// Debian builds oneDNN on the OpenMP runtime, which splits a product over
// omp_get_max_threads() threads, every core by default; modyn's GEMM runs on
// the calling thread, as its other paths do (a team, where there is one, is
// modyn's own: cpu_instance). oneDNN 2.6 has no thread setting of its own on
// that runtime (dnnl_set_num_threads does not exist), so each call lowers
// the calling thread's OpenMP thread count to one and restores it after: an
// ICV of the calling thread only, a few nanoseconds.
#pragma once

#include <oneapi/dnnl/dnnl.h>

#include <cstddef>
#include <type_traits>

#include "modyn/core/backend_concepts.hpp"

#if __has_include(<omp.h>)
#include <omp.h>
#else
extern "C" {
int omp_get_max_threads(void);
void omp_set_num_threads(int);
}
#endif

namespace modyn::detail {

// The calling thread's OpenMP thread count lowered to one for a scope.
class one_openmp_thread {
 public:
  one_openmp_thread() noexcept : saved_(omp_get_max_threads()) {
    if (saved_ != 1) omp_set_num_threads(1);
  }
  ~one_openmp_thread() {
    if (saved_ != 1) omp_set_num_threads(saved_);
  }
  one_openmp_thread(const one_openmp_thread&) = delete;
  one_openmp_thread& operator=(const one_openmp_thread&) = delete;

 private:
  int saved_;
};

// Row-major C = alpha op(A) op(B) + beta C through dnnl_sgemm (cpu::gemm's
// contract without the bias); false, with C untouched, for anything but
// float or where oneDNN refuses the arguments.
template <class T>
bool dnnl_gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
               const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
               std::size_t ldc) noexcept {
  if constexpr (!std::is_same_v<T, float>) {
    return false;
  } else {
    const auto d = [](std::size_t v) { return static_cast<dnnl_dim_t>(v); };
    const one_openmp_thread calling_thread_only;
    return dnnl_sgemm(trans_a == Transpose::yes ? 'T' : 'N', trans_b == Transpose::yes ? 'T' : 'N', d(m),
                      d(n), d(k), alpha, a, d(lda), b, d(ldb), beta, c, d(ldc)) == dnnl_success;
  }
}

}  // namespace modyn::detail
