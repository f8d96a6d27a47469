#!/usr/bin/python3
"""Do the shipped models dance, and do they boil? Issue 12's acceptance figures, as tables.

    /usr/bin/python3 bench/video_response.py [--models toon-816,paint-48,...] [--cnnv3 build/filter/cnnv3]
        [--build training/data/build] [--cache build-bench-music] [--song "freedoom E1M1"]
        [--seconds 12] [--size 320x180] [--fps 24] [--skip-stills]

Needs training/data/build (training/data/build_photos.py: the held-out photos and their styles) and,
for the song, what bench/beats_real_music.sh needs (fluidsynth, fluid-soundfont-gm, apt-get download).

Stills, on the 16 held-out photos (PyTorch, the model's f16 weights, prev = 0, c = default_cond with
one input changed), in 1/255:
  flash    mean |model(beat_phase 0) − model(beat_phase 0.5)|      (issue 12: ≥ 12)
  energy   mean |model(audio_intensity 0) − model(audio_intensity 1)|  (≥ 12)
  wrap     mean |model(beat_norm 0) − model(beat_norm 1)|          (the bar wraps there: ≈ 0)
  PSNR     against the model's recipe at default_cond and 2 random c per photo: the model, its
           unconditioned baseline (training/baselines/<family>-816-uncond) and the photo itself
  pairs    mean |style A − style B| of each family's two styles                   (≥ 25)
Video, on a clip made from three held-out photos (a slow zoom and pan on each, a cut between them)
with an excerpt of a MIDI song rendered by bench/beats_real_music.py (beats: the MIDI tempo map's):
  after/mid  mean frame-to-frame output change on the first frame at or after each beat, over the
             change on the frame nearest the middle of each beat                  (≥ 2.5)
  bar/other  the same after-beat change on the beats where beat_norm wraps (bar starts), over the
             change on the other beats                                           (≤ 1.2)
  flicker    an exact 1 px/frame pan over a held-out photo at default_cond, 48 frames: mean and
             99th percentile of the per-pixel |out_n − out_{n−1}| (mean over RGB) over the input's
             own, for the recipe's target itself (what a faithful model would do), with prev fed
             back ("fb on"; with --cnnv3: `cnnv3 stylize --cond default_cond`) and with prev = 0
             ("fb off", the hook-file case; PyTorch)
                                                                   (fb on: mean ≤ 1.5, p99 ≤ 2)
Frame changes skip the first frame of the clip and of each photo (a cut: prev is reset there).

Where the video comes from: by default a PyTorch simulation of a video host (SPEC §6 conditioning
from the song with reactivity 1 and style_p0 / style_p1 from default_cond, beat_norm's bar start at
the first beat; prev.rgb = the previous output, 0 on the first frame and after a cut). With --cnnv3
the clip is encoded (FFV1 + the song) and run through `cnnv3 stylize --model DIR --beats BEATS`
with its default options; its bar starts come from `cnnv3 analyze --beats BEATS` on the same clip.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "training"))
sys.path.insert(0, str(ROOT / "training" / "data"))

from build_photos import MODELS as PAIRS  # noqa: E402
from cnnv3.dataset import find_samples, load_sample  # noqa: E402
from cnnv3.features import build_features  # noqa: E402
from cnnv3.modelfile import read_model  # noqa: E402
from cnnv3.recipes import get_recipe  # noqa: E402

RELEASE_S = 0.25      # docs/audio.md: the audio_intensity envelope
GATE = 10 ** (-80 / 20)
REFERENCE_PERCENTILE = 98


# --- models -------------------------------------------------------------------------------------

class Net:
    def __init__(self, path):
        self.path = Path(path)
        self.model, self.manifest = read_model(self.path)
        self.model.eval()
        self.name = self.manifest.get("name", self.path.name)
        self.default = list(self.manifest["default_cond"])
        self.unconditioned = bool(self.manifest.get("training", {}).get("unconditioned"))

    @torch.no_grad()
    def __call__(self, rgb, c, prev=None):
        c = torch.as_tensor(c, dtype=torch.float32).view(1, -1)
        if self.unconditioned:
            c = torch.full_like(c, 0.5)
        return self.model(build_features(rgb, prev=prev), c)[:, :3]


def family(name):
    return name.rsplit("-", 1)[0]


def heldout(build, fam):
    return [load_sample(p) for p in find_samples(Path(build) / "samples" / fam / "heldout")]


def with_input(c, i, v):
    c = list(c)
    c[i] = v
    return c


def mad(a, b):
    return float((a - b).abs().mean()) * 255.0


def psnr(a, b):
    return -10.0 * math.log10(max(float(torch.mean((a - b) ** 2)), 1e-10))


# --- stills -------------------------------------------------------------------------------------

def still_rows(nets, build):
    rows = []
    for net in nets:
        rng = np.random.default_rng(0)  # the same c for every model, whatever the order
        fam = family(net.name)
        recipe = get_recipe(net.manifest["recipe"]["name"], net.manifest["recipe"]["version"])
        base = Net(ROOT / "training" / "baselines" / f"{fam}-816-uncond")
        flash, energy, wrap, p_model, p_base, p_id = ([] for _ in range(6))
        for s in heldout(build, fam):
            x = s["albedo"]
            d = net.default
            flash.append(mad(net(x, with_input(d, 0, 0.0)), net(x, with_input(d, 0, 0.5))))
            energy.append(mad(net(x, with_input(d, 2, 0.0)), net(x, with_input(d, 2, 1.0))))
            wrap.append(mad(net(x, with_input(d, 1, 0.0)), net(x, with_input(d, 1, 1.0))))
            maps = recipe.prepare(x, s.get("style_a"), s.get("style_b"))
            for c in [d] + [list(rng.random(5)) for _ in range(2)]:
                t = recipe.apply(maps, torch.tensor([c], dtype=torch.float32))
                p_model.append(psnr(net(x, c), t))
                p_base.append(psnr(base(x, c), t))
                p_id.append(psnr(x, t))
        rows.append((net.name, f"{recipe.name} v{recipe.version}", np.mean(flash), np.mean(energy),
                     np.mean(wrap), np.mean(p_model), np.mean(p_base), np.mean(p_id)))
    return rows


def pair_rows(build):
    rows = []
    for fam, (a, b) in PAIRS.items():
        d = [mad(s["style_a"], s["style_b"]) for s in heldout(build, fam)]
        rows.append((fam, a, b, float(np.mean(d)), float(np.min(d))))
    return rows


# --- the song -----------------------------------------------------------------------------------

def song(cache, name, start, seconds):
    """(wav path, beat times in the excerpt) rendered as bench/beats_real_music.py does."""
    import beats_real_music as brm
    for n, source, *_ in brm.SONGS:
        if n == name:
            root = brm.fetch_packages(Path(cache))
            wav, beats, _tempo, _lock = brm.prepare(root, Path(cache), f"{n} video", source, start, seconds)
            return wav, beats
    raise SystemExit(f"video_response.py: no song {name!r} in bench/beats_real_music.py SONGS")


def read_wav(path):
    with wave.open(str(path), "rb") as w:
        ch, rate, n = w.getnchannels(), w.getframerate(), w.getnframes()
        pcm = np.frombuffer(w.readframes(n), dtype="<i2").reshape(-1, ch)
    return np.abs(pcm.astype(np.float32) / 32768.0).max(1), rate


def intensity(peak, rate, times, fps):
    """docs/audio.md: instant attack, exponential release (0.25 s), −80 dBFS gate, the window
    maximum over [t, t + 1/fps), divided by the 98th percentile above the gate, clipped."""
    env = np.empty_like(peak)
    decay, e = math.exp(-1.0 / (RELEASE_S * rate)), 0.0
    for i, v in enumerate(peak):
        e = max(float(v), e * decay)
        env[i] = e
    env[env < GATE] = 0.0
    loud = env[env > 0]
    ref = np.percentile(loud, REFERENCE_PERCENTILE) if loud.size else 1.0
    ref = ref if ref >= 10 ** (-60 / 20) else 1.0
    out = []
    for t in times:
        a, b = int(t * rate), int((t + 1.0 / fps) * rate)
        out.append(min(1.0, float(env[a:max(b, a + 1)].max(initial=0.0)) / ref))
    return out


def beat_position(t, beats):
    """(k, beat_phase) by SPEC §6, extrapolating with the local period outside the beats."""
    if t < beats[0]:
        p = beats[1] - beats[0]
        k = math.floor((t - beats[0]) / p)
        return k, (t - beats[0]) / p - k
    if t >= beats[-1]:
        p = beats[-1] - beats[-2]
        k = math.floor((t - beats[-1]) / p)
        return len(beats) - 1 + k, (t - beats[-1]) / p - k
    k = int(np.searchsorted(beats, t, side="right")) - 1
    return k, (t - beats[k]) / (beats[k + 1] - beats[k])


def conditions(beats, inten, default, times):
    out = []
    for t, i in zip(times, inten):
        k, ph = beat_position(t, beats)
        out.append([ph, ((k % 8) + ph) / 8.0, i, default[3], default[4]])
    return out


# --- the clip -----------------------------------------------------------------------------------

def ken_burns(photo, n, size, seed):
    """n frames (1, 3, h, w) of a slow zoom (1.0 → 1.12) and pan across the photo."""
    w, h = size
    H, W = photo.shape[-2:]
    rng = np.random.default_rng(seed)
    base = min(W / w, H / h)
    (x0, y0), (x1, y1) = rng.random(2), rng.random(2)
    frames = []
    for i in range(n):
        a = i / max(n - 1, 1)
        s = base / (1.0 + 0.12 * a)                           # source pixels per output pixel
        cx = (x0 + (x1 - x0) * a - 0.5) * (W - w * s) + W / 2
        cy = (y0 + (y1 - y0) * a - 0.5) * (H - h * s) + H / 2
        xs = (cx + (torch.arange(w) - (w - 1) / 2) * s + 0.5) / W * 2 - 1
        ys = (cy + (torch.arange(h) - (h - 1) / 2) * s + 0.5) / H * 2 - 1
        gy, gx = torch.meshgrid(ys, xs, indexing="ij")
        grid = torch.stack([gx, gy], -1)[None].float()
        frames.append(F.grid_sample(photo, grid, mode="bilinear", align_corners=False,
                                    padding_mode="border").clamp(0, 1))
    return frames


def make_clip(build, fam, n, size):
    photos = [s["albedo"] for s in heldout(build, fam)][:3]
    per = [n // 3 + (1 if i < n % 3 else 0) for i in range(3)]
    frames, cuts = [], set()
    for i, (p, k) in enumerate(zip(photos, per)):
        cuts.add(len(frames))
        frames += ken_burns(p, k, size, seed=i)
    return frames, cuts


def simulate(net, frames, conds, cuts, feedback=True):
    outs, prev = [], None
    for i, (f, c) in enumerate(zip(frames, conds)):
        if i in cuts:
            prev = None
        out = net(f, c, prev if feedback else None)
        outs.append(out)
        prev = out
    return outs


def changes(frames):
    return [None] + [mad(a, b) for a, b in zip(frames[1:], frames[:-1])]


def beat_figures(outs, cuts, beats, times, norms):
    """(after/mid, bar/other, mean change after a beat, at mid-beat) from per-frame changes."""
    ch = changes(outs)
    skip = set(cuts) | {0}

    def frame_at(t):
        return int(np.searchsorted(times, t - 1e-9))

    after, mid, bar, other = [], [], [], []
    for k in range(len(beats) - 1):
        a = frame_at(beats[k])
        m = int(np.argmin(np.abs(np.asarray(times) - (beats[k] + beats[k + 1]) / 2)))
        if a >= len(outs) or m >= len(outs) or a in skip or m in skip:
            continue
        after.append(ch[a])
        mid.append(ch[m])
        (bar if norms[a] < norms[a - 1] else other).append(ch[a])
    ratio = np.mean(after) / max(np.mean(mid), 1e-9)
    bar_ratio = (np.mean(bar) / max(np.mean(other), 1e-9)) if bar and other else float("nan")
    return ratio, bar_ratio, np.mean(after), np.mean(mid), len(bar)


def pan_frames(photo, n=48, size=(320, 180)):
    w, h = size
    H, W = photo.shape[-2:]
    w, h = min(w, W - n), min(h, H)
    return [photo[..., :h, x:x + w].contiguous() for x in range(n)]


def per_pixel_changes(frames):
    d = [(a - b).abs().mean(1).flatten() for a, b in zip(frames[2:], frames[1:-1])]
    return torch.cat(d).numpy() * 255.0


def flicker_row(net, sample, cnnv3=None, fps=24):
    """[mean/in, p99/in] of the recipe's own target, then with feedback on (PyTorch, or
    `cnnv3 stylize --cond default_cond` as built), then with prev = 0 (PyTorch)."""
    photo = sample["albedo"]
    frames = pan_frames(photo)
    c = net.default
    fin = per_pixel_changes(frames)
    recipe = get_recipe(net.manifest["recipe"]["name"], net.manifest["recipe"]["version"])
    target = recipe(photo, torch.tensor([c], dtype=torch.float32), sample.get("style_a"), sample.get("style_b"))
    t = per_pixel_changes(pan_frames(target))
    res = [t.mean() / fin.mean(), np.percentile(t, 99) / np.percentile(fin, 99)]
    for fb in (True, False):
        if fb and cnnv3:
            with tempfile.TemporaryDirectory() as tmp:
                clip, out = Path(tmp) / "pan.mkv", Path(tmp) / "out.y4m"
                ffmpeg_encode(frames, None, fps, clip)
                subprocess.run([cnnv3, "stylize", "-y", "--model", str(net.path), "--cond",
                                ",".join(f"{v:g}" for v in c), str(clip), str(out)], check=True,
                               stdout=subprocess.DEVNULL)
                h, w = frames[0].shape[-2:]
                outs = ffmpeg_decode(out, (w, h))
        else:
            outs = simulate(net, frames, [c] * len(frames), {0}, feedback=fb)
        o = per_pixel_changes(outs)
        res += [o.mean() / fin.mean(), np.percentile(o, 99) / np.percentile(fin, 99)]
    return fin.mean(), np.percentile(fin, 99), res


# --- cnnv3 stylize ------------------------------------------------------------------------------

def ffmpeg_encode(frames, wav, fps, out):
    h, w = frames[0].shape[-2:]
    raw = b"".join((f[0].permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8).tobytes() for f in frames)
    audio = ["-i", str(wav), "-c:a", "flac", "-shortest"] if wav else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                    "-r", str(fps), "-i", "-"] + audio + ["-c:v", "ffv1", "-pix_fmt", "yuv444p", str(out)],
                   input=raw, check=True)


def ffmpeg_decode(path, size):
    w, h = size
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    a = np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(np.float32) / 255.0
    return [torch.from_numpy(f).permute(2, 0, 1)[None] for f in a]


def cnnv3_run(cnnv3, model_dir, clip, beats_file, size, tmp):
    out = Path(tmp) / "out.y4m"  # raw: no encoder noise in the changes
    subprocess.run([cnnv3, "stylize", "-y", "--model", str(model_dir), "--beats", str(beats_file),
                    str(clip), str(out)], check=True, stdout=subprocess.DEVNULL)
    done = subprocess.run([cnnv3, "analyze", str(clip), "--model", str(model_dir), "--beats", str(beats_file)],
                          capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"video_response.py: cnnv3 analyze failed: {done.stderr.strip()}")
    csv = done.stdout
    norms = [float(r.split(",")[3]) for r in csv.splitlines()[1:] if r.strip()]
    return ffmpeg_decode(out, size), norms


# --- main ---------------------------------------------------------------------------------------

def table(head, rows):
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(f"{v:.2f}" if isinstance(v, (float, np.floating)) else str(v) for v in r) + " |",
              flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="", help="comma-separated weights/ names (default: every shipped model)")
    ap.add_argument("--build", default=str(ROOT / "training" / "data" / "build"))
    ap.add_argument("--cache", default=str(ROOT / "build-bench-music"))
    ap.add_argument("--song", default="freedoom E1M1")
    ap.add_argument("--song-start", type=float, default=20.0)
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--size", default="320x180")
    ap.add_argument("--cnnv3", help="measure the video through this cnnv3 executable instead of PyTorch")
    ap.add_argument("--skip-stills", action="store_true")
    args = ap.parse_args(argv)
    torch.set_grad_enabled(False)
    torch.set_num_threads(1)
    size = tuple(int(v) for v in args.size.split("x"))
    if not (Path(args.build) / "samples").is_dir():
        raise SystemExit(f"{args.build}: no samples/ (expected the output of training/data/build_photos.py)")
    names = [n for n in args.models.split(",") if n] or sorted(
        d.name for d in (ROOT / "weights").iterdir()
        if family(d.name) in PAIRS and (d / "model.json").is_file())
    nets = [Net(ROOT / "weights" / n) for n in names]

    if not args.skip_stills:
        print("\nStyle pairs on the held-out photos, mean |A − B| in 1/255:\n")
        table(["family", "style A", "style B", "mean", "min over photos"], pair_rows(args.build))
        print("\nStills on the held-out photos (prev = 0), in 1/255 and dB:\n")
        table(["model", "recipe", "flash φ0→0.5", "energy I 0→1", "wrap norm 0↔1", "PSNR model",
               "PSNR uncond", "PSNR identity"], still_rows(nets, args.build))

    wav, beats = song(args.cache, args.song, args.song_start, args.seconds)
    n = int(args.seconds * args.fps)
    times = [i / args.fps for i in range(n)]
    peak, rate = read_wav(wav)
    inten = intensity(peak, rate, times, args.fps)
    source = f"cnnv3 stylize ({args.cnnv3})" if args.cnnv3 else "PyTorch host simulation"
    print(f"\nVideo: {args.song} from {args.song_start:g} s, {args.seconds:g} s at {args.fps} fps, "
          f"{size[0]}×{size[1]}, {len(beats)} beats; {source}:\n")
    rows = []
    clips = {}
    for net in nets:
        fam = family(net.name)
        if fam not in clips:
            clips[fam] = make_clip(args.build, fam, n, size)
        frames, cuts = clips[fam]
        if args.cnnv3:
            with tempfile.TemporaryDirectory() as tmp:
                clip, bf = Path(tmp) / "clip.mkv", Path(tmp) / "beats.txt"
                bf.write_text("".join(f"{b:.6f}\n" for b in beats))
                ffmpeg_encode(frames, wav, args.fps, clip)
                outs, norms = cnnv3_run(args.cnnv3, net.path, clip, bf, size, tmp)
                outs, norms = outs[:n], norms[:n]
        else:
            conds = conditions(beats, inten, net.default, times)
            norms = [c[1] for c in conds]
            outs = simulate(net, frames, conds, cuts)
        ratio, bar_ratio, after, mid, nbar = beat_figures(outs, cuts, beats, times, norms)
        in_ch = [c for i, c in enumerate(changes(frames)) if c is not None and i not in cuts]
        fin_mean, fin_p99, fl = flicker_row(net, heldout(args.build, fam)[0], args.cnnv3, args.fps)
        rows.append((net.name, after, mid, ratio, bar_ratio, float(np.mean(in_ch)), *fl))
    table(["model", "change after beat", "mid-beat", "after/mid (≥2.5)", f"bar/other (≤1.2)",
           "input change", "pan target mean/in", "p99/in", "fb on mean/in (≤1.5)", "p99/in (≤2)",
           "fb off mean/in", "p99/in"], rows)
    on = "cnnv3 stylize --cond default_cond (its feedback as built)" if args.cnnv3 else "PyTorch, prev fed back"
    print(f"\nPan (1 px/frame, default_cond, 48 frames): fb on = {on}; fb off = PyTorch, prev = 0.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
