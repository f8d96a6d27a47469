"""Training data: sample directories (docs/formats.md) → (features, c, target) items.

Each sample is loaded once, at full resolution, into memory: its 20 feature channels (SPEC §2) and
the recipe's per-image maps (recipes.py). An item is a patch of both (or the whole image, resized
to image_size × image_size, with --full-image), a random c ~ U[0, 1]^5, and the target
recipe.apply(maps, c). Features and maps are computed on the whole image *before* cropping, so a
patch sees the same mips and edges it would see inside a full frame; patch origins are multiples
of 4 so the patch's mip blocks line up with the network's own pooling grid, as in a full frame.

With clip_margin = m > 0 (temporal training, motion.py), an item is instead (maps, c): the recipe's
maps cut to a window of (patch_size + 2m)², from which the training loop renders moving frames.

Input modes:
  simple  photo/video-like features: albedo, mips, shadow = 1, everything else 0 — what the video
          hosts feed the network. No channel dropout (the groups are already "not available").
  full    every channel from the sample's files (missing files take the photo defaults), with
          SPEC §2 channel dropout by group while training.

Patch detectors (score maps on the albedo's luminance, implemented here in torch):
  harris      R = det(M) − 0.04·trace(M)²
  shi-tomasi  λ_min(M) = trace/2 − sqrt(((Sxx − Syy)/2)² + Sxy²)
  random      uniform
M is the structure tensor of Sobel gradients smoothed by a Gaussian (σ = 1.5). Negative scores are
clipped to 0; a patch centre is drawn with probability 0.9·score/Σscore + 0.1/#pixels, so flat
images still get patches and corners are favoured without always picking the same few.
"""

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .features import build_features, channel_dropout, features_from_rgb
from .pngio import read_float
from .recipes import luminance, sobel_xy

DETECTORS = ("harris", "shi-tomasi", "random")
INPUT_MODES = ("simple", "full")


def find_samples(root):
    """Sample directories under root (root itself if it is one), sorted by path."""
    root = Path(root)
    if (root / "albedo.png").is_file():
        return [root]
    dirs = sorted(p for p in root.iterdir() if (p / "albedo.png").is_file()) if root.is_dir() else []
    if not dirs:
        raise FileNotFoundError(f"{root}: no sample directories (subdirectories with albedo.png)")
    return dirs


def _tensor(arr):
    return torch.from_numpy(arr).permute(2, 0, 1)[None].contiguous()  # H×W×C → 1×C×H×W


def resize(t, h, w, nearest=False):
    """Resize (B, C, H, W) to h×w: bilinear (antialiased when shrinking) or nearest for labels."""
    if t.shape[-2:] == (h, w):
        return t
    if nearest:
        return F.interpolate(t, size=(h, w), mode="nearest")
    shrink = h < t.shape[-2] or w < t.shape[-1]
    return F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=shrink)


def load_sample(path):
    """Read a sample directory → dict of (1, C, H, W) float tensors; absent files are left out."""
    path = Path(path)
    albedo = _tensor(read_float(path / "albedo.png", 3))
    h, w = albedo.shape[-2:]
    out = {"albedo": albedo}
    for name, ch in (("normal", 3), ("depth", 1), ("matid", 1), ("shadow", 1), ("transp", 1),
                     ("style_a", 3), ("style_b", 3), ("target", 3)):
        f = path / f"{name}.png"
        if f.is_file():
            t = _tensor(read_float(f, ch))
            if name == "normal":
                t = t[:, :2] * 2.0 - 1.0  # octahedral xy from [0, 1] codes
            out[name] = resize(t, h, w, nearest=(name == "matid"))
    return out


def corner_score(lum, detector, sigma=1.5):
    """(1, 1, H, W) luminance → (H, W) non-negative score for the given detector."""
    if detector == "random":
        return torch.ones(lum.shape[-2:])
    g = sobel_xy(lum)
    ix, iy = g[:, :1], g[:, 1:]
    r = max(1, int(math.ceil(3 * sigma)))
    k = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / (2 * sigma * sigma))
    k = k / k.sum()

    def smooth(t):
        t = F.conv2d(F.pad(t, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1))
        return F.conv2d(F.pad(t, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1))

    sxx, syy, sxy = smooth(ix * ix), smooth(iy * iy), smooth(ix * iy)
    if detector == "harris":
        score = sxx * syy - sxy * sxy - 0.04 * (sxx + syy) ** 2
    elif detector == "shi-tomasi":
        score = 0.5 * (sxx + syy) - torch.sqrt(0.25 * (sxx - syy) ** 2 + sxy * sxy)
    else:
        raise ValueError(f"unknown detector {detector!r} (use {', '.join(DETECTORS)})")
    return torch.clamp(score[0, 0], min=0.0)


class SampleDataset(torch.utils.data.Dataset):
    """Items (features (20, h, w), c (5,), target (3, h, w)) from a directory of sample dirs."""

    def __init__(self, root, recipe, input_mode="simple", patch_size=64, patches_per_image=16,
                 detector="harris", full_image=False, image_size=256, channel_dropout_p=0.3,
                 train=True, seed=0, cond_dim=5, clip_margin=0):
        if input_mode not in INPUT_MODES:
            raise ValueError(f"unknown input mode {input_mode!r} (use simple or full)")
        if detector not in DETECTORS:
            raise ValueError(f"unknown detector {detector!r} (use {', '.join(DETECTORS)})")
        self.recipe, self.input_mode, self.train = recipe, input_mode, train
        if clip_margin and (full_image or input_mode != "simple"):
            raise ValueError("clip_margin (temporal training) needs patches in simple input mode")
        self.clip_margin = int(clip_margin)
        self.patch_size, self.full_image = int(patch_size) + 2 * self.clip_margin, bool(full_image)
        self.per_image = 1 if full_image else int(patches_per_image)
        self.dropout_p, self.cond_dim = float(channel_dropout_p), int(cond_dim)
        self.rng = np.random.default_rng(seed)
        self.gen = torch.Generator().manual_seed(int(seed))
        self.paths = find_samples(root)
        self.samples = [self._prepare(load_sample(p), detector, int(image_size)) for p in self.paths]

    def _prepare(self, s, detector, image_size):
        h, w = s["albedo"].shape[-2:]
        if self.full_image:
            h = w = image_size  # whole image squeezed to N×N so images batch together
        elif min(h, w) < self.patch_size:  # too small for a patch: enlarge, keeping the aspect
            scale = self.patch_size / min(h, w)
            h, w = max(self.patch_size, round(h * scale)), max(self.patch_size, round(w * scale))
        s = {k: resize(v, h, w, nearest=(k == "matid")) for k, v in s.items()}
        albedo = s["albedo"]
        if self.input_mode == "simple":
            feats = features_from_rgb(albedo)
        else:
            feats = build_features(albedo, s.get("normal"), s.get("depth"), s.get("matid"),
                                   s.get("shadow"), s.get("transp"))
        maps = self.recipe.prepare(albedo, s.get("style_a"), s.get("style_b"))
        prob = None
        if not self.full_image:
            score = corner_score(luminance(albedo), detector).reshape(-1).double()
            total = float(score.sum())
            prob = (0.9 * score / total if total > 0 else 0.9 / score.numel()) + 0.1 / score.numel()
            prob = np.cumsum((prob / prob.sum()).numpy())  # CDF: one searchsorted per draw
        return {"features": feats[0], "maps": {k: v[0] for k, v in maps.items()}, "cdf": prob,
                "size": (h, w)}

    def __len__(self):
        return len(self.samples) * self.per_image

    def _centre(self, s):
        """A patch centre (flat pixel index) drawn from the sample's detector distribution."""
        cdf = s["cdf"]
        return min(int(np.searchsorted(cdf, self.rng.random() * cdf[-1], side="right")),
                   cdf.size - 1)

    def _origin(self, s):
        h, w = s["size"]
        ps = self.patch_size
        centre = self._centre(s)
        y0 = min(max(centre // w - ps // 2, 0), h - ps) // 4 * 4
        x0 = min(max(centre % w - ps // 2, 0), w - ps) // 4 * 4
        return y0, x0

    def __getitem__(self, i):
        s = self.samples[i // self.per_image]
        feats, maps = s["features"], s["maps"]
        if not self.full_image:
            y0, x0 = self._origin(s)
            win = (slice(None), slice(y0, y0 + self.patch_size), slice(x0, x0 + self.patch_size))
            feats, maps = feats[win], {k: v[win] for k, v in maps.items()}
        c = torch.from_numpy(self.rng.random(self.cond_dim).astype(np.float32))
        if self.clip_margin:
            return {k: v.contiguous() for k, v in maps.items()}, c
        target = self.recipe.apply({k: v[None] for k, v in maps.items()}, c[None])[0]
        if self.train and self.input_mode == "full":
            feats = channel_dropout(feats[None], self.dropout_p, self.gen)[0]
        return feats.contiguous(), c, target.contiguous()
