"""A small Standard MIDI File reader: the tempo map, time signatures and note span of a song, and
its beat times (written for the real-music beat benchmark, bench/beats_real_music.sh).

Only what the benchmark needs is decoded: tempo (FF 51), time signature (FF 58) and note on/off
events; everything else is skipped by its length. Times are exact: ticks are converted to seconds
through the piecewise-constant tempo map (default 120 BPM until the first tempo event).

Beats: each bar of an n/d signature has n beats of one 1/d note (so 4/4 and 3/4 beat in quarter
notes, 2/2 in half notes), except the compound meters 6/8, 9/8, 12/8 (and /16 likewise), which beat
in dotted units of three 1/d notes (two beats per 6/8 bar). Bars start at tick 0 and at every time
signature change (a change in the middle of a bar starts a new bar there, as sequencers do).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field


class MidiError(Exception):
    pass


@dataclass
class Song:
    division: int                                    # ticks per quarter note
    tempos: list[tuple[int, int]] = field(default_factory=list)       # (tick, µs per quarter)
    signatures: list[tuple[int, int, int]] = field(default_factory=list)  # (tick, numerator, denominator)
    notes: list[tuple[int, int, int, int]] = field(default_factory=list)  # (on tick, off tick, channel, key)
    end_tick: int = 0

    def seconds(self, tick: float) -> float:
        """Time of a tick in seconds through the tempo map."""
        t = 0.0
        prev_tick, prev_tempo = 0, 500000
        for tk, tempo in self.tempos:
            if tk >= tick:
                break
            t += (tk - prev_tick) * prev_tempo / (1e6 * self.division)
            prev_tick, prev_tempo = tk, tempo
        return t + (tick - prev_tick) * prev_tempo / (1e6 * self.division)

    def bpm_at(self, tick: float) -> float:
        """Quarter notes per minute at a tick."""
        tempo = 500000
        for tk, tp in self.tempos:
            if tk > tick:
                break
            tempo = tp
        return 60e6 / tempo

    def beat_ticks(self) -> list[float]:
        """Ticks of every beat from tick 0 to the end of the song (see the module comment)."""
        sigs = list(self.signatures) or [(0, 4, 4)]
        if sigs[0][0] > 0:
            sigs.insert(0, (0, 4, 4))
        # Keep the last signature given at any one tick.
        dedup: dict[int, tuple[int, int]] = {}
        for tk, n, d in sigs:
            dedup[tk] = (n, d)
        starts = sorted(dedup)
        out: list[float] = []
        for i, tk in enumerate(starts):
            n, d = dedup[tk]
            unit = self.division * 4.0 / d
            if d >= 8 and n % 3 == 0 and n > 3:
                unit *= 3.0
            stop = starts[i + 1] if i + 1 < len(starts) else self.end_tick + unit
            t = float(tk)
            while t < stop - 1e-9:
                out.append(t)
                t += unit
        return out

    def beat_unit_bpm(self, tick: float) -> float:
        """Beats per minute at a tick, in the beat unit of the signature there."""
        n, d = 4, 4
        for tk, nn, dd in self.signatures:
            if tk > tick:
                break
            n, d = nn, dd
        quarters = 4.0 / d * (3.0 if d >= 8 and n % 3 == 0 and n > 3 else 1.0)
        return self.bpm_at(tick) / quarters


def _varlen(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    for _ in range(4):
        if pos >= len(data):
            raise MidiError("truncated variable-length number")
        b = data[pos]
        pos += 1
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            return value, pos
    raise MidiError("variable-length number longer than 4 bytes")


def parse(data: bytes) -> Song:
    if data[:4] != b"MThd":
        raise MidiError("not a Standard MIDI File (no MThd)")
    hlen, fmt, ntracks, division = struct.unpack(">IHHH", data[4:14])
    if division & 0x8000:
        raise MidiError("SMPTE time division is not supported")
    song = Song(division=division)
    pos = 8 + hlen
    for _ in range(ntracks):
        if data[pos:pos + 4] != b"MTrk":
            raise MidiError(f"expected MTrk at byte {pos}")
        (length,) = struct.unpack(">I", data[pos + 4:pos + 8])
        _parse_track(data[pos + 8:pos + 8 + length], song)
        pos += 8 + length
    # Stable sorts by tick: of several events at one tick the one later in the file wins.
    song.tempos.sort(key=lambda e: e[0])
    song.signatures.sort(key=lambda e: e[0])
    song.notes.sort()
    return song


def _parse_track(trk: bytes, song: Song) -> None:
    pos, tick, status = 0, 0, 0
    held: dict[tuple[int, int], list[int]] = {}
    while pos < len(trk):
        delta, pos = _varlen(trk, pos)
        tick += delta
        b = trk[pos]
        if b & 0x80:
            status = b
            pos += 1
        elif status == 0:
            raise MidiError("running status without a status byte")
        if status == 0xFF:
            kind = trk[pos]
            length, pos = _varlen(trk, pos + 1)
            body = trk[pos:pos + length]
            pos += length
            if kind == 0x51 and length == 3:
                song.tempos.append((tick, (body[0] << 16) | (body[1] << 8) | body[2]))
            elif kind == 0x58 and length >= 2:
                song.signatures.append((tick, body[0], 1 << body[1]))
            elif kind == 0x2F:
                break
            status = 0
        elif status in (0xF0, 0xF7):
            length, pos = _varlen(trk, pos)
            pos += length
            status = 0
        else:
            kind, ch = status & 0xF0, status & 0x0F
            if kind in (0xC0, 0xD0):
                pos += 1
                continue
            key, vel = trk[pos], trk[pos + 1]
            pos += 2
            if kind == 0x90 and vel > 0:
                held.setdefault((ch, key), []).append(tick)
            elif kind == 0x80 or (kind == 0x90 and vel == 0):
                starts = held.get((ch, key))
                if starts:
                    song.notes.append((starts.pop(0), tick, ch, key))
    song.end_tick = max(song.end_tick, tick)
    for (ch, key), starts in held.items():
        for s in starts:
            song.notes.append((s, tick, ch, key))
