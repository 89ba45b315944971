// The Backend concept: what a type must provide to hold tensors and run kernels.
//
// A backend is a tag type with static functions (no instances, no virtual
// calls), as Kokkos' execution spaces are:
//
//   memory      allocate<T>(n) / deallocate(p, n) / copy(src, dst, n)
//               copy_to_host(src, host_dst, n) / copy_from_host(host_src, dst, n)
//   gemm        C = alpha op(A) op(B) + beta C (+ a bias row), row-major
//   map         one fused elementwise pass of a generic kernel over n elements
//   reduce      reduce_sum(x, n), reduce_max(x, n)
//
// See cpu.hpp for the kernel contract of `map`.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace modyn {

// Whether a GEMM operand is used as stored or transposed.
enum class Transpose : bool { no = false, yes = true };

// Marks a map() argument the kernel only writes: it is not read from memory
// first, and the kernel receives an uninitialised V& it must assign.
template <class T>
struct write_only_ptr {
  T* ptr;
};

template <class T>
constexpr write_only_ptr<T> write_only(T* p) noexcept {
  return {p};
}

namespace detail {
// A minimal kernel used only to check that a backend's map accepts one input
// and one in-place output.
struct probe_kernel {
  template <class V>
  void operator()(const V& in, V& inout) const {
    inout = inout + in;
  }
};
}  // namespace detail

template <class B>
concept Backend =
    requires {
      typename B::memory_space;
      { B::name } -> std::convertible_to<std::string_view>;
      { B::host_accessible } -> std::convertible_to<bool>;
    } &&
    requires(std::size_t n, float* p, const float* cp, float s) {
      { B::template allocate<float>(n) } -> std::same_as<float*>;
      B::deallocate(p, n);
      B::copy(cp, p, n);
      B::copy_to_host(cp, p, n);
      B::copy_from_host(cp, p, n);
      B::gemm(Transpose::no, Transpose::no, n, n, n, s, cp, n, cp, n, s, p, n, cp);
      B::map(n, detail::probe_kernel{}, cp, p);
      { B::reduce_sum(cp, n) } -> std::same_as<float>;
      { B::reduce_max(cp, n) } -> std::same_as<float>;
    };

// Checks a backend parameter with a message a user reads, at the user's line.
template <class B>
constexpr bool check_backend() {
  static_assert(Backend<B>,
                "modyn: the type given as a backend is not a modyn backend (it must satisfy "
                "modyn::Backend: memory_space, name, allocate/deallocate/copy, gemm, map, "
                "reduce_sum/reduce_max; use modyn::cpu or modyn::cuda)");
  return Backend<B>;
}

}  // namespace modyn
