#!/usr/bin/python3
"""Draw the CNN v3 architecture (SPEC §1, §3) as a PNG with matplotlib.

    /usr/bin/python3 training/diagram.py -o docs/architecture.png [--enc-channels 8,16]

Shows the U-Net (layers, channel counts, resolutions), the avgpool2 / up2 links, the skip
concatenations and the FiLM MLP feeding γ, β to enc0, enc1, dec1 and dec0.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from cnnv3.model import conv_weight_count, film_size  # noqa: E402

ENC, DEC, BOT, MLP, IO = "#cfe3f7", "#d8f0d2", "#f7e3c6", "#ead7f2", "#eeeeee"


def box(ax, x, y, w, h, title, lines, color):
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.12",
                                fc=color, ec="#333333", lw=1.2))
    ax.text(x, y + h / 2 - 0.22, title, ha="center", va="top", fontsize=11, weight="bold")
    ax.text(x, y + h / 2 - 0.55, "\n".join(lines), ha="center", va="top", fontsize=8.5,
            linespacing=1.35)


def arrow(ax, p, q, label=None, color="#333333", style="-|>", ls="-", rad=0.0, lpos=0.5,
          loff=(0.0, 0.0), fs=8.5):
    ax.add_patch(FancyArrowPatch(p, q, arrowstyle=style, mutation_scale=13, color=color, lw=1.4,
                                 ls=ls, connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))
    if label:
        x = p[0] + (q[0] - p[0]) * lpos + loff[0]
        y = p[1] + (q[1] - p[1]) * lpos + loff[1]
        ax.text(x, y, label, ha="center", va="center", fontsize=fs, color=color,
                bbox=dict(fc="white", ec="none", pad=1.0, alpha=0.9))


def draw(enc_channels, path):
    c0, c1 = enc_channels
    n = film_size(c0, c1)
    fig, ax = plt.subplots(figsize=(13, 8.6), dpi=110)
    ax.set_xlim(0, 13)
    ax.set_ylim(-0.5, 8.3)
    ax.axis("off")
    ax.set_title(f"CNN v3: U-Net with FiLM, enc_channels [{c0}, {c1}] — "
                 f"{conv_weight_count(c0, c1)} f16 conv weights, FiLM N = {n}", fontsize=13)

    bw, bh = 2.35, 1.35
    pos = {"in": (1.35, 5.2), "enc0": (3.9, 5.2), "enc1": (3.9, 3.05), "bott": (6.5, 1.05),
           "dec1": (9.1, 3.05), "dec0": (9.1, 5.2), "out": (11.65, 5.2)}
    box(ax, *pos["in"], bw, bh + 0.6, "features F", [
        "20 ch, H×W", "0-2 albedo  3-4 normal", "5 depth  6-7 depth_grad", "8 mat_id  9-11 prev",
        "12-17 mip1, mip2", "18 shadow  19 transp"], IO)
    box(ax, *pos["enc0"], bw, bh, "enc0", [f"conv3×3 20→{c0}, pad 1", "FiLM → ReLU",
                                          f"E0: {c0} ch, H×W"], ENC)
    box(ax, *pos["enc1"], bw, bh, "enc1", [f"conv3×3 {c0}→{c1}, pad 1", "FiLM → ReLU",
                                          f"E1: {c1} ch, H1×W1 (half)"], ENC)
    box(ax, *pos["bott"], bw + 0.3, bh, "bottleneck", [f"conv3×3 {c1}→{c1}, dil 2, pad 2",
                                                       "ReLU (no FiLM)",
                                                       f"B: {c1} ch, H2×W2 (quarter)"], BOT)
    box(ax, *pos["dec1"], bw, bh, "dec1", [f"conv3×3 {2 * c1}→{c0}, pad 1", "FiLM → ReLU",
                                          f"D1: {c0} ch, H1×W1"], DEC)
    box(ax, *pos["dec0"], bw, bh, "dec0", [f"conv3×3 {2 * c0}→4, pad 1", "FiLM → sigmoid",
                                          "out: 4 ch, H×W"], DEC)
    box(ax, *pos["out"], 1.9, bh, "output", ["ch 0-2: stylized RGB", "in [0, 1]",
                                            "ch 3: unused"], IO)

    h2 = bh / 2
    arrow(ax, (pos["in"][0] + bw / 2, 5.2), (pos["enc0"][0] - bw / 2, 5.2))
    arrow(ax, (pos["enc0"][0], 5.2 - h2), (pos["enc1"][0], 3.05 + h2), "avgpool2\n(ceil)",
          loff=(0.55, 0))
    arrow(ax, (pos["enc1"][0] + 0.5, 3.05 - h2), (pos["bott"][0] - 1.0, 1.05 + 0.1), "avgpool2",
          rad=0.25, loff=(-0.45, -0.3))
    arrow(ax, (pos["bott"][0] + 1.0, 1.05 + 0.1), (pos["dec1"][0] - 0.5, 3.05 - h2),
          "up2 nearest,\ncrop to H1×W1", rad=0.25, loff=(0.45, -0.3))
    arrow(ax, (pos["dec1"][0], 3.05 + h2), (pos["dec0"][0], 5.2 - h2), "up2 nearest,\ncrop to H×W",
          loff=(0.65, 0))
    arrow(ax, (pos["dec0"][0] + bw / 2, 5.2), (pos["out"][0] - 0.95, 5.2))
    # Skip connections: concat [up2(lower), skip] at the decoder input.
    arrow(ax, (pos["enc1"][0] + bw / 2, 3.05), (pos["dec1"][0] - bw / 2, 3.05),
          "skip: concat [up2(B), E1]", color="#1f6fb4", ls="--", loff=(0, -0.22), fs=8)
    arrow(ax, (pos["enc0"][0] + bw / 2, 5.05), (pos["dec0"][0] - bw / 2, 5.05),
          "skip: concat [up2(D1), E0]", color="#1f6fb4", ls="--", loff=(0, -0.22), fs=8)

    # FiLM MLP: enc0/dec0 get curved arrows from above, enc1/dec1 straight ones down the middle.
    my = 7.45
    box(ax, 6.5, my, 5.2, 1.15, "FiLM MLP (f32)", [
        "c (5) → Linear 5→16 → ReLU → Linear 16→N",
        "c = [beat_phase, beat_norm, audio_intensity, style_p0, style_p1]"], MLP)
    film = "#7b3294"
    top = my - 0.6
    arrow(ax, (4.6, top), (3.9, 5.2 + h2), f"γ,β enc0 ({c0}+{c0})", color=film, ls=":", rad=0.2,
          loff=(-0.45, 0.05), fs=8)
    arrow(ax, (8.4, top), (9.1, 5.2 + h2), "γ,β dec0 (4+4)", color=film, ls=":", rad=-0.2,
          loff=(0.45, 0.05), fs=8)
    arrow(ax, (5.95, top), (4.9, 3.05 + h2), f"γ,β enc1\n({c1}+{c1})", color=film, ls=":",
          lpos=0.3, loff=(0.05, 0.0), fs=8)
    arrow(ax, (7.05, top), (8.1, 3.05 + h2), f"γ,β dec1\n({c0}+{c0})", color=film, ls=":",
          lpos=0.3, loff=(-0.05, 0.0), fs=8)
    ax.text(0.2, -0.2, "FiLM on channel k: y = γ_k·x_k + β_k after the bias, before the activation."
            "   H1 = ⌈H/2⌉, H2 = ⌈H1/2⌉.   All convs 3×3 with zero padding.\n"
            f"MLP output order: γ, β of enc0, enc1, dec1, dec0 (N = {n}).   "
            "up2(y, x) = low(y >> 1, x >> 1).   avgpool2 averages only the in-image pixels of a window.",
            fontsize=8.5, ha="left", va="center")
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-o", "--output", default="docs/architecture.png")
    ap.add_argument("--enc-channels", default="8,16", help="c0,c1 to label (default 8,16)")
    args = ap.parse_args(argv)
    draw([int(v) for v in args.enc_channels.split(",")], args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
