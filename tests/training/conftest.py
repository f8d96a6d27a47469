"""pytest setup for the training tests: put training/ on sys.path, and small shared helpers."""

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "training"))

import torch  # noqa: E402

torch.set_num_threads(2)


def make_sample(path, h=40, w=56, seed=0, full=False, style=False):
    """A small sample directory written directly (no pack script): smooth colour blobs + a square."""
    from cnnv3.pngio import write_png

    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([0.5 + 0.4 * np.sin(6 * xx + rng.random() * 6),
                    0.5 + 0.4 * np.cos(5 * yy + rng.random() * 6),
                    0.5 + 0.3 * np.sin(4 * (xx + yy))], -1)
    img[h // 4:h // 2, w // 4:w // 2] = [0.9, 0.1, 0.2]
    write_png(path / "albedo.png", np.round(img * 255).astype(np.uint8))
    if full:
        normal = np.zeros((h, w, 3), np.uint16)
        normal[..., 0] = np.round((0.5 + 0.3 * xx) * 65535)
        normal[..., 1] = np.round((0.5 - 0.3 * yy) * 65535)
        write_png(path / "normal.png", normal)
        write_png(path / "depth.png", np.round((0.2 + 0.5 * xx * yy) * 65535).astype(np.uint16))
        write_png(path / "matid.png", np.full((h, w), 7, np.uint8))
        write_png(path / "shadow.png", np.full((h, w), 200, np.uint8))
        write_png(path / "transp.png", np.zeros((h, w), np.uint8))
    if style:  # style files of another size, to be resized to the albedo's
        write_png(path / "style_a.png", np.full((h // 2, w // 2, 3), 30, np.uint8))
        write_png(path / "style_b.png", np.full((h * 2, w * 2, 3), 220, np.uint8))
    return path


@pytest.fixture
def sample_root(tmp_path):
    root = tmp_path / "samples"
    make_sample(root / "a", seed=1)
    make_sample(root / "b", h=36, w=45, seed=2, full=True)
    return root
