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
    assert cfg["recipe"] == {"name": "blend_pulse", "version": 2}
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
    assert manifest["name"] == "tiny" and manifest["recipe"] == {"name": "blend_pulse", "version": 2}
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


class Recording(CNNv3):
    """The real network, keeping the prev.rgb channels (9–11) of every call."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.prevs = []

    def forward(self, features, c):
        self.prevs.append(features[:, 9:12].detach().clone())
        return super().forward(features, c)


def clip_args(**kw):
    args = train.build_parser().parse_args(["--input", "x", "--patch-size", "16",
                                            "--temporal-frames", "3"])
    for k, v in kw.items():
        setattr(args, k, v)
    return args


def clip_batch(b=6):
    g = torch.Generator().manual_seed(3)
    win = torch.rand(b, 3, 32, 32, generator=g)
    from cnnv3.recipes import get_recipe
    recipe = get_recipe("blend_pulse", 2)
    maps = recipe.prepare(win)
    return maps, torch.rand(b, 5, generator=g), recipe


def test_clips_feed_the_previous_output_as_prev_and_zero_on_dropout():
    maps, c, recipe = clip_batch()
    for dropout, fed in ((0.0, True), (1.0, False)):
        model = Recording((4, 8))
        loss = train.clip_loss(model, maps, c, recipe, clip_args(temporal_dropout=dropout),
                               torch.Generator().manual_seed(0))
        assert torch.isfinite(loss) and len(model.prevs) == 3
        assert float(model.prevs[0].abs().max()) == 0.0  # the first frame of a clip has no history
        for p in model.prevs[1:]:
            assert (float(p.abs().min(-1).values.min()) > 0.0) == fed  # sigmoid outputs are never 0


def test_temporal_loss_counts_only_with_its_weight():
    maps, c, recipe = clip_batch()
    model = CNNv3((4, 8))
    with_t = train.clip_loss(model, maps, c, recipe, clip_args(temporal_loss_weight=1.0),
                             torch.Generator().manual_seed(0))
    without = train.clip_loss(model, maps, c, recipe, clip_args(temporal_loss_weight=0.0),
                              torch.Generator().manual_seed(0))
    assert float(with_t) > float(without) > 0


def test_wrap_loss_is_zero_only_for_a_film_that_ignores_beat_norm():
    model = CNNv3((4, 8))
    c = torch.rand(8, 5)
    assert float(train.wrap_loss(model, c)) > 0
    with torch.no_grad():
        model.film_mlp[0].weight[:, 1] = 0.0  # beat_norm no longer reaches the FiLM vector
    assert float(train.wrap_loss(model, c)) == 0.0


def test_temporal_training_runs_and_refuses_one_frame(sample_root, tmp_path):
    ck = tmp_path / "ck"
    assert train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck),
                       "--temporal-frames", "3", "--wrap-loss-weight", "10"] + TINY) == 0
    _, ckpt = load_checkpoint(ck / "latest.pt")
    assert ckpt["config"]["args"]["temporal_frames"] == 3 and ckpt["loss"] > 0
    with pytest.raises(SystemExit):
        train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck),
                    "--temporal-frames", "1"] + TINY)


def test_init_starts_from_a_checkpoint_and_refuses_another_shape(sample_root, tmp_path, capsys):
    first, second = tmp_path / "a", tmp_path / "b"
    train.main(["--input", str(sample_root), "--checkpoint-dir", str(first), "--seed", "3"] + TINY)
    trained = torch.load(first / "latest.pt")["model_state"]
    # lr 0: the weights stay what --init loaded, not the seed's fresh ones
    assert train.main(["--input", str(sample_root), "--checkpoint-dir", str(second), "--seed", "4",
                       "--init", str(first / "latest.pt"), "--lr", "0"] + TINY) == 0
    state = torch.load(second / "latest.pt")["model_state"]
    assert all(torch.equal(state[k], trained[k]) for k in trained)
    with pytest.raises(SystemExit) as e:
        train.main(["--input", str(sample_root), "--checkpoint-dir", str(tmp_path / "c"),
                    "--init", str(first / "latest.pt")] + TINY[:-4] + ["--enc-channels", "8,16", "--device", "cpu"])
    assert "latest.pt: not a train.py checkpoint of this network (expected --enc-channels 8,16)" in str(e.value)
    with pytest.raises(SystemExit) as e:
        train.main(["--input", str(sample_root), "--checkpoint-dir", str(tmp_path / "d"),
                    "--init", str(tmp_path / "missing.pt")] + TINY)
    assert "missing.pt: not a train.py checkpoint" in str(e.value)


def test_wrap_loss_waits_for_its_warmup(sample_root, tmp_path):
    def loss(*extra):
        ck = tmp_path / "-".join(extra or ("none",))
        train.main(["--input", str(sample_root), "--checkpoint-dir", str(ck), "--seed", "2",
                    "--lr", "0"] + list(extra) + TINY)
        return torch.load(ck / "latest.pt")["loss"]
    plain = loss()
    assert loss("--wrap-loss-weight", "1000") > plain  # a fresh network's FiLM moves with beat_norm
    assert loss("--wrap-loss-weight", "1000", "--wrap-warmup-epochs", "1") == plain
