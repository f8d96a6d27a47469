"""Trains the learned beat activation on all the dev data and writes filter/audio/beat_network_weights.h.

    /usr/bin/python3 training/beats/train.py --list dev.list --features FEAT [--extra INDEX --extra-features FEAT2]... \\
        --header filter/audio/beat_network_weights.h

The settings (steps, size) are the ones the cross-validation chose (crossval.py, bench/RESULTS.md).
The header's test vector is the first 96 feature frames of the list's first clip with PyTorch's
activation for them; the test BeatNetwork.ReproducesPyTorchsActivation (meson test `audio`) checks the
C++ inference against it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tcn  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    tcn.add_training_arguments(ap)
    ap.add_argument("--header", type=Path, required=True)
    ap.add_argument("--model", type=Path, help="also save the PyTorch state_dict here")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    clips = tcn.load_clips(args.list, args.features)
    for index in args.extra:
        clips += tcn.load_extra(index, args.extra_features)
    start = time.time()
    model = tcn.train_as_told(clips, args, log=lambda s: print(s, flush=True))
    print(f"{len(clips)} clips, {tcn.parameters(model)} parameters, {time.time() - start:.0f} s", flush=True)
    if args.model:
        torch.save(model.state_dict(), args.model)
    tcn.export_header(model, args.header, clips[0].features[:96], "training/beats/train.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
