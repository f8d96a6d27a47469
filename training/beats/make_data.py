"""More training excerpts for the learned beat activation, from the dev side of the MIDI benchmark only.

    /usr/bin/python3 training/beats/make_data.py --cache /tmp/beats-midi --out /tmp/beats-train

Two kinds of 30 s excerpts, rendered with bench/beats_real_music.py's machinery (FluidSynth, the
reference beats from the MIDI tempo map and signatures, bench/midi_beats.py):
  * further excerpts of the dev songs (DEV_SONGS): from 40 s on, every 30 s; their song is the dev
    song, so the cross-validation (crossval.py) keeps them in that song's fold;
  * excerpts of the packages' other songs (every .mid file and every D_ music lump of the WADs that
    is in neither SONGS nor DEV_SONGS): at 10, 40, 70 and 100 s. They are never scored.
With --groove-seeds A-B, also bench/beats_grooves.py's generated grooves of every style for seeds
A..B into OUT/grooves/clips (the dev split is seeds 1-3, the held-out one 101 and up: A-B must
avoid both); their song is STYLE_SEED.
The evaluation songs (SONGS) are excluded by their source, and nothing comes from any package but
bench/beats_real_music.py's PACKAGES (the fretsonfire packages are the project's independent
evaluation and are never used). Writes OUT/CLIP.wav, OUT/CLIP.beats.txt and OUT/index.tsv
(clip, song, notes lock, reference beats); CLIP is SONG@START.
"""

from __future__ import annotations

import argparse
import sys
import wave
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import beats_grooves  # noqa: E402
import beats_real_music as brm  # noqa: E402

LENGTH = 30.0


def wad_music(root: Path, wad: str) -> list[str]:
    """The WAD's music lumps (D_*) as WAD:LUMP sources."""
    return [f"{wad}:{name}" for name, _pos, _size in brm.wad_lumps((root / wad).read_bytes()) if name.startswith("D_")]


def pitch_grams(data: bytes) -> set[tuple[int, ...]]:
    """The 5-grams of a song's first 300 note-on pitches (in time order)."""
    try:
        song = brm.midi_beats.parse(data)
    except brm.midi_beats.MidiError:
        return set()
    keys = [k for _, k in sorted((n[0], n[3]) for n in song.notes)[:300]]
    return {tuple(keys[i:i + 5]) for i in range(len(keys) - 4)}


def copies_an_evaluation_song(root: Path, source: str, evaluation: list[tuple[bytes, set]]) -> bool:
    """The same file as an evaluation song, or its notes: the packages reuse music under other names
    (freedoom1.wad's D_E2M6 is D_E1M5 byte for byte)."""
    data = brm.read_midi(root, source)
    grams = pitch_grams(data)
    for eval_data, eval_grams in evaluation:
        if data == eval_data or (grams and eval_grams and len(grams & eval_grams) > 0.3 * len(grams | eval_grams)):
            return True
    return False


def other_songs(root: Path) -> list[tuple[str, str]]:
    taken = {s[1] for s in brm.SONGS} | {s[1] for s in brm.DEV_SONGS}
    evaluation = []
    for s in brm.SONGS:
        data = brm.read_midi(root, s[1])
        evaluation.append((data, pitch_grams(data)))
    sources = sorted(str(p.relative_to(root)) for p in root.rglob("*.mid"))
    for wad in ("usr/share/games/doom/freedoom1.wad", "usr/share/games/doom/freedoom2.wad"):
        if (root / wad).exists():
            sources += wad_music(root, wad)
    out = []
    for src in sources:
        if src in taken or copies_an_evaluation_song(root, src, evaluation):
            print(f"{src}: skipped (an evaluation or dev song, or a copy of an evaluation song)", file=sys.stderr)
            continue
        stem = src.split(":")[-1] if ":" in src else Path(src).stem
        pkg = Path(src.split(":")[0]).stem if ":" in src else Path(src).parent.name
        out.append((f"train {pkg} {stem}", src))
    return out


def render_seconds(cache: Path, name: str) -> float:
    with wave.open(str(cache / "render" / f"{name.replace(' ', '_')}.full.wav"), "rb") as w:
        return w.getnframes() / w.getframerate()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True, help="bench/beats_real_music.py's cache (packages, renders)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--groove-seeds", default="", help="A-B: generated grooves of these seeds too")
    ap.add_argument("--no-midi", action="store_true", help="grooves only")
    ap.add_argument("--new-songs", type=int, default=0, help="only the first N other songs (0: all)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    if args.groove_seeds:
        a, b = (int(x) for x in args.groove_seeds.split("-"))
        if a <= 3 or b >= 101:
            raise SystemExit(f"--groove-seeds {args.groove_seeds}: overlaps the dev (1-3) or held-out (101+) seeds")
        for seed in range(a, b + 1):
            for style in beats_grooves.STYLES:
                clip, ref, _bpm, _sf = beats_grooves.render(style, seed, args.out / "grooves")
                rows.append(f"grooves/clips/{clip.stem}\t{clip.stem}\t99\t{len(ref)}\n")
                print(rows[-1], end="", flush=True)
    if args.no_midi:
        (args.out / "index-grooves.tsv").write_text("".join(rows))
        return 0
    root = brm.fetch_packages(args.cache)
    others = other_songs(root)
    if args.new_songs:
        others = others[:args.new_songs]
    jobs = [(name, src, "dev") for name, src, *_ in brm.DEV_SONGS] + [(n, s, "new") for n, s in others]
    for name, src, kind in jobs:
        slug = name.replace(" ", "_")
        starts = [10.0, 40.0, 70.0, 100.0] if kind == "new" else [40.0 + 30.0 * k for k in range(8)]
        for start in starts:
            try:
                # The first prepare renders the song; later excerpts past its end are skipped.
                if start > 10.0 and start + 10.0 > render_seconds(args.cache, name):
                    break
                clip, ref, _tempo, lock = brm.prepare(root, args.cache, name, src, start, LENGTH, clips=args.out,
                                                      clip_name=f"{slug}@{start:.0f}")
            except (brm.midi_beats.MidiError, OSError, ValueError, IndexError, SystemExit) as e:
                print(f"{name}: skipped ({e})", file=sys.stderr)
                break
            if len(ref) < 8:
                clip.unlink(missing_ok=True)
                clip.with_suffix(".beats.txt").unlink(missing_ok=True)
                continue
            rows.append(f"{clip.stem}\t{slug}\t{lock:.2f}\t{len(ref)}\n")
            print(rows[-1], end="", flush=True)
    (args.out / "index.tsv").write_text("".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
