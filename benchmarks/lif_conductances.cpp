// One step of a COBA population: dyn::LIF<float> driven by two exponential
// conductances (excitatory E = 0 mV, inhibitory E = -80 mV), its spike list
// included, against the same update hand-fused with xsimd (issue 10, item 3).
// benchmarks/run_lif_conductances builds this at -O3 (bench_lif_conductances)
// and at -O2 (bench_lif_conductances_O2) and prints the table.
//
// Model (units of dyn/: ms, mV; g in units of the leak conductance):
//   tau dV/dt = -(V - E_l) + g_e (E_e - V) + g_i (E_i - V)   (not while refractory)
//   dg_e/dt = -g_e / tau_e + x_e,  dg_i/dt = -g_i / tau_i + x_i
// tau 20, E_l = V_reset -60, V_th -50, tau_ref 2 ms, tau_e 5, tau_i 10,
// dt 0.1 ms; exponential Euler for V (LIF's default: the conductances enter
// the time constant), exact decay for g. x_e, x_i are constant per-step
// increments (numbers) holding g at g_e = 2.25, g_i = 2 (the network's
// delivery stands in for them; without them g would decay to denormals). A
// neuron then integrates 31 steps from reset to threshold and is held 20:
// one spike per 51 steps, and with V drawn uniformly in [V_reset, V_th) at the
// start about 2% of the neurons fire in each step (the counter fired_per_step
// gives the measured fraction).
//
// Variants, N = 4000 and 400000, each step behind a noipa call boundary:
//   coba/modyn            as a user writes it today: ge.update(c, x_e);
//                         gi.update(c, x_i); lif.update(c, conductance(g_e, 0),
//                         conductance(g_i, -80)); the spike list read
//                         (fired().size(), data()). Three passes over memory.
//   coba/modyn_fused_synapses the same model with the synapses' decay fused
//                         into the neuron's pass (Expon::deliver and
//                         Expon::decaying_into, synapses/expon.hpp):
//                         ge.deliver(x_e); gi.deliver(x_i); lif(c,
//                         ge.decaying_into(COBA{0}, c), gi.decaying_into(
//                         COBA{-80}, c)); the spike list read. deliver of a
//                         number is a dense pass of its own (g += x over all
//                         N; a network's sparse delivery touches only the
//                         targets), so this is still three passes, the two
//                         synapse passes lighter (an add, not a multiply-add)
//                         and the LIF pass heavier (it also writes g).
//   coba/modyn_one_pass   the whole step in the neuron's pass: lif(c,
//                         ge.decaying_into(COBA{0}, c, x_e),
//                         gi.decaying_into(COBA{-80}, c, x_i)), the constant
//                         arrivals x added in the pass; the spike list read.
//                         g is held decayed between steps: after a step it
//                         is modyn's g times exp(-dt / tau).
//   coba/modyn_lif_only   the LIF pass alone (g not updated): its share
//   coba/modyn_expon_only the two Expon passes alone: their share
//   coba/modyn_map_fused  one modyn::cpu::map pass with a kernel written for
//                         this benchmark (exp_euler::advance, math::select, an
//                         emit_to channel into a dyn::SpikeList): what a fused
//                         "in-place conductance" input term would give
//   coba/hand_fused       xsimd::batch<float>, one loop: read g_e, g_i, V,
//                         refractory; LIF step; write V, spike, refractory and
//                         the decayed g; append the indices that fired (AVX-512:
//                         compress of the index vector into a register, one
//                         unmasked store, count += popcount; elsewhere the
//                         mask bits one by one)
//   coba/hand_fused_noemit the same without the spike list: the emit's cost
//   coba/hand_fused_bitloop the hand loop with modyn's emit (the mask bits one
//                         by one, a branch per set bit): the emit's form alone
// Same numbers for every variant: the hand loops use the formula of
// integrators.hpp's exp_euler::phi (the Taylor branch and exp(z) - 1 over z,
// both computed, selected), as LIF does. main() checks before any timing that
// after 500+ steps V, the refractory counters, g and the last step's spike
// list (a step with spikes) of every variant equal modyn's (V to 1e-4 mV; g
// exactly, modyn_fused_synapses' g to 1e-6 relative: Expon::update may
// contract decay + x into one FMA, deliver + decaying_into cannot), at
// N = 4000 and 1007.
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <vector>

#include "modyn/backend/cpu.hpp"  // includes xsimd (and the intrinsics) with modyn's warning guards
#include "modyn/core/math.hpp"
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/input_terms.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/dyn/spike_list.hpp"
#include "modyn/dyn/synapses/expon.hpp"
#include "modyn/dyn/synapses/outputs.hpp"
#include "modyn/module/context.hpp"

namespace {

namespace dyn = modyn::dyn;
using modyn::Context;
using batch = xsimd::batch<float>;
using index_t = std::int32_t;

template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);  // the const overload (see neurons.cpp)
}

constexpr double k_dt = 0.1;
constexpr float k_tau = 20.0f, k_el = -60.0f, k_reset = -60.0f, k_th = -50.0f, k_tau_ref = 2.0f;
constexpr float k_tau_e = 5.0f, k_tau_i = 10.0f, k_ee = 0.0f, k_ei = -80.0f;
constexpr float k_ge = 2.25f, k_gi = 2.0f;  // steady conductances

float decay_of(float tau) {
  return static_cast<float>(std::exp(-k_dt / static_cast<double>(tau)));
}  // as Expon
float increment_of(float g, float tau) { return g * (1.0f - decay_of(tau)); }

std::vector<float> v0(std::size_t n) {  // uniform in [V_reset, V_th), scattered over the indices
  std::vector<float> v(n);
  std::uint32_t s = 12345u;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = k_reset + (k_th - k_reset) * static_cast<float>(s >> 8) * (1.0f / 16777216.0f);
  }
  return v;
}

using lif_t = dyn::LIF<float, modyn::cpu>;
using expon_t = dyn::Expon<float, modyn::cpu>;

// held_decayed (modyn_fused_synapses): g starts at k_g exp(-dt / tau), as
// decaying_into holds it between steps; deliver's x then brings it to the g
// that Expon::update gives modyn's first step.
struct modyn_net {
  lif_t lif;
  expon_t ge, gi;
  dyn::COBA<float> coba_e{k_ee}, coba_i{k_ei};  // modyn_fused_synapses' outputs
  float xe, xi;
  explicit modyn_net(std::size_t n, bool held_decayed = false)
      : lif(n, {.V_rest = k_el,
                .V_reset = k_reset,
                .V_th = k_th,
                .tau = k_tau,
                .R = 1.0f,
                .tau_ref = k_tau_ref}),
        ge(n, {.tau = k_tau_e}),
        gi(n, {.tau = k_tau_i}),
        xe(increment_of(k_ge, k_tau_e)),
        xi(increment_of(k_gi, k_tau_i)) {
    const auto v = v0(n);
    std::copy(v.begin(), v.end(), lif.V->data());
    std::fill_n(ge.g->data(), n, held_decayed ? k_ge * decay_of(k_tau_e) : k_ge);
    std::fill_n(gi.g->data(), n, held_decayed ? k_gi * decay_of(k_tau_i) : k_gi);
  }
};

[[gnu::noipa]] void modyn_step(modyn_net& m, const Context& c) {
  const auto& g_e = m.ge.update(c, m.xe);
  const auto& g_i = m.gi.update(c, m.xi);
  m.lif.update(c, dyn::conductance(g_e, k_ee), dyn::conductance(g_i, k_ei));
  keep(m.lif.fired().size());
  keep(m.lif.fired().data());
}

// The same model with the synapses' decay in the LIF's pass (m made with
// held_decayed).
[[gnu::noipa]] void modyn_fused_synapses_step(modyn_net& m, const Context& c) {
  m.ge.deliver(m.xe);
  m.gi.deliver(m.xi);
  m.lif(c, m.ge.decaying_into(m.coba_e, c), m.gi.decaying_into(m.coba_i, c));
  keep(m.lif.fired().size());
  keep(m.lif.fired().data());
}
// The whole step in the LIF's pass: the constant arrivals added there too
// (m made with held_decayed).
[[gnu::noipa]] void modyn_one_pass_step(modyn_net& m, const Context& c) {
  m.lif(c, m.ge.decaying_into(m.coba_e, c, m.xe), m.gi.decaying_into(m.coba_i, c, m.xi));
  keep(m.lif.fired().size());
  keep(m.lif.fired().data());
}
[[gnu::noipa]] void modyn_lif_only(modyn_net& m, const Context& c) {
  m.lif.update(c, dyn::conductance(*m.ge.g, k_ee), dyn::conductance(*m.gi.g, k_ei));
  keep(m.lif.fired().size());
  keep(m.lif.fired().data());
}
[[gnu::noipa]] void modyn_expon_only(modyn_net& m, const Context& c) {
  keep(m.ge.update(c, m.xe).data());
  keep(m.gi.update(c, m.xi).data());
}

// ---- the fused kernels -----------------------------------------------------------------

struct consts {
  float half_step, step, tau_ref, leak, gain, drive, v_th, v_reset, de, di, xe, xi, ee, ei;
};
consts make_consts() {
  return {static_cast<float>(0.5 * k_dt),
          static_cast<float>(k_dt),
          k_tau_ref,
          -1.0f / k_tau,
          1.0f / k_tau,
          k_el / k_tau,
          k_th,
          k_reset,
          decay_of(k_tau_e),
          decay_of(k_tau_i),
          increment_of(k_ge, k_tau_e),
          increment_of(k_gi, k_tau_i),
          k_ee,
          k_ei};
}

// For modyn::cpu::map: the whole step of one vector, modyn's math.
struct coba_kernel {
  consts k;
  template <class Vec, class Mask>
  MODYN_HOST_DEVICE MODYN_ALWAYS_INLINE void operator()(Vec& v, Vec& spike, Vec& left, Vec& ge, Vec& gi,
                                                        Mask& emitted) const {
    namespace math = modyn::math;
    const auto refractory = left > Vec(k.half_step);
    const Vec slope = Vec(0.0f) - ge - gi, offset = Vec(0.0f) + ge * Vec(k.ee) + gi * Vec(k.ei);
    const dyn::linear<Vec> d{Vec(k.leak) + Vec(k.gain) * slope, Vec(k.drive) + Vec(k.gain) * offset};
    Vec next = math::select(refractory, v, dyn::exp_euler::advance(d, v, k_dt));
    const auto spiking = next >= Vec(k.v_th);
    spike = math::select(spiking, Vec(1.0f), Vec(0.0f));
    emitted = spiking;
    left = math::select(spiking, Vec(k.tau_ref), math::max(left - Vec(k.step), Vec(0.0f)));
    v = math::select(spiking, Vec(k.v_reset), next);
    ge = ge * Vec(k.de) + Vec(k.xe);
    gi = gi * Vec(k.di) + Vec(k.xi);
  }
};

struct fused_arrays {
  float* v;
  float* spike;
  float* left;
  float* ge;
  float* gi;
};

[[gnu::noipa]] void map_fused_step(std::size_t n, const fused_arrays& a, dyn::SpikeList<modyn::cpu>& list,
                                   const consts& k) {
  modyn::cpu::map(n, coba_kernel{k}, a.v, modyn::write_only(a.spike), a.left, a.ge, a.gi, list.begin_step(n));
  keep(list.size());
  keep(list.data());
}

// The hand-written element (V = float or batch), the formula of exp_euler::phi.
template <class V>
MODYN_ALWAYS_INLINE V sel(const auto& c, const V& a, const V& b) {
  if constexpr (std::is_same_v<V, float>)
    return c ? a : b;
  else
    return xsimd::select(c, a, b);
}

template <class V>
MODYN_ALWAYS_INLINE auto hand_element(V& v, V& spike, V& left, V& ge, V& gi, const consts& k) {
  const auto refractory = left > V(k.half_step);
  const V slope = V(k.leak) + V(k.gain) * (V(0.0f) - ge - gi);
  const V offset = V(k.drive) + V(k.gain) * (V(0.0f) + ge * V(k.ee) + gi * V(k.ei));
  const V step = V(k.step);
  const V z = slope * step;
  V absz;
  if constexpr (std::is_same_v<V, float>)
    absz = std::fabs(z);
  else
    absz = xsimd::abs(z);
  const auto small = absz < V(0.1f);
  const V safe = sel(small, V(1.0f), z);
  const V series =
      V(1.0f) +
      z * (V(0.5f) + z * (V(static_cast<float>(1.0 / 6)) + z * (V(static_cast<float>(1.0 / 24)) +
                                                                z * (V(static_cast<float>(1.0 / 120)) +
                                                                     z * V(static_cast<float>(1.0 / 720))))));
  V e;
  if constexpr (std::is_same_v<V, float>)
    e = std::exp(safe);
  else
    e = xsimd::exp(safe);
  const V phi = sel(small, series, (e - V(1.0f)) / safe);
  const V next = sel(refractory, v, v + step * phi * (slope * v + offset));
  const auto fired = next >= V(k.v_th);
  spike = sel(fired, V(1.0f), V(0.0f));
  left = sel(fired, V(k.tau_ref), modyn::math::max(left - V(k.step), V(0.0f)));
  v = sel(fired, V(k.v_reset), next);
  ge = ge * V(k.de) + V(k.xe);
  gi = gi * V(k.di) + V(k.xi);
  return fired;
}

// list needs room for n + batch::size entries (the AVX-512 emit stores a
// whole vector at the list's end).
// Emit: 0 none, 1 compress (AVX-512) or lane by lane, 2 the mask bits one by
// one as modyn's map engine emits (a data-dependent branch per set bit).
template <int Emit>
[[gnu::noipa]] std::size_t hand_fused_step(std::size_t n, const fused_arrays& a, index_t* __restrict list,
                                           const consts& k) {
  float* __restrict pv = a.v;
  float* __restrict ps = a.spike;
  float* __restrict pl = a.left;
  float* __restrict pe = a.ge;
  float* __restrict pi = a.gi;
  constexpr std::size_t w = batch::size;
  std::size_t i = 0, count = 0;
#if defined(__AVX512F__)
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
#endif
  for (; i + w <= n; i += w) {
    batch v = batch::load_aligned(pv + i), left = batch::load_aligned(pl + i),
          ge = batch::load_aligned(pe + i), gi = batch::load_aligned(pi + i), spike;
    const auto fired = hand_element(v, spike, left, ge, gi, k);
    v.store_aligned(pv + i);
    spike.store_aligned(ps + i);
    left.store_aligned(pl + i);
    ge.store_aligned(pe + i);
    gi.store_aligned(pi + i);
    if constexpr (Emit == 2) {
      std::uint64_t bits = modyn::detail::simd_lanes_of<w>::mask_bits(fired);
      while (bits) {
        list[count++] = static_cast<index_t>(i + static_cast<std::size_t>(std::countr_zero(bits)));
        bits &= bits - 1;
      }
    } else if constexpr (Emit == 1) {
#if defined(__AVX512F__)
      static_assert(w == 16);
      const auto bits =
          static_cast<__mmask16>(static_cast<typename xsimd::batch_bool<float>::register_type>(fired));
      const __m512i idx = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(i)), iota);
      _mm512_storeu_si512(list + count, _mm512_maskz_compress_epi32(bits, idx));
      count += static_cast<std::size_t>(std::popcount(static_cast<unsigned>(bits)));
#else
      alignas(64) bool lanes[w];
      fired.store_aligned(lanes);
      for (std::size_t j = 0; j < w; ++j) {
        if (lanes[j]) list[count++] = static_cast<index_t>(i + j);
      }
#endif
    }
  }
  for (; i < n; ++i) {
    float v = pv[i], left = pl[i], ge = pe[i], gi = pi[i], spike;
    const bool fired = hand_element(v, spike, left, ge, gi, k);
    pv[i] = v;
    ps[i] = spike;
    pl[i] = left;
    pe[i] = ge;
    pi[i] = gi;
    if constexpr (Emit != 0) {
      if (fired) list[count++] = static_cast<index_t>(i);
    }
  }
  return count;
}

// ---- state of the fused variants --------------------------------------------------------

class buffer {
 public:
  explicit buffer(std::size_t n) : n_(n), p_(modyn::cpu::allocate<float>(n)) { std::fill_n(p_, n, 0.0f); }
  ~buffer() { modyn::cpu::deallocate(p_, n_); }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  float* data() noexcept { return p_; }

 private:
  std::size_t n_;
  float* p_;
};

// g starts one decay ahead of modyn's: modyn decays g (Expon) before the LIF
// reads it, the fused loop reads g and then decays it.
struct fused_state {
  buffer v, spike, left, ge, gi;
  std::vector<index_t> list;
  explicit fused_state(std::size_t n) : v(n), spike(n), left(n), ge(n), gi(n), list(n + batch::size) {
    const auto v_init = v0(n);
    std::copy(v_init.begin(), v_init.end(), v.data());
    const consts k = make_consts();
    std::fill_n(ge.data(), n, k_ge * k.de + k.xe);
    std::fill_n(gi.data(), n, k_gi * k.di + k.xi);
  }
  fused_arrays arrays() { return {v.data(), spike.data(), left.data(), ge.data(), gi.data()}; }
};

Context at_step(std::size_t i) { return Context{static_cast<double>(i) * k_dt, i, k_dt, false}; }

void set_counters(benchmark::State& state, std::size_t n, double spikes) {
  const auto steps = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(n));
  state.counters["fired_per_step"] = steps > 0 ? spikes / steps / static_cast<double>(n) : 0.0;
}

void bm_modyn(benchmark::State& state, int part) {
  const auto n = static_cast<std::size_t>(state.range(0));
  modyn_net m(n);
  std::size_t i = 0;
  double spikes = 0;
  for (auto _ : state) {
    const Context c = at_step(i++);
    if (part == 0)
      modyn_step(m, c);
    else if (part == 1)
      modyn_lif_only(m, c);
    else
      modyn_expon_only(m, c);
    benchmark::ClobberMemory();
    spikes += static_cast<double>(m.lif.fired().size());
  }
  set_counters(state, n, part == 2 ? 0.0 : spikes);
}

void bm_modyn_fused_synapses(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  modyn_net m(n, true);
  std::size_t i = 0;
  double spikes = 0;
  for (auto _ : state) {
    modyn_fused_synapses_step(m, at_step(i++));
    benchmark::ClobberMemory();
    spikes += static_cast<double>(m.lif.fired().size());
  }
  set_counters(state, n, spikes);
}

void bm_modyn_one_pass(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  modyn_net m(n, true);
  std::size_t i = 0;
  double spikes = 0;
  for (auto _ : state) {
    modyn_one_pass_step(m, at_step(i++));
    benchmark::ClobberMemory();
    spikes += static_cast<double>(m.lif.fired().size());
  }
  set_counters(state, n, spikes);
}

void bm_map_fused(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  fused_state s(n);
  dyn::SpikeList<modyn::cpu> list;
  const consts k = make_consts();
  const fused_arrays a = s.arrays();
  double spikes = 0;
  for (auto _ : state) {
    map_fused_step(n, a, list, k);
    benchmark::ClobberMemory();
    spikes += static_cast<double>(list.size());
  }
  set_counters(state, n, spikes);
}

template <int Emit>
void bm_hand(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  fused_state s(n);
  const consts k = make_consts();
  const fused_arrays a = s.arrays();
  double spikes = 0;
  for (auto _ : state) {
    const std::size_t count = hand_fused_step<Emit>(n, a, s.list.data(), k);
    keep(count);
    keep(s.list.data());
    benchmark::ClobberMemory();
    spikes += static_cast<double>(count);
  }
  if constexpr (Emit != 0)
    set_counters(state, n, spikes);
  else
    set_counters(state, n, 0.0);
}

// ---- agreement, before any timing -------------------------------------------------------

bool check(std::size_t n) {
  constexpr std::size_t steps = 500;
  modyn_net m(n);
  modyn_net s(n, true), o(n, true);
  fused_state f(n), h(n);
  dyn::SpikeList<modyn::cpu> list;
  const consts k = make_consts();
  std::size_t hand_count = 0, total = 0;
  std::size_t i = 0;
  // 500 steps, then on to a step with spikes, so that the lists are compared.
  for (; i < steps || (m.lif.fired().size() == 0 && i < steps + 200); ++i) {
    modyn_step(m, at_step(i));
    modyn_fused_synapses_step(s, at_step(i));
    modyn_one_pass_step(o, at_step(i));
    map_fused_step(n, f.arrays(), list, k);
    hand_count = hand_fused_step<1>(n, h.arrays(), h.list.data(), k);
    total += m.lif.fired().size();
  }
  bool ok = true;
  const auto fail = [&](const char* what, std::size_t at) {
    if (ok) std::fprintf(stderr, "!! N = %zu: %s differs from modyn's at %zu\n", n, what, at);
    ok = false;
  };
  for (std::size_t i = 0; i < n; ++i) {
    const float vm = m.lif.V->data()[i];
    if (std::fabs(f.v.data()[i] - vm) > 1e-4f) fail("map_fused V", i);
    if (std::fabs(h.v.data()[i] - vm) > 1e-4f) fail("hand_fused V", i);
    if (std::fabs(s.lif.V->data()[i] - vm) > 1e-4f) fail("fused_synapses V", i);
    if (std::fabs(o.lif.V->data()[i] - vm) > 1e-4f) fail("one_pass V", i);
    if (o.lif.refractory_left->data()[i] != m.lif.refractory_left->data()[i]) fail("one_pass refractory", i);
    if (o.lif.spike->data()[i] != m.lif.spike->data()[i]) fail("one_pass spike", i);
    if (f.left.data()[i] != m.lif.refractory_left->data()[i] || h.left.data()[i] != f.left.data()[i] ||
        s.lif.refractory_left->data()[i] != f.left.data()[i])
      fail("refractory", i);
    if (s.lif.spike->data()[i] != m.lif.spike->data()[i]) fail("fused_synapses spike", i);
    // modyn's g is one decay behind (see fused_state).
    const float ge = m.ge.g->data()[i] * k.de + k.xe, gi = m.gi.g->data()[i] * k.di + k.xi;
    if (f.ge.data()[i] != ge || h.ge.data()[i] != ge || f.gi.data()[i] != gi || h.gi.data()[i] != gi)
      fail("g", i);
    // modyn_fused_synapses' g is held decayed: modyn's g times the decay.
    const float se = m.ge.g->data()[i] * k.de, si = m.gi.g->data()[i] * k.di;
    if (std::fabs(s.ge.g->data()[i] - se) > 1e-6f * se || std::fabs(s.gi.g->data()[i] - si) > 1e-6f * si)
      fail("fused_synapses g", i);
    if (std::fabs(o.ge.g->data()[i] - se) > 1e-6f * se || std::fabs(o.gi.g->data()[i] - si) > 1e-6f * si)
      fail("one_pass g", i);
  }
  const std::size_t c = m.lif.fired().size();
  if (list.size() != c || hand_count != c || s.lif.fired().size() != c || o.lif.fired().size() != c)
    fail("spike count", c);
  for (std::size_t j = 0; j < c && j < o.lif.fired().size(); ++j)
    if (o.lif.fired().data()[j] != m.lif.fired().data()[j]) fail("one_pass spike list", j);
  for (std::size_t j = 0; j < c && j < list.size() && j < hand_count && j < s.lif.fired().size(); ++j) {
    const index_t x = m.lif.fired().data()[j];
    if (list.data()[j] != x || h.list[j] != x || s.lif.fired().data()[j] != x) fail("spike list", j);
  }
  std::printf("check N = %zu: %s; %.4f of the neurons fired per step over %zu steps (last step %zu)\n", n,
              ok ? "agree" : "DIFFER", static_cast<double>(total) / static_cast<double>(i * n), i, c);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (!check(4000) || !check(1007)) return 2;
  for (const std::int64_t n : {std::int64_t{4000}, std::int64_t{400000}}) {
    benchmark::RegisterBenchmark("coba/modyn", bm_modyn, 0)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/modyn_fused_synapses", bm_modyn_fused_synapses)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/modyn_one_pass", bm_modyn_one_pass)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/modyn_lif_only", bm_modyn, 1)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/modyn_expon_only", bm_modyn, 2)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/modyn_map_fused", bm_map_fused)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/hand_fused", bm_hand<1>)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/hand_fused_noemit", bm_hand<0>)->Arg(n)->ArgName("N");
    benchmark::RegisterBenchmark("coba/hand_fused_bitloop", bm_hand<2>)->Arg(n)->ArgName("N");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
