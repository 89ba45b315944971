// ODE integrators applied inside a model's fused kernel: euler, rk2 (Heun),
// rk4 and exp_euler (exponential Euler), as brainpy.odeint's methods.
//
// A model writes its right-hand side once, as a function of the time and
// of its variables, over the value type V its kernel sees (a scalar T, or an
// xsimd batch on CPU; see the kernel contract in backend/cpu.hpp):
//
//   auto rhs = [&](double t, const V& v, const V& w) {
//     return std::tuple{linear<V>{V(-1 / tau), (V(E) + V(R) * I) / V(tau)},  // dv/dt = -v/tau + (E + R
//     I)/tau
//                       (a * v - w) / V(tau_w)};                              // dw/dt
//   };
//   rk4::step(rhs, t, dt, v, w);   // advances v and w from t to t + dt
//
// - One variable: rhs returns its derivative; several: a std::tuple of them,
//   in the order of the variables.
// - A derivative is a V, or linear<V>{slope, offset} meaning
//   dy/dt = slope * y + offset, with slope and offset evaluated at the
//   step's start. Every method accepts both forms; exp_euler needs the linear
//   one and then advances each variable exactly over the step:
//     y(t + dt) = y + (exp(slope dt) - 1) / slope * (slope y + offset),
//   which is exact for linear ODEs with constant coefficients (Rotter &
//   Diesmann 1999) and stable for any dt, as brainpy's exp_euler. (BrainPy
//   finds the slope by automatic differentiation; here the model states it.)
// - Variables are updated together: every stage sees the values of all
//   variables at that stage.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/math.hpp"

namespace modyn::dyn {

/// dy/dt = slope * y + offset.
/// V: the kernel value type (a number, a SIMD batch).
template <class V>
struct linear {
  V slope;   ///< the slope, at the step's start
  V offset;  ///< the offset, at the step's start

  /// slope * y + offset.
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V at(const V& y) const { return slope * y + offset; }
};

/// linear{slope, offset} deduces V.
template <class V>
linear(V, V) -> linear<V>;

namespace detail {

template <class D>
inline constexpr bool is_linear_v = false;
template <class V>
inline constexpr bool is_linear_v<linear<V>> = true;

template <class R>
inline constexpr bool is_tuple_v = false;
template <class... Ts>
inline constexpr bool is_tuple_v<std::tuple<Ts...>> = true;

// The derivatives as a tuple, whatever form rhs returned them in.
template <class R>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE auto as_tuple(R&& r) {
  if constexpr (is_tuple_v<std::remove_cvref_t<R>>)
    return std::forward<R>(r);
  else
    return std::tuple<std::remove_cvref_t<R>>(std::forward<R>(r));
}

// dy/dt at y.
template <class D, class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V rate(const D& d, const V& y) {
  if constexpr (is_linear_v<D>)
    return d.at(y);
  else
    return d;
}

// c in the value type: through its element type for vectors (T for
// xsimd::batch<T>), directly for numbers and other value types.
template <class V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE V constant(double c) {
  return V(static_cast<math::scalar_t<V>>(c));
}

template <class F, class... V>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE auto derivatives(F& f, double t, const V&... y) {
  auto d = as_tuple(f(t, y...));
  static_assert(std::tuple_size_v<decltype(d)> == sizeof...(V),
                "modyn::dyn integrator: the right-hand side must return one derivative per variable "
                "(a std::tuple of them for several variables)");
  return d;
}

// The slopes k = dy/dt of every variable, as a tuple of V.
template <class F, class... V, std::size_t... I>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE std::tuple<V...> rates(F& f, double t, std::index_sequence<I...>,
                                                             const V&... y) {
  const auto d = derivatives(f, t, y...);
  const std::tuple<const V&...> ys(y...);
  return {rate(std::get<I>(d), std::get<I>(ys))...};
}

}  // namespace detail

/// Forward Euler, order 1: y += dt f(t, y).
struct euler {
  static constexpr int order = 1;  ///< the order of accuracy

  /// Advances the variables y... from t to t + dt under the right-hand side f
  /// (see the top of dyn/integrators.hpp).
  template <class F, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void step(F&& f, double t, double dt, V&... y) {
    constexpr auto idx = std::index_sequence_for<V...>{};
    const auto k = detail::rates(f, t, idx, y...);
    advance(dt, k, idx, y...);
  }

 private:
  template <class K, std::size_t... I, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void advance(double dt, const K& k, std::index_sequence<I...>,
                                                            V&... y) {
    ((y = y + detail::constant<V>(dt) * std::get<I>(k)), ...);
  }
};

/// Heun's method (explicit trapezoid), order 2:
/// k1 = f(t, y), k2 = f(t + dt, y + dt k1), y += dt (k1 + k2) / 2.
struct rk2 {
  static constexpr int order = 2;  ///< the order of accuracy

  /// Advances the variables y... from t to t + dt under the right-hand side f
  /// (see the top of dyn/integrators.hpp).
  template <class F, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void step(F&& f, double t, double dt, V&... y) {
    run(f, t, dt, std::index_sequence_for<V...>{}, y...);
  }

 private:
  template <class F, std::size_t... I, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void run(F& f, double t, double dt,
                                                        std::index_sequence<I...> idx, V&... y) {
    const auto k1 = detail::rates(f, t, idx, y...);
    const auto k2 = detail::rates(f, t + dt, idx, (y + detail::constant<V>(dt) * std::get<I>(k1))...);
    ((y = y + detail::constant<V>(0.5 * dt) * (std::get<I>(k1) + std::get<I>(k2))), ...);
  }
};

/// The classical fourth-order Runge-Kutta method.
struct rk4 {
  static constexpr int order = 4;  ///< the order of accuracy

  /// Advances the variables y... from t to t + dt under the right-hand side f
  /// (see the top of dyn/integrators.hpp).
  template <class F, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void step(F&& f, double t, double dt, V&... y) {
    run(f, t, dt, std::index_sequence_for<V...>{}, y...);
  }

 private:
  template <class F, std::size_t... I, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void run(F& f, double t, double dt,
                                                        std::index_sequence<I...> idx, V&... y) {
    const double half = 0.5 * dt;
    const auto k1 = detail::rates(f, t, idx, y...);
    const auto k2 = detail::rates(f, t + half, idx, (y + detail::constant<V>(half) * std::get<I>(k1))...);
    const auto k3 = detail::rates(f, t + half, idx, (y + detail::constant<V>(half) * std::get<I>(k2))...);
    const auto k4 = detail::rates(f, t + dt, idx, (y + detail::constant<V>(dt) * std::get<I>(k3))...);
    ((y = y + detail::constant<V>(dt / 6.0) *
                  (std::get<I>(k1) + detail::constant<V>(2) * (std::get<I>(k2) + std::get<I>(k3)) +
                   std::get<I>(k4))),
     ...);
  }
};

/// Exponential Euler: each variable advanced exactly under its linear
/// derivative, frozen at the step's start (see the top of dyn/integrators.hpp).
struct exp_euler {
  static constexpr int order = 1;  ///< the order of accuracy

  /// Advances the variables y... from t to t + dt under the right-hand side f,
  /// whose derivatives must be linear<V> (see the top of dyn/integrators.hpp).
  template <class F, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void step(F&& f, double t, double dt, V&... y) {
    const auto d = detail::derivatives(f, t, y...);
    run(d, dt, std::index_sequence_for<V...>{}, y...);
  }

  /// y advanced over dt under dy/dt = slope y + offset.
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static V advance(const linear<V>& d, const V& y, double dt) {
    const V step = detail::constant<V>(dt);
    const V z = d.slope * step;
    return y + step * phi(z) * d.at(y);
  }

  /// phi(z) = (exp(z) - 1) / z, which tends to 1 as z vanishes.
  template <class V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static V phi(const V& z) {
    const auto c = [](double value) { return detail::constant<V>(value); };
    if constexpr (sizeof(math::scalar_t<V>) <= 4) {
      // Single precision: exp(z) - 1 is cheaper than expm1 (no division
      // inside; HH steps 20-30% faster) and accurate to 1.2e-6 for |z| >= 0.1;
      // below, the Taylor series to z^5 (truncation < 1.4e-9).
      const auto small = math::abs(z) < c(0.1);
      const V safe = math::select(small, c(1), z);
      const V series =
          c(1) +
          z * (c(1.0 / 2) + z * (c(1.0 / 6) + z * (c(1.0 / 24) + z * (c(1.0 / 120) + z * c(1.0 / 720)))));
      return math::select(small, series, (math::exp(safe) - c(1)) / safe);
    } else {
      const auto tiny = math::abs(z) < c(1e-6);
      const V safe = math::select(tiny, c(1), z);
      return math::select(tiny, c(1) + c(0.5) * z, math::expm1(safe) / safe);
    }
  }

 private:
  template <class D, std::size_t... I, class... V>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE static void run(const D& d, double dt, std::index_sequence<I...>,
                                                        V&... y) {
    static_assert((detail::is_linear_v<std::remove_cvref_t<std::tuple_element_t<I, D>>> && ...),
                  "modyn::dyn::exp_euler: write each derivative as dyn::linear<V>{slope, offset} "
                  "(dy/dt = slope * y + offset) so that it can be integrated exactly");
    ((y = advance(std::get<I>(d), y, dt)), ...);
  }
};

/// An integration method of this header (euler, rk2, rk4, exp_euler): what a
/// model's Method parameter takes.
template <class M>
concept Integrator = requires {
  M::order;
};

}  // namespace modyn::dyn
