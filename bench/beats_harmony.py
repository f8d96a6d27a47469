#!/usr/bin/env python3
"""Harmonic-change evidence at the bar decoder's beats (issue 11, bench/RESULTS.md session 6).

Question: does the harmony (chroma) change where the decoded beats' strong half lies, and can that
tell a song decoded at twice its notated tempo from one decoded at the right level? Input: the LIST
of `cnnv3-bench-beats-sets` (`GROUP FILE.wav` lines, reference beats in FILE.beats.txt) and the
directory its `--dump DIR` wrote (the decoder's beats before the level check, with the strong
parity). Per clip it prints, as a markdown table:

- class: `ok` (decoded beats F > 0.9), `2x strong` / `2x weak` (decoded at twice the notated
  tempo, the strong / weak half of the decoded beats is the notated one, F > 0.9), `off-beat`
  (the midpoints between the decoded beats are the notated beats, F > 0.8), `other`;
- harmonic change at each decoded beat: cosine distance between the mean chroma over one decoded
  period after the beat and over one before it; chroma from a 4096-sample STFT (hop 1024, 80-2000 Hz,
  12 pitch classes, log-compressed); `weak/strong`: the mean over the weak half over the mean over
  the strong half, and which half changes more;
- beat-synchronous chroma (the mean over each decoded beat): (1 - similarity at lag 2) / (1 - at
  lag 1) and (1 - at lag 4) / (1 - at lag 2), a harmonic periodicity of two or four beats;
- phase: the harmonic change (as above, over half a decoded period either side) at the midpoints
  between decoded beats over that at the beats (above 1 when the harmony changes between them);
- subdivision: the mean peak (within 20 ms) of a log-spectral flux (1024-sample STFT, hop 256, its
  0.5 s mean removed) at the midpoints between decoded beats over the mean at the beats (notes
  faster than the decoded level).

usage: beats_harmony.py [--chroma N LO HI] LIST DUMP_DIR   (numpy; reads 16-bit WAV)
--chroma N LO HI: the chroma's STFT size and band in Hz (default 4096 80 2000; hop 1024 always).
"""
import sys
import wave
from pathlib import Path

import numpy as np


def load(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path)) as w:
        assert w.getsampwidth() == 2, f"{path}: expected 16-bit PCM"
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float64)
        return w.getframerate(), x.reshape(-1, w.getnchannels()).mean(1) / 32768.0


def f_measure(est: np.ndarray, ref: np.ndarray, tol: float = 0.07) -> float:
    if len(est) == 0 or len(ref) == 0:
        return 0.0
    used = np.zeros(len(est), bool)
    matched = 0
    for r in ref:
        d = np.abs(est - r)
        d[used] = np.inf
        i = int(np.argmin(d))
        if d[i] <= tol:
            used[i] = True
            matched += 1
    p, rc = matched / len(est), matched / len(ref)
    return 2 * p * rc / (p + rc) if p + rc > 0 else 0.0


def chroma(sr: int, x: np.ndarray, n: int, lo: float, hi: float, hop: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    frames = 1 + (len(x) - n) // hop
    idx = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    power = np.abs(np.fft.rfft(x[idx] * np.hanning(n), axis=1)) ** 2
    f = np.fft.rfftfreq(n, 1 / sr)
    sel = (f >= lo) & (f <= hi)
    pc = np.round(12 * np.log2(f[sel] / 440.0)).astype(int) % 12
    c = np.stack([power[:, sel][:, pc == k].sum(1) for k in range(12)], 1)
    c = np.log1p(c / (np.median(c.sum(1)) * 1e-3 + 1e-12))
    return (np.arange(frames) * hop + n / 2) / sr, c


def flux(sr: int, x: np.ndarray, n: int = 1024, hop: int = 256) -> tuple[np.ndarray, np.ndarray]:
    frames = 1 + (len(x) - n) // hop
    idx = np.arange(n)[None, :] + hop * np.arange(frames)[:, None]
    log_power = np.log(np.abs(np.fft.rfft(x[idx] * np.hanning(n), axis=1)) ** 2 + 1e-6)
    d = np.concatenate([[0.0, 0.0], np.maximum(0.0, log_power[2:] - log_power[:-2]).sum(1)])
    k = int(0.5 * sr / hop)
    return (np.arange(frames) * hop + n / 2) / sr, np.maximum(0.0, d - np.convolve(d, np.ones(k) / k, "same"))


def cosine_distance(u: np.ndarray, v: np.ndarray) -> float:
    return 1.0 - float(u @ v) / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12)


def main() -> None:
    args = sys.argv[1:]
    n, lo, hi = 4096, 80.0, 2000.0
    if args[:1] == ["--chroma"] and len(args) >= 4:
        n, lo, hi = int(args[1]), float(args[2]), float(args[3])
        args = args[4:]
    if len(args) != 2:
        sys.exit("usage: beats_harmony.py [--chroma N LO HI] LIST DUMP_DIR")
    dump = Path(args[1])
    print("| clip | class | decoded BPM | harmonic change weak/strong | changes more | (1-s2)/(1-s1) | (1-s4)/(1-s2) "
          "| harmonic change at midpoints / at beats | flux at midpoints / at beats |")
    print("|---|---|---|---|---|---|---|---|---|")
    for line in Path(args[0]).read_text().splitlines():
        if not line.split():
            continue
        wav = Path(line.split()[1])
        decoded = dump / f"{wav.stem}.decoded.txt"
        header = decoded.read_text().splitlines()[0].split()
        parity, bpm = int(header[2]), float(header[4])
        beats = np.loadtxt(decoded, comments="#", ndmin=2)[:, 0]
        if len(beats) < 8:
            continue
        ref = np.loadtxt(wav.with_suffix(".beats.txt"), comments="#", ndmin=1)
        strong, weak = beats[parity::2], beats[1 - parity::2]
        midpoints = 0.5 * (beats[1:] + beats[:-1])
        cls = ("ok" if f_measure(beats, ref) > 0.9 else "2x strong" if f_measure(strong, ref) > 0.9
               else "2x weak" if f_measure(weak, ref) > 0.9 else "off-beat" if f_measure(midpoints, ref) > 0.8
               else "other")
        sr, x = load(wav)
        t, c = chroma(sr, x, n, lo, hi)
        tau = np.append(np.diff(beats), beats[-1] - beats[-2])
        change = np.full(len(beats), np.nan)
        sync = np.zeros((len(beats), 12))
        for k, (b, w) in enumerate(zip(beats, tau)):
            before, after = c[(t >= b - w) & (t < b)], c[(t >= b) & (t < b + w)]
            if len(before) and len(after):
                change[k] = cosine_distance(before.mean(0), after.mean(0))
            if len(after):
                sync[k] = after.mean(0)
        hs, hw = np.nanmean(change[parity::2]), np.nanmean(change[1 - parity::2])

        def change_at(points: np.ndarray, w: float) -> float:
            out = []
            for p in points:
                before, after = c[(t >= p - w) & (t < p)], c[(t >= p) & (t < p + w)]
                if len(before) and len(after):
                    out.append(cosine_distance(before.mean(0), after.mean(0)))
            return float(np.mean(out))

        half = 0.5 * float(np.median(np.diff(beats)))
        phase = change_at(midpoints, half) / change_at(beats, half)
        sync /= np.linalg.norm(sync, axis=1, keepdims=True) + 1e-12

        def dissimilarity(lag: int) -> float:
            return 1.0 - float(np.mean(np.sum(sync[lag:] * sync[:-lag], 1)))

        tf, fl = flux(sr, x)

        def peak(at: float) -> float:
            return float(fl[(tf >= at - 0.02) & (tf <= at + 0.02)].max(initial=0.0))

        subdivision = np.mean([peak(0.5 * (a + b)) for a, b in zip(beats, beats[1:])]) / np.mean([peak(b) for b in beats])
        print(f"| {wav.stem} | {cls} | {bpm:.0f} | {hw / hs:.2f} | {'strong' if hs >= hw else 'weak'} | "
              f"{dissimilarity(2) / dissimilarity(1):.2f} | {dissimilarity(4) / dissimilarity(2):.2f} | {phase:.2f} | {subdivision:.2f} |", flush=True)


if __name__ == "__main__":
    main()
