"""make_test_vectors.py: deterministic, small, in the documented layout, lively outputs."""

import json

import numpy as np
import torch

import make_test_vectors as mtv
from cnnv3.features import features_from_rgb
from cnnv3.model import film_size
from cnnv3.modelfile import read_model


def test_vectors_are_deterministic_and_follow_the_format(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    cases, stds = mtv.make_model_vectors(a, "t48", (4, 8), 48, log=lambda _m: None)
    mtv.make_model_vectors(b, "t48", (4, 8), 48, log=lambda _m: None)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        assert (a / n).read_bytes() == (b / n).read_bytes(), n
    assert min(stds) > 0.05  # outputs vary across pixels
    listed = json.loads((a / "cases.json").read_text())["cases"]
    assert {(c["width"], c["height"]) for c in listed} == set(mtv.SIZES)
    model, _ = read_model(a)
    for c in listed:
        h, w = c["height"], c["width"]
        rgb = np.fromfile(a / c["input"], "<f4").reshape(h, w, 3)
        film = np.fromfile(a / c["film"], "<f4")
        out = np.fromfile(a / c["output"], "<f4").reshape(h, w, 4)
        assert film.size == film_size(4, 8) and 0 <= rgb.min() and rgb.max() <= 1
        assert len(c["cond"]) == 5 and all(float(np.float32(v)) == v for v in c["cond"])
        with torch.no_grad():
            f = model.film(torch.tensor([c["cond"]]))
            o = model.forward_film(features_from_rgb(torch.from_numpy(rgb).permute(2, 0, 1)[None]), f)
        assert np.allclose(film, f[0].numpy(), atol=1e-6)
        assert np.allclose(out, o[0].permute(1, 2, 0).numpy(), atol=1e-6)
    gammas = [film[g] for g, _ in model.film_slices()]  # of the last case
    assert all(0.3 < float(np.mean(g)) < 1.7 for g in gammas)
    assert sum(p.stat().st_size for p in a.iterdir()) < 500_000
