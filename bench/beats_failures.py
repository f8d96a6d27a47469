"""What goes wrong, per clip, for a beat tracker's output: the metrical level, the phase, the timing,
or only a part of the clip. `beats_failures.py LIST BEATS_DIR`: LIST has `GROUP FILE.wav` lines (as
cnnv3-bench-beats-sets reads), BEATS_DIR the tracked beats it wrote with `--beats BEATS_DIR`
(CLIP.tracked.txt); the reference is FILE.beats.txt beside each clip.

Per clip: F at ±70 ms (as tests/audio/beat_metrics.cpp), the ratio of the tracked tempo to the
notated one (median spacings), the median and spread of the tracked beats' offset from the nearest
reference beat in reference periods (phase: 0 on the beat, ±0.5 on the off-beat), F over the first
and the last third of the clip, the timing (the median signed offset in ms of the tracked beats that lie
within 0.2 period of a reference beat, when 60 % of them or more do: the tracker's latency on a
clip tracked at the notated tempo and phase), and a class:
  level x2 / level x0.5 — tempo at twice / half the notated one;
  ratio R — another ratio (triplet or dotted figures: 1.5, 1.33, 0.75, 0.67);
  off-beat — the notated tempo, beats about half a period off;
  late / early — the notated tempo and phase, beats beyond ±70 ms on the same side;
  part — the notated tempo and phase, F low in one third of the clip only (a tempo change, the
  start); ok — F ≥ 0.95.
Then the F to gain per class (1 − F summed over its clips), the group means and the median of the
clips' offsets per group.
"""

from __future__ import annotations

import bisect
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def f_measure(est: list[float], ref: list[float], tol: float = 0.07) -> float:
    if not est or not ref:
        return 0.0
    used = [False] * len(est)
    hits = 0
    for r in ref:
        best, arg = tol, -1
        for i in range(bisect.bisect_left(est, r - tol), len(est)):
            if est[i] > r + tol:
                break
            if not used[i] and abs(est[i] - r) <= best:
                best, arg = abs(est[i] - r), i
        if arg >= 0:
            used[arg] = True
            hits += 1
    if hits == 0:
        return 0.0
    p, rc = hits / len(est), hits / len(ref)
    return 2 * p * rc / (p + rc)


def read_times(path: Path) -> list[float]:
    return [float(x.split()[0]) for x in path.read_text().splitlines() if x.strip() and not x.startswith("#")]


def phases(est: list[float], ref: list[float]) -> list[float]:
    """Offset of each tracked beat from the reference grid, in reference periods, in [-0.5, 0.5)."""
    out = []
    for t in est:
        i = bisect.bisect_right(ref, t) - 1
        if i < 0 or i + 1 >= len(ref):
            continue
        x = (t - ref[i]) / (ref[i + 1] - ref[i])
        out.append(x - 1.0 if x >= 0.5 else x)
    return out


def offset_ms(est: list[float], ref: list[float]) -> float | None:
    """Median signed offset (ms) of the tracked beats within 0.2 period of a reference beat; None when
    fewer than 60 % of them are."""
    if len(est) < 3 or len(ref) < 3:
        return None
    period = statistics.median(b - a for a, b in zip(ref, ref[1:]))
    offs = []
    for t in est:
        i = bisect.bisect_left(ref, t)
        r = min((ref[j] for j in (i - 1, i) if 0 <= j < len(ref)), key=lambda r: abs(r - t))
        if abs(t - r) < 0.2 * period:
            offs.append(1000.0 * (t - r))
    return statistics.median(offs) if len(offs) >= 0.6 * len(est) else None


def classify(est: list[float], ref: list[float]) -> tuple[str, dict]:
    f = f_measure(est, ref)
    info = {"F": f}
    if len(est) < 3 or len(ref) < 3:
        return ("no beats" if len(est) < 3 else "ok"), info
    ratio = statistics.median(b - a for a, b in zip(ref, ref[1:])) / statistics.median(b - a for a, b in zip(est, est[1:]))
    ph = phases(est, ref)
    med = statistics.median(ph) if ph else 0.0
    info.update(ratio=ratio, phase=med)
    span = ref[-1] - ref[0]
    thirds = []
    for k in range(3):
        lo, hi = ref[0] + span * k / 3, ref[0] + span * (k + 1) / 3
        thirds.append(f_measure([t for t in est if lo <= t < hi], [t for t in ref if lo <= t < hi]))
    info["thirds"] = thirds
    if f >= 0.95:
        return "ok", info
    for name, r in (("level x2", 2.0), ("level x0.5", 0.5)):
        if abs(ratio / r - 1) < 0.06:
            return name, info
    if abs(ratio - 1) > 0.06:
        return f"ratio {ratio:.2f}", info
    if abs(med) > 0.35:
        return "off-beat", info
    period = statistics.median(b - a for a, b in zip(ref, ref[1:]))
    if abs(med) * period > 0.035:
        return ("late" if med > 0 else "early"), info
    if max(thirds) - min(thirds) > 0.3:
        return "part", info
    return "other", info


def main() -> None:
    if len(sys.argv) != 3:
        raise SystemExit("usage: beats_failures.py LIST BEATS_DIR")
    beats_dir = Path(sys.argv[2])
    gain: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    means: dict[str, list[float]] = defaultdict(list)
    offsets: dict[str, list[float]] = defaultdict(list)
    print("| group | clip | F | tempo ratio | median phase | F by thirds | offset ms | class |\n|---|---|---|---|---|---|---|---|")
    for n, line in enumerate(Path(sys.argv[1]).read_text().splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].endswith(".wav"):
            raise SystemExit(f"{sys.argv[1]}:{n}: expected `GROUP FILE.wav`")
        group, wav = fields
        clip = Path(wav).stem
        tracked = beats_dir / f"{clip}.tracked.txt"
        if not tracked.exists():
            raise SystemExit(f"{tracked}: missing (expected cnnv3-bench-beats-sets --beats {beats_dir} {sys.argv[1]})")
        try:
            ref = read_times(Path(wav).with_suffix(".beats.txt"))
            est = read_times(tracked)
        except (OSError, ValueError) as e:
            raise SystemExit(f"{wav}: cannot read its beats ({e}; expected one time in seconds a line)")
        cls, info = classify(est, ref)
        means[group].append(info["F"])
        gain[group][cls.split()[0] if cls.startswith("ratio") else cls] += 1.0 - info["F"]
        thirds = " / ".join(f"{x:.2f}" for x in info.get("thirds", []))
        off = offset_ms(est, ref)
        if off is not None:
            offsets[group].append(off)
        off_cell = "—" if off is None else f"{off:+.1f}"
        print(f"| {group} | {clip} | {info['F']:.3f} | {info.get('ratio', 0):.2f} | {info.get('phase', 0):+.2f} | {thirds} | {off_cell} | {cls} |")
    print("\n| group | clips | mean F | F to gain by class | clips on the grid: median offset ms (range) |\n|---|---|---|---|---|")
    for group, fs in means.items():
        parts = ", ".join(f"{c} {g:.2f}" for c, g in sorted(gain[group].items(), key=lambda x: -x[1]) if g > 0.0005)
        o = offsets[group]
        timing = f"{len(o)}: {statistics.median(o):+.1f} ({min(o):+.1f} to {max(o):+.1f})" if o else "—"
        print(f"| {group} | {len(fs)} | {statistics.mean(fs):.3f} | {parts} | {timing} |")


if __name__ == "__main__":
    main()
