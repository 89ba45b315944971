#!/usr/bin/env python3
"""COBA, CUBA and COBAHH in BrainPy (brainpy.dyn, on JAX's CPU backend), the
definitions of shared/BENCHMARKS.md written as BrainPy's documentation
writes these networks: E and I populations (LifRef; a custom HH for COBAHH
with bp.odeint), four ProjAlignPostMg2 projections with EventCSRLinear over
FixedProb, Expon synapses and COBA/CUBA outputs. For benchmarks/run_networks;
prints one line:

    brainpy <model> N=<N> T=<s> sim_s=<simulation time> spikes=<K> rate_Hz=<r>

sim_s is the second run of the jitted loop (the first compiles). Run one
thread: benchmarks/run_networks sets XLA_FLAGS and pins the process.

    networks_brainpy.py coba|cuba|cobahh N T_seconds
"""
import sys
import time

import brainpy as bp
import brainpy.math as bm
import jax
import numpy as np

model, N, T = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
bm.set_dt(0.1)
bm.random.seed(1)
p = 0.02 if N <= 4000 else 80.0 / N
Ne, Ni = int(N * 0.8), N - int(N * 0.8)


class TraubMilesHH(bp.dyn.NeuDyn):
    """The COBAHH cell (Brette et al. 2007), exponential Euler as in Brian2."""

    def __init__(self, size):
        super().__init__(size=size)
        self.Cm, self.gl, self.El, self.EK, self.ENa = 200., 10., -60., -90., 50.
        self.g_na, self.g_kd, self.VT = 20000., 6000., -63.
        self.V = bm.Variable(-65. + 5. * bm.random.randn(self.num))
        self.m = bm.Variable(bm.zeros(self.num))
        self.n = bm.Variable(bm.zeros(self.num))
        self.h = bm.Variable(bm.zeros(self.num))
        self.spike = bm.Variable(bm.zeros(self.num, dtype=bool))
        self.t_last = bm.Variable(bm.ones(self.num) * -1e7)
        self.integral = bp.odeint(bp.JointEq(self.dV, self.dm, self.dh, self.dn), method='exp_auto')

    def dV(self, V, t, m, h, n, I):
        return (self.gl * (self.El - V) - self.g_na * m ** 3 * h * (V - self.ENa)
                - self.g_kd * n ** 4 * (V - self.EK) + I) / self.Cm

    def dm(self, m, t, V):
        u = V - self.VT
        a = 0.32 * (13 - u) / (bm.exp((13 - u) / 4) - 1)
        b = 0.28 * (u - 40) / (bm.exp((u - 40) / 5) - 1)
        return a * (1 - m) - b * m

    def dh(self, h, t, V):
        u = V - self.VT
        return 0.128 * bm.exp((17 - u) / 18) * (1 - h) - 4 / (1 + bm.exp((40 - u) / 5)) * h

    def dn(self, n, t, V):
        u = V - self.VT
        a = 0.032 * (15 - u) / (bm.exp((15 - u) / 5) - 1)
        return a * (1 - n) - 0.5 * bm.exp((10 - u) / 40) * n

    def return_info(self):  # what a projection's delay reads
        return self.spike

    def update(self, x=None):
        t = bp.share['t']
        I = self.sum_current_inputs(self.V.value)
        V, m, h, n = self.integral(self.V.value, self.m.value, self.h.value, self.n.value, t, I, bm.dt)
        spike = bm.logical_and(V > -20., t - self.t_last.value >= 3.)
        self.t_last.value = bm.where(spike, t, self.t_last.value)
        self.V.value, self.m.value, self.h.value, self.n.value = V, m, h, n
        self.spike.value = spike
        return spike


class EINet(bp.DynSysGroup):
    def __init__(self):
        super().__init__()
        if model == "cobahh":
            self.E, self.I = TraubMilesHH(Ne), TraubMilesHH(Ni)
            we, wi, out_e, out_i = 6., 67., bp.dyn.COBA.desc(E=0.), bp.dyn.COBA.desc(E=-80.)
        else:
            if model == "coba":
                pars = dict(V_rest=-60., V_th=-50., V_reset=-60., tau=20., tau_ref=5., method='euler',
                            V_initializer=bp.init.Normal(-65., 5.))
                we, wi, out_e, out_i = 0.6, 6.7, bp.dyn.COBA.desc(E=0.), bp.dyn.COBA.desc(E=-80.)
            else:
                pars = dict(V_rest=-49., V_th=-50., V_reset=-60., tau=20., tau_ref=5.,
                            V_initializer=bp.init.Uniform(-60., -50.))
                we, wi, out_e, out_i = 1.62, -9., bp.dyn.CUBA.desc(), bp.dyn.CUBA.desc()
            self.E, self.I = bp.dyn.LifRef(Ne, **pars), bp.dyn.LifRef(Ni, **pars)

        def proj(pre, post, w, tau, out):
            return bp.dyn.ProjAlignPostMg2(
                pre=pre, delay=None,
                comm=bp.dnn.EventCSRLinear(bp.conn.FixedProb(p, pre=pre.num, post=post.num), w),
                syn=bp.dyn.Expon.desc(post.varshape, tau=tau), out=out, post=post)

        self.E2E = proj(self.E, self.E, we, 5., out_e)
        self.E2I = proj(self.E, self.I, we, 5., out_e)
        self.I2E = proj(self.I, self.E, wi, 10., out_i)
        self.I2I = proj(self.I, self.I, wi, 10., out_i)

    def update(self):
        self.E2E()
        self.E2I()
        self.I2E()
        self.I2I()
        self.E()
        self.I()
        return self.E.spike.value.sum() + self.I.spike.value.sum()


net = EINet()
if model != "cuba":  # the benchmark's initial conductances (in 10 nS for COBAHH)
    scale = 10. if model == "cobahh" else 1.
    for proj, post, mean, sd in ((net.E2E, net.E, 4., 1.5), (net.E2I, net.I, 4., 1.5),
                                 (net.I2E, net.E, 20., 12.), (net.I2I, net.I, 20., 12.)):
        proj.refs['syn'].g.value = (bm.random.randn(post.num) * sd + mean) * scale
steps = int(round(T * 1000 / 0.1))


@bm.jit
def run(indices):
    return bm.for_loop(lambda i: net.step_run(i), indices)


indices = np.arange(steps)
jax.block_until_ready(run(indices))  # compiles (and runs once)
start = time.perf_counter()
counts = jax.block_until_ready(run(indices + steps))
sim = time.perf_counter() - start
spikes = int(np.asarray(counts).sum())
print(f"brainpy {model} N={N} T={T} sim_s={sim:.5f} spikes={spikes} rate_Hz={spikes / (N * T):.3f}")
