#!/usr/bin/python3
"""End-to-end parity: the C++ CPU reference (`cnnv3-shadergen reference`) against PyTorch.

    reference_parity.py --shadergen build/shadergen/cnnv3-shadergen --workdir /tmp/parity

For random-weight [4, 8] and [8, 16] models (training/make_test_vectors.py's seeded init) and random
conditioning, on crops of samples/photo_chelsea.png at 853×479 (the photo tiled up to that size),
31×17, 3×2 and 1×1: write the crop as an 8-bit RGB PNG, run the reference, and compare its 16-bit
output with PyTorch on the same 8-bit input (value / 255) with the f16 conv weights read back from
the written model files. Passes when max |ref − torch| ≤ 2e-5 + 0.5/65535 (the reference's own f32
error bound plus half a step of its 16-bit PNG). Prints the max abs error; on failure exits 1 with a
one-line reason.
"""

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "training"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnv3.modelfile import read_model, write_model  # noqa: E402
from cnnv3.parity import TOLERANCE, ParityError, compare, reference_output, torch_output  # noqa: E402
from cnnv3.pngio import read_png, write_png  # noqa: E402
from make_test_vectors import random_model  # noqa: E402

MODELS = (("parity-48", (4, 8), 4801), ("parity-816", (8, 16), 81601))
SIZES = ((853, 479), (31, 17), (3, 2), (1, 1))  # (width, height)


def crop(photo, w, h, rng):
    """A w×h crop at a random offset; the photo is tiled first when it is smaller than that."""
    ph, pw = photo.shape[:2]
    reps = (-(-h // ph) + 1, -(-w // pw) + 1, 1)
    big = np.tile(photo, reps)
    y0, x0 = int(rng.integers(0, ph)), int(rng.integers(0, pw))
    return np.ascontiguousarray(big[y0:y0 + h, x0:x0 + w])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shadergen", required=True, help="path to cnnv3-shadergen")
    ap.add_argument("--workdir", required=True, help="scratch directory (created)")
    ap.add_argument("--photo", default=str(ROOT / "samples" / "photo_chelsea.png"))
    args = ap.parse_args(argv)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    try:
        arr, top = read_png(args.photo)
        if top != 255 or arr.shape[2] < 3:
            raise ParityError(f"{args.photo}: expected an 8-bit RGB photo")
        photo = arr[:, :, :3]
        worst = 0.0
        for name, enc, seed in MODELS:
            mdir = work / name
            write_model(random_model(enc, seed), mdir, name=name,
                        recipe={"name": "random-init", "version": 1})
            model, _ = read_model(mdir)  # exactly the stored f16 conv weights
            rng = np.random.default_rng(seed)
            for w, h in SIZES:
                cond = [float(np.float32(v)) for v in rng.random(5)]
                img = crop(photo, w, h, rng)
                in_png, out_png = work / f"{name}_{w}x{h}_in.png", work / f"{name}_{w}x{h}_out.png"
                write_png(in_png, img)
                ref = reference_output(args.shadergen, mdir, cond, in_png, out_png)
                err = compare(ref, torch_output(model, img, cond), f"{name} {w}x{h}")
                worst = max(worst, err)
                print(f"{name} {w}x{h} cond {cond}: max abs error {err:.3g}")
    except ParityError as e:
        print(f"reference_parity: FAIL: {e}", file=sys.stderr)
        return 1
    print(f"reference_parity: OK, max abs error {worst:.3g} (tolerance {TOLERANCE:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
