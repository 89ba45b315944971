#!/usr/bin/env python3
"""Reference numbers for tests/train/optimizers.cpp, from PyTorch 1.13
(Debian's python3-torch): torch.optim.SGD / Adam / AdamW over a small model
with hand-set gradients, torch.nn.utils.clip_grad_norm_, and the learning
rates of torch.optim.lr_scheduler. Run once with /usr/bin/python3; its
output is pasted into the test.

The model is the test's Net: l1.weight (3, 2), l1.bias (2,), tau (2,) and
frozen (2,), in that (traversal) order. The gradient is that of the
quadratic loss sum_k c_k (theta_k - t_k)^2 / 2 over the flat index k of
l1.weight, l1.bias, tau: c_k = 1 + (k % 3) / 2, t_k = 0.2 k - 0.5. tau gets
its first gradient at step 3 (its .grad is None before, so the optimizer
skips it); frozen never gets one."""
import math

import torch

INIT = {
    "l1.weight": [[0.5, -0.3], [0.2, 0.8], [-0.6, 0.1]],
    "l1.bias": [0.05, -0.1],
    "tau": [-0.5, 0.3],
    "frozen": [1.0, 2.0],
}
TRAINED = ["l1.weight", "l1.bias", "tau"]


def make(dtype):
    return {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in INIT.items()}


def set_grads(params, step):
    k = 0
    for name in TRAINED:
        p = params[name]
        flat = p.detach().reshape(-1)
        g = torch.empty_like(flat)
        for i in range(flat.numel()):
            c = 1.0 + 0.5 * (k % 3)
            t = 0.2 * k - 0.5
            g[i] = c * (flat[i] - t)
            k += 1
        if name == "tau" and step < 3:
            continue
        p.grad = g.reshape(p.shape).clone()


def flat(params):
    return [x for name in TRAINED for x in params[name].detach().reshape(-1).tolist()]


def cxx(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


CONFIGS = [
    ("sgd", "SGD lr", torch.float64, torch.optim.SGD, dict(lr=0.1)),
    ("sgd", "SGD momentum", torch.float64, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    ("sgd", "SGD momentum dampening weight_decay", torch.float64, torch.optim.SGD,
     dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=0.01)),
    ("sgd", "SGD nesterov weight_decay", torch.float64, torch.optim.SGD,
     dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("sgd", "SGD maximize momentum", torch.float64, torch.optim.SGD, dict(lr=0.02, momentum=0.5, maximize=True)),
    ("adam", "Adam lr", torch.float64, torch.optim.Adam, dict(lr=0.05)),
    ("adam", "Adam weight_decay", torch.float64, torch.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    ("adam", "Adam amsgrad betas eps", torch.float64, torch.optim.Adam,
     dict(lr=0.05, betas=(0.8, 0.95), eps=1e-3, amsgrad=True)),
    ("adam", "Adam amsgrad weight_decay maximize", torch.float64, torch.optim.Adam,
     dict(lr=0.01, weight_decay=0.05, amsgrad=True, maximize=True)),
    ("adamw", "AdamW default weight_decay", torch.float64, torch.optim.AdamW, dict(lr=0.05)),
    ("adamw", "AdamW amsgrad betas weight_decay", torch.float64, torch.optim.AdamW,
     dict(lr=0.05, betas=(0.85, 0.99), weight_decay=0.2, amsgrad=True)),
    ("adam", "Adam amsgrad float32", torch.float32, torch.optim.Adam, dict(lr=0.05, amsgrad=True)),
    ("sgd", "SGD nesterov float32", torch.float32, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
]


def optimizers():
    print("// ---- optimizers: raw values of l1.weight, l1.bias, tau after step 1 and step 5")
    for kind, name, dtype, cls, kwargs in CONFIGS:
        params = make(dtype)
        opt = cls(list(params.values()), **kwargs)
        after = {}
        for step in range(1, 6):
            opt.zero_grad(set_to_none=False)
            set_grads(params, step)
            opt.step()
            after[step] = flat(params)
        assert params["frozen"].tolist() == INIT["frozen"]
        print(f'{{"{name}", {cxx(after[1])},\n  {cxx(after[5])}}},')
        if name == "Adam amsgrad betas eps":
            state = opt.state[params["tau"]]
            print("// its state of tau: step, exp_avg, exp_avg_sq, max_exp_avg_sq")
            print(int(state["step"].item()), cxx(state["exp_avg"].tolist()), cxx(state["exp_avg_sq"].tolist()),
                  cxx(state["max_exp_avg_sq"].tolist()))
            print("// step of l1.weight:", int(opt.state[params["l1.weight"]]["step"].item()))


GRADS = {
    "l1.weight": [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.05]],
    "l1.bias": [1.5, -0.25],
    "tau": [-3.0, 0.4],
}


def clipping():
    print("// ---- clip_grad_norm: norm_type, total norm, clipped gradients (max_norm 1)")
    for norm_type in (2.0, 1.0, math.inf, 3.0):
        params = make(torch.float64)
        for name, g in GRADS.items():
            params[name].grad = torch.tensor(g, dtype=torch.float64)
        total = torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0, norm_type=norm_type)
        clipped = [x for name in TRAINED for x in params[name].grad.reshape(-1).tolist()]
        print(f"{{{norm_type!r}, {total.item()!r}, {cxx(clipped)}}},")


def schedules():
    print("// ---- learning rates of epochs 0, 1, ... (base lr 0.1)")
    sched = torch.optim.lr_scheduler

    def run(name, build, epochs):
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=0.1)
        s = build(opt)
        lrs = [s.get_last_lr()[0]]
        for _ in range(epochs):
            opt.step()
            s.step()
            lrs.append(s.get_last_lr()[0])
            assert opt.param_groups[0]["lr"] == lrs[-1]
        print(f"// {name}\n{cxx(lrs)},")

    run("StepLR(step_size=3, gamma=0.5)", lambda o: sched.StepLR(o, step_size=3, gamma=0.5), 12)
    run("ExponentialLR(gamma=0.9)", lambda o: sched.ExponentialLR(o, gamma=0.9), 8)
    run("CosineAnnealingLR(T_max=10, eta_min=0.001)", lambda o: sched.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
        25)
    run("LinearLR(start_factor=0.25, end_factor=1.0, total_iters=4)",
        lambda o: sched.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8)
    run("LinearLR()", lambda o: sched.LinearLR(o), 8)
    run("SequentialLR([LinearLR(start_factor=0.1, total_iters=3), CosineAnnealingLR(T_max=8)], milestones=[3])",
        lambda o: sched.SequentialLR(o, [sched.LinearLR(o, start_factor=0.1, total_iters=3),
                                         sched.CosineAnnealingLR(o, T_max=8)], milestones=[3]), 15)


if __name__ == "__main__":
    print("// torch", torch.__version__)
    optimizers()
    clipping()
    schedules()
