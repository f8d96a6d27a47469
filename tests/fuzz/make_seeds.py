"""Seed corpora for the fuzzers.

usage: make_seeds.py VECTORS_DIR CORPUS_DIR     model-fuzzer: the committed test-vector models, and
                                                model.json nested deeper than the parser allows
       make_seeds.py --png CORPUS_DIR           png-fuzzer: small PNGs of every colour type and bit
                                                depth, progressive and Adam7, with PLTE and tRNS
       make_seeds.py --text CORPUS_DIR          text-fuzzer: beat-times files (first byte 0),
                                                conditioning CSVs (1), style curves (2), --cond (3),
                                                the shared conditioning options, NUL-separated (4),
                                                weights/presets.tsv (5), GPU variants (6)
       make_seeds.py --track-lua CORPUS_DIR     track-lua-fuzzer: conditioning tracks (CSV) for the
                                                mpv script's reader

model-fuzzer input layout (see model_fuzzer.cpp): flag byte, u16 manifest length, u16 weights
length in halves, then model.json text, weights bytes, MLP bytes.
"""
import pathlib
import random
import re
import runpy
import struct
import sys
import zlib


def model_seeds(vectors, corpus):
    def seed(name, flag, manifest, weights, mlp):
        assert len(manifest) < 1 << 16
        head = struct.pack("<BHH", flag, len(manifest) if flag else 0, len(weights) // 2)
        (corpus / name).write_bytes(head + (manifest if flag else b"") + weights + mlp)

    models = sorted(p for p in vectors.iterdir() if (p / "model.json").exists())
    for model in models:
        manifest = (model / "model.json").read_bytes()
        weights = (model / "cnn_v3_weights.bin").read_bytes()
        mlp = (model / "cnn_v3_film_mlp.bin").read_bytes()
        for flag in (0, 1):
            seed(f"{model.name}-{flag}", flag, manifest, weights, mlp)
    # Nesting far past the depth limit (a stack overflow before it existed), in "version" and in
    # "enc_channels" of a real manifest, a manifest followed by NUL bytes and one with "styles".
    depth = 30000
    manifest = (models[0] / "model.json").read_bytes()
    weights = (models[0] / "cnn_v3_weights.bin").read_bytes()
    mlp = (models[0] / "cnn_v3_film_mlp.bin").read_bytes()
    seed("deep-version", 1, b'{"format":"cnnv3-model","version":' + b"[" * depth + b"]" * depth + b"}", b"", b"")
    deep_enc = re.sub(rb'("enc_channels"\s*:\s*)\[[^\]]*\]', lambda m: m.group(1) + b"[" * depth + b"]" * depth,
                      manifest, count=1)
    seed("deep-enc-channels", 1, deep_enc, weights, mlp)
    seed("unclosed", 1, b"[" * depth, b"", b"")
    seed("trailing-nuls", 1, manifest + bytes(64), weights, mlp)
    seed("styles", 1, manifest.replace(b"{", b'{"styles": ["ink", "paint"], ', 1), weights, mlp)


# Adam7 passes: first column, first row, column step, row step.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def png(width, height, color_type, depth, samples, interlaced, plte=None, trns=None):
    """PNG bytes; `samples` is a function (x, y, channel) -> value < 2^depth (an index for palette)."""
    channels = CHANNELS[color_type]

    def row(y, xs):
        bits = "".join(format(samples(x, y, c), f"0{depth}b") for x in xs for c in range(channels))
        bits += "0" * (-len(bits) % 8)
        return b"\0" + int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""

    if interlaced:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs = range(x0, width, dx)
            if len(xs):
                raw += b"".join(row(y, xs) for y in range(y0, height, dy))
    else:
        raw = b"".join(row(y, range(width)) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0,
                                                             1 if interlaced else 0))
    if plte:
        out += chunk(b"PLTE", plte)
    if trns:
        out += chunk(b"tRNS", trns)
    return out + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def png_seeds(corpus):
    rng = random.Random(16)
    kinds = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8),
             (4, 8), (4, 16), (6, 8), (6, 16)]
    for color_type, depth in kinds:
        width, height = 9, 7  # odd: some Adam7 passes are short or empty
        levels = 1 << depth
        plte = trns = None
        if color_type == 3:
            levels = min(levels, 16)
            plte = bytes(rng.randrange(256) for _ in range(3 * levels))
            trns = bytes([0, 128, 255][:levels])
        elif color_type == 0 and depth == 8:
            trns = struct.pack(">H", 7)  # gray colour key
        elif color_type == 2 and depth == 8:
            trns = struct.pack(">HHH", 1, 2, 3)  # RGB colour key
        pixels = {(x, y, c): rng.randrange(levels) for x in range(width) for y in range(height) for c in range(4)}
        for interlaced in (False, True):  # the same picture both ways
            data = png(width, height, color_type, depth, lambda x, y, c: pixels[x, y, c], interlaced, plte, trns)
            (corpus / f"type{color_type}-{depth}bit-{'adam7' if interlaced else 'progressive'}.png").write_bytes(data)
    (corpus / "1x1.png").write_bytes(png(1, 1, 2, 8, lambda x, y, c: 200, False))


def text_seeds(corpus):
    beats = b"# beat times in seconds, one per line (cnnv3 analyze)\n0.250000\n0.750000\n1.250000  # a comment\n\n1.75\n"
    (corpus / "beats").write_bytes(b"\0" + beats)
    (corpus / "beats-crlf").write_bytes(b"\0" + beats.replace(b"\n", b"\r\n"))
    (corpus / "track").write_bytes(b"\1" + track(4))
    (corpus / "style-constant").write_bytes(b"\2" + b"0.75")
    (corpus / "style-keys").write_bytes(b"\2" + b"0:0.1,2.5:0.9,10:0.4")
    (corpus / "cond").write_bytes(b"\3" + b"0.5,0,1,0.25,1")
    options = [b"--bpm", b"128", b"--offset", b"0.25", b"--style0", b"0:0.1,4:0.9", b"--style1", b"0.5",
               b"--reactivity", b"1.5", b"in.wav"]
    (corpus / "options-grid").write_bytes(b"\4" + b"\0".join(options))
    (corpus / "options-beats").write_bytes(b"\4" + b"\0".join([b"--beats", b"beats.txt", b"--bpm"]))
    presets = pathlib.Path(__file__).resolve().parents[2] / "weights" / "presets.tsv"
    (corpus / "presets").write_bytes(b"\5" + presets.read_bytes())
    for variant in (b"auto", b"tc", b"tc3", b"hook", b"f32", b"f16s-48k", b"f16-32k"):
        (corpus / ("variant-" + variant.decode())).write_bytes(b"\6" + variant)


def track(frames):
    """A conditioning track as `cnnv3 analyze` writes it, with `frames` rows."""
    # The header generated from shadergen/conditioning_names.h (the module imports nothing).
    conditioning = pathlib.Path(__file__).resolve().parents[2] / "training" / "cnnv3" / "conditioning.py"
    rows = [runpy.run_path(str(conditioning))["CONDITIONING_CSV_HEADER"].encode()]
    for i in range(frames):
        rows.append(b"%d,%.6f,%g,%g,%g,0.5,0.5" % (i, i / 24, i / 4 % 1, i / 8 % 1, 0.25 * (i % 5)))
    return b"\n".join(rows) + b"\n"


def track_lua_seeds(corpus):
    good = track(6)
    (corpus / "track").write_bytes(good)
    (corpus / "track-crlf").write_bytes(good.replace(b"\n", b"\r\n"))
    (corpus / "track-one-row").write_bytes(track(1))
    (corpus / "track-blank-lines").write_bytes(good.replace(b"\n", b"\n\n", 3))
    (corpus / "track-out-of-range").write_bytes(good.replace(b",0.5,0.5\n", b",0.5,1.5\n", 1))
    (corpus / "track-time-back").write_bytes(good.replace(b"0.083333", b"0.010000", 1))
    (corpus / "track-header-only").write_bytes(good.split(b"\n")[0] + b"\n")
    (corpus / "track-no-newline").write_bytes(good.rstrip(b"\n"))


if __name__ == "__main__":
    if sys.argv[1] in ("--png", "--text", "--track-lua"):
        out = pathlib.Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        {"--png": png_seeds, "--text": text_seeds, "--track-lua": track_lua_seeds}[sys.argv[1]](out)
    else:
        out = pathlib.Path(sys.argv[2])
        out.mkdir(parents=True, exist_ok=True)
        model_seeds(pathlib.Path(sys.argv[1]), out)
