#!/usr/bin/env python3
"""Issue 12, goal 1: numpy's full thin SVD and a numpy randomized SVD on the same matrices as
benches/first_view.rs, and the ratios against criterion's medians.

Run `cargo bench --bench first_view` first: it writes the matrices to target/bench-data/*.npy
(the 512x512 camera, and the camera resized to 2048x2048 plus seeded noise) with the k and the
number of power iterations its first view used (*.json), and criterion's medians to
target/criterion/first_view/*/new/estimates.json. This script then times, with one BLAS thread
and with the default threads:

  * np.linalg.svd(X, full_matrices=False)  (the full thin SVD), and
  * a randomized SVD with the same k and power iterations (Halko et al. algorithm 4.4:
    QR after every product, then the SVD of Q^T X), plus the rank-10 reconstruction,

and numpy's singular values alone (np.linalg.svd(X, compute_uv=False)) against step 1 of the
completion (complete_values_2048, cancellable between columns) and faer's values-only SVD,
and prints the medians and the ratios the issue asks for:
  first_view_2048 / numpy SVD of the 2048^2 matrix   (goal <= 0.1)
  first_view_camera / numpy SVD of the camera        (goal <= 0.5)

Usage: python3 benches/svd_numpy.py [repeats_2048] [repeats_camera]
"""

import json
import pathlib
import sys
import time

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - only the default threads then
    threadpool_limits = None

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "target" / "bench-data"
CRITERION = ROOT / "target" / "criterion" / "first_view"


def median_time(f, repeats):
    f()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


def randomized_first_view(x, rank, k, power_iterations, seed=0):
    rng = np.random.default_rng(seed)
    omega = rng.standard_normal((x.shape[1], k))
    q, _ = np.linalg.qr(x @ omega)
    for _ in range(power_iterations):
        z, _ = np.linalg.qr(x.T @ q)
        q, _ = np.linalg.qr(x @ z)
    b = q.T @ x
    ub, s, vt = np.linalg.svd(b, full_matrices=False)
    u = q @ ub
    frob = np.sum(x * x)
    recon = (u[:, :rank] * s[:rank]) @ vt[:rank]
    return s, frob, recon


def criterion_median(name):
    path = CRITERION / name / "new" / "estimates.json"
    try:
        return json.loads(path.read_text())["median"]["point_estimate"] * 1e-9
    except (OSError, KeyError, ValueError):
        return None


def main():
    repeats = {
        "first_view_2048": int(sys.argv[1]) if len(sys.argv) > 1 else 3,
        "first_view_camera": int(sys.argv[2]) if len(sys.argv) > 2 else 10,
    }
    print(f"numpy {np.__version__}")
    rust = {
        name: criterion_median(name)
        for name in ["first_view_2048", "first_view_camera", "svd_2048",
                     "complete_values_2048", "faer_values_2048"]
    }
    for name, value in rust.items():
        shown = "missing (run cargo bench --bench first_view)" if value is None else f"{1e3 * value:.1f} ms"
        print(f"criterion median {name}: {shown}")
    settings = [("1 thread", 1), ("default threads", None)]
    for name in ["first_view_2048", "first_view_camera"]:
        x = np.load(DATA / f"{name}.npy")
        meta = json.loads((DATA / f"{name}.json").read_text())
        rank, k, q = meta["rank"], meta["k"], meta["power_iterations"]
        print(f"\n{name}: {x.shape[0]}x{x.shape[1]} float64, rank {rank}, k {k}, "
              f"{q} power iterations (as the Rust first view)")
        exact = np.linalg.svd(x, compute_uv=False)
        s, _, _ = randomized_first_view(x, rank, k, q)
        rel = np.max(np.abs(s[:rank] - exact[:rank]) / exact[:rank])
        print(f"  numpy randomized: max relative error of sigma_1..{rank}: {rel:.2e}")
        for label, threads in settings:
            def timed():
                svd = median_time(lambda: np.linalg.svd(x, full_matrices=False), repeats[name])
                rnd = median_time(lambda: randomized_first_view(x, rank, k, q), max(5, repeats[name]))
                return svd, rnd
            if threads is not None and threadpool_limits is not None:
                with threadpool_limits(limits=threads):
                    svd, rnd = timed()
            elif threads is not None:
                print(f"  ({label}: threadpoolctl missing, skipped)")
                continue
            else:
                svd, rnd = timed()
            print(f"  numpy, {label}: full thin SVD {1e3 * svd:.1f} ms, randomized first view {1e3 * rnd:.1f} ms")
            ours = rust[name]
            if ours is not None:
                goal = 0.1 if name == "first_view_2048" else 0.5
                verdict = "met" if ours / svd <= goal else "NOT met"
                print(f"    {name} / numpy SVD = {ours / svd:.3f} (goal <= {goal}: {verdict}); "
                      f"/ numpy randomized = {ours / rnd:.2f}")
            if name == "first_view_2048" and rust["svd_2048"] is not None:
                print(f"    svd_2048 (faer) / numpy SVD = {rust['svd_2048'] / svd:.2f}")
            if name == "first_view_2048":
                def values_only():
                    return median_time(lambda: np.linalg.svd(x, compute_uv=False), repeats[name])
                if threads is not None and threadpool_limits is not None:
                    with threadpool_limits(limits=threads):
                        vals = values_only()
                else:
                    vals = values_only()
                print(f"  numpy, {label}: singular values only {1e3 * vals:.1f} ms")
                for ours_name in ["complete_values_2048", "faer_values_2048"]:
                    if rust[ours_name] is not None:
                        print(f"    {ours_name} / numpy values = {rust[ours_name] / vals:.2f}")


if __name__ == "__main__":
    main()
