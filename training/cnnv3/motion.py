"""Synthetic motion for temporal training: short clips made from one window of a photo.

A clip of K frames is cut from a window (S × S, S = P + 2·margin) of a photo's recipe maps (the photo,
its edge map and both styles, recipes.py). Frame t is the window resampled (bilinear) through an
affine pose and cropped to P × P:

    source(p) = R_t · (p − (P − 1)/2) + T_t + (S − 1)/2        p = (x, y), pixel centres
    R_t = z_t · rot(θ_t),  T_t = T_0 + t·v,  θ_t = t·ω,  z_t = (1 + ζ)^t

with one smooth motion per clip (a constant velocity): v up to ±2 px/frame per axis, ω up to
±0.5°/frame, ζ up to ±1 %/frame; a quarter of the clips are an exact 1 px/frame pan along x or y
(what bench/ measures flicker on). The targets are the recipe applied to the resampled maps, so the
style moves exactly with the content; the network's input also gets a little Gaussian noise per frame
(what a camera adds), which the target does not have.

`warp_previous` carries frame t − 1 into frame t's pixel grid through the two poses (for the
temporal-consistency loss), with a mask of the pixels that frame t − 1 saw.

Everything runs batched on the training device (B clips at once), so the data loader only cuts
windows. Tensors are (B, C, H, W) float32.
"""

import math

import torch
import torch.nn.functional as F

MAX_PAN = 2.0          # px per frame, per axis
MAX_ROT = math.radians(0.5)
MAX_ZOOM = 0.01
EXACT_PAN_SHARE = 0.25


def random_motion(batch, generator=None, device="cpu"):
    """Per-clip motion: (v (B, 2), omega (B,), zeta (B,)); a quarter of them exact 1 px pans."""
    def u(*shape):
        return torch.rand(*shape, generator=generator) * 2.0 - 1.0
    v, omega, zeta = u(batch, 2) * MAX_PAN, u(batch) * MAX_ROT, u(batch) * MAX_ZOOM
    exact = torch.rand(batch, generator=generator) < EXACT_PAN_SHARE
    axis = torch.rand(batch, generator=generator) < 0.5
    sign = torch.where(torch.rand(batch, generator=generator) < 0.5, -1.0, 1.0)
    pan = torch.stack([torch.where(axis, sign, torch.zeros(batch)),
                       torch.where(axis, torch.zeros(batch), sign)], 1)
    v = torch.where(exact[:, None], pan, v)
    omega = torch.where(exact, torch.zeros(batch), omega)
    zeta = torch.where(exact, torch.zeros(batch), zeta)
    return v.to(device), omega.to(device), zeta.to(device)


def pose(motion, t, frames):
    """(R (B, 2, 2), T (B, 2)) of frame t; the clip is centred in time so it stays in the window."""
    v, omega, zeta = motion
    k = float(t - (frames - 1) // 2)  # an integer: exact pans stay on whole pixels
    theta, z = omega * k, (1.0 + zeta) ** k
    cos, sin = torch.cos(theta) * z, torch.sin(theta) * z
    r = torch.stack([torch.stack([cos, -sin], -1), torch.stack([sin, cos], -1)], -2)
    return r, v * k


def _grid(r, t, size, src_size):
    """Sampling grid (B, size, size, 2) in grid_sample's normalised coords (align_corners=False)."""
    dev = r.device
    idx = torch.arange(size, dtype=torch.float32, device=dev) - (size - 1) / 2.0
    y, x = torch.meshgrid(idx, idx, indexing="ij")
    p = torch.stack([x, y], -1).view(1, -1, 2)                      # (1, N, 2)
    s = p @ r.transpose(1, 2) + t[:, None, :] + (src_size - 1) / 2.0  # source pixel coords
    g = (2.0 * s + 1.0) / src_size - 1.0
    return g.view(-1, size, size, 2)


def render(window, motion, t, frames, size):
    """Frame t of the clip: window (B, C, S, S) → (B, C, size, size)."""
    r, tr = pose(motion, t, frames)
    grid = _grid(r, tr, size, window.shape[-1])
    return F.grid_sample(window, grid, mode="bilinear", padding_mode="border", align_corners=False)


def warp_previous(prev, motion, t, frames):
    """prev = frame t − 1's image (B, C, P, P) → resampled onto frame t's pixels, and a mask
    (B, 1, P, P) of the pixels whose source lies inside frame t − 1 (1 px away from its border)."""
    size = prev.shape[-1]
    r1, t1 = pose(motion, t, frames)
    r0, t0 = pose(motion, t - 1, frames)
    # frame t pixel → window coords → frame t − 1 pixel: q' = R0⁻¹ (R1 q + T1 − T0)
    det = r0[:, 0, 0] * r0[:, 1, 1] - r0[:, 0, 1] * r0[:, 1, 0]  # 2×2 inverse by hand (no solver)
    r0i = torch.stack([torch.stack([r0[:, 1, 1], -r0[:, 0, 1]], -1),
                       torch.stack([-r0[:, 1, 0], r0[:, 0, 0]], -1)], -2) / det[:, None, None]
    r = r0i @ r1
    tr = (r0i @ (t1 - t0)[..., None])[..., 0]
    grid = _grid(r, tr, size, size)
    inside = (grid.abs() <= 1.0 - 2.0 / size).all(-1, keepdim=True).permute(0, 3, 1, 2)
    warped = F.grid_sample(prev, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return warped, inside.to(prev.dtype)


def step_conditions(c, generator=None):
    """c of the frame before: beat_phase back by δ ~ U[0, 0.2] (wrapping, so some clips cross a
    beat), beat_norm back by δ/8 (wrapping over the bar), audio_intensity moved a little, style_p0 /
    style_p1 unchanged. c (B, ≥5) → (B, ≥5)."""
    b = c.shape[0]
    delta = (torch.rand(b, generator=generator) * 0.2).to(c)
    out = c.clone()
    out[:, 0] = torch.remainder(c[:, 0] - delta, 1.0)
    out[:, 1] = torch.remainder(c[:, 1] - delta / 8.0, 1.0)
    out[:, 2] = (c[:, 2] + (torch.randn(b, generator=generator) * 0.05).to(c)).clamp(0.0, 1.0)
    return out
