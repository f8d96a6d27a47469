"""Sample directories → (features, c, target) items."""

import numpy as np
import pytest
import torch

from cnnv3.dataset import SampleDataset, corner_score, find_samples, load_sample
from cnnv3.features import features_from_rgb
from cnnv3.recipes import get_recipe
from conftest import make_sample


@pytest.mark.parametrize("detector", ["harris", "shi-tomasi", "random"])
@pytest.mark.parametrize("mode", ["simple", "full"])
def test_patches_have_expected_shapes(sample_root, detector, mode):
    ds = SampleDataset(sample_root, get_recipe("blend_pulse"), mode, patch_size=16,
                       patches_per_image=5, detector=detector, seed=1)
    assert len(ds) == 10
    for i in range(len(ds)):
        f, c, t = ds[i]
        assert f.shape == (20, 16, 16) and c.shape == (5,) and t.shape == (3, 16, 16)
        assert 0 <= c.min() and c.max() <= 1 and 0 <= t.min() and t.max() <= 1


def test_simple_mode_features_are_photo_like(sample_root):
    ds = SampleDataset(sample_root, get_recipe("blend_pulse"), "simple", full_image=True,
                       image_size=24)
    f, _, _ = ds[1]  # sample b has G-buffer files, which simple mode ignores
    assert torch.equal(f, features_from_rgb(f[None, :3])[0])


def test_full_mode_reads_gbuffer_files(sample_root):
    ds = SampleDataset(sample_root, get_recipe("blend_pulse"), "full", full_image=True,
                       image_size=24, channel_dropout_p=0.0, train=False)
    f, _, _ = ds[1]
    assert torch.allclose(f[8], torch.full((24, 24), 7 / 255))
    assert torch.allclose(f[18], torch.full((24, 24), 200 / 255))
    assert f[3].abs().max() > 0.05 and f[5].min() > 0.1


def test_full_image_mode_resizes_to_image_size(sample_root):
    ds = SampleDataset(sample_root, get_recipe("blend_pulse"), full_image=True, image_size=20)
    assert len(ds) == 2
    f, c, t = ds[0]
    assert f.shape == (20, 20, 20) and t.shape == (3, 20, 20)


def test_styles_of_another_size_are_resized(tmp_path):
    make_sample(tmp_path / "s", h=20, w=28, style=True)
    s = load_sample(tmp_path / "s")
    assert s["style_a"].shape[-2:] == (20, 28) and s["style_b"].shape[-2:] == (20, 28)
    assert torch.allclose(s["style_a"], torch.full_like(s["style_a"], 30 / 255), atol=1e-5)


def test_patch_origins_are_multiples_of_4(sample_root):
    ds = SampleDataset(sample_root, get_recipe("blend_pulse"), patch_size=12,
                       patches_per_image=1, detector="random")
    s = ds.samples[0]
    for _ in range(50):
        y0, x0 = ds._origin(s)
        assert y0 % 4 == 0 and x0 % 4 == 0
        assert 0 <= y0 <= s["size"][0] - 12 and 0 <= x0 <= s["size"][1] - 12


def test_corner_detectors_prefer_corners_over_edges_and_flat():
    img = torch.zeros(1, 1, 40, 40)
    img[..., 10:30, 10:30] = 1.0
    for det in ("harris", "shi-tomasi"):
        s = corner_score(img, det)
        corner, edge, flat = s[10, 10], s[20, 10], s[20, 20]
        assert corner > 5 * max(edge, 1e-9) and corner > 0 and flat == 0, det


def test_find_samples_requires_albedo(tmp_path):
    with pytest.raises(FileNotFoundError, match="no sample directories"):
        find_samples(tmp_path)
    make_sample(tmp_path / "x")
    assert find_samples(tmp_path) == [tmp_path / "x"]
    assert find_samples(tmp_path / "x") == [tmp_path / "x"]
    assert np.isclose(load_sample(tmp_path / "x")["albedo"].max().item(), 1.0, atol=0.2)


def test_harris_patch_centres_concentrate_near_corners(tmp_path):
    from cnnv3.pngio import write_png

    img = np.full((64, 64, 3), 40, np.uint8)
    img[24:40, 24:40] = 220
    (tmp_path / "sq").mkdir()
    write_png(tmp_path / "sq" / "albedo.png", img)
    near = {}
    for det in ("harris", "random"):
        ds = SampleDataset(tmp_path, get_recipe("blend_pulse"), patch_size=16, patches_per_image=1,
                           detector=det, seed=3)
        s = ds.samples[0]
        hits = 0
        for _ in range(400):
            y, x = divmod(ds._centre(s), 64)
            hits += min(abs(y - 24), abs(y - 39)) <= 3 and min(abs(x - 24), abs(x - 39)) <= 3
        near[det] = hits / 400
    assert near["random"] < 0.1 and near["harris"] > 0.6, near
