// The CUBA network (Brette et al. 2007, benchmark 2), with the definitions
// of shared/BENCHMARKS.md: one population P of N LIF neurons with current
// synapses, the first 80 % excitatory, each pair connected with probability
// p (autapses allowed), no delay:
//
//   dv/dt  = (ge + gi - (v - El)) / taum   (not while refractory)
//   dge/dt = -ge / taue,  dgi/dt = -gi / taui   (ge, gi in mV)
//   v > -50 mV -> v = -60 mV, refractory 5 ms; excitatory spike: ge += 1.62 mV; inhibitory: gi += -9 mV
//   initial v uniform in [-60, -50] mV, ge = gi = 0
//
// Integration: the synapses decay exactly (exp(-dt / tau)), and v by
// exponential Euler, exact for v given the step's current held constant.
// Brian2 solves the three linear equations together exactly (ge decays during
// the step): a synaptic input here acts about 1 % (ge) and 0.5 % (gi) more
// strongly per step, which moves the mean rate by far less than the
// seed-to-seed spread (the validation test checks it against Brian2's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <modyn/modyn.hpp>

namespace networks {

struct CubaOptions {
  std::size_t N = 4000;
  double p = 0.02;
  std::uint64_t seed = 1;
};

template <class B = modyn::cpu>
class Cuba : public modyn::Module<Cuba<B>> {
 public:
  using Neurons = modyn::dyn::LIF<float, B, modyn::dyn::exp_euler>;
  using Synapses = modyn::dyn::AlignPostProj<modyn::dyn::SparseConn<float, B>, modyn::dyn::Expon<float, B>,
                                             modyn::dyn::CUBA<float>>;

  Neurons P;
  Synapses exc, inh;
  MODYN_FIELDS(P, exc, inh)

  Cuba() : Cuba(CubaOptions{}) {}
  explicit Cuba(const CubaOptions& o)
      : P(o.N, {.V_rest = -49.f, .V_reset = -60.f, .V_th = -50.f, .tau = 20.f, .R = 1.f, .tau_ref = 5.f}),
        exc(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                excitatory(o.N), o.N, o.p, connect_rng(o, 0), {.weight = 1.62f})),
            modyn::dyn::Expon<float, B>(o.N, {.tau = 5.f}), modyn::dyn::CUBA<float>{}),
        inh(modyn::dyn::SparseConn<float, B>(modyn::dyn::fixed_probability<float>(
                o.N - excitatory(o.N), o.N, o.p, connect_rng(o, 1), {.weight = -9.f})),
            modyn::dyn::Expon<float, B>(o.N, {.tau = 10.f}), modyn::dyn::CUBA<float>{},
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

  void on_reset_state(std::size_t /*batch_size*/) { modyn::Rng(seed_).split(2).uniform(*P.V, -60.f, -50.f); }

 private:
  static modyn::Rng connect_rng(const CubaOptions& o, std::uint64_t which) {
    return modyn::Rng(o.seed).split(which);
  }

  std::uint64_t seed_ = 1;
};

}  // namespace networks
