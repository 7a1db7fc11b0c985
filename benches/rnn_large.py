#!/usr/bin/env python3
"""The LSTM at the RNN tab's largest setting (H = 512, T = 2000, I = 8, float64, one thread).

Prints, in one run: the floor set by the 4,000 unavoidable matrix-vector products with the
2048x512 W_hh (numpy, one BLAS thread), PyTorch's LSTM forward + backward of l = v.h_T on the
same sizes (skipped when torch is not installed), and criterion's median of
`bptt_lstm_h512_t2000` when it exists, with the ratios:

    cargo bench --bench rnn -- bptt_lstm_h512_t2000
    python3 benches/rnn_large.py
"""

import json
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)

H, T, I = 512, 2000, 8
REPEAT = 3


def best_of(f):
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def floor():
    """4,000 products with the 4H x H matrix: W h forward and W^T dz backward, per step."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4 * H, H))
    h = rng.standard_normal(H)
    dz = rng.standard_normal(4 * H)

    def run():
        for _ in range(T):
            w @ h
        for _ in range(T):
            w.T @ dz

    return best_of(run)


def torch_lstm():
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H, dtype=torch.float64)
    x = torch.randn(T, 1, I, dtype=torch.float64)
    v = torch.randn(H, dtype=torch.float64)
    v /= v.norm()

    def run():
        lstm.zero_grad()
        out, _ = lstm(x)
        (out[-1, 0] @ v).backward()

    return best_of(run), torch.__version__


def criterion_median(name):
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(here, "..", "target"))
    path = os.path.join(target, "criterion", name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"] / 1e9
    except (OSError, KeyError, ValueError):
        return None


def main():
    print(f"numpy {np.__version__}, LSTM H = {H}, T = {T}, I = {I}, float64, one thread")
    f = floor()
    print(f"floor: 4,000 mat-vecs with a {4 * H}x{H} matrix (numpy)  {f:7.3f} s")
    t, version = torch_lstm()
    if t is None:
        print("PyTorch: not installed (pip install torch)")
    else:
        print(f"PyTorch {version} LSTM forward + backward           {t:7.3f} s  = {t / f:4.2f}x the floor")
    rust = criterion_median("bptt_lstm_h512_t2000")
    if rust is None:
        print("dlscope: run `cargo bench --bench rnn -- bptt_lstm_h512_t2000` first")
    else:
        line = f"dlscope bptt_lstm_h512_t2000 (criterion median)  {rust:7.3f} s  = {rust / f:4.2f}x the floor"
        if t is not None:
            line += f", {t / rust:4.2f}x faster than PyTorch"
        print(line)


if __name__ == "__main__":
    main()
