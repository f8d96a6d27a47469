"""Synthetic motion clips for temporal training (cnnv3/motion.py)."""

import math

import torch

from cnnv3 import motion


def smooth_image(b=4, c=3, s=48, seed=0):
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(b, c, s // 8, s // 8, generator=g)
    return torch.nn.functional.interpolate(low, size=(s, s), mode="bicubic", align_corners=False)


def exact_pans(b, dx, dy):
    return torch.tensor([[dx, dy]] * b, dtype=torch.float32), torch.zeros(b), torch.zeros(b)


def test_an_exact_pan_moves_every_pixel_by_one_whole_pixel():
    win = torch.rand(2, 3, 40, 40)
    for dx, dy in ((1.0, 0.0), (0.0, -1.0)):
        mot = exact_pans(2, dx, dy)
        f0, f1 = (motion.render(win, mot, t, 3, 24) for t in (0, 1))
        # the content moves by −v in frame coordinates: frame1(p) = frame0(p + v)
        if dx:
            assert torch.allclose(f1[..., :, :-1], f0[..., :, 1:], atol=1e-5)
        else:
            assert torch.allclose(f1[..., 1:, :], f0[..., :-1, :], atol=1e-5)
        assert torch.allclose(motion.render(win, mot, 1, 3, 24), win[..., 8:32, 8:32], atol=1e-5)


def test_random_motion_is_bounded_and_has_exact_pans():
    v, omega, zeta = motion.random_motion(4000, torch.Generator().manual_seed(1))
    assert v.abs().max() <= motion.MAX_PAN and omega.abs().max() <= motion.MAX_ROT
    assert zeta.abs().max() <= motion.MAX_ZOOM
    exact = ((v.abs().sum(1) == 1.0) & (omega == 0) & (zeta == 0)).float().mean()
    assert abs(float(exact) - motion.EXACT_PAN_SHARE) < 0.03


def test_warp_previous_carries_the_previous_frame_onto_the_current_one():
    win = smooth_image()
    mot = (torch.tensor([[1.7, -0.6], [-2.0, 1.2], [0.3, 0.0], [1.0, 0.0]]),
           torch.tensor([math.radians(0.5), -math.radians(0.4), 0.0, 0.0]),
           torch.tensor([0.01, -0.008, 0.0, 0.0]))
    f1, f2 = (motion.render(win, mot, t, 3, 32) for t in (1, 2))
    warped, mask = motion.warp_previous(f1, mot, 2, 3)
    assert mask.mean() > 0.8  # most of frame 2 was visible in frame 1
    err = ((warped - f2).abs() * mask).sum() / (3 * mask.sum())
    moved = (f1 - f2).abs().mean()
    assert err < 0.1 * moved, (float(err), float(moved))


def test_conditions_step_back_in_time_and_wrap():
    c = torch.tensor([[0.05, 0.001, 0.5, 0.3, 0.9]] * 64)
    prev = motion.step_conditions(c, torch.Generator().manual_seed(0))
    assert ((prev[:, :2] >= 0) & (prev[:, :2] < 1)).all()
    assert (prev[:, 3:] == c[:, 3:]).all()
    crossed = prev[:, 0] > 0.5  # the frame before was the end of the previous beat
    assert crossed.any() and (~crossed).any()
    assert (prev[crossed, 1] > 0.9).all()  # ... and of the previous bar
