// The shared context of a run over time ({t, i, dt, training}, BrainPy's
// share.load('t'), ...), passed to every module whose update accepts it.
#pragma once

#include <cstddef>
#include <utility>

namespace modyn {

struct Context {
  double t = 0.0;         // time of the current step (ms)
  std::size_t i = 0;      // index of the current step
  double dt = 0.1;        // time step (ms)
  bool training = false;  // dropout and similar modules act only when true
};

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
