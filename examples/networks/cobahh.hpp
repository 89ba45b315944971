// The COBAHH network (Brette et al. 2007, benchmark 3), with the
// definitions of shared/BENCHMARKS.md: one population P of N Traub-Miles HH
// neurons (dyn::HHTraubMiles, the benchmark's cell) with conductance
// synapses, the first 80 % excitatory, each pair connected with probability
// p (autapses allowed), no delay, exponential Euler:
//
//   Cm dv/dt = gl (El - v) + ge (Ee - v) + gi (Ei - v) - g_na m^3 h (v - ENa) - g_kd n^4 (v - EK)
//   dge/dt = -ge / 5 ms, dgi/dt = -gi / 10 ms, Ee = 0 mV, Ei = -80 mV
//   spike when v > -20 mV, refractory 3 ms; excitatory spike: ge += 6 nS; inhibitory: gi += 67 nS
//   initial v = El + (5 randn - 5) mV, ge = (1.5 randn + 4) 10 nS, gi = (12 randn + 20) 10 nS, m = n = h = 0
#pragma once

#include <cstddef>
#include <cstdint>
#include <modyn/modyn.hpp>

namespace networks {

struct CobahhOptions {
  std::size_t N = 4000;
  double p = 0.02;
  std::uint64_t seed = 1;
};

template <class B = modyn::cpu>
class Cobahh : public modyn::Module<Cobahh<B>> {
 public:
  using Neurons = modyn::dyn::HHTraubMiles<float, B>;
  using Synapses = modyn::dyn::AlignPostProj<modyn::dyn::SparseConn<float, B>, modyn::dyn::Expon<float, B>,
                                             modyn::dyn::COBA<float>>;

  Neurons P;
  Synapses exc, inh;
  MODYN_FIELDS(P, exc, inh)

  Cobahh() : Cobahh(CobahhOptions{}) {}
  explicit Cobahh(const CobahhOptions& o)
      : P(o.N),
        exc(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                excitatory(o.N), o.N, o.p, connect_rng(o, 0), {.weight = 6.f})),
            modyn::dyn::Expon<float, B>(o.N, {.tau = 5.f}), modyn::dyn::COBA<float>{0.0}),
        inh(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                o.N - excitatory(o.N), o.N, o.p, connect_rng(o, 1), {.weight = 67.f})),
            modyn::dyn::Expon<float, B>(o.N, {.tau = 10.f}), modyn::dyn::COBA<float>{-80.0},
            {.first_pre = excitatory(o.N)}),
        seed_(o.seed) {
    on_reset_state(0);
  }

  static std::size_t excitatory(std::size_t N) { return N * 4 / 5; }
  std::size_t synapses() const { return exc.comm.synapses() + inh.comm.synapses(); }

  const auto& update(const modyn::Context& c) {
    exc.update(c, P);
    inh.update(c, P);
    return P(c, exc.input(c), inh.input(c));
  }

  void on_reset_state(std::size_t /*batch_size*/) {
    modyn::Rng rng = modyn::Rng(seed_).split(2);
    rng.normal(*P.V, -65.f, 5.f);
    rng.normal(*exc.syn.g, 40.f, 15.f);
    rng.normal(*inh.syn.g, 200.f, 120.f);
  }

 private:
  static modyn::Rng connect_rng(const CobahhOptions& o, std::uint64_t which) {
    return modyn::Rng(o.seed).split(which);
  }

  std::uint64_t seed_ = 1;
};

}  // namespace networks
