#!/usr/bin/env python3
"""Draws membrane-potential traces saved by modyn (io::save_npy) to a PNG.

    plot_trace.py [--dt 0.1] [--out hh.png] trace.npy [trace.npy ...]

Each file holds a (T,) or (T, neurons) array recorded every dt ms; each file
gets its own panel, one line per neuron. Uses Debian's python3-matplotlib and
python3-numpy (run with /usr/bin/python3).
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces", nargs="+", help=".npy files of shape (T,) or (T, neurons)")
    parser.add_argument("--dt", type=float, default=0.1, help="time step of the recording (ms)")
    parser.add_argument("--out", default="trace.png", help="the PNG to write")
    parser.add_argument("--ylabel", default="V (mV)")
    args = parser.parse_args()

    fig, axes = plt.subplots(len(args.traces), 1, figsize=(7, 2.4 * len(args.traces)), sharex=True, squeeze=False)
    for ax, path in zip(axes[:, 0], args.traces):
        trace = np.load(path)
        if trace.ndim == 1:
            trace = trace[:, None]
        trace = trace.reshape(trace.shape[0], -1)
        t = np.arange(trace.shape[0]) * args.dt
        ax.plot(t, trace, linewidth=1)
        ax.set_title(os.path.splitext(os.path.basename(path))[0], fontsize=10)
        ax.set_ylabel(args.ylabel)
    axes[-1, 0].set_xlabel("time (ms)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
