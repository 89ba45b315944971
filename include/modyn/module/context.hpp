/// @file
/// Context: the module-call protocol. What a step shares with every module
/// whose update accepts it ({t, i, dt, training}, BrainPy's share.load('t'),
/// ...), and the execution instances its kernels run on.
///
/// Execution instances, in Kokkos' sense: a backend runs its kernels on an
/// instance of its execution space (the CPU's thread team, a CUDA stream with
/// its cuBLAS handle and device). A Context carries, for each backend, a
/// pointer to the instance to use, null for that backend's default instance;
/// a module reaches it with `execution_instance<B>(ctx)` and passes it on to
/// B::map(instance, n, kernel, args...). Instances are owned by whoever runs
/// the model (a LoopOverTime, the user), never by the Context, which is a
/// small value copied into every call.
#pragma once

#include <cstddef>
#include <utility>

#include "modyn/core/backend_concepts.hpp"
#include "modyn/core/config.hpp"

namespace modyn {

/// What a step shares with the modules whose update accepts it: the time,
/// the step index, dt, the training flag and the execution instances.
struct Context {
  double t = 0.0;             ///< time of the current step (ms)
  std::size_t i = 0;          ///< index of the current step
  double dt = 0.1;            ///< time step (ms)
  bool training = false;      ///< dropout and similar modules act only when true
  ExecutionInstances exec{};  ///< the instances kernels run on (null: each backend's default)
  /// True inside a run whose start called every module's begin_run(ctx)
  /// hook: what those hooks checked need not be checked again at each step
  /// (unless MODYN_CHECK_EVERY_STEP). A module called by hand checks itself.
  bool run_checked = false;
  /// True inside a LoopOverTime run that no monitor observes: nothing reads
  /// a module's States between its steps. The module whose update_into
  /// writes each step's output into the loop's history row
  /// (compose/update_into.hpp) may then leave its own copy of that output
  /// (LIF's spike State and its spike list) to its end_run(ctx) hook, which
  /// the loop calls when the run ends, normally or by an exception.
  bool states_unobserved = false;
};

/// Whether a module may skip a check that its begin_run hook made at the
/// start of this run.
inline bool checked_at_start(const Context& c) noexcept { return c.run_checked && !MODYN_CHECK_EVERY_STEP; }

/// The instance of backend B that a module called with `c` runs its kernels
/// on: the one the caller put in the context, or B's default instance.
template <class B>
decltype(auto) execution_instance(const Context& c) {
  return B::instance_of(c.exec);
}

namespace detail {

// Calls m(x, ctx) where m accepts a context, else m(x).
template <class M, class X>
decltype(auto) call_with_context(M& m, X&& x, const Context& ctx) {
  if constexpr (requires { m(std::forward<X>(x), ctx); }) {
    return m(std::forward<X>(x), ctx);
  } else {
    return m(std::forward<X>(x));
  }
}

}  // namespace detail
}  // namespace modyn
