"""Helpers for the end-to-end parity checks against the C++ CPU reference (`cnnv3-shadergen`).

The C++ `reference` command reads an 8-bit RGB PNG (value / 255) and writes output channels 0..2 as
a 16-bit RGB PNG, rounding to nearest: q = round(v · 65535). So the stored value differs from the
reference's f32 result by at most 0.5/65535. A case passes when

    max |q / 65535 − torch| ≤ BOUND + QUANT = 2e-5 + 0.5/65535

i.e. the f32 CPU reference and PyTorch (same input, f16-rounded conv weights, f32 math) agree to
2e-5, after allowing for the PNG quantisation of the C++ side only.
"""

import subprocess

import numpy as np
import torch

from .features import features_from_rgb
from .pngio import read_png

BOUND = 2e-5
QUANT = 0.5 / 65535.0
TOLERANCE = BOUND + QUANT


class ParityError(Exception):
    """A failed check; the message is one line."""


def torch_output(model, rgb_u8, cond):
    """PyTorch output channels 0..2 (H, W, 3, float64) for an 8-bit RGB image and conditioning."""
    model = model.float().eval()
    x = torch.from_numpy(rgb_u8.astype(np.float32) / np.float32(255.0)).permute(2, 0, 1)[None]
    with torch.no_grad():
        out = model(features_from_rgb(x), torch.tensor([list(cond)], dtype=torch.float32))
    return out[0, :3].permute(1, 2, 0).double().numpy()


def fmt_cond(cond):
    return ",".join(repr(float(np.float32(v))) for v in cond)


def run(cmd, what):
    """Run a command; raise ParityError naming `what` with the last stderr line on failure."""
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    except OSError as e:
        raise ParityError(f"{what}: cannot run {cmd[0]}: {e}") from None
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or proc.stdout.strip().splitlines() or [""])[-1]
        raise ParityError(f"{what}: exit status {proc.returncode}" + (f": {last}" if last else ""))
    return proc


def reference_output(shadergen, model_dir, cond, in_png, out_png):
    """Run `shadergen reference` and return its output as (H, W, 3) float64 in [0, 1]."""
    run([shadergen, "reference", "-y", "--model", model_dir, "--cond", fmt_cond(cond), in_png, out_png],
        f"reference on {in_png}")
    arr, top = read_png(out_png)
    if top != 65535 or arr.ndim != 3 or arr.shape[2] < 3:
        raise ParityError(f"{out_png}: expected a 16-bit RGB PNG, got {arr.shape} max {top}")
    return arr[:, :, :3].astype(np.float64) / 65535.0


def compare(ref, ours, label):
    """Max abs error; raises ParityError when the shapes differ or it exceeds TOLERANCE."""
    if ref.shape != ours.shape:
        raise ParityError(f"{label}: reference output is {ref.shape[1]}x{ref.shape[0]}, "
                          f"expected {ours.shape[1]}x{ours.shape[0]}")
    err = float(np.max(np.abs(ref - ours)))
    if not err <= TOLERANCE:
        y, x, ch = np.unravel_index(int(np.argmax(np.abs(ref - ours))), ref.shape)
        raise ParityError(f"{label}: max abs error {err:.3g} > {TOLERANCE:.3g} at (x={x}, y={y}, "
                          f"ch={ch}): reference {ref[y, x, ch]:.7f}, PyTorch {ours[y, x, ch]:.7f}")
    return err
