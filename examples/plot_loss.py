#!/usr/bin/env python3
"""Draws the loss curves written by examples/train_rnn.cpp and train_snn.cpp to a PNG.

    plot_loss.py [--out loss.png] [--smooth 20] curve.csv [curve.csv ...]

Each CSV has a header row and a "step" column; every other column ("loss",
"lr", "accuracy", ...) gets its own panel, the loss on a log scale, with a
moving average over --smooth steps drawn over the raw values. Uses Debian's
python3-matplotlib and python3-numpy (run with /usr/bin/python3).
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt
import numpy as np


def moving_average(values, width):
    if width <= 1 or len(values) < width:
        return None
    kernel = np.ones(width) / width
    return np.convolve(values, kernel, mode="valid")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("curves", nargs="+", help="CSV files with a header and a 'step' column")
    parser.add_argument("--out", default="loss.png", help="the PNG to write")
    parser.add_argument("--smooth", type=int, default=20, help="moving-average width in steps (1: none)")
    args = parser.parse_args()

    tables = []
    for path in args.curves:
        data = np.genfromtxt(path, delimiter=",", names=True)
        if data.dtype.names is None or "step" not in data.dtype.names:
            raise SystemExit(f"{path}: expected a CSV with a header row and a 'step' column")
        data = np.atleast_1d(data)
        if len(data) == 0:
            raise SystemExit(f"{path}: no rows")
        tables.append((os.path.splitext(os.path.basename(path))[0], data))
    columns = []
    for _, data in tables:
        columns += [c for c in data.dtype.names if c != "step" and c not in columns]

    fig, axes = plt.subplots(len(columns), 1, figsize=(7, 2.6 * len(columns)), sharex=True, squeeze=False)
    for ax, column in zip(axes[:, 0], columns):
        for name, data in tables:
            if column not in data.dtype.names:
                continue
            step, values = data["step"], data[column]
            smooth = moving_average(values, args.smooth) if column != "lr" else None
            line = ax.plot(step, values, linewidth=0.8, alpha=0.35 if smooth is not None else 1.0,
                           label=name)[0]
            if smooth is not None:
                ax.plot(step[args.smooth - 1:], smooth, linewidth=1.5, color=line.get_color())
        ax.set_ylabel(column)
        if column in ("loss", "lr") and np.all([np.all(d[column] > 0) for _, d in tables if column in d.dtype.names]):
            ax.set_yscale("log")
        if len(tables) > 1:
            ax.legend(fontsize=8)
    axes[-1, 0].set_xlabel("training step")
    axes[0, 0].set_title(", ".join(name for name, _ in tables), fontsize=10)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    last = tables[0][1]
    print(f"wrote {args.out}: {len(last)} steps, last loss {last['loss'][-1]:.5g}"
          if "loss" in last.dtype.names else f"wrote {args.out}")


if __name__ == "__main__":
    main()
