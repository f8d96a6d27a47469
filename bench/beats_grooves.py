"""Beat tracking on generated rock/metal grooves with exact ground truth (issue 11, point 4).

Each song is a MIDI file this script writes: a drum pattern of one STYLE below plus a bass line
(and guitar or piano chords), with humanised timing (±4 ms) and velocities, a fill at the end of
every 8-bar section and a crash on its first beat. It is rendered with FluidSynth through one of
Debian's General MIDI soundfonts (SOUNDFONTS; the one used is picked from the seed), then mixed
as a record would be: a feed-forward RMS compressor (4:1 above −20 dB, 5 ms attack, 100 ms release),
a little pink noise (−50 to −40 dB under the peak) and peak normalisation to −1 dBFS. The beats are
the notated ones, known exactly: quarter notes in 4/4 and 3/4, dotted quarters in 6/8.

The styles are the ones that break beat trackers on real rock and metal: snare, crash and open
hi-hats louder than the kick ("backbeat", "offbeat"), constant double-bass drumming ("metal"),
half-time feels, swing and shuffle, slow sparse ballads (66–95 BPM), 3/4 and 6/8.

Two splits with disjoint seeds: `dev` (3 songs per style) for tuning and `heldout` (2 per style),
which must never be tuned on. Renderings are cached in --cache (render once, reuse).

Scoring is bench/beats_real_music.py's: `cnnv3 analyze CLIP --beats-out B --tracker T`, F at
±70 ms over all reference beats, "F any level" against the reference at 2× and ½× rates as well.

    bench/beats_grooves.sh [BUILD_DIR] [--split dev|heldout] [--only STYLE]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import struct
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import beats_real_music as brm  # noqa: E402

RATE = 44100
LENGTH_S = 30.0
SOUNDFONTS = ["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2",
              "/usr/share/sounds/sf3/MuseScore_General.sf3"]
PPQ = 480

# GM drum keys.
KICK, STICK, SNARE, CHAT, PHAT, OHAT, CRASH, RIDE, CHINA = 36, 37, 38, 42, 44, 46, 49, 51, 52
TOMS = [50, 48, 47, 45, 43, 41]

# style: (beats per bar, steps per beat, beat unit in quarters, BPM range)
STYLES = {
    "backbeat": (4, 4, 1.0, (96, 150)),
    "offbeat": (4, 4, 1.0, (100, 140)),
    "metal": (4, 4, 1.0, (140, 200)),
    "halftime": (4, 4, 1.0, (120, 160)),
    "swing": (4, 3, 1.0, (100, 160)),
    "ballad": (4, 4, 1.0, (66, 95)),
    "waltz": (3, 2, 1.0, (96, 180)),
    "compound": (2, 3, 1.5, (56, 84)),
}


def drum_bar(style: str, bar: int, rng: random.Random, sparse: bool) -> list[tuple[int, float, int]]:
    """(key, position in beats within the bar, velocity) of one bar's drums."""
    v = lambda lo, hi: rng.randint(lo, hi)  # noqa: E731
    hits: list[tuple[int, float, int]] = []
    if style in ("backbeat", "offbeat", "metal", "halftime", "ballad"):
        for b in range(4):
            if style == "backbeat":
                hits.append((KICK, b, v(60, 80)) if b in (0, 2) else (SNARE, b, v(118, 127)))
                if b == 2 and rng.random() < 0.5:
                    hits.append((KICK, b + 0.5, v(55, 70)))
                hits.append((CHAT, b, v(50, 70)))
                hits.append((OHAT, b + 0.5, v(105, 125)))
            elif style == "offbeat":
                hits.append((KICK, b, v(65, 85)))
                if b in (1, 3):
                    hits.append((SNARE, b, v(100, 120)))
                hits.append((OHAT, b + 0.5, v(115, 127)))
            elif style == "metal":
                for s in range(4):
                    hits.append((KICK, b + s / 4, v(80, 100)))
                if b in (1, 3):
                    hits.append((SNARE, b, v(118, 127)))
                hits.append((CHINA if b % 2 else CRASH, b, v(100, 120)))
            elif style == "halftime":
                if b == 0:
                    hits.append((KICK, b, v(75, 90)))
                if b == 1 and rng.random() < 0.6:
                    hits.append((KICK, b + 0.5, v(65, 80)))
                if b == 2:
                    hits.append((SNARE, b, v(118, 127)))
                hits.append((CHAT, b, v(70, 90)))
                hits.append((OHAT if rng.random() < 0.5 else CHAT, b + 0.5, v(90, 115)))
            elif style == "ballad":
                if sparse and bar % 2:
                    continue
                if b == 0 or (b == 2 and rng.random() < 0.5):
                    hits.append((KICK, b, v(60, 80)))
                if b in (1, 3):
                    hits.append((STICK if sparse else SNARE, b, v(80, 110)))
                if not sparse:
                    hits.append((CHAT, b, v(35, 55)))
                    hits.append((CHAT, b + 0.5, v(30, 50)))
    elif style == "swing":
        shuffle = bar % 2 == 0 or rng.random() < 0.3
        for b in range(4):
            hits.append((RIDE, b, v(80, 100)))
            if b in (1, 3):
                hits.append((RIDE, b + 2 / 3, v(70, 95)))
                hits.append((PHAT if not shuffle else SNARE, b, v(70, 90) if not shuffle else v(105, 125)))
            hits.append((KICK, b, v(35, 55) if not shuffle else v(60, 80)))
            if rng.random() < 0.25:
                hits.append((SNARE, b + 2 / 3, v(40, 70)))
    elif style == "waltz":
        hits.append((KICK, 0, v(70, 90)))
        hits.append((SNARE if rng.random() < 0.7 else STICK, 1, v(95, 120)))
        hits.append((SNARE if rng.random() < 0.5 else CHAT, 2, v(90, 115)))
        for b in range(3):
            hits.append((CHAT, b, v(50, 70)))
            hits.append((OHAT if rng.random() < 0.4 else CHAT, b + 0.5, v(70, 110)))
    elif style == "compound":
        hits.append((KICK, 0, v(75, 90)))
        hits.append((SNARE, 1, v(110, 127)))
        if rng.random() < 0.4:
            hits.append((KICK, 2 / 3, v(60, 75)))
        for e in range(6):
            hits.append((CHAT, e / 3, v(60, 95)))
    return hits


def fill(style: str, beats_per_bar: int, steps: int, rng: random.Random) -> list[tuple[int, float, int]]:
    """A tom/snare fill over the last two beats of a bar."""
    out = []
    start = beats_per_bar - 2
    n = 2 * steps
    for i in range(n):
        key = TOMS[min(len(TOMS) - 1, i * len(TOMS) // n)] if rng.random() < 0.7 else SNARE
        out.append((key, start + i / steps, rng.randint(85, 120)))
    if style == "metal":
        out += [(KICK, start + i / steps, rng.randint(80, 100)) for i in range(n)]
    return out


class MidiTrack:
    def __init__(self) -> None:
        self.events: list[tuple[int, int, bytes]] = []  # (tick, order, bytes)

    def add(self, tick: float, data: bytes, order: int = 1) -> None:
        self.events.append((max(0, int(round(tick))), order, data))

    def note(self, ch: int, key: int, vel: int, on: float, off: float) -> None:
        self.add(on, bytes([0x90 | ch, key, max(1, min(127, vel))]), 2)
        self.add(max(on + 1, off), bytes([0x80 | ch, key, 0]), 0)

    def encode(self) -> bytes:
        out = bytearray()
        last = 0
        for tick, _, data in sorted(self.events, key=lambda e: (e[0], e[1])):
            delta = tick - last
            last = tick
            var = [delta & 0x7F]
            delta >>= 7
            while delta:
                var.insert(0, 0x80 | (delta & 0x7F))
                delta >>= 7
            out += bytes(var) + data
        out += b"\x00\xff\x2f\x00"
        return b"MThd" + struct.pack(">IHHH", 6, 0, 1, PPQ) + b"MTrk" + struct.pack(">I", len(out)) + bytes(out)


def compose(style: str, seed: int) -> tuple[bytes, list[float], float, int]:
    """MIDI bytes, reference beat times (s), BPM (beat units), soundfont index."""
    rng = random.Random(seed * 7919 + sum(map(ord, style)))
    beats_per_bar, steps, unit, (lo, hi) = STYLES[style]
    bpm = rng.uniform(lo, hi)
    sparse = style == "ballad" and rng.random() < 0.5
    sec_per_beat = 60.0 / bpm
    tick_per_beat = PPQ * unit
    tr = MidiTrack()
    tr.add(0, b"\xff\x51\x03" + int(round(60e6 / (bpm * unit))).to_bytes(3, "big"), 0)
    num, den = (6, 8) if style == "compound" else (beats_per_bar, 4)
    tr.add(0, bytes([0xFF, 0x58, 0x04, num, {4: 2, 8: 3}[den], 24, 8]), 0)
    bass_prog = rng.choice([33, 34, 35]) if style != "swing" else 32
    chord_prog = {"metal": rng.choice([30, 29]), "ballad": rng.choice([0, 4, 89]), "swing": 0}.get(
        style, rng.choice([29, 30, 27, 0]))
    tr.add(0, bytes([0xC0, bass_prog]))
    tr.add(0, bytes([0xC1, chord_prog]))
    # Levels as in a mix: drums up front, bass under, chords under that.
    for ch, vol in ((0, rng.randint(85, 105)), (1, rng.randint(60, 90)), (9, 120)):
        tr.add(0, bytes([0xB0 | ch, 7, vol]))
    lead = tick_per_beat  # one beat of silence: the file's start is not a beat
    key = rng.randint(28, 40)
    prog = rng.choice([[0, 7, 9, 5], [0, 5, 7, 5], [0, 3, 10, 5], [0, 0, 5, 7]])
    bar_s = beats_per_bar * sec_per_beat
    bars = int(LENGTH_S / bar_s) + 1
    jitter = lambda: rng.gauss(0.0, 0.004) / sec_per_beat * tick_per_beat  # noqa: E731
    beat_times = []
    for bar in range(bars):
        root = key + prog[(bar // 2) % 4]
        t0 = lead + bar * beats_per_bar * tick_per_beat
        beat_times += [(t0 - lead) / tick_per_beat * sec_per_beat + sec_per_beat + b * sec_per_beat
                       for b in range(beats_per_bar)]
        hits = drum_bar(style, bar, rng, sparse)
        section_end = bar % 8 == 7
        if section_end:
            cut = beats_per_bar - 2
            hits = [h for h in hits if h[1] < cut] + fill(style, beats_per_bar, steps, rng)
        if bar % 8 == 0 and style not in ("ballad",):
            hits.append((CRASH, 0, rng.randint(110, 127)))
        for k, pos, vel in hits:
            on = t0 + pos * tick_per_beat + jitter()
            tr.note(9, k, vel, on, on + tick_per_beat / 4)
        # Bass.
        if style == "metal":
            pattern = [(b + s / 4, 0.25) for b in range(4) for s in range(4)]
        elif style in ("backbeat", "offbeat"):
            pattern = [(b + s / 2, 0.5) for b in range(4) for s in range(2)]
        elif style == "swing":
            pattern = [(b, 1.0) for b in range(4)]
        elif style == "ballad":
            pattern = [(0, 2.0), (2, 2.0)]
        elif style == "halftime":
            pattern = [(0, 1.5), (1.5, 0.5), (2, 2.0)]
        elif style == "waltz":
            pattern = [(0, 1.0)]
        else:  # compound
            pattern = [(0, 1.0), (1, 1.0)]
        walk = [0, 4, 7, 9]
        for i, (pos, dur) in enumerate(pattern):
            note = root + (walk[i % 4] if style == "swing" else 0)
            on = t0 + pos * tick_per_beat + jitter()
            tr.note(0, note, rng.randint(80, 105), on, on + dur * tick_per_beat * 0.9)
        # Chords: power chords on 8ths (rock), off-beat stabs (offbeat), sustained (ballad, swing).
        chord = [root + 24, root + 31, root + 36] if chord_prog in (29, 30, 27) else [root + 24, root + 28, root + 31]
        if style in ("backbeat", "metal", "halftime"):
            cpos = [(b + s / 2, 0.45) for b in range(4) for s in range(2)]
        elif style == "offbeat":
            cpos = [(b + 0.5, 0.3) for b in range(4)]
        elif style in ("ballad", "swing"):
            cpos = [(0, beats_per_bar * 0.95)] if style == "ballad" else [(1, 0.5), (2.67, 0.3)]
        elif style == "waltz":
            cpos = [(1, 0.8), (2, 0.8)]
        else:
            cpos = [(e / 3, 0.3) for e in range(6)]
        for pos, dur in cpos:
            if pos >= beats_per_bar:
                continue
            on = t0 + pos * tick_per_beat + jitter()
            for n in chord:
                tr.note(1, n, rng.randint(60, 95), on, on + dur * tick_per_beat)
    ref = [t for t in beat_times if t < LENGTH_S - 0.1]
    return tr.encode(), ref, bpm, rng.randrange(len(SOUNDFONTS))


def master(raw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Compression, noise, peak normalisation; raw is float (frames, channels)."""
    x = raw / max(1e-9, np.abs(raw).max())
    mono = np.mean(x, axis=1)
    block = int(0.005 * RATE)
    nb = len(mono) // block + 1
    pad = np.zeros(nb * block)
    pad[:len(mono)] = mono ** 2
    rms_db = 10 * np.log10(pad.reshape(nb, block).mean(axis=1) + 1e-12)
    gain_db = np.minimum(0.0, (rms_db + 20.0) * (1 / 4 - 1))  # 4:1 above -20 dB
    smooth = np.empty(nb)
    g = 0.0
    release = np.exp(-0.005 / 0.1)
    for i in range(nb):  # attack within one 5 ms block, 100 ms release
        g = gain_db[i] if gain_db[i] < g else release * g + (1 - release) * gain_db[i]
        smooth[i] = g
    gains = np.repeat(10 ** (smooth / 20), block)[:len(mono)]
    y = x * gains[:, None]
    white = rng.standard_normal((len(y) + 1, y.shape[1]))
    pink = np.cumsum(white, axis=0)
    pink -= np.convolve(pink[:, 0], np.ones(512) / 512, mode="same")[:, None]  # drop the very lowest
    pink /= max(1e-9, np.abs(pink).max())
    y = y / np.abs(y).max() + pink[:len(y)] * 10 ** (rng.uniform(-50, -40) / 20)
    return y / np.abs(y).max() * 10 ** (-1 / 20)


def render(style: str, seed: int, cache: Path) -> tuple[Path, list[float], float, str]:
    slug = f"{style}_{seed}"
    clip = cache / "clips" / f"{slug}.wav"
    ref_file = cache / "clips" / f"{slug}.beats.txt"
    mid_bytes, ref, bpm, sf = compose(style, seed)
    sf_path = SOUNDFONTS[sf]
    if not Path(sf_path).exists():
        sf_path = SOUNDFONTS[0]
    if not clip.exists():
        for d in ("midi", "raw", "clips"):
            (cache / d).mkdir(parents=True, exist_ok=True)
        mid = cache / "midi" / f"{slug}.mid"
        mid.write_bytes(mid_bytes)
        raw = cache / "raw" / f"{slug}.wav"
        subprocess.run(["fluidsynth", "-n", "-i", "-q", "-F", str(raw), "-T", "wav", "-O", "s16", "-r", str(RATE),
                        "-g", "0.5", sf_path, str(mid)], check=True, stdout=subprocess.DEVNULL)
        with wave.open(str(raw), "rb") as w:
            ch = w.getnchannels()
            pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, ch).astype(np.float64)
        pcm = pcm[:int(LENGTH_S * RATE)]
        out = master(pcm, np.random.default_rng(seed))
        tmp = clip.with_suffix(".partial")
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(out.shape[1])
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes((np.clip(out, -1, 1) * 32767).astype("<i2").tobytes())
        tmp.rename(clip)
        raw.unlink()
    ref_file.write_text("".join(f"{t:.6f}\n" for t in ref))
    return clip, ref, bpm, Path(sf_path).stem


def songs(split: str) -> list[tuple[str, int]]:
    seeds = {"dev": [1, 2, 3], "heldout": [101, 102]}[split]
    return [(style, s) for style in STYLES for s in seeds]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnv3", required=True, help="the cnnv3 executable")
    ap.add_argument("--cache", required=True, type=Path, help="directory for MIDI files and renderings")
    ap.add_argument("--trackers", default="cnnv3,aubio", help="comma-separated --tracker values")
    ap.add_argument("--split", choices=("dev", "heldout"), default="dev")
    ap.add_argument("--only", default="", help="substring: run only songs whose name contains it")
    ap.add_argument("--render-only", action="store_true", help="render the clips, track nothing")
    args = ap.parse_args()
    if not shutil.which("fluidsynth") or not Path(SOUNDFONTS[0]).exists():
        raise SystemExit("needs fluidsynth and fluid-soundfont-gm (timgm6mb-soundfont and "
                         "musescore-general-soundfont-small for the other soundfonts)")
    work = args.cache / "out"
    work.mkdir(parents=True, exist_ok=True)
    trackers = args.trackers.split(",")
    rows = []
    for style, seed in songs(args.split):
        name = f"{style}_{seed}"
        if args.only and args.only not in name:
            continue
        clip, ref, bpm, sf = render(style, seed, args.cache)
        if args.render_only:
            continue
        row = {"name": name, "tempo": f"{bpm:.0f}", "sf": sf, "ref": len(ref)}
        for tr in trackers:
            est, secs = brm.run_tracker(args.cnnv3, clip, tr, work)
            row[tr] = (brm.f_measure(est, ref), brm.any_level(est, ref), len(est), secs)
        rows.append(row)
        brm.log(name + "  " + "  ".join(f"{tr} F={row[tr][0]:.3f}" for tr in trackers))
    if not rows:
        return 0
    print("| song | BPM | soundfont | beats | " +
          " | ".join(f"{tr} F | {tr} F any level | {tr} beats" for tr in trackers) + " |")
    print("|" + "---|" * (4 + 3 * len(trackers)))
    for r in rows:
        cells = [r["name"], r["tempo"], r["sf"], str(r["ref"])]
        for tr in trackers:
            f, fa, n, _ = r[tr]
            cells += [f"{f:.3f}", f"{fa:.3f}", str(n)]
        print("| " + " | ".join(cells) + " |")
    cells = ["**mean**", "", "", ""]
    for tr in trackers:
        cells += [f"**{statistics.mean(r[tr][0] for r in rows):.3f}**",
                  f"**{statistics.mean(r[tr][1] for r in rows):.3f}**", ""]
    print("| " + " | ".join(cells) + " |")
    for tr in trackers:
        print(f"\n{tr}: {len(rows)} songs ({args.split}), median F {statistics.median(r[tr][0] for r in rows):.3f}, "
              f"analyze wall time {sum(r[tr][3] for r in rows):.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
