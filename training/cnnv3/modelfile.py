"""Write and read model directories: cnn_v3_weights.bin, cnn_v3_film_mlp.bin, model.json.

Formats (SPEC §4, docs/formats.md):
  * weights: for enc0, enc1, bottleneck, dec1, dec0: weight [out][in][ky][kx] then bias [out], as a
    plain little-endian IEEE-half array (two per u32 with the even index in the low 16 bits is the
    same bytes);
  * FiLM MLP: little-endian f32, row-major W0 (16×cond), b0, W1 (N×16), b1 — nn.Linear's own
    (out, in) layout;
  * model.json version 1 with both SHA-256s.
Reading applies the loader checks of docs/formats.md and rebuilds a CNNv3 whose conv parameters are
the stored halves (so it is already f16-rounded).
"""

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import torch

from .model import CNNv3, FILM_HIDDEN, conv_weight_count, mlp_float_count

WEIGHTS_FILE = "cnn_v3_weights.bin"
MLP_FILE = "cnn_v3_film_mlp.bin"
MANIFEST = "model.json"
DEFAULT_COND = [0.0, 0.0, 0.5, 0.5, 0.5]


class ModelFileError(Exception):
    """A refusal; the message is one line naming the file and what was expected."""


def conv_halves(model):
    """All conv weights and biases in file order, as a float16 numpy array."""
    parts = []
    for conv in model.convs():
        parts += [conv.weight.detach().cpu().reshape(-1), conv.bias.detach().cpu().reshape(-1)]
    return torch.cat(parts).to(torch.float16).numpy()


def mlp_floats(model):
    lin0, lin1 = model.film_mlp[0], model.film_mlp[2]
    parts = [lin0.weight, lin0.bias, lin1.weight, lin1.bias]
    return torch.cat([p.detach().cpu().reshape(-1) for p in parts]).to(torch.float32).numpy()


def weights_bytes(model):
    return conv_halves(model).astype("<f2").tobytes()


def mlp_bytes(model):
    return mlp_floats(model).astype("<f4").tobytes()


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_model(model, outdir, name=None, recipe=None, default_cond=None, training=None, styles=None):
    """Write the three files into outdir (created). Returns {file name: size in bytes}.

    `styles`: optional two short names, the looks at style_p0 = 0 and 1 (shown by `cnnv3 models`)."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    wb, mb = weights_bytes(model), mlp_bytes(model)
    cond = [float(v) for v in (DEFAULT_COND if default_cond is None else default_cond)]
    if len(cond) != model.film_cond_dim or not all(0.0 <= v <= 1.0 for v in cond):
        raise ValueError(f"default_cond must be {model.film_cond_dim} numbers in [0, 1], got {cond}")
    manifest = {"format": "cnnv3-model", "version": 1}
    if name:
        manifest["name"] = name
    manifest.update({
        "enc_channels": list(model.enc_channels),
        "film_cond_dim": model.film_cond_dim,
        "film_hidden": model.film_hidden,
        "weights": {"file": WEIGHTS_FILE, "sha256": sha256(wb)},
        "film_mlp": {"file": MLP_FILE, "sha256": sha256(mb)},
        "recipe": dict(recipe) if recipe else {"name": "none", "version": 0},
        "default_cond": cond,
    })
    if styles is not None:
        styles = [str(v) for v in styles]
        if len(styles) != 2 or not all(styles):
            raise ValueError(f"styles must be two non-empty names, got {styles}")
        manifest["styles"] = styles
    if training is not None:
        manifest["training"] = training
    (outdir / WEIGHTS_FILE).write_bytes(wb)
    (outdir / MLP_FILE).write_bytes(mb)
    text = manifest_text(manifest)
    (outdir / MANIFEST).write_text(text)
    return {WEIGHTS_FILE: len(wb), MLP_FILE: len(mb), MANIFEST: len(text.encode())}


def manifest_text(manifest):
    """model.json text: indented objects, but short number lists kept on one line."""
    text = json.dumps(manifest, indent=2)
    # Only arrays that json.dumps broke over lines (a raw newline never occurs inside a string).
    text = re.sub(r"\[\n\s+([-0-9.eE,\s]+?)\n\s*\]",
                  lambda m: "[" + ", ".join(v.strip() for v in m.group(1).split(",")) + "]", text)
    return text + "\n"


def infer_enc_channels(weights_size, mlp_size, cond_dim=5):
    """enc_channels from the two file sizes together (unique for c0 ≤ 64, c1 ≤ 128), or None."""
    hits = [(c0, c1) for c0 in range(1, 65) for c1 in range(1, 129)
            if 2 * conv_weight_count(c0, c1) == weights_size
            and 4 * mlp_float_count(c0, c1, cond_dim) == mlp_size]
    return hits[0] if len(hits) == 1 else None


def _fail(path, msg):
    raise ModelFileError(f"{path}: {msg}")


def read_model(model_dir, log=None):
    """Load and validate a model directory → (CNNv3 on cpu, manifest dict).

    Without model.json, enc_channels is inferred from both file sizes (and log() is told so).
    """
    d = Path(model_dir)
    mpath = d / MANIFEST
    if mpath.is_file():
        try:
            m = json.loads(mpath.read_text())
        except (ValueError, UnicodeDecodeError) as e:
            _fail(mpath, f"not valid JSON ({e})")
        if not isinstance(m, dict):
            _fail(mpath, "expected a JSON object")
        if m.get("format") != "cnnv3-model":
            _fail(mpath, f"expected \"format\": \"cnnv3-model\", got {m.get('format')!r}")
        if m.get("version") != 1:
            _fail(mpath, f"unknown version {m.get('version')!r} (expected 1)")
        enc = m.get("enc_channels")
        if not (isinstance(enc, list) and len(enc) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in enc)):
            _fail(mpath, f"enc_channels must be two positive integers, got {enc!r}")
        cond_dim = m.get("film_cond_dim")
        if not (isinstance(cond_dim, int) and not isinstance(cond_dim, bool) and cond_dim > 0):
            _fail(mpath, f"film_cond_dim must be a positive integer, got {cond_dim!r}")
        if m.get("film_hidden", FILM_HIDDEN) != FILM_HIDDEN:
            _fail(mpath, f"film_hidden must be {FILM_HIDDEN}, got {m.get('film_hidden')!r}")
        for key in ("weights", "film_mlp"):
            e = m.get(key)
            if not (isinstance(e, dict) and isinstance(e.get("file"), str)
                    and isinstance(e.get("sha256"), str)):
                _fail(mpath, f"{key} must be an object with \"file\" and \"sha256\"")
        rec = m.get("recipe")
        if not (isinstance(rec, dict) and "name" in rec and "version" in rec):
            _fail(mpath, "recipe must be an object with \"name\" and \"version\"")
        dc = m.get("default_cond")
        if not (isinstance(dc, list) and len(dc) == cond_dim
                and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1
                        for v in dc)):
            _fail(mpath, f"default_cond must be {cond_dim} numbers in [0, 1], got {dc!r}")
        c0, c1 = enc
        files = [(d / m["weights"]["file"], m["weights"]["sha256"]),
                 (d / m["film_mlp"]["file"], m["film_mlp"]["sha256"])]
    else:
        cond_dim, files = 5, [(d / WEIGHTS_FILE, None), (d / MLP_FILE, None)]
        for p, _ in files:
            if not p.is_file():
                _fail(p, "missing (and no model.json)")
        enc = infer_enc_channels(files[0][0].stat().st_size, files[1][0].stat().st_size)
        if enc is None:
            _fail(d, "no model.json and the two .bin sizes match no unique enc_channels")
        c0, c1 = enc
        if log:
            log(f"{d}: no model.json; inferred enc_channels [{c0}, {c1}] from the .bin sizes")
        m = {"format": "cnnv3-model", "version": 1, "enc_channels": [c0, c1],
             "film_cond_dim": 5, "recipe": {"name": "unknown", "version": 0},
             "default_cond": list(DEFAULT_COND)}

    expect = [2 * conv_weight_count(c0, c1), 4 * mlp_float_count(c0, c1, cond_dim)]
    blobs = []
    for (p, digest), size in zip(files, expect):
        if not p.is_file():
            _fail(p, "missing")
        data = p.read_bytes()
        if len(data) != size:
            _fail(p, f"size {len(data)} B, expected {size} B for enc_channels [{c0}, {c1}], "
                     f"film_cond_dim {cond_dim}")
        if digest is not None and sha256(data) != digest.lower():
            _fail(p, f"SHA-256 {sha256(data)} does not match model.json ({digest})")
        blobs.append(data)
    halves = np.frombuffer(blobs[0], "<f2").astype(np.float32)
    floats = np.frombuffer(blobs[1], "<f4").astype(np.float32)
    for (p, _), arr in zip(files, (halves, floats)):
        bad = np.flatnonzero(~np.isfinite(arr))
        if bad.size:
            _fail(p, f"value {bad[0]} is {arr[bad[0]]} (NaN/Inf not allowed)")

    model = CNNv3((c0, c1), cond_dim)
    with torch.no_grad():
        pos = 0
        for conv in model.convs():
            for prm in (conv.weight, conv.bias):
                n = prm.numel()
                prm.copy_(torch.from_numpy(halves[pos:pos + n].copy()).view_as(prm))
                pos += n
        pos = 0
        for prm in (model.film_mlp[0].weight, model.film_mlp[0].bias,
                    model.film_mlp[2].weight, model.film_mlp[2].bias):
            n = prm.numel()
            prm.copy_(torch.from_numpy(floats[pos:pos + n].copy()).view_as(prm))
            pos += n
    return model, m


def size_report(model):
    """One line: parameter count and the byte sizes of the two .bin files."""
    c0, c1 = model.enc_channels
    nparam = sum(p.numel() for p in model.parameters())
    wbytes = 2 * conv_weight_count(c0, c1)
    mbytes = 4 * mlp_float_count(c0, c1, model.film_cond_dim, model.film_hidden)
    return (f"model enc_channels [{c0}, {c1}], film_cond_dim {model.film_cond_dim}: "
            f"{nparam} parameters; {WEIGHTS_FILE} {wbytes} B (f16), {MLP_FILE} {mbytes} B (f32)")


def save_checkpoint(path, model, optimizer, epoch, loss, config):
    """A training checkpoint (.pt): plain dicts, lists, numbers and strings plus state dicts."""
    torch.save({"epoch": epoch, "model_state": model.state_dict(),
                "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
                "loss": loss, "config": config}, path)


def load_checkpoint(path, device="cpu"):
    """Load a checkpoint written by train.py → (CNNv3 in f32, checkpoint dict)."""
    try:
        ckpt = torch.load(path, map_location=device, weights_only=False)
    except TypeError:  # a PyTorch without the weights_only argument
        ckpt = torch.load(path, map_location=device)
    cfg = ckpt["config"]
    model = CNNv3(cfg["enc_channels"], cfg["film_cond_dim"], cfg.get("film_hidden", FILM_HIDDEN))
    model.load_state_dict(ckpt["model_state"])
    return model.to(device), ckpt
