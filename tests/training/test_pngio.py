"""The PNG reader keeps 16-bit values and undoes every PNG row filter."""

import struct
import zlib

import numpy as np

from cnnv3.pngio import read_float, read_png, write_png


def test_png_16bit_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    for shape in [(5, 7, 3), (4, 3), (1, 1, 3)]:
        a = rng.integers(0, 65536, shape, dtype=np.uint16)
        write_png(tmp_path / "a.png", a)
        b, top = read_png(tmp_path / "a.png")
        assert top == 65535 and np.array_equal(b.reshape(a.shape), a)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def encode_with_filters(arr16):
    """Encode a 16-bit RGB image using filter type (row % 5) so every filter is exercised."""
    h, w, _ = arr16.shape
    rows = arr16.astype(">u2").reshape(h, -1).view(np.uint8).astype(int)
    bpp, out, prev = 6, bytearray(), np.zeros(rows.shape[1], int)
    for y in range(h):
        ft, cur = y % 5, rows[y]
        line = []
        for i in range(len(cur)):
            a = cur[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ft]
            line.append((cur[i] - pred) & 255)
        out += bytes([ft] + line)
        prev = cur

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(out))) + chunk(b"IEND", b""))


def test_png_reader_undoes_all_filters(tmp_path):
    a = np.random.default_rng(1).integers(0, 65536, (10, 9, 3), dtype=np.uint16)
    (tmp_path / "f.png").write_bytes(encode_with_filters(a))
    b, top = read_png(tmp_path / "f.png")
    assert top == 65535 and np.array_equal(b, a)


def test_read_float_widens_gray_and_scales(tmp_path):
    write_png(tmp_path / "g.png", np.array([[0, 255]], np.uint8))
    f = read_float(tmp_path / "g.png", 3)
    assert f.shape == (1, 2, 3) and f[0, 1, 2] == 1.0 and f[0, 0, 0] == 0.0
