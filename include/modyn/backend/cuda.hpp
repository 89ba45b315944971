/// @file
/// modyn::cuda: the CUDA backend (optional component CUDA; compiled by nvcc).
///
/// @code
///   Tensor<float, cuda> x({n});                    // device memory
///   auto model = modyn::to<modyn::cuda>(cpu_model); // parameters and states copied
/// @endcode
///
/// Execution instance (Kokkos' sense): modyn::cuda_instance owns a CUDA
/// stream, a cuBLAS handle bound to it and the device it belongs to, and a
/// grow-only workspace (emit scans, reductions) so that a warm step allocates
/// nothing. cuda::default_instance() is created on first use on the current
/// device; a Context can name another (ExecutionInstances::cuda). Kernels of
/// one instance run in order on its stream. Memory comes from
/// cudaMallocAsync / cudaFreeAsync on the default instance's stream (the
/// device's stream-ordered pool; never managed memory): a kernel run on
/// another instance must be fenced before the default instance frees or
/// reads what it wrote.
///
/// Synchronisation: map, gemm and device-to-device copies are asynchronous
/// on the instance's stream. copy_to_host and copy_from_host return when the
/// copy is complete (a host buffer is free to reuse or read). A map with an
/// emit channel, and a reduction returning a number, wait for the stream:
/// their result (the emitted count, the sum) is a host value. reduce_*_into
/// keeps the result in device memory and does not wait. fence() waits.
///
/// Errors: every CUDA and cuBLAS call is checked; a failure throws
/// modyn::device_error naming the call and the runtime's error name and text
/// (Sequential adds the path of the module that ran it). A launch is checked
/// with cudaGetLastError; an error inside a kernel surfaces at the next
/// synchronising call, as CUDA reports it.
///
/// Floating-point contract. A kernel (a function object, core/kernel_args.hpp)
/// runs per element with Vec = T, as on modyn::serial and in each lane of
/// modyn::cpu's vectors, so the same arithmetic gives the same bits on all
/// three when the compilers evaluate it as written:
/// - FMA contraction: nvcc contracts a * b + c into one fma by default
///   (-fmad=true); g++ does with -ffp-contract=fast, its default for the
///   gnu++ dialects when -march has FMA (and 15-25% faster neuron steps on
///   the CPU). Bitwise agreement needs -fmad=false on the device and
///   -ffp-contract=off on the host (modyn's CUDA tests build so), or each
///   fma written as math::fma, which is one fused operation everywhere (also
///   on AVX-512, where xsimd 8's is not).
/// - math::exp, expm1 and tanh: by default each backend's own (CUDA's expf
///   on the device, 2 ulps; xsimd's and glibc's on the host), which agree to
///   a few ulps. With MODYN_BITWISE_MATH=1 (core/config.hpp) they, and
///   sigmoid, are modyn's own (math::portable, core/detail/portable_math.hpp)
///   on every backend: one implementation for numbers, xsimd vectors and
///   device threads, the same bits everywhere, within 1 (exp), 2 (expm1) and
///   2.5 (tanh) ulps of the correctly rounded value, and immune to
///   contraction. +, -, *, / and sqrt are correctly rounded on both (nvcc's
///   defaults -prec-div=true, -prec-sqrt=true; never -use_fast_math). The
///   other functions (log, log1p, erf) are the platform's: glibc's on the
///   host, CUDA's on the device (within the ulps of the CUDA Programming
///   Guide's tables), so they may differ in the last bits.
/// - GEMM through cuBLAS accumulates in its own order: it agrees with the CPU
///   backend to rounding (a relative error of a few k 2^-24 for FP32), not
///   bitwise. FP32 by default; TF32 tensor cores only for an instance made
///   with cuda_options{.allow_tf32 = true} (about 2^-11 relative per product).
/// - Reductions (CUB) sum in a tree: within n 2^-24 relative of a serial sum.
/// - Random numbers (modyn::Rng on a cuda tensor) are drawn by Philox on the
///   device: uniform, bernoulli and randint bit for bit as on the CPU; normal
///   to a few ulps (its double log, cos and sin are CUDA's).
#pragma once

#if !defined(__CUDACC__)
#error \
    "modyn/backend/cuda.hpp: the CUDA backend's kernels are compiled by nvcc: include it from a .cu file (CMake: find_package(modyn COMPONENTS CUDA), link modyn::cuda)"
#endif

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <cub/device/device_reduce.cuh>
#include <cub/device/device_scan.cuh>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>

#include "modyn/backend/cuda/launch.hpp"
#include "modyn/backend/detail/map_engine.hpp"
#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn {

/// Memory of a CUDA device.
struct cuda_space {};

namespace detail::cuda_check {

// Throws device_error for a failed CUDA runtime call.
inline void check(cudaError_t status, std::string_view call) {
  if (status == cudaSuccess) return;
  throw device_error("modyn::cuda: " + std::string(call) + " failed: " + cudaGetErrorName(status) + " (" +
                     cudaGetErrorString(status) + ")");
}

// Throws device_error for a failed cuBLAS call.
inline void check(cublasStatus_t status, std::string_view call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw device_error("modyn::cuda: " + std::string(call) + " failed: " + cublasGetStatusName(status) + " (" +
                     cublasGetStatusString(status) + ")");
}

// Makes `device` current for a scope, and restores the previous one.
class device_scope {
 public:
  explicit device_scope(int device) {
    check(cudaGetDevice(&previous_), "cudaGetDevice");
    if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
    switched_ = previous_ != device;
  }
  device_scope(const device_scope&) = delete;
  device_scope& operator=(const device_scope&) = delete;
  ~device_scope() {
    if (switched_) (void)cudaSetDevice(previous_);
  }

 private:
  int previous_ = 0;
  bool switched_ = false;
};

}  // namespace detail::cuda_check

/// How an instance is made.
struct cuda_options {
  /// The device; -1: the current one (cudaGetDevice).
  int device = -1;
  /// Let cuBLAS use TF32 tensor cores for FP32 GEMM (about 10 bits of
  /// mantissa in the products): faster, and no longer FP32-accurate.
  bool allow_tf32 = false;
};

/// A stream, a cuBLAS handle on it, a device, and the scratch memory of the
/// backend's multi-pass kernels on that stream. Not copyable: contexts and
/// ExecutionInstances refer to it by address. Use from one host thread at a
/// time, as a CUDA stream.
class cuda_instance {
 public:
  /// Creates the stream, the cuBLAS handle and the result words on the
  /// options' device (the current one by default); throws cuda_error.
  explicit cuda_instance(cuda_options options = {}) : allow_tf32_(options.allow_tf32) {
    using detail::cuda_check::check;
    device_ = options.device;
    if (device_ < 0) check(cudaGetDevice(&device_), "cudaGetDevice");
    const detail::cuda_check::device_scope scope(device_);
    check(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device_),
          "cudaDeviceGetAttribute(cudaDevAttrMultiProcessorCount)");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    try {
      check(cublasCreate(&blas_), "cublasCreate");
      check(cublasSetStream(blas_, stream_), "cublasSetStream");
      check(cublasSetMathMode(blas_, allow_tf32_ ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH),
            "cublasSetMathMode");
      check(cudaMallocHost(&host_word_, sizeof(std::uint64_t)), "cudaMallocHost");
      check(cudaMallocAsync(&device_word_, sizeof(std::uint64_t), stream_), "cudaMallocAsync(result word)");
    } catch (...) {
      release();
      throw;
    }
  }
  cuda_instance(const cuda_instance&) = delete;
  cuda_instance& operator=(const cuda_instance&) = delete;
  ~cuda_instance() { release(); }

  cudaStream_t stream() const noexcept { return stream_; }  ///< The stream its kernels and copies go to.
  cublasHandle_t blas() const noexcept { return blas_; }    ///< The cuBLAS handle bound to the stream.
  int device() const noexcept { return device_; }           ///< The device it belongs to.
  /// The device's multiprocessor count (grid sizes).
  unsigned multiprocessors() const noexcept { return static_cast<unsigned>(multiprocessors_); }
  bool allows_tf32() const noexcept { return allow_tf32_; }  ///< cuda_options::allow_tf32.

  /// Waits until everything queued on this instance has run.
  void fence() const { detail::cuda_check::check(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

  /// At least `bytes` of device scratch memory, valid until the next call of
  /// workspace on this instance; grows (a new allocation) only when a pass
  /// needs more than any before it.
  void* workspace(std::size_t bytes) const {
    if (bytes > workspace_bytes_) {
      using detail::cuda_check::check;
      const detail::cuda_check::device_scope scope(device_);
      const std::size_t grown = std::max(bytes, 2 * workspace_bytes_);  // amortised: few reallocations
      if (workspace_) check(cudaFreeAsync(workspace_, stream_), "cudaFreeAsync(workspace)");
      workspace_ = nullptr;
      workspace_bytes_ = 0;
      check(cudaMallocAsync(&workspace_, grown, stream_), "cudaMallocAsync(workspace)");
      workspace_bytes_ = grown;
    }
    return workspace_;
  }

  /// A pinned host word the backend reads device results into, and the
  /// device word they come from.
  /// @{
  std::uint64_t* host_word() const noexcept { return host_word_; }
  void* device_word() const noexcept { return device_word_; }
  /// @}

 private:
  void release() noexcept {
    // Errors are ignored here: at program exit the runtime may already be
    // gone, and a destructor must not throw.
    if (workspace_) (void)cudaFreeAsync(workspace_, stream_);
    if (device_word_) (void)cudaFreeAsync(device_word_, stream_);
    if (stream_) (void)cudaStreamSynchronize(stream_);
    if (host_word_) (void)cudaFreeHost(host_word_);
    if (blas_) (void)cublasDestroy(blas_);
    if (stream_) (void)cudaStreamDestroy(stream_);
    workspace_ = nullptr;
    device_word_ = nullptr;
    host_word_ = nullptr;
    blas_ = nullptr;
    stream_ = nullptr;
  }

  int device_ = 0;
  int multiprocessors_ = 1;
  bool allow_tf32_ = false;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  std::uint64_t* host_word_ = nullptr;
  void* device_word_ = nullptr;
  mutable void* workspace_ = nullptr;
  mutable std::size_t workspace_bytes_ = 0;
};

namespace detail::cuda_kernels {

using cuda_launch::grid;

// Thread t of the grid handles elements t, t + grid size, ... .
template <class Pass, bool HasRows, class Kernel, class... Args>
__global__ void __launch_bounds__(cuda_launch::threads_per_block)
    map_kernel(std::size_t n, std::size_t row, Kernel kernel, Args... args) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride)
    (void)cuda_launch::map_element<Pass, HasRows>(kernel, row, i, args...);
}

// A launch: thread t of the grid runs items t, t + grid size, ... .
template <class Kernel>
__global__ void __launch_bounds__(cuda_launch::threads_per_block)
    launch_kernel(std::size_t n, Kernel kernel) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t i = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) kernel(i);
}

// The emit pass: warp w handles word w (elements 32 w .. 32 w + 31), then
// w + warps, ...; the loop's condition is the same for the whole warp, so
// every lane reaches the ballot. Lane 0 stores the word and its popcount.
template <class Pass, bool HasRows, class Kernel, class... Args>
__global__ void __launch_bounds__(cuda_launch::threads_per_block)
    map_emit_kernel(std::size_t n, std::size_t row, std::uint32_t* words, std::uint32_t* counts,
                    Kernel kernel, Args... args) {
  const unsigned lane = threadIdx.x % cuda_launch::warp_size;
  const std::size_t warps = std::size_t(gridDim.x) * blockDim.x / cuda_launch::warp_size;
  for (std::size_t w = (std::size_t(blockIdx.x) * blockDim.x + threadIdx.x) / cuda_launch::warp_size;
       w * cuda_launch::warp_size < n; w += warps) {
    const std::size_t i = w * cuda_launch::warp_size + lane;
    const bool fired = i < n && cuda_launch::map_element<Pass, HasRows>(kernel, row, i, args...);
    const std::uint32_t word = __ballot_sync(0xffffffffu, fired);
    if (lane == 0) {
      words[w] = word;
      counts[w] = cuda_launch::popcount(word);
    }
  }
}

// Word w's set bits, written at base + offsets[w] in order; the thread of
// the last word also stores the total.
template <class Index>
__global__ void __launch_bounds__(cuda_launch::threads_per_block)
    scatter_kernel(const std::uint32_t* words, const std::uint32_t* offsets, std::size_t word_count,
                   std::size_t first, std::size_t base, Index* list, std::uint64_t* total) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t w = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; w < word_count; w += stride) {
    const unsigned written =
        cuda_launch::scatter_word(words[w], base + offsets[w], first + w * cuda_launch::warp_size, list);
    if (w + 1 == word_count) *total = offsets[w] + written;
  }
}

// After a GEMM: C = beta C when there was no product (k == 0; C not read
// when beta == 0), then C += bias in every row.
template <class T>
__global__ void __launch_bounds__(cuda_launch::threads_per_block)
    gemm_epilogue(T* c, std::size_t m, std::size_t n, std::size_t ldc, bool scale, T beta, const T* bias) {
  const std::size_t stride = std::size_t(gridDim.x) * blockDim.x;
  for (std::size_t e = std::size_t(blockIdx.x) * blockDim.x + threadIdx.x; e < m * n; e += stride) {
    const std::size_t i = e / n, j = e - i * n;
    T& out = c[i * ldc + j];
    if (scale) out = beta == T(0) ? T(0) : beta * out;
    if (bias) out += bias[j];
  }
}

template <class T>
__global__ void store_value(T* out, T value) {
  *out = value;
}

}  // namespace detail::cuda_kernels

/// The CUDA backend: device memory, kernels compiled by nvcc and run on a
/// cuda_instance's stream, GEMM through cuBLAS, reductions through CUB.
struct cuda {
  /// The memory space of its buffers.
  using memory_space = cuda_space;
  /// The backend's name, as messages and printed types spell it.
  static constexpr std::string_view name = "cuda";
  /// Whether the host may touch its memory (element access, printing, ==).
  static constexpr bool host_accessible = false;
  /// cudaMallocAsync's pool hands out 256-byte-aligned blocks.
  static constexpr std::size_t alignment = 256;

  /// The execution instance kernels run on.
  using instance = cuda_instance;

  // ---- devices --------------------------------------------------------------

  /// How many CUDA devices this process sees (0 without a driver or device).
  static int device_count() noexcept {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess) {
      (void)cudaGetLastError();  // clear the sticky "no device" error
      return 0;
    }
    return count;
  }
  static bool available() noexcept { return device_count() > 0; }  ///< Whether a CUDA device is visible.

  // ---- execution ------------------------------------------------------------

  /// Made on first use, on the device current then.
  static const instance& default_instance() {
    static const cuda_instance the_default{};
    return the_default;
  }
  /// The instance `instances` names for this backend, or the default one.
  static const instance& instance_of(const ExecutionInstances& instances) {
    return instances.cuda ? *instances.cuda : default_instance();
  }

  /// Waits until everything queued on the instance (the default one) has run.
  /// @{
  static void fence() { default_instance().fence(); }
  static void fence(const instance& on) { on.fence(); }
  /// @}

  // ---- memory ---------------------------------------------------------------

  /// Memory for n elements of T, uninitialised.
  template <class T>
  static T* allocate(std::size_t n) {
    static_assert(std::is_trivially_copyable_v<T>, "modyn::cuda holds trivially copyable elements only");
    if (n == 0) return nullptr;
    const instance& on = default_instance();
    const detail::cuda_check::device_scope scope(on.device());
    void* p = nullptr;
    detail::cuda_check::check(cudaMallocAsync(&p, n * sizeof(T), on.stream()),
                              "cudaMallocAsync(" + std::to_string(n * sizeof(T)) + " bytes)");
    return static_cast<T*>(p);
  }

  /// Frees what allocate<T>(n) gave.
  template <class T>
  static void deallocate(T* p, std::size_t /*n*/) noexcept {
    if (!p) return;
    // noexcept: a failure here (the runtime torn down at exit) cannot be reported.
    (void)cudaFreeAsync(const_cast<std::remove_const_t<T>*>(p), default_instance_or_null());
  }

  /// Copies n elements from src to dst, both in this backend's memory.
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) {
    copy(default_instance(), src, dst, n);
  }
  /// copy, ordered on the instance's stream.
  template <class T>
  static void copy(const instance& on, const T* src, T* dst, std::size_t n) {
    if (n == 0 || src == dst) return;
    detail::cuda_check::check(cudaMemcpyAsync(dst, src, n * sizeof(T), cudaMemcpyDeviceToDevice, on.stream()),
                              "cudaMemcpyAsync(device to device)");
  }

  /// Copies n elements from this backend's memory to host memory.
  template <class T>
  static void copy_to_host(const T* src, T* host_dst, std::size_t n) {
    copy_to_host(default_instance(), src, host_dst, n);
  }
  /// copy_to_host, ordered on the instance's stream.
  template <class T>
  static void copy_to_host(const instance& on, const T* src, T* host_dst, std::size_t n) {
    if (n == 0) return;
    detail::cuda_check::check(
        cudaMemcpyAsync(host_dst, src, n * sizeof(T), cudaMemcpyDeviceToHost, on.stream()),
        "cudaMemcpyAsync(device to host)");
    on.fence();
  }

  /// Copies n elements from host memory to this backend's memory.
  template <class T>
  static void copy_from_host(const T* host_src, T* dst, std::size_t n) {
    copy_from_host(default_instance(), host_src, dst, n);
  }
  /// copy_from_host, ordered on the instance's stream.
  template <class T>
  static void copy_from_host(const instance& on, const T* host_src, T* dst, std::size_t n) {
    if (n == 0) return;
    detail::cuda_check::check(
        cudaMemcpyAsync(dst, host_src, n * sizeof(T), cudaMemcpyHostToDevice, on.stream()),
        "cudaMemcpyAsync(host to device)");
    on.fence();  // the host buffer may be freed as soon as this returns
  }

  // ---- kernels --------------------------------------------------------------

  /// core/kernel_args.hpp's contract: one element per thread (Vec = T) in a
  /// grid-stride loop. An emit channel (at most one per pass) is ordered:
  /// ballot words, an exclusive scan of their popcounts, a scatter; the call
  /// then waits for the count.
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, const Kernel& kernel, const Args&... args) {
    static_assert(detail::check_map_args<Args...>());
    static_assert(std::is_trivially_copyable_v<Kernel>,
                  "modyn::cuda::map: a kernel is passed to the device by value: it must be trivially "
                  "copyable (numbers and device pointers, no std::vector or std::string)");
    constexpr std::size_t emits = (std::size_t(detail::cuda_launch::is_emit_v<Args>) + ... + 0);
    static_assert(emits <= 1, "modyn::cuda::map: one emit channel per pass");
    if (n == 0) return;
    using Pass = detail::pass_element_t<Args...>;
    constexpr bool has_rows = ((detail::is_broadcast_v<Args> || detail::is_strided_v<Args>) || ...);
    const std::size_t row = has_rows ? detail::row_length(n, args...) : n;
    const detail::cuda_check::device_scope scope(on.device());
    if constexpr (emits == 0) {
      const detail::cuda_launch::grid g = detail::cuda_launch::grid_for(n, on.multiprocessors());
      detail::cuda_kernels::map_kernel<Pass, has_rows>
          <<<g.blocks, g.threads, 0, on.stream()>>>(n, row, kernel, detail::cuda_launch::device_arg(args)...);
      detail::cuda_check::check(cudaGetLastError(), "map kernel launch");
    } else {
      map_with_emit<Pass, has_rows>(on, n, row, kernel, emit_of(args...), args...);
    }
  }
  /// map on the default instance.
  template <class Kernel, class... Args>
  static void map(std::size_t n, const Kernel& kernel, const Args&... args) {
    map(default_instance(), n, kernel, args...);
  }

  /// kernel(i) for i = 0 .. n - 1, concurrently, in any order, on the
  /// instance's stream (core/kernel_args.hpp, touches; the arrays are the
  /// kernel's own device pointers). Asynchronous, as map without an emit.
  template <class Kernel, class... Touched>
  static void launch(const instance& on, std::size_t n, const Kernel& kernel,
                     const touches_arg<Touched>&... /*memory*/) {
    static_assert(std::is_trivially_copyable_v<Kernel>,
                  "modyn::cuda::launch: a kernel is passed to the device by value: it must be trivially "
                  "copyable (numbers and device pointers)");
    if (n == 0) return;
    const detail::cuda_check::device_scope scope(on.device());
    const detail::cuda_launch::grid g = detail::cuda_launch::grid_for(n, on.multiprocessors());
    detail::cuda_kernels::launch_kernel<<<g.blocks, g.threads, 0, on.stream()>>>(n, kernel);
    detail::cuda_check::check(cudaGetLastError(), "launch kernel");
  }

  /// @{
  /// Row-major C(m, n) = alpha op(A) op(B) + beta C, then C += bias (cpu::gemm's
  /// contract) through cuBLAS: a row-major matrix is the column-major
  /// transpose, so C^T = op(B)^T op(A)^T is one column-major GEMM with the
  /// operands swapped. FP32 and FP64.
  template <class T>
  static void gemm(Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
                   const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c, std::size_t ldc,
                   const T* bias = nullptr) {
    gemm(default_instance(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  }
  template <class T>
  static void gemm(const instance& on, Transpose trans_a, Transpose trans_b, std::size_t m, std::size_t n,
                   std::size_t k, T alpha, const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta,
                   T* c, std::size_t ldc, const T* bias = nullptr) {
    static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                  "modyn::cuda::gemm: cuBLAS GEMM of float or double");
    if (m == 0 || n == 0) return;
    for (const std::size_t extent : {m, n, k, lda, ldb, ldc}) {
      if (extent > std::size_t(INT_MAX)) {
        throw config_error("modyn::cuda::gemm: an extent or leading dimension of " + std::to_string(extent) +
                           " exceeds cuBLAS's int range");
      }
    }
    const detail::cuda_check::device_scope scope(on.device());
    const auto i = [](std::size_t v) { return static_cast<int>(v); };
    if (k > 0) {
      const cublasOperation_t op_b = trans_b == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N;
      const cublasOperation_t op_a = trans_a == Transpose::yes ? CUBLAS_OP_T : CUBLAS_OP_N;
      if constexpr (std::is_same_v<T, float>) {
        detail::cuda_check::check(cublasSgemm(on.blas(), op_b, op_a, i(n), i(m), i(k), &alpha, b, i(ldb), a,
                                              i(lda), &beta, c, i(ldc)),
                                  "cublasSgemm");
      } else {
        detail::cuda_check::check(cublasDgemm(on.blas(), op_b, op_a, i(n), i(m), i(k), &alpha, b, i(ldb), a,
                                              i(lda), &beta, c, i(ldc)),
                                  "cublasDgemm");
      }
    }
    if (k == 0 || bias) {
      const detail::cuda_launch::grid g = detail::cuda_launch::grid_for(m * n, on.multiprocessors());
      detail::cuda_kernels::gemm_epilogue<<<g.blocks, g.threads, 0, on.stream()>>>(c, m, n, ldc, k == 0, beta,
                                                                                   bias);
      detail::cuda_check::check(cudaGetLastError(), "gemm epilogue kernel launch");
    }
  }

  /// @}

  /// Reductions whose result stays in device memory (*result on this
  /// device); asynchronous on the instance's stream.
  /// @{
  template <class T>
  static void reduce_sum_into(const instance& on, const T* x, std::size_t n, T* result) {
    reduce_into(
        on, x, n, result, [](auto&&... a) { return cub::DeviceReduce::Sum(a...); }, T(0),
        "cub::DeviceReduce::Sum");
  }
  template <class T>
  static void reduce_max_into(const instance& on, const T* x, std::size_t n, T* result) {
    reduce_into(
        on, x, n, result, [](auto&&... a) { return cub::DeviceReduce::Max(a...); }, lowest<T>(),
        "cub::DeviceReduce::Max");
  }
  /// @}

  /// The sum / the largest element (-infinity or the lowest T when n == 0),
  /// as a host value: waits for the stream.
  template <class T>
  static T reduce_sum(const T* x, std::size_t n) {
    return reduce_sum(default_instance(), x, n);
  }
  /// The sum of n elements (0 when n == 0), on the instance's stream.
  template <class T>
  static T reduce_sum(const instance& on, const T* x, std::size_t n) {
    if (n == 0) return T(0);
    return to_host_value<T>(on, [&](T* result) { reduce_sum_into(on, x, n, result); });
  }
  /// The largest of n elements, on the default instance.
  template <class T>
  static T reduce_max(const T* x, std::size_t n) {
    return reduce_max(default_instance(), x, n);
  }
  /// The largest of n elements, on the instance's stream.
  template <class T>
  static T reduce_max(const instance& on, const T* x, std::size_t n) {
    if (n == 0) return lowest<T>();
    return to_host_value<T>(on, [&](T* result) { reduce_max_into(on, x, n, result); });
  }

 private:
  template <class T>
  static constexpr T lowest() {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                : std::numeric_limits<T>::lowest();
  }

  /// The default instance's stream if it exists, for frees at any time
  /// (0, the legacy stream, before it does: nothing was allocated then).
  static cudaStream_t default_instance_or_null() noexcept {
    try {
      return default_instance().stream();
    } catch (...) {
      return nullptr;
    }
  }

  template <class First, class... Rest>
  static const auto& emit_of(const First& first, const Rest&... rest) {
    if constexpr (detail::cuda_launch::is_emit_v<First>)
      return first;
    else
      return emit_of(rest...);
  }

  /// Bytes rounded up to 256, so the workspace's parts stay aligned.
  static constexpr std::size_t aligned(std::size_t bytes) { return (bytes + 255) / 256 * 256; }

  template <class Pass, bool HasRows, class Kernel, class Index, class... Args>
  static void map_with_emit(const instance& on, std::size_t n, std::size_t row, const Kernel& kernel,
                            const emit_arg<Index>& emit, const Args&... args) {
    using detail::cuda_check::check;
    namespace launch = detail::cuda_launch;
    const std::size_t words = launch::words_for(n);
    if (n > std::numeric_limits<std::uint32_t>::max()) {  // the scan's offsets are 32-bit
      throw config_error("modyn::cuda::map: a pass with an emit channel of " + std::to_string(n) +
                         " elements; at most 2^32 - 1");
    }
    std::size_t scan_bytes = 0;
    check(cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, static_cast<const std::uint32_t*>(nullptr),
                                        static_cast<std::uint32_t*>(nullptr), int(words), on.stream()),
          "cub::DeviceScan::ExclusiveSum (size query)");
    const std::size_t array = aligned(words * sizeof(std::uint32_t));
    char* base = static_cast<char*>(on.workspace(3 * array + aligned(sizeof(std::uint64_t)) + scan_bytes));
    auto* word_bits = reinterpret_cast<std::uint32_t*>(base);
    auto* counts = reinterpret_cast<std::uint32_t*>(base + array);
    auto* offsets = reinterpret_cast<std::uint32_t*>(base + 2 * array);
    auto* total = reinterpret_cast<std::uint64_t*>(base + 3 * array);
    void* scan_space = base + 3 * array + aligned(sizeof(std::uint64_t));

    const launch::grid g = launch::grid_for(words * launch::warp_size, on.multiprocessors());
    detail::cuda_kernels::map_emit_kernel<Pass, HasRows><<<g.blocks, g.threads, 0, on.stream()>>>(
        n, row, word_bits, counts, kernel, launch::device_arg(args)...);
    check(cudaGetLastError(), "map kernel launch (with emit)");
    check(cub::DeviceScan::ExclusiveSum(scan_space, scan_bytes, static_cast<const std::uint32_t*>(counts),
                                        offsets, int(words), on.stream()),
          "cub::DeviceScan::ExclusiveSum");
    const launch::grid s = launch::grid_for(words, on.multiprocessors());
    detail::cuda_kernels::scatter_kernel<<<s.blocks, s.threads, 0, on.stream()>>>(
        word_bits, offsets, words, emit.first, *emit.count, emit.list, total);
    check(cudaGetLastError(), "emit scatter kernel launch");
    check(cudaMemcpyAsync(on.host_word(), total, sizeof(std::uint64_t), cudaMemcpyDeviceToHost, on.stream()),
          "cudaMemcpyAsync(emit count to host)");
    on.fence();
    *emit.count += static_cast<std::size_t>(*on.host_word());
  }

  template <class T, class Reduce>
  static void reduce_into(const instance& on, const T* x, std::size_t n, T* result, Reduce reduce, T empty,
                          std::string_view call) {
    using detail::cuda_check::check;
    const detail::cuda_check::device_scope scope(on.device());
    if (n == 0) {
      detail::cuda_kernels::store_value<<<1, 1, 0, on.stream()>>>(result, empty);
      check(cudaGetLastError(), "reduction of no elements (kernel launch)");
      return;
    }
    const auto items = static_cast<std::int64_t>(n);
    std::size_t bytes = 0;
    check(reduce(static_cast<void*>(nullptr), bytes, x, result, items, on.stream()),
          std::string(call) + " (size query)");
    check(reduce(on.workspace(bytes), bytes, x, result, items, on.stream()), call);
  }

  /// Runs `produce(slot)`, slot a device word of the instance, and returns
  /// its value on the host.
  template <class T, class Produce>
  static T to_host_value(const instance& on, Produce produce) {
    static_assert(sizeof(T) <= sizeof(std::uint64_t));
    T* slot = reinterpret_cast<T*>(on.device_word());
    produce(slot);
    detail::cuda_check::check(
        cudaMemcpyAsync(on.host_word(), slot, sizeof(T), cudaMemcpyDeviceToHost, on.stream()),
        "cudaMemcpyAsync(result to host)");
    on.fence();
    T value;
    std::memcpy(&value, on.host_word(), sizeof(T));
    return value;
  }
};

static_assert(Backend<cuda>, "modyn::cuda must satisfy the Backend concept");

}  // namespace modyn
