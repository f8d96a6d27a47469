"""The network math of SPEC §1 and §3."""

import pytest
import torch
import torch.nn.functional as F

from cnnv3.model import (CNNv3, avgpool2, conv_weight_count, film_size, mlp_float_count,
                         quantize_conv_f16_, up2)


def test_avgpool_ceil_averages_only_covered_pixels():
    x = torch.arange(9.0).reshape(1, 1, 3, 3)  # [[0,1,2],[3,4,5],[6,7,8]]
    expect = torch.tensor([[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8.0]])
    assert torch.equal(avgpool2(x)[0, 0], expect)
    assert avgpool2(torch.full((1, 1, 1, 1), 0.7)).item() == pytest.approx(0.7)
    x = torch.rand(2, 3, 7, 5)
    assert avgpool2(x).shape[-2:] == (4, 3)
    # an overhanging window over a constant image keeps the constant (no zero padding counted)
    assert torch.allclose(avgpool2(torch.ones(1, 1, 5, 3)), torch.ones(1, 1, 3, 2))


def test_up2_nearest_then_crop():
    low = torch.arange(6.0).reshape(1, 1, 2, 3)
    up = up2(low, 3, 5)
    assert up.shape[-2:] == (3, 5)
    for y in range(3):
        for x in range(5):
            assert up[0, 0, y, x] == low[0, 0, y >> 1, x >> 1]


def test_weight_counts_match_spec():
    assert conv_weight_count(4, 8) == 2476 == 724 + 296 + 584 + 580 + 292
    assert conv_weight_count(8, 16) == 7828 == 1448 + 1168 + 2320 + 2312 + 580
    assert film_size(4, 8) == 40 and film_size(8, 16) == 72
    assert mlp_float_count(4, 8) == 16 * 5 + 16 + 40 * 16 + 40
    m = CNNv3((8, 16))
    assert sum(p.numel() for c in m.convs() for p in c.parameters()) == 7828


def reference_forward(m, feats, film):
    """The SPEC §1 table written out independently, reading FiLM by explicit offsets."""
    c0, c1 = m.enc_channels
    off = [0]

    def take(n):
        v = film[:, off[0]:off[0] + n]
        off[0] += n
        return v[:, :, None, None]

    g0, b0, g1, b1, gd1, bd1, gd0, bd0 = (take(n) for n in (c0, c0, c1, c1, c0, c0, 4, 4))
    assert off[0] == film.shape[1]
    conv = lambda layer, x, d=1: F.conv2d(x, layer.weight, layer.bias, padding=d, dilation=d)  # noqa
    h, w = feats.shape[-2:]
    e0 = torch.relu(g0 * conv(m.enc0, feats) + b0)
    e1 = torch.relu(g1 * conv(m.enc1, F.avg_pool2d(e0, 2, ceil_mode=True)) + b1)
    bott = torch.relu(conv(m.bottleneck, F.avg_pool2d(e1, 2, ceil_mode=True), 2))
    h1, w1 = e1.shape[-2:]
    upb = F.interpolate(bott, scale_factor=2, mode="nearest")[..., :h1, :w1]
    d1 = torch.relu(gd1 * conv(m.dec1, torch.cat([upb, e1], 1)) + bd1)
    upd = F.interpolate(d1, scale_factor=2, mode="nearest")[..., :h, :w]
    return torch.sigmoid(gd0 * conv(m.dec0, torch.cat([upd, e0], 1)) + bd0)


@pytest.mark.parametrize("enc", [(4, 8), (8, 16), (3, 5)])
def test_film_order_gamma_then_beta_per_layer(enc):
    torch.manual_seed(0)
    m = CNNv3(enc)
    n = film_size(*enc)
    film = torch.randn(2, n) * 0.5 + 1.0
    feats = torch.rand(2, 20, 9, 7)
    assert torch.allclose(m.forward_film(feats, film), reference_forward(m, feats, film), atol=1e-6)
    # γ_enc0 comes first: zeroing γ_enc0 and β_enc0 makes E0 = 0 whatever the input.
    c0 = enc[0]
    f = film.clone()
    f[:, :2 * c0] = 0
    a = m.forward_film(feats, f)
    b = m.forward_film(torch.rand_like(feats), f)
    assert torch.allclose(a, b, atol=1e-6)


def test_forward_uses_mlp_film():
    torch.manual_seed(1)
    m = CNNv3((4, 8))
    c = torch.rand(3, 5)
    feats = torch.rand(3, 20, 5, 6)
    film = torch.relu(c @ m.film_mlp[0].weight.T + m.film_mlp[0].bias) @ m.film_mlp[2].weight.T \
        + m.film_mlp[2].bias
    assert torch.allclose(m(feats, c), m.forward_film(feats, film), atol=1e-6)


def test_new_model_starts_with_identity_film():
    m = CNNv3((8, 16))
    film = m.film(torch.rand(4, 5))
    for g, b in m.film_slices():
        assert torch.allclose(film[:, g], torch.ones_like(film[:, g]), atol=0.05)
        assert torch.allclose(film[:, b], torch.zeros_like(film[:, b]), atol=0.05)


@pytest.mark.parametrize("h,w", [(1, 1), (2, 3), (3, 2), (5, 7), (17, 9), (6, 4)])
def test_any_size_gives_same_size_output(h, w):
    m = CNNv3((4, 8))
    out = m(torch.rand(1, 20, h, w), torch.rand(1, 5))
    assert out.shape == (1, 4, h, w)
    assert bool(((out > 0) & (out < 1)).all())


def test_quantize_conv_f16_rounds_convs_only():
    torch.manual_seed(2)
    m = CNNv3((4, 8))
    mlp_before = [p.clone() for p in m.film_mlp.parameters()]
    quantize_conv_f16_(m)
    for conv in m.convs():
        for p in conv.parameters():
            assert torch.equal(p, p.half().float())
    for a, b in zip(mlp_before, m.film_mlp.parameters()):
        assert torch.equal(a, b)
