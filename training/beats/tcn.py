"""The learned beat activation (filter/audio/beat_activation.h): data, model and training.

Features are the ones the C++ computes, written by `cnnv3-bench-beats-sets --features DIR`
(DIR/CLIP.feat.npy, float32 (frames, 80): 40 band log levels then 40 band rises, one frame per 4
envelope frames = 11.6 ms). Labels are the clip's CLIP.beats.txt (one beat time a line): the frame
of each beat is 1, its two neighbours 0.5 (the tolerance of a beat is wider than one frame).

The model is a small non-causal TCN: a 3-tap input convolution to CH channels, residual blocks of
dilated KERNEL-tap convolutions (dilations 1, 2, 4, ... ) with ELU, and a 1×1 output convolution
to one logit per frame. Per-channel input standardisation (mean, std of the training features) is
part of the model so the exported weights carry it.

Runs on the CPU with Debian's python3-torch (scripts/install-deps.sh); no other data, no
pretrained weights.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

ENVELOPE_RATE = 44100.0 / 128.0  # onset envelope frames per second (onset_envelope.h defaults)
BLOCK = 4                         # envelope frames per feature frame (beat_activation.h)
FRAME_RATE = ENVELOPE_RATE / BLOCK


def beat_frames(times: np.ndarray) -> np.ndarray:
    """Feature frame of each beat time: frame t covers envelope frames 4t..4t+3 (centre 4t+1.5)."""
    return np.round((times * ENVELOPE_RATE - 1.5) / BLOCK).astype(np.int64)


@dataclass
class Clip:
    name: str
    group: str            # the list's group (mdev, gdev, ...)
    features: np.ndarray  # (frames, channels) float32
    beats: np.ndarray     # beat times in seconds


def load_clips(list_path: Path, features_dir: Path) -> list[Clip]:
    """Clips of a bench list (`GROUP FILE.wav` lines), features from features_dir."""
    clips = []
    for line in list_path.read_text().splitlines():
        if not line.strip():
            continue
        group, wav = line.split()
        stem = Path(wav).stem
        feats = np.load(features_dir / f"{stem}.feat.npy").astype(np.float32)
        beats = np.loadtxt(Path(wav).with_suffix(".beats.txt"), ndmin=1).astype(np.float64)
        clips.append(Clip(stem, group, feats, beats))
    return clips


def targets(frames: int, beats: np.ndarray) -> np.ndarray:
    y = np.zeros(frames, np.float32)
    for f in beat_frames(beats):
        for df, v in ((-1, 0.5), (1, 0.5), (0, 1.0)):
            if 0 <= f + df < frames:
                y[f + df] = max(y[f + df], v)
    return y


class TCN(nn.Module):
    def __init__(self, channels_in: int = 80, ch: int = 20, kernel: int = 5, dilations=(1, 2, 4, 8, 16, 32),
                 dropout: float = 0.1):
        super().__init__()
        self.register_buffer("mean", torch.zeros(channels_in))
        self.register_buffer("std", torch.ones(channels_in))
        self.inp = nn.Conv1d(channels_in, ch, 3, padding=1)
        self.blocks = nn.ModuleList(
            nn.Conv1d(ch, ch, kernel, dilation=d, padding=d * (kernel - 1) // 2) for d in dilations)
        self.drop = nn.Dropout(dropout)
        self.act = nn.ELU()
        self.out = nn.Conv1d(ch, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, frames, channels) raw features -> (batch, frames) logits."""
        x = ((x - self.mean) / self.std).transpose(1, 2)
        h = self.act(self.inp(x))
        for conv in self.blocks:
            h = h + self.drop(self.act(conv(h)))
        return self.out(h)[:, 0, :]


def stretch(feats: np.ndarray, beats: np.ndarray, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """The clip played `factor` times faster: features resampled by linear interpolation."""
    n = feats.shape[0]
    m = max(2, int(n / factor))
    pos = np.arange(m) * factor
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, n - 1)
    i1 = np.clip(i0 + 1, 0, n - 1)
    w = (pos - i0)[:, None].astype(np.float32)
    return feats[i0] * (1 - w) + feats[i1] * w, beats / factor


def batch(clips: list[Clip], size: int, length: int, rng: random.Random, augment: bool):
    xs, ys = [], []
    for _ in range(size):
        c = rng.choice(clips)
        f, b = c.features, c.beats
        if augment:
            f, b = stretch(f, b, rng.uniform(0.85, 1.15))
        y = targets(f.shape[0], b)
        if f.shape[0] > length:
            s = rng.randrange(f.shape[0] - length)
            f, y = f[s:s + length], y[s:s + length]
        else:
            pad = length - f.shape[0]
            f = np.pad(f, ((0, pad), (0, 0)), mode="edge")
            y = np.pad(y, (0, pad))
        if augment:
            f = f + np.random.default_rng(rng.randrange(1 << 30)).normal(0, 0.1, f.shape).astype(np.float32)
            # A level offset of the whole clip (the floor sits 30 dB under the local power, so only
            # the level part moves).
            f = f.copy()
            f[:, :f.shape[1] // 2] += rng.uniform(-0.5, 0.5)
        xs.append(f)
        ys.append(y)
    return torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(ys))


def add_training_arguments(ap) -> None:
    """The options train.py and crossval.py share (the data and the training settings)."""
    ap.add_argument("--list", type=Path, required=True, help="the dev clips: a bench list (GROUP FILE.wav lines)")
    ap.add_argument("--features", type=Path, required=True, help="their features (cnnv3-bench-beats-sets --features)")
    ap.add_argument("--extra", type=Path, action="append", default=[], help="make_data.py's index.tsv: more training excerpts")
    ap.add_argument("--extra-features", type=Path, help="features of the --extra excerpts")
    ap.add_argument("--steps", type=int, default=1200)
    ap.add_argument("--ch", type=int, default=20)
    ap.add_argument("--kernel", type=int, default=5)
    ap.add_argument("--dilations", default="1,2,4,8,16,32")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--length", type=int, default=512, help="training excerpt in frames")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--threads", type=int, default=2)


def train_as_told(clips: list[Clip], args, log=None) -> TCN:
    """train() with add_training_arguments' settings."""
    return train(clips, steps=args.steps, ch=args.ch, kernel=args.kernel,
                 dilations=tuple(int(d) for d in args.dilations.split(",")), batch_size=args.batch,
                 length=args.length, lr=args.lr, log=log)


def train(clips: list[Clip], steps: int = 1200, seed: int = 0, ch: int = 20, kernel: int = 5, dilations=(1, 2, 4, 8, 16, 32),
          lr: float = 3e-3, batch_size: int = 12, length: int = 1024, log=None) -> TCN:
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = TCN(clips[0].features.shape[1], ch, kernel, dilations)
    allf = np.concatenate([c.features for c in clips])
    model.mean.copy_(torch.from_numpy(allf.mean(0)))
    model.std.copy_(torch.from_numpy(allf.std(0) + 1e-3))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 * (1 + math.cos(math.pi * s / steps)))
    loss_fn = nn.BCEWithLogitsLoss()
    model.train()
    for step in range(steps):
        x, y = batch(clips, batch_size, length, rng, augment=True)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if log and (step % 200 == 0 or step == steps - 1):
            log(f"step {step} loss {loss.item():.4f}")
    model.eval()
    return model


def activation(model: TCN, feats: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(model(torch.from_numpy(feats)[None]))[0].numpy().astype(np.float32)


def parameters(model: TCN) -> int:
    return sum(p.numel() for p in model.parameters())


def load_extra(index: Path, features_dir: Path, min_lock: float = 3.0) -> list[Clip]:
    """The excerpts of make_data.py whose reference follows the notes (notes lock >= min_lock);
    Clip.group is the song (SONG of SONG@START)."""
    clips = []
    for line in index.read_text().splitlines():
        name, song, lock, _n = line.split("\t")
        if float(lock) < min_lock:
            continue
        feats = np.load(features_dir / f"{Path(name).name}.feat.npy").astype(np.float32)
        beats = np.loadtxt(index.parent / f"{name}.beats.txt", ndmin=1).astype(np.float64)
        clips.append(Clip(Path(name).name, song, feats, beats))
    return clips


def _floats(values) -> str:
    flat = np.asarray(values, np.float32).ravel()
    lines = []
    for i in range(0, flat.size, 8):
        lines.append("    " + " ".join(f"{np.format_float_scientific(v, unique=True)}f," for v in flat[i:i + 8]))
    return "{\n" + "\n".join(lines) + "\n}"


def export_header(model: TCN, path: Path, test_features: np.ndarray, command: str) -> None:
    """filter/audio/beat_network_weights.h: the weights in beat_activation.h's BeatNetwork layout,
    and a test vector (features and PyTorch's activation) that tests/audio checks the C++ against."""
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    dil = [conv.dilation[0] for conv in model.blocks]
    block_w = np.stack([sd[f"blocks.{i}.weight"] for i in range(len(dil))])
    block_b = np.stack([sd[f"blocks.{i}.bias"] for i in range(len(dil))])
    test = activation(model, test_features)
    text = f"""// Generated by `{command}` (training/beats/train.py); do not edit.
// The learned beat activation's weights (beat_activation.h, BeatNetwork) and a test vector: the
// activation PyTorch gave for test_features, which the C++ inference must reproduce.
#pragma once

#include <cstddef>

namespace cnnv3::beat_network_weights {{

inline constexpr int inputs = {model.inp.in_channels};
inline constexpr int channels = {model.inp.out_channels};
inline constexpr int kernel = {model.blocks[0].kernel_size[0]};
inline constexpr int dilations[] = {{{", ".join(str(d) for d in dil)}}};
inline constexpr float mean[] = {_floats(sd["mean"])};
inline constexpr float std_dev[] = {_floats(sd["std"])};
inline constexpr float in_weight[] = {_floats(sd["inp.weight"])};
inline constexpr float in_bias[] = {_floats(sd["inp.bias"])};
inline constexpr float block_weight[] = {_floats(block_w)};
inline constexpr float block_bias[] = {_floats(block_b)};
inline constexpr float out_weight[] = {_floats(sd["out.weight"])};
inline constexpr float out_bias = {np.format_float_scientific(sd["out.bias"][0], unique=True)}f;

inline constexpr std::size_t test_frames = {test_features.shape[0]};
inline constexpr float test_features[] = {_floats(test_features)};
inline constexpr float test_activation[] = {_floats(test)};

}}  // namespace cnnv3::beat_network_weights
"""
    path.write_text(text)
