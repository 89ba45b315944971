"""PyTorch models exchanged with modyn through safetensors files, for
tests/io/pytorch.cpp.

    python torch_models.py export DIR NAME...   # train models in PyTorch, save them with inputs and outputs
    python torch_models.py import DIR   # load modyn's checkpoints strictly, compare with modyn's outputs

The models (the same table as in pytorch.cpp), each NAME.safetensors holding
its state_dict and NAME_io.safetensors its input x (steps, batch, in) and its
outputs: y (steps, batch, out) for a Linear or a Sequential run on all of x,
the hidden state h after each step (steps, batch, hidden) for a cell run
step by step from zeros, and the LSTM's cell state c too. Exits non-zero,
saying why, on the first difference.
"""

import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

STEPS, BATCH, IN, HIDDEN = 5, 3, 4, 6


def models():
    return {
        "linear": torch.nn.Linear(5, 3),
        "rnn_tanh": torch.nn.RNNCell(IN, HIDDEN, nonlinearity="tanh"),
        "rnn_relu": torch.nn.RNNCell(IN, HIDDEN, nonlinearity="relu"),
        "gru": torch.nn.GRUCell(IN, HIDDEN),
        "lstm": torch.nn.LSTMCell(IN, HIDDEN),
        "mlp": torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)),
    }


def run(name, model, x):
    """The outputs of the model over x, as a dict of tensors."""
    if isinstance(model, (torch.nn.Linear, torch.nn.Sequential)):
        return {"y": model(x)}
    h = torch.zeros(x.shape[1], model.hidden_size)
    c = torch.zeros_like(h)
    hs, cs = [], []
    for step in x:
        if isinstance(model, torch.nn.LSTMCell):
            h, c = model(step, (h, c))
            cs.append(c)
        else:
            h = model(step, h)
        hs.append(h)
    out = {"h": torch.stack(hs)}
    if cs:
        out["c"] = torch.stack(cs)
    return out


def input_for(model, generator):
    width = model[0].in_features if isinstance(model, torch.nn.Sequential) else (
        model.in_features if isinstance(model, torch.nn.Linear) else model.input_size)
    return torch.randn(STEPS, BATCH, width, generator=generator)


def export(directory, names):
    torch.manual_seed(0)
    table = models()
    for name in names:
        model = table[name]
        # A few steps of training, so that the weights are not PyTorch's
        # initial ones: pull every output towards 0.5.
        generator = torch.Generator().manual_seed(1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            outputs = run(name, model, input_for(model, generator))
            loss = sum(((v - 0.5) ** 2).mean() for v in outputs.values())
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            x = input_for(model, generator)
            outputs = run(name, model, x)
        save_file(model.state_dict(), f"{directory}/{name}.safetensors")
        save_file({"x": x.contiguous(), **{k: v.contiguous() for k, v in outputs.items()}},
                  f"{directory}/{name}_io.safetensors")
    print(f"export: {', '.join(names)}")


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def import_(directory, names):
    # The modules modyn saved: the shapes of pytorch.cpp's modyn models.
    if names:
        fail("import takes no names")
    names = ["linear", "rnn_tanh", "rnn_relu", "gru", "lstm", "mlp", "mlp_named"]
    table = models()
    table["mlp_named"] = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    for name in names:
        model = table[name]
        path = f"{directory}/{name}.safetensors"
        with safe_open(path, framework="pt") as f:
            if f.metadata().get("format") != "pt":
                fail(f"{name}: metadata {f.metadata()} lacks format: pt")
        try:
            model.load_state_dict(load_file(path), strict=True)
        except RuntimeError as e:
            fail(f"{name}: load_state_dict(strict=True): {e}")
        io = load_file(f"{directory}/{name}_io.safetensors")
        with torch.no_grad():
            outputs = run(name, model, io["x"])
        for key, value in outputs.items():
            want = io[key]
            if value.shape != want.shape:
                fail(f"{name}: {key} has shape {tuple(value.shape)} in torch, {tuple(want.shape)} in modyn")
            if not torch.allclose(value, want, rtol=1e-5, atol=1e-6):
                worst = (value - want).abs().max().item()
                fail(f"{name}: {key} differs by up to {worst}\ntorch:\n{value}\nmodyn:\n{want}")
    print(f"import: {len(names)} models load strictly and match modyn's outputs")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("export", "import"):
        fail("usage: torch_models.py export DIR NAME... | import DIR")
    {"export": export, "import": import_}[sys.argv[1]](sys.argv[2], sys.argv[3:])
