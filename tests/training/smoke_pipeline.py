#!/usr/bin/python3
"""End-to-end smoke test of the training pipeline: pack → train → export → shadergen.

    smoke_pipeline.py --shadergen build/shadergen/cnnv3-shadergen --workdir /tmp/smoke

Packs two samples (samples/photo_chelsea.png shrunk, and a crop of it) with training/pack_photo.py,
trains 1 epoch on the CPU with small patches, exports the checkpoint, checks that
`cnnv3-shadergen info --model DIR` exits 0, runs `cnnv3-shadergen reference` on a 37×23 crop, and
compares with the checkpoint's PyTorch model (conv weights rounded to f16) within the bound of
reference_parity.py: 2e-5 + 0.5/65535. Prints the max abs error; on failure exits 1 with a
one-line reason.
"""

import argparse
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "training"))

import numpy as np  # noqa: E402

from cnnv3.model import quantize_conv_f16_  # noqa: E402
from cnnv3.modelfile import load_checkpoint  # noqa: E402
from cnnv3.parity import (TOLERANCE, ParityError, compare, reference_output, run,  # noqa: E402
                          torch_output)
from cnnv3.pngio import read_png, write_png  # noqa: E402

PY = sys.executable or "/usr/bin/python3"
COND = [0.3, 0.6, 0.8, 0.25, 0.9]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shadergen", required=True, help="path to cnnv3-shadergen")
    ap.add_argument("--workdir", required=True, help="scratch directory (emptied first)")
    ap.add_argument("--photo", default=str(ROOT / "samples" / "photo_chelsea.png"))
    args = ap.parse_args(argv)
    work = Path(args.workdir)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    training = ROOT / "training"
    try:
        arr, top = read_png(args.photo)
        if top != 255 or arr.shape[2] < 3:
            raise ParityError(f"{args.photo}: expected an 8-bit RGB photo")
        photo = np.ascontiguousarray(arr[:, :, :3])
        second = work / "crop.png"
        write_png(second, np.ascontiguousarray(photo[40:200, 120:330]))

        samples = work / "samples"
        run([PY, training / "pack_photo.py", args.photo, samples / "chelsea", "--max-size", "160"],
            "pack_photo.py (photo)")
        run([PY, training / "pack_photo.py", second, samples / "crop"], "pack_photo.py (crop)")
        run([PY, training / "train.py", "--input", samples, "--epochs", "1", "--batch-size", "8",
             "--patch-size", "32", "--patches-per-image", "8", "--enc-channels", "4,8",
             "--checkpoint-dir", work / "ckpt", "--device", "cpu", "--seed", "1"], "train.py")
        ckpt = work / "ckpt" / "latest.pt"
        model_dir = work / "model"
        run([PY, training / "export.py", ckpt, model_dir, "--name", "smoke"], "export.py")
        run([args.shadergen, "info", "--model", model_dir], "shadergen info")

        img = np.ascontiguousarray(photo[101:124, 203:240])  # 37×23: odd, not a multiple of 4
        in_png, out_png = work / "crop_37x23.png", work / "out_37x23.png"
        write_png(in_png, img)
        ref = reference_output(args.shadergen, model_dir, COND, in_png, out_png)
        model, _ = load_checkpoint(ckpt)
        ours = torch_output(quantize_conv_f16_(model), img, COND)
        err = compare(ref, ours, "trained model 37x23")
    except ParityError as e:
        print(f"smoke_pipeline: FAIL: {e}", file=sys.stderr)
        return 1
    print(f"smoke_pipeline: OK, max abs error {err:.3g} (tolerance {TOLERANCE:.3g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
