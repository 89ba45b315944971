// The Backend concept, checked at compile time: which types are backends.
// A complete fake backend satisfies it; each incomplete one lacks one part.
// This file is only compiled (tests/compile_only): a failing static_assert
// fails the build.
#include <cstddef>
#include <cstdint>
#include <modyn/backend/backend.hpp>
#include <modyn/backend/cpu.hpp>
#include <string_view>
#include <type_traits>

namespace {

// Declarations are enough: the concept only looks at the expressions. A
// complete fake backend first, to show that the concept can be satisfied by
// something that is not modyn::cpu; each incomplete one below lacks one part.
struct fake_backend {
  using memory_space = modyn::host_space;
  struct instance {};
  static instance instance_of(const modyn::ExecutionInstances&);
  static constexpr std::string_view name = "fake";
  static constexpr bool host_accessible = true;
  template <class T>
  static T* allocate(std::size_t n);
  template <class T>
  static void deallocate(T* p, std::size_t n) noexcept;
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) noexcept;
  template <class T>
  static void copy_to_host(const T* src, T* dst, std::size_t n) noexcept;
  template <class T>
  static void copy_from_host(const T* src, T* dst, std::size_t n) noexcept;
  template <class T>
  static void gemm(modyn::Transpose, modyn::Transpose, std::size_t, std::size_t, std::size_t, T, const T*,
                   std::size_t, const T*, std::size_t, T, T*, std::size_t, const T* = nullptr);
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args);
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, Kernel&& kernel, Args... args);
  template <class T>
  static T reduce_sum(const T* x, std::size_t n);
  template <class T>
  static T reduce_max(const T* x, std::size_t n);
};

// Memory only: no gemm, map or reduce.
struct memory_only_backend {
  using memory_space = modyn::host_space;
  struct instance {};
  static instance instance_of(const modyn::ExecutionInstances&);
  static constexpr std::string_view name = "memory only";
  static constexpr bool host_accessible = true;
  template <class T>
  static T* allocate(std::size_t n);
  template <class T>
  static void deallocate(T* p, std::size_t n) noexcept;
  template <class T>
  static void copy(const T* src, T* dst, std::size_t n) noexcept;
  template <class T>
  static void copy_to_host(const T* src, T* dst, std::size_t n) noexcept;
  template <class T>
  static void copy_from_host(const T* src, T* dst, std::size_t n) noexcept;
};

struct no_map_backend : memory_only_backend {
  template <class T>
  static void gemm(modyn::Transpose, modyn::Transpose, std::size_t, std::size_t, std::size_t, T, const T*,
                   std::size_t, const T*, std::size_t, T, T*, std::size_t, const T* = nullptr);
  template <class T>
  static T reduce_sum(const T* x, std::size_t n);
  template <class T>
  static T reduce_max(const T* x, std::size_t n);
};

struct no_gemm_backend : memory_only_backend {
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args);
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, Kernel&& kernel, Args... args);
  template <class T>
  static T reduce_sum(const T* x, std::size_t n);
  template <class T>
  static T reduce_max(const T* x, std::size_t n);
};

struct no_reduce_max_backend : memory_only_backend {
  template <class T>
  static void gemm(modyn::Transpose, modyn::Transpose, std::size_t, std::size_t, std::size_t, T, const T*,
                   std::size_t, const T*, std::size_t, T, T*, std::size_t, const T* = nullptr);
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args);
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, Kernel&& kernel, Args... args);
  template <class T>
  static T reduce_sum(const T* x, std::size_t n);
};

// reduce_sum returning the wrong type.
struct wrong_reduce_type_backend : no_map_backend {
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args);
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, Kernel&& kernel, Args... args);
  template <class T>
  static double reduce_sum(const T* x, std::size_t n);
};

// Complete by inheritance: the concept accepts inherited static members.
struct inherited_backend : no_map_backend {
  template <class Kernel, class... Args>
  static void map(std::size_t n, Kernel&& kernel, Args... args);
  template <class Kernel, class... Args>
  static void map(const instance& on, std::size_t n, Kernel&& kernel, Args... args);
};

// Complete but for its name, which is a function, not a string.
struct unnamed_backend : inherited_backend {
  static void name();
};

// Complete but for its memory_space, which is a template, not a type.
struct no_memory_space_backend : inherited_backend {
  template <class>
  struct memory_space {};
};

}  // namespace

static_assert(std::is_same_v<modyn::cpu::memory_space, modyn::host_space>);
static_assert(modyn::cpu::host_accessible);
static_assert(modyn::cpu::alignment == 64);
static_assert(modyn::Backend<modyn::cpu>);
static_assert(modyn::Backend<modyn::default_backend>);
static_assert(modyn::check_backend<modyn::cpu>());
static_assert(modyn::Backend<fake_backend>);
static_assert(modyn::Backend<inherited_backend>);

static_assert(!modyn::Backend<int>);
static_assert(!modyn::Backend<void>);
static_assert(!modyn::Backend<float*>);
static_assert(!modyn::Backend<memory_only_backend>);
static_assert(!modyn::Backend<no_map_backend>);
static_assert(!modyn::Backend<no_gemm_backend>);
static_assert(!modyn::Backend<no_reduce_max_backend>);
static_assert(!modyn::Backend<wrong_reduce_type_backend>);
static_assert(!modyn::Backend<unnamed_backend>);
static_assert(!modyn::Backend<no_memory_space_backend>);
