#!/usr/bin/python3
"""Measure a model as SPEC §5 asks: PSNR of model(photo, c) against recipe(photo, c).

    /usr/bin/python3 training/evaluate.py MODEL --input HELD_OUT_SAMPLES [--conds 8] [--seed 0]

MODEL is a checkpoint (.pt, f32 weights) or an exported model directory (f16 weights, as shipped).
Every sample is evaluated on its whole image (photo-like features unless the checkpoint was trained
with --input-mode full) at --conds random c ~ U[0,1]^5 plus the model's default_cond. Prints the
mean PSNR (dB) per sample and overall, and for scale the PSNR of the unchanged photo against the
same targets (what a model that ignores the style would get).
"""

import argparse
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnv3.dataset import find_samples, load_sample  # noqa: E402
from cnnv3.features import build_features, features_from_rgb  # noqa: E402
from cnnv3.modelfile import DEFAULT_COND, load_checkpoint, read_model  # noqa: E402
from cnnv3.recipes import get_recipe  # noqa: E402


def psnr(a, b):
    mse = float(torch.mean((a - b) ** 2))
    return 99.0 if mse <= 1e-10 else -10.0 * math.log10(mse)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", help="checkpoint .pt or model directory")
    ap.add_argument("--input", required=True, help="directory of (held-out) sample directories")
    ap.add_argument("--conds", type=int, default=8, help="random c per sample (default 8)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    args = ap.parse_args(argv)
    dev = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                       else ("cpu" if args.device == "auto" else args.device))

    if Path(args.model).is_dir():
        model, manifest = read_model(args.model)
        recipe_info, mode = manifest["recipe"], "simple"
        default = manifest["default_cond"]
    else:
        model, ckpt = load_checkpoint(args.model)
        recipe_info, mode = ckpt["config"]["recipe"], ckpt["config"].get("input_mode", "simple")
        default = DEFAULT_COND
    recipe = get_recipe(recipe_info["name"], recipe_info["version"])
    model = model.to(dev).eval()
    rng = np.random.default_rng(args.seed)

    scores, baseline = [], []
    for path in find_samples(args.input):
        s = {k: v.to(dev) for k, v in load_sample(path).items()}
        albedo = s["albedo"]
        if mode == "full":
            feats = build_features(albedo, s.get("normal"), s.get("depth"), s.get("matid"),
                                   s.get("shadow"), s.get("transp"))
        else:
            feats = features_from_rgb(albedo)
        maps = recipe.prepare(albedo, s.get("style_a"), s.get("style_b"))
        conds = [list(default)] + [list(rng.random(5)) for _ in range(args.conds)]
        per = []
        with torch.no_grad():
            for cond in conds:
                c = torch.tensor([cond], dtype=torch.float32, device=dev)
                target = recipe.apply(maps, c)
                per.append(psnr(model(feats, c)[:, :3], target))
                baseline.append(psnr(albedo, target))
        scores += per
        print(f"{path.name}: PSNR {np.mean(per):.2f} dB (min {np.min(per):.2f}) over {len(per)} c")
    print(f"mean PSNR {np.mean(scores):.2f} dB over {len(scores)} (sample, c) pairs; "
          f"unchanged photo vs target: {np.mean(baseline):.2f} dB "
          f"(recipe {recipe.name} v{recipe.version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
