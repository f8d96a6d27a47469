"""The 20 input channels of SPEC §2 and channel dropout."""

import torch

from cnnv3.features import (CONTEXT, GEOMETRIC, TEMPORAL, build_features, channel_dropout,
                            depth_gradient, features_from_rgb, mip_features)
from cnnv3.model import avgpool2


def test_mip_features_nearest_from_pooled():
    rgb = torch.rand(1, 3, 11, 7)
    mip1, mip2 = mip_features(rgb)
    p1 = avgpool2(rgb)
    p2 = avgpool2(p1)
    for y in range(11):
        for x in range(7):
            assert torch.equal(mip1[0, :, y, x], p1[0, :, y >> 1, x >> 1])
            assert torch.equal(mip2[0, :, y, x], p2[0, :, y >> 2, x >> 2])


def test_features_from_rgb_is_the_video_column():
    rgb = torch.rand(2, 3, 5, 6)
    f = features_from_rgb(rgb)
    assert f.shape == (2, 20, 5, 6)
    assert torch.equal(f[:, 0:3], rgb)
    zero = [3, 4, 5, 6, 7, 8, 9, 10, 11, 19]
    assert torch.count_nonzero(f[:, zero]) == 0
    assert torch.all(f[:, 18] == 1)
    mip1, mip2 = mip_features(rgb)
    assert torch.equal(f[:, 12:15], mip1) and torch.equal(f[:, 15:18], mip2)


def test_depth_grad_central_difference_clamped_at_edges():
    d = torch.tensor([[0.0, 1.0, 4.0, 9.0]]).expand(3, 4).reshape(1, 1, 3, 4)
    g = depth_gradient(d)
    assert torch.allclose(g[0, 0, 1], torch.tensor([0.5, 2.0, 4.0, 2.5]))
    assert torch.count_nonzero(g[0, 1]) == 0  # constant along y


def test_build_features_places_gbuffer_channels():
    b, h, w = 1, 4, 5
    alb, nrm = torch.rand(b, 3, h, w), torch.rand(b, 2, h, w) * 2 - 1
    dep, mat = torch.rand(b, 1, h, w), torch.rand(b, 1, h, w)
    sh, tr = torch.rand(b, 1, h, w), torch.rand(b, 1, h, w)
    f = build_features(alb, nrm, dep, mat, sh, tr)
    assert torch.equal(f[:, 3:5], nrm) and torch.equal(f[:, 5], dep[:, 0])
    assert torch.equal(f[:, 6:8], depth_gradient(dep))
    assert torch.equal(f[:, 8], mat[:, 0]) and torch.count_nonzero(f[:, 9:12]) == 0
    assert torch.equal(f[:, 18], sh[:, 0]) and torch.equal(f[:, 19], tr[:, 0])


def test_dropout_zeroes_whole_groups():
    n, p = 4000, 0.3
    f = torch.ones(n, 20, 2, 2)
    g = torch.Generator().manual_seed(0)
    out = channel_dropout(f, p, g)
    groups = {GEOMETRIC: p, CONTEXT: 0.67 * p, TEMPORAL: 0.5}
    for chans, prob in groups.items():
        vals = out[:, list(chans)].reshape(n, -1)
        all_zero = (vals == 0).all(1)
        all_one = (vals == 1).all(1)
        assert bool((all_zero | all_one).all()), "a group was partly dropped"
        assert abs(all_zero.float().mean().item() - prob) < 0.03
    others = [c for c in range(20) if not any(c in g for g in groups)]
    assert torch.equal(out[:, others], f[:, others])
    assert torch.equal(f, torch.ones_like(f))  # input untouched
    # temporal dropout does not depend on p
    out0 = channel_dropout(f, 0.0, g)
    assert abs((out0[:, 9] == 0).all(-1).all(-1).float().mean().item() - 0.5) < 0.03
    assert torch.count_nonzero(out0[:, list(GEOMETRIC)] == 0) == 0
