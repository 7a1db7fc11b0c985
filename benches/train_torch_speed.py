#!/usr/bin/env python3
"""Times one training iteration in PyTorch beside dlscope's criterion figure for the same one.

The iteration is issue 20's: the adding task (T = 50, batch 32; each sequence has 50 uniform
values and two marked positions, one in each half, and the target is the sum of the two marked
values), a one-layer torch.nn.RNN (tanh) or torch.nn.LSTM (batch_first) with a torch.nn.Linear
head on the last hidden state, MSE loss, backward, torch.nn.utils.clip_grad_norm_ at 1 and
torch.optim.Adam at 0.01, as `dlscope train --task adding --cell C --steps 50 --hidden H
--batch 32 --optimizer adam --lr 0.01 --clip norm:1` does. The batch is drawn in Python inside
the timed iteration, as dlscope draws its own. PyTorch runs on one thread (as dlscope's
training does), in float64 (dlscope's precision) and, for reference, in float32.

    cargo bench --bench train -- train_iteration_ --warm-up-time 1 --measurement-time 3
    python3 benches/train_torch_speed.py            # reads the criterion figures just written
    python3 benches/train_torch_speed.py --run      # runs that cargo bench first, then times

Prints one line per configuration: PyTorch float64 and float32 (the best of 5 repeats of
the mean over N iterations), dlscope's criterion mean, and dlscope's time as a share of
PyTorch's float64 time (the issue's target: at most 0.5 at H = 32 and H = 128).
"""

import argparse
import json
import os
import subprocess
import time

import torch

torch.set_num_threads(1)

T, BATCH = 50, 32
CONFIGS = [("rnn", 32), ("rnn", 128), ("lstm", 32), ("lstm", 128)]


def adding_batch(gen, dtype):
    values = torch.rand(BATCH, T, generator=gen, dtype=dtype)
    first = torch.randint(0, T // 2, (BATCH,), generator=gen)
    second = torch.randint(T // 2, T, (BATCH,), generator=gen)
    marks = torch.zeros(BATCH, T, dtype=dtype)
    rows = torch.arange(BATCH)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = torch.stack([values, marks], dim=2)
    y = values[rows, first] + values[rows, second]
    return x, y


def time_torch(cell, hidden, dtype, iterations):
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(1)
    if cell == "lstm":
        rnn = torch.nn.LSTM(2, hidden, batch_first=True, dtype=dtype)
    else:
        rnn = torch.nn.RNN(2, hidden, nonlinearity="tanh", batch_first=True, dtype=dtype)
    head = torch.nn.Linear(hidden, 1, dtype=dtype)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=0.01)

    def step():
        x, y = adding_batch(gen, dtype)
        out, _ = rnn(x)
        loss = torch.nn.functional.mse_loss(head(out[:, -1, :]).squeeze(1), y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    for _ in range(5):  # warm-up
        step()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(iterations):
            step()
        best = min(best, (time.perf_counter() - start) / iterations)
    return best * 1e3


def criterion_ms(name):
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    path = os.path.join(target, "criterion", name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["mean"]["point_estimate"] / 1e6
    except (OSError, KeyError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", action="store_true", help="run the criterion benchmark first")
    ap.add_argument("--iterations", type=int, default=20, help="iterations per timed repeat")
    args = ap.parse_args()
    if args.run:
        subprocess.run(
            ["cargo", "bench", "--bench", "train", "--", "train_iteration_",
             "--warm-up-time", "1", "--measurement-time", "3"],
            check=True,
        )
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread, "
          f"load average {os.getloadavg()[0]:.2f}")
    for cell, hidden in CONFIGS:
        f64 = time_torch(cell, hidden, torch.float64, args.iterations)
        f32 = time_torch(cell, hidden, torch.float32, args.iterations)
        name = f"train_iteration_{cell}_h{hidden}_b32_t50_adam"
        ours = criterion_ms(name)
        line = f"{cell:<4} H {hidden:<3}  torch float64 {f64:7.2f} ms  float32 {f32:7.2f} ms"
        if ours is None:
            line += "   (no criterion figure: run with --run)"
        else:
            line += f"   dlscope {ours:7.2f} ms = {ours / f64:.2f} of torch float64"
        print(line)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
