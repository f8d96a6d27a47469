#!/usr/bin/python3
"""Carry the training split to a GPU machine that has no apt, G'MIC or network.

    device_bundle.py pack BUILD_DIR BUNDLE.npz [--quality 92]   # here, after build_photos.py
    device_bundle.py unpack BUNDLE.npz SAMPLES_DIR              # there: SAMPLES_DIR/<model>/<id>/

The device tool carries at most 64 MiB, and the training photos with their six styles are about
150 MB as PNG, so the bundle holds them as JPEG (quality 92, one grey image per channel): the training targets carry
that quantisation noise (about 40 dB PSNR against the PNGs); evaluation always uses the PNGs.
Only the "train" split travels. Needs OpenCV (python3-opencv here, opencv-python-headless there).
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_photos import MODELS  # noqa: E402


def pack(build, bundle, quality):
    build = Path(build)
    rows = [line.split("\t") for line in (build / "manifest.tsv").read_text().splitlines()
            if line and not line.startswith("#")]
    ids = [r[0] for r in rows if r[1] == "train"]
    params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    used = sorted({s for pair in MODELS.values() for s in pair})  # only the styles a model trains on
    arrays = {"ids": np.array(ids), "models": np.array([f"{m}:{a}:{b}" for m, (a, b) in MODELS.items()])}
    for i, pid in enumerate(ids):
        for kind in ["photo"] + used:
            src = build / "photos" / f"{pid}.png" if kind == "photo" else build / "styles" / kind / f"{pid}.png"
            img = cv2.imread(str(src), cv2.IMREAD_COLOR)
            for ch in range(3):  # one grey JPEG per channel: no chroma subsampling
                ok, data = cv2.imencode(".jpg", np.ascontiguousarray(img[..., ch]), params)
                if not ok:
                    sys.exit(f"{src}: cannot encode")
                arrays[f"{kind}/{i}/{ch}"] = data
    np.savez(bundle, **arrays)
    print(f"{bundle}: {len(ids)} photos, {Path(bundle).stat().st_size / 2**20:.1f} MiB")


def unpack(bundle, out):
    z = np.load(bundle)
    ids = [str(v) for v in z["ids"]]
    for spec in z["models"]:
        model, a, b = str(spec).split(":")
        for i, pid in enumerate(ids):
            d = Path(out) / model / pid
            d.mkdir(parents=True, exist_ok=True)
            for name, kind in (("albedo", "photo"), ("style_a", a), ("style_b", b)):
                img = np.stack([cv2.imdecode(z[f"{kind}/{i}/{ch}"], cv2.IMREAD_GRAYSCALE)
                                for ch in range(3)], axis=-1)
                cv2.imwrite(str(d / f"{name}.png"), img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    print(f"{out}: {len(ids)} samples for each of {', '.join(str(m).split(':')[0] for m in z['models'])}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("build")
    p.add_argument("bundle")
    p.add_argument("--quality", type=int, default=92)
    u = sub.add_parser("unpack")
    u.add_argument("bundle")
    u.add_argument("out")
    args = ap.parse_args(argv)
    if args.cmd == "pack":
        pack(args.build, args.bundle, args.quality)
    else:
        unpack(args.bundle, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
