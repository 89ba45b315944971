#!/usr/bin/env python3
"""Reference values for tests/train/losses.cpp, from PyTorch (Debian's
python3-torch; run with /usr/bin/python3). The numbers it prints are pasted
into the test; rerun it and compare after changing an input here."""
import torch

torch.set_default_dtype(torch.float64)


def show(name, t):
    flat = t.detach().reshape(-1).tolist()
    print(f"{name} = {{" + ", ".join(f"{v!r}" for v in flat) + "}")


print("torch", torch.__version__)

# MSE, mean over every element.
p = torch.tensor([[0.5, -1.25, 2.0], [3.0, 0.0, -0.75]], requires_grad=True)
t = torch.tensor([[1.0, -1.0, 0.5], [2.5, 0.25, -2.0]])
loss = torch.nn.functional.mse_loss(p, t)
loss.backward()
print("mse", repr(loss.item()))
show("mse_grad", p.grad)

# Cross entropy with logits, integer classes.
z = torch.tensor([[1.5, -0.5, 0.25, 2.0], [-1.0, 0.0, 3.0, 0.5], [0.75, 0.75, -2.0, 1.25]],
                 requires_grad=True)
y = torch.tensor([3, 0, 2])
loss = torch.nn.functional.cross_entropy(z, y)
loss.backward()
print("ce_classes", repr(loss.item()))
show("ce_classes_grad", z.grad)

# Cross entropy with logits, probability targets (rows sum to 1).
z.grad = None
q = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]])
loss = torch.nn.functional.cross_entropy(z, q)
loss.backward()
print("ce_probabilities", repr(loss.item()))
show("ce_probabilities_grad", z.grad)

# Firing-rate regularizer: weight * mean over (batch, neuron) of
# (mean over time of the spikes - target)^2, spikes of shape (T, B, N).
s = torch.tensor([[[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]],
                  [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]],
                  [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]],
                  [[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]], requires_grad=True)
loss = 0.5 * ((s.mean(0) - 0.2) ** 2).mean()
loss.backward()
print("firing_rate", repr(loss.item()))
show("firing_rate_grad", s.grad)

# Spike-count regularizer (snntorch's l1_rate_sparsity): weight * sum.
s.grad = None
loss = 1e-3 * s.sum()
loss.backward()
print("spike_count", repr(loss.item()))
