// The elementwise function objects take floating-point numbers only: on an
// integer the kernel would run in integer arithmetic (sigmoid(0) would be 0,
// gelu(1) 0). Only compiled (tests/compile_only).
#include <type_traits>

#include "modyn/nn/activations.hpp"

namespace {

template <class F>
constexpr bool takes_numbers_of_floating_types_only() {
  return std::is_invocable_v<const F&, float> && std::is_invocable_v<const F&, double> &&
         !std::is_invocable_v<const F&, int> && !std::is_invocable_v<const F&, long> &&
         !std::is_invocable_v<const F&, bool>;
}

static_assert(takes_numbers_of_floating_types_only<decltype(modyn::fn::sigmoid)>());
static_assert(takes_numbers_of_floating_types_only<decltype(modyn::fn::gelu)>());
static_assert(takes_numbers_of_floating_types_only<decltype(modyn::fn::exp)>());
static_assert(takes_numbers_of_floating_types_only<decltype(modyn::fn::sqrt)>());
static_assert(takes_numbers_of_floating_types_only<decltype(modyn::fn::relu)>());

}  // namespace
