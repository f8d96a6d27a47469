#!/usr/bin/python3
"""Measure models as SPEC §5 and docs/training.md ask, on held-out sample directories.

    /usr/bin/python3 training/evaluate.py MODEL [MODEL ...] --input HELD_OUT_SAMPLES
        [--baseline MODEL] [--conds 4] [--sweep-samples 4] [--gallery OUT.png] [--json OUT.json]

MODEL is a checkpoint (.pt, f32) or an exported model directory (f16 weights, as shipped). For each:
  quality   mean PSNR (dB) and SSIM of model(photo, c) against recipe(photo, c) over every held-out
            sample at the model's default_cond plus --conds random c ~ U[0,1]^5;
  response  for each conditioning input i, swept over 0, 0.25, 0.5, 0.75, 1 with the others at
            default_cond: "gain" = mean |out(v) − out(0)| / mean |target(v) − target(0)| (1 is the
            recipe's size) and "corr" = correlation of the two change images (1 is its direction);
  flicker   a clip panning one pixel per frame across a held-out photo (16 frames, 256×160 window,
            fixed default_cond): mean |out_t+1(x) − out_t(x + 1)| away from the borders, in 1/255.
Rows for "identity" (the photo as output) and for --baseline models (e.g. the unconditioned model
trained on the same data) are printed in the same table. A model trained with --unconditioned
always sees c = 0.5, as in training. --gallery writes one PNG per model: per held-out photo, the
input, then target and output side by side at three c.
"""

import argparse
import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from cnnv3.conditioning import CONDITIONING_NAMES  # noqa: E402
from cnnv3.dataset import find_samples, load_sample  # noqa: E402
from cnnv3.features import features_from_rgb  # noqa: E402
from cnnv3.modelfile import DEFAULT_COND, load_checkpoint, manifest_text, read_model  # noqa: E402
from cnnv3.recipes import get_recipe, luminance  # noqa: E402
from pack_photo import write_png  # noqa: E402

INPUTS = CONDITIONING_NAMES
SWEEP = (0.0, 0.25, 0.5, 0.75, 1.0)
# style A at rest, style B at rest, the blend on the beat (flash), the blend loud later in the bar
GALLERY_CONDS = ((1.0, 0.0, 0.5, 0.0, 1.0), (1.0, 0.0, 0.5, 1.0, 1.0), (0.0, 0.25, 0.5, 0.5, 1.0),
                 (0.6, 0.6, 1.0, 0.5, 1.0))


def psnr(a, b):
    mse = float(torch.mean((a - b) ** 2))
    return 99.0 if mse <= 1e-10 else -10.0 * math.log10(mse)


def ssim(a, b):
    """Mean SSIM on luminance, 7×7 uniform windows, constants of Wang et al. (data range 1)."""
    x, y = luminance(a), luminance(b)
    mu_x, mu_y = F.avg_pool2d(x, 7, 1), F.avg_pool2d(y, 7, 1)
    sxx = F.avg_pool2d(x * x, 7, 1) - mu_x ** 2
    syy = F.avg_pool2d(y * y, 7, 1) - mu_y ** 2
    sxy = F.avg_pool2d(x * y, 7, 1) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return float(s.mean())


class Evaluated:
    """One row of the table: a callable out(photo, c) plus its name."""

    def __init__(self, name, forward, default):
        self.name, self.forward, self.default = name, forward, list(default)


def load(path):
    p = Path(path)
    if p.is_dir():
        model, manifest = read_model(p)
        info, default = manifest["recipe"], manifest["default_cond"]
        unconditioned = bool(manifest.get("training", {}).get("unconditioned"))
        name = manifest.get("name", p.name)
    else:
        model, ckpt = load_checkpoint(p)
        info, default = ckpt["config"]["recipe"], DEFAULT_COND
        unconditioned = bool(ckpt["config"].get("unconditioned"))
        name = p.stem
    model.eval()

    def forward(photo, c):
        if unconditioned:
            c = torch.full_like(c, 0.5)
        with torch.no_grad():
            return model(features_from_rgb(photo), c)[:, :3].clamp(0, 1)

    return Evaluated(name, forward, default), info


def identity(default):
    return Evaluated("identity", lambda photo, c: photo, default)


def quality(ev, samples, recipe, conds):
    p, s = [], []
    for photo, maps, _ in samples:
        for c in conds:
            t = recipe.apply(maps, c)
            out = ev.forward(photo, c)
            p.append(psnr(out, t))
            s.append(ssim(out, t))
    return float(np.mean(p)), float(np.mean(s))


def response(ev, samples, recipe, default):
    rows = {}
    for i, name in enumerate(INPUTS):
        d_out, d_t = [], []
        for photo, maps, _ in samples:
            outs, ts = [], []
            for v in SWEEP:
                c = torch.tensor([default], dtype=torch.float32)
                c[0, i] = v
                outs.append(ev.forward(photo, c))
                ts.append(recipe.apply(maps, c))
            d_out += [(o - outs[0]).flatten() for o in outs[1:]]
            d_t += [(t - ts[0]).flatten() for t in ts[1:]]
        a, b = torch.cat(d_out), torch.cat(d_t)
        gain = float(a.abs().mean() / b.abs().mean().clamp_min(1e-8))
        corr = float(torch.nn.functional.cosine_similarity((a - a.mean())[None], (b - b.mean())[None]))
        rows[name] = {"gain": gain, "corr": corr, "target_change": float(b.abs().mean())}
    return rows


def flicker(ev, photo, default, frames=16, w=256, h=160):
    c = torch.tensor([default], dtype=torch.float32)
    H, W = photo.shape[-2:]
    w, h = min(w, W - frames), min(h, H)
    outs = [ev.forward(photo[..., :h, x:x + w].contiguous(), c) for x in range(frames)]
    m = 8
    diffs = [(outs[t + 1][..., m:-m, m:-m - 1] - outs[t][..., m:-m, m + 1:-m]).abs().mean()
             for t in range(frames - 1)]
    return float(torch.stack(diffs).mean()) * 255.0


def labelled(tile, text, label_h=38):
    """(1, 3, h, w) tile → (1, 3, h + label_h, w) with text (lines split at '\n') under it."""
    from PIL import Image, ImageDraw
    w = tile.shape[-1]
    strip = Image.new("RGB", (w, label_h), (255, 255, 255))
    ImageDraw.Draw(strip).multiline_text((3, 1), text, fill=(0, 0, 0), spacing=1)
    strip = torch.from_numpy(np.asarray(strip, dtype=np.float32) / 255.0).permute(2, 0, 1)[None]
    return torch.cat([tile, strip], -2)


def cond_label(c):
    return f"phase {c[0]:g}  norm {c[1]:g}\nintens {c[2]:g} p0 {c[3]:g} p1 {c[4]:g}"


def gallery(ev, samples, recipe, path, count=2):
    """Per held-out photo a row: the input, then target | output at each of GALLERY_CONDS, with
    the conditioning written under each image (phase = beat_phase, norm = beat_norm, intens =
    audio_intensity, p0 / p1 = style_p0 / style_p1)."""
    rows = []
    h = 160
    for photo, maps, name in samples[:count]:
        tiles = [(photo, "input\n" + "\n".join(name.split("__", 1))[:52])]
        for cond in GALLERY_CONDS:
            c = torch.tensor([cond], dtype=torch.float32)
            tiles += [(recipe.apply(maps, c), "target\n" + cond_label(cond)),
                      (ev.forward(photo, c), f"{ev.name}\n" + cond_label(cond))]
        out = []
        for t, text in tiles:
            t = F.interpolate(t, size=(h, round(t.shape[-1] * h / t.shape[-2])), mode="bilinear",
                              align_corners=False, antialias=True).clamp(0, 1)
            out.append(labelled(F.pad(t, (0, 4), value=1.0), text))
        rows.append(torch.cat(out, -1))
    width = max(r.shape[-1] for r in rows)
    rows = [F.pad(r, (0, width - r.shape[-1]), value=1.0) for r in rows]
    img = torch.cat(rows, -2)[0].permute(1, 2, 0).clamp(0, 1).numpy()
    write_png(path, (img * 255 + 0.5).astype(np.uint8))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", help="checkpoints (.pt) or model directories")
    ap.add_argument("--input", required=True, help="directory of held-out sample directories")
    ap.add_argument("--baseline", action="append", default=[], help="baseline model (repeatable)")
    ap.add_argument("--conds", type=int, default=4, help="random c per sample besides default_cond")
    ap.add_argument("--sweep-samples", type=int, default=4, help="samples used for the response")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gallery", help="gallery PNG (one model) or directory (several: <name>.png)")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--record", action="store_true",
                    help="also write each evaluated model directory's figures into its model.json "
                         "(training.metrics)")
    args = ap.parse_args(argv)
    torch.set_grad_enabled(False)

    evs = [load(m) for m in args.models]
    recipes = {(i["name"], i["version"]) for _, i in evs}
    if len(recipes) != 1:
        ap.error(f"the models use different recipes {sorted(recipes)}: evaluate them separately")
    recipe = get_recipe(*recipes.pop())
    default = evs[0][0].default
    rows = [("model", ev) for ev, _ in evs] + [("baseline", load(b)[0]) for b in args.baseline]
    rows.append(("baseline", identity(default)))

    rng = np.random.default_rng(args.seed)
    samples = []
    for path in find_samples(args.input):
        s = load_sample(path)
        photo = s["albedo"]
        samples.append((photo, recipe.prepare(photo, s.get("style_a"), s.get("style_b")), path.name))
    conds = [torch.tensor([default], dtype=torch.float32)] + \
            [torch.from_numpy(rng.random((1, 5)).astype(np.float32)) for _ in range(args.conds)]

    report = {"recipe": f"{recipe.name} v{recipe.version}", "samples": [s[2] for s in samples],
              "conds": [c[0].tolist() for c in conds], "rows": {}}
    print(f"{len(samples)} held-out samples × {len(conds)} c, recipe {recipe.name} v{recipe.version}")
    head = "| row | kind | PSNR dB | SSIM | flicker /255 | " + " | ".join(
        f"{n} gain/corr" for n in INPUTS) + " |"
    print(head)
    print("|" + "---|" * (5 + len(INPUTS)))
    for kind, ev in rows:
        p, s = quality(ev, samples, recipe, conds)
        r = response(ev, samples[:args.sweep_samples], recipe, default)
        fl = flicker(ev, samples[0][0], default)
        report["rows"][ev.name] = {"kind": kind, "psnr": p, "ssim": s, "flicker": fl, "response": r}
        cells = " | ".join(f"{r[n]['gain']:.2f} / {r[n]['corr']:.2f}" for n in INPUTS)
        print(f"| {ev.name} | {kind} | {p:.2f} | {s:.3f} | {fl:.2f} | {cells} |", flush=True)
    if args.gallery:
        models = [ev for ev, _ in evs]
        for ev in models:
            path = Path(args.gallery) / f"{ev.name}.png" if len(models) > 1 else Path(args.gallery)
            path.parent.mkdir(parents=True, exist_ok=True)
            gallery(ev, samples, recipe, path)
            print(f"wrote {path}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    if args.record:
        record_metrics(report, [m for m in args.models if Path(m).is_dir()], args.input)
    return 0


def record_metrics(report, model_dirs, heldout):
    """training.metrics in each model.json: its held-out figures next to the baselines' PSNR."""
    baselines = {name: round(r["psnr"], 2) for name, r in report["rows"].items() if r["kind"] == "baseline"}
    for d in model_dirs:
        path = Path(d) / "model.json"
        manifest = json.loads(path.read_text())
        row = report["rows"][manifest.get("name", Path(d).name)]
        manifest.setdefault("training", {})["metrics"] = {
            "heldout_samples": len(report["samples"]), "conds_per_sample": len(report["conds"]),
            "psnr_db": round(row["psnr"], 2), "ssim": round(row["ssim"], 3),
            "flicker_per_255": round(row["flicker"], 2),
            "response_gain_corr": {k: [round(v["gain"], 2), round(v["corr"], 2)]
                                   for k, v in row["response"].items()},
            "baseline_psnr_db": baselines, "recipe": report["recipe"],
        }
        path.write_text(manifest_text(manifest))


if __name__ == "__main__":
    sys.exit(main())
