"""train.py and export.py end to end on tiny data (CPU, seconds)."""

import json

import pytest
import torch

import export
import train
from cnnv3.model import CNNv3
from cnnv3.modelfile import load_checkpoint, read_model

TINY = ["--epochs", "1", "--batch-size", "4", "--patch-size", "16", "--patches-per-image", "4",
        "--enc-channels", "4,8", "--device", "cpu"]


def test_train_one_epoch_writes_checkpoint(sample_root, tmp_path, capsys):
    ck = tmp_path / "ck"
    assert train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck)] + TINY) == 0
    out = capsys.readouterr().out
    assert "4952 B" in out and "3104 B" in out  # model size printed at start
    assert (ck / "ckpt_epoch_0001.pt").is_file() and (ck / "latest.pt").is_file()
    model, ckpt = load_checkpoint(ck / "latest.pt")
    assert ckpt["epoch"] == 1 and ckpt["loss"] > 0 and ckpt["optimizer_state"]
    cfg = ckpt["config"]
    assert cfg["enc_channels"] == [4, 8] and cfg["film_cond_dim"] == 5
    assert cfg["recipe"] == {"name": "blend_pulse", "version": 1}
    assert "--patch-size" in cfg["command"]
    assert model.enc_channels == (4, 8)


def test_export_writes_model_dir(sample_root, tmp_path, capsys):
    ck = tmp_path / "ck"
    train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck)] + TINY)
    out = tmp_path / "model"
    assert export.main([str(ck / "latest.pt"), str(out), "--name", "tiny",
                        "--default-cond", "0.1,0.2,0.3,0.4,0.5", "--styles", "cartoon,ink wash"]) == 0
    printed = capsys.readouterr().out
    assert "cnn_v3_weights.bin: 4952 B" in printed and "cnn_v3_film_mlp.bin: 3104 B" in printed
    manifest = json.loads((out / "model.json").read_text())
    assert manifest["name"] == "tiny" and manifest["recipe"] == {"name": "blend_pulse", "version": 1}
    assert manifest["default_cond"] == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert manifest["training"]["epochs"] == 1
    assert manifest["styles"] == ["cartoon", "ink wash"]  # what `cnnv3 models` shows
    back, _ = read_model(out)
    trained, _ = load_checkpoint(ck / "latest.pt")
    x, c = torch.rand(1, 20, 7, 5), torch.rand(1, 5)
    assert torch.allclose(back(x, c), trained(x, c), atol=2e-3)  # differs only by f16 rounding


def test_film_warmup_freezes_mlp(sample_root, tmp_path):
    ck = tmp_path / "ck"
    train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck), "--seed", "5",
                "--film-warmup-epochs", "1", "--input-mode", "full"] + TINY)
    torch.manual_seed(5)
    init = CNNv3((4, 8)).state_dict()
    state = torch.load(ck / "latest.pt")["model_state"]
    assert all(torch.equal(state[k], init[k]) for k in init if k.startswith("film_mlp"))
    assert not torch.equal(state["enc0.weight"], init["enc0.weight"])


def test_train_rejects_bad_enc_channels(sample_root, tmp_path):
    with pytest.raises(SystemExit):
        train.main(["--input", str(sample_root), "--enc-channels", "8"])


def test_mlp_lr_schedule():
    args = train.build_parser().parse_args(["--input", "x", "--lr", "0.01"])
    assert train.mlp_lr(args, 0) == 0.01  # no warm-up: the MLP trains from the start at lr
    args = train.build_parser().parse_args(["--input", "x", "--lr", "0.01",
                                            "--film-warmup-epochs", "2"])
    assert [train.mlp_lr(args, e) for e in range(4)] == [0.0, 0.0, 0.001, 0.001]
