// CBLAS declarations for the optional BLAS path of the CPU backend
// (MODYN_USE_CBLAS, set by CMake's MODYN_BLAS). The system's cblas.h is used
// when there is one; otherwise the standard CBLAS prototypes (32-bit ints, as
// Debian's OpenBLAS and BLIS libblas export them) are declared here.
#pragma once

#if __has_include(<cblas.h>)
#include <cblas.h>
#else
extern "C" {
enum CBLAS_ORDER { CblasRowMajor = 101, CblasColMajor = 102 };
enum CBLAS_TRANSPOSE { CblasNoTrans = 111, CblasTrans = 112, CblasConjTrans = 113 };
void cblas_sgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, int, int, int, float,
                 const float*, int, const float*, int, float, float*, int);
void cblas_dgemm(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, int, int, int, double,
                 const double*, int, const double*, int, double, double*, int);
}
#endif
