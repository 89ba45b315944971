// The COBA network (Brette et al. 2007, benchmark 1; Vogels & Abbott 2005),
// with the definitions of shared/BENCHMARKS.md, as Brian2's example writes
// it: one population P of N LIF neurons with conductances, its first 80 %
// excitatory (P[:Ne]), the rest inhibitory, each pair connected with
// probability p (autapses allowed), no delay (a spike acts on the next step):
//
//   dv/dt  = (ge (Ee - v) + gi (Ei - v) - (v - El)) / taum   (not while refractory)
//   dge/dt = -ge / taue,  dgi/dt = -gi / taui                (dimensionless conductances)
//   v > -50 mV -> v = -60 mV, refractory 5 ms; excitatory spike: ge += 0.6; inhibitory: gi += 6.7
//   forward Euler for all three; initial v = El + (5 randn - 5) mV, ge = 1.5 randn + 4, gi = 12 randn + 20
//
// Used by examples/coba.cpp, its validation test and the benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <modyn/modyn.hpp>

namespace networks {

struct CobaOptions {
  std::size_t N = 4000;
  double p = 0.02;  // connection probability (BENCHMARKS.md: 80 / N beyond N = 4000)
  std::uint64_t seed = 1;
};

template <class B = modyn::cpu>
class Coba : public modyn::Module<Coba<B>> {
 public:
  using Neurons = modyn::dyn::LIF<float, B, modyn::dyn::euler>;
  using Synapses =
      modyn::dyn::AlignPostProj<modyn::dyn::SparseConn<float, B>,
                                modyn::dyn::Expon<float, B, modyn::dyn::euler>, modyn::dyn::COBA<float>>;

  Neurons P;
  Synapses exc, inh;
  MODYN_FIELDS(P, exc, inh)

  Coba() : Coba(CobaOptions{}) {}
  explicit Coba(const CobaOptions& o)
      : P(o.N, {.V_rest = -60.f, .V_reset = -60.f, .V_th = -50.f, .tau = 20.f, .R = 1.f, .tau_ref = 5.f}),
        exc(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                excitatory(o.N), o.N, o.p, connect_rng(o, 0), {.weight = 0.6f})),
            modyn::dyn::Expon<float, B, modyn::dyn::euler>(o.N, {.tau = 5.f}), modyn::dyn::COBA<float>{0.0}),
        inh(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                o.N - excitatory(o.N), o.N, o.p, connect_rng(o, 1), {.weight = 6.7f})),
            modyn::dyn::Expon<float, B, modyn::dyn::euler>(o.N, {.tau = 10.f}),
            modyn::dyn::COBA<float>{-80.0}, {.first_pre = excitatory(o.N)}),
        seed_(o.seed) {
    on_reset_state(0);
  }

  static std::size_t excitatory(std::size_t N) { return N * 4 / 5; }
  std::size_t synapses() const { return exc.comm.synapses() + inh.comm.synapses(); }

  // Projections first, then the population (dyn's update order): the spikes
  // of step t - 1 reach ge and gi, which P reads (and decays) in its pass.
  const auto& update(const modyn::Context& c) {
    exc.update(c, P);
    inh.update(c, P);
    return P(c, exc.input(c), inh.input(c));
  }

  // The random initial state (reset_state(0) has filled every State first).
  void on_reset_state(std::size_t /*batch_size*/) {
    modyn::Rng rng = modyn::Rng(seed_).split(2);
    rng.normal(*P.V, -65.f, 5.f);
    rng.normal(*exc.syn.g, 4.f, 1.5f);
    rng.normal(*inh.syn.g, 20.f, 12.f);
  }

 private:
  static modyn::Rng connect_rng(const CobaOptions& o, std::uint64_t which) {
    return modyn::Rng(o.seed).split(which);
  }

  std::uint64_t seed_ = 1;
};

}  // namespace networks
