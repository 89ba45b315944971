/// @file
/// Portability macros: the only macros of modyn besides the reflection one.
#pragma once

/// @def MODYN_HOST_DEVICE
/// Marks functions usable from both host and device code (CUDA backend).
#if defined(__CUDACC__)
#define MODYN_HOST_DEVICE __host__ __device__
#else
#define MODYN_HOST_DEVICE
#endif

// 1 in code built against CMake's modyn::cuda (the CUDA component): then
// modyn/modyn.hpp brings the CUDA backend into .cu files.
#ifndef MODYN_WITH_CUDA
#define MODYN_WITH_CUDA 0
#endif

// The OpenMP component (CMake target modyn::openmp) sets this to 1: a
// cpu_instance may then run passes on a team of threads. Without it the CPU
// backend stays single-threaded, and a team of more than one thread is a
// config_error.
#ifndef MODYN_WITH_OPENMP
#define MODYN_WITH_OPENMP 0
#endif

/// @def MODYN_ALWAYS_INLINE
/// Forces inlining of the small functions that make up fused kernels.
#if defined(__GNUC__) || defined(__clang__)
#define MODYN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define MODYN_ALWAYS_INLINE inline
#endif

/// @def MODYN_INLINE_LAMBDA
/// Forces inlining of a lambda inside a kernel (a model's right-hand side), after
/// its parameter list: [&](double t, const V& v) MODYN_INLINE_LAMBDA { ... }.
/// Without it, a large right-hand side (HH: four derivatives, six rates) is
/// compiled as a call whose tuple of vectors goes through memory. (nvcc's
/// passes: left to its inliner.)
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__CUDACC__)
#define MODYN_INLINE_LAMBDA __attribute__((always_inline))
#else
#define MODYN_INLINE_LAMBDA
#endif

/// @def MODYN_BOUNDS_CHECK
/// Element access `tensor(i, j)` is bounds-checked when this is 1; by default
/// in debug builds (NDEBUG not defined). Define it to 0 or 1 before including
/// any modyn header to override.
#ifndef MODYN_BOUNDS_CHECK
#ifdef NDEBUG
#define MODYN_BOUNDS_CHECK 0
#else
#define MODYN_BOUNDS_CHECK 1
#endif
#endif

/// @def MODYN_CHECK_EVERY_STEP
/// Checks that cannot change during a run (that a population's States share
/// one shape) run once when LoopOverTime starts a run, through the modules'
/// begin_run hooks; with this 1 they run at every step too. By default in
/// debug builds (NDEBUG not defined). Define it to 0 or 1 before including
/// any modyn header to override.
#ifndef MODYN_CHECK_EVERY_STEP
#ifdef NDEBUG
#define MODYN_CHECK_EVERY_STEP 0
#else
#define MODYN_CHECK_EVERY_STEP 1
#endif
#endif

/// @def MODYN_BITWISE_MATH
/// math::exp, expm1 and tanh (and sigmoid, built on exp) of float and double:
/// with 0 (the default) each backend's fastest (xsimd's on CPU vectors, the
/// standard library's on numbers, CUDA's on a GPU), which agree to a few
/// ulps; with 1 modyn's own (core/detail/portable_math.hpp) everywhere, so
/// that a kernel gives the same bits on every backend (backend/cuda.hpp's
/// floating-point contract), at some cost on the CPU (dyn::HH steps about
/// 40% slower, dyn::LIF 14%). math::portable::exp etc. are modyn's own in
/// either case. Define it before including any modyn header, the same in
/// every translation unit of a program.
#ifndef MODYN_BITWISE_MATH
#define MODYN_BITWISE_MATH 0
#endif

/// @def MODYN_USE_CBLAS
/// GEMM through a CBLAS library instead of Eigen (CMake: -DMODYN_BLAS=OpenBLAS
/// or BLIS, which defines it and links the library).
#ifndef MODYN_USE_CBLAS
#define MODYN_USE_CBLAS 0
#endif

/// @def MODYN_USE_LIBXSMM
/// GEMM through libxsmm's JIT kernels where libxsmm has one for the shape,
/// else Eigen (CMake: -DMODYN_BLAS=libxsmm, or AUTO where libxsmm is found).
#ifndef MODYN_USE_LIBXSMM
#define MODYN_USE_LIBXSMM 0
#endif

/// @def MODYN_USE_DNNL
/// GEMM through oneDNN's dnnl_sgemm for float, on the calling thread; double
/// stays with Eigen (CMake: -DMODYN_BLAS=oneDNN, which defines it and links
/// Debian's libdnnl).
#ifndef MODYN_USE_DNNL
#define MODYN_USE_DNNL 0
#endif

namespace modyn {
/// The major version, as MODYN_VERSION_MAJOR (core/version.hpp).
inline constexpr int version_major = 0;
/// The minor version, as MODYN_VERSION_MINOR.
inline constexpr int version_minor = 1;
/// The patch version, as MODYN_VERSION_PATCH.
inline constexpr int version_patch = 0;
}  // namespace modyn
