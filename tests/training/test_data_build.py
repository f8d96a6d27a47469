"""training/data: the photo list parser, the styles (deterministic, same size) and the device bundle."""

import sys

import numpy as np
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "training" / "data"))

cv2 = pytest.importorskip("cv2")
import build_photos  # noqa: E402
import device_bundle  # noqa: E402


def photo(h=48, w=64, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([128 + 100 * np.sin(x / 7.0 + c) * np.cos(y / 9.0) for c in range(3)], -1)
    img[10:30, 20:40] = (30, 200, 90)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def test_braces_expand_to_every_alternative_in_order():
    assert build_photos.expand_braces("a/{x,y}/b/{1,2}.jpg") == ["a/x/b/1.jpg", "a/x/b/2.jpg", "a/y/b/1.jpg",
                                                                "a/y/b/2.jpg"]
    assert build_photos.expand_braces("plain/*.png") == ["plain/*.png"]


def test_photo_list_reads_the_shared_data_list_and_refuses_short_rows(tmp_path):
    rows = build_photos.read_photo_list(ROOT / "training" / "data" / "photos.tsv")
    assert len(rows) >= 10 and all(r["package"] and r["glob"] and r["licence"] for r in rows)
    bad = tmp_path / "bad.tsv"
    bad.write_text("pkg\tonly-a-glob\n")
    with pytest.raises(SystemExit, match="bad.tsv:1"):
        build_photos.read_photo_list(bad)


@pytest.mark.parametrize("name", sorted(build_photos.STYLES))
def test_each_style_is_deterministic_keeps_the_size_and_changes_the_picture(name):
    import shutil
    if name in build_photos.GMIC_STYLES and not shutil.which("gmic"):
        pytest.skip("gmic not installed (scripts/install-deps.sh installs it)")
    img = photo()
    a, b = build_photos.STYLES[name](img), build_photos.STYLES[name](img.copy())
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert np.abs(a.astype(int) - img).mean() > 2.0


def test_every_model_pairs_two_known_different_styles():
    for model, (a, b) in build_photos.MODELS.items():
        assert a in build_photos.STYLES and b in build_photos.STYLES and a != b, model


def test_bundle_round_trip_gives_the_train_split_per_model(tmp_path):
    build = tmp_path / "build"
    ids = ["p__one", "p__two", "p__held"]
    lines = ["# id\tsplit\tpackage\tversion\tfile\tlicence\tsha256"]
    for n, pid in enumerate(ids):
        img = photo(seed=n)
        build_photos.write_rgb_png(build / "photos" / f"{pid}.png", img)
        for style, fn in build_photos.STYLES.items():
            build_photos.write_rgb_png(build / "styles" / style / f"{pid}.png", 255 - img if style != "kuwahara" else img)
        lines.append(f"{pid}\t{'heldout' if pid == 'p__held' else 'train'}\tp\t1\tf\tCC0\t0")
    (build / "manifest.tsv").write_text("\n".join(lines) + "\n")
    device_bundle.pack(build, tmp_path / "b.npz", 95)
    device_bundle.unpack(tmp_path / "b.npz", tmp_path / "out")
    for model in build_photos.MODELS:
        got = sorted(p.name for p in (tmp_path / "out" / model).iterdir())
        assert got == ["p__one", "p__two"]  # the held-out photo stays behind
        # write_rgb_png takes OpenCV's BGR order, as imread gives it back
        albedo = cv2.imread(str(tmp_path / "out" / model / "p__one" / "albedo.png"))
        assert np.abs(albedo.astype(int) - photo(seed=0)).mean() < 3.0  # JPEG 95: close, not exact
