"""Tests for training/pack_photo.py: photo defaults, alpha, bit depth, targets, refusals, batches.

Outputs are read back with OpenImageIO (not with pack_photo's own code), so the PNG writer is
checked by an independent decoder.
"""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
import pack_photo  # noqa: E402

SCRIPT = ROOT / "training" / "pack_photo.py"


def load(path):
    """Read a PNG exactly as stored: (array H×W×C, dtype per file)."""
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    spec = inp.spec()
    arr = inp.read_image(0, 0, 0, spec.nchannels, spec.format)
    inp.close()
    return np.asarray(arr)


def save_oiio(path, arr):
    """Write with OpenImageIO (an independent encoder) — used for the 16-bit input photo."""
    h, w, c = arr.shape
    out = oiio.ImageOutput.create(str(path))
    spec = oiio.ImageSpec(w, h, c, "uint16" if arr.dtype == np.uint16 else "uint8")
    spec.attribute("oiio:UnassociatedAlpha", 1)  # else OIIO un-premultiplies RGB on write
    out.open(str(path), spec)
    out.write_image(arr)
    out.close()


def rand_rgb(h, w, seed=0, dtype=np.uint8):
    top = np.iinfo(dtype).max
    return np.random.default_rng(seed).integers(0, top + 1, (h, w, 3)).astype(dtype)


def run_cli(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)],
                          capture_output=True, text=True)


def test_photo_defaults_exact(tmp_path):
    rgb = rand_rgb(3, 5)
    Image.fromarray(rgb).save(tmp_path / "p.png")
    out = tmp_path / "s"
    r = run_cli(tmp_path / "p.png", out, "--licence", "CC0")
    assert r.returncode == 0, r.stderr

    albedo = load(out / "albedo.png")
    assert albedo.dtype == np.uint8 and np.array_equal(albedo, rgb)
    normal = load(out / "normal.png")
    assert normal.dtype == np.uint16 and normal.shape == (3, 5, 3)
    assert (normal[..., 0] == 32768).all() and (normal[..., 1] == 32768).all()
    assert (normal[..., 2] == 0).all()
    depth = load(out / "depth.png")
    assert depth.dtype == np.uint16 and depth.shape == (3, 5, 1) and (depth == 0).all()
    for name, value in (("matid", 0), ("shadow", 255), ("transp", 0)):
        a = load(out / f"{name}.png")
        assert a.dtype == np.uint8 and a.shape == (3, 5, 1) and (a == value).all(), name
    for name in ("target.png", "style_a.png", "style_b.png"):
        assert not (out / name).exists()

    meta = json.loads((out / "meta.json").read_text())
    assert meta["source"] == str(tmp_path / "p.png")
    assert meta["source_sha256"] == hashlib.sha256((tmp_path / "p.png").read_bytes()).hexdigest()
    assert meta["licence"] == "CC0"
    assert meta["size"] == [5, 3] and meta["albedo_bits"] == 8
    assert sorted(meta["defaulted"]) == ["depth", "matid", "normal", "shadow", "transp"]


def test_alpha_becomes_transp_and_colour_is_not_premultiplied(tmp_path):
    rgba = np.zeros((2, 4, 4), np.uint8)
    rgba[..., :3] = [200, 100, 50]
    rgba[..., 3] = [[0, 128, 255, 64], [255, 255, 1, 0]]
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    meta = pack_photo.pack_photo(tmp_path / "a.png", tmp_path / "s")
    transp = load(tmp_path / "s" / "transp.png")[..., 0]
    assert np.array_equal(transp, 255 - rgba[..., 3])
    # The albedo keeps the stored colour even where alpha is 0 (no premultiplication on read).
    assert np.array_equal(load(tmp_path / "s" / "albedo.png"), rgba[..., :3])
    assert "transp" not in meta["defaulted"]


def test_16bit_albedo_and_alpha_preserved(tmp_path):
    rgba = np.random.default_rng(1).integers(0, 65536, (4, 6, 4)).astype(np.uint16)
    rgba[0, 0, 3], rgba[0, 1, 3] = 0, 65535
    save_oiio(tmp_path / "p16.png", rgba)
    meta = pack_photo.pack_photo(tmp_path / "p16.png", tmp_path / "s")
    albedo = load(tmp_path / "s" / "albedo.png")
    assert albedo.dtype == np.uint16 and np.array_equal(albedo, rgba[..., :3])
    assert meta["albedo_bits"] == 16
    transp = load(tmp_path / "s" / "transp.png")[..., 0]
    expect = np.rint(255 * (1 - rgba[..., 3] / 65535.0)).astype(np.uint8)
    assert np.array_equal(transp, expect) and transp[0, 0] == 255 and transp[0, 1] == 0


def test_gray_photo_widened_to_rgb(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    pack_photo.pack_photo(tmp_path / "g.png", tmp_path / "s")
    assert np.array_equal(load(tmp_path / "s" / "albedo.png"), np.repeat(gray[..., None], 3, 2))


def test_mismatched_target_is_resized(tmp_path):
    Image.fromarray(rand_rgb(6, 8)).save(tmp_path / "p.png")
    Image.fromarray(np.full((12, 16, 3), 77, np.uint8)).save(tmp_path / "t.png")  # 2× the size
    same = rand_rgb(6, 8, seed=3)
    Image.fromarray(same).save(tmp_path / "a.png")
    out = tmp_path / "s"
    r = run_cli(tmp_path / "p.png", out, "--target", tmp_path / "t.png",
                "--style-a", tmp_path / "a.png")
    assert r.returncode == 0, r.stderr
    assert "resized" in r.stderr and "t.png" in r.stderr
    target = load(out / "target.png")
    assert target.shape == (6, 8, 3) and (target == 77).all()  # a flat image stays flat
    assert np.array_equal(load(out / "style_a.png"), same)
    assert not (out / "style_b.png").exists()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["targets"]["target"]["resized_from"] == [16, 12]
    assert "resized_from" not in meta["targets"]["style_a"]


def test_max_size_shrinks_photo_and_targets(tmp_path):
    Image.fromarray(rand_rgb(20, 40)).save(tmp_path / "p.png")
    Image.fromarray(rand_rgb(20, 40, seed=2)).save(tmp_path / "t.png")
    meta = pack_photo.pack_photo(tmp_path / "p.png", tmp_path / "s", target=tmp_path / "t.png",
                                 max_size=10)
    assert meta["size"] == [10, 5] and meta["resized_from"] == [40, 20]
    for name in ("albedo", "normal", "depth", "matid", "shadow", "transp", "target"):
        assert load(tmp_path / "s" / f"{name}.png").shape[:2] == (5, 10), name


@pytest.mark.parametrize("content", [b"", b"this is not an image"])
def test_bad_file_refused_with_its_name(tmp_path, content):
    bad = tmp_path / "broken_photo.png"
    bad.write_bytes(content)
    r = run_cli(bad, tmp_path / "s")
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and "error" in lines[0]
    assert not (tmp_path / "s").exists()


def test_bad_target_refused_before_writing(tmp_path):
    Image.fromarray(rand_rgb(4, 4)).save(tmp_path / "p.png")
    (tmp_path / "t.png").write_bytes(b"")
    r = run_cli(tmp_path / "p.png", tmp_path / "s", "--target", tmp_path / "t.png")
    assert r.returncode != 0 and str(tmp_path / "t.png") in r.stderr
    assert not (tmp_path / "s").exists()


def test_repack_removes_stale_target(tmp_path):
    Image.fromarray(rand_rgb(4, 4)).save(tmp_path / "p.png")
    pack_photo.pack_photo(tmp_path / "p.png", tmp_path / "s", target=tmp_path / "p.png")
    assert (tmp_path / "s" / "target.png").exists()
    pack_photo.pack_photo(tmp_path / "p.png", tmp_path / "s")
    assert not (tmp_path / "s" / "target.png").exists()


def test_exif_orientation_applied(tmp_path):
    rgb = rand_rgb(3, 5)
    Image.fromarray(rgb).save(tmp_path / "o.tif", tiffinfo={274: 6})  # 6: rotate 90° clockwise
    pack_photo.pack_photo(tmp_path / "o.tif", tmp_path / "s")
    assert np.array_equal(load(tmp_path / "s" / "albedo.png"), np.rot90(rgb, -1))


def test_batch_tsv_and_directory(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for i in range(2):
        Image.fromarray(rand_rgb(4, 6, seed=i)).save(photos / f"p{i}.png")
    Image.fromarray(rand_rgb(8, 12, seed=9)).save(photos / "t0.png")
    (photos / "bad.png").write_bytes(b"")
    (tmp_path / "list.tsv").write_text(
        "# photo\ttarget\tstyle_a\tstyle_b\tlicence\n"
        "photos/p0.png\tphotos/t0.png\t\t\tCC-BY-4.0\n"
        "photos/p1.png\n"
        "photos/bad.png\n"
        "\n")
    r = run_cli("--batch", tmp_path / "list.tsv", tmp_path / "out")
    assert r.returncode == 1  # one line failed, the others are still packed
    assert "bad.png" in r.stderr and "packed 2 sample(s)" in r.stderr
    m0 = json.loads((tmp_path / "out" / "p0" / "meta.json").read_text())
    assert m0["licence"] == "CC-BY-4.0" and m0["targets"]["target"]["resized_from"] == [12, 8]
    assert (tmp_path / "out" / "p1" / "albedo.png").exists()

    (photos / "bad.png").unlink()
    r = run_cli(photos, tmp_path / "dir_out", "--licence", "CC0")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "dir_out").iterdir()) == ["p0", "p1", "t0"]


def test_write_png_round_trip_through_pil(tmp_path):
    """8-bit RGB/gray and 16-bit gray files written by write_png decode identically in PIL."""
    rgb = rand_rgb(7, 9)
    pack_photo.write_png(tmp_path / "rgb.png", rgb)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "rgb.png")), rgb)
    g16 = np.random.default_rng(5).integers(0, 65536, (5, 3)).astype(np.uint16)
    pack_photo.write_png(tmp_path / "g16.png", g16)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "g16.png")).astype(np.uint16), g16)
