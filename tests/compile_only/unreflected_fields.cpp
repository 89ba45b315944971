// The probe that finds Params, States and child modules reflection would not
// see (module/detail/unreflected.hpp), checked on aggregates of every kind of
// member. Only compiled (tests/compile_only): a failing static_assert fails the
// build. What the probe reports is pinned by tests/compile_fail/fields_*.cpp.
#include <array>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "modyn/module/detail/unreflected.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/param.hpp"
#include "modyn/module/state.hpp"

namespace {

using tensor = modyn::Tensor<float>;

// Plain members only (brainstate's Scale): nothing to reflect.
struct Plain : modyn::Module<Plain> {
  float factor = 2;
  std::vector<int> sizes;
  std::string label;
  int raw[3] = {1, 2, 3};
};

struct Forgot : modyn::Module<Forgot> {
  float factor = 2;
  modyn::Param<tensor> weight{tensor::zeros({2})};
};

struct Partial : modyn::Module<Partial> {
  modyn::Param<tensor> weight{tensor::zeros({2})};
  modyn::State<tensor> V{modyn::Shape{2}};
  std::array<Plain, 2> children;
  std::tuple<Plain, Forgot> pair;
  int steps = 0;
  MODYN_FIELDS(weight, steps)
};

struct Complete : modyn::Module<Complete> {
  modyn::Param<tensor> weight{tensor::zeros({2})};
  modyn::State<tensor> V{modyn::Shape{2}};
  std::vector<Plain> children;
  Plain child;
  int steps = 0;
  MODYN_FIELDS(weight, V, children, child, steps)
};

// Plain types that can hold anything (an optional child) are plain values,
// for the probe as for reflection.
struct OptionalChild : modyn::Module<OptionalChild> {
  modyn::Param<tensor> weight{tensor::zeros({2})};
  std::optional<Forgot> maybe;
  MODYN_FIELDS(weight, maybe)
};

// A class with a constructor is not an aggregate: it is not probed.
struct WithConstructor : modyn::Module<WithConstructor> {
  modyn::Param<tensor> weight;
  WithConstructor() : weight(tensor::zeros({2})) {}
};

using modyn::detail::reflected_fields;
using modyn::detail::reflected_kind_members;

static_assert(reflected_kind_members<Plain>() == 0);
static_assert(reflected_kind_members<Forgot>() == 1);
static_assert(reflected_kind_members<Partial>() == 4);
static_assert(reflected_fields<Partial>() == 1);
static_assert(reflected_kind_members<Complete>() == 4);
static_assert(reflected_fields<Complete>() == 4);
static_assert(reflected_kind_members<WithConstructor>() == 0);
static_assert(reflected_kind_members<OptionalChild>() == 1);
static_assert(reflected_fields<OptionalChild>() == 1);
static_assert(modyn::detail::check_reflection_complete<OptionalChild>());
static_assert(modyn::detail::check_reflection_complete<Plain>());
static_assert(modyn::detail::check_reflection_complete<Complete>());

}  // namespace
