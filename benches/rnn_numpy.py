#!/usr/bin/env python3
"""Plain-numpy back-propagation through time, the same computation as benches/rnn.rs.

Times forward + backward with every reported norm (|dl/dh_t|, |dl/dc_t|, the forget product,
the per-step W_hh contribution, the parameter gradient and its norm-clipped copy) at H = 128,
T = 200, I = 8 for the tanh RNN and the LSTM, and prints the criterion figures of
`cargo bench --bench rnn` next to them when they exist, so one run compares the two:

    cargo bench --bench rnn -- --warm-up-time 1 --measurement-time 3
    python3 benches/rnn_numpy.py

With `--check FILE.json` (a run exported with its weights, e.g. `report::json(p, run, true)`)
it instead recomputes that run from the exported weights, inputs and v and compares every
reported curve with dlscope's, as an independent check of the Rust model.
"""

import argparse
import json
import math
import os
import sys
import timeit

# One BLAS thread, as dlscope's BPTT uses one thread: the comparison is per core, and
# OpenBLAS threads on these tiny mat-vecs only add noise on a shared machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)

H, T, I = 128, 200, 8


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


ACTIVATIONS = {
    # (phi, phi' written in terms of the output h)
    "identity": (lambda a: a, lambda h: np.ones_like(h)),
    "tanh": (np.tanh, lambda h: 1.0 - h * h),
    "relu": (lambda a: np.where(a < 0.0, 0.0, a), lambda h: np.where(h > 0.0, 1.0, np.where(h == 0.0, 0.0, np.nan))),
    "sigmoid": (sigmoid, lambda h: h * (1.0 - h)),
}


def bptt(cell, activation, w_ih, w_hh, b_ih, b_hh, x, v, clip_c=1.0):
    """Forward pass, BPTT of l = v.h_T, all reported norms, and the norm-clipped gradient."""
    steps, hsize, g = x.shape[0], w_hh.shape[1], w_hh.shape[0]
    z = x @ w_ih.T + (b_ih + b_hh)
    hs = np.zeros((steps + 1, hsize))
    grad_h = np.zeros(steps + 1)
    grad_w_step = np.zeros(steps)
    out = {}
    if cell == "rnn":
        phi, dphi = ACTIVATIONS[activation]
        for t in range(1, steps + 1):
            hs[t] = phi(w_hh @ hs[t - 1] + z[t - 1])
        dz = np.empty((steps, g))
        dh = v.copy()
        grad_h[steps] = np.linalg.norm(dh)
        for t in range(steps, 0, -1):
            dz[t - 1] = dh * dphi(hs[t])
            grad_w_step[t - 1] = np.linalg.norm(dz[t - 1]) * np.linalg.norm(hs[t - 1])
            dh = w_hh.T @ dz[t - 1]
            grad_h[t - 1] = np.linalg.norm(dh)
    else:
        gates = np.empty((steps, g))
        cs = np.zeros((steps + 1, hsize))
        for t in range(1, steps + 1):
            a = w_hh @ hs[t - 1] + z[t - 1]
            gates[t - 1, : 2 * hsize] = sigmoid(a[: 2 * hsize])
            gates[t - 1, 2 * hsize : 3 * hsize] = np.tanh(a[2 * hsize : 3 * hsize])
            gates[t - 1, 3 * hsize :] = sigmoid(a[3 * hsize :])
            i, f, gg, o = np.split(gates[t - 1], 4)
            cs[t] = f * cs[t - 1] + i * gg
            hs[t] = o * np.tanh(cs[t])
        dz = np.empty((steps, g))
        grad_c = np.zeros(steps + 1)
        forget_product = np.ones(steps + 1)
        dh = v.copy()
        grad_h[steps] = np.linalg.norm(dh)
        dc_carry = np.zeros(hsize)
        running = np.ones(hsize)
        for t in range(steps, 0, -1):
            i, f, gg, o = np.split(gates[t - 1], 4)
            tc = np.tanh(cs[t])
            dc = dc_carry + dh * o * (1.0 - tc * tc)
            grad_c[t] = np.linalg.norm(dc)
            dz[t - 1] = np.concatenate(
                [dc * gg * i * (1 - i), dc * cs[t - 1] * f * (1 - f), dc * i * (1 - gg * gg), dh * tc * o * (1 - o)]
            )
            dc_carry = dc * f
            running = running * f
            forget_product[t - 1] = running.max()
            grad_w_step[t - 1] = np.linalg.norm(dz[t - 1]) * np.linalg.norm(hs[t - 1])
            dh = w_hh.T @ dz[t - 1]
            grad_h[t - 1] = np.linalg.norm(dh)
        grad_c[0] = np.linalg.norm(dc_carry)
        out["grad_c"], out["forget_product"] = grad_c, forget_product
    g_hh = dz.T @ hs[:steps]
    g_ih = dz.T @ x
    g_b = dz.sum(axis=0)
    norm = math.sqrt((g_hh**2).sum() + (g_ih**2).sum() + 2 * (g_b**2).sum())
    scale = min(1.0, clip_c / norm) if norm > 0 else 1.0
    out.update(
        loss=float(v @ hs[steps]),
        grad_h=grad_h,
        grad_w_step=grad_w_step,
        param_grad_norm=norm,
        clipped=(g_ih * scale, g_hh * scale, g_b * scale),
    )
    return out


def random_setup(cell, rng, rho=1.0, forget_bias=1.0):
    """Same recipe as dlscope's draw() (Gaussian blocks rescaled to spectral radius rho),
    from numpy's generator: same sizes and distributions, not the same numbers."""
    blocks = []
    for _ in range(4 if cell == "lstm" else 1):
        b = rng.standard_normal((H, H))
        blocks.append(b * rho / np.abs(np.linalg.eigvals(b)).max())
    w_hh = np.vstack(blocks)
    g = w_hh.shape[0]
    w_ih = rng.standard_normal((g, I)) / math.sqrt(I)
    b_ih = np.zeros(g)
    if cell == "lstm":
        b_ih[H : 2 * H] = forget_bias
    x = rng.standard_normal((T, I))
    v = rng.standard_normal(H)
    return w_ih, w_hh, b_ih, np.zeros(g), x, v / np.linalg.norm(v)


def criterion_ms(name):
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(os.path.dirname(__file__), "..", "target"))
    path = os.path.join(target, "criterion", name, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["mean"]["point_estimate"] / 1e6
    except (OSError, KeyError, ValueError):
        return None


def bench():
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, H = {H}, T = {T}, I = {I}")
    for cell, name in [("rnn", "bptt_rnn_h128_t200"), ("lstm", "bptt_lstm_h128_t200")]:
        setup = random_setup(cell, rng)
        timer = timeit.Timer(lambda: bptt(cell, "tanh", *setup))
        loops, _ = timer.autorange()
        best = min(timer.repeat(repeat=5, number=loops)) / loops * 1e3
        rust = criterion_ms(name)
        line = f"{name:<22} numpy {best:8.3f} ms"
        if rust is not None:
            line += f"   dlscope {rust:7.3f} ms   speed-up {best / rust:5.1f}x"
        else:
            line += "   (run `cargo bench --bench rnn` for the dlscope figure)"
        print(line)


def nums(values):
    return np.array([np.nan if x is None else x for x in values], dtype=float)


def check(path):
    with open(path) as f:
        run = json.load(f)
    w = run["weights"]
    arrays = [np.array(w[k], dtype=float) for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
    x, v = np.array(run["inputs"], dtype=float), np.array(run["v"], dtype=float)
    with np.errstate(all="ignore"):
        ours = bptt(run["cell"], run["activation"], *arrays, x, v)
    worst = 0.0
    for key in ["grad_h", "grad_w_step", "grad_c", "forget_product"]:
        if key not in run:
            continue
        theirs, mine = nums(run[key]), ours[key]
        same_nan = np.array_equal(np.isfinite(theirs), np.isfinite(mine))
        fin = np.isfinite(theirs) & np.isfinite(mine)
        rel = np.abs(theirs[fin] - mine[fin]) / np.maximum(np.abs(theirs[fin]), 1e-300)
        err = float(rel.max()) if rel.size else 0.0
        worst = max(worst, err)
        print(f"{key:<15} max rel diff {err:.2e}  non-finite pattern {'same' if same_nan else 'DIFFERENT'}")
        if not same_nan:
            worst = math.inf
    for key in ["loss", "param_grad_norm"]:
        theirs, mine = run[key], ours[key]
        if theirs is None or not math.isfinite(mine):
            same = theirs is None and not math.isfinite(mine)
            print(f"{key:<15} dlscope {theirs}, numpy {mine}: {'both non-finite' if same else 'DIFFERENT'}")
            worst = worst if same else math.inf
            continue
        err = abs(theirs - mine) / max(abs(theirs), 1e-300)
        worst = max(worst, err)
        print(f"{key:<15} rel diff {err:.2e}")
    ok = worst < 1e-9
    print("agree to 1e-9" if ok else "DISAGREE")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", metavar="FILE.json", help="compare with a run exported with weights")
    args = parser.parse_args()
    sys.exit(check(args.check) if args.check else bench())
