#!/usr/bin/python3
"""Pack a Blender multilayer OpenEXR render into a cnnv3 training sample directory.

    pack_blender.py RENDER.exr OUTDIR [--layer NAME] [--albedo-pass DiffCol|Combined] [--bits 16|8]
                    [--normal-space auto|camera|world] [--licence L] [--target T] [--style-a A] [--style-b B]

Blender names multilayer EXR channels `<view layer>.<pass>.<channel>`, e.g. `ViewLayer.DiffCol.R`.
What goes where (docs/formats.md, "Training sample directory"; docs/packing.md has the details):

| file        | from pass            | how |
|-------------|----------------------|-----|
| albedo.png  | DiffCol.RGB (linear) | sRGB transfer, so it matches photos and video frames |
| normal.png  | Normal.XYZ (world)   | rotated to camera space when the camera is known, octahedral xy |
| depth.png   | Depth.Z              | 1/(z+1); background (z ≥ 1e9 or not finite) → 0 |
| matid.png   | IndexOB.X            | rounded, clamped to 0..255 |
| shadow.png  | Shadow (if present)  | mean of its channels, 1 = lit → 255; absent (Cycles 3.x) → 255 |
| transp.png  | Combined.A           | 255·(1 − alpha) |

Every refusal is one line naming the EXR (and the pass, when one is missing).
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pack_photo.py sits beside this file
from pack_photo import (NORMAL_ZERO, PackError, pack_targets, prepare_outdir,  # noqa: E402
                        read_targets, sha256_file, write_meta, write_png)

# pass → channels we need, in the order we stack them.
REQUIRED = {"DiffCol": "RGB", "Normal": "XYZ", "Depth": "Z", "IndexOB": "X", "Combined": "A"}
FAR_DEPTH = 1e9  # Blender writes 1e10 for background pixels in the Depth pass


# ---------------------------------------------------------------- encodings

def srgb_encode(linear):
    """Linear [0, 1] → sRGB-encoded [0, 1] (IEC 61966-2-1 piecewise curve)."""
    x = np.clip(linear, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1.0 / 2.4) - 0.055)


def oct_encode(n):
    """Unit vectors (..., 3) → octahedral (..., 2) in [-1, 1]: fold the sphere onto a square.

    The upper hemisphere (z ≥ 0) maps to the inner diamond |x| + |y| ≤ 1, the lower one to the
    corners. Zero vectors map to (0, 0).
    """
    n = np.asarray(n, np.float64)
    l1 = np.abs(n).sum(-1, keepdims=True)
    p = np.divide(n, l1, out=np.zeros_like(n), where=l1 > 0)
    x, y, z = p[..., 0], p[..., 1], p[..., 2]
    sx, sy = np.where(x >= 0, 1.0, -1.0), np.where(y >= 0, 1.0, -1.0)
    fx = np.where(z < 0, (1 - np.abs(y)) * sx, x)
    fy = np.where(z < 0, (1 - np.abs(x)) * sy, y)
    return np.stack([fx, fy], -1)


def oct_decode(e):
    """Octahedral (..., 2) → unit vectors (..., 3); the inverse of oct_encode."""
    e = np.asarray(e, np.float64)
    x, y = e[..., 0], e[..., 1]
    z = 1 - np.abs(x) - np.abs(y)
    sx, sy = np.where(x >= 0, 1.0, -1.0), np.where(y >= 0, 1.0, -1.0)
    nx = np.where(z < 0, (1 - np.abs(y)) * sx, x)
    ny = np.where(z < 0, (1 - np.abs(x)) * sy, y)
    n = np.stack([nx, ny, z], -1)
    return n / np.linalg.norm(n, axis=-1, keepdims=True)


def to_u16(v01):
    return np.rint(np.clip(v01, 0.0, 1.0) * 65535.0).astype(np.uint16)


# ---------------------------------------------------------------- EXR reading

def read_exr(path):
    """Read every channel of every part → ({full channel name: H×W float32}, header dict)."""
    import OpenImageIO as oiio

    path = str(path)
    if not Path(path).is_file():
        raise PackError(f"{path}: no such file")
    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise PackError(f"{path}: unreadable EXR ({oiio.geterror() or 'unknown format'})")
    channels, header, size = {}, {}, None
    try:
        sub = 0
        while inp.seek_subimage(sub, 0):  # Blender 3.x writes one part; later ones may split views
            spec = inp.spec()
            if size is None:
                size = (spec.height, spec.width)
                header = {a.name: a.value for a in spec.extra_attribs}
            if (spec.height, spec.width) == size:
                px = inp.read_image(sub, 0, 0, spec.nchannels, "float")
                if px is None:
                    raise PackError(f"{path}: could not decode pixels ({oiio.geterror()})")
                px = np.asarray(px, np.float32).reshape(spec.height, spec.width, spec.nchannels)
                for i, name in enumerate(spec.channelnames):
                    channels.setdefault(name, px[:, :, i])
            sub += 1
    finally:
        inp.close()
    if not channels or 0 in size:
        raise PackError(f"{path}: EXR has no pixels")
    return channels, header


def split_layers(path, channels, layer=None):
    """Group `layer.pass.chan` names → {pass: {chan: array}} for one view layer."""
    layers = {}
    for name, arr in channels.items():
        parts = name.rsplit(".", 2)  # a view layer's name may itself hold dots
        if len(parts) == 3:
            layers.setdefault(parts[0], {}).setdefault(parts[1], {})[parts[2]] = arr
    if not layers:
        raise PackError(f"{path}: not a Blender multilayer EXR (channels {sorted(channels)[:6]}); "
                        "save as 'OpenEXR MultiLayer' with the DiffCol, Normal, Depth and IndexOB passes")
    if layer is None:
        if len(layers) > 1:
            raise PackError(f"{path}: several view layers ({', '.join(sorted(layers))}); pick one "
                            "with --layer")
        layer = next(iter(layers))
    if layer not in layers:
        raise PackError(f"{path}: no view layer '{layer}' (has {', '.join(sorted(layers))})")
    return layer, layers[layer]


def camera_rotation(header):
    """World → camera 3×3 rotation from the EXR header, or None when the render does not say.

    render_tiny_scene.py stores it as JSON in Blender's render note ("Note" header field), since
    Blender 3.x writes no camera matrix of its own.
    """
    try:
        m = np.array(json.loads(header.get("Note", ""))["cnnv3_world_to_camera"], np.float64)
        return m if m.shape == (3, 3) and np.isfinite(m).all() else None
    except (ValueError, KeyError, TypeError):
        return None


# ---------------------------------------------------------------- packing

def pack_blender(exr, outdir, layer=None, albedo_pass="DiffCol", bits=16, normal_space="auto",
                 licence=None, target=None, style_a=None, style_b=None, log=None):
    """Pack the multilayer EXR render into the sample directory OUTDIR; returns the meta dict."""
    channels, header = read_exr(exr)
    layer, passes = split_layers(exr, channels, layer)
    needed = dict(REQUIRED)
    if albedo_pass == "Combined":
        needed["Combined"] = "RGBA"
    got = {}
    for name, chans in needed.items():
        if name not in passes:
            raise PackError(f"{exr}: missing the {name} pass in view layer '{layer}' "
                            f"(has {', '.join(sorted(passes))}); enable it under View Layer ▸ Passes")
        missing = [c for c in chans if c not in passes[name]]
        if missing:
            raise PackError(f"{exr}: pass {name} in view layer '{layer}' lacks channel(s) "
                            f"{', '.join(missing)}")
        got[name] = np.stack([passes[name][c] for c in chans], -1).astype(np.float64)
    targets = read_targets({"target": target, "style_a": style_a, "style_b": style_b})
    h, w = got["Depth"].shape[:2]
    alpha = np.clip(np.nan_to_num(got["Combined"][..., -1]), 0.0, 1.0)

    # Albedo: the passes are linear light; photos and video frames are sRGB-encoded, and the
    # network sees albedo in the frame's own transfer (SPEC §1 "Output"), so encode the same way.
    lin = got["DiffCol"] if albedo_pass == "DiffCol" else got["Combined"][..., :3]
    enc = srgb_encode(np.nan_to_num(lin))
    albedo = to_u16(enc) if bits == 16 else np.rint(enc * 255).astype(np.uint8)

    # Normal: Cycles writes world-space normals; camera space makes "faces the viewer" the same
    # direction in every render (x right, y up, z towards the camera).
    n = np.nan_to_num(got["Normal"])
    rot = camera_rotation(header)
    if normal_space == "camera" and rot is None:
        raise PackError(f"{exr}: --normal-space camera needs the camera rotation in the EXR header "
                        "(render with training/blender/render_tiny_scene.py or add the Note)")
    space = "camera" if rot is not None and normal_space != "world" else "world"
    if space == "camera":
        n = n @ rot.T
    length = np.linalg.norm(n, axis=-1)
    has_normal = length > 1e-6  # background holds a zero normal: keep the neutral code there
    normal = np.zeros((h, w, 3), np.uint16)
    normal[..., :2] = NORMAL_ZERO
    normal[has_normal, :2] = to_u16((oct_encode(n[has_normal]) + 1.0) / 2.0)

    z = got["Depth"][..., 0]
    hit = np.isfinite(z) & (z >= 0) & (z < FAR_DEPTH)
    depth = np.where(hit, 1.0 / (np.where(hit, z, 0.0) + 1.0), 0.0)

    index = np.nan_to_num(got["IndexOB"][..., 0])
    matid = np.clip(np.rint(index), 0, 255).astype(np.uint8)

    defaulted = []
    if "Shadow" in passes and passes["Shadow"]:
        lit = np.mean(np.stack(list(passes["Shadow"].values()), -1), -1)
        shadow = np.rint(np.clip(np.nan_to_num(lit, nan=1.0), 0, 1) * 255).astype(np.uint8)
    else:
        shadow = np.full((h, w), 255, np.uint8)
        defaulted.append("shadow")
    transp = np.rint(255.0 * (1.0 - alpha)).astype(np.uint8)

    outdir = prepare_outdir(outdir)
    for name, arr in (("albedo", albedo), ("normal", normal), ("depth", to_u16(depth)),
                      ("matid", matid), ("shadow", shadow), ("transp", transp)):
        write_png(outdir / f"{name}.png", arr)
    meta = {
        "format": "cnnv3-sample", "version": 1, "kind": "blender",
        "source": str(exr), "source_sha256": sha256_file(exr), "licence": licence,
        "size": [w, h], "albedo_bits": bits, "defaulted": defaulted, "targets": {},
        "view_layer": layer, "albedo_pass": albedo_pass, "albedo_transfer": "sRGB",
        "normal_space": space, "passes": sorted(passes),
    }
    pack_targets(outdir, (w, h), targets, meta, log)
    write_meta(outdir, meta)
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("exr", help="Blender multilayer OpenEXR render")
    ap.add_argument("outdir", help="sample directory to write")
    ap.add_argument("--layer", help="view layer name (needed when the EXR has several)")
    ap.add_argument("--albedo-pass", choices=("DiffCol", "Combined"), default="DiffCol",
                    help="DiffCol: unlit surface colour (default); Combined: the lit render")
    ap.add_argument("--bits", type=int, choices=(8, 16), default=16, help="albedo.png bit depth")
    ap.add_argument("--normal-space", choices=("auto", "camera", "world"), default="auto",
                    help="auto: camera space when the EXR header gives the camera, else world")
    ap.add_argument("--licence", help="licence text recorded in meta.json")
    ap.add_argument("--target", help="fixed target image → target.png")
    ap.add_argument("--style-a", help="stylized variant A → style_a.png")
    ap.add_argument("--style-b", help="stylized variant B → style_b.png")
    args = ap.parse_args(argv)
    note = lambda msg: print(f"pack_blender: {msg}", file=sys.stderr)  # noqa: E731
    try:
        meta = pack_blender(args.exr, args.outdir, args.layer, args.albedo_pass, args.bits,
                            args.normal_space, args.licence, args.target, args.style_a,
                            args.style_b, note)
    except PackError as e:
        print(f"pack_blender: error: {e}", file=sys.stderr)
        return 1
    if meta["normal_space"] == "world":
        note("no camera rotation in the EXR header: normals stored in world space")
    return 0


if __name__ == "__main__":
    sys.exit(main())
