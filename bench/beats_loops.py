"""Short-loop stability of the beat trackers on the generated grooves (issue 11, point 3).

From each song of a split of bench/beats_grooves.py, 2 s loops are cut at three places (5, 11.3
and 17.7 s), with the start and the end each moved by −50, 0 or +50 ms: 27 loops per song. Each
loop is written as a WAV and tracked with `cnnv3 analyze LOOP.wav --beats-out B --tracker T`, the
way a user who cut the loop would. A loop counts as **kept** when the tracker keeps the song's
tempo and phase: at least 3 beats, their median spacing within 3 % of the true period and every
beat within 35 ms of a true beat (a beat lost where the loop was cut does not count against it).
"F = 1" counts the loops whose beats match the true beats inside the loop one to one at ±70 ms.
"same" counts the places where all 9 cuts agree with each other (the same beats on the song's
timeline within 35 ms, where they overlap), kept or not: two tools that cut a loop a few ms apart
then agree.

    bench/beats_loops.sh [BUILD_DIR] [--split dev|heldout] [--only STYLE]

The clips come from (and are rendered into, if missing) the cache of bench/beats_grooves.sh.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import beats_grooves as bg  # noqa: E402
import beats_real_music as brm  # noqa: E402

PLACES = (5.0, 11.3, 17.7)
EDITS = (-0.05, 0.0, 0.05)
LENGTH = 2.0


def kept(est: list[float], ref: np.ndarray, period: float) -> bool:
    if len(est) < 3:
        return False
    if abs(float(np.median(np.diff(est))) / period - 1.0) >= 0.03:
        return False
    return all(float(np.min(np.abs(ref - e))) < 0.035 for e in est)


def agree(runs: list[list[float]]) -> bool:
    """All runs give the same beats where they overlap (within 35 ms), each with at least 2 beats."""
    if any(len(r) < 2 for r in runs):
        return False
    lo = max(r[0] for r in runs) - 0.035
    hi = min(r[-1] for r in runs) + 0.035
    first = np.array([t for t in runs[0] if lo <= t <= hi])
    for r in runs[1:]:
        other = np.array([t for t in r if lo <= t <= hi])
        if len(other) != len(first) or (len(first) and np.max(np.abs(other - first)) >= 0.035):
            return False
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnv3", required=True, help="the cnnv3 executable")
    ap.add_argument("--cache", required=True, type=Path, help="the cache of bench/beats_grooves.sh")
    ap.add_argument("--trackers", default="cnnv3,aubio", help="comma-separated --tracker values")
    ap.add_argument("--split", choices=("dev", "heldout"), default="dev")
    ap.add_argument("--only", default="", help="substring: run only songs whose name contains it")
    args = ap.parse_args()
    work = args.cache / "loops"
    work.mkdir(parents=True, exist_ok=True)
    trackers = args.trackers.split(",")
    rows = []
    for style, seed in bg.songs(args.split):
        name = f"{style}_{seed}"
        if args.only and args.only not in name:
            continue
        clip, ref_list, bpm, _sf = bg.render(style, seed, args.cache)
        ref = np.array(ref_list)
        period = float(np.median(np.diff(ref)))
        with wave.open(str(clip), "rb") as w:
            rate, channels = w.getframerate(), w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, channels)
        row = {"name": name, "tempo": f"{bpm:.0f}"}
        for tr in trackers:
            n_kept = n_exact = n_same = 0
            for place in PLACES:
                runs = []
                for da in EDITS:
                    for db in EDITS:
                        a, b = place + da, place + LENGTH + db
                        loop = work / "loop.wav"
                        with wave.open(str(loop), "wb") as w:
                            w.setnchannels(channels)
                            w.setsampwidth(2)
                            w.setframerate(rate)
                            w.writeframes(pcm[round(a * rate):round(b * rate)].tobytes())
                        est = [t + a for t in brm.run_tracker(args.cnnv3, loop, tr, work)[0]]
                        inside = [t for t in ref_list if a <= t < b]
                        n_kept += kept(est, ref, period)
                        n_exact += brm.f_measure(est, inside) == 1.0
                        runs.append(est)
                n_same += agree(runs)
            row[tr] = (n_kept, n_exact, n_same)
        rows.append(row)
        brm.log(name + "  " + "  ".join(f"{tr} kept {row[tr][0]}/27" for tr in trackers))
    if not rows:
        return 0
    loops = len(PLACES) * len(EDITS) ** 2
    print("| song | BPM | " + " | ".join(f"{tr} kept | {tr} F = 1 | {tr} same" for tr in trackers) + " |")
    print("|" + "---|" * (2 + 3 * len(trackers)))
    for r in rows:
        cells = [r["name"], r["tempo"]]
        for tr in trackers:
            k, e, s = r[tr]
            cells += [f"{k}/{loops}", f"{e}/{loops}", f"{s}/{len(PLACES)}"]
        print("| " + " | ".join(cells) + " |")
    cells = ["**all**", ""]
    for tr in trackers:
        cells += [f"**{sum(r[tr][0] for r in rows)}/{loops * len(rows)}**",
                  f"**{sum(r[tr][1] for r in rows)}/{loops * len(rows)}**",
                  f"**{sum(r[tr][2] for r in rows)}/{len(PLACES) * len(rows)}**"]
    print("| " + " | ".join(cells) + " |")
    for tr in trackers:
        print(f"\n{tr}: {len(rows)} songs ({args.split}), kept {statistics.mean(r[tr][0] for r in rows) / loops:.3f} "
              f"of the loops")
    return 0


if __name__ == "__main__":
    sys.exit(main())
