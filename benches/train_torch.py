#!/usr/bin/env python3
"""Replays `dlscope train --json --include-weights` in PyTorch and prints the largest difference.

Each run is rebuilt as torch.nn.RNN / torch.nn.LSTM (batch_first, float64) with a torch.nn.Linear
head on the last hidden state, loaded from the run's `initial_state` (PyTorch's state_dict names),
and trained on the run's exported batches (the first min(N, 20)) with the same optimizer
(torch.optim.SGD with momentum, or torch.optim.Adam) and clipping
(torch.nn.utils.clip_grad_norm_ / clip_grad_value_). For every replayed iteration it compares
the loss before the update and the total gradient norm before clipping with dlscope's.

    cargo build
    python3 benches/train_torch.py --run --preset exploding
    python3 benches/train_torch.py --run --preset long-memory
    python3 benches/train_torch.py --run --task recall --cell lstm --optimizer sgd --clip value:0.01
    dlscope train --preset exploding --json --include-weights > run.json
    python3 benches/train_torch.py run.json

Exits with status 1 when a relative difference exceeds --tolerance (default 1e-9).
"""

import argparse
import json
import os
import subprocess
import sys

import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)


def replay(run, steps):
    state = run["initial_state"]
    w_ih = torch.tensor(state["rnn.weight_ih_l0"])
    hidden = len(state["rnn.weight_hh_l0"][0])
    inputs = w_ih.shape[1]
    outputs = len(state["head.bias"])
    if run["cell"] == "lstm":
        rnn = torch.nn.LSTM(inputs, hidden, batch_first=True)
    else:
        rnn = torch.nn.RNN(inputs, hidden, nonlinearity=run["activation"], batch_first=True)
    head = torch.nn.Linear(hidden, outputs)
    model = torch.nn.ModuleDict({"rnn": rnn, "head": head})
    model.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    params = list(model.parameters())
    if run["optimizer"] == "adam":
        opt = torch.optim.Adam(params, lr=run["lr"])
    else:
        opt = torch.optim.SGD(params, lr=run["lr"], momentum=run["momentum"])
    clip = run["clip"]
    mode, _, threshold = clip.partition(":")
    regression = outputs == 1 and run["accuracy"] is None
    losses, norms = [], []
    for batch in run["batches"]:
        x = torch.tensor(batch["inputs"])
        out, _ = rnn(x)
        y = head(out[:, -1, :])
        if regression:
            loss = torch.nn.functional.mse_loss(y.squeeze(1), torch.tensor(batch["targets"]))
        else:
            loss = torch.nn.functional.cross_entropy(y, torch.tensor(batch["targets"]))
        losses.append(loss.item())
        if not torch.isfinite(loss):
            break
        opt.zero_grad()
        loss.backward()
        total = torch.linalg.vector_norm(
            torch.stack([torch.linalg.vector_norm(p.grad) for p in params])
        )
        norms.append(total.item())
        if mode == "norm":
            torch.nn.utils.clip_grad_norm_(params, float(threshold))
        elif mode == "value":
            torch.nn.utils.clip_grad_value_(params, float(threshold))
        opt.step()
    return losses, norms


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="JSON from dlscope train --json --include-weights")
    ap.add_argument("--tolerance", type=float, default=1e-9)
    ap.add_argument("--run", nargs=argparse.REMAINDER, help="run dlscope train with these flags")
    args = ap.parse_args()
    if args.run is not None:
        exe = os.environ.get("DLSCOPE", "target/debug/dlscope")
        text = subprocess.run(
            [exe, "train", *args.run, "--json", "--include-weights"],
            check=True, capture_output=True, text=True,
        ).stdout
    elif args.file:
        with open(args.file) as f:
            text = f.read()
    else:
        text = sys.stdin.read()
    report = json.loads(text)
    worst = 0.0
    for i, run in enumerate(report["runs"]):
        losses, norms = replay(run, report["steps"])
        ours_loss = run["loss"][: len(losses)]
        ours_norm = run["grad_norm"][: len(norms)]
        d_loss = max(rel(a, b) for a, b in zip(ours_loss, losses))
        d_norm = max(rel(a, b) for a, b in zip(ours_norm, norms))
        worst = max(worst, d_loss, d_norm)
        print(
            f"run {i + 1} ({run['cell']}, {run['optimizer']}, clip {run['clip']}): "
            f"{len(losses)} iterations replayed; largest relative difference "
            f"loss {d_loss:.2e}, grad_norm {d_norm:.2e}"
        )
    print(f"largest relative difference over all runs: {worst:.2e}")
    sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
