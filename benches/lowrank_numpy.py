#!/usr/bin/env python3
"""Time numpy's thin SVD on the same data as `svd_camera_512` in benches/lowrank.rs.

Loads assets/camera.png (with PIL or imageio if installed, otherwise a small PNG decoder
using zlib), scales it to [0, 1] as float64 (value / 255), and times
numpy.linalg.svd(X, full_matrices=False). Prints the median and best time, the leading
singular values and sum_{i>10} sigma_i^2 so the data can be checked against the Rust figures.

Usage: python3 benches/lowrank_numpy.py [path/to/camera.png] [repeats]
"""

import pathlib
import struct
import sys
import time
import zlib

import numpy as np


def decode_png(data: bytes) -> np.ndarray:
    """Decode a non-interlaced 8-bit grey, grey+alpha, RGB or RGBA PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError("only 8-bit non-interlaced grey/RGB(A) PNGs are supported here")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for row in range(height):
        start = row * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=start + 1).astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 0xFF
        else:
            current = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = current[i - channels] if i >= channels else 0
                up = previous[i]
                up_left = previous[i - channels] if i >= channels else 0
                if kind == 1:
                    predictor = left
                elif kind == 3:
                    predictor = (left + up) // 2
                else:  # Paeth
                    p = left + up - up_left
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                    predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                current[i] = (line[i] + predictor) & 0xFF
        out[row] = current
        previous = current
    return out.reshape(height, width, channels)


def load_grey(path: pathlib.Path) -> np.ndarray:
    try:
        from PIL import Image

        pixels = np.asarray(Image.open(path))
    except ImportError:
        try:
            import imageio.v3 as iio

            pixels = np.asarray(iio.imread(path))
        except ImportError:
            pixels = decode_png(path.read_bytes())
    pixels = pixels.astype(np.float64)
    if pixels.ndim == 3 and pixels.shape[2] >= 3:
        pixels = 0.299 * pixels[..., 0] + 0.587 * pixels[..., 1] + 0.114 * pixels[..., 2]
    elif pixels.ndim == 3:
        pixels = pixels[..., 0]
    return pixels / 255.0


def main() -> None:
    root = pathlib.Path(__file__).resolve().parent.parent
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "assets" / "camera.png"
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    x = load_grey(path)
    np.linalg.svd(x, full_matrices=False)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        _, s, _ = np.linalg.svd(x, full_matrices=False)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"numpy {np.__version__}: svd of {x.shape[0]}x{x.shape[1]} float64, full_matrices=False")
    print(f"median {1e3 * times[len(times) // 2]:.1f} ms, best {1e3 * times[0]:.1f} ms over {repeats} runs")
    print("sigma_1..5 =", " ".join(f"{v:.8f}" for v in s[:5]))
    print(f"sum_(i>10) sigma_i^2 = {np.sum(s[10:] ** 2):.10f}")


if __name__ == "__main__":
    main()
