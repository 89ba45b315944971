// Compile-time facts of dyn/: the value types deduced by the inputs and the
// integrators' declared orders. Only compiled (tests/compile_only).
#include <type_traits>
#include <utility>
#include <vector>

#include "modyn/dyn/integrators.hpp"
#include "modyn/modyn.hpp"

namespace dyn = modyn::dyn;
namespace inputs = modyn::dyn::inputs;

// inputs: the value type is deduced from the values.
static_assert(std::is_same_v<decltype(inputs::constant(5.0f)), inputs::constant<float>>);
static_assert(std::is_same_v<decltype(inputs::constant(5.0)), inputs::constant<double>>);
static_assert(std::is_same_v<decltype(inputs::step(2.0f, 10.0, 20.0, 1.0)), inputs::step<float>>);
static_assert(std::is_same_v<decltype(inputs::step(2.0, 10, 20)), inputs::step<double>>);
static_assert(std::is_same_v<decltype(inputs::ramp(0.0f, 1.0, 0.0, 1.0)), inputs::ramp<float>>);
static_assert(std::is_same_v<decltype(inputs::section({1.f, 2.f}, {10., 20.})), inputs::section<float>>);
static_assert(std::is_same_v<decltype(inputs::section({1.f, 2.f}, {10, 20})), inputs::section<float>>);
static_assert(std::is_same_v<decltype(inputs::section({1.0, 2.0}, {10., 20.})), inputs::section<double>>);
static_assert(std::is_same_v<decltype(inputs::section(std::declval<const std::vector<float>&>(),
                                                      std::declval<const std::vector<double>&>())),
                             inputs::section<float>>);

// The integrators' declared orders (the convergence tests of
// tests/dyn/integrators.cpp measure them).
static_assert(dyn::euler::order == 1);
static_assert(dyn::rk2::order == 2);
static_assert(dyn::rk4::order == 4);
static_assert(dyn::exp_euler::order == 1);
static_assert(dyn::Integrator<dyn::exp_euler>);
static_assert(!dyn::Integrator<int>);
