"""Tests for training/pack_blender.py and training/blender/render_tiny_scene.py.

Synthetic multilayer EXRs (written with OpenImageIO) pin the exact encodings; a real Blender render
of the tiny scene checks that Blender's own channel names and values pack into a plausible sample.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "training"))
import pack_blender  # noqa: E402
from pack_blender import oct_decode, oct_encode  # noqa: E402

SCRIPT = ROOT / "training" / "pack_blender.py"
SCENE = ROOT / "training" / "blender" / "render_tiny_scene.py"
L = "ViewLayer"


def load(path):
    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    spec = inp.spec()
    arr = np.asarray(inp.read_image(0, 0, 0, spec.nchannels, spec.format))
    inp.close()
    return arr


def write_exr(path, planes, note=None):
    """planes: {channel name: H×W float array} → a one-part float EXR like Blender's."""
    names = list(planes)
    data = np.stack([planes[n] for n in names], -1).astype(np.float32)
    h, w, c = data.shape
    spec = oiio.ImageSpec(w, h, c, "float")
    spec.channelnames = tuple(names)
    if note is not None:
        spec.attribute("Note", note)
    out = oiio.ImageOutput.create(str(path))
    assert out.open(str(path), spec), oiio.geterror()
    out.write_image(data)
    out.close()


def synthetic_planes():
    """A 2×3 render whose pixel values exercise every encoding rule."""
    diff = np.array([[0.0, 0.001, 0.5], [1.0, 2.0, 0.2]])
    normal = np.array([[[0, 0, 1], [0, 0, -1], [0.3, -0.4, 0.2]],
                       [[0, 0, 0], [-1, 2, -0.5], [1, 0, 0]]], float)
    planes = {}
    for i, c in enumerate("RGB"):
        planes[f"{L}.DiffCol.{c}"] = diff * (1.0 - 0.25 * i)
    for i, c in enumerate("XYZ"):
        planes[f"{L}.Normal.{c}"] = normal[..., i]
    planes[f"{L}.Depth.Z"] = np.array([[0.0, 1.0, 3.0], [1e10, np.inf, 0.25]])
    planes[f"{L}.IndexOB.X"] = np.array([[0.0, 1.0, 2.4], [300.0, -3.0, 7.0]])
    for c in "RGB":
        planes[f"{L}.Combined.{c}"] = np.zeros((2, 3))
    planes[f"{L}.Combined.A"] = np.array([[1.0, 0.5, 0.0], [1.0, 1.0, 0.25]])
    return planes, normal


def srgb(x):
    x = np.clip(x, 0, 1)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)


def test_oct_round_trip():
    v = np.random.default_rng(0).normal(size=(2000, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    e = oct_encode(v)
    assert np.abs(e).max() <= 1.0
    assert np.allclose(oct_decode(e), v, atol=1e-9)
    # Through 16-bit storage the direction survives to well under 0.01°.
    q = np.rint((e + 1) / 2 * 65535) / 65535 * 2 - 1
    assert np.abs(oct_decode(q) - v).max() < 1e-4


def test_synthetic_exr_exact(tmp_path):
    planes, normal = synthetic_planes()
    write_exr(tmp_path / "r.exr", planes)
    out = tmp_path / "s"
    r = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "r.exr"), str(out)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "world space" in r.stderr  # no camera in the header: says what it did

    albedo = load(out / "albedo.png")
    assert albedo.dtype == np.uint16 and albedo.shape == (2, 3, 3)
    for i in range(3):
        lin = planes[f"{L}.DiffCol.{'RGB'[i]}"]
        assert np.abs(albedo[..., i].astype(int) - np.rint(srgb(lin) * 65535)).max() <= 1
    assert albedo[0, 2, 0] == pytest.approx(0.7353569 * 65535, abs=1)  # sRGB(0.5)

    nrm = load(out / "normal.png")
    assert nrm.dtype == np.uint16 and (nrm[..., 2] == 0).all()
    assert nrm[1, 0, 0] == 32768 and nrm[1, 0, 1] == 32768  # zero normal → neutral code
    dec = oct_decode(nrm[..., :2] / 65535.0 * 2 - 1)
    for y, x in [(0, 0), (0, 1), (0, 2), (1, 1), (1, 2)]:
        want = normal[y, x] / np.linalg.norm(normal[y, x])
        assert np.allclose(dec[y, x], want, atol=1e-4), (y, x)

    depth = load(out / "depth.png")[..., 0]
    z = planes[f"{L}.Depth.Z"]
    assert depth.dtype == np.uint16
    assert depth[0, 0] == 65535 and depth[0, 1] == 32768 and depth[0, 2] == 16384
    assert depth[1, 0] == 0 and depth[1, 1] == 0  # 1e10 background and inf → 0
    assert depth[1, 2] == np.rint(65535 / (z[1, 2] + 1))

    assert np.array_equal(load(out / "matid.png")[..., 0], [[0, 1, 2], [255, 0, 7]])
    assert np.array_equal(load(out / "transp.png")[..., 0], [[0, 128, 255], [0, 0, 191]])
    assert (load(out / "shadow.png") == 255).all()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["kind"] == "blender" and meta["defaulted"] == ["shadow"]
    assert meta["normal_space"] == "world" and meta["view_layer"] == L


def test_camera_space_normals_and_shadow_pass(tmp_path):
    planes, normal = synthetic_planes()
    rot = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], float)  # world → camera
    planes.update({f"{L}.Shadow.{c}": np.array([[1.0, 0.0, 0.5], [1.0, 1.0, 0.2]]) for c in "RGB"})
    write_exr(tmp_path / "r.exr", planes, note=json.dumps({"cnnv3_world_to_camera": rot.tolist()}))
    meta = pack_blender.pack_blender(tmp_path / "r.exr", tmp_path / "s", bits=8)
    assert meta["normal_space"] == "camera" and meta["defaulted"] == []
    dec = oct_decode(load(tmp_path / "s" / "normal.png")[..., :2] / 65535.0 * 2 - 1)
    want = normal[0, 2] @ rot.T
    assert np.allclose(dec[0, 2], want / np.linalg.norm(want), atol=1e-4)
    assert np.array_equal(load(tmp_path / "s" / "shadow.png")[..., 0], [[255, 0, 128], [255, 255, 51]])
    assert load(tmp_path / "s" / "albedo.png").dtype == np.uint8


@pytest.mark.parametrize("drop", ["DiffCol", "Normal", "Depth", "IndexOB", "Combined"])
def test_missing_pass_refused(tmp_path, drop):
    planes, _ = synthetic_planes()
    planes = {k: v for k, v in planes.items() if f".{drop}." not in k}
    exr = tmp_path / "render.exr"
    write_exr(exr, planes)
    r = subprocess.run([sys.executable, str(SCRIPT), str(exr), str(tmp_path / "s")],
                       capture_output=True, text=True)
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(exr) in lines[0] and drop in lines[0]
    assert not (tmp_path / "s").exists()


def test_not_multilayer_refused(tmp_path):
    write_exr(tmp_path / "plain.exr", {c: np.zeros((2, 2)) for c in "RGBA"})
    with pytest.raises(pack_blender.PackError, match="plain.exr.*multilayer"):
        pack_blender.pack_blender(tmp_path / "plain.exr", tmp_path / "s")


@pytest.mark.skipif(shutil.which("blender") is None,
                    reason="blender is not installed (apt-get install blender)")
def test_blender_tiny_scene(tmp_path):
    exr = tmp_path / "tiny.exr"
    r = subprocess.run(["blender", "-b", "--factory-startup", "-P", str(SCENE), "--",
                        "--out", str(exr), "--size", "48", "--samples", "2"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and exr.is_file(), r.stdout[-2000:] + r.stderr[-2000:]
    inp = oiio.ImageInput.open(str(exr))
    names = set(inp.spec().channelnames)
    inp.close()
    for ch in ("DiffCol.R", "DiffCol.G", "DiffCol.B", "Normal.X", "Normal.Y", "Normal.Z",
               "Depth.Z", "IndexOB.X", "Combined.A"):
        assert f"{L}.{ch}" in names, sorted(names)

    out = tmp_path / "s"
    meta = pack_blender.pack_blender(exr, out)
    assert meta["normal_space"] == "camera" and meta["size"] == [48, 48]
    transp = load(out / "transp.png")[..., 0]
    bg, fg = transp == 255, transp == 0
    assert bg[:8].all(), "the top rows are empty sky"  # the camera looks over the objects
    assert fg.sum() > 48 * 48 // 3

    albedo = load(out / "albedo.png")
    assert (albedo[bg] == 0).all()
    ground = albedo[-4:].reshape(-1, 3) / 65535.0  # bottom rows: the 0.5-grey ground, sRGB-encoded
    assert np.allclose(np.median(ground, 0), srgb(0.5), atol=0.01)

    nrm = load(out / "normal.png")
    assert (nrm[bg][:, :2] == 32768).all()
    dec = oct_decode(nrm[..., :2] / 65535.0 * 2 - 1)
    assert np.allclose(np.linalg.norm(dec, axis=-1), 1.0, atol=1e-6)
    # Visible surfaces face the camera (+z in camera space); the ground's normal points up (+y).
    matid = load(out / "matid.png")[..., 0]
    objects = fg & (matid >= 2)
    assert np.median(dec[objects][:, 2]) > 0.3 and (dec[fg][:, 2] > -0.3).mean() > 0.98
    assert np.median(dec[-4:].reshape(-1, 3), 0) @ [0, 1, 0] > 0.9

    depth = load(out / "depth.png")[..., 0] / 65535.0
    assert (depth[bg] == 0).all() and (depth[fg] > 0).all() and depth.max() <= 1
    assert depth[-1].mean() > depth[int(48 * 0.3)].mean()  # the near ground is nearer than far

    assert (matid[bg] == 0).all()
    assert set(np.unique(matid[fg])) >= {1, 2, 3, 4}  # ground, cube, sphere, cone
    assert (load(out / "shadow.png") == 255).all() and meta["defaulted"] == ["shadow"]
