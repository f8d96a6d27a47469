"""Beat tracking on real compositions with exact ground truth: MIDI songs from Debian packages,
rendered to audio with FluidSynth and a General MIDI soundfont; the reference beats come from each
file's tempo map and time signatures (bench/midi_beats.py). Run through bench/beats_real_music.sh.

For every song an excerpt is cut from the rendering (SONGS below: start and length); the reference
beats are the MIDI beats inside it that fall between its first note-on and its last note-off. Each
tracker runs as `cnnv3 analyze EXCERPT.wav --beats-out B.txt [--tracker aubio]`, and is scored with
the F-measure at ±70 ms computed exactly as tests/audio/beat_metrics.cpp does (each reference beat
takes the nearest unused estimate within the tolerance, in time order; P = matched/estimated,
R = matched/reference, F = 2PR/(P+R)). Two further columns help read the numbers:
"F any level" is the best F against the reference, the reference at twice the rate (midpoints
added) and the two half-rate references (every other beat, either phase) — a tracker that taps
at another metrical level than the notation scores there but not in F.
"notes lock" checks the reference itself, from the MIDI notes alone (no tracker): the note-ons of
the excerpt are folded onto the reference beats (their phase within the beat, 24 bins) and the
fullest bin is divided by the mean bin. Music whose notes follow its tempo map scores 5 or more
(notes pile up on the beats and their subdivisions); a reference that does not describe the notes
(a tempo map unrelated to where the notes fall, as in some converted game music) scores about 1
(the notes spread evenly over the beat). The means are also given over the songs at LOCK_MIN or
more: F against a reference that does not lock to the notes measures nothing.
"""

from __future__ import annotations

import argparse
import array
import bisect
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import midi_beats  # noqa: E402

PACKAGES = ["openttd-openmsx", "freedoom", "planetblupi-music-midi", "freedink-data"]
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
RATE = 44100
LOCK_MIN = 3.0  # "notes lock" below this: the reference does not follow the notes (62 songs: 1.24-2.04 or 5.3+)

# (name, source, excerpt start s, excerpt length s, why it is in the set). Sources: a .mid path in
# the extracted packages, or WAD:LUMP for the music lumps of Freedoom's WADs (they are plain MIDI).
SONGS = [
    ("openmsx midnight_snow_run", "usr/share/games/openttd/baseset/openmsx/midnight_snow_run.mid", 20, 45,
     "accelerando 120 -> 150 at 40-44 s"),
    ("openmsx boogi_marabi", "usr/share/games/openttd/baseset/openmsx/boogi_marabi_redfarn.mid", 10, 45, "3/4, 153"),
    ("openmsx city_blues", "usr/share/games/openttd/baseset/openmsx/city_blues_redfarn.mid", 10, 45, "blues"),
    ("openmsx coconut_run2", "usr/share/games/openttd/baseset/openmsx/coconut_run2.mid", 10, 45, "fast"),
    ("openmsx flying_scotsman", "usr/share/games/openttd/baseset/openmsx/flying_scotsman.mid", 10, 45, "200"),
    ("openmsx careless_perc", "usr/share/games/openttd/baseset/openmsx/careless_perc_redfarn.mid", 10, 45, "slow"),
    ("openmsx chemistry_lab", "usr/share/games/openttd/baseset/openmsx/chemistry_lab.mid", 10, 45, "no drums"),
    ("openmsx keep_on_rolling", "usr/share/games/openttd/baseset/openmsx/keep_on_rolling.mid", 10, 45, "dense"),
    ("openmsx the_hobo", "usr/share/games/openttd/baseset/openmsx/the_hobo_redfarn.mid", 10, 45, "6/4"),
    ("openmsx chuggachugga", "usr/share/games/openttd/baseset/openmsx/chuggachugga.mid", 40, 44,
     "ritardando 180 -> 69 at the end"),
    ("freedoom E1M1", "usr/share/games/doom/freedoom1.wad:D_E1M1", 10, 45, "metal, 186"),
    ("freedoom E1M5", "usr/share/games/doom/freedoom1.wad:D_E1M5", 10, 45, "70, almost no drums"),
    ("freedoom E1M8", "usr/share/games/doom/freedoom1.wad:D_E1M8", 10, 45, "3/4, 85"),
    ("freedoom E2M9", "usr/share/games/doom/freedoom1.wad:D_E2M9", 10, 45, "6/8 (dotted-quarter beats)"),
    ("freedoom2 MESSAG", "usr/share/games/doom/freedoom2.wad:D_MESSAG", 0, 45, "3/4, ritardandi 140 -> 135"),
    ("freedoom2 DEAD", "usr/share/games/doom/freedoom2.wad:D_DEAD", 10, 45, "no drums"),
    ("freedoom2 SHAWN3", "usr/share/games/doom/freedoom2.wad:D_SHAWN3", 10, 45, "157"),
    ("blupi music004", "usr/share/planetblupi/music/music004.mid", 10, 45, "104"),
    ("blupi music007", "usr/share/planetblupi/music/music007.mid", 10, 45, "140"),
    ("dink 105", "usr/share/games/dink/dink/Sound/105.mid", 60, 45, "no drums, tempo changes 87-96"),
]

# A separate development set (other songs of the same packages, 30 s from 10 s in) for tuning the
# tracker, so that the figures of SONGS are not fitted to SONGS: `--set dev`.
_OMSX = "usr/share/games/openttd/baseset/openmsx/"
DEV_SONGS = [(f"dev openmsx {n}", f"{_OMSX}{n}.mid", 10, 30, "") for n in (
    "be_sharp_bw_redfarn", "busy_schedule", "harp_harmony", "linns_basket", "mighty_giant_run", "modern_motion",
    "mosey_along_redfarn", "no_work_song_redfarn", "relax_song", "run_for_your_life", "say_what_redfarn",
    "slow_neasy_redfarn", "the_fast_route", "train_filled_with_cash", "ttsong_iv_imuh3", "tttheme2",
    "ultimate_run", "wood_whistles")] + [
    (f"dev freedoom {n}", f"usr/share/games/doom/freedoom1.wad:D_{n}", 10, 30, "") for n in (
        "E1M2", "E1M3", "E1M7", "E2M2", "E2M4", "E2M5", "E2M7", "E2M8", "E3M3", "E3M7", "INTER")] + [
    (f"dev freedoom2 {n}", f"usr/share/games/doom/freedoom2.wad:D_{n}", 10, 30, "") for n in (
        "RUNNIN", "COUNTD", "THE_DA", "IN_CIT", "DOOM2", "EVIL", "TENSE", "ADRIAN")] + [
    (f"dev blupi {n}", f"usr/share/planetblupi/music/{n}.mid", 10, 30, "") for n in ("music005", "music008")] + [
    (f"dev dink {n}", f"usr/share/games/dink/dink/Sound/{n}.mid", 10, 30, "") for n in ("7", "18", "insper")]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fetch_packages(cache: Path) -> Path:
    root = cache / "pkgroot"
    stamp = root / ".extracted"
    if stamp.exists():
        return root
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob("*.deb")):
        log(f"downloading {' '.join(PACKAGES)} (apt-get download) into {debs}")
        subprocess.run(["apt-get", "download", *PACKAGES], cwd=debs, check=True)
    root.mkdir(parents=True, exist_ok=True)
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    stamp.write_text("ok\n")
    return root


def wad_lumps(data: bytes) -> list[tuple[str, int, int]]:
    """A WAD file's directory: (name, offset, size) per lump."""
    count, table = struct.unpack_from("<ii", data, 4)
    lumps = []
    for i in range(count):
        pos, size, name = struct.unpack_from("<ii8s", data, table + 16 * i)
        lumps.append((name.rstrip(b"\0").decode("ascii", "replace"), pos, size))
    return lumps


def read_midi(root: Path, source: str) -> bytes:
    if ":" not in source:
        return (root / source).read_bytes()
    wad_path, lump = source.split(":")
    data = (root / wad_path).read_bytes()
    for name, pos, size in wad_lumps(data):
        if name == lump:
            return data[pos:pos + size]
    raise SystemExit(f"{wad_path}: no lump {lump}")


def excerpt_wav(full: Path, out: Path, start: float, length: float) -> float:
    """Copies [start, start + length) of a 16-bit WAV with 10 ms fades; returns the length copied."""
    with wave.open(str(full), "rb") as w:
        ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        assert width == 2 and rate == RATE, (width, rate)
        first = min(n, int(round(start * rate)))
        w.setpos(first)
        frames = w.readframes(min(n - first, int(round(length * rate))))
    pcm = array.array("h", frames)
    count = len(pcm) // ch
    fade = int(0.01 * rate)
    for i in range(min(fade, count)):
        g = i / fade
        for c in range(ch):
            pcm[i * ch + c] = int(pcm[i * ch + c] * g)
            j = (count - 1 - i) * ch + c
            pcm[j] = int(pcm[j] * g)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(ch)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return count / rate


def prepare(root: Path, cache: Path, name: str, source: str, start: float, length: float,
            clips: Path | None = None, clip_name: str | None = None):
    """Renders song `name` once (cache/render) and cuts its excerpt CLIP.wav with CLIP.beats.txt into
    `clips` (default cache/clips or cache/clips-dev), CLIP = clip_name or the name's slug."""
    slug = name.replace(" ", "_")
    mid = cache / "midi" / f"{slug}.mid"
    full = cache / "render" / f"{slug}.full.wav"
    clips = clips or cache / ("clips-dev" if name.startswith("dev ") else "clips")
    clip = clips / f"{clip_name or slug}.wav"
    ref_file = clip.with_suffix(".beats.txt")
    for d in (mid.parent, full.parent, clip.parent):
        d.mkdir(parents=True, exist_ok=True)
    data = read_midi(root, source)
    mid.write_bytes(data)
    song = midi_beats.parse(data)
    if not full.exists():
        tmp = full.with_suffix(".partial.wav")
        subprocess.run(["fluidsynth", "-n", "-i", "-q", "-F", str(tmp), "-T", "wav", "-O", "s16", "-r", str(RATE),
                        "-g", "0.3", SOUNDFONT, str(mid)], check=True, stdout=subprocess.DEVNULL)
        tmp.rename(full)
    got = excerpt_wav(full, clip, start, length)
    first_note = song.seconds(song.notes[0][0])
    last_note = max(song.seconds(off) for _, off, _, _ in song.notes)
    lo, hi = max(start, first_note), min(start + got, last_note)
    ref = [song.seconds(t) - start for t in song.beat_ticks()]
    ref = [t for t in ref if lo - start <= t < hi - start]
    ref_file.write_text("".join(f"{t:.6f}\n" for t in ref))
    # Tempo in beats per minute over the excerpt (min-max when it changes).
    bpms = []
    for tk in song.beat_ticks():
        if lo <= song.seconds(tk) < hi:
            bpms.append(song.beat_unit_bpm(tk))
    lo_bpm, hi_bpm = (min(bpms), max(bpms)) if bpms else (0.0, 0.0)
    tempo = f"{lo_bpm:.0f}" if hi_bpm - lo_bpm < 1.0 else f"{lo_bpm:.0f}-{hi_bpm:.0f}"
    return clip, ref, tempo, notes_lock(sorted(song.seconds(n[0]) - start for n in song.notes), ref)


def notes_lock(onsets: list[float], ref: list[float]) -> float:
    """The fullest of 24 phase bins of the note-ons between reference beats over the mean bin."""
    bins = [0] * 24
    for t in onsets:
        i = bisect.bisect_right(ref, t) - 1
        if 0 <= i < len(ref) - 1:
            bins[int((t - ref[i]) / (ref[i + 1] - ref[i]) * 24) % 24] += 1
    total = sum(bins)
    return max(bins) * 24 / total if total else 0.0


def f_measure(est: list[float], ref: list[float], tol: float = 0.07) -> float:
    """As tests/audio/beat_metrics.cpp f_measure (no skip)."""
    if not est and not ref:
        return 1.0
    if not est or not ref:
        return 0.0
    used = [False] * len(est)
    matched = 0
    for r in ref:
        best, best_d = -1, tol
        for i, e in enumerate(est):
            d = abs(e - r)
            if not used[i] and d <= best_d:
                best, best_d = i, d
        if best >= 0:
            used[best] = True
            matched += 1
    p, rc = matched / len(est), matched / len(ref)
    return 2 * p * rc / (p + rc) if p + rc > 0 else 0.0


def any_level(est: list[float], ref: list[float]) -> float:
    double = sorted(ref + [(a + b) / 2 for a, b in zip(ref, ref[1:])])
    return max(f_measure(est, r) for r in (ref, double, ref[0::2], ref[1::2]))


def read_beats(path: Path) -> list[float]:
    out = []
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            out.append(float(line))
    return out


def run_tracker(cnnv3: str, clip: Path, tracker: str, work: Path) -> tuple[list[float], float]:
    beats = work / f"{clip.stem}.{tracker}.txt"
    t0 = time.perf_counter()
    subprocess.run([cnnv3, "analyze", str(clip), "-y", "-o", str(work / "cond.csv"), "--beats-out", str(beats),
                    "--tracker", tracker], check=True, stderr=subprocess.DEVNULL)
    return read_beats(beats), time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnv3", required=True, help="the cnnv3 executable")
    ap.add_argument("--cache", required=True, type=Path, help="directory for packages, renderings and clips")
    ap.add_argument("--trackers", default="cnnv3,aubio", help="comma-separated --tracker values")
    ap.add_argument("--set", choices=("test", "dev"), default="test",
                    help="test: the benchmark songs (default); dev: the tuning songs")
    ap.add_argument("--only", default="", help="substring: run only songs whose name contains it")
    args = ap.parse_args()
    for tool in ("fluidsynth", "apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (apt-get install fluidsynth fluid-soundfont-gm)")
    if not os.path.exists(SOUNDFONT):
        raise SystemExit(f"{SOUNDFONT} is needed (apt-get install fluid-soundfont-gm)")
    args.cache.mkdir(parents=True, exist_ok=True)
    root = fetch_packages(args.cache)
    work = args.cache / "out"
    work.mkdir(exist_ok=True)
    trackers = args.trackers.split(",")

    rows = []
    for name, source, start, length, _why in (SONGS if args.set == "test" else DEV_SONGS):
        if args.only and args.only not in name:
            continue
        clip, ref, tempo, lock = prepare(root, args.cache, name, source, start, length)
        row = {"name": name, "tempo": tempo, "ref": len(ref), "lock": lock}
        for tr in trackers:
            est, secs = run_tracker(args.cnnv3, clip, tr, work)
            row[tr] = (f_measure(est, ref), any_level(est, ref), len(est), secs)
        rows.append(row)
        log(name + "  " + "  ".join(f"{tr} F={row[tr][0]:.3f}" for tr in trackers))

    head = "| song | BPM | beats | notes lock | " + " | ".join(f"{tr} F | {tr} F any level | {tr} beats" for tr in trackers) + " |"
    print(head)
    print("|" + "---|" * (4 + 3 * len(trackers)))
    for r in rows:
        cells = [r["name"], r["tempo"], str(r["ref"]), f"{r['lock']:.2f}"]
        for tr in trackers:
            f, fa, n, _ = r[tr]
            cells += [f"{f:.3f}", f"{fa:.3f}", str(n)]
        print("| " + " | ".join(cells) + " |")
    locked = [r for r in rows if r["lock"] >= LOCK_MIN]
    for label, subset in (("**mean**", rows), (f"mean, notes lock >= {LOCK_MIN:g} ({len(locked)} songs)", locked)):
        if not subset:
            continue
        cells = [label, "", "", ""]
        for tr in trackers:
            cells += [f"**{statistics.mean(r[tr][0] for r in subset):.3f}**",
                      f"**{statistics.mean(r[tr][1] for r in subset):.3f}**", ""]
        print("| " + " | ".join(cells) + " |")
    for tr in trackers:
        total = sum(r[tr][3] for r in rows)
        print(f"\n{tr}: {len(rows)} songs, median F {statistics.median(r[tr][0] for r in rows):.3f}, "
              f"analyze wall time {total:.1f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
