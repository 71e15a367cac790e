"""Unit tests for the framepipe Python package (python/framepipe/).

Run from the repo root: ``/usr/bin/python3 -m unittest -v python/test_framepipe.py``.

Streams are produced by a small encoder written here from docs/FORMAT.md (independent of
the reader). Run as ``python3 test_framepipe.py produce [--count N] [--shard I/N] ...``
this file is also the producer command used by the subprocess / DataLoader tests.
"""

from __future__ import annotations

import io
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import unittest

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import framepipe  # noqa: E402
from framepipe import FrameStreamError  # noqa: E402

try:
    import torch
except Exception as e:  # noqa: BLE001 - any import failure means "no torch here"
    torch = None
    TORCH_MISSING = f"torch is not importable with {sys.executable}: {e}"
else:
    TORCH_MISSING = ""

# --------------------------------------------------------------------------------------------
# Independent encoder (docs/FORMAT.md)
# --------------------------------------------------------------------------------------------

REC = struct.Struct("<4sBBBBIIIIQqdQ")  # 56 bytes, little-endian
assert REC.size == 56


def record(kind: bytes, meta: dict | None = None, payload: bytes = b"", *, c: int = 0,
           w: int = 0, h: int = 0, seq: int = 0, position: int = 0, timestamp: float = 0.0,
           layout: int = 0, magic: bytes = b"FPIP", version: int = 1) -> bytes:
    m = json.dumps(meta if meta is not None else {}).encode("utf-8")
    return REC.pack(magic, kind[0], version, 0, layout, c, w, h, len(m), seq, position,
                    timestamp, len(payload)) + m + payload


def header(classes=(), **extra) -> bytes:
    meta = {"format": "framepipe", "version": 1, "producer": "test-encoder",
            "source": "unit test", "classes": list(classes), "layout": "chw",
            "dtype": "uint8", "width": 0, "height": 0, "channels": 0}
    meta.update(extra)
    return record(b"H", meta)


def frame(payload, c: int, w: int, h: int, *, seq: int, labels=(), key=None, layout=0,
          position=None, timestamp=0.0, **extra) -> bytes:
    payload = bytes(payload)
    assert len(payload) == c * w * h
    meta = {"key": key if key is not None else f"img{seq:03d}.jpg", "labels": list(labels),
            "epoch": 0}
    meta.update(extra)
    return record(b"F", meta, payload, c=c, w=w, h=h, seq=seq,
                  position=seq if position is None else position, timestamp=timestamp,
                  layout=layout)


def end(frames: int, **extra) -> bytes:
    meta = {"frames": frames, "skipped": 0, "errors": 0, "dropped": 0, "reconnects": 0,
            "elapsed_s": 0.5, "reason": "end"}
    meta.update(extra)
    return record(b"E", meta)


def seed_frame(values, tag: int) -> bytes:
    values = list(values)
    return struct.pack("<HI", tag, len(values)) + struct.pack(f"<{len(values)}H", *values)


def pixels(seq: int, n: int) -> bytes:
    return bytes((seq * 7 + i) % 256 for i in range(n))


def simple_stream(count: int = 3, c: int = 3, w: int = 10, h: int = 5, classes=("a", "b"),
                  with_end: bool = True) -> bytes:
    out = [header(classes)]
    for s in range(count):
        out.append(frame(pixels(s, c * w * h), c, w, h, seq=s, labels=[s % 2]))
    if with_end:
        out.append(end(count))
    return b"".join(out)


class Dribble(io.RawIOBase):
    """A stream that returns 1-7 bytes per readinto (short reads)."""

    def __init__(self, data: bytes, seed: int = 0):
        self._data = memoryview(data)
        self._pos = 0
        self._rng = random.Random(seed)

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = min(len(buf), self._rng.randint(1, 7), len(self._data) - self._pos)
        buf[:n] = self._data[self._pos:self._pos + n]
        self._pos += n
        return n


class ReadOnly:
    """A file-like object with read() only (no readinto), also short."""

    def __init__(self, data: bytes):
        self._f = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._f.read(min(n, 5) if n and n > 0 else n)


# --------------------------------------------------------------------------------------------
# The reader
# --------------------------------------------------------------------------------------------


class ChwContractTest(unittest.TestCase):
    def test_chw_index_semantics(self):
        # W=10, H=5, C=3: pixel (x, y, c) is payload[c*50 + y*10 + x]
        data = header() + frame(np.arange(150, dtype=np.uint8).tobytes(), 3, 10, 5, seq=0) + end(1)
        (meta, arr), = list(framepipe.read_frames(data))
        self.assertEqual(arr.shape, (3, 5, 10))
        self.assertEqual(arr.dtype, np.uint8)
        self.assertEqual(meta["layout"], "chw")
        self.assertEqual(arr[:, 0, 0].tolist(), [0, 50, 100])    # (x=0, y=0)
        self.assertEqual(arr[:, 0, 1].tolist(), [1, 51, 101])    # (x=1, y=0)
        self.assertEqual(arr[:, 1, 0].tolist(), [10, 60, 110])   # (x=0, y=1)
        self.assertEqual(arr[:, 2, 0].tolist(), [20, 70, 120])   # (x=0, y=2)
        for c in range(3):
            for y in range(5):
                for x in range(10):
                    self.assertEqual(arr[c, y, x], c * 50 + y * 10 + x)

    def test_hwc_index_semantics(self):
        c, w, h = 3, 10, 5
        data = header() + frame(np.arange(150, dtype=np.uint8).tobytes(), c, w, h, seq=0,
                                layout=1) + end(1)
        (meta, arr), = list(framepipe.read_frames(data))
        self.assertEqual(meta["layout"], "hwc")
        self.assertEqual(arr.shape, (5, 10, 3))
        for y in range(h):
            for x in range(w):
                for ch in range(c):
                    self.assertEqual(arr[y, x, ch], (y * w + x) * c + ch)

    def test_grey(self):
        data = header() + frame(bytes(range(12)), 1, 4, 3, seq=0) + end(1)
        (meta, arr), = list(framepipe.read_frames(data))
        self.assertEqual(arr.shape, (1, 3, 4))
        self.assertEqual(arr[0, 2, 3], 11)


class FrameFormatTest(unittest.TestCase):
    def test_header_frames_end(self):
        data = (header(["Preparation", "Clipping"], source="images fixtures/frames")
                + frame(pixels(0, 150), 3, 10, 5, seq=0, labels=[1], key="v/a.jpg", position=4,
                        timestamp=1700000000123.5, epoch=2, gap=3, custom={"x": 1})
                + frame(pixels(1, 150), 3, 10, 5, seq=1, labels=[], key="v/b.jpg", position=7)
                + frame(pixels(2, 24), 1, 6, 4, seq=2, labels=[0, 1], key="v/c.jpg")
                + end(3, skipped=1, reason="limit"))
        reader = framepipe.FrameReader(data)
        self.assertEqual(reader.header["source"], "images fixtures/frames")
        self.assertEqual(reader.classes, ["Preparation", "Clipping"])
        self.assertIsNone(reader.end)
        items = list(reader)
        self.assertEqual(len(items), 3)
        m0, a0 = items[0]
        self.assertEqual(m0["seq"], 0)
        self.assertEqual(m0["position"], 4)
        self.assertEqual(m0["timestamp"], 1700000000123.5)
        self.assertEqual((m0["width"], m0["height"], m0["channels"]), (10, 5, 3))
        self.assertEqual(m0["key"], "v/a.jpg")
        self.assertEqual(m0["labels"], [1])
        self.assertEqual(m0["epoch"], 2)
        self.assertEqual(m0["gap"], 3)  # extra keys pass through
        self.assertEqual(m0["custom"], {"x": 1})
        self.assertEqual(a0.tobytes(), pixels(0, 150))
        self.assertEqual(items[1][0]["labels"], [])
        self.assertEqual(items[1][0]["epoch"], 0)
        self.assertEqual(items[2][0]["labels"], [0, 1])
        self.assertEqual(items[2][1].shape, (1, 4, 6))  # frames may change size
        self.assertEqual(reader.end["frames"], 3)
        self.assertEqual(reader.end["skipped"], 1)
        self.assertEqual(reader.end["reason"], "limit")
        self.assertTrue(reader.complete)
        self.assertEqual(reader.bytes_read, len(data))
        self.assertIsNone(reader.read())

    def test_no_frames(self):
        reader = framepipe.FrameReader(header() + end(0))
        self.assertEqual(list(reader), [])
        self.assertEqual(reader.end["frames"], 0)
        self.assertEqual(reader.classes, [])

    def test_stops_at_end_record(self):
        # nothing after the 'E' record is read (a socket may stay open)
        data = simple_stream(2) + b"garbage that is never read"
        reader = framepipe.FrameReader(data)
        self.assertEqual(len(list(reader)), 2)
        self.assertEqual(reader.bytes_read, len(simple_stream(2)))

    def test_cut_short_at_record_boundary_raises(self):
        # issue 11.4: a stream cut exactly between records is not a complete stream
        reader = framepipe.FrameReader(simple_stream(3, with_end=False))
        got = []
        with self.assertRaises(FrameStreamError) as cm:
            for item in reader:
                got.append(item)
        self.assertEqual(len(got), 3)
        self.assertIn("without its end-of-stream record after 3 frame(s)", str(cm.exception))
        self.assertIn("allow_incomplete=True", str(cm.exception))
        self.assertIsNone(reader.end)

    def test_cut_short_allowed_for_partial_files(self):
        reader = framepipe.FrameReader(simple_stream(3, with_end=False), allow_incomplete=True)
        self.assertEqual(len(list(reader)), 3)
        self.assertIsNone(reader.end)
        self.assertFalse(reader.complete)
        frames = list(framepipe.read_frames(simple_stream(2, with_end=False),
                                            allow_incomplete=True))
        self.assertEqual(len(frames), 2)

    def test_sequence_hole_sets_gap_and_warns(self):
        data = (header(("a", "b")) + frame(pixels(0, 150), 3, 10, 5, seq=0)
                + frame(pixels(1, 150), 3, 10, 5, seq=1)
                + frame(pixels(4, 150), 3, 10, 5, seq=4)
                + frame(pixels(5, 150), 3, 10, 5, seq=5) + end(4))
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            metas = [m for m, _ in framepipe.FrameReader(data)]
        self.assertEqual([m.get("gap") for m in metas], [None, None, 2, None])
        gaps = [w for w in caught if issubclass(w.category, framepipe.FrameGapWarning)]
        self.assertEqual(len(gaps), 1)
        self.assertIn("2 frame(s) missing before frame 4", str(gaps[0].message))

    def test_repeated_seq_is_a_duplicate_not_a_hole(self):
        data = (header() + frame(pixels(0, 150), 3, 10, 5, seq=0)
                + frame(pixels(1, 150), 3, 10, 5, seq=1)
                + frame(pixels(1, 150), 3, 10, 5, seq=1)
                + frame(pixels(2, 150), 3, 10, 5, seq=2) + end(4))
        import warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reader = framepipe.FrameReader(data)
            metas = [m for m, _ in reader]
        self.assertEqual([m.get("duplicate") for m in metas], [None, None, True, None])
        self.assertFalse([w for w in caught if issubclass(w.category, framepipe.FrameGapWarning)])
        self.assertEqual(reader.seq_check.duplicates, 1)
        self.assertEqual(reader.seq_check.missing, 0)

    def test_truncated_payload(self):
        full = simple_stream(3)
        first = len(header(("a", "b"))) + len(frame(pixels(0, 150), 3, 10, 5, seq=0, labels=[0]))
        second_payload_start = first + len(frame(pixels(1, 150), 3, 10, 5, seq=1, labels=[1])) - 150
        data = full[:second_payload_start + 100]
        reader = framepipe.FrameReader(data)
        meta, _ = next(reader)
        self.assertEqual(meta["seq"], 0)
        with self.assertRaises(FrameStreamError) as cm:
            next(reader)
        self.assertEqual(str(cm.exception),
                         "stream ended in the middle of frame 1 (got 100 of 150 payload bytes)")
        self.assertIsNone(reader.read())  # stays finished

    def test_truncated_everywhere(self):
        full = simple_stream(2)
        boundaries = set()
        pos = 0
        for part in (header(("a", "b")),
                     frame(pixels(0, 150), 3, 10, 5, seq=0, labels=[0]),
                     frame(pixels(1, 150), 3, 10, 5, seq=1, labels=[1]), end(2)):
            pos += len(part)
            boundaries.add(pos)
        for cut in range(0, len(full)):
            data = full[:cut]
            try:
                reader = framepipe.FrameReader(data, allow_incomplete=True)
                list(reader)
            except FrameStreamError as e:
                self.assertNotIn(cut, boundaries - {len(full)})
                msg = str(e)
                self.assertTrue("ended in the middle" in msg or "empty stream" in msg, msg)
            else:
                self.assertIn(cut, boundaries, f"cut at {cut} was not detected")
                self.assertIsNone(reader.end)

    def test_truncated_header_message(self):
        data = simple_stream(1)[:len(header(("a", "b"))) + 20]
        with self.assertRaisesRegex(FrameStreamError,
                                    r"middle of a record header at offset \d+ .*got 20 of 56"):
            list(framepipe.read_frames(data))

    def test_truncated_metadata(self):
        data = header() + frame(pixels(0, 150), 3, 10, 5, seq=5)
        data = data[:len(header()) + 56 + 3]
        with self.assertRaisesRegex(FrameStreamError,
                                    r"^stream ended in the middle of frame 5 \(got 3 of \d+ "
                                    r"metadata bytes\)$"):
            list(framepipe.read_frames(data))

    def test_bad_magic(self):
        with self.assertRaisesRegex(FrameStreamError, r"bad magic b'XXXX' at offset 0"):
            list(framepipe.read_frames(record(b"H", {}, magic=b"XXXX") + end(0)))
        good = header() + frame(pixels(0, 150), 3, 10, 5, seq=0)
        bad = record(b"F", {}, pixels(1, 150), c=3, w=10, h=5, magic=b"FPIQ")
        with self.assertRaisesRegex(FrameStreamError, rf"bad magic b'FPIQ' at offset {len(good)}"):
            list(framepipe.read_frames(good + bad + end(2)))

    def test_unknown_version(self):
        data = header() + record(b"F", {}, pixels(0, 150), c=3, w=10, h=5, version=2) + end(1)
        with self.assertRaisesRegex(FrameStreamError,
                                    rf"unsupported format version 2 at offset {len(header())}"):
            list(framepipe.read_frames(data))

    def test_structural_errors(self):
        with self.assertRaisesRegex(FrameStreamError, "empty stream"):
            list(framepipe.read_frames(b""))
        with self.assertRaisesRegex(FrameStreamError, "expected the stream header"):
            list(framepipe.read_frames(frame(pixels(0, 150), 3, 10, 5, seq=0) + end(1)))
        with self.assertRaisesRegex(FrameStreamError, "payload length 149 != C\\*W\\*H"):
            list(framepipe.read_frames(
                header() + record(b"F", {}, pixels(0, 149), c=3, w=10, h=5) + end(1)))
        with self.assertRaisesRegex(FrameStreamError, "unknown record kind b'X'"):
            list(framepipe.read_frames(header() + record(b"X", {}) + end(0)))
        with self.assertRaisesRegex(FrameStreamError, "bad metadata JSON"):
            bad = REC.pack(b"FPIP", ord("F"), 1, 0, 0, 1, 1, 1, 3, 0, 0, 0.0, 1) + b"{x}" + b"\0"
            list(framepipe.read_frames(header() + bad + end(1)))
        with self.assertRaisesRegex(FrameStreamError, "second stream header"):
            list(framepipe.read_frames(header() + header() + end(0)))
        with self.assertRaisesRegex(FrameStreamError, "format='raw'"):
            list(framepipe.read_frames(bytes(300)))

    def test_short_reads(self):
        data = simple_stream(5)
        expected = list(framepipe.read_frames(data))
        for seed in range(3):
            reader = framepipe.FrameReader(Dribble(data, seed))
            got = list(reader)
            self.assertEqual(len(got), 5)
            for (m1, a1), (m2, a2) in zip(got, expected):
                self.assertEqual(m1, m2)
                np.testing.assert_array_equal(a1, a2)
            self.assertEqual(reader.end["frames"], 5)
        got = list(framepipe.read_frames(ReadOnly(data)))
        self.assertEqual([m["seq"] for m, _ in got], [0, 1, 2, 3, 4])
        np.testing.assert_array_equal(got[4][1], expected[4][1])
        # truncation still detected through short reads
        with self.assertRaisesRegex(FrameStreamError, "middle of frame 4"):
            list(framepipe.read_frames(Dribble(data[:-len(end(5)) - 10])))

    def test_reuse(self):
        data = simple_stream(4)
        fresh = [a for _, a in framepipe.read_frames(data)]
        for i in range(1, 4):
            self.assertFalse(np.shares_memory(fresh[0], fresh[i]))
        self.assertEqual(fresh[3].tobytes(), pixels(3, 150))
        self.assertTrue(fresh[0].flags.writeable)
        seen = []
        for i, (_, arr) in enumerate(framepipe.read_frames(data, reuse=True)):
            self.assertEqual(arr.tobytes(), pixels(i, 150))  # correct while current
            seen.append(arr)
        for i in range(1, 4):
            self.assertTrue(np.shares_memory(seen[0], seen[i]))
        self.assertEqual(seen[0].tobytes(), pixels(3, 150))  # overwritten by the last frame
        # a buffer bigger than the next frame is reused too; a bigger frame grows it
        data = (header() + frame(pixels(0, 150), 3, 10, 5, seq=0) + frame(pixels(1, 6), 1, 3, 2, seq=1)
                + frame(pixels(2, 300), 3, 10, 10, seq=2) + end(3))
        arrs = [(a.shape, a.tobytes(), a) for _, a in framepipe.read_frames(data, reuse=True)]
        self.assertEqual([s for s, _, _ in arrs], [(3, 5, 10), (1, 2, 3), (3, 10, 10)])
        self.assertEqual([b for _, b, _ in arrs], [pixels(0, 150), pixels(1, 6), pixels(2, 300)])
        self.assertTrue(np.shares_memory(arrs[0][2], arrs[1][2]))


class RawSeedTest(unittest.TestCase):
    def test_raw_chw_and_hwc(self):
        frames = [pixels(i, 150) for i in range(3)]
        data = b"".join(frames)
        got = list(framepipe.read_frames(data, format="raw", width=10, height=5))
        self.assertEqual(len(got), 3)
        for i, (meta, arr) in enumerate(got):
            self.assertEqual(arr.shape, (3, 5, 10))
            self.assertEqual(meta["seq"], i)
            self.assertEqual(meta["labels"], [])
            self.assertEqual(arr.tobytes(), frames[i])
        arr = next(framepipe.read_frames(np.arange(150, dtype=np.uint8).tobytes(), format="raw",
                                         width=10, height=5))[1]
        self.assertEqual(arr[:, 2, 0].tolist(), [20, 70, 120])
        reader = framepipe.FrameReader(data, format="raw", width=10, height=5, layout="hwc")
        got = list(reader)
        self.assertEqual(got[0][1].shape, (5, 10, 3))
        self.assertEqual(got[0][0]["layout"], "hwc")
        self.assertEqual(reader.end, {"frames": 3})
        grey = list(framepipe.read_frames(bytes(40), format="raw", width=4, height=5, channels=1))
        self.assertEqual([a.shape for _, a in grey], [(1, 5, 4)] * 2)
        dribbled = list(framepipe.read_frames(Dribble(data), format="raw", width=10, height=5))
        self.assertEqual([a.tobytes() for _, a in dribbled], frames)

    def test_raw_errors(self):
        with self.assertRaisesRegex(ValueError, "needs width and height"):
            framepipe.FrameReader(b"", format="raw")
        with self.assertRaisesRegex(FrameStreamError,
                                    r"middle of frame 1 \(got 50 of 150 payload bytes"):
            list(framepipe.read_frames(bytes(200), format="raw", width=10, height=5))
        with self.assertRaisesRegex(ValueError, "unknown format"):
            framepipe.FrameReader(b"", format="png")

    def test_seed(self):
        values = list(range(150))
        data = seed_frame(values, 2) + seed_frame([255 - v for v in values], 65535) + \
            seed_frame(values, 0)
        reader = framepipe.FrameReader(Dribble(data), format="seed", width=10, height=5)
        got = list(reader)
        self.assertEqual([m["labels"] for m, _ in got], [[2], [], [0]])
        self.assertEqual(got[0][1].shape, (3, 5, 10))
        self.assertEqual(got[0][1][:, 0, 1].tolist(), [1, 51, 101])
        self.assertEqual(got[1][1].ravel().tolist(), [255 - v for v in values])
        self.assertEqual(got[0][1].dtype, np.uint8)
        self.assertEqual(reader.end, {"frames": 3})
        reused = [a.copy() for _, a in framepipe.read_frames(data, format="seed", width=10, height=5,
                                                             reuse=True)]
        np.testing.assert_array_equal(reused[2], got[2][1])

    def test_seed_errors(self):
        with self.assertRaisesRegex(ValueError, "needs width and height"):
            framepipe.FrameReader(b"", format="seed", width=10)
        with self.assertRaisesRegex(FrameStreamError, r"has 149 values, expected C\*H\*W"):
            list(framepipe.read_frames(seed_frame(range(149), 1), format="seed", width=10,
                                       height=5))
        with self.assertRaisesRegex(FrameStreamError, "middle of frame 1"):
            list(framepipe.read_frames(seed_frame(range(150), 1) + seed_frame(range(150), 1)[:-3],
                                       format="seed", width=10, height=5))
        with self.assertRaisesRegex(FrameStreamError, "middle of frame 0 .*header bytes"):
            list(framepipe.read_frames(b"\x01\x00\x96", format="seed", width=10, height=5))
        with self.assertRaisesRegex(FrameStreamError, "above 255"):
            list(framepipe.read_frames(seed_frame([300] * 150, 1), format="seed", width=10,
                                       height=5))


class SourcesTest(unittest.TestCase):
    def test_os_pipe_with_raised_buffer(self):
        data = simple_stream(50, w=64, h=48)
        r, w = os.pipe()

        def writer():
            with open(w, "wb") as f:
                f.write(data)

        t = threading.Thread(target=writer)
        try:
            reader = framepipe.FrameReader(r)  # a raw fd
            if sys.platform.startswith("linux"):
                self.assertEqual(reader.pipe_size, 1 << 20)
            t.start()
            got = list(reader)
            t.join()
            self.assertEqual(len(got), 50)
            self.assertEqual(got[49][1].tobytes(), pixels(49, 3 * 64 * 48))
            self.assertEqual(reader.end["frames"], 50)
            reader.close()
        finally:
            os.close(r)

    def test_path_file_object_and_socket(self):
        import tempfile

        data = simple_stream(3)
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "s.fpip")
            with open(p, "wb") as f:
                f.write(data)
            self.assertEqual(len(list(framepipe.read_frames(p))), 3)
            from pathlib import Path
            self.assertEqual(len(list(framepipe.read_frames(Path(p)))), 3)
            with open(p, "rb") as f:
                self.assertEqual(len(list(framepipe.read_frames(f))), 3)
                self.assertFalse(f.closed)  # a file object stays the caller's
            with open(p, "rb", buffering=0) as f:
                self.assertEqual(len(list(framepipe.read_frames(f))), 3)
        a, b = socket.socketpair()
        t = threading.Thread(target=lambda: (b.sendall(data), b.close()))
        t.start()
        with a:
            got = list(framepipe.read_frames(a))
        t.join()
        self.assertEqual([m["seq"] for m, _ in got], [0, 1, 2])
        with self.assertRaises(TypeError):
            framepipe.FrameReader(io.StringIO("x"))
        with self.assertRaises(TypeError):
            framepipe.FrameReader(1.5)


# --------------------------------------------------------------------------------------------
# Producer commands
# --------------------------------------------------------------------------------------------


def producer_cmd(*args: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), "produce", *args]


def produce(argv: list[str]) -> int:
    """A fake framepipe producer: ``produce [--count N] [--size WxH] [--shard I/N]
    [--fail-after K] [--forever]``; frame ``position`` p is in shard I when p % N == I;
    label = p % 2, and the pixels of label-1 frames are bright, label-0 frames dark."""
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--size", default="8x6")
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--fail-after", type=int, default=-1)
    ap.add_argument("--forever", action="store_true")
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.split("x"))
    index, count = (int(v) for v in a.shard.split("/"))
    out = sys.stdout.buffer
    out.write(header(["dark", "bright"], source=f"produce {a.shard}"))
    rng = np.random.default_rng(index)
    seq = 0
    p = 0
    while a.forever or p < a.count:
        if p % count == index:
            if seq == a.fail_after:
                out.flush()
                sys.stderr.write("produce: something went wrong\nproduce: fatal: disk on fire\n")
                return 3
            label = p % 2
            lo = 150 if label else 0
            img = rng.integers(lo, lo + 100, size=3 * w * h, dtype=np.uint8).tobytes()
            out.write(frame(img, 3, w, h, seq=seq, position=p, labels=[label], key=f"f{p:04d}"))
            seq += 1
        p += 1
    out.write(end(seq))
    out.flush()
    return 0


class CommandTest(unittest.TestCase):
    def test_frames_from_command(self):
        got = list(framepipe.frames_from_command(producer_cmd("--count", "7"), echo_stderr=False))
        self.assertEqual([m["position"] for m, _ in got], list(range(7)))
        self.assertEqual(got[0][1].shape, (3, 6, 8))
        with framepipe.open_command(producer_cmd("--count", "4", "--shard", "1/2")) as reader:
            self.assertEqual(reader.classes, ["dark", "bright"])
            self.assertEqual([m["position"] for m, _ in reader], [1, 3])
            self.assertEqual(reader.end["frames"], 2)
        self.assertEqual(reader.proc.returncode, 0)

    def test_early_exit_terminates_child(self):
        gen = framepipe.frames_from_command(producer_cmd("--forever", "--size", "64x48"),
                                            echo_stderr=False)
        for i, _ in enumerate(gen):
            if i == 5:
                break
        frame_ = gen.gi_frame
        reader = frame_.f_locals["reader"]
        gen.close()
        self.assertIsNotNone(reader.proc.poll(), "child still running after close()")
        with framepipe.open_command(producer_cmd("--forever"), echo_stderr=False) as reader:
            next(reader)
        self.assertIsNotNone(reader.proc.poll())

    def test_failing_child_raises_with_last_stderr_line(self):
        with self.assertRaises(framepipe.CommandError) as cm:
            list(framepipe.frames_from_command(producer_cmd("--fail-after", "3"),
                                               echo_stderr=False))
        e = cm.exception
        self.assertEqual(e.returncode, 3)
        self.assertIn("exited with status 3: produce: fatal: disk on fire", str(e))
        self.assertEqual(e.stderr[-1], "produce: fatal: disk on fire")
        with self.assertRaisesRegex(framepipe.CommandError, "exited with status 2"):
            list(framepipe.frames_from_command([sys.executable, "-c", "import sys; sys.exit(2)"],
                                               format="raw", width=2, height=2,
                                               echo_stderr=False))

    def test_stream_error_from_failed_child_is_command_error(self):
        code = ("import sys; sys.stdout.buffer.write(b'FPIP' + bytes(10)); sys.stdout.flush();"
                "sys.stderr.write('boom\\n'); sys.exit(4)")
        with self.assertRaises(framepipe.CommandError) as cm:
            list(framepipe.frames_from_command([sys.executable, "-c", code], echo_stderr=False))
        self.assertIn("boom", str(cm.exception))
        self.assertIsInstance(cm.exception.__cause__, FrameStreamError)


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def run_cli(args, data: bytes, **kw):
    return subprocess.run([sys.executable, os.path.join(HERE, "framepipe.py"), *args],
                          input=data, capture_output=True, timeout=60, **kw)


class CliTest(unittest.TestCase):
    def test_summary_json(self):
        data = (header(["Preparation", "Clipping"], source="images fixtures/frames")
                + frame(pixels(0, 150), 3, 10, 5, seq=0, labels=[1], key="a.jpg")
                + frame(pixels(1, 150), 3, 10, 5, seq=1, labels=[1], key="b.jpg")
                + frame(pixels(2, 150), 3, 10, 5, seq=2, labels=[], key="c.jpg")
                + end(3, skipped=1))
        p = run_cli(["--summary", "--json"], data)
        self.assertEqual(p.returncode, 0, p.stderr)
        s = json.loads(p.stdout)
        self.assertEqual(s["frames"], 3)
        self.assertEqual(s["shapes"], {"3x5x10": 3})
        self.assertEqual(s["labels"], [{"label": 1, "name": "Clipping", "count": 2}])
        self.assertEqual(s["unlabelled"], 1)
        self.assertEqual(s["end"]["skipped"], 1)
        self.assertEqual((s["first_key"], s["last_key"]), ("a.jpg", "c.jpg"))
        self.assertEqual(s["bytes"], len(data))
        p = run_cli(["--summary"], data)
        self.assertEqual(p.returncode, 0, p.stderr)
        text = p.stdout.decode()
        for part in ("frames:   3", "1 Clipping: 2", "skipped=1", "first=a.jpg", "MB/s"):
            self.assertIn(part, text)

    def test_raw_and_seed_cli(self):
        p = run_cli(["--format", "raw", "--size", "10x5", "--json"], bytes(300))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["frames"], 2)
        p = run_cli(["--format", "seed", "--size", "10x5", "--json"], seed_frame(range(150), 1))
        self.assertEqual(json.loads(p.stdout)["labels"][0]["label"], 1)
        p = run_cli(["--format", "raw"], bytes(300))
        self.assertEqual(p.returncode, 1)
        self.assertIn("needs --size", p.stderr.decode())

    def test_malformed_stream_one_line_error(self):
        for data in (simple_stream(3)[:-80], b"JUNKJUNK" * 20, b""):
            p = run_cli(["--summary"], data)
            self.assertEqual(p.returncode, 1)
            err = p.stderr.decode()
            self.assertNotIn("Traceback", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            self.assertTrue(err.startswith("framepipe.py: error: "), err)

    def test_cut_short_is_reported(self):
        p = run_cli(["--json"], simple_stream(2, with_end=False))
        self.assertEqual(p.returncode, 1)
        self.assertFalse(json.loads(p.stdout)["complete"])
        self.assertIn("cut short", p.stderr.decode())

    def test_broken_stdout_pipe(self):
        proc = subprocess.Popen([sys.executable, os.path.join(HERE, "framepipe.py"), "--list"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        proc.stdout.close()  # the consumer of our output goes away
        _, err = proc.communicate(simple_stream(3000, w=4, h=2), timeout=60)
        self.assertNotIn(b"Traceback", err)
        self.assertNotIn(b"Exception ignored", err)

    def test_file_argument(self):
        import tempfile

        with tempfile.NamedTemporaryFile(suffix=".fpip") as f:
            f.write(simple_stream(2))
            f.flush()
            p = run_cli([f.name, "--json"], b"")
            self.assertEqual(json.loads(p.stdout)["frames"], 2)
        p = run_cli(["/nonexistent/stream"], b"")
        self.assertEqual(p.returncode, 1)
        self.assertNotIn(b"Traceback", p.stderr)


# --------------------------------------------------------------------------------------------
# PyTorch
# --------------------------------------------------------------------------------------------


@unittest.skipIf(torch is None, TORCH_MISSING)
class FrameStreamTest(unittest.TestCase):
    def test_module_imports_without_torch(self):
        code = ("import sys; sys.modules['torch'] = None; sys.path.insert(0, %r);"
                "import framepipe; print(framepipe.read_frames.__name__)" % HERE)
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_shard_composition(self):
        ds = framepipe.FrameStream(["prod"], shard=(1, 3))
        self.assertEqual(ds.command_for(0, 1), ["prod", "--shard", "1/3"])
        self.assertEqual(ds.command_for(1, 2), ["prod", "--shard", "3/6"])
        self.assertEqual(framepipe.FrameStream(["prod"]).command_for(0, 1), ["prod"])
        self.assertEqual(framepipe.FrameStream(["prod"]).command_for(2, 4),
                         ["prod", "--shard", "2/4"])
        with self.assertRaises(ValueError):
            framepipe.FrameStream(["prod"], shard=(3, 3))

    def test_workers_split_disjointly(self):
        ds = framepipe.FrameStream(producer_cmd("--count", "23"), target="meta",
                                   echo_stderr=False)
        loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2)
        positions = [meta["position"] for _, meta in loader]
        self.assertEqual(len(positions), 23)
        self.assertEqual(sorted(positions), list(range(23)))  # disjoint and covering
        # DDP: two ranks x two workers each
        union = []
        for rank in range(2):
            ds = framepipe.FrameStream(producer_cmd("--count", "23"), target="meta",
                                       shard=(rank, 2), echo_stderr=False)
            loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=2)
            part = [meta["position"] for _, meta in loader]
            self.assertTrue(all(p % 4 in (2 * rank, 2 * rank + 1) for p in part), part)
            union += part
        self.assertEqual(sorted(union), list(range(23)))

    def test_path_source_and_worker_error(self):
        import tempfile

        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "s.fpip")
            with open(path, "wb") as f:
                f.write(simple_stream(6))
            ds = framepipe.FrameStream(path)
            batches = list(torch.utils.data.DataLoader(ds, batch_size=4))
            self.assertEqual(batches[0][0].shape, (4, 3, 5, 10))
            self.assertEqual(batches[0][0].dtype, torch.uint8)
            self.assertEqual(batches[0][1].tolist(), [0, 1, 0, 1])
            self.assertEqual(len(list(ds)), 6)  # re-opened every epoch
            loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2)
            with self.assertRaisesRegex(Exception, "cannot be split"):
                list(loader)

    def test_targets_and_hwc(self):
        data = (header() + frame(np.arange(150, dtype=np.uint8).tobytes(), 3, 10, 5, seq=0,
                                 layout=1, labels=[])
                + frame(pixels(1, 150), 3, 10, 5, seq=1, labels=[4, 2]) + end(2))
        (x, y), (_, y2) = list(framepipe.FrameStream(data))
        self.assertEqual(tuple(x.shape), (3, 5, 10))  # HWC permuted to CHW
        self.assertEqual(x[:, 1, 2].tolist(), [(1 * 10 + 2) * 3 + c for c in range(3)])
        self.assertEqual((y, y2), (-1, 4))
        self.assertEqual([t for _, t in framepipe.FrameStream(data, target="labels")],
                         [[], [4, 2]])
        self.assertEqual([t for _, t in framepipe.FrameStream(data, target=lambda m: m["seq"])],
                         [0, 1])
        xs = list(framepipe.FrameStream(data, target="none", transform=lambda t: t.float() / 255))
        self.assertEqual(xs[0].dtype, torch.float32)

    def test_tiny_model_trains(self):
        torch.manual_seed(0)
        ds = framepipe.FrameStream(producer_cmd("--count", "64", "--size", "16x12"),
                                   echo_stderr=False)
        loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2)
        model = torch.nn.Sequential(
            torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(4, 2))
        opt = torch.optim.Adam(model.parameters(), lr=0.05)
        losses = []
        probe = None
        for step, (x, y) in enumerate(loader):
            self.assertEqual(tuple(x.shape), (8, 3, 12, 16))
            self.assertEqual(x.dtype, torch.uint8)
            self.assertEqual(tuple(y.shape), (8,))
            xf = x.float() / 255
            if probe is None:
                probe = (xf, y)
                with torch.no_grad():
                    before = torch.nn.functional.cross_entropy(model(xf), y).item()
            loss = torch.nn.functional.cross_entropy(model(xf), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if step == 4:
                break
        self.assertEqual(len(losses), 5)
        self.assertTrue(all(np.isfinite(losses)), losses)
        with torch.no_grad():
            after = torch.nn.functional.cross_entropy(model(probe[0]), probe[1]).item()
        self.assertLess(after, before, (before, after, losses))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "produce":
        sys.exit(produce(sys.argv[2:]))
    unittest.main()
