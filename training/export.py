#!/usr/bin/python3
"""Export a training checkpoint to a model directory (SPEC §4, docs/formats.md).

    /usr/bin/python3 training/export.py checkpoints/latest.pt weights/my_style \
        [--name my_style] [--default-cond 0,0,0.5,0.5,0.5]

Writes cnn_v3_weights.bin (conv weights and biases as little-endian f16), cnn_v3_film_mlp.bin
(FiLM MLP as little-endian f32) and model.json (sizes, SHA-256s, recipe, default_cond, training
info), reads the directory back through the loader checks, and prints the file sizes.
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cnnv3.modelfile import DEFAULT_COND, load_checkpoint, read_model, write_model  # noqa: E402


def parse_cond(text):
    vals = [float(v) for v in text.split(",")]
    if not all(0.0 <= v <= 1.0 for v in vals):
        raise argparse.ArgumentTypeError(f"conditioning values must be in [0, 1], got {text!r}")
    return vals


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="a .pt file written by train.py")
    ap.add_argument("outdir", help="model directory to write")
    ap.add_argument("--name", help="model name in model.json (default: the output directory name)")
    ap.add_argument("--default-cond", type=parse_cond, default=DEFAULT_COND,
                    help="default conditioning a,b,c,d,e (default 0,0,0.5,0.5,0.5)")
    ap.add_argument("--styles", type=lambda t: t.split(","), metavar="A,B",
                    help="names of the two looks (style_p0 = 0 and 1), shown by `cnnv3 models`")
    ap.add_argument("--data-manifest", help="the training data's manifest.tsv: its SHA-256 goes into "
                    "model.json (training.data_manifest_sha256)")
    args = ap.parse_args(argv)
    if args.styles is not None and (len(args.styles) != 2 or not all(args.styles)):
        ap.error("--styles needs two non-empty names: A,B")

    model, ckpt = load_checkpoint(args.checkpoint)
    cfg = ckpt["config"]
    if len(args.default_cond) != model.film_cond_dim:
        ap.error(f"--default-cond needs {model.film_cond_dim} values")
    training = {"command": cfg.get("command", ""), "epochs": ckpt.get("epoch"),
                "final_loss": ckpt.get("loss"), "input_mode": cfg.get("input_mode"),
                "checkpoint": Path(args.checkpoint).name}
    if cfg.get("unconditioned"):
        training["unconditioned"] = True
    if args.data_manifest:
        training["data_manifest_sha256"] = hashlib.sha256(Path(args.data_manifest).read_bytes()).hexdigest()
    sizes = write_model(model, args.outdir, name=args.name or Path(args.outdir).resolve().name,
                        recipe=cfg["recipe"], default_cond=args.default_cond, training=training,
                        styles=args.styles)
    read_model(args.outdir)  # the same checks a loader applies; raises with one line on failure
    c0, c1 = model.enc_channels
    print(f"exported enc_channels [{c0}, {c1}] (recipe {cfg['recipe']['name']} "
          f"v{cfg['recipe']['version']}) to {args.outdir}")
    for name, size in sizes.items():
        print(f"  {name}: {size} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
