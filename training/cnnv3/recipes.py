"""Conditioned target recipes (SPEC §5): target = recipe(photo, c), named and versioned.

A recipe has two halves so that patches are cheap and exact:
  * prepare(photo, style_a, style_b) -> dict of full-image maps (B, C, H, W). Everything that looks
    at neighbours (blur, Sobel) happens here, once per image, on the whole image;
  * apply(maps, c) -> target (B, 3, H, W) in [0, 1]. Purely per-pixel in c, so a crop of the maps
    gives exactly the crop of the full-image target.

Recipe `blend_pulse` version 1 (c = [beat_phase, beat_norm, audio_intensity, style_p0, style_p1]):

    x      = photo, L(v) = 0.299 r + 0.587 g + 0.114 b
    E      = clamp(4 · |Sobel(blur3(L(x)))|, 0, 1)        Sobel kernels / 8, blur3 = 3×3 box
    A      = style_a.png, else toon(x)                      (built-ins below)
    B      = style_b.png, else ink(x)
    s      = (1 − p0)·A + p0·B                               style_p0: style A → B
    s      = s · (1 − 0.5·I·E)                               audio_intensity: edge weight,
    s      = L(s) + (1 + 0.8·I)·(s − L(s))                     saturation,
    s      = 0.5 + (1 + 0.6·I)·(s − 0.5)                       contrast
    s      = s + 0.08·(cos θ, cos(θ − 2π/3), cos(θ + 2π/3)),   θ = 2π·beat_norm  (tint sweep over
                                                               the 8-beat bar; θ wraps smoothly)
    s      = s + 0.25·exp(−6·beat_phase)·(1 − s)             flash toward white on the beat
    target = clamp((1 − p1)·x + p1·s, 0, 1)                  style_p1: strength (0 = the photo)

    toon(x) = q(clamp(L + 1.5·(blur3(x) − L), 0, 1)) · (1 − 0.8·E)   with L = L(blur3(x)),
              q(v) = v − sin(8π·v) / (8π)  (a smooth 4-level posterize)
    ink(x)  = (1 − 0.9·E)·paper·t + 0.9·E·inkc,  t = clamp(0.35 + 0.9·L(blur3(x)), 0, 1),
              paper = (0.97, 0.95, 0.90), inkc = (0.10, 0.12, 0.20)

All operations are local (3×3 neighbourhoods at most) and smooth, so a small U-Net can learn them.

Recipe `blend_pulse` version 2 (same c, same E, A, B; made to be seen on video, SPEC §5):

    s      = (1 − p0)·A + p0·B                               style_p0: style A → B
    s      = s · (1 − 0.8·I·E)                               audio_intensity: edge weight,
    s      = L(s) + (0.7 + 1.6·I)·(s − L(s))                   saturation,
    s      = 0.5 + (0.8 + 0.8·I)·(s − 0.5)                     contrast (soft and muted when
                                                               quiet, punchy when loud)
    s      = s + 0.10·(cos θ, cos(θ − 2π/3), cos(θ + 2π/3)),  θ = 2π·beat_norm  (periodic: the
                                                               target at beat_norm 1 equals 0)
    s      = s + 0.45·(1 − beat_phase)⁴·(1 − s)              flash toward white on the beat that
                                                               fades to exactly 0 at the next beat
    target = clamp((1 − p1)·x + p1·s, 0, 1)                  style_p1: strength (0 = the photo)

v1's flash (0.25·exp(−6·beat_phase)) and energy were too small to see on video once a model had
learnt them (docs/training.md); v2's flash ends at 0 so the beat is the only jump in time.
"""

import math

import torch
import torch.nn.functional as F

LUMA = (0.299, 0.587, 0.114)


def luminance(x):
    w = x.new_tensor(LUMA).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def blur3(x):
    """3×3 box blur with clamp-to-edge borders."""
    return F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, stride=1)


def sobel_xy(x):
    """Per-channel Sobel gradients (B, 2C, H, W), kernels divided by 8, clamp-to-edge borders."""
    c = x.shape[1]
    k = x.new_tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]) / 8.0
    kernels = torch.stack([k, k.t()]).unsqueeze(1).repeat(c, 1, 1, 1)  # (2C, 1, 3, 3)
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernels, groups=c)


def edge_map(x):
    g = sobel_xy(blur3(luminance(x)))
    return torch.clamp(4.0 * torch.sqrt(g[:, :1] ** 2 + g[:, 1:] ** 2 + 1e-12), 0.0, 1.0)


def toon_style(x, edge):
    s = blur3(x)
    lum = luminance(s)
    s = torch.clamp(lum + 1.5 * (s - lum), 0.0, 1.0)
    s = s - torch.sin(8.0 * math.pi * s) / (8.0 * math.pi)
    return s * (1.0 - 0.8 * edge)


def ink_style(x, edge):
    t = torch.clamp(0.35 + 0.9 * luminance(blur3(x)), 0.0, 1.0)
    paper = x.new_tensor([0.97, 0.95, 0.90]).view(1, 3, 1, 1)
    ink = x.new_tensor([0.10, 0.12, 0.20]).view(1, 3, 1, 1)
    return (1.0 - 0.9 * edge) * paper * t + 0.9 * edge * ink


class BlendPulse:
    """See the module docstring for the exact definition."""

    name = "blend_pulse"
    version = 1

    def prepare(self, photo, style_a=None, style_b=None):
        edge = edge_map(photo)
        a = style_a if style_a is not None else toon_style(photo, edge)
        b = style_b if style_b is not None else ink_style(photo, edge)
        return {"photo": photo, "edge": edge, "a": a, "b": b}

    def apply(self, maps, c):
        x, edge, a, b = maps["photo"], maps["edge"], maps["a"], maps["b"]
        phase, norm, inten, p0, p1 = (c[:, i].view(-1, 1, 1, 1).to(x) for i in range(5))
        s = (1.0 - p0) * a + p0 * b
        s = s * (1.0 - 0.5 * inten * edge)
        lum = luminance(s)
        s = lum + (1.0 + 0.8 * inten) * (s - lum)
        s = 0.5 + (1.0 + 0.6 * inten) * (s - 0.5)
        theta = 2.0 * math.pi * norm
        tint = torch.cat([torch.cos(theta), torch.cos(theta - 2.0 * math.pi / 3.0),
                          torch.cos(theta + 2.0 * math.pi / 3.0)], 1)
        s = s + 0.08 * tint
        s = s + 0.25 * torch.exp(-6.0 * phase) * (1.0 - s)
        return torch.clamp((1.0 - p1) * x + p1 * s, 0.0, 1.0)

    def __call__(self, photo, c, style_a=None, style_b=None):
        return self.apply(self.prepare(photo, style_a, style_b), c)


class BlendPulseV2(BlendPulse):
    """Version 2: see the module docstring."""

    version = 2

    def apply(self, maps, c):
        x, edge, a, b = maps["photo"], maps["edge"], maps["a"], maps["b"]
        phase, norm, inten, p0, p1 = (c[:, i].view(-1, 1, 1, 1).to(x) for i in range(5))
        s = (1.0 - p0) * a + p0 * b
        s = s * (1.0 - 0.8 * inten * edge)
        lum = luminance(s)
        s = lum + (0.7 + 1.6 * inten) * (s - lum)
        s = 0.5 + (0.8 + 0.8 * inten) * (s - 0.5)
        theta = 2.0 * math.pi * norm
        tint = torch.cat([torch.cos(theta), torch.cos(theta - 2.0 * math.pi / 3.0),
                          torch.cos(theta + 2.0 * math.pi / 3.0)], 1)
        s = s + 0.10 * tint
        s = s + 0.45 * (1.0 - phase).clamp(0.0, 1.0) ** 4 * (1.0 - s)
        return torch.clamp((1.0 - p1) * x + p1 * s, 0.0, 1.0)


RECIPES = {(r.name, r.version): r for r in (BlendPulse, BlendPulseV2)}


def get_recipe(name, version=None):
    """Recipe instance by name and version (the newest version when version is None)."""
    versions = sorted(v for n, v in RECIPES if n == name)
    if not versions:
        known = ", ".join(f"{n} v{v}" for n, v in sorted(RECIPES))
        raise KeyError(f"unknown recipe {name!r} (known: {known})")
    v = versions[-1] if version is None else int(version)
    if (name, v) not in RECIPES:
        raise KeyError(f"recipe {name!r} has no version {v} (known: {versions})")
    return RECIPES[(name, v)]()
