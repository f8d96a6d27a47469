#!/usr/bin/python3
"""Rebuild the training photo set and its stylized variants from Debian packages.

    /usr/bin/python3 training/data/build_photos.py [--out training/data/build] [--max-size 512]

1. For every package in ../shared/data/photos.tsv (copied here as photos.tsv): `apt-get download`
   the .deb into OUT/debs and `dpkg-deb -x` it into OUT/extract/<package> (nothing is installed).
2. Every file matching the row's path glob ({a,b} alternatives and * allowed) becomes one photo:
   decoded, alpha dropped (composited on black), shrunk so the longer side is at most --max-size
   (area filter) and written as OUT/photos/<id>.png, id = <package>__<file stem>.
3. Each photo gets the stylized variants of STYLES (OpenCV, G'MIC), deterministically: fixed
   parameters, no randomness, OMP_NUM_THREADS=1 for G'MIC.
4. A fixed set of photos is held out for evaluation only: the HELD_OUT_COUNT ids whose SHA-256 of the
   id string sorts first (independent of package versions and pixel values).
5. OUT/manifest.tsv lists every photo: id, split, package, package version, file inside the
   package, licence (from photos.tsv), SHA-256 of the written PNG. Its own SHA-256 is the "data
   manifest hash" recorded in each model.json.
6. OUT/samples/<model>/<split>/<id>/ are training sample directories (docs/formats.md) for each
   model of MODELS: albedo = the photo, style_a / style_b = that model's two styles.

Needs python3-opencv and gmic (scripts/install-deps.sh installs both).
"""

import argparse
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pack_photo import write_png  # noqa: E402

HELD_OUT_COUNT = 16

# Styles that survive a small receptive field. Each takes and returns 8-bit BGR (OpenCV order).


def style_cartoon(bgr):
    """Edge-preserving smoothing, 6 levels per channel, dark Canny outlines."""
    smooth = cv2.edgePreservingFilter(bgr, flags=cv2.RECURS_FILTER, sigma_s=50, sigma_r=0.4)
    levels = 6
    q = np.floor(smooth.astype(np.float32) / 256.0 * levels) * (255.0 / (levels - 1))
    gray = cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY)
    edges = cv2.dilate(cv2.Canny(gray, 60, 140), np.ones((2, 2), np.uint8))
    q[edges > 0] *= 0.15
    return np.clip(q, 0, 255).astype(np.uint8)


def style_pencil(bgr):
    """OpenCV's colour pencil sketch."""
    _, colour = cv2.pencilSketch(bgr, sigma_s=40, sigma_r=0.08, shade_factor=0.06)
    return colour


def style_watercolor(bgr):
    """OpenCV's stylization (edge-preserving smoothing with soft, washed-out colour)."""
    return cv2.stylization(bgr, sigma_s=60, sigma_r=0.45)


def gmic_kuwahara(bgr, size):
    """G'MIC's Kuwahara filter, run as a subprocess on a temporary PNG."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.png", Path(tmp) / "out.png"
        cv2.imwrite(str(src), bgr)
        env = dict(os.environ, OMP_NUM_THREADS="1")
        subprocess.run(["gmic", "-v", "-1", str(src), "kuwahara", str(size), "-cut", "0,255", "-o",
                        str(dst)], check=True, env=env, stdout=subprocess.DEVNULL)
        out = cv2.imread(str(dst), cv2.IMREAD_COLOR)
    if out is None or out.shape != bgr.shape:
        raise RuntimeError("gmic kuwahara: no output of the input's size")
    return out


def style_kuwahara(bgr):
    """G'MIC's Kuwahara filter (size 4)."""
    return gmic_kuwahara(bgr, 4)


def style_oil(bgr):
    """Oil paint: saturation × 1.45 and contrast × 1.15 (HSV), then G'MIC's Kuwahara (size 5)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * 1.45, 0, 255)
    hsv[..., 2] = np.clip((hsv[..., 2] - 128.0) * 1.15 + 128.0, 0, 255)
    return gmic_kuwahara(cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR), 5)


def style_wash(bgr):
    """Watercolour wash: OpenCV stylization, saturation × 1.2, transparent pigment on warm paper
    (lighter), darker wet edges where a wash meets a lighter one (no paper texture: a texture fixed
    to the frame would not move with the picture)."""
    s = cv2.stylization(bgr, sigma_s=60, sigma_r=0.45).astype(np.float32) / 255.0
    g = s.mean(-1, keepdims=True)
    s = g + 1.2 * (s - g)
    paper = np.array([0.86, 0.95, 1.0], np.float32)  # BGR
    s = paper * (1.0 - 0.7 * (1.0 - s))
    s = s - 0.8 * np.minimum(s - cv2.GaussianBlur(s, (0, 0), 3), 0.0)
    return np.clip(s * 255.0 + 0.5, 0, 255).astype(np.uint8)


def style_posterize(bgr):
    """Slight blur, then 4 levels per channel with a saturation boost."""
    hsv = cv2.cvtColor(cv2.GaussianBlur(bgr, (0, 0), 1.0), cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * 1.3, 0, 255)
    boosted = cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR).astype(np.float32)
    levels = 4
    q = np.floor(boosted / 256.0 * levels) * (255.0 / (levels - 1))
    return np.clip(q, 0, 255).astype(np.uint8)


def style_inkwash(bgr):
    """Grey washes on warm paper with dark strokes on edges."""
    smooth = cv2.edgePreservingFilter(bgr, flags=cv2.RECURS_FILTER, sigma_s=30, sigma_r=0.3)
    g = cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    wash = np.floor(g * 5.0) / 4.0  # 5 wash levels
    edges = cv2.Canny((g * 255).astype(np.uint8), 40, 110).astype(np.float32) / 255.0
    edges = cv2.GaussianBlur(edges, (0, 0), 0.8)
    tone = np.clip(0.25 + 0.75 * wash - 1.2 * edges, 0.0, 1.0)[..., None]
    paper = np.array([0.86, 0.93, 0.97], np.float32)  # BGR of a warm paper
    ink = np.array([0.18, 0.14, 0.12], np.float32)
    return np.clip((ink + (paper - ink) * tone) * 255.0 + 0.5, 0, 255).astype(np.uint8)


STYLES = {
    "cartoon": style_cartoon,
    "pencil": style_pencil,
    "watercolor": style_watercolor,
    "kuwahara": style_kuwahara,
    "posterize": style_posterize,
    "inkwash": style_inkwash,
    "oil": style_oil,
    "wash": style_wash,
}

GMIC_STYLES = {"kuwahara", "oil"}  # need the gmic program

# The shipped models: name -> (style A, style B) for recipe blend_pulse (style_p0 blends A -> B).
MODELS = {
    "toon": ("cartoon", "pencil"),
    "paint": ("oil", "wash"),  # v1 paired kuwahara → watercolor: only 19.7/255 apart
    "poster": ("posterize", "inkwash"),
}


def expand_braces(pattern):
    """'a/{x,y}/*.jpg' -> ['a/x/*.jpg', 'a/y/*.jpg'] (one level of alternatives per group)."""
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out = []
    for alt in m.group(1).split(","):
        out += expand_braces(pattern[:m.start()] + alt + pattern[m.end():])
    return out


def read_photo_list(path):
    rows = []
    for n, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) < 3:
            sys.exit(f"{path}:{n}: expected package<TAB>path-glob<TAB>licence[<TAB>tier]")
        rows.append({"package": parts[0], "glob": parts[1], "licence": parts[2]})
    return rows


def fetch_package(package, out):
    """Download and unpack one .deb; returns (extract dir, version)."""
    debs, extract = out / "debs", out / "extract" / package
    debs.mkdir(parents=True, exist_ok=True)
    found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", "-q", package], cwd=debs, check=True,
                       stdout=subprocess.DEVNULL)
        found = sorted(debs.glob(f"{package}_*.deb"))
    if not found:
        sys.exit(f"{package}: apt-get download left no .deb in {debs}")
    deb = found[-1]
    if not extract.is_dir():
        extract.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(extract)], check=True)
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], check=True,
                             capture_output=True, text=True).stdout.strip()
    return extract, version


def load_photo(path, max_size):
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise RuntimeError(f"{path}: cannot decode")
    if img.dtype != np.uint8:
        img = (img.astype(np.float32) / np.iinfo(img.dtype).max * 255.0 + 0.5).astype(np.uint8)
    if img.ndim == 2:
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)
    elif img.shape[2] == 4:
        alpha = img[..., 3:4].astype(np.float32) / 255.0
        img = (img[..., :3].astype(np.float32) * alpha + 0.5).astype(np.uint8)
    h, w = img.shape[:2]
    scale = min(1.0, max_size / max(h, w))
    if scale < 1.0:
        img = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                         interpolation=cv2.INTER_AREA)
    return img


def write_rgb_png(path, bgr):
    path.parent.mkdir(parents=True, exist_ok=True)
    write_png(path, np.ascontiguousarray(bgr[..., ::-1]))


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(HERE / "build"))
    ap.add_argument("--list", default=str(HERE / "photos.tsv"))
    ap.add_argument("--max-size", type=int, default=512)
    args = ap.parse_args(argv)
    out = Path(args.out)
    photos = []
    for row in read_photo_list(args.list):
        extract, version = fetch_package(row["package"], out)
        matched = sorted({p for g in expand_braces(row["glob"]) for p in extract.glob(g) if p.is_file()})
        if not matched:
            sys.exit(f"{row['package']}: nothing matches {row['glob']}")
        for src in matched:
            stem = re.sub(r"[^A-Za-z0-9_.-]", "_", src.stem if src.stem != "2560x1600" else src.parents[2].name)
            photos.append({"id": f"{row['package']}__{stem}", "package": row["package"], "version": version,
                           "file": str(src.relative_to(extract)), "licence": row["licence"], "src": src})
    ids = [p["id"] for p in photos]
    if len(set(ids)) != len(ids):
        sys.exit("photo ids are not unique: " + ", ".join(sorted({i for i in ids if ids.count(i) > 1})))
    held = set(sorted(ids, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:HELD_OUT_COUNT])

    lines = ["# id\tsplit\tpackage\tversion\tfile\tlicence\tsha256"]
    for n, p in enumerate(photos, 1):
        split = "heldout" if p["id"] in held else "train"
        img = load_photo(p["src"], args.max_size)
        photo_png = out / "photos" / f"{p['id']}.png"
        write_rgb_png(photo_png, img)
        styled = {}
        for name, fn in STYLES.items():
            styled[name] = out / "styles" / name / f"{p['id']}.png"
            if not styled[name].is_file():
                write_rgb_png(styled[name], fn(img))
        for model, (a, b) in MODELS.items():
            d = out / "samples" / model / split / p["id"]
            d.mkdir(parents=True, exist_ok=True)
            for fname, src in (("albedo.png", photo_png), ("style_a.png", styled[a]), ("style_b.png", styled[b])):
                dst = d / fname
                if dst.exists() or dst.is_symlink():
                    dst.unlink()
                os.link(src, dst)
        lines.append("\t".join([p["id"], split, p["package"], p["version"], p["file"], p["licence"],
                                sha256(photo_png)]))
        print(f"[{n}/{len(photos)}] {p['id']} {img.shape[1]}x{img.shape[0]} {split}", flush=True)
    manifest = out / "manifest.tsv"
    manifest.write_text("\n".join(lines) + "\n")
    print(f"{len(photos)} photos ({len(held)} held out); {manifest} sha256 {sha256(manifest)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
