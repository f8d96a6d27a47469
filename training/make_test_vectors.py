#!/usr/bin/python3
"""Make the PyTorch test vectors the C++ tests compare against (docs/formats.md, "Test vectors").

    /usr/bin/python3 training/make_test_vectors.py --out tests/vectors

Two random-weight models, test-random-48 ([4, 8]) and test-random-816 ([8, 16]), each written as a
model directory plus cases.json and, per case, the input (H·W·3 f32), the FiLM vector (N f32) and
the output (H·W·4 f32), all little-endian. Inputs are photo/video features (features_from_rgb) of a
random RGB image. The outputs come from the model read back from the written files, so the convs use
exactly the stored f16 weights and everything else runs in f32.

Everything is seeded and runs on one CPU thread, so a second run writes byte-identical files.
"""

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cnnv3.features import features_from_rgb  # noqa: E402
from cnnv3.model import CNNv3  # noqa: E402
from cnnv3.modelfile import read_model, write_model  # noqa: E402

MODELS = (("test-random-48", (4, 8), 48), ("test-random-816", (8, 16), 816))
SIZES = ((1, 1), (3, 2), (2, 3), (5, 7), (17, 9), (33, 20))  # (width, height)
CONDS_PER_SIZE = 3
RECIPE = {"name": "random-init", "version": 1}


def random_model(enc_channels, seed):
    """A random model whose activations stay lively at every layer.

    PyTorch's default init shrinks activations layer by layer, which would leave every output near
    sigmoid(0) = 0.5 and test little. So: random conv weights, then each conv (in network order) is
    rescaled so its output has std 1 on a random calibration image (a seeded, LSUV-style pass); the
    FiLM MLP gives γ ≈ 1 ± 0.2 and β ≈ ±0.2. Outputs then spread across pixels (std ≈ 0.1-0.2) without
    saturating the sigmoid.
    """
    g = torch.Generator().manual_seed(seed)
    model = CNNv3(enc_channels)
    with torch.no_grad():
        for conv in model.convs():
            conv.weight.copy_(torch.randn(conv.weight.shape, generator=g))
            conv.bias.copy_(torch.randn(conv.bias.shape, generator=g) * 0.3)
        lin0, lin1 = model.film_mlp[0], model.film_mlp[2]
        lin0.weight.copy_(torch.randn(lin0.weight.shape, generator=g) * 0.5)
        lin0.bias.copy_(torch.randn(lin0.bias.shape, generator=g) * 0.1)
        lin1.weight.copy_(torch.randn(lin1.weight.shape, generator=g) * 0.1)
        lin1.bias.copy_(torch.randn(lin1.bias.shape, generator=g) * 0.1)
        for gamma, _beta in model.film_slices():
            lin1.bias[gamma] += 1.0
        feats = features_from_rgb(torch.rand((1, 3, 40, 56), generator=g))
        cond = torch.full((1, 5), 0.5)
        for conv in model.convs():
            seen = []
            hook = conv.register_forward_hook(lambda _m, _i, out: seen.append(out))
            model(feats, cond)
            hook.remove()
            scale = 1.0 / float(seen[0].std())
            conv.weight.mul_(scale)
            conv.bias.mul_(scale)
    return model


def f32_list(values):
    """Floats that are exactly representable in f32, so the JSON text parses to the same f32."""
    return [float(np.float32(v)) for v in values]


def write_f32(path, tensor):
    path.write_bytes(np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype="<f4").tobytes())


def make_model_vectors(outdir, name, enc_channels, seed, log=print):
    outdir.mkdir(parents=True, exist_ok=True)
    write_model(random_model(enc_channels, seed), outdir, name=name, recipe=RECIPE,
                default_cond=[0.0, 0.0, 0.5, 0.5, 0.5],
                training={"command": "training/make_test_vectors.py", "seed": seed})
    model, _ = read_model(outdir)  # the stored f16 conv weights, f32 MLP
    model.eval()
    rng = np.random.default_rng(seed)
    cases, stds = [], []
    for w, h in SIZES:
        rgb = rng.random((h, w, 3), dtype=np.float32)
        input_name = f"input_{w}x{h}.f32"
        (outdir / input_name).write_bytes(rgb.astype("<f4").tobytes())
        feats = features_from_rgb(torch.from_numpy(rgb).permute(2, 0, 1)[None])
        for k in range(1, CONDS_PER_SIZE + 1):
            cond = f32_list(rng.random(5))
            with torch.no_grad():
                film = model.film(torch.tensor([cond], dtype=torch.float32))
                out = model.forward_film(feats, film)[0].permute(1, 2, 0)  # H, W, 4
            case = f"{w}x{h}_c{k}"
            write_f32(outdir / f"film_{case}.f32", film[0])
            write_f32(outdir / f"output_{case}.f32", out)
            cases.append({"name": case, "width": w, "height": h, "cond": cond,
                          "input": input_name, "film": f"film_{case}.f32",
                          "output": f"output_{case}.f32"})
            if w * h >= 35:
                stds.append(float(out[..., :3].std()))
    (outdir / "cases.json").write_text(json.dumps({"cases": cases}, indent=1) + "\n")
    log(f"{name}: {len(cases)} cases, output std across pixels (sizes ≥ 5×7) "
        f"{min(stds):.3f}..{max(stds):.3f}")
    return cases, stds


def check_current(committed, fresh, tolerance=1e-6):
    """Compare a fresh run with the committed vectors: model files and cases.json byte for byte,
    .f32 files within `tolerance` (another CPU's kernels may round the last bit differently).
    Returns a list of one-line differences."""
    problems = []
    for model in sorted(p.name for p in Path(fresh).iterdir()):
        a, b = Path(committed) / model, Path(fresh) / model
        if not a.is_dir():
            problems.append(f"{a}: missing")
            continue
        names = sorted(p.name for p in b.iterdir())
        extra = sorted(set(p.name for p in a.iterdir()) - set(names))
        problems += [f"{a / n}: not produced by the generator any more" for n in extra]
        for n in names:
            fa, fb = a / n, b / n
            if not fa.exists():
                problems.append(f"{fa}: missing")
            elif n.endswith(".f32"):
                va, vb = np.fromfile(fa, "<f4"), np.fromfile(fb, "<f4")
                if va.shape != vb.shape or np.abs(va.astype(np.float64) - vb).max() > tolerance:
                    problems.append(f"{fa}: differs from a fresh run by more than {tolerance}")
            elif fa.read_bytes() != fb.read_bytes():
                problems.append(f"{fa}: differs from a fresh run")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="tests/vectors", help="output directory (default tests/vectors)")
    ap.add_argument("--check", metavar="DIR",
                    help="compare the vectors written to --out with the committed ones in DIR; exit 1 if stale")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)  # one summation order → byte-identical reruns
    total = 0
    for name, enc, seed in MODELS:
        make_model_vectors(Path(args.out) / name, name, enc, seed)
        total += sum(f.stat().st_size for f in (Path(args.out) / name).iterdir())
    print(f"wrote {args.out}: {total} bytes")
    if args.check:
        problems = check_current(args.check, args.out)
        for p in problems:
            print(f"make_test_vectors: {p}", file=sys.stderr)
        if problems:
            print("make_test_vectors: tests/vectors is stale: run /usr/bin/python3 training/make_test_vectors.py "
                  "--out tests/vectors and commit the result", file=sys.stderr)
            return 1
        print(f"{args.check} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
