"""Every documented command runs as written (issue 10): the ```sh blocks of README.md and docs/*.md,
taken from the Markdown, run with cnnv3 installed into a temporary prefix that is first on PATH, from a
folder outside the source tree that holds small inputs named as the docs name them.

Rules (docs/README.md, "Commands in the docs"):
  * a ```sh (or ```bash) block is run, as one bash script with -e -o pipefail, in a fresh folder per
    Markdown file (so a block may use what an earlier block of the same file wrote);
  * `<!-- not-run: REASON -->` on the line before the fence skips the block, for REASON (printed);
    `<!-- run: NAME -->` marks a block that another test also picks by NAME (tests/docs_presets_test.sh),
    which checks its output further; this test runs it too;
  * `<!-- fails: REASON -->` marks a command shown failing on purpose: it must exit non-zero;
  * a bare ``` block (no language) must not hold commands: a line starting with a known program is
    reported, so a command cannot hide from this test; synopses go in ```text blocks.

The environment is a user's after `meson install`: a fresh HOME, no CNNV3_MODEL_PATH, the venv's bin
on PATH (as after `. .venv/bin/activate`, for vspipe), the installed VapourSynth plugin autoloaded
(VAPOURSYNTH_EXTRA_PLUGIN_PATH, as a system VapourSynth autoloads LIBDIR/vapoursynth), stdin empty.

usage: documented_lines_test.py SOURCE_ROOT BUILD_DIR VENV_PYTHON
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markdown_blocks  # noqa: E402

SRC, BUILD, VENV_PYTHON = sys.argv[1], sys.argv[2], sys.argv[3]
RUN_LANGS = {"sh", "bash"}
PROGRAMS = ("cnnv3", "cnnv3-shadergen", "ffmpeg", "ffprobe", "vspipe", "mpv", "bash", "meson", "ninja",
            "python3", "/usr/bin/python3", "sudo", "cp", "mkdir")
COMMAND_LINE = re.compile(r"^\s*(\$\s+)?(" + "|".join(re.escape(p) for p in PROGRAMS) + r")\s")
FFMPEG_BANNER = ("  ", "ffmpeg version", "built with", "configuration:")
BLOCK_TIMEOUT = 300


def make_inputs(folder):
    """Small inputs under the names the docs use: 64x36, 1 s, with audio where a video has it."""
    def ff(*a):
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", *a], check=True)
    video = ["-f", "lavfi", "-i", "testsrc2=size=64x36:rate=24:duration=1",
             "-f", "lavfi", "-i", "sine=frequency=220:beep_factor=4:duration=1"]
    ff(*video, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", os.path.join(folder, "clip.mp4"))
    ff(*video, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-shortest", os.path.join(folder, "in.mkv"))
    ff(*video, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", os.path.join(folder, "input.mp4"))
    ff("-f", "lavfi", "-i", "sine=frequency=220:beep_factor=4:duration=1", os.path.join(folder, "song.flac"))
    ff("-f", "lavfi", "-i", "testsrc2=size=64x36", "-frames:v", "1", os.path.join(folder, "photo.png"))


def environment(prefix, home, plugin_dir):
    env = {k: v for k, v in os.environ.items()
           if k not in ("CNNV3_MODEL_PATH", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "PWD", "OLDPWD")}
    path = [os.path.join(prefix, "bin")]
    if os.path.exists(VENV_PYTHON):
        path.append(os.path.dirname(VENV_PYTHON))
    env.update(HOME=home, PATH=os.pathsep.join(path + [os.environ["PATH"]]))
    if plugin_dir:
        env["VAPOURSYNTH_EXTRA_PLUGIN_PATH"] = plugin_dir
    return env


def stderr_tail(text, lines=15):
    kept = [l for l in text.splitlines() if not l.startswith(FFMPEG_BANNER)]
    return "\n".join("     | " + l for l in kept[-lines:])


def main():
    work = tempfile.mkdtemp(prefix="cnnv3-docs-")
    failures = []
    try:
        prefix = subprocess.run(["bash", os.path.join(SRC, "tests/install/install_prefix.sh"), BUILD,
                                 os.path.join(work, "dest")], check=True, capture_output=True, text=True).stdout.strip()
        plugins = glob.glob(os.path.join(work, "dest", "**", "libcnnv3vs.so"), recursive=True)
        home = os.path.join(work, "home")
        os.makedirs(home)
        # VapourSynth finds its Python through vapoursynth.toml in the user's config (`vapoursynth config`)
        vs_conf = os.path.join(os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "vapoursynth")
        if os.path.isdir(vs_conf):
            shutil.copytree(vs_conf, os.path.join(home, ".config", "vapoursynth"))
        env = environment(prefix, home, os.path.dirname(plugins[0]) if plugins else "")
        inputs = os.path.join(work, "inputs")
        os.makedirs(inputs)
        make_inputs(inputs)
        print(f"installed into {prefix}; inputs {sorted(os.listdir(inputs))}; HOME={home}", flush=True)

        docs = [os.path.join(SRC, "README.md")] + sorted(glob.glob(os.path.join(SRC, "docs", "*.md")))
        ran = skipped = 0
        for doc in docs:
            name = os.path.relpath(doc, SRC)
            folder = os.path.join(work, "run", name.replace("/", "_"))
            shutil.copytree(inputs, folder)
            env["PWD"] = folder
            for b in markdown_blocks.blocks(doc):
                where = f"{name}:{b.line}"
                if b.lang == "":
                    hidden = [l for l in b.text.splitlines() if COMMAND_LINE.match(l)]
                    if hidden:
                        failures.append(where)
                        print(f"FAIL {where}: a bare ``` block holds a command; make it ```sh (run by this test) "
                              f"or ```text (a synopsis): {hidden[0].strip()}", flush=True)
                    continue
                if b.lang not in RUN_LANGS:
                    continue
                if b.marker == "not-run":
                    if not b.reason:
                        failures.append(where)
                        print(f"FAIL {where}: <!-- not-run: --> without a reason", flush=True)
                    else:
                        skipped += 1
                        print(f"skip {where}: not-run: {b.reason}", flush=True)
                    continue
                script = os.path.join(work, "block.sh")
                with open(script, "w") as f:
                    # one prelude line, so that the block's line k is the script's line k + 1
                    f.write("set -eo pipefail; trap 'echo \"@@failed at line $LINENO: $BASH_COMMAND\" >&2' ERR\n")
                    f.write(b.text)
                start = time.monotonic()
                try:
                    done = subprocess.run(["bash", "--noprofile", "--norc", script], cwd=folder, env=env,
                                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                          timeout=BLOCK_TIMEOUT)
                    rc, err = done.returncode, done.stderr
                except subprocess.TimeoutExpired as e:
                    rc, err = "timeout", (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
                ran += 1
                if b.marker == "fails":
                    if rc not in (0, "timeout"):
                        print(f"ok   {where} fails as documented ({b.reason}): exit status {rc}", flush=True)
                        print(stderr_tail(re.sub(r"@@failed at line.*\n?", "", err), 3), flush=True)
                        continue
                    failures.append(where)
                    print(f"FAIL {where}: documented to fail ({b.reason}) but exit status {rc}\n"
                          + "".join("     > " + l + "\n" for l in b.text.splitlines()), end="", flush=True)
                    continue
                if rc == 0:
                    print(f"ok   {where} ({time.monotonic() - start:.1f} s)", flush=True)
                    continue
                failures.append(where)
                m = re.search(r"@@failed at line (\d+): (.*)", err)
                if m:
                    line = b.line + int(m.group(1)) - 1
                    text = b.text.splitlines()[int(m.group(1)) - 2] if int(m.group(1)) >= 2 else m.group(2)
                    print(f"FAIL {name}:{line}: {text.strip()}\n     exit status {rc}", flush=True)
                else:
                    print(f"FAIL {where}: exit status {rc}\n" + "".join("     > " + l + "\n" for l in b.text.splitlines()),
                          end="", flush=True)
                print(stderr_tail(re.sub(r"@@failed at line.*\n?", "", err)), flush=True)
        print(f"{ran} blocks run, {skipped} skipped by their marker, {len(failures)} failure(s)"
              + (": " + ", ".join(failures) if failures else ""))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


sys.exit(main())
