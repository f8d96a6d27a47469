"""The 20 input feature channels of SPEC §2, and channel dropout for training.

    0-2 albedo.rgb   3-4 normal.xy (oct)   5 depth   6-7 depth_grad.xy   8 mat_id/255
    9-11 prev.rgb    12-14 mip1.rgb        15-17 mip2.rgb   18 shadow   19 transp

depth_grad is not stored in sample directories; it is computed here from depth with **central
differences and clamp-to-edge borders**, in depth units per pixel:
    gx(y, x) = (d(y, min(x+1, W-1)) - d(y, max(x-1, 0))) / 2,   gy likewise along y.
(At a border this is half the one-sided difference.) Central differences keep the gradient centred
on the pixel, so it does not shift edges by half a pixel the way forward differences would.

Tensors are (B, C, H, W) float32 throughout.
"""

import torch
import torch.nn.functional as F

from .model import avgpool2, up2

N_FEATURES = 20
ALBEDO, NORMAL, DEPTH, DEPTH_GRAD, MATID = slice(0, 3), slice(3, 5), 5, slice(6, 8), 8
PREV, MIP1, MIP2, SHADOW, TRANSP = slice(9, 12), slice(12, 15), slice(15, 18), 18, 19

# Dropout groups (SPEC §2): (channels, probability as a multiple of p, or None = fixed 0.5).
GEOMETRIC = (3, 4, 5, 6, 7)
CONTEXT = (8, 18, 19)
TEMPORAL = (9, 10, 11)


def mip_features(albedo):
    """(mip1, mip2) at full resolution: avgpool2 (twice for mip2), then nearest by y>>1 / y>>2."""
    h, w = albedo.shape[-2:]
    m1 = avgpool2(albedo)
    m2 = avgpool2(m1)
    mip1 = up2(m1, h, w)
    mip2 = m2.repeat_interleave(4, dim=-2).repeat_interleave(4, dim=-1)[..., :h, :w]
    return mip1, mip2


def depth_gradient(depth):
    """(B, 1, H, W) depth → (B, 2, H, W) central-difference gradient, clamp-to-edge borders."""
    p = F.pad(depth, (1, 1, 1, 1), mode="replicate")
    gx = (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) * 0.5
    gy = (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) * 0.5
    return torch.cat([gx, gy], 1)


def build_features(albedo, normal=None, depth=None, matid=None, shadow=None, transp=None,
                   prev=None):
    """Assemble the 20 channels. albedo (B,3,H,W); normal (B,2,..) in [-1,1]; depth, matid (already
    /255), shadow (1 = lit), transp (1 - alpha) as (B,1,..); prev (B,3,..). A missing input gets its
    photo default from SPEC §2 (0, shadow 1)."""
    b, _, h, w = albedo.shape
    f = albedo.new_zeros(b, N_FEATURES, h, w)
    f[:, ALBEDO] = albedo
    if normal is not None:
        f[:, NORMAL] = normal
    if depth is not None:
        f[:, DEPTH] = depth[:, 0]
        f[:, DEPTH_GRAD] = depth_gradient(depth)
    if matid is not None:
        f[:, MATID] = matid[:, 0]
    if prev is not None:
        f[:, PREV] = prev
    f[:, MIP1], f[:, MIP2] = mip_features(albedo)
    f[:, SHADOW] = 1.0 if shadow is None else shadow[:, 0]
    if transp is not None:
        f[:, TRANSP] = transp[:, 0]
    return f


def features_from_rgb(rgb):
    """The SPEC §2 "video / photo" column: albedo = rgb, mips from it, shadow = 1, all else 0."""
    return build_features(rgb)


def channel_dropout(features, p, generator=None):
    """Zero whole channel groups per sample: geometric {3..7} with probability p, context
    {8, 18, 19} with 0.67·p, temporal {9..11} with 0.5 regardless of p. Returns a new tensor."""
    b = features.shape[0]
    out = features.clone()
    for chans, prob in ((GEOMETRIC, p), (CONTEXT, 0.67 * p), (TEMPORAL, 0.5)):
        drop = torch.rand(b, generator=generator) < prob
        if drop.any():
            idx = drop.nonzero()[:, 0].to(out.device)
            out[idx[:, None], torch.tensor(chans, device=out.device)[None, :]] = 0.0
    return out
