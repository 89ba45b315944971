// Surrogate spike functions: the Heaviside step a spiking neuron applies to
// x = V - V_th going forward, and a smooth stand-in for its derivative going
// backward (Neftci, Mostafa & Zenke 2019, "Surrogate gradient learning in
// spiking neural networks", IEEE Signal Processing Magazine 36(6)).
//
// Each surrogate is a function object of modyn::surrogate with its slope
// `alpha` as a member (larger alpha: a narrower, taller derivative) and,
// for every kernel value type Vec (a number, an xsimd vector, a CUDA thread's
// element; core/kernel_args.hpp):
//
//   forward(x)  Heaviside(x): 1 where x >= 0, else 0. ">=" is the threshold
//               convention of dyn::LIF (V >= V_th spikes), so that a neuron's
//               spike is forward(V - V_th) exactly.
//   grad(x)     the surrogate derivative used in place of d forward / dx.
//   smooth(x)   the smooth function whose derivative grad(x) is (up to an
//               additive constant): what the tests differentiate by finite
//               differences, and a "soft spike" where one is wanted.
//   operator()  forward.
//
// The five, with x the distance to threshold and a = alpha:
//
//   sigmoid           smooth = sigmoid(a x)
//                     grad   = a s (1 - s), s = sigmoid(a x)
//                     (brainpy.math.surrogate.sigmoid, snntorch's Sigmoid)
//   fast_sigmoid      smooth = x / (1 + a |x|)
//                     grad   = 1 / (1 + a |x|)^2
//                     (SuperSpike, Zenke & Ganguli 2018; snntorch's
//                     fast_sigmoid(slope = a); brainpy's inv_square_grad.
//                     Not normalized: its integral is 2 / a, as theirs)
//   arctan            smooth = atan(pi/2 a x) / pi + 1/2
//                     grad   = a / (2 (1 + (pi/2 a x)^2))
//                     (brainpy.math.surrogate.arctan, spikingjelly's ATan,
//                     snntorch's ATan)
//   piecewise_linear  grad   = a max(0, 1 - a |x|): a triangle of half-width
//                     1/a and height a, of unit area
//                     smooth = 1/2 + u - u |u| / 2, u = clip(a x, -1, 1)
//                     (the pseudo-derivative of Bellec et al. 2018 and Esser
//                     et al. 2016, normalized as the others. brainpy has no
//                     function of this name: its relu_grad is
//                     a max(width - |x|, 0) with a separate width, and its
//                     piecewise_quadratic the same triangle in another
//                     parametrization)
//   gaussian          grad   = N(x; 0, sigma) = exp(-x^2 / (2 sigma^2)) / (sqrt(2 pi) sigma),
//                     sigma = 1 / a
//                     smooth = (1 + erf(a x / sqrt 2)) / 2
//                     (Yin, Corradi & Bohte 2021; brainpy's gaussian_grad
//                     with its scale 1)
//
// sigmoid, arctan, piecewise_linear and gaussian integrate to 1 (smooth goes
// from 0 to 1, as the step does); fast_sigmoid keeps SuperSpike's form.
//
// The kernels spike_kernel<S> (x -> spike) and backward_kernel<S> (x,
// d loss / d spike -> d loss / dx) run them through B::map.
//
// detach_reset (spikingjelly's flag, for the neuron models' backward pass,
// not part of a surrogate): a neuron resets with its spike s, hard,
// V <- (1 - s) V + s V_reset (dyn::LIF's select), or soft, V <- V - s V_th;
// with detach_reset the s of the reset is treated as a constant, so no
// gradient flows through the reset into the surrogate (spikingjelly's
// detach_reset=True; SpyTorch's tutorial does the same). A neuron's backward
// pass will take it as an option beside its surrogate.
#pragma once

#include <cmath>
#include <concepts>
#include <string_view>
#include <type_traits>

#include "modyn/core/config.hpp"
#include "modyn/core/math.hpp"

namespace modyn::surrogate {

namespace detail {

// atan for every kernel value type, as the functions of core/math.hpp (which
// has no atan): std::atan for numbers, the type's own (xsimd::atan, found by
// argument-dependent lookup) otherwise. Only smooth() of arctan uses it.
namespace adl {
void atan() = delete;
struct call {
  template <class Vec>
  static MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec atan_of(const Vec& x) {
    return atan(x);
  }
};
}  // namespace adl

template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec atan(const Vec& x) {
  if constexpr (std::is_arithmetic_v<Vec>)
    return std::atan(x);
  else
    return adl::call::atan_of(x);
}

inline constexpr double pi = 3.14159265358979323846;
inline constexpr double inv_sqrt_2 = 0.70710678118654752440;
inline constexpr double inv_sqrt_2pi = 0.39894228040143267794;

// 1 where x >= 0, else 0: the spike of every surrogate.
template <class Vec>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec heaviside(const Vec& x) {
  return math::select(x >= Vec(0), Vec(1), Vec(0));
}

}  // namespace detail

/// The sigmoid surrogate: smooth = sigmoid(alpha x), grad = alpha s (1 - s)
/// (brainpy, snntorch).
struct sigmoid {
  /// The surrogate's name, as printed.
  static constexpr std::string_view name = "sigmoid";
  double alpha = 4.0;  ///< brainpy's default

  /// Heaviside(x): 1 where x >= 0, else 0 (the spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return detail::heaviside(x);
  }
  /// The surrogate derivative, used in place of d forward / dx.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    const Vec s = math::sigmoid(Vec(alpha) * x);
    return Vec(alpha) * s * (Vec(1) - s);
  }
  /// The smooth function whose derivative grad is (a soft spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    return math::sigmoid(Vec(alpha) * x);
  }
  /// forward(x).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

/// The fast sigmoid (SuperSpike, Zenke & Ganguli 2018): smooth = x / (1 +
/// alpha |x|), grad = 1 / (1 + alpha |x|)^2.
struct fast_sigmoid {
  /// The surrogate's name, as printed.
  static constexpr std::string_view name = "fast_sigmoid";
  double alpha = 25.0;  ///< snntorch's default slope

  /// Heaviside(x): 1 where x >= 0, else 0 (the spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return detail::heaviside(x);
  }
  /// The surrogate derivative, used in place of d forward / dx.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    const Vec d = Vec(1) + Vec(alpha) * math::abs(x);
    return Vec(1) / (d * d);
  }
  /// The smooth function whose derivative grad is (a soft spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    return x / (Vec(1) + Vec(alpha) * math::abs(x));
  }
  /// forward(x).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

/// The arctan surrogate: smooth = atan(pi/2 alpha x) / pi + 1/2 (brainpy,
/// spikingjelly, snntorch).
struct arctan {
  /// The surrogate's name, as printed.
  static constexpr std::string_view name = "arctan";
  double alpha = 2.0;  ///< spikingjelly's and snntorch's default

  /// Heaviside(x): 1 where x >= 0, else 0 (the spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return detail::heaviside(x);
  }
  /// The surrogate derivative, used in place of d forward / dx.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    const Vec u = Vec(detail::pi / 2 * alpha) * x;
    return Vec(alpha / 2) / (Vec(1) + u * u);
  }
  /// The smooth function whose derivative grad is (a soft spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    return detail::atan(Vec(detail::pi / 2 * alpha) * x) * Vec(1 / detail::pi) + Vec(0.5);
  }
  /// forward(x).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

/// The triangle of Bellec et al. 2018: grad = alpha max(0, 1 - alpha |x|),
/// of unit area.
struct piecewise_linear {
  /// The surrogate's name, as printed.
  static constexpr std::string_view name = "piecewise_linear";
  double alpha = 1.0;  ///< half-width 1 (Bellec et al. 2018)

  /// Heaviside(x): 1 where x >= 0, else 0 (the spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return detail::heaviside(x);
  }
  /// The surrogate derivative, used in place of d forward / dx.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    return Vec(alpha) * math::max(Vec(1) - Vec(alpha) * math::abs(x), Vec(0));
  }
  /// The smooth function whose derivative grad is (a soft spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    const Vec u = math::clip(Vec(alpha) * x, Vec(-1), Vec(1));
    return Vec(0.5) + u - u * math::abs(u) * Vec(0.5);
  }
  /// forward(x).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

/// The Gaussian surrogate (Yin, Corradi & Bohte 2021): grad = N(x; 0, 1 / alpha).
struct gaussian {
  /// The surrogate's name, as printed.
  static constexpr std::string_view name = "gaussian";
  double alpha = 2.0;  ///< sigma = 0.5, brainpy's default

  /// Heaviside(x): 1 where x >= 0, else 0 (the spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec forward(const Vec& x) const {
    return detail::heaviside(x);
  }
  /// The surrogate derivative, used in place of d forward / dx.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec grad(const Vec& x) const {
    const Vec u = Vec(alpha) * x;
    return Vec(alpha * detail::inv_sqrt_2pi) * math::exp(Vec(-0.5) * u * u);
  }
  /// The smooth function whose derivative grad is (a soft spike).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec smooth(const Vec& x) const {
    return Vec(0.5) * (Vec(1) + math::erf(Vec(alpha * detail::inv_sqrt_2) * x));
  }
  /// forward(x).
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE Vec operator()(const Vec& x) const {
    return forward(x);
  }
};

/// What a neuron's backward pass takes as its surrogate: a slope alpha, and
/// forward, grad and smooth of float and double (and so, written once as
/// above, of the backends' vectors of them).
template <class S>
concept SurrogateFunction = std::copyable<S> && requires(const S& s, float f, double d) {
  { S::name } -> std::convertible_to<std::string_view>;
  { s.alpha } -> std::convertible_to<double>;
  { s.forward(f) } -> std::same_as<float>;
  { s.grad(f) } -> std::same_as<float>;
  { s.smooth(f) } -> std::same_as<float>;
  { s.forward(d) } -> std::same_as<double>;
  { s.grad(d) } -> std::same_as<double>;
  { s.smooth(d) } -> std::same_as<double>;
  { s(d) } -> std::same_as<double>;
};

static_assert(SurrogateFunction<sigmoid> && SurrogateFunction<fast_sigmoid> && SurrogateFunction<arctan> &&
              SurrogateFunction<piecewise_linear> && SurrogateFunction<gaussian>);

/// spike = S.forward(x), elementwise: `B::map(n, spike_kernel<S>{s}, x, write_only(spike))`.
/// S: the surrogate.
template <SurrogateFunction S>
struct spike_kernel {
  S surrogate;  ///< the surrogate, with its alpha
  /// spike = surrogate.forward(x), for every kernel value type Vec.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, Vec& spike) const {
    spike = surrogate.forward(x);
  }
};

/// The backward pass of spike = S.forward(x): grad_x = grad_spike * S.grad(x),
/// elementwise: `B::map(n, backward_kernel<S>{s}, x, grad_spike, write_only(grad_x))`.
/// S: the surrogate.
template <SurrogateFunction S>
struct backward_kernel {
  S surrogate;  ///< the surrogate, with its alpha
  /// grad_x = grad_spike * surrogate.grad(x), for every kernel value type Vec.
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& x, const Vec& grad_spike,
                                                        Vec& grad_x) const {
    grad_x = grad_spike * surrogate.grad(x);
  }
};

}  // namespace modyn::surrogate
