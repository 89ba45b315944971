/// @file
/// The Backend concept: what a type must provide to hold tensors and run kernels.
///
/// A backend is a tag type with static functions (no virtual calls), as
/// Kokkos' execution spaces are, and an execution instance type:
///
/// @code
///   memory      allocate<T>(n) / deallocate(p, n) / copy(src, dst, n)
///               copy_to_host(src, host_dst, n) / copy_from_host(host_src, dst, n)
///   execution   instance_of(ExecutionInstances) -> the instance kernels run on
///               (a Context's choice, or the backend's default instance)
///   gemm        C = alpha op(A) op(B) + beta C (+ a bias row), row-major
///   map         one fused elementwise pass of a kernel over n elements, on an
///               instance (map(instance, n, ...)) or the default (map(n, ...))
///   reduce      reduce_sum(x, n), reduce_max(x, n)
/// @endcode
///
/// The kernel contract of `map` is at the top of core/kernel_args.hpp.
///
/// The concept lives in core/ because Tensor needs it: core knows backends
/// only through it and the forward declarations below, so a header that needs
/// only Tensor parses neither Eigen nor xsimd. Instantiating a Tensor on a
/// backend needs that backend's header (modyn/backend/cpu.hpp for modyn::cpu,
/// included by modyn/modyn.hpp).
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

#include "modyn/core/config.hpp"
#include "modyn/core/kernel_args.hpp"

namespace modyn {

/// The backends' tags and execution instances (backend/cpu.hpp, ...).
struct cpu;
struct cpu_instance;
struct cuda;  // backend/cuda.hpp, optional (nvcc)
class cuda_instance;

/// The execution instances a run uses, one pointer per backend (null: that
/// backend's default instance). Carried by every Context (module/context.hpp);
/// a backend adds its member here, and B::instance_of(instances) picks its own.
struct ExecutionInstances {
  const cpu_instance* cpu = nullptr;    ///< The CPU's thread team, or null for one thread.
  const cuda_instance* cuda = nullptr;  ///< The CUDA stream and device, or null for the default one.
};

/// The backend modules and tensors use when none is named.
using default_backend = cpu;

/// Whether a GEMM operand is used as stored or transposed.
enum class Transpose : bool { no = false, yes = true };

namespace detail {
// A minimal kernel used only to check that a backend's map accepts one input
// and one in-place output.
struct probe_kernel {
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& in, Vec& inout) const {
    inout = inout + in;
  }
};
}  // namespace detail

/// A backend: a tag type with the memory, execution and kernel functions
/// listed at the top of core/backend_concepts.hpp (modyn::cpu, modyn::cuda, ...).
template <class B>
concept Backend = requires {
  typename B::memory_space;
  { B::name } -> std::convertible_to<std::string_view>;
  { B::host_accessible } -> std::convertible_to<bool>;
}
&&requires(std::size_t n, float* p, const float* cp, float s) {
  { B::template allocate<float>(n) } -> std::same_as<float*>;
  B::deallocate(p, n);
  B::copy(cp, p, n);
  B::copy_to_host(cp, p, n);
  B::copy_from_host(cp, p, n);
  B::gemm(Transpose::no, Transpose::no, n, n, n, s, cp, n, cp, n, s, p, n, cp);
  B::map(n, detail::probe_kernel{}, cp, p);
  B::map(B::instance_of(ExecutionInstances{}), n, detail::probe_kernel{}, cp, p);
  { B::reduce_sum(cp, n) } -> std::same_as<float>;
  { B::reduce_max(cp, n) } -> std::same_as<float>;
};

/// Checks a backend parameter with a message a user reads, at the user's line.
template <class B>
constexpr bool check_backend() {
  static_assert(
      requires { sizeof(B); },
      "modyn: this backend is only declared here; include its header (modyn/backend/cpu.hpp "
      "for modyn::cpu, or modyn/modyn.hpp) before using tensors on it");
  static_assert(Backend<B>,
                "modyn: the type given as a backend is not a modyn backend (it must satisfy "
                "modyn::Backend: memory_space, name, allocate/deallocate/copy, gemm, map, "
                "reduce_sum/reduce_max; use modyn::cpu)");
  return Backend<B>;
}

}  // namespace modyn
