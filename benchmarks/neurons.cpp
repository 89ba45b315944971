// Neuron update throughput: neuron-steps per second of dyn::LIF and dyn::HH
// (one fused B::map pass per step), against hand-written loops of the same
// update, the bandwidth a STREAM-like triad / copy gets at the same working
// set, and this core's measured FP32 FMA peak. benchmarks/run_neurons runs it
// and prints the table.
//
// Every benchmark is a warm loop of steps over N neurons (N = 4000 and
// 400000, float32, dt = 0.1 ms unless stated): neuron(ctx, I) with ctx.t and
// ctx.i advancing, I a constant number ("const") or a tensor of per-neuron
// currents ("tensor", one more stream). items_per_second = neuron-steps/s.
//
// Traffic per neuron-step (bytes_per_second), all float32 arrays:
//   LIF: V read+write 8, refractory_left read+write 8, spike write 4 + its
//        write-allocate read 4  -> 24 B (28 B with a tensor current, +4 read)
//   HH:  V, m, h, n read+write 32, spike write 4 + write-allocate 4
//                               -> 40 B (44 B with a tensor current)
// The triad (a = b + s c) and copy (a = b) reference counts the same way
// (write-allocate included): 16 and 12 B per element; `stream_bytes_per_second`
// gives STREAM's convention (12 and 8 B). Their working set (bytes summed over
// the arrays) is the Arg; run_neurons pairs each workload with the triad/copy
// of the same working set (LIF 12 N / 16 N bytes, HH 20 N / 24 N bytes).
//
// FLOPs (HH only; LIF is a handful of flops on 24-28 B and is read against
// bandwidth). Convention: one flop per float lane of add, sub, mul, div; an
// FMA is 2; compares, selects, abs, negation (a sign flip), rounding
// (nearbyint) and integer ops are 0. Counted on the source of hh.hpp,
// integrators.hpp and xsimd 8.1's float kernels, as written (no credit for
// common subexpressions the compiler may merge):
//   xsimd::exp(float):   a*log2e 1, two fnma (Cody-Waite) 4, degree-4 Horner
//                        (4 fma) 8, x*x 1, fma 2, +1 1, ldexp's multiply 1 = 18
//   xsimd::expm1(float): a*log2e 1, two fnma 4, hx 1, hxs 1, Horner (2 fma) 4,
//                        fnma 2, r-t 1, x*t 1, 6-. 1, one div 1, hxs* 1, fms 2,
//                        1-2^-k 1, e-x 1, - 1, ldexp 1 = 24 (one of them a div)
//   HH right-hand side at (V, m, h, n), hh.hpp:
//     g_na = gNa m m m h 4, n2 1, g_k 2, dV slope (0 - g_na - g_k - gL) / C 4,
//     dV offset (g_na ENa + g_k EK + gL EL + I) / C 6                      = 17
//     m: alpha = 0.1 ratio(V + 40): add 1, -x/k 1, expm1 24, x / -expm1 1,
//        the small-x branch k + x/2 2 (a select evaluates both), 0.1* 1 = 30;
//        beta = 4 exp(-(V + 65)/18): 1 + 1 + 18 + 1 = 21; -(alpha + beta) 1 = 52
//     h: alpha = 0.07 exp(.) 21, beta = 1 / (1 + exp(.)) 22, sum 1          = 44
//     n: as m                                                               = 52
//                                                                     rhs = 165
//   exp_euler, per variable: z = slope dt 1, small-z branch dt (1 + z/2) 3,
//     expm1(z) / slope 25, y + growth (slope y + offset) 4 = 33; x 4     = 132
//   HH exp_euler: 165 + 132 = 297 flops per neuron-step (299 with a tensor
//     current: the input sum adds 2); 10 exp-family calls (4 exp, 6 expm1),
//     13 divisions (2 in ratio, 1 in beta_h, 4 in exp_euler, 6 inside expm1).
//   HH rk4: 4 right-hand sides (165, + 8 to evaluate the 4 linear derivatives)
//     = 692, 3 intermediate states 3 x 4 x 2 = 24, final combination 4 x 6 = 24
//     -> 740 (748 with a tensor current); 24 exp-family calls (16 exp, 8
//     expm1), 20 divisions.
// Cross-check on the compiled code (g++ 12.2 -O3 -march=native, AVX-512):
// the HH exp_euler kernel's vector body executes 319 FP arithmetic lane-ops
// per neuron-step by the same convention (its zmm vaddps, vsubps, vmulps,
// vdivps counted 1 and vfmadd & co. 2, plus any exp the compiler leaves out
// of line), 13 vdivps and 10 vrndscaleps (one per exp/expm1); the 22 more than
// the source count are negations g++ emits as 0 - x (xsimd's exp alone
// compiles to 19, its expm1 to 26). The rk4 kernel executes 784 (80 + 4 right-
// hand sides of 176). GFLOP/s below uses the source counts.
// The FMA peak counts an FMA as 2 flops; the HH kernel is a mix of adds,
// multiplies, FMAs and divisions (the divider is not pipelined like the FMA
// units), so "of peak" is a ceiling it cannot reach. The counters
// exp_per_step and div_per_step and the peak/exp, peak/expm1 and peak/div
// loops (throughput of those operations alone) tell what bounds it.
//
// Peers, each a separate non-inlinable (noipa) function so that nothing is
// hoisted across steps and constants are run-time values for all alike:
//   */modyn/*       dyn::LIF / dyn::HH, neuron(ctx, I)
//   lif/hand_loop   a plain float loop, branch-free, as g++ -O3 -march=native
//                   vectorizes it; the exponential factor exp(-dt/tau) - 1 over
//                   the slope (or dt, for Euler) is computed once per run: with
//                   a current the LIF's slope is -1/tau whatever I is, so the
//                   same loop serves exp_euler and Euler
//   lif/hand_simd   the same, written with xsimd::batch<float> (the widest
//                   vector of -march; g++ prefers 256-bit vectors when it
//                   vectorizes a plain loop on Intel AVX-512 parts)
//   hh/hand_loop    the HH equations and exp_euler form of hh.hpp in a plain
//                   float loop with std::exp (g++ does not vectorize std::exp
//                   without -ffast-math, so this is scalar libm)
//   hh/hand_simd    the same with xsimd::exp on xsimd::batch<float>: the
//                   hand-written bar. exp(z) - 1 where hh.hpp has expm1(z)
//                   (accurate enough for these z; one division less per call)
//   hh/hand_simd_expm1  the same with xsimd::expm1 exactly where hh.hpp has
//                   it: the difference to modyn is then the library's plumbing
//   overhead/*      one step of N = 16 (a single vector): the fixed cost of a
//                   step (modyn: shape checks and the pass's set-up)
// main() checks, before any timing, that after 1000 steps from the same state
// with the same inputs every peer's V equals modyn's (to a tolerance), at
// N = 4000 and at N = 1007 (a tail, which modyn runs as one padded vector and
// the hand-written loops element by element); it aborts with a message if not.
// (With the same functions, hand_simd_expm1 and the LIF peers give bitwise
// modyn's V at N = 4000.)
#include <benchmark/benchmark.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "fma_peak.hpp"
#include "modyn/backend/cpu.hpp"  // includes xsimd (and the intrinsics) with modyn's warning guards
#include "modyn/core/tensor.hpp"
#include "modyn/dyn/integrators.hpp"
#include "modyn/dyn/neurons/hh.hpp"
#include "modyn/dyn/neurons/lif.hpp"
#include "modyn/module/context.hpp"

namespace {

namespace dyn = modyn::dyn;
using modyn::Context;
using batch = xsimd::batch<float>;

// benchmark::DoNotOptimize on a non-const lvalue uses an asm "+m,r" operand,
// which g++ 12.2 miscompiles (the value is not stored to the stack slot it is
// read back from). The const overload is sound; see map.cpp.
template <class T>
void keep(const T& value) {
  benchmark::DoNotOptimize(value);
}

// A 64-byte aligned float array from the backend's allocator, touched once.
class buffer {
 public:
  explicit buffer(std::size_t n) : n_(n), p_(modyn::cpu::allocate<float>(n)) { std::fill_n(p_, n, 0.0f); }
  buffer(std::size_t n, const float* values) : buffer(n) { std::copy_n(values, n, p_); }
  ~buffer() { modyn::cpu::deallocate(p_, n_); }
  buffer(const buffer&) = delete;
  buffer& operator=(const buffer&) = delete;
  float* data() noexcept { return p_; }
  const float* data() const noexcept { return p_; }
  std::size_t size() const noexcept { return n_; }

 private:
  std::size_t n_;
  float* p_;
};

constexpr double k_dt = 0.1;       // ms
constexpr double k_dt_rk4 = 0.01;  // ms
constexpr std::int64_t k_lif_bytes = 24, k_hh_bytes = 40, k_input_bytes = 4;
constexpr double k_hh_flops = 297, k_hh_flops_tensor = 299, k_hh_exps = 10, k_hh_divs = 13;
constexpr double k_rk4_flops = 740, k_rk4_flops_tensor = 748, k_rk4_exps = 24, k_rk4_divs = 20;

// ---- inputs and initial states ----------------------------------------------------

constexpr float k_lif_current = 25.0f;  // mV (R = 1): fires every ~16 ms, tau_ref below
constexpr float k_hh_current = 10.0f;   // uA/cm^2: regular firing

std::vector<float> lif_currents(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 15.0f + 20.0f * static_cast<float>(i % 89) / 89.0f;
  return x;
}
std::vector<float> hh_currents(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = 5.0f + 10.0f * static_cast<float>(i % 89) / 89.0f;
  return x;
}
std::vector<float> lif_v0(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -5.0f + 24.0f * static_cast<float>(i % 97) / 97.0f;
  return x;
}
std::vector<float> hh_v0(std::size_t n) {
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = -70.0f + 15.0f * static_cast<float>(i % 97) / 97.0f;
  return x;
}

// The same numbers for every integrator (Options is a member of each LIF type).
template <class Method = dyn::exp_euler>
typename dyn::LIF<float, modyn::cpu, Method>::Options lif_options() {
  typename dyn::LIF<float, modyn::cpu, Method>::Options o;
  o.tau_ref = 2.0f;  // exercise the refractory hold
  return o;
}

template <class Method>
using lif_t = dyn::LIF<float, modyn::cpu, Method>;
template <class Method>
using hh_t = dyn::HH<float, modyn::cpu, Method>;

template <class Method>
void init_lif(lif_t<Method>& lif, std::size_t n) {
  const auto v0 = lif_v0(n);
  std::copy(v0.begin(), v0.end(), lif.V->data());
}
template <class Method>
void init_hh(hh_t<Method>& hh, std::size_t n) {
  const auto v0 = hh_v0(n);
  std::copy(v0.begin(), v0.end(), hh.V->data());  // gates stay at their steady state at V_init
}

// One step of modyn, behind a call boundary (as the hand-written peers).
template <class Neuron, class X>
[[gnu::noipa]] void modyn_step(Neuron& neuron, const Context& c, const X& input) {
  keep(neuron(c, input).data());
}

// ---- hand-written LIF ----------------------------------------------------------------

struct lif_consts {
  float half_step, step, tau_ref;  // refractory while more than half a step is left
  float growth;                    // exp_euler: expm1(-dt/tau) / (-1/tau); Euler: dt
  float leak;                      // -1/tau
  float drive;                     // V_rest/tau
  float gain;                      // R/tau
  float v_th, v_reset;
};

lif_consts make_lif_consts(const dyn::LIF<float>::Options& o, double dt, bool exponential) {
  lif_consts k{};
  k.half_step = static_cast<float>(0.5 * dt);
  k.step = static_cast<float>(dt);
  k.tau_ref = o.tau_ref;
  k.leak = -1.0f / o.tau;
  k.gain = o.R / o.tau;
  k.drive = o.V_rest / o.tau;
  const float step = static_cast<float>(dt);
  const float z = k.leak * step;
  k.growth = !exponential ? step : std::fabs(z) < 1e-6f ? step * (1.0f + 0.5f * z) : std::expm1(z) / k.leak;
  k.v_th = o.V_th;
  k.v_reset = o.V_reset;
  return k;
}

template <class V>
MODYN_ALWAYS_INLINE V choose(const auto& cond, const V& a, const V& b) {
  if constexpr (std::is_same_v<V, float>)
    return cond ? a : b;
  else
    return xsimd::select(cond, a, b);
}

// One LIF neuron (V = float) or a vector of them (V = batch).
template <class V>
MODYN_ALWAYS_INLINE void lif_element(V& v, V& left, V& spike, const V& current, const lif_consts& k) {
  const auto refractory = left > V(k.half_step);
  V next = v + V(k.growth) * (V(k.leak) * v + (V(k.drive) + V(k.gain) * current));
  next = choose(refractory, v, next);
  const auto fired = next >= V(k.v_th);
  spike = choose(fired, V(1.0f), V(0.0f));
  left = choose(fired, V(k.tau_ref), modyn::math::max(left - V(k.step), V(0.0f)));
  v = choose(fired, V(k.v_reset), next);
}

// The plain loop (g++ -O3 autovectorizes it).
template <bool Tensor>
[[gnu::noipa]] void lif_hand_loop(std::size_t n, float* __restrict v, float* __restrict left,
                                  float* __restrict spike, const float* __restrict current, float current0,
                                  const lif_consts& k) {
  for (std::size_t i = 0; i < n; ++i) {
    const float I = Tensor ? current[i] : current0;
    float vi = v[i], li = left[i], si;
    lif_element(vi, li, si, I, k);
    v[i] = vi;
    left[i] = li;
    spike[i] = si;
  }
}

template <bool Tensor>
[[gnu::noipa]] void lif_hand_simd(std::size_t n, float* __restrict v, float* __restrict left,
                                  float* __restrict spike, const float* __restrict current, float current0,
                                  const lif_consts& k) {
  constexpr std::size_t w = batch::size;
  std::size_t i = 0;
  for (; i + w <= n; i += w) {
    const batch I = Tensor ? batch::load_unaligned(current + i) : batch(current0);
    batch vi = batch::load_unaligned(v + i), li = batch::load_unaligned(left + i), si;
    lif_element(vi, li, si, I, k);
    vi.store_unaligned(v + i);
    li.store_unaligned(left + i);
    si.store_unaligned(spike + i);
  }
  for (; i < n; ++i) {
    const float I = Tensor ? current[i] : current0;
    float vi = v[i], li = left[i], si;
    lif_element(vi, li, si, I, k);
    v[i] = vi;
    left[i] = li;
    spike[i] = si;
  }
}

// ---- hand-written HH ------------------------------------------------------------------

struct hh_consts {
  float gna, gk, gl, ena, ek, gl_el, inv_c, v_th, dt;
};

hh_consts make_hh_consts(double dt) {
  const dyn::HH<float>::Options o;
  return {o.gNa, o.gK, o.gL, o.ENa, o.EK, o.gL * o.EL, 1.0f / o.C, o.V_th, static_cast<float>(dt)};
}

template <class V>
MODYN_ALWAYS_INLINE V vexp(const V& x) {
  if constexpr (std::is_same_v<V, float>)
    return std::exp(x);
  else
    return xsimd::exp(x);
}

// exp(x) - 1: with expm1 (as hh.hpp) or as exp(x) - 1.
template <bool Expm1, class V>
MODYN_ALWAYS_INLINE V em1(const V& x) {
  if constexpr (!Expm1)
    return vexp(x) - V(1.0f);
  else if constexpr (std::is_same_v<V, float>)
    return std::expm1(x);
  else
    return xsimd::expm1(x);
}

template <class V>
MODYN_ALWAYS_INLINE V vabs(const V& x) {
  if constexpr (std::is_same_v<V, float>)
    return std::fabs(x);
  else
    return xsimd::abs(x);
}

// x / (1 - exp(-x / k)), k + x / 2 near x = 0.
template <bool Expm1, class V>
MODYN_ALWAYS_INLINE V hh_ratio(const V& x, float k) {
  const auto small = vabs(x) < V(1e-4f * k);
  const V safe = choose(small, V(1.0f), x);
  return choose(small, V(k) + V(0.5f) * x, safe / -em1<Expm1>(safe * V(-1.0f / k)));
}

// y advanced exactly over dt under dy/dt = slope y + offset.
template <bool Expm1, class V>
MODYN_ALWAYS_INLINE V exp_euler(const V& y, const V& slope, const V& offset, float dt) {
  const V z = slope * V(dt);
  const auto tiny = vabs(z) < V(1e-6f);
  const V safe = choose(tiny, V(1.0f), slope);
  const V growth = choose(tiny, V(dt) * (V(1.0f) + V(0.5f) * z), em1<Expm1>(z) / safe);
  return y + growth * (slope * y + offset);
}

template <bool Expm1, class V>
MODYN_ALWAYS_INLINE void hh_element(V& v, V& m, V& h, V& n, V& spike, const V& current, const hh_consts& k) {
  // Every rate at the step's start.
  const V alpha_m = V(0.1f) * hh_ratio<Expm1>(v + V(40.0f), 10.0f);
  const V beta_m = V(4.0f) * vexp((v + V(65.0f)) * V(-1.0f / 18.0f));
  const V alpha_h = V(0.07f) * vexp((v + V(65.0f)) * V(-1.0f / 20.0f));
  const V beta_h = V(1.0f) / (V(1.0f) + vexp((v + V(35.0f)) * V(-1.0f / 10.0f)));
  const V alpha_n = V(0.01f) * hh_ratio<Expm1>(v + V(55.0f), 10.0f);
  const V beta_n = V(0.125f) * vexp((v + V(65.0f)) * V(-1.0f / 80.0f));
  const V g_na = V(k.gna) * m * m * m * h;
  const V n2 = n * n;
  const V g_k = V(k.gk) * n2 * n2;
  const V v_slope = -(g_na + g_k + V(k.gl)) * V(k.inv_c);
  const V v_offset = (g_na * V(k.ena) + g_k * V(k.ek) + V(k.gl_el) + current) * V(k.inv_c);
  const V v_old = v;
  v = exp_euler<Expm1>(v, v_slope, v_offset, k.dt);
  m = exp_euler<Expm1>(m, -(alpha_m + beta_m), alpha_m, k.dt);
  h = exp_euler<Expm1>(h, -(alpha_h + beta_h), alpha_h, k.dt);
  n = exp_euler<Expm1>(n, -(alpha_n + beta_n), alpha_n, k.dt);
  spike = choose((v_old < V(k.v_th)) & (v >= V(k.v_th)), V(1.0f), V(0.0f));
}

struct hh_arrays {
  float* v;
  float* m;
  float* h;
  float* n;
  float* spike;
};

// The plain loop: std::exp, scalar.
template <bool Tensor>
[[gnu::noipa]] void hh_hand_loop(std::size_t count, const hh_arrays& a, const float* __restrict current,
                                 float current0, const hh_consts& k) {
  float* __restrict v = a.v;
  float* __restrict m = a.m;
  float* __restrict h = a.h;
  float* __restrict n = a.n;
  float* __restrict spike = a.spike;
  for (std::size_t i = 0; i < count; ++i) {
    const float I = Tensor ? current[i] : current0;
    float vi = v[i], mi = m[i], hi = h[i], ni = n[i], si;
    hh_element<false>(vi, mi, hi, ni, si, I, k);
    v[i] = vi;
    m[i] = mi;
    h[i] = hi;
    n[i] = ni;
    spike[i] = si;
  }
}

// xsimd on full vectors, the scalar element on the tail.
template <bool Tensor, bool Expm1>
[[gnu::noipa]] void hh_hand_simd(std::size_t count, const hh_arrays& a, const float* __restrict current,
                                 float current0, const hh_consts& k) {
  constexpr std::size_t w = batch::size;
  std::size_t i = 0;
  for (; i + w <= count; i += w) {
    const batch I = Tensor ? batch::load_unaligned(current + i) : batch(current0);
    batch vi = batch::load_unaligned(a.v + i), mi = batch::load_unaligned(a.m + i),
          hi = batch::load_unaligned(a.h + i), ni = batch::load_unaligned(a.n + i), si;
    hh_element<Expm1>(vi, mi, hi, ni, si, I, k);
    vi.store_unaligned(a.v + i);
    mi.store_unaligned(a.m + i);
    hi.store_unaligned(a.h + i);
    ni.store_unaligned(a.n + i);
    si.store_unaligned(a.spike + i);
  }
  for (; i < count; ++i) {
    const float I = Tensor ? current[i] : current0;
    float vi = a.v[i], mi = a.m[i], hi = a.h[i], ni = a.n[i], si;
    hh_element<Expm1>(vi, mi, hi, ni, si, I, k);
    a.v[i] = vi;
    a.m[i] = mi;
    a.h[i] = hi;
    a.n[i] = ni;
    a.spike[i] = si;
  }
}

using hh_fn = void (*)(std::size_t, const hh_arrays&, const float*, float, const hh_consts&);
using lif_fn = void (*)(std::size_t, float*, float*, float*, const float*, float, const lif_consts&);

// ---- the benchmarks ------------------------------------------------------------------

void set_counters(benchmark::State& state, std::size_t n, std::int64_t bytes_per_step) {
  const auto steps = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
  state.SetItemsProcessed(steps);
  state.SetBytesProcessed(steps * bytes_per_step);
}

void set_flop_counters(benchmark::State& state, std::size_t n, double flops, double exps, double divs) {
  state.counters["flops"] =
      benchmark::Counter(flops * static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["flop_per_step"] = flops;
  state.counters["exp_per_step"] = exps;
  state.counters["div_per_step"] = divs;
}

template <class Method>
void bm_lif_modyn(benchmark::State& state, bool tensor_input) {
  const auto n = static_cast<std::size_t>(state.range(0));
  lif_t<Method> lif(n, lif_options<Method>());
  init_lif(lif, n);
  const auto currents = lif_currents(n);
  const modyn::Tensor<float> I(modyn::Shape{n}, std::span<const float>(currents));
  Context ctx{0.0, 0, k_dt, false};
  for (auto _ : state) {
    if (tensor_input)
      modyn_step(lif, ctx, I);
    else
      modyn_step(lif, ctx, k_lif_current);
    benchmark::ClobberMemory();
    ++ctx.i;
    ctx.t = static_cast<double>(ctx.i) * k_dt;
  }
  set_counters(state, n, k_lif_bytes + (tensor_input ? k_input_bytes : 0));
}

struct lif_hand_state {
  buffer v, left, spike, current;
  explicit lif_hand_state(std::size_t n)
      : v(n, lif_v0(n).data()), left(n), spike(n), current(n, lif_currents(n).data()) {
    std::fill_n(left.data(), n, 0.0f);
  }
};

void bm_lif_hand(benchmark::State& state, lif_fn fn) {
  const auto n = static_cast<std::size_t>(state.range(0));
  lif_hand_state s(n);
  const bool tensor_input = state.range(1) != 0;
  const lif_consts k = make_lif_consts(lif_options(), k_dt, true);
  float* v = s.v.data();
  float* left = s.left.data();
  float* spike = s.spike.data();
  const float* current = s.current.data();
  keep(v);
  keep(left);
  keep(spike);
  keep(current);
  Context ctx{0.0, 0, k_dt, false};
  for (auto _ : state) {
    fn(n, v, left, spike, current, k_lif_current, k);
    benchmark::ClobberMemory();
    ++ctx.i;
    ctx.t = static_cast<double>(ctx.i) * k_dt;
  }
  set_counters(state, n, k_lif_bytes + (tensor_input ? k_input_bytes : 0));
}

template <class Method>
void bm_hh_modyn(benchmark::State& state, bool tensor_input, double dt) {
  const auto n = static_cast<std::size_t>(state.range(0));
  hh_t<Method> hh(n);
  init_hh(hh, n);
  const auto currents = hh_currents(n);
  const modyn::Tensor<float> I(modyn::Shape{n}, std::span<const float>(currents));
  Context ctx{0.0, 0, dt, false};
  for (auto _ : state) {
    if (tensor_input)
      modyn_step(hh, ctx, I);
    else
      modyn_step(hh, ctx, k_hh_current);
    benchmark::ClobberMemory();
    ++ctx.i;
    ctx.t = static_cast<double>(ctx.i) * dt;
  }
  set_counters(state, n, k_hh_bytes + (tensor_input ? k_input_bytes : 0));
  if constexpr (std::is_same_v<Method, dyn::rk4>) {
    set_flop_counters(state, n, tensor_input ? k_rk4_flops_tensor : k_rk4_flops, k_rk4_exps, k_rk4_divs);
  } else {
    set_flop_counters(state, n, tensor_input ? k_hh_flops_tensor : k_hh_flops, k_hh_exps, k_hh_divs);
  }
}

struct hh_hand_state {
  buffer v, m, h, n, spike, current;
  explicit hh_hand_state(std::size_t count)
      : v(count, hh_v0(count).data()),
        m(count),
        h(count),
        n(count),
        spike(count),
        current(count, hh_currents(count).data()) {
    const hh_t<dyn::exp_euler> reference(1);  // the gates' initial values
    std::fill_n(m.data(), count, reference.m->data()[0]);
    std::fill_n(h.data(), count, reference.h->data()[0]);
    std::fill_n(n.data(), count, reference.n->data()[0]);
  }
  hh_arrays arrays() { return {v.data(), m.data(), h.data(), n.data(), spike.data()}; }
};

void bm_hh_hand(benchmark::State& state, hh_fn fn) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const bool tensor_input = state.range(1) != 0;
  hh_hand_state s(count);
  const hh_arrays a = s.arrays();
  const float* current = s.current.data();
  keep(a.v);
  keep(a.m);
  keep(a.h);
  keep(a.n);
  keep(a.spike);
  keep(current);
  const hh_consts k = make_hh_consts(k_dt);
  for (auto _ : state) {
    fn(count, a, current, k_hh_current, k);
    benchmark::ClobberMemory();
  }
  set_counters(state, count, k_hh_bytes + (tensor_input ? k_input_bytes : 0));
}

// ---- bandwidth references: triad and copy at a given working set (bytes) --------------

[[gnu::noipa]] void triad(std::size_t n, float* __restrict a, const float* __restrict b,
                          const float* __restrict c, float s) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
}

[[gnu::noipa]] void copy(std::size_t n, float* __restrict a, const float* __restrict b) {
  for (std::size_t i = 0; i < n; ++i) a[i] = b[i];
}

void bm_triad(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)) / (3 * sizeof(float));
  buffer a(n), b(n, lif_v0(n).data()), c(n, lif_currents(n).data());
  float* pa = a.data();
  const float* pb = b.data();
  const float* pc = c.data();
  keep(pa);
  keep(pb);
  keep(pc);
  for (auto _ : state) {
    triad(n, pa, pb, pc, 3.0f);
    benchmark::ClobberMemory();
  }
  const auto elements = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
  state.SetItemsProcessed(elements);
  state.SetBytesProcessed(elements * 16);  // 2 reads, the write-allocate read, 1 write
  state.counters["stream_bytes_per_second"] =
      benchmark::Counter(static_cast<double>(elements * 12), benchmark::Counter::kIsRate);
}

void bm_copy(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0)) / (2 * sizeof(float));
  buffer a(n), b(n, lif_v0(n).data());
  float* pa = a.data();
  const float* pb = b.data();
  keep(pa);
  keep(pb);
  for (auto _ : state) {
    copy(n, pa, pb);
    benchmark::ClobberMemory();
  }
  const auto elements = static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(n);
  state.SetItemsProcessed(elements);
  state.SetBytesProcessed(elements * 12);  // 1 read, the write-allocate read, 1 write
  state.counters["stream_bytes_per_second"] =
      benchmark::Counter(static_cast<double>(elements * 8), benchmark::Counter::kIsRate);
}

// ---- compute references ---------------------------------------------------------------
// FP32 FMA peak (bench_gemm's loop): independent FMA chains, all in registers.

using bench_peak::fma_loop_256;
using bench_peak::fma_loop_512;  // benchmarks/fma_peak.hpp
constexpr int fma_chains = bench_peak::chains;
constexpr std::int64_t fma_rounds = bench_peak::rounds;

template <float (*Loop)(std::int64_t, float, float), int Lanes>
void bm_fma_peak(benchmark::State& state) {
  // acc -> y / (1 - x) = 1: no overflow, no denormals.
  for (auto _ : state) keep(Loop(fma_rounds, 0.999f, 0.001f));
  state.counters["flops"] = benchmark::Counter(2.0 * Lanes * fma_chains * static_cast<double>(fma_rounds),
                                               benchmark::Counter::kIsIterationInvariantRate);
}

// Division throughput (widest vector): independent chains acc = y / acc, which
// alternate between two bounded values.
constexpr int div_chains = 8;
[[gnu::noipa]] float div_loop(std::int64_t rounds, float y) {
  batch acc[div_chains];
  for (int k = 0; k < div_chains; ++k) acc[k] = batch(1.5f + static_cast<float>(k) * 0.01f);
  const batch vy(y);
  for (std::int64_t r = 0; r < rounds; ++r) {
#pragma GCC unroll 8
    for (int k = 0; k < div_chains; ++k) acc[k] = vy / acc[k];
  }
  batch sum = acc[0];
  for (int k = 1; k < div_chains; ++k) sum = sum + acc[k];
  return xsimd::hadd(sum);
}

void bm_div_peak(benchmark::State& state) {
  for (auto _ : state) keep(div_loop(fma_rounds, 2.0f));
  state.counters["div_per_second"] =
      benchmark::Counter(static_cast<double>(batch::size * div_chains * fma_rounds),
                         benchmark::Counter::kIsIterationInvariantRate);
}

// Throughput of xsimd::exp / expm1 on the widest vector, arguments from an
// L1-resident array in HH's range (z in [-5, 1]).
constexpr std::size_t exp_args = 1024;
template <bool Expm1>
[[gnu::noipa]] float exp_loop(std::int64_t rounds, const float* x) {
  batch acc[4] = {batch(0.0f), batch(0.0f), batch(0.0f), batch(0.0f)};
  for (std::int64_t r = 0; r < rounds; ++r) {
    for (std::size_t i = 0; i < exp_args; i += 4 * batch::size) {
      for (std::size_t k = 0; k < 4; ++k) {
        const batch z = batch::load_aligned(x + i + k * batch::size);
        acc[k] = acc[k] + (Expm1 ? xsimd::expm1(z) : xsimd::exp(z));
      }
    }
  }
  return xsimd::hadd(acc[0] + acc[1] + acc[2] + acc[3]);
}

template <bool Expm1>
void bm_exp_peak(benchmark::State& state) {
  buffer x(exp_args);
  for (std::size_t i = 0; i < exp_args; ++i) x.data()[i] = -5.0f + 6.0f * static_cast<float>(i) / exp_args;
  const float* px = x.data();
  keep(px);
  constexpr std::int64_t rounds = 64;
  for (auto _ : state) keep(exp_loop<Expm1>(rounds, px));
  state.counters["exp_per_second"] = benchmark::Counter(static_cast<double>(rounds * exp_args),
                                                        benchmark::Counter::kIsIterationInvariantRate);
}

// ---- correctness of the peers: 1000 steps from the same state, same inputs ----------

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "bench_neurons: %s\n", what.c_str());
  std::abort();
}

// Largest |a - b| over the first n elements, and where.
struct difference {
  double max = 0;
  std::size_t at = 0;
};
difference compare(const float* a, const float* b, std::size_t n) {
  difference d;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    if (!(e <= d.max)) d = {e, i};  // NaN counts as a difference
  }
  return d;
}

constexpr int check_steps = 1000;

void check(const char* what, std::size_t n, const float* expected, const float* actual, double tolerance,
           double spikes_expected, double spikes_actual) {
  const difference d = compare(expected, actual, n);
  std::fprintf(
      stderr, "bench_neurons: check %-34s N=%-5zu max |dV| = %.3g mV (tolerance %.3g), spikes %.0f vs %.0f\n",
      what, n, d.max, tolerance, spikes_actual, spikes_expected);
  if (!(d.max <= tolerance) || spikes_expected != spikes_actual) {
    fail(std::string(what) + ": after " + std::to_string(check_steps) +
         " steps V differs from modyn's at neuron " + std::to_string(d.at) + " (" +
         std::to_string(actual[d.at]) + " vs " + std::to_string(expected[d.at]) +
         ") or the spike counts differ (" + std::to_string(spikes_actual) + " vs " +
         std::to_string(spikes_expected) + ")");
  }
}

double sum(const float* x, std::size_t n) {
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  return s;
}

template <class Method>
void check_lif(const char* method, std::size_t n, bool tensor_input) {
  lif_t<Method> lif(n, lif_options<Method>());
  init_lif(lif, n);
  const auto currents = lif_currents(n);
  const modyn::Tensor<float> I(modyn::Shape{n}, std::span<const float>(currents));
  double spikes = 0;
  for (int step = 0; step < check_steps; ++step) {
    const Context ctx{static_cast<double>(step) * k_dt, static_cast<std::size_t>(step), k_dt, false};
    if (tensor_input)
      modyn_step(lif, ctx, I);
    else
      modyn_step(lif, ctx, k_lif_current);
    spikes += sum(lif.spike->data(), n);
  }
  if (spikes == 0) fail("LIF check: no spikes; the check would not test the reset");
  const lif_consts k = make_lif_consts(lif_options(), k_dt, std::is_same_v<Method, dyn::exp_euler>);
  const lif_fn peers[] = {tensor_input ? lif_hand_loop<true> : lif_hand_loop<false>,
                          tensor_input ? lif_hand_simd<true> : lif_hand_simd<false>};
  const char* names[] = {"hand_loop", "hand_simd"};
  for (int p = 0; p < 2; ++p) {
    lif_hand_state s(n);
    double peer_spikes = 0;
    for (int step = 0; step < check_steps; ++step) {
      peers[p](n, s.v.data(), s.left.data(), s.spike.data(), s.current.data(), k_lif_current, k);
      peer_spikes += sum(s.spike.data(), n);
    }
    const std::string what =
        std::string("lif/") + names[p] + "/" + method + (tensor_input ? "/tensor" : "/const");
    check(what.c_str(), n, lif.V->data(), s.v.data(), 1e-3, spikes, peer_spikes);
  }
}

void check_hh(std::size_t n, bool tensor_input) {
  hh_t<dyn::exp_euler> hh(n);
  init_hh(hh, n);
  const auto currents = hh_currents(n);
  const modyn::Tensor<float> I(modyn::Shape{n}, std::span<const float>(currents));
  double spikes = 0;
  for (int step = 0; step < check_steps; ++step) {
    const Context ctx{static_cast<double>(step) * k_dt, static_cast<std::size_t>(step), k_dt, false};
    if (tensor_input)
      modyn_step(hh, ctx, I);
    else
      modyn_step(hh, ctx, k_hh_current);
    spikes += sum(hh.spike->data(), n);
  }
  if (spikes == 0) fail("HH check: no spikes");
  const hh_consts k = make_hh_consts(k_dt);
  const hh_fn peers[] = {tensor_input ? hh_hand_loop<true> : hh_hand_loop<false>,
                         tensor_input ? hh_hand_simd<true, false> : hh_hand_simd<false, false>,
                         tensor_input ? hh_hand_simd<true, true> : hh_hand_simd<false, true>};
  const char* names[] = {"hand_loop", "hand_simd", "hand_simd_expm1"};
  for (int p = 0; p < 3; ++p) {
    hh_hand_state s(n);
    double peer_spikes = 0;
    for (int step = 0; step < check_steps; ++step) {
      peers[p](n, s.arrays(), s.current.data(), k_hh_current, k);
      peer_spikes += sum(s.spike.data(), n);
    }
    const std::string what = std::string("hh/") + names[p] + (tensor_input ? "/tensor" : "/const");
    // Rounding differences (exp(z) - 1 against expm1, another order of
    // additions) shift spike times by a tiny fraction of a step; during an
    // upstroke (~500 mV/ms) that is a visible dV (0.01 mV here). A wrong equation moves
    // spikes by whole steps (tens of mV).
    check(what.c_str(), n, hh.V->data(), s.v.data(), 0.1, spikes, peer_spikes);
  }
}

void check_peers() {
  for (const std::size_t n : {std::size_t{4000}, std::size_t{1007}}) {
    for (const bool tensor_input : {false, true}) {
      check_lif<dyn::exp_euler>("exp_euler", n, tensor_input);
      check_lif<dyn::euler>("euler", n, tensor_input);
      check_hh(n, tensor_input);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  check_peers();

  const std::int64_t sizes[] = {4000, 400000};
  const auto per_size = [&](benchmark::internal::Benchmark* b, bool tensor_input) {
    for (const std::int64_t n : sizes) b->Args({n, tensor_input ? 1 : 0});
    b->ArgNames({"N", "tensor"});
  };
  for (const bool t : {false, true}) {
    per_size(benchmark::RegisterBenchmark("lif/modyn/exp_euler", bm_lif_modyn<dyn::exp_euler>, t), t);
    per_size(benchmark::RegisterBenchmark("lif/modyn/euler", bm_lif_modyn<dyn::euler>, t), t);
    per_size(benchmark::RegisterBenchmark("lif/hand_loop", bm_lif_hand,
                                          t ? lif_hand_loop<true> : lif_hand_loop<false>),
             t);
    per_size(benchmark::RegisterBenchmark("lif/hand_simd", bm_lif_hand,
                                          t ? lif_hand_simd<true> : lif_hand_simd<false>),
             t);
  }
  for (const bool t : {false, true}) {
    per_size(benchmark::RegisterBenchmark("hh/modyn/exp_euler", bm_hh_modyn<dyn::exp_euler>, t, k_dt), t);
    per_size(benchmark::RegisterBenchmark("hh/modyn/rk4_dt0.01", bm_hh_modyn<dyn::rk4>, t, k_dt_rk4), t);
    per_size(benchmark::RegisterBenchmark("hh/hand_loop", bm_hh_hand,
                                          t ? hh_hand_loop<true> : hh_hand_loop<false>),
             t);
    per_size(benchmark::RegisterBenchmark("hh/hand_simd", bm_hh_hand,
                                          t ? hh_hand_simd<true, false> : hh_hand_simd<false, false>),
             t);
    per_size(benchmark::RegisterBenchmark("hh/hand_simd_expm1", bm_hh_hand,
                                          t ? hh_hand_simd<true, true> : hh_hand_simd<false, true>),
             t);
  }
  // The fixed cost of one step: N = 16, one vector.
  benchmark::RegisterBenchmark("overhead/lif/modyn/exp_euler", bm_lif_modyn<dyn::exp_euler>, false)
      ->Args({16, 0})
      ->ArgNames({"N", "tensor"});
  benchmark::RegisterBenchmark("overhead/lif/hand_simd", bm_lif_hand, lif_hand_simd<false>)
      ->Args({16, 0})
      ->ArgNames({"N", "tensor"});
  benchmark::RegisterBenchmark("overhead/hh/modyn/exp_euler", bm_hh_modyn<dyn::exp_euler>, false, k_dt)
      ->Args({16, 0})
      ->ArgNames({"N", "tensor"});
  benchmark::RegisterBenchmark("overhead/hh/hand_simd_expm1", bm_hh_hand, hh_hand_simd<false, true>)
      ->Args({16, 0})
      ->ArgNames({"N", "tensor"});
  // Working sets of the workloads (bytes over all their arrays): LIF 12 N
  // (16 N with a tensor current), HH 20 N (24 N); and one far beyond L3.
  std::vector<std::int64_t> working_sets;
  for (const std::int64_t n : sizes)
    for (const std::int64_t per_neuron : {12, 16, 20, 24}) working_sets.push_back(per_neuron * n);
  working_sets.push_back(std::int64_t{3} << 26);  // 192 MiB: DRAM
  for (const std::int64_t ws : working_sets) {
    benchmark::RegisterBenchmark("stream/triad", bm_triad)->Arg(ws)->ArgName("bytes");
    benchmark::RegisterBenchmark("stream/copy", bm_copy)->Arg(ws)->ArgName("bytes");
  }
#if defined(__AVX512F__)
  benchmark::RegisterBenchmark("peak/fma512", bm_fma_peak<fma_loop_512, 16>);
#endif
#if defined(__AVX2__) && defined(__FMA__)
  benchmark::RegisterBenchmark("peak/fma256", bm_fma_peak<fma_loop_256, 8>);
#endif
  benchmark::RegisterBenchmark("peak/div", bm_div_peak);
  benchmark::RegisterBenchmark("peak/exp", bm_exp_peak<false>);
  benchmark::RegisterBenchmark("peak/expm1", bm_exp_peak<true>);

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
