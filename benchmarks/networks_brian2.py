#!/usr/bin/env python3
"""COBA, CUBA and COBAHH in Brian2 (cpp_standalone, one thread), the
definitions of shared/BENCHMARKS.md as Brian2's examples write them, for
benchmarks/run_networks. Prints one line:

    brian2 <model> N=<N> T=<s> sim_s=<simulation time> spikes=<K> rate_Hz=<r> synapses=<S>

sim_s is the standalone program's own time of the run (code generation and
the C++ build excluded). Run with Debian's python3-brian (/usr/bin/python3).

    networks_brian2.py coba|cuba|cobahh N T_seconds seed build_dir [threads]

threads > 1: Brian2's OpenMP (prefs.devices.cpp_standalone.openmp_threads).
"""
import sys

from brian2 import (NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, defaultclock, device, exp, mV, ms, nS,
                    prefs, run, second, seed, set_device, siemens, umetre, cm, ufarad, msiemens, pF)

model, N, T, rng_seed, build_dir = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
threads = int(sys.argv[6]) if len(sys.argv) > 6 else 1
set_device("cpp_standalone", directory=build_dir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = threads if threads > 1 else 0
defaultclock.dt = 0.1 * ms
seed(rng_seed)
p = 0.02 if N <= 4000 else 80.0 / N
Ne = int(N * 0.8)

if model == "coba":
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El, Ee, Ei = -50 * mV, -60 * mV, -60 * mV, 0 * mV, -80 * mV
    eqs = """
    dv/dt  = (ge*(Ee-v)+gi*(Ei-v)-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : 1
    dgi/dt = -gi/taui : 1
    """
    P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="euler")
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4)"
    P.gi = "(randn() * 12 + 20)"
    we, wi = 0.6, 6.7
elif model == "cuba":
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we, wi = "1.62*mV", "-9*mV"
else:
    area = 20000 * umetre ** 2
    Cm = (1 * ufarad * cm ** -2) * area
    gl = (5e-5 * siemens * cm ** -2) * area
    El, EK, ENa = -60 * mV, -90 * mV, 50 * mV
    g_na = (100 * msiemens * cm ** -2) * area
    g_kd = (30 * msiemens * cm ** -2) * area
    VT = -63 * mV
    taue, taui = 5 * ms, 10 * ms
    Ee, Ei = 0 * mV, -80 * mV
    eqs = """
    dv/dt = (gl*(El-v)+ge*(Ee-v)+gi*(Ei-v)-g_na*(m*m*m)*h*(v-ENa)-g_kd*(n*n*n*n)*(v-EK))/Cm : volt
    dm/dt = 0.32*(mV**-1)*(13.*mV-v+VT)/(exp((13.*mV-v+VT)/(4.*mV))-1.)/ms*(1-m)-0.28*(mV**-1)*(v-VT-40.*mV)/(exp((v-VT-40.*mV)/(5.*mV))-1.)/ms*m : 1
    dn/dt = 0.032*(mV**-1)*(15.*mV-v+VT)/(exp((15.*mV-v+VT)/(5.*mV))-1.)/ms*(1.-n)-.5*exp((10.*mV-v+VT)/(40.*mV))/ms*n : 1
    dh/dt = 0.128*exp((17.*mV-v+VT)/(18.*mV))/ms*(1.-h)-4./(1+exp((40.*mV-v+VT)/(5.*mV)))/ms*h : 1
    dge/dt = -ge*(1./taue) : siemens
    dgi/dt = -gi*(1./taui) : siemens
    """
    P = NeuronGroup(N, eqs, threshold="v>-20*mV", refractory=3 * ms, method="exponential_euler")
    P.v = "El + (randn() * 5 - 5)*mV"
    P.ge = "(randn() * 1.5 + 4) * 10.*nS"
    P.gi = "(randn() * 12 + 20) * 10.*nS"
    we, wi = "6*nS", "67*nS"

Ce = Synapses(P[:Ne], P, on_pre=f"ge += {we}")
Ci = Synapses(P[Ne:], P, on_pre=f"gi += {wi}")
Ce.connect(p=p)
Ci.connect(p=p)
spikes = SpikeMonitor(P)
run(T * second)
device.build(directory=build_dir, compile=True, run=True, debug=False)
sim = device._last_run_time
count = spikes.num_spikes
print(f"brian2 {model} N={N} T={T} sim_s={sim:.5f} spikes={count} rate_Hz={count / (N * T):.3f} "
      f"synapses={len(Ce) + len(Ci)}")
