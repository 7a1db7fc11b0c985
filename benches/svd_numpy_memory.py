#!/usr/bin/env python3
"""Issue 20, item 14: numpy's peak resident size for the SVD of the matrix dlscope decomposes.

`cargo bench --bench first_view_memory -- 4096 processes` writes the matrix (the 4096x4096 PNG
as dlscope loads it, float64) to a .npy file and prints this script's command. For each of

  * np.linalg.svd(X, full_matrices=False)   (the thin SVD, what dlscope computes),
  * np.linalg.svd(X, full_matrices=True)    (the full SVD; the same for a square matrix),
  * np.linalg.svd(X, compute_uv=False)      (the singular values alone),

a fresh Python process loads X, reads its VmHWM (peak RSS, /proc/self/status), runs the SVD and
reads VmHWM again; ru_maxrss (resource.getrusage) is printed beside it as a check. One process
per measurement, so the peaks do not mix.

Usage: python3 benches/svd_numpy_memory.py MATRIX.npy
"""

import json
import os
import resource
import subprocess
import sys
import time

MB = 1e6


def vm_hwm():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return float("nan")


def one(mode, path):
    import numpy as np

    x = np.load(path)
    loaded = vm_hwm()
    start = time.perf_counter()
    if mode == "values":
        np.linalg.svd(x, compute_uv=False)
    else:
        np.linalg.svd(x, full_matrices=(mode == "full"))
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "mode": mode,
                "shape": list(x.shape),
                "matrix": x.nbytes,
                "loaded": loaded,
                "peak": vm_hwm(),
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "seconds": seconds,
                "numpy": np.__version__,
            }
        )
    )


def main():
    if len(sys.argv) == 3 and sys.argv[1] in ("thin", "full", "values"):
        one(sys.argv[1], sys.argv[2])
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    calls = {
        "thin": "np.linalg.svd(X, full_matrices=False)",
        "full": "np.linalg.svd(X, full_matrices=True) ",
        "values": "np.linalg.svd(X, compute_uv=False)  ",
    }
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    for mode, call in calls.items():
        out = subprocess.run(
            [sys.executable, __file__, mode, path], check=True, capture_output=True, text=True
        ).stdout
        r = json.loads(out)
        m = r["matrix"]
        print(
            f"{call} {r['shape'][0]}x{r['shape'][1]}: peak RSS (VmHWM) {r['peak'] / MB:.0f} MB"
            f" = {r['peak'] / m:.1f}x the matrix ({m / MB:.0f} MB); {r['loaded'] / MB:.0f} MB"
            f" after loading it; ru_maxrss {r['maxrss'] / MB:.0f} MB; {r['seconds']:.1f} s"
            f" (numpy {r['numpy']}, BLAS threads: {threads})"
        )


if __name__ == "__main__":
    main()
