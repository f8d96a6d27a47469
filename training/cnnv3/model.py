"""The CNN v3 U-Net with FiLM conditioning, exactly as shared/SPEC.md §1 and §3 define it.

    enc0:       conv 20→c0 (pad 1) → FiLM → ReLU                         full res
    enc1:       avgpool2 → conv c0→c1 (pad 1) → FiLM → ReLU               half
    bottleneck: avgpool2 → conv c1→c1 (dilation 2, pad 2) → ReLU          quarter (no FiLM)
    dec1:       [up2(B) cropped, E1] → conv 2c1→c0 (pad 1) → FiLM → ReLU  half
    dec0:       [up2(D1) cropped, E0] → conv 2c0→4 (pad 1) → FiLM → sigmoid  full

The FiLM MLP maps c (film_cond_dim = 5) through Linear→ReLU (16)→Linear to N = 2·(2·c0 + c1 + 4)
values laid out [γ_enc0, β_enc0, γ_enc1, β_enc1, γ_dec1, β_dec1, γ_dec0, β_dec0].
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

N_FEATURES = 20
N_OUTPUTS = 4
FILM_HIDDEN = 16
CONV_NAMES = ("enc0", "enc1", "bottleneck", "dec1", "dec0")  # SPEC §4 file order


def film_size(c0, c1):
    """Number of FiLM values N = 2·(c0 + c1 + c0 + 4)."""
    return 2 * (c0 + c1 + c0 + N_OUTPUTS)


def conv_shapes(c0, c1):
    """(out, in) channel counts of the five 3×3 convs in file order."""
    return [(c0, N_FEATURES), (c1, c0), (c1, c1), (c0, 2 * c1), (N_OUTPUTS, 2 * c0)]


def conv_weight_count(c0, c1):
    """Number of f16 values in cnn_v3_weights.bin (weights + biases of all five convs)."""
    return sum(o * i * 9 + o for o, i in conv_shapes(c0, c1))


def mlp_float_count(c0, c1, cond_dim=5, hidden=FILM_HIDDEN):
    """Number of f32 values in cnn_v3_film_mlp.bin: W0, b0, W1, b1."""
    n = film_size(c0, c1)
    return hidden * cond_dim + hidden + n * hidden + n


def avgpool2(x):
    """SPEC avgpool2: 2×2 mean with ceil_mode, overhanging windows average only covered pixels.

    PyTorch's avg_pool2d with ceil_mode=True and padding=0 divides an overhanging window by the
    number of in-image pixels it covers; tests/training/test_model.py checks that numerically.
    """
    return F.avg_pool2d(x, 2, ceil_mode=True)


def up2(x, h, w):
    """SPEC up2: nearest upsampling up(y, x) = low(y >> 1, x >> 1), cropped to h×w."""
    return x.repeat_interleave(2, dim=-2).repeat_interleave(2, dim=-1)[..., :h, :w]


def _film(x, gamma, beta):
    return x * gamma[:, :, None, None] + beta[:, :, None, None]


class CNNv3(nn.Module):
    def __init__(self, enc_channels=(8, 16), film_cond_dim=5, film_hidden=FILM_HIDDEN):
        super().__init__()
        c0, c1 = (int(v) for v in enc_channels)
        if c0 < 1 or c1 < 1:
            raise ValueError(f"enc_channels must be positive, got {enc_channels}")
        self.enc_channels = (c0, c1)
        self.film_cond_dim = int(film_cond_dim)
        self.film_hidden = int(film_hidden)
        self.enc0 = nn.Conv2d(N_FEATURES, c0, 3, padding=1)
        self.enc1 = nn.Conv2d(c0, c1, 3, padding=1)
        self.bottleneck = nn.Conv2d(c1, c1, 3, padding=2, dilation=2)
        self.dec1 = nn.Conv2d(2 * c1, c0, 3, padding=1)
        self.dec0 = nn.Conv2d(2 * c0, N_OUTPUTS, 3, padding=1)
        self.film_mlp = nn.Sequential(
            nn.Linear(self.film_cond_dim, self.film_hidden), nn.ReLU(),
            nn.Linear(self.film_hidden, film_size(c0, c1)))
        self.reset_film_identity()

    def reset_film_identity(self, scale=0.01):
        """Start FiLM near identity (γ ≈ 1, β ≈ 0) so the convs train as a plain U-Net first."""
        last = self.film_mlp[2]
        with torch.no_grad():
            last.weight.mul_(scale)
            last.bias.zero_()
            for gamma, _beta in self.film_slices():
                last.bias[gamma] = 1.0

    def convs(self):
        return [getattr(self, n) for n in CONV_NAMES]

    def film_slices(self):
        """(γ slice, β slice) into the FiLM vector for enc0, enc1, dec1, dec0 (SPEC §3 order)."""
        c0, c1 = self.enc_channels
        out, pos = [], 0
        for n in (c0, c1, c0, N_OUTPUTS):
            out.append((slice(pos, pos + n), slice(pos + n, pos + 2 * n)))
            pos += 2 * n
        return out

    def film(self, c):
        """FiLM vector(s) for conditioning c: (B, film_cond_dim) → (B, N), f32."""
        return self.film_mlp(c)

    def forward(self, features, c):
        """features (B, 20, H, W), c (B, film_cond_dim) → output (B, 4, H, W) in (0, 1)."""
        return self.forward_film(features, self.film(c))

    def forward_film(self, features, film):
        """Run the network with a given FiLM vector (B, N) instead of the MLP."""
        (g0, b0), (g1, b1), (gd1, bd1), (gd0, bd0) = [
            (film[:, g], film[:, b]) for g, b in self.film_slices()]
        h, w = features.shape[-2:]
        e0 = F.relu(_film(self.enc0(features), g0, b0))
        e1 = F.relu(_film(self.enc1(avgpool2(e0)), g1, b1))
        bott = F.relu(self.bottleneck(avgpool2(e1)))
        h1, w1 = e1.shape[-2:]
        d1 = F.relu(_film(self.dec1(torch.cat([up2(bott, h1, w1), e1], 1)), gd1, bd1))
        out = self.dec0(torch.cat([up2(d1, h, w), e0], 1))
        return torch.sigmoid(_film(out, gd0, bd0))


def quantize_conv_f16_(model):
    """Round every conv weight and bias to IEEE half in place (what cnn_v3_weights.bin stores).

    The FiLM MLP stays f32, as SPEC §3 says. Returns the model for chaining.
    """
    with torch.no_grad():
        for conv in model.convs():
            conv.weight.copy_(conv.weight.to(torch.float16).to(conv.weight.dtype))
            conv.bias.copy_(conv.bias.to(torch.float16).to(conv.bias.dtype))
    return model


def count_parameters(model):
    return sum(p.numel() for p in model.parameters())
