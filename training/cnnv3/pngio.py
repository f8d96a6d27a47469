"""Minimal PNG reader/writer that keeps 16-bit values exact.

PIL silently reduces 16-bit RGB PNGs to 8 bits, and the sample files (normal.png) and the C++
reference output are 16-bit RGB, so reading is done here with zlib + numpy. Non-interlaced gray,
gray+alpha, RGB and RGBA at 8 or 16 bits are decoded directly; anything else (palette, interlaced,
other bit depths, non-PNG files) falls back to PIL, which is exact for those at 8 bits.
"""

import struct
import zlib

import numpy as np

_SIG = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 4: 2, 2: 3, 6: 4}  # PNG colour type -> channel count


def _unfilter(raw, h, stride, bpp):
    """Undo the PNG per-row filters. None/Sub/Up rows are vectorised; Average/Paeth loop in Python."""
    data = np.frombuffer(raw, np.uint8).reshape(h, stride + 1)
    out = np.zeros((h, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(h):
        ftype, row = data[y, 0], data[y, 1:]
        if ftype == 0:
            cur = row.copy()
        elif ftype == 1:  # Sub: running sum of bytes bpp apart, mod 256
            pad = (-stride) % bpp
            r = np.concatenate([row, np.zeros(pad, np.uint8)]).reshape(-1, bpp).astype(np.int64)
            cur = (np.cumsum(r, axis=0) % 256).astype(np.uint8).reshape(-1)[:stride]
        elif ftype == 2:  # Up
            cur = row + prev  # uint8 wraps mod 256
        elif ftype in (3, 4):
            cur = bytearray(row.tobytes())
            up = prev.tobytes()
            if ftype == 3:
                for i in range(stride):
                    left = cur[i - bpp] if i >= bpp else 0
                    cur[i] = (cur[i] + ((left + up[i]) >> 1)) & 255
            else:
                for i in range(stride):
                    if i >= bpp:
                        a, c = cur[i - bpp], up[i - bpp]
                    else:
                        a = c = 0
                    b = up[i]
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if (pa <= pb and pa <= pc) else (b if pb <= pc else c)
                    cur[i] = (cur[i] + pred) & 255
            cur = np.frombuffer(bytes(cur), np.uint8)
        else:
            raise ValueError(f"bad PNG filter type {ftype} in row {y}")
        out[y] = cur
        prev = cur
    return out


def read_png(path):
    """Read an image -> (array H×W×C of uint8 or uint16, max value). C is 1..4 as stored."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:8] == _SIG:
        pos, idat, ihdr = 8, [], None
        while pos + 8 <= len(blob):
            (length,) = struct.unpack(">I", blob[pos:pos + 4])
            kind, body = blob[pos + 4:pos + 8], blob[pos + 8:pos + 8 + length]
            pos += 12 + length
            if kind == b"IHDR":
                ihdr = struct.unpack(">IIBBBBB", body)
            elif kind == b"IDAT":
                idat.append(body)
            elif kind == b"IEND":
                break
        if ihdr is not None:
            w, h, bits, ctype, _comp, _filt, interlace = ihdr
            if bits in (8, 16) and ctype in _CHANNELS and interlace == 0:
                ch = _CHANNELS[ctype]
                bpp = ch * bits // 8
                rows = _unfilter(zlib.decompress(b"".join(idat)), h, w * bpp, bpp)
                if bits == 16:
                    arr = rows.view(">u2").astype(np.uint16).reshape(h, w, ch)
                    return arr, 65535
                return rows.reshape(h, w, ch), 255
    from PIL import Image  # palette / interlaced / low bit depth / other formats

    with Image.open(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L"):
            return np.asarray(im, dtype=np.uint16)[..., None], 65535
        if im.mode not in ("L", "LA", "RGB", "RGBA"):
            im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
        arr = np.asarray(im, dtype=np.uint8)
        return (arr[..., None] if arr.ndim == 2 else arr), 255


def read_float(path, channels):
    """Read an image as float32 H×W×channels in [0, 1] (gray widened, alpha dropped as needed)."""
    arr, top = read_png(path)
    arr = arr.astype(np.float32) / float(top)
    have = arr.shape[2]
    if have in (2, 4):  # drop alpha
        arr, have = arr[:, :, :have - 1], have - 1
    if channels == 1:
        if have == 3:  # a gray file saved as RGB: take the first channel
            arr = arr[:, :, :1]
        return np.ascontiguousarray(arr)
    if have == 1:
        arr = np.repeat(arr, channels, axis=2)
    return np.ascontiguousarray(arr[:, :, :channels])


def write_png(path, arr):
    """Write uint8/uint16 H×W (gray) or H×W×3 / H×W×4 as a plain PNG (filter 0), values unchanged."""
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    h, w, ch = arr.shape
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[ch]
    bits = 16 if arr.dtype == np.uint16 else 8
    if arr.dtype not in (np.uint8, np.uint16):
        raise ValueError(f"write_png needs uint8 or uint16, got {arr.dtype}")
    rows = arr.astype(">u2" if bits == 16 else np.uint8).reshape(h, -1).view(np.uint8)
    raw = np.hstack([np.zeros((h, 1), np.uint8), rows]).tobytes()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    with open(path, "wb") as f:
        f.write(_SIG)
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, ctype, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 6)))
        f.write(chunk(b"IEND", b""))
