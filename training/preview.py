#!/usr/bin/python3
"""Preview sheet of a model: for several conditionings c, the recipe target next to the model output.

    /usr/bin/python3 training/preview.py MODEL PHOTO -o preview.png [--max-size 320]

MODEL is a checkpoint (.pt) or a model directory. Each row is one c (printed on the left): the
recipe's target, then the model's output, both from the photo (photo-like features). The first row
shows the photo itself and the default conditioning. Handy as the preview image of weights/<model>/.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnv3.dataset import resize  # noqa: E402
from cnnv3.features import features_from_rgb  # noqa: E402
from cnnv3.modelfile import DEFAULT_COND, load_checkpoint, read_model  # noqa: E402
from cnnv3.pngio import read_float  # noqa: E402
from cnnv3.recipes import get_recipe  # noqa: E402

CONDS = [  # beat_phase, beat_norm, audio_intensity, style_p0, style_p1
    [0.5, 0.0, 0.0, 0.0, 1.0], [0.5, 0.0, 0.0, 1.0, 1.0], [0.5, 0.0, 1.0, 0.0, 1.0],
    [0.0, 0.0, 0.5, 0.5, 1.0], [0.5, 0.33, 0.5, 0.5, 1.0], [0.5, 0.66, 0.5, 0.5, 0.5],
]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model")
    ap.add_argument("photo")
    ap.add_argument("-o", "--output", default="preview.png")
    ap.add_argument("--max-size", type=int, default=320, help="longer side of each tile")
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if Path(args.model).is_dir():
        model, manifest = read_model(args.model)
        rec, default = manifest["recipe"], manifest["default_cond"]
    else:
        model, ckpt = load_checkpoint(args.model)
        rec, default = ckpt["config"]["recipe"], DEFAULT_COND
    recipe = get_recipe(rec["name"], rec["version"])
    x = torch.from_numpy(read_float(args.photo, 3)).permute(2, 0, 1)[None]
    h, w = x.shape[-2:]
    scale = min(1.0, args.max_size / max(h, w))
    x = resize(x, max(1, round(h * scale)), max(1, round(w * scale)))
    maps = recipe.prepare(x)
    feats = features_from_rgb(x)
    conds = [list(default)] + CONDS
    row_h = 3.2 * x.shape[-2] / x.shape[-1] + 0.25
    fig, axes = plt.subplots(len(conds), 2, figsize=(7.4, row_h * len(conds) + 0.3), dpi=100,
                             squeeze=False)
    with torch.no_grad():
        for row, cond in enumerate(conds):
            c = torch.tensor([cond], dtype=torch.float32)
            left = x if row == 0 else recipe.apply(maps, c)
            out = model.eval()(feats, c)[:, :3]
            for col, img in enumerate((left, out)):
                ax = axes[row, col]
                ax.imshow(np.clip(img[0].permute(1, 2, 0).numpy(), 0, 1))
                ax.set_xticks([])
                ax.set_yticks([])
            label = "photo" if row == 0 else "target"
            axes[row, 0].set_ylabel(f"{label}\nc={','.join(f'{v:g}' for v in cond)}", fontsize=7)
    axes[0, 1].set_title("model (default c)", fontsize=9)
    axes[1, 1].set_title("model", fontsize=9)
    axes[1, 0].set_title(f"recipe {recipe.name} v{recipe.version}", fontsize=9)
    fig.tight_layout()
    fig.savefig(args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
