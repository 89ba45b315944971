#!/usr/bin/env python3
"""The neural models of benchmarks/cuda.cu in PyTorch on the same GPU: the
peer of modyn::cuda's seed RNN and rnn-512 forward (shared/BENCHMARKS.md).

Prints lines "name value unit" as bench_cuda does: the median of 7 timings,
each of 20 forwards, synchronised before and after. FP32 (TF32 off), as
modyn::cuda's default.
"""
import statistics
import sys
import time

try:
    import torch
except ImportError:
    print("cuda_torch: PyTorch is not installed: no peer figures")
    sys.exit(0)

if not torch.cuda.is_available():
    print("cuda_torch: PyTorch sees no CUDA device: no peer figures")
    sys.exit(0)

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
device = torch.device("cuda")


class Seed(torch.nn.Module):
    """RNNCell(100 -> 20, tanh), relu, RNNCell(20 -> 2, tanh), time major."""

    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.RNNCell(100, 20, nonlinearity="tanh")
        self.l2 = torch.nn.RNNCell(20, 2, nonlinearity="tanh")

    def forward(self, x):
        h1 = torch.zeros(x.shape[1], 20, device=x.device)
        h2 = torch.zeros(x.shape[1], 2, device=x.device)
        out = []
        for t in range(x.shape[0]):
            h1 = self.l1(x[t], h1)
            h2 = self.l2(torch.relu(h1), h2)
            out.append(h2)
        return torch.stack(out)


class Rnn512(torch.nn.Module):
    """RNNCell(256 -> 512, tanh), relu, Linear(512 -> 10), time major."""

    def __init__(self):
        super().__init__()
        self.cell = torch.nn.RNNCell(256, 512, nonlinearity="tanh")
        self.out = torch.nn.Linear(512, 10)

    def forward(self, x):
        h = torch.zeros(x.shape[1], 512, device=x.device)
        out = []
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
            out.append(self.out(torch.relu(h)))
        return torch.stack(out)


def seconds_per_call(f, inner=20, repeats=7):
    f()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(inner):
            f()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def report(name, model, shape):
    model = model.to(device)
    x = torch.randn(*shape, device=device)
    with torch.no_grad():
        s = seconds_per_call(lambda: model(x))
    print(f"{name + ' forward (torch)':34s} {s * 1e6:12.4g} us")


print(f"cuda_torch: PyTorch {torch.__version__} on {torch.cuda.get_device_name(0)}")
report("seed RNN (T=30, B=128)", Seed(), (30, 128, 100))
report("rnn-512 (T=100, B=64)", Rnn512(), (100, 64, 256))
