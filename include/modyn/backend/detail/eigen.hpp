// The one place modyn includes Eigen (it includes the intrinsics headers too;
// see core/detail/intrinsics.hpp for why they are wrapped, first).
#pragma once

#include "modyn/core/detail/intrinsics.hpp"

// Under nvcc, Eigen marks its functions host-device and brings its CUDA
// complex arithmetic, which nvcc warns about (#20012, #20015). modyn runs
// Eigen on the host only (cpu::gemm), so its device side is switched off.
#if defined(__CUDACC__) && !defined(EIGEN_NO_CUDA)
#define EIGEN_NO_CUDA
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-variable"  // Eigen 3.4.0's AVX-512 PacketMath.h
#endif
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wc99-extensions"  // Eigen 3.4.0's Half.h, under -Wpedantic
#endif
#include <Eigen/Core>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
