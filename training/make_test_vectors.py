#!/usr/bin/python3
"""Make the PyTorch test vectors the C++ tests compare against (docs/formats.md, "Test vectors").

    /usr/bin/python3 training/make_test_vectors.py --out tests/vectors

Two random-weight models, test-random-48 ([4, 8]) and test-random-816 ([8, 16]), each written as a
model directory plus cases.json and, per case, the input (H·W·3 f32), the FiLM vector (N f32) and
the output (H·W·4 f32), all little-endian. Inputs are photo/video features (features_from_rgb) of a
random RGB image. The outputs come from the model read back from the written files, so the convs use
exactly the stored f16 weights and everything else runs in f32.

Model files, inputs and cases.json are exact by construction (integers from a seeded PCG64 stream
scaled by powers of two) and so byte-identical on every CPU; the FiLM and output files come from
PyTorch's kernels and are checked within SPEC §7's 1e-5 (scripts/check-generated.sh, and
tests/training/vectors_determinism.sh under each ATEN_CPU_CAPABILITY and thread count).
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


# Per-layer gains (powers of two) that keep activations lively with the exact init below; chosen by
# looking at the output spread the generator logs, not computed from data at run time.
CONV_GAIN_LOG2 = (1, 0, 0, 0, -1)  # enc0, enc1, bottleneck, dec1, dec0


def exact_uniform(rng, shape, exponent):
    """Values k·2^exponent with k a uniform integer in [-1024, 1024].

    Integers from numpy's PCG64 stream and a power-of-two scale: every value is exactly
    representable in f16 (11 significant bits) and f32, and no floating-point kernel of the CPU takes
    part, so every machine (any vector width, any thread count) makes the same bits.
    """
    k = rng.integers(-1024, 1025, size=shape)
    return torch.from_numpy(np.ldexp(k.astype(np.float32), exponent).astype(np.float32))


def random_model(enc_channels, seed):
    """A random model whose activations stay lively at every layer, made bit-exactly on any CPU.

    PyTorch's default init shrinks activations layer by layer, which would leave every output near
    sigmoid(0) = 0.5 and test little. Each conv gets uniform weights of variance ≈ 2·gain²/fan_in
    (He init for ReLU, rounded to a power of two: 2^-round(log2(sqrt(fan_in/6)))) and biases a
    quarter of that range; the FiLM MLP gives γ ≈ 1 ± 0.2 and β ≈ ±0.2. No step depends on a
    reduction (a std over an image, a matmul), whose rounding differs between CPUs: an earlier
    data-calibrated init flipped f16 weights on AVX-512 machines.
    """
    rng = np.random.default_rng(seed)
    model = CNNv3(enc_channels)
    with torch.no_grad():
        for conv, gain_log2 in zip(model.convs(), CONV_GAIN_LOG2):
            fan_in = conv.weight.shape[1] * conv.weight.shape[2] * conv.weight.shape[3]
            # uniform[-a, a] has variance a²/3; He wants 2/fan_in, so a = sqrt(6/fan_in)
            a_log2 = -int(round(0.5 * np.log2(fan_in / 6.0))) + gain_log2
            conv.weight.copy_(exact_uniform(rng, conv.weight.shape, a_log2 - 10))
            conv.bias.copy_(exact_uniform(rng, conv.bias.shape, a_log2 - 12))
        lin0, lin1 = model.film_mlp[0], model.film_mlp[2]
        lin0.weight.copy_(exact_uniform(rng, lin0.weight.shape, -11))  # ±0.5
        lin0.bias.copy_(exact_uniform(rng, lin0.bias.shape, -13))      # ±0.125
        lin1.weight.copy_(exact_uniform(rng, lin1.weight.shape, -13))  # ±0.125
        lin1.bias.copy_(exact_uniform(rng, lin1.bias.shape, -13))
        for gamma, _beta in model.film_slices():
            lin1.bias[gamma] += 1.0  # exact: 1 + k·2^-13 has 14 significant bits
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


# Generated float outputs (FiLM vectors, network outputs) come from PyTorch's CPU kernels, whose
# summation order depends on the vector width and thread count: they are compared within SPEC §7's
# parity bound. Everything else the generator writes is exact by construction and compared bytewise.
OUTPUT_TOLERANCE = 1e-5


def check_current(committed, fresh, tolerance=OUTPUT_TOLERANCE):
    """Compare a fresh run with the committed vectors: model files, inputs and cases.json byte for
    byte, FiLM and output .f32 files within `tolerance` (another CPU's kernels round differently).
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
            elif n.endswith(".f32") and not n.startswith("input_"):
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
    ap.add_argument("--threads", type=int, default=1,
                    help="PyTorch CPU threads (default 1; the result is the same for any count)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
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
