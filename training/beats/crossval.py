"""K-fold cross-validation of the learned beat activation over the dev clips, grouped by song.

    /usr/bin/python3 training/beats/crossval.py --list dev.list --features FEAT --out ACT [--folds 5] [--steps N] ...

Every clip of the list is one song (the MIDI dev renders are one excerpt per song; each groove
clip is its own seed), so folds are sets of clips: per list group, the clips sorted by name,
shuffled with a fixed seed and dealt round-robin. For each fold a model trained on the other folds
writes ACT/CLIP.act.f32 (float32 beat probability per feature frame) for the fold's clips; then

    build/bench/cnnv3-bench-beats-sets --activations ACT [--bar NAME=NUMBER]... dev.list

scores every dev clip with the bar-pointer decoder on an activation from a model that never saw it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tcn  # noqa: E402


def folds_of(clips: list[tcn.Clip], k: int, seed: int = 0) -> list[int]:
    fold = [0] * len(clips)
    for group in sorted({c.group for c in clips}):
        idx = sorted((i for i, c in enumerate(clips) if c.group == group), key=lambda i: clips[i].name)
        random.Random(seed).shuffle(idx)
        for n, i in enumerate(idx):
            fold[i] = n % k
    return fold


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tcn.add_training_arguments(ap)
    ap.add_argument("--out", type=Path, required=True, help="where ACT/CLIP.act.f32 go")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clips = tcn.load_clips(args.list, args.features)
    fold = folds_of(clips, args.folds)
    extra = [c for index in args.extra for c in tcn.load_extra(index, args.extra_features)]
    # An extra excerpt of a dev song goes with that song's fold; other songs' are always trained on.
    fold_of_song = {c.name: g for c, g in zip(clips, fold)}
    extra_fold = [fold_of_song.get(c.group, -1) for c in extra]
    print(f"{len(clips)} dev clips, {len(extra)} extra excerpts ({sum(g >= 0 for g in extra_fold)} of dev songs)", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for f in range(args.folds):
        start = time.time()
        train = [c for c, g in zip(clips, fold) if g != f] + [c for c, g in zip(extra, extra_fold) if g != f]
        model = tcn.train_as_told(train, args, log=lambda s: print(f"fold {f} {s}", flush=True))
        for c, g in zip(clips, fold):
            if g == f:
                tcn.activation(model, c.features).tofile(args.out / f"{c.name}.act.f32")
        print(f"fold {f}: {len(train)} training clips, {tcn.parameters(model)} parameters, {time.time() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
