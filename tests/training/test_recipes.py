"""Conditioned target recipes (SPEC §5)."""

from pathlib import Path

import pytest
import torch

from cnnv3.pngio import read_float
from cnnv3.recipes import RECIPES, get_recipe


def photo(h=24, w=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, h, w, generator=g)
    return (x + torch.roll(x, 1, -1) + torch.roll(x, 1, -2)) / 3  # some texture and edges


BASE = [0.3, 0.4, 0.5, 0.5, 0.7]


@pytest.mark.parametrize("version", (1, 2))
@pytest.mark.parametrize("i", range(5))
def test_recipe_moves_with_each_condition_input(i, version):
    r = get_recipe("blend_pulse", version)
    maps = r.prepare(photo())
    c0 = torch.tensor([BASE])
    c1 = c0.clone()
    c1[0, i] = 0.95 if BASE[i] < 0.9 else 0.05
    diff = (r.apply(maps, c1) - r.apply(maps, c0)).abs().mean().item()
    assert diff > 0.01, f"c[{i}] changes the target by only {diff}"


def test_recipe_output_in_unit_range_and_strength_zero_is_photo():
    r = get_recipe("blend_pulse")
    x = photo()
    maps = r.prepare(x)
    c = torch.rand(64, 5)
    out = r.apply({k: v.expand(64, -1, -1, -1) for k, v in maps.items()}, c)
    assert out.min() >= 0 and out.max() <= 1
    c[:, 4] = 0
    out = r.apply({k: v.expand(64, -1, -1, -1) for k, v in maps.items()}, c)
    assert torch.allclose(out, x.expand(64, -1, -1, -1), atol=1e-6)


def test_recipe_apply_is_per_pixel_so_crops_match():
    r = get_recipe("blend_pulse")
    maps = r.prepare(photo(seed=3))
    c = torch.rand(1, 5)
    full = r.apply(maps, c)
    crop = r.apply({k: v[..., 4:20, 8:24] for k, v in maps.items()}, c)
    assert torch.equal(crop, full[..., 4:20, 8:24])


def test_recipe_uses_given_styles():
    r = get_recipe("blend_pulse")
    x = photo()
    a, b = torch.zeros_like(x), torch.ones_like(x)
    maps = r.prepare(x, a, b)
    assert torch.equal(maps["a"], a) and torch.equal(maps["b"], b)
    built_in = r.prepare(x)
    assert not torch.equal(built_in["a"], built_in["b"])


def test_recipe_registry_by_name_and_version():
    assert ("blend_pulse", 1) in RECIPES and ("blend_pulse", 2) in RECIPES
    r = get_recipe("blend_pulse")
    assert (r.name, r.version) == ("blend_pulse", 2)
    assert get_recipe("blend_pulse", 1).version == 1
    with pytest.raises(KeyError, match="unknown recipe"):
        get_recipe("nope")
    with pytest.raises(KeyError, match="no version 9"):
        get_recipe("blend_pulse", 9)


VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "heldout-rocket"
PAIRS = {"toon": ("cartoon", "pencil"), "paint": ("oil", "wash"), "poster": ("posterize", "inkwash")}
DEFAULT = [0.0, 0.0, 0.5, 0.5, 1.0]  # the shipped models' default_cond


def heldout_maps(recipe, pair):
    def load(name):
        return torch.from_numpy(read_float(VECTORS / f"{name}.png", 3)).permute(2, 0, 1)[None].float()
    return recipe.prepare(load("albedo"), load(pair[0]), load(pair[1]))


def change(recipe, maps, i, lo, hi):
    c0, c1 = torch.tensor([DEFAULT]), torch.tensor([DEFAULT])
    c0[0, i], c1[0, i] = lo, hi
    return float((recipe.apply(maps, c1) - recipe.apply(maps, c0)).abs().mean())


@pytest.mark.parametrize("model", sorted(PAIRS))
def test_v2_flash_and_energy_are_big_enough_to_see_on_a_heldout_photo(model):
    # The models must move ≥ 12/255 (issue 12); the target leaves room for a gain below 1.
    r = get_recipe("blend_pulse", 2)
    maps = heldout_maps(r, PAIRS[model])
    flash, energy = change(r, maps, 0, 0.0, 0.5), change(r, maps, 2, 0.0, 1.0)
    assert flash >= 30 / 255, f"beat flash {flash * 255:.1f}/255"
    assert energy >= 20 / 255, f"audio_intensity 0 → 1 {energy * 255:.1f}/255"
    v1 = get_recipe("blend_pulse", 1)
    v1_maps = heldout_maps(v1, PAIRS[model])
    assert flash >= 1.6 * change(v1, v1_maps, 0, 0.0, 0.5)  # v1's flash was too small to see
    assert energy > change(v1, v1_maps, 2, 0.0, 1.0)


@pytest.mark.parametrize("version", (1, 2))
def test_target_is_periodic_and_continuous_over_the_bar_wrap(version):
    r = get_recipe("blend_pulse", version)
    maps = r.prepare(photo(seed=5))
    c = torch.rand(16, 5, generator=torch.Generator().manual_seed(2))
    big = {k: v.expand(16, -1, -1, -1) for k, v in maps.items()}

    def at(norm):
        cc = c.clone()
        cc[:, 1] = norm
        return r.apply(big, cc)
    assert torch.allclose(at(1.0), at(0.0), atol=1e-6)
    eps = 1e-3
    assert float((at(1.0 - eps) - at(eps)).abs().max()) < 2e-3  # no jump across the wrap
    assert float((at(0.5) - at(0.0)).abs().mean()) > 0.05  # but it does move within the bar


def test_v2_flash_ends_at_zero_so_the_beat_is_the_only_jump():
    r = get_recipe("blend_pulse", 2)
    maps = r.prepare(photo(seed=6))
    c = torch.tensor([[0.999999, 0.3, 0.4, 0.2, 1.0]])
    no_flash = r.apply(maps, c)
    c[0, 0] = 1.0
    assert torch.allclose(r.apply(maps, c), no_flash, atol=1e-6)
    c[0, 0] = 0.0
    assert float((r.apply(maps, c) - no_flash).abs().mean()) > 0.1  # the flash on the beat
