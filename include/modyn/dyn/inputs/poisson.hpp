// dyn::PoissonSpikes: N independent Poisson spike trains, as brainpy.dyn.
// PoissonGroup and brainstate.nn.PoissonSpike: in each step of dt (ms) a
// neuron fires with probability rate * dt / 1000 (rate in Hz).
//
//   dyn::PoissonSpikes drive(1000, 20.0, 42);                  // 20 Hz
//   dyn::PoissonSpikes onset(1000, [](double t) { return t < 50.0 ? 0.0 : 100.0; }, 7);
//   LoopOverTime loop{drive, monitor<"spike">, {.dt = 0.1}};
//   auto [out, spikes] = loop.run_for(100.0);                 // (1000, 1000)
//
// - The rate is a constant (double, Hz), a function rate(t) of the time in ms
//   returning Hz (BrainPy's time-varying freqs), or per-neuron rates, a
//   Tensor<T, B> of shape (N,). A rate must be finite and >= 0: constants and
//   per-neuron rates are checked at construction, a function at every step.
// - A neuron fires when u < p for u uniform in [0, 1) (BrainPy compares with
//   <=; with < a rate of 0 never fires, and P(fire) = p up to the 2^-24 grid
//   of float u). A probability above 1 (rate * dt > 1000) thus acts as 1:
//   every neuron fires at every step.
// - The spikes of step c.i are a pure function of (seed, c.i, element): u is
//   the Philox stream split(c.i) of the module's generator, element by
//   element, so a step can be replayed, and the result does not depend on
//   what ran before. Row r of a batch holds the elements r N .. r N + N - 1:
//   rows are independent, and row 0 is the unbatched draw.
// - spike has shape (N,) until reset_state(b) gives it (b, N) (reset_state(0)
//   or no reset: (N,)). Values are exactly 0 or 1.
// - On host backends the Philox blocks, u and the comparison are one pass
//   over spike (Rng::generate_words: 16 blocks at a time in AVX2 / AVX-512
//   vectors), a few ns per neuron-step with no buffer and no allocation per
//   step; elsewhere u is drawn into spike and thresholded in place by a
//   second kernel, with the same numbers. Either way the spikes are a pure
//   function of (seed, step, element): the same on every thread count.
// - Without a seed, a generator comes from modyn::InitGenerator (as
//   nn::Dropout): reproducible per program, and different for each group.
// - to<B>(spikes) keeps the generator (and the rates, moved to B when they
//   are a tensor): the same spikes at every step on the new backend.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

#include "modyn/core/config.hpp"
#include "modyn/core/error.hpp"
#include "modyn/core/math.hpp"
#include "modyn/core/random.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/core/tensor_concepts.hpp"
#include "modyn/core/tensor_transfer.hpp"
#include "modyn/module/context.hpp"
#include "modyn/module/module.hpp"
#include "modyn/module/rebind.hpp"

namespace modyn::dyn {

namespace poisson_detail {
/// \cond internal

template <class R, class T, class B>
inline constexpr bool is_rate_tensor_v = std::is_same_v<R, Tensor<T, B>>;

// (A tensor is callable with an index, so it is excluded by name.)
template <class R>
inline constexpr bool is_rate_function_v =
    !std::is_arithmetic_v<R> && !TensorLike<R> && std::is_invocable_r_v<double, R&, double>;

template <class R, class T, class B>
inline constexpr bool is_rate_v =
    std::is_same_v<R, double> || is_rate_tensor_v<R, T, B> || is_rate_function_v<R>;

inline std::string number(double x) {
  std::ostringstream os;
  os << x;
  return os.str();
}

inline bool valid_rate(double hz) noexcept { return std::isfinite(hz) && hz >= 0.0; }

// u in [0, 1) from a Philox word, as Rng::uniform: (w >> 8) 2^-24 in float,
// w 2^-32 in double (both exact).
template <class T>
MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T unit_uniform(std::uint32_t w) {
  if constexpr (std::is_same_v<T, float>) {
    return T(w >> 8) * T(0x1p-24);
  } else {
    return T(w) * T(0x1p-32);
  }
}

// Spike k from its word: u < p (one probability for all).
template <class T>
struct fire_below {
  T p;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(std::uint32_t w, std::size_t) const {
    return unit_uniform<T>(w) < p ? T(1) : T(0);
  }
};

// Spike k of a row from its word: u < rate[k] * scale.
template <class T>
struct fire_below_rate {
  const T* rate;
  T scale;
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE T operator()(std::uint32_t w, std::size_t k) const {
    return unit_uniform<T>(w) < rate[k] * scale ? T(1) : T(0);
  }
};

// The two-pass form (non-host backends): u -> (u < p) in place.
template <class T>
struct threshold_kernel {
  T p;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& x) const {
    x = math::select(x < Vec(p), Vec(1), Vec(0));
  }
};

// u -> (u < rate * scale) in place, rate along the row.
template <class T>
struct threshold_rate_kernel {
  T scale;
  template <class Vec>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(const Vec& hz, Vec& x) const {
    x = math::select(x < hz * Vec(scale), Vec(1), Vec(0));
  }
};

/// \endcond
}  // namespace poisson_detail

/// N independent Poisson spike trains (brainpy.dyn.PoissonGroup): in each step
/// a neuron fires with probability rate * dt / 1000 (rate in Hz); see the top
/// of dyn/inputs/poisson.hpp. T: the element type of the spikes; B: the backend; Rate: a
/// constant (double, Hz), a function of t (ms) returning Hz, or a Tensor<T, B>
/// of per-neuron rates (N,).
template <class T = float, class B = default_backend, class Rate = double>
class PoissonSpikes : public Module<PoissonSpikes<T, B, Rate>> {
  static_assert(std::is_floating_point_v<T>,
                "modyn::dyn::PoissonSpikes: T must be floating-point (float, double)");
  static_assert(poisson_detail::is_rate_v<Rate, T, B>,
                "modyn::dyn::PoissonSpikes: the rate must be a constant in Hz (double), a function of t (ms) "
                "returning Hz, or per-neuron rates in Hz as a Tensor<T, B> of shape (N,)");

 public:
  using tensor_type = Tensor<T, B>;  ///< the tensor type of its spike State
  using rate_type = Rate;            ///< the type of the rate

  State<tensor_type> spike;  ///< (N,) or (batch, N): 1 where the neuron fired in the last step, else 0
  MODYN_FIELDS(spike)

  /// n trains at `rate`, drawn from Rng(seed), or, without a seed, from the next
  /// stream of the default generator.
  PoissonSpikes(std::size_t n, Rate rate, std::optional<std::uint64_t> seed = std::nullopt)
      : spike(Shape{n}),
        n_(n),
        rate_(std::move(rate)),
        rng_(seed ? Rng(*seed) : InitGenerator::instance().next()) {
    check_fixed_rate();
  }

  /// `to<B>(spikes)`: the same trains on another backend. There is no default
  /// constructor to start from, and the generator, the size and the rate are
  /// not reflected fields: they are copied here, so the rebound group fires
  /// as the source would, and no stream is taken from InitGenerator.
  template <class OtherBackend, class OtherRate>
  requires std::is_same_v<rebind_backend_t<OtherRate, B>, Rate> PoissonSpikes(
      rebind_tag, const PoissonSpikes<T, OtherBackend, OtherRate>& source)
      : Module<PoissonSpikes>(source.name()),
        spike(Shape{source.n_}),
        n_(source.n_),
        rate_(rebound_rate(source.rate_)),
        rng_(source.rng_) {}

  /// The number of neurons.
  std::size_t size() const noexcept { return n_; }
  /// The rate.
  const Rate& rate() const noexcept { return rate_; }

  /// Draws the spikes of step c.i (dt = c.dt ms, rate functions see c.t).
  const tensor_type& update(const Context& c) {
    tensor_type& s = *spike;
    if constexpr (poisson_detail::is_rate_tensor_v<Rate, T, B>) {
      fire_per_neuron(s, c.i, c.dt);
    } else {
      // The rate first: a rate function that throws leaves the spikes as they were.
      fire_all(s, c.i, T(probability(current_rate(c.t), c.dt)));
    }
    return s;
  }

 private:
  template <class, class, class>
  friend class PoissonSpikes;  // the rebind constructor reads another backend's members

  // A source's rate on this backend: per-neuron rates are moved, constants
  // and functions copied.
  template <class OtherRate>
  static Rate rebound_rate(const OtherRate& rate) {
    if constexpr (poisson_detail::is_rate_tensor_v<Rate, T, B>) {
      return modyn::to<B>(rate);
    } else {
      return rate;
    }
  }

  // rate (Hz) * dt (ms) / 1000 = the firing probability in one step.
  static double probability(double hz, double dt) noexcept { return hz * dt / 1000.0; }

  void check_fixed_rate() const {
    if constexpr (std::is_same_v<Rate, double>) {
      if (!poisson_detail::valid_rate(rate_)) fail("rate = " + poisson_detail::number(rate_) + " Hz");
    } else if constexpr (poisson_detail::is_rate_tensor_v<Rate, T, B>) {
      check_rate_tensor();
    }
  }

  void check_rate_tensor() const {
    if (!(rate_.shape() == Shape{n_})) {
      throw shape_error("dyn::PoissonSpikes '" + this->name() + "': per-neuron rates of shape " +
                        rate_.shape().to_string() + " for " + std::to_string(n_) + " neurons; expected " +
                        Shape{n_}.to_string());
    }
    const auto rates = rate_.to_vector();
    for (std::size_t k = 0; k < rates.size(); ++k) {
      if (!poisson_detail::valid_rate(double(rates[k]))) {
        fail("rate of neuron " + std::to_string(k) + " = " + poisson_detail::number(double(rates[k])) +
             " Hz");
      }
    }
  }

  [[noreturn]] void fail(const std::string& what) const {
    throw config_error("dyn::PoissonSpikes '" + this->name() + "': " + what +
                       " is invalid; a rate must be finite and >= 0");
  }

  // Element e of step i is word e of fill 0 of the stream split(i), whatever
  // was drawn before: u = unit_uniform(word), a spike where u < p.
  void fire_all(tensor_type& s, std::size_t i, T p) const {
    const Rng stream = rng_.split(i);
    if constexpr (B::host_accessible) {
      stream.generate_words(s.data(), s.size(), 0, 0, poisson_detail::fire_below<T>{p});
    } else {
      Rng(stream).uniform(s);
      B::map(s.size(), poisson_detail::threshold_kernel<T>{p}, s.data());
    }
  }

  // The same with p = rate * dt / 1000 per neuron, the rates (N,) along each
  // row of (batch, N); row r holds the elements r N .. r N + N - 1.
  void fire_per_neuron(tensor_type& s, std::size_t i, double dt) const {
    if (n_ == 0) return;
    const Rng stream = rng_.split(i);
    const T scale = T(probability(1.0, dt));
    const T* rates = rate_.data();
    const std::size_t rows = s.size() / n_;
    if constexpr (B::host_accessible) {
      for (std::size_t row = 0; row < rows; ++row) {
        stream.generate_words(s.data() + row * n_, n_, row * n_, 0,
                              poisson_detail::fire_below_rate<T>{rates, scale});
      }
    } else {
      Rng(stream).uniform(s);
      for (std::size_t row = 0; row < rows; ++row) {
        B::map(n_, poisson_detail::threshold_rate_kernel<T>{scale}, rates, s.data() + row * n_);
      }
    }
  }

  double current_rate(double t) {
    if constexpr (std::is_same_v<Rate, double>) {
      return rate_;
    } else {
      const double hz = rate_(t);
      if (!poisson_detail::valid_rate(hz)) {
        fail("rate(t = " + poisson_detail::number(t) + " ms) = " + poisson_detail::number(hz) + " Hz");
      }
      return hz;
    }
  }

  std::size_t n_ = 0;
  Rate rate_;
  Rng rng_;
};

// (clang-format 14 mangles requires-clauses on deduction guides.)
// clang-format off
/// PoissonSpikes(100, 20.0, 42): float spikes on the default backend, constant rate.
template <class R>
  requires std::is_arithmetic_v<R>
PoissonSpikes(std::size_t, R, std::optional<std::uint64_t> = std::nullopt)
    -> PoissonSpikes<float, default_backend, double>;

/// PoissonSpikes(100, [](double t) { ... }, 42): a rate function of t.
template <class F>
  requires poisson_detail::is_rate_function_v<F>
PoissonSpikes(std::size_t, F, std::optional<std::uint64_t> = std::nullopt)
    -> PoissonSpikes<float, default_backend, F>;

/// PoissonSpikes(100, rates, 42): per-neuron rates; T and B are the tensor's.
template <class T, class B>
PoissonSpikes(std::size_t, Tensor<T, B>, std::optional<std::uint64_t> = std::nullopt)
    -> PoissonSpikes<T, B, Tensor<T, B>>;
// clang-format on

}  // namespace modyn::dyn
