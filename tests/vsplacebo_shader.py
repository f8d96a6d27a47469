"""Runs a hook file through vs-placebo's placebo.Shader in a real VapourSynth core.

placebo.Shader takes only 16-bit YUV and returns YUV444P16. The lossless RGB route: the R, G, B
planes relabelled as YUV (no conversion), matrix=12 (RGB in libplacebo >= 5; it was 10 before),
full range (_ColorRange=0). The hook then sees R, G, B in [0, 1] at MAIN.

usage: vsplacebo_shader.py SHADER.glsl IN.raw W H OUT.raw   (planar u16 little-endian R, G, B)
"""
import sys

import numpy as np
import vapoursynth as vs

shader, src, width, height, dst = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
planes = np.fromfile(src, dtype="<u2").reshape(3, height, width)
core = vs.core
clip = core.std.BlankClip(width=width, height=height, format=vs.RGB48, length=1)


def fill(n, f):
    out = f.copy()
    for p in range(3):
        np.asarray(out[p])[:] = planes[p]
    return out


clip = core.std.ModifyFrame(clip, clip, fill)
yuv = core.std.SetFrameProps(core.std.ShufflePlanes(clip, [0, 1, 2], vs.YUV), _ColorRange=0)
result = core.placebo.Shader(yuv, shader=shader, matrix=12)
if result.format.id != vs.YUV444P16 or (result.width, result.height) != (width, height):
    sys.exit(f"vsplacebo_shader: unexpected output {result.format.name} {result.width}x{result.height}")
frame = result.get_frame(0)
np.stack([np.asarray(frame[p]) for p in range(3)]).astype("<u2").tofile(dst)
