#!/usr/bin/env python3
"""Draws a raster plot of spikes saved by modyn, with the population rate below.

    plot_raster.py [--dt 0.1] [--neurons 4000] [--show 500] [--out raster.png] spikes.npy

spikes.npy holds (K, 2) int64 rows (step, neuron), as io::save_npy writes a
SpikeRecord (examples/coba.cpp). The raster shows the first --show neurons;
the rate panel is the whole population's, in 1 ms bins. Uses Debian's
python3-matplotlib and python3-numpy (run with /usr/bin/python3).
"""
import argparse

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spikes", help=".npy of (K, 2) int64 rows (step, neuron)")
    parser.add_argument("--dt", type=float, default=0.1, help="time step (ms)")
    parser.add_argument("--neurons", type=int, default=4000, help="size of the population (for the rate)")
    parser.add_argument("--show", type=int, default=500, help="neurons shown in the raster")
    parser.add_argument("--bin", type=float, default=1.0, help="bin of the population rate (ms)")
    parser.add_argument("--title", default="")
    parser.add_argument("--out", default="raster.png", help="the PNG to write")
    args = parser.parse_args()

    events = np.load(args.spikes)
    if events.ndim != 2 or events.shape[1] != 2:
        raise SystemExit(f"{args.spikes}: expected (K, 2) rows of (step, neuron), got shape {events.shape}")
    times = events[:, 0] * args.dt
    neurons = events[:, 1]
    end = float(times.max()) + args.dt if len(times) else 1.0

    fig, (raster, rate) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    shown = neurons < args.show
    raster.plot(times[shown], neurons[shown], ",k")
    raster.set_ylabel("neuron")
    raster.set_ylim(-0.5, args.show - 0.5)
    if args.title:
        raster.set_title(args.title)
    bins = np.arange(0.0, end + 1e-9, args.bin)
    counts, _ = np.histogram(times, bins)
    rate.plot(bins[:-1], counts / (args.neurons * args.bin / 1000.0), "k", linewidth=0.8)
    rate.set_xlabel("time (ms)")
    rate.set_ylabel("rate (Hz)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}: {len(events)} spikes, mean rate {len(events) / (args.neurons * end / 1000.0):.2f} Hz")


if __name__ == "__main__":
    main()
