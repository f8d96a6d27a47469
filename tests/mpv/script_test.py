"""mpv/cnnv3.lua in real mpv (no mock): glsl-shader-opts follow a conditioning track by playback
time (while playing, paused, after seeks), the track comes from `cnnv3 analyze` on demand, live mode
follows a BPM grid and the audio's level, and where the renderer cannot apply //!PARAM the script
says so once and switches to the nearest static preset (computed here from weights/presets.tsv).
Everything comes from an install: the presets and the script from DATA_DIR (PREFIX/share/cnnv3),
`cnnv3` from PATH (the script is given no path to it), its tracks go to $XDG_CACHE_HOME/cnnv3.

usage: script_test.py SOURCE_ROOT DATA_DIR WORKDIR   (WORKDIR holds clip.mp4, made by the .sh)
"""
import math
import os
import re
import runpy
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mpv_ipc import Mpv, wait_for  # noqa: E402

SRC, DATA, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CNNV3 = shutil.which("cnnv3")
CACHE = os.path.join(os.environ["XDG_CACHE_HOME"], "cnnv3")
# The names and the CSV header, generated from shadergen/conditioning_names.h (a file without imports).
CONDITIONING = runpy.run_path(os.path.join(SRC, "training", "cnnv3", "conditioning.py"))
KEYS = list(CONDITIONING["CONDITIONING_NAMES"])
SLACK = 1e-4  # the script's rule: the row at or before t, with the CSV's 6-decimal times
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)
    return ok


# ---------------------------------------------------------------------------------------------
# presets and tracks, read independently of the script

def presets_tsv():
    rows = []
    with open(os.path.join(DATA, "weights", "presets.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, model, cond, strength = line.rstrip("\n").split("\t")[:4]
            rows.append({"name": name, "model": model,
                         "cond": None if cond == "dynamic" else [float(x) for x in cond.split(",")],
                         "strength": float(strength)})
    return rows


def nearest_static(model, values, strength=1.0):
    best, best_d = None, math.inf
    for p in sorted((r for r in presets_tsv() if r["model"] == model and r["cond"]), key=lambda r: r["name"]):
        d = sum((a - b) ** 2 for a, b in zip(p["cond"], values)) + (p["strength"] - strength) ** 2
        if d < best_d - 1e-9:
            best, best_d = p, d
    return best


def read_track(path):
    with open(path) as f:
        lines = f.read().split("\n")
    assert lines[0] == CONDITIONING["CONDITIONING_CSV_HEADER"], lines[0]
    rows = []
    for line in lines[1:]:
        if line:
            fields = line.split(",")
            rows.append((float(fields[1]), fields[2:7]))
    return rows


def row_at(rows, t):
    best = rows[0]
    for r in rows:
        if r[0] <= t + SLACK:
            best = r
    return best


def rows_between(rows, t0, t1):
    first = rows.index(row_at(rows, t0))
    last = rows.index(row_at(rows, t1))
    return rows[first:last + 1]


# ---------------------------------------------------------------------------------------------
# running mpv

def install_config(cfg):
    """docs/mpv.md's install: presets in ~~/shaders, the script in ~~/scripts."""
    shutil.rmtree(cfg, ignore_errors=True)
    os.makedirs(os.path.join(cfg, "shaders"))
    os.makedirs(os.path.join(cfg, "scripts"))
    for p in presets_tsv():
        shutil.copy(os.path.join(DATA, "glsl", p["name"] + ".glsl"), os.path.join(cfg, "shaders"))
    shutil.copy(os.path.join(DATA, "mpv", "cnnv3.lua"), os.path.join(cfg, "scripts"))


def fmt_like_script(v):
    """A number as the script writes it: 6 decimals, trailing zeros and point dropped."""
    s = ("%.6f" % v).rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def preset_defaults(name):
    """The dynamic preset's default conditioning, from its header, as the script formats numbers."""
    with open(os.path.join(DATA, "glsl", name + ".glsl")) as f:
        m = re.search(r"\(defaults ([\d.,]+)\)", f.read(4096))
    return [("%.6f" % float(v)).rstrip("0").rstrip(".") for v in m.group(1).split(",")]


class Player:
    def __init__(self, name, vo, clip, shader, script_opts="", extra=()):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "cfg")
        install_config(self.cfg)
        self.log = os.path.join(self.dir, "mpv.log")
        self.term = os.path.join(self.dir, "terminal.txt")
        sock = os.path.join(self.dir, "sock")
        args = ["xvfb-run", "-a", "mpv", "--config-dir=" + self.cfg, "--vo=" + vo, "--gpu-api=opengl",
                "--gpu-sw", "--ao=null", "--keep-open=yes", "--term-osd=force", "--input-ipc-server=" + sock,
                "--log-file=" + self.log, "--glsl-shader=~~/shaders/" + shader + ".glsl"]
        if script_opts:
            args.append("--script-opts=" + script_opts)
        args += list(extra) + [clip]
        env = dict(os.environ, XDG_RUNTIME_DIR=self.dir)
        self.proc = subprocess.Popen(args, stdout=open(self.term, "wb"), stderr=subprocess.STDOUT, env=env)
        self.mpv = Mpv(sock, timeout=60)
        self.vo = vo
        wait_for(lambda: self.mpv.get("time-pos") is not None, 30)  # the file is loaded

    def opts(self):
        return self.mpv.get("glsl-shader-opts")

    def values(self):
        o = self.opts()
        return [o.get(k) for k in KEYS], o.get("strength")

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def settle(self):
        """Paused: wait until a seek is done and the playback time stays put."""
        wait_for(lambda: self.mpv.get("seeking") is False and self.mpv.get("time-pos") is not None, 20)
        last = None
        for _ in range(100):
            t = self.mpv.get("time-pos")
            if t == last:
                return t
            last = t
            time.sleep(0.1)
        return last

    def quit(self):
        try:
            self.mpv.command("quit")
        except Exception:
            pass
        self.mpv.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def expect_values_at(p, rows, what):
    """Paused: glsl-shader-opts must become exactly the track's row at the playback time."""
    t = p.settle()
    want = row_at(rows, t)[1]
    got = wait_for(lambda: p.values()[0] == want and p.values(), 3)
    check(got is not None, f"{what}: at time-pos {t:.6f} glsl-shader-opts hold the track's row "
                           f"{want} (got {p.values()[0]})")


def renderer_has_params(p):
    """Whether this mpv's renderer can apply //!PARAM, from mpv's own version and its log."""
    log = p.log_text()
    if p.vo == "gpu-next":
        m = re.search(r"Initialized libplacebo v[\d.]+ \(API v(\d+)\)", log)
        return m is not None and int(m.group(1)) >= 264
    # vo=gpu's own parser learned //!PARAM in 2026 (mpv PR #17700); treated as mpv >= 0.42
    m = re.search(r"mpv v?(\d+)\.(\d+)", subprocess.run(["mpv", "--version"], capture_output=True, text=True).stdout)
    return m is not None and (int(m.group(1)), int(m.group(2))) >= (0, 42)


def check_fallback(p, rows, model, dynamic):
    shaders = p.mpv.get("glsl-shaders")
    log = p.log_text()
    reports = [l for l in log.splitlines() if "[w][cnnv3] cnnv3: this mpv" in l and "cannot apply shader parameters" in l]
    if renderer_has_params(p):
        check(not reports and shaders == ["~~/shaders/" + dynamic + ".glsl"],
              f"vo={p.vo}: the renderer has //!PARAM: the dynamic preset stays, no fallback reported")
        return
    check(len(reports) == 1, f"vo={p.vo}: the missing //!PARAM support is reported exactly once in the log "
                             f"({len(reports)} reports)")
    if not reports:
        return
    m = re.search(r"using the static preset (\S+) \(nearest to ([\d.,e-]+)\) instead of " + re.escape(dynamic), reports[0])
    if not check(m is not None, f"vo={p.vo}: the report names the static preset and the values: {reports[0][:160]}"):
        return
    values = [float(x) for x in m.group(2).split(",")]
    check(any(all(abs(float(a) - b) <= 1e-6 for a, b in zip(r[1], values)) for r in rows),
          f"vo={p.vo}: the fallback was chosen for the track's values at the time ({m.group(2)})")
    want = nearest_static(model, values)
    check(m.group(1) == want["name"] and shaders == ["~~/shaders/" + want["name"] + ".glsl"],
          f"vo={p.vo}: glsl-shaders now hold the nearest static preset by weights/presets.tsv, {want['name']} "
          f"(got {shaders})")
    with open(p.term, "rb") as f:
        term = f.read().decode(errors="replace")
    check("cannot apply shader parameters" in term, f"vo={p.vo}: the report was shown on the OSD (--term-osd=force)")


# ---------------------------------------------------------------------------------------------

def check_bindings(p):
    # bindings: next-preset walks the installed presets by file name (static ones only once
    # the renderer has shown it cannot apply //!PARAM); toggle takes it off and back on
    fell_back = not renderer_has_params(p)
    names = sorted(r["name"] for r in presets_tsv() if r["cond"] or not fell_back)
    before = p.mpv.get("glsl-shaders")
    cur = os.path.basename(before[0])[:-5] if before else ""
    if not check(cur in names, f"next-preset: the current preset {cur} is one it cycles through"):
        return
    p.mpv.command("script-binding", "cnnv3/next-preset")
    want = "~~/shaders/" + names[(names.index(cur) + 1) % len(names)] + ".glsl"
    got = wait_for(lambda: p.mpv.get("glsl-shaders") == [want], 3)
    check(got is not None, f"next-preset: {before} -> [{want}] (got {p.mpv.get('glsl-shaders')})")
    p.mpv.command("script-binding", "cnnv3/toggle")
    check(wait_for(lambda: p.mpv.get("glsl-shaders") == [], 3) is not None, "toggle: the preset is off")
    p.mpv.command("script-binding", "cnnv3/toggle")
    check(wait_for(lambda: p.mpv.get("glsl-shaders") == [want], 3) is not None, "toggle: the same preset is back")


def main():
    clip = os.path.join(WORK, "clip.mp4")
    dynamic_presets = [r for r in presets_tsv() if r["cond"] is None]
    if not check(bool(dynamic_presets), "weights/presets.tsv lists a dynamic preset"):
        return
    dyn = dynamic_presets[0]
    model = dyn["model"]
    defaults = preset_defaults(dyn["name"])
    check(CNNV3 is not None and CNNV3.startswith(os.path.dirname(os.path.dirname(DATA)) + "/"),
          f"the cnnv3 on PATH is the installed one ({CNNV3})")

    # A track beside the file, with style_p0 keyed so that every column moves.
    track_path = os.path.join(WORK, "clip.cnnv3.csv")
    subprocess.run([CNNV3, "analyze", clip, "--style0", "0:0,4:1", "--style1", "0.25", "-o", track_path], check=True)
    rows = read_track(track_path)

    # --- A: vo=gpu-next, the track beside the file -------------------------------------------
    p = Player("a", "gpu-next", clip, dyn["name"])
    try:
        wait_for(lambda: (p.mpv.get("time-pos") or 0) > 0.3, 30)
        for i in range(5):
            t0 = p.mpv.get("time-pos")
            vals, strength = p.values()
            t1 = p.mpv.get("time-pos")
            # the script updates on mpv's time-pos events, a little behind the time read
            allowed = [r[1] for r in rows_between(rows, t0 - 0.5, t1)]
            check(vals in allowed and strength == "1",
                  f"playing, sample {i}: time-pos {t0:.3f}..{t1:.3f}: values {vals} are the track's rows there")
            time.sleep(0.25)
        p.mpv.set("pause", True)
        expect_values_at(p, rows, "paused")
        for target in (2.5, 0.7, 3.3, 0.0):
            p.mpv.command("seek", target, "absolute+exact")
            expect_values_at(p, rows, f"paused, after a seek to {target}")
        p.mpv.set("pause", False)
        time.sleep(0.6)
        p.mpv.set("pause", True)
        expect_values_at(p, rows, "paused again after playing on")
        p.mpv.set("pause", False)
        p.mpv.command("seek", 1.2, "absolute+exact")
        time.sleep(0.4)
        p.mpv.set("pause", True)
        expect_values_at(p, rows, "a seek while playing, then paused")
        check_fallback(p, rows, model, dyn["name"])
        if not renderer_has_params(p):
            # the dynamic preset put back by hand: replaced again, but not reported again
            dynamic_list = ["~~/shaders/" + dyn["name"] + ".glsl"]
            p.mpv.set("glsl-shaders", dynamic_list)
            again = wait_for(lambda: p.mpv.get("glsl-shaders") != dynamic_list and p.mpv.get("glsl-shaders"), 5)
            time.sleep(0.5)
            lines = p.log_text().splitlines()
            reports = sum(1 for l in lines if "[w][cnnv3]" in l and "cannot apply shader parameters" in l)
            quiet = [l for l in lines if "[v][cnnv3]" in l and "cannot apply shader parameters" in l]
            m = re.search(r"using the static preset (\S+) \(nearest to ([\d.,e-]+)\)", quiet[-1]) if quiet else None
            want = nearest_static(model, [float(x) for x in m.group(2).split(",")]) if m else None
            check(again == ["~~/shaders/" + want["name"] + ".glsl"] if want else False,
                  f"the dynamic preset loaded again is replaced again by the nearest static preset "
                  f"({want and want['name']}, got {again})")
            check(reports == 1, f"... without a second report ({reports} warnings in the log)")

        check_bindings(p)
    finally:
        p.quit()

    # --- B: vo=gpu, the track given by script-opts -------------------------------------------
    other = os.path.join(WORK, "elsewhere.csv")
    shutil.copy(track_path, other)
    os.rename(track_path, track_path + ".moved")
    # ... and cnnv3-reactivity=2: the first three values twice as far from the preset's defaults.
    p = Player("b", "gpu", clip, dyn["name"], script_opts="cnnv3-track=" + other + ",cnnv3-reactivity=2",
               extra=["--pause"])
    try:
        rest = [float(x) for x in defaults]
        reacting = [(t, [fmt_like_script(min(1.0, max(0.0, rest[k] + 2 * (float(v[k]) - rest[k])))) if k != 1
                         else v[k] for k in range(3)]
                     + v[3:5]) for t, v in rows]
        check(any(r[1][:3] != q[1][:3] for r, q in zip(reacting, rows)), "reactivity 2 changes the track's values")
        for target in (1.75, 0.3):
            p.mpv.command("seek", target, "absolute+exact")
            expect_values_at(p, reacting, f"vo=gpu, track from script-opts, reactivity 2, after a seek to {target}")
        check_fallback(p, reacting, model, dyn["name"])
    finally:
        p.quit()
    os.rename(track_path + ".moved", track_path)

    # --- C: no track: the script runs the cnnv3 on PATH and then follows its track ----------
    # The track goes to $XDG_CACHE_HOME/cnnv3, never beside the media; its style columns give way to
    # the same styles as live mode (the preset's defaults), so the look does not jump when it is ready.
    cdir = os.path.join(WORK, "c")
    os.makedirs(cdir, exist_ok=True)
    cclip = os.path.join(cdir, "song clip.mp4")
    shutil.copy(clip, cclip)
    p = Player("c-run", "gpu-next", cclip, dyn["name"], extra=["--pause"])
    try:
        pattern = re.compile(r"\[cnnv3\] conditioning from (" + re.escape(CACHE + "/song clip-") + r"[0-9a-f]{8}\.cnnv3\.csv) ")
        ready = wait_for(lambda: pattern.search(p.log_text()), 60)
        check(ready is not None, "no track: the script ran the installed cnnv3 analyze and switched to its track "
                                 "in $XDG_CACHE_HOME/cnnv3")
        check(os.listdir(cdir) == ["song clip.mp4"], f"nothing was written beside the media ({os.listdir(cdir)})")
        if ready:
            made = ready.group(1)
            ref = os.path.join(WORK, "c-ref.csv")
            subprocess.run([CNNV3, "analyze", cclip, "-o", ref], check=True, capture_output=True)
            with open(made, "rb") as a, open(ref, "rb") as b:
                check(a.read() == b.read(), "the track the script asked for is cnnv3 analyze's output")
            # SPEC §6: a plain `cnnv3 analyze` track takes its styles from the model's default_cond, the
            # preset's defaults, so track mode and live mode show the same look.
            plain_styles = {tuple(v[3:5]) for _, v in read_track(ref)}
            check(plain_styles == {tuple(defaults[3:5])},
                  f"a plain cnnv3 analyze track holds the preset's default styles {defaults[3:5]} (got {plain_styles})")
            crows = [(t, v[:3] + defaults[3:5]) for t, v in read_track(made)]
            for target in (1.9, 0.5):
                p.mpv.command("seek", target, "absolute+exact")
                expect_values_at(p, crows, f"analyzed track (styles: the preset's defaults {defaults[3:5]}), "
                                           f"after a seek to {target}")
    finally:
        p.quit()

    # --- D: live mode: no track, no analyze: a BPM grid and the audio's level ---------------
    ddir = os.path.join(WORK, "d")
    os.makedirs(ddir, exist_ok=True)
    dclip = os.path.join(ddir, "clip.mp4")
    shutil.copy(clip, dclip)
    bpm, offset, react = 120.0, 0.25, 0.5  # reactivity 0.5: half way from the preset's defaults
    p = Player("d", "gpu-next", dclip, dyn["name"],
               script_opts=f"cnnv3-analyze=no,cnnv3-bpm={bpm:g},cnnv3-beat_offset={offset:g},cnnv3-style_p0=0.7,"
                           f"cnnv3-reactivity={react}")
    try:
        levels = []
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            v = p.opts().get("audio_intensity")
            if v is not None:
                levels.append(float(v))
            time.sleep(0.05)
        check(len(levels) > 10 and all(0 <= x <= 1 for x in levels) and max(levels) > 0.3
              and min(levels) < max(levels) - 0.2,
              f"live: audio_intensity follows the audio's level (samples {len(levels)}, "
              f"min {min(levels or [0]):.3f}, max {max(levels or [0]):.3f})")
        check(any(f.get("label") == "cnnv3" for f in p.mpv.get("af")), "live: the astats filter is in the audio chain")
        p.mpv.set("pause", True)
        for target in (None, 1.37, 0.1):
            if target is not None:
                p.mpv.command("seek", target, "absolute+exact")
            t = p.settle()
            beats = (t - offset) * bpm / 60
            k = math.floor(beats)
            phase, norm = beats - k, ((k % 8) + beats - k) / 8
            rest = [float(x) for x in defaults]
            phase = rest[0] + react * (phase - rest[0])  # beat_norm: a phase, never scaled

            def matches():
                o = p.opts()
                return (abs(float(o["beat_phase"]) - phase) <= 2e-6 and abs(float(o["beat_norm"]) - norm) <= 2e-6
                        and o["style_p0"] == "0.7" and o["style_p1"] == defaults[4])
            check(wait_for(matches, 3) is not None,
                  f"live at time-pos {t:.6f}: beat_phase {phase:.6f}, beat_norm {norm:.6f} from the BPM grid "
                  f"at reactivity {react}, "
                  f"style_p0 from script-opts, style_p1 the preset's default {defaults[4]} as in track mode (got {p.opts()})")
    finally:
        p.quit()

    # --- E: live mode without a BPM: no beats, so beat_phase and beat_norm rest at the preset's
    # defaults (for recipe-v2 models beat_phase 0 is the full flash: 0 would flash without end) ---
    p = Player("e", "gpu-next", dclip, dyn["name"], script_opts="cnnv3-analyze=no")
    try:
        p.mpv.set("pause", True)
        p.settle()

        def resting():
            o = p.opts()
            return o.get("beat_phase") == defaults[0] and o.get("beat_norm") == defaults[1]
        check(wait_for(resting, 3) is not None,
              f"live without a BPM: beat_phase/beat_norm rest at the preset's defaults {defaults[:2]} (got {p.opts()})")
    finally:
        p.quit()


main()
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
