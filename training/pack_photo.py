#!/usr/bin/python3
"""Pack photos into cnnv3 training sample directories (docs/formats.md, "Training sample directory").

A photo has only colour, so every G-buffer channel gets the "not available" default of SPEC §2:
neutral normal (R = G = 32768, 16-bit), depth 0 (16-bit), matid 0, shadow 255 (lit) and
transp = 255·(1 − alpha) from the photo's alpha channel, or 0 without one. The albedo keeps the
photo's bit depth (8 or 16). Optional stylized targets are copied in as target.png / style_a.png /
style_b.png, resized to the albedo's size when they differ (meta.json records it).

    pack_photo.py PHOTO OUTDIR [--target T] [--style-a A] [--style-b B] [--licence L] [--max-size N]
    pack_photo.py PHOTO_DIR OUTROOT [--licence L] [--max-size N]   # one sample per image file
    pack_photo.py --batch LIST.tsv OUTROOT [--max-size N]          # see docs/packing.md

Images are read with OpenImageIO (python3-openimageio) because PIL silently drops 16-bit RGB PNGs to
8 bits; PNGs are written by a small encoder here so the files hold exactly the values we computed,
with no colour-space chunks. Other code may import `pack_photo`, `read_image` and `write_png`.
"""

import argparse
import hashlib
import json
import os
import struct
import sys
import zlib
from pathlib import Path

import numpy as np

# Every file a sample directory can hold; a re-pack removes stale ones first.
SAMPLE_FILES = ("albedo.png", "normal.png", "depth.png", "matid.png", "shadow.png", "transp.png",
                "target.png", "style_a.png", "style_b.png", "meta.json")
TARGET_FILES = {"target": "target.png", "style_a": "style_a.png", "style_b": "style_b.png"}
IMAGE_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".tga", ".ppm", ".pgm"}
NORMAL_ZERO = 32768  # 2·32768/65535 − 1 ≈ 1.5e-5: the closest 16-bit code to octahedral 0


class PackError(Exception):
    """A refusal: its message is one line that names the offending file."""


# ---------------------------------------------------------------- image I/O

def write_png(path, arr):
    """Write a uint8/uint16 array (H×W gray or H×W×3 RGB) as a plain PNG, values unchanged."""
    arr = np.asarray(arr)
    if arr.dtype not in (np.uint8, np.uint16) or arr.ndim not in (2, 3):
        raise ValueError(f"write_png: need uint8/uint16 H×W or H×W×3, got {arr.dtype} {arr.shape}")
    h, w = arr.shape[:2]
    colour = 2 if arr.ndim == 3 else 0  # PNG colour type: 2 = RGB, 0 = gray
    if arr.ndim == 3 and arr.shape[2] != 3:
        raise ValueError(f"write_png: RGB needs 3 channels, got {arr.shape[2]}")
    bits = 16 if arr.dtype == np.uint16 else 8
    rows = arr.astype(">u2" if bits == 16 else np.uint8).reshape(h, -1).view(np.uint8)
    # PNG filter 2 ("Up": each byte minus the byte above, mod 256) shrinks photos by about a
    # quarter compared with no filter; the first row's "above" is zeros, so it stays as is.
    up = rows.copy()
    up[1:] -= rows[:-1]
    raw = np.hstack([np.full((h, 1), 2, np.uint8), up]).tobytes()

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, colour, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))


def _apply_orientation(a, orientation):
    """Undo an EXIF orientation (1..8) so the pixels are upright, as a viewer shows them."""
    if orientation in (2, 4, 5, 7):  # mirrored variants: mirror first, then rotate like 1/3/6/8
        a = a[:, ::-1]
        orientation = {2: 1, 4: 3, 5: 8, 7: 6}[orientation]
    # 3: rotate 180; 6: rotate 90° clockwise; 8: rotate 90° counter-clockwise.
    return {1: a, 3: a[::-1, ::-1], 6: np.rot90(a, -1), 8: np.rot90(a, 1)}.get(orientation, a)


def read_image(path):
    """Read an 8/16-bit image → (rgb H×W×3, alpha H×W or None, bits) in uint8 or uint16.

    Gray images are widened to RGB. Alpha is read *unassociated* (OpenImageIO would otherwise
    premultiply PNG colour by alpha on read). Raises PackError naming the file on any problem.
    """
    import OpenImageIO as oiio  # imported here so --help works without it

    path = str(path)
    if not os.path.isfile(path):
        raise PackError(f"{path}: no such file")
    if os.path.getsize(path) == 0:
        raise PackError(f"{path}: empty file (0 bytes)")
    config = oiio.ImageSpec()
    config.attribute("oiio:UnassociatedAlpha", 1)
    inp = oiio.ImageInput.open(path, config)
    if inp is None:
        raise PackError(f"{path}: unreadable image ({oiio.geterror() or 'unknown format'})")
    try:
        spec = inp.spec()
        if spec.width <= 0 or spec.height <= 0 or spec.nchannels <= 0:
            raise PackError(f"{path}: image has size {spec.width}x{spec.height}x{spec.nchannels}")
        base = spec.format.basetype
        if base in (oiio.UINT8, oiio.INT8):
            dtype, fmt, bits = np.uint8, "uint8", 8
        elif base in (oiio.FLOAT, oiio.HALF, oiio.DOUBLE):
            raise PackError(f"{path}: floating-point image; give an 8- or 16-bit photo")
        else:  # 16-bit and wider integers are kept at 16 bits
            dtype, fmt, bits = np.uint16, "uint16", 16
        pixels = inp.read_image(0, 0, 0, spec.nchannels, fmt)
        if pixels is None or np.ndim(pixels) != 3:
            raise PackError(f"{path}: could not decode pixels ({oiio.geterror() or 'truncated?'})")
        orientation = spec.get_int_attribute("Orientation", 1)
        alpha_ch = spec.alpha_channel
    finally:
        inp.close()

    pixels = np.asarray(pixels, dtype=dtype)
    nch = pixels.shape[2]
    if alpha_ch < 0 and nch in (2, 4):  # gray+alpha / RGBA without a tagged alpha channel
        alpha_ch = nch - 1
    alpha = pixels[:, :, alpha_ch] if 0 <= alpha_ch < nch else None
    colour = [c for c in range(nch) if c != alpha_ch]
    rgb = pixels[:, :, colour[:3]] if len(colour) >= 3 else np.repeat(pixels[:, :, colour[:1]], 3, 2)
    rgb = np.ascontiguousarray(_apply_orientation(rgb, orientation))
    if alpha is not None:
        alpha = np.ascontiguousarray(_apply_orientation(alpha, orientation))
    return rgb, alpha, bits


def resize(arr, width, height):
    """Resize a uint8/uint16 H×W×C or H×W array with Lanczos (antialiased when shrinking)."""
    from PIL import Image

    if arr.shape[1] == width and arr.shape[0] == height:
        return arr
    planes = arr[..., None] if arr.ndim == 2 else arr
    # PIL's float mode resizes one plane at a time at any bit depth without rounding to 8 bits.
    out = np.stack([np.asarray(Image.fromarray(planes[:, :, c].astype(np.float32), "F")
                               .resize((width, height), Image.LANCZOS))
                    for c in range(planes.shape[2])], axis=2)
    top = np.iinfo(arr.dtype).max
    out = np.clip(np.rint(out), 0, top).astype(arr.dtype)
    return out[:, :, 0] if arr.ndim == 2 else out


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def prepare_outdir(outdir):
    """Create OUTDIR; remove sample files of an earlier pack so no stale target.png survives."""
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise PackError(f"{outdir}: exists and is not a directory")
    outdir.mkdir(parents=True, exist_ok=True)
    for name in SAMPLE_FILES:
        (outdir / name).unlink(missing_ok=True)
    return outdir


def write_meta(outdir, meta):
    with open(Path(outdir) / "meta.json", "w") as f:
        json.dump(meta, f, indent=2, sort_keys=True)
        f.write("\n")


def read_targets(targets):
    """Read the stylized images {key: path or None} → {key: (path, rgb, bits)} for pack_targets."""
    out = {}
    for key, path in targets.items():
        if path is not None:
            rgb, _alpha, bits = read_image(path)  # a target's alpha is not used by any recipe
            out[key] = (path, rgb, bits)
    return out


def pack_targets(outdir, size, targets, meta, log=None):
    """Write read_targets() images into OUTDIR, resized to SIZE = (w, h) when they differ."""
    width, height = size
    for key, (path, rgb, bits) in targets.items():
        entry = {"source": str(path), "sha256": sha256_file(path), "bits": bits}
        if rgb.shape[:2] != (height, width):
            entry["resized_from"] = [rgb.shape[1], rgb.shape[0]]
            if log:
                log(f"{path}: {rgb.shape[1]}x{rgb.shape[0]} resized to the albedo's {width}x{height}")
            rgb = resize(rgb, width, height)
        write_png(Path(outdir) / TARGET_FILES[key], rgb)
        meta["targets"][key] = entry


# ---------------------------------------------------------------- packing

def pack_photo(photo, outdir, target=None, style_a=None, style_b=None, licence=None,
               max_size=None, log=None):
    """Pack PHOTO (and optional stylized images) into the sample directory OUTDIR.

    max_size shrinks the photo so its longer side is at most that many pixels (targets follow).
    log, when given, receives one-line notes (e.g. "target resized"). Returns the meta dict.
    Raises PackError (message names the file) on unreadable or empty input.
    """
    rgb, alpha, bits = read_image(photo)
    # Read every input before touching OUTDIR so a bad target leaves no half-written sample.
    targets = read_targets({"target": target, "style_a": style_a, "style_b": style_b})
    h0, w0 = rgb.shape[:2]
    if max_size and max(h0, w0) > max_size:
        scale = max_size / max(h0, w0)
        w, h = max(1, round(w0 * scale)), max(1, round(h0 * scale))
        rgb = resize(rgb, w, h)
        alpha = resize(alpha, w, h) if alpha is not None else None
    h, w = rgb.shape[:2]

    outdir = prepare_outdir(outdir)
    write_png(outdir / "albedo.png", rgb)
    normal = np.zeros((h, w, 3), np.uint16)
    normal[:, :, :2] = NORMAL_ZERO
    write_png(outdir / "normal.png", normal)
    write_png(outdir / "depth.png", np.zeros((h, w), np.uint16))
    write_png(outdir / "matid.png", np.zeros((h, w), np.uint8))
    write_png(outdir / "shadow.png", np.full((h, w), 255, np.uint8))
    defaulted = ["normal", "depth", "matid", "shadow"]
    if alpha is None:
        transp = np.zeros((h, w), np.uint8)
        defaulted.append("transp")
    else:
        top = float(np.iinfo(alpha.dtype).max)
        transp = np.rint(255.0 * (1.0 - alpha.astype(np.float64) / top)).astype(np.uint8)
    write_png(outdir / "transp.png", transp)

    meta = {
        "format": "cnnv3-sample", "version": 1, "kind": "photo",
        "source": str(photo), "source_sha256": sha256_file(photo), "licence": licence,
        "size": [w, h], "albedo_bits": bits, "defaulted": defaulted, "targets": {},
    }
    if (w, h) != (w0, h0):
        meta["resized_from"] = [w0, h0]
    pack_targets(outdir, (w, h), targets, meta, log)
    write_meta(outdir, meta)
    return meta


# ---------------------------------------------------------------- batch

def read_batch_list(list_path):
    """Parse a batch TSV → list of (line number, photo, target, style_a, style_b, licence).

    Columns: photo, target, style_a, style_b, licence; trailing ones may be left off and an empty
    cell means "none". Blank lines and lines starting with '#' are skipped. Relative paths are taken
    relative to the TSV's own directory, so a list travels with its photos.
    """
    base = Path(list_path).parent
    rows = []
    with open(list_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cells = [c.strip() for c in line.split("\t")] + [""] * 5
            if len(line.split("\t")) > 5:
                raise PackError(f"{list_path}:{n}: more than 5 tab-separated columns")
            paths = [str(base / c) if c else None for c in cells[:4]]
            if paths[0] is None:
                raise PackError(f"{list_path}:{n}: no photo path in the first column")
            rows.append((n, *paths, cells[4] or None))
    return rows


def unique_name(stem, used):
    """Sample directory name from the photo's stem; a repeated stem gets _2, _3, ..."""
    name, k = stem, 1
    while name in used:
        k += 1
        name = f"{stem}_{k}"
    used.add(name)
    return name


def pack_batch(jobs, outroot, max_size=None, log=print):
    """Pack each (photo, target, style_a, style_b, licence) job into OUTROOT/<stem>.

    A bad photo is reported and skipped so one broken file does not stop a long run.
    Returns (packed directories, number of failures).
    """
    used, done, failed = set(), [], 0
    for photo, target, style_a, style_b, licence in jobs:
        outdir = Path(outroot) / unique_name(Path(photo).stem, used)
        try:
            pack_photo(photo, outdir, target, style_a, style_b, licence, max_size, log)
            done.append(outdir)
        except PackError as e:
            log(f"error: {e}")
            failed += 1
    return done, failed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("photo", nargs="?", help="photo file, or a directory of photos")
    ap.add_argument("outdir", nargs="?", help="sample directory (or root for a directory/batch)")
    ap.add_argument("--batch", nargs=2, metavar=("LIST.tsv", "OUTROOT"),
                    help="pack every line of a TSV list (photo, target, style_a, style_b, licence)")
    ap.add_argument("--target", help="fixed target image → target.png")
    ap.add_argument("--style-a", help="stylized variant A → style_a.png")
    ap.add_argument("--style-b", help="stylized variant B → style_b.png")
    ap.add_argument("--licence", help="licence text recorded in meta.json")
    ap.add_argument("--max-size", type=int, help="shrink so the longer side is at most N pixels")
    args = ap.parse_args(argv)
    note = lambda msg: print(f"pack_photo: {msg}", file=sys.stderr)  # noqa: E731

    try:
        if args.batch:
            if args.photo or args.outdir:
                ap.error("--batch takes LIST.tsv OUTROOT; give no PHOTO/OUTDIR with it")
            rows = read_batch_list(args.batch[0])
            jobs = [(p, t, a, b, lic or args.licence) for _n, p, t, a, b, lic in rows]
            outroot = args.batch[1]
        elif args.photo and args.outdir and Path(args.photo).is_dir():
            if args.target or args.style_a or args.style_b:
                ap.error("--target/--style-a/--style-b need a single photo; use --batch for sets")
            photos = sorted(p for p in Path(args.photo).iterdir()
                            if p.is_file() and p.suffix.lower() in IMAGE_EXTS)
            if not photos:
                raise PackError(f"{args.photo}: no image files ({', '.join(sorted(IMAGE_EXTS))})")
            jobs = [(str(p), None, None, None, args.licence) for p in photos]
            outroot = args.outdir
        elif args.photo and args.outdir:
            pack_photo(args.photo, args.outdir, args.target, args.style_a, args.style_b,
                       args.licence, args.max_size, note)
            return 0
        else:
            ap.error("give PHOTO OUTDIR, PHOTO_DIR OUTROOT, or --batch LIST.tsv OUTROOT")
        done, failed = pack_batch(jobs, outroot, args.max_size, note)
        note(f"packed {len(done)} sample(s) into {outroot}, {failed} failed")
        return 1 if failed else 0
    except PackError as e:
        print(f"pack_photo: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
