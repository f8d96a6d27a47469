"""Conditioned target recipes (SPEC §5)."""

import pytest
import torch

from cnnv3.recipes import RECIPES, get_recipe


def photo(h=24, w=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, h, w, generator=g)
    return (x + torch.roll(x, 1, -1) + torch.roll(x, 1, -2)) / 3  # some texture and edges


BASE = [0.3, 0.4, 0.5, 0.5, 0.7]


@pytest.mark.parametrize("i", range(5))
def test_recipe_moves_with_each_condition_input(i):
    r = get_recipe("blend_pulse", 1)
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
    assert ("blend_pulse", 1) in RECIPES
    r = get_recipe("blend_pulse")
    assert (r.name, r.version) == ("blend_pulse", 1)
    with pytest.raises(KeyError, match="unknown recipe"):
        get_recipe("nope")
    with pytest.raises(KeyError, match="no version 9"):
        get_recipe("blend_pulse", 9)
