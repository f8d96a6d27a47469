"""cnn_v3_weights.bin, cnn_v3_film_mlp.bin and model.json (SPEC §4, docs/formats.md)."""

import hashlib
import json

import numpy as np
import pytest
import torch

from cnnv3.model import CNNv3, quantize_conv_f16_
from cnnv3.modelfile import (ModelFileError, infer_enc_channels, mlp_bytes, read_model,
                             weights_bytes, write_model)


def model(enc, seed=0):
    torch.manual_seed(seed)
    m = CNNv3(enc)
    with torch.no_grad():
        m.film_mlp[2].weight.normal_(0, 0.3)  # make the MLP non-trivial
    return m


@pytest.mark.parametrize("enc,wbytes,mbytes", [((4, 8), 4952, 4 * (80 + 16 + 640 + 40)),
                                               ((8, 16), 15656, 4 * (80 + 16 + 1152 + 72))])
def test_export_sizes_match_spec(tmp_path, enc, wbytes, mbytes):
    sizes = write_model(model(enc), tmp_path)
    assert sizes["cnn_v3_weights.bin"] == wbytes == (tmp_path / "cnn_v3_weights.bin").stat().st_size
    assert sizes["cnn_v3_film_mlp.bin"] == mbytes == (tmp_path / "cnn_v3_film_mlp.bin").stat().st_size
    assert mbytes == {(4, 8): 3104, (8, 16): 5280}[enc]


def test_f16_packing_even_index_low_half():
    m = model((4, 8))
    halves = torch.cat([torch.cat([c.weight.reshape(-1), c.bias]) for c in m.convs()]).half()
    bits = halves.detach().numpy().view(np.uint16)
    words = np.frombuffer(weights_bytes(m), "<u4")
    assert words.size * 2 == bits.size
    assert np.array_equal(words & 0xFFFF, bits[0::2])
    assert np.array_equal(words >> 16, bits[1::2])


def test_weights_file_order_is_layers_then_out_in_ky_kx_then_bias():
    m = model((4, 8))
    h = np.frombuffer(weights_bytes(m), "<f2")
    enc0 = m.enc0
    assert h[0] == np.float16(enc0.weight[0, 0, 0, 0].item())
    assert h[1] == np.float16(enc0.weight[0, 0, 0, 1].item())  # kx fastest
    assert h[9] == np.float16(enc0.weight[0, 1, 0, 0].item())  # then in
    assert h[180] == np.float16(enc0.weight[1, 0, 0, 0].item())  # then out
    assert h[720] == np.float16(enc0.bias[0].item())  # bias after the weights
    assert h[724] == np.float16(m.enc1.weight[0, 0, 0, 0].item())  # then the next layer
    assert h[-1] == np.float16(m.dec0.bias[3].item())


def test_mlp_file_is_row_major_w0_b0_w1_b1():
    m = model((4, 8))
    f = np.frombuffer(mlp_bytes(m), "<f4")
    l0, l1 = m.film_mlp[0], m.film_mlp[2]
    assert f[1] == l0.weight[0, 1].item() and f[5] == l0.weight[1, 0].item()
    assert f[80] == l0.bias[0].item()
    assert f[96] == l1.weight[0, 0].item() and f[96 + 16] == l1.weight[1, 0].item()
    assert f[-1] == l1.bias[-1].item() and f.size == 776


def test_export_read_back_round_trip(tmp_path):
    m = model((8, 16), seed=3)
    write_model(m, tmp_path, name="rt", recipe={"name": "blend_pulse", "version": 1},
                default_cond=[0.1, 0.2, 0.3, 0.4, 0.5])
    back, manifest = read_model(tmp_path)
    q = quantize_conv_f16_(model((8, 16), seed=3))
    for a, b in zip(q.state_dict().values(), back.state_dict().values()):
        assert torch.equal(a, b)
    feats, c = torch.rand(1, 20, 9, 11), torch.rand(1, 5)
    assert torch.equal(back(feats, c), q(feats, c))
    assert manifest["enc_channels"] == [8, 16] and manifest["default_cond"] == [0.1, 0.2, 0.3, 0.4, 0.5]
    data = (tmp_path / "cnn_v3_weights.bin").read_bytes()
    assert manifest["weights"]["sha256"] == hashlib.sha256(data).hexdigest()
    # a second write is byte-identical
    write_model(m, tmp_path / "again", name="rt", recipe={"name": "blend_pulse", "version": 1},
                default_cond=[0.1, 0.2, 0.3, 0.4, 0.5])
    for f in ("cnn_v3_weights.bin", "cnn_v3_film_mlp.bin", "model.json"):
        assert (tmp_path / f).read_bytes() == (tmp_path / "again" / f).read_bytes()


def edit_manifest(d, **changes):
    m = json.loads((d / "model.json").read_text())
    m.update(changes)
    (d / "model.json").write_text(json.dumps(m))


def test_loader_rejects_bad_model_dirs(tmp_path):
    good = tmp_path / "good"
    write_model(model((4, 8)), good)

    def fresh(name):
        d = tmp_path / name
        write_model(model((4, 8)), d)
        return d

    d = fresh("version")
    edit_manifest(d, version=2)
    with pytest.raises(ModelFileError, match="unknown version 2"):
        read_model(d)
    d = fresh("size")
    (d / "cnn_v3_weights.bin").write_bytes((d / "cnn_v3_weights.bin").read_bytes()[:-2])
    with pytest.raises(ModelFileError, match=r"cnn_v3_weights.bin: size 4950 B, expected 4952 B"):
        read_model(d)
    d = fresh("sha")
    raw = bytearray((d / "cnn_v3_film_mlp.bin").read_bytes())
    raw[0] ^= 1
    (d / "cnn_v3_film_mlp.bin").write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="cnn_v3_film_mlp.bin: SHA-256"):
        read_model(d)
    d = fresh("nan")
    raw = bytearray((d / "cnn_v3_weights.bin").read_bytes())
    raw[10:12] = np.array([np.nan], "<f2").tobytes()
    (d / "cnn_v3_weights.bin").write_bytes(bytes(raw))
    edit_manifest(d, weights={"file": "cnn_v3_weights.bin",
                              "sha256": hashlib.sha256(bytes(raw)).hexdigest()})
    with pytest.raises(ModelFileError, match="value 5 is nan"):
        read_model(d)
    d = fresh("cond")
    edit_manifest(d, default_cond=[0, 0, 2, 0, 0])
    with pytest.raises(ModelFileError, match="default_cond"):
        read_model(d)


def test_without_manifest_enc_channels_come_from_both_sizes(tmp_path):
    assert infer_enc_channels(15656, 5280) == (8, 16)
    assert infer_enc_channels(4952, 3104) == (4, 8)
    assert infer_enc_channels(15656, 123) is None
    write_model(model((4, 8)), tmp_path)
    (tmp_path / "model.json").unlink()
    notes = []
    m, manifest = read_model(tmp_path, log=notes.append)
    assert m.enc_channels == (4, 8) and "inferred enc_channels [4, 8]" in notes[0]
    assert manifest["default_cond"] == [0.0, 0.0, 0.5, 0.5, 0.5]
