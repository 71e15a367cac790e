#!/usr/bin/env python3
"""framepipe's wire reader: read framepipe streams with the standard library and numpy only.

This module is self-contained: it is ``framepipe.wire`` in the installed package, and it is
also usable as ONE copied file (``cp python/framepipe/wire.py my_project/framepipe_wire.py``)
when installing is not an option.

framepipe (the Deno CLI) writes decoded images / camera frames as raw ``uint8`` pixels in
one of three wire formats, specified byte by byte in ``docs/FORMAT.md``:

* ``frame`` (default): self-describing records (stream header, frames, end of stream);
* ``raw``: pixel payloads back to back; the reader must know ``C``, ``H``, ``W``;
* ``seed``: the original project's format (``u16`` tag, ``u32`` count, ``u16`` values).

Quick start::

    import sys
    from framepipe import FrameReader        # or: from framepipe_wire import FrameReader

    # a stream on stdin:  framepipe images fixtures/frames | python3 mine.py
    reader = FrameReader(sys.stdin.buffer)
    print(reader.classes)                     # label names from the stream header
    for meta, img in reader:                  # img: uint8 ndarray (C, H, W) for CHW streams
        print(meta["seq"], meta["key"], meta["labels"], img.shape)
    print(reader.end)                         # end-of-stream counts

A ``frame`` stream that ends without its end-of-stream record raises
:class:`FrameStreamError` (``allow_incomplete=True`` reads partial files). Sequence numbers
are checked: a hole sets ``meta["gap"]`` and warns (:class:`FrameGapWarning`).

As a command, ``python3 wire.py [--format frame|raw|seed] [--size WxH] [--summary]
[--json] [FILE|-]`` prints a summary of a stream (see ``--help``); so do
``python -m framepipe`` and ``python3 python/framepipe.py`` in a clone.
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import socket
import stat
import struct
import sys
import time
import warnings
from typing import IO, Any, Callable, Iterator, Sequence, Union

import numpy as np

__all__ = [
    "FORMATS",
    "FrameStreamError",
    "FrameGapWarning",
    "FrameReader",
    "read_frames",
    "summarize",
    "main",
]

FORMATS = ("frame", "raw", "seed")
"""The wire formats this reader understands (``--format`` of the CLI)."""

MAGIC = b"FPIP"
VERSION = 1
RECORD_HEADER = struct.Struct("<4sBBBBIIIIQqdQ")
"""The fixed 56-byte record header of the ``frame`` format."""
SEED_HEADER = struct.Struct("<HI")
SEED_NO_LABEL = 0xFFFF
KIND_HEADER, KIND_FRAME, KIND_END = 0x48, 0x46, 0x45  # 'H', 'F', 'E'
LAYOUTS = ("chw", "hwc")
DEFAULT_PIPE_SIZE = 1 << 20
MAX_METADATA_BYTES = 16 << 20
"""Metadata longer than this is treated as a corrupt stream."""
MAX_PAYLOAD_BYTES = 1 << 32
"""Payloads longer than this (4 GiB) are treated as a corrupt stream."""

_F_SETPIPE_SZ = 1031
_F_GETPIPE_SZ = 1032

Source = Union[str, "os.PathLike[str]", int, bytes, bytearray, memoryview, IO[bytes],
               socket.socket]


class FrameStreamError(Exception):
    """A malformed or truncated stream (bad magic, unknown version, EOF mid-record, a
    ``frame`` stream without its end record, ...)."""


class FrameGapWarning(UserWarning):
    """Frames are missing: a sequence number was skipped (``meta["gap"]`` says how many)."""


class SeqTracker:
    """Checks the ``seq`` of consecutive frames of one stream: a hole sets ``meta["gap"]``
    (at least the number of missing frames) and warns; a ``seq`` at or below the last one
    seen (a republished frame) sets ``meta["duplicate"] = True``. The first frame only sets
    the baseline (a consumer may join a live stream late)."""

    def __init__(self, what: str = "stream"):
        self.what = what
        self.expected: int | None = None
        self.missing = 0
        """Frames missing so far (sum of the holes)."""
        self.duplicates = 0
        """Frames seen again (seq at or below the last one)."""

    def check(self, meta: dict[str, Any]) -> None:
        seq = int(meta["seq"])
        exp = self.expected
        if exp is not None and seq != exp:
            if seq > exp:
                hole = seq - exp
                meta["gap"] = max(int(meta.get("gap") or 0), hole)
                self.missing += hole
                warnings.warn(f"{self.what}: {hole} frame(s) missing before frame {seq} "
                              f"(sequence jumped from {exp - 1} to {seq}); meta['gap'] is set",
                              FrameGapWarning, stacklevel=4)
            else:
                meta["duplicate"] = True
                self.duplicates += 1
                return
        self.expected = seq + 1


# --------------------------------------------------------------------------------------------
# Opening sources
# --------------------------------------------------------------------------------------------


def _raise_pipe_size(fd: int, size: int) -> int | None:
    """Grow the pipe behind ``fd`` to ``size`` bytes (Linux); return its size, or None.

    Above /proc/sys/fs/pipe-max-size, the pipe gets that size; other failures (not a pipe,
    not Linux) are ignored.
    """
    try:
        import fcntl

        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        setsz = getattr(fcntl, "F_SETPIPE_SZ", _F_SETPIPE_SZ)
        getsz = getattr(fcntl, "F_GETPIPE_SZ", _F_GETPIPE_SZ)
        try:
            if fcntl.fcntl(fd, getsz) < size:
                fcntl.fcntl(fd, setsz, size)
        except OSError:  # above the limit: take the limit
            try:
                with open("/proc/sys/fs/pipe-max-size") as f:
                    limit = int(f.read())
                if fcntl.fcntl(fd, getsz) < min(size, limit):
                    fcntl.fcntl(fd, setsz, min(size, limit))
            except (OSError, ValueError):
                pass
        return fcntl.fcntl(fd, getsz)
    except (ImportError, OSError, ValueError, AttributeError):
        return None


class _ReadAdapter:
    """Gives ``readinto`` to a file-like object that only has ``read``."""

    def __init__(self, f: Any):
        self._f = f

    def readinto(self, buf: memoryview) -> int | None:
        data = self._f.read(len(buf))
        if data is None:
            return None
        n = len(data)
        buf[:n] = data
        return n


def _open_source(source: Any) -> tuple[Any, bool]:
    """Return ``(binary file object with readinto, owned)`` for any accepted source."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(source), True
    if isinstance(source, socket.socket):
        return source.makefile("rb"), True
    if isinstance(source, bool):
        raise TypeError("source must be a path, file descriptor, file object or socket")
    if isinstance(source, int):
        return open(source, "rb", buffering=1 << 16, closefd=False), True
    if isinstance(source, (str, os.PathLike)):
        if os.fspath(source) == "-":
            return sys.stdin.buffer, False
        return open(source, "rb", buffering=1 << 16), True
    if isinstance(source, io.TextIOBase):
        raise TypeError("text stream given: pass the binary stream (e.g. sys.stdin.buffer)")
    if hasattr(source, "readinto"):
        return source, False
    if hasattr(source, "read"):
        return _ReadAdapter(source), False
    raise TypeError(f"cannot read frames from {type(source).__name__!r}: pass a path, a file "
                    "descriptor, a binary file object, a socket or bytes")


# --------------------------------------------------------------------------------------------
# FrameReader
# --------------------------------------------------------------------------------------------


class FrameReader:
    """Iterate over the frames of a framepipe stream: yields ``(meta, ndarray)`` pairs.

    ``source`` may be a path (``"-"`` for stdin), a raw file descriptor, a binary file object
    (``open(p, "rb")``, ``sys.stdin.buffer``, ``proc.stdout``, ``sock.makefile("rb")``, any
    object with ``readinto`` or ``read``), a connected socket, or ``bytes``. Paths, fds,
    sockets and bytes are opened (and closed) by the reader; file objects you pass stay yours.
    When the source is a pipe, its buffer is raised to ``pipe_size`` (1 MiB) where the OS
    allows (``pipe_size=0`` leaves it); :attr:`pipe_size` tells the result.

    Arrays are ``uint8``: shape ``(C, H, W)`` for CHW (planar, the default layout) and
    ``(H, W, C)`` for HWC (interleaved), so ``img[c, y, x]`` / ``img[y, x, c]`` is the pixel
    value. Payloads are read with ``readinto`` straight into the array (no extra copy):

    * ``reuse=False`` (default): every frame is a fresh array you may keep.
    * ``reuse=True``: frames are views into one internal buffer that the **next** iteration
      overwrites (no allocation per frame); copy what you keep (``img.copy()``).

    Formats (see docs/FORMAT.md):

    * ``"frame"``: ``meta`` has ``seq``, ``position``, ``timestamp`` (ms since the epoch),
      ``width``, ``height``, ``channels``, ``layout`` (``"chw"``/``"hwc"``), ``key``
      (str or None), ``labels`` (list of int), ``epoch`` (int), plus any other metadata keys
      of the record (``gap``, ``reconnects``, ...). :attr:`header` is the stream header's
      metadata, :attr:`classes` its label names, :attr:`end` the end-of-stream counts.
    * ``"raw"``: ``width``, ``height`` required; ``channels`` (3) and ``layout`` (``"chw"``)
      describe the bytes. ``meta`` has ``seq``, ``width``, ``height``, ``channels``,
      ``layout``, ``labels`` (``[]``).
    * ``"seed"``: ``width``, ``height`` required, ``channels`` (3); each record's count must
      be ``C*H*W``. ``meta["labels"]`` is ``[tag]``, or ``[]`` when the tag is 65535.

    For ``raw`` and ``seed``, EOF between frames ends the stream normally and :attr:`end` is
    ``{"frames": n}``. EOF inside a record, bad magic or an unknown version raise
    :class:`FrameStreamError` naming the frame and byte offset.

    Example::

        >>> import framepipe
        >>> reader = framepipe.FrameReader("frames.fpip")            # doctest: +SKIP
        >>> reader.classes                                          # doctest: +SKIP
        ['Preparation', 'CalotTriangleDissection', ...]
        >>> for meta, img in reader:                                # doctest: +SKIP
        ...     print(meta["seq"], meta["key"], meta["labels"], img.shape)
        0 video01/000.jpg [0] (3, 48, 64)
        >>> reader.end                                              # doctest: +SKIP
        {'frames': 120, 'skipped': 0, 'errors': 0, 'dropped': 0, ...}

    The reader is also a context manager (closes what it opened).
    """

    def __init__(self, source: Source, *, format: str = "frame", width: int | None = None,
                 height: int | None = None, channels: int = 3, layout: str | None = None,
                 reuse: bool = False, pipe_size: int = DEFAULT_PIPE_SIZE,
                 allow_incomplete: bool = False):
        if format not in FORMATS:
            raise ValueError(f"unknown format {format!r}: expected one of {', '.join(FORMATS)}")
        if format != "frame":
            if width is None or height is None:
                raise ValueError(f"format {format!r} needs width and height (the stream does "
                                 "not carry them)")
            if int(width) <= 0 or int(height) <= 0 or int(channels) <= 0:
                raise ValueError(f"bad frame size {channels}x{height}x{width}")
        if layout is not None and layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}: expected 'chw' or 'hwc'")
        if format == "frame" and layout is not None:
            raise ValueError("frame streams carry their own layout: leave layout=None")
        if format == "seed" and layout not in (None, "chw"):
            raise ValueError("seed streams are always CHW")
        self.format = format
        self.width = None if width is None else int(width)
        self.height = None if height is None else int(height)
        self.channels = int(channels)
        self.layout = layout or "chw"
        self.reuse = bool(reuse)
        self.allow_incomplete = bool(allow_incomplete)
        self.seq_check = SeqTracker("frame stream")
        """Sequence checks: ``missing`` and ``duplicates`` counts so far."""
        self._file, self._owned = _open_source(source)
        self._readinto = self._file.readinto
        self.pipe_size: int | None = None
        """The pipe buffer size after raising it, or None when the source is not a pipe."""
        if pipe_size:
            try:
                fd = self._file.fileno()
            except (AttributeError, OSError, ValueError):
                fd = None
            if fd is not None:
                self.pipe_size = _raise_pipe_size(fd, pipe_size)
        self.bytes_read = 0
        """Bytes consumed from the source so far."""
        self.frames_read = 0
        """Frames yielded so far."""
        self._header: dict[str, Any] | None = None
        self._end: dict[str, Any] | None = None
        self._done = False
        self._closed = False
        self._buf: np.ndarray | None = None  # reuse=True payload buffer
        self._aux: np.ndarray | None = None  # seed u16 scratch buffer
        self._hbuf = bytearray(RECORD_HEADER.size)
        self._hview = memoryview(self._hbuf)
        self._sbuf = bytearray(SEED_HEADER.size)
        self._next = {"frame": self._next_frame, "raw": self._next_raw,
                      "seed": self._next_seed}[format]

    # -- public -----------------------------------------------------------------------------

    @property
    def header(self) -> dict[str, Any]:
        """The stream header's metadata (``frame`` format; read on first access).

        Always has ``classes`` (possibly empty). For ``raw``/``seed`` streams, a synthesized
        ``{"format": "raw", "width": W, "height": H, "channels": C, "layout": ..., ...}``.
        """
        if self._header is None:
            self._read_header()
        assert self._header is not None
        return self._header

    @property
    def classes(self) -> list[str]:
        """Label names from the stream header: label ``i`` is ``classes[i]`` (may be empty)."""
        return self.header.get("classes") or []

    @property
    def end(self) -> dict[str, Any] | None:
        """The end-of-stream metadata (final counts), or None (not reached / cut short)."""
        return self._end

    @property
    def complete(self) -> bool:
        """True once the end of the stream was read (``frame``: its ``E`` record)."""
        return self._end is not None

    def __iter__(self) -> FrameReader:
        return self

    def __next__(self) -> tuple[dict[str, Any], np.ndarray]:
        if self._done:
            raise StopIteration
        if self._header is None:
            self._read_header()
        try:
            item = self._next()
        except BaseException:
            self._done = True
            raise
        if item is None:
            self._done = True
            raise StopIteration
        self.frames_read += 1
        return item

    def read(self) -> tuple[dict[str, Any], np.ndarray] | None:
        """Return the next ``(meta, ndarray)``, or None at the end of the stream."""
        return next(self, None)

    def close(self) -> None:
        """Close the source if the reader opened it (paths, fds, sockets, bytes)."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        if self._owned:
            try:
                self._file.close()
            except OSError:
                pass

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} format={self.format} frames_read={self.frames_read} "
                f"bytes_read={self.bytes_read} complete={self.complete}>")

    # -- low-level reading ------------------------------------------------------------------

    def _fill(self, mv: memoryview) -> int:
        """Read until ``mv`` is full or EOF; return the number of bytes read."""
        n = len(mv)
        got = 0
        readinto = self._readinto
        while got < n:
            r = readinto(mv[got:] if got else mv)
            if r is None:  # non-blocking source without data: wait for it
                self._wait_readable()
                continue
            if r <= 0:
                break
            got += r
        self.bytes_read += got
        return got

    def _wait_readable(self) -> None:
        import select

        try:
            select.select([self._file], [], [])
        except (TypeError, ValueError, OSError):
            time.sleep(0.001)

    def _payload_array(self, nbytes: int) -> np.ndarray:
        if not self.reuse:
            return np.empty(nbytes, np.uint8)
        buf = self._buf
        if buf is None or buf.size < nbytes:
            buf = self._buf = np.empty(nbytes, np.uint8)
        return buf[:nbytes]

    @staticmethod
    def _shape(layout: str, c: int, h: int, w: int) -> tuple[int, int, int]:
        return (c, h, w) if layout == "chw" else (h, w, c)

    # -- frame format -----------------------------------------------------------------------

    def _read_record_header(self, what: str) -> tuple | None:
        offset = self.bytes_read
        got = self._fill(self._hview)
        if got == 0:
            return None
        if got < RECORD_HEADER.size:
            raise FrameStreamError(f"stream ended in the middle of a record header at offset "
                                   f"{offset} ({what}; got {got} of {RECORD_HEADER.size} bytes)")
        rec = RECORD_HEADER.unpack_from(self._hbuf)
        magic, kind, version, dtype, layout = rec[:5]
        if magic != MAGIC:
            hint = ""
            if offset == 0:
                hint = " (not a framepipe 'frame' stream? try format='raw' or 'seed')"
            raise FrameStreamError(f"bad magic {magic!r} at offset {offset} ({what}): expected "
                                   f"{MAGIC!r}{hint}")
        if version != VERSION:
            raise FrameStreamError(f"unsupported format version {version} at offset {offset} "
                                   f"({what}): this reader supports version {VERSION}")
        if kind not in (KIND_HEADER, KIND_FRAME, KIND_END):
            raise FrameStreamError(f"unknown record kind {bytes([kind])!r} at offset {offset} "
                                   f"({what}): expected b'H', b'F' or b'E'")
        if dtype != 0:
            raise FrameStreamError(f"unsupported dtype {dtype} at offset {offset} ({what}): "
                                   "only 0 (uint8) is defined")
        if layout > 1:
            raise FrameStreamError(f"unknown layout {layout} at offset {offset} ({what}): "
                                   "expected 0 (CHW) or 1 (HWC)")
        if rec[8] > MAX_METADATA_BYTES:
            raise FrameStreamError(f"metadata length {rec[8]} at offset {offset} ({what}) is "
                                   f"implausible (corrupt stream?)")
        if rec[12] > MAX_PAYLOAD_BYTES:
            raise FrameStreamError(f"payload length {rec[12]} at offset {offset} ({what}) is "
                                   f"implausible (corrupt stream?)")
        return rec

    def _read_metadata(self, m: int, what: str) -> dict[str, Any]:
        if m == 0:
            return {}
        offset = self.bytes_read
        buf = bytearray(m)
        got = self._fill(memoryview(buf))
        if got < m:
            raise FrameStreamError(f"stream ended in the middle of {what} (got {got} of {m} "
                                   "metadata bytes)")
        try:
            md = json.loads(buf)
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
            raise FrameStreamError(f"bad metadata JSON at offset {offset} ({what}): {e}") from None
        if not isinstance(md, dict):
            raise FrameStreamError(f"metadata at offset {offset} ({what}) is not a JSON object")
        return md

    def _skip(self, n: int, what: str) -> None:
        buf = memoryview(bytearray(min(n, 1 << 16)))
        left = n
        while left:
            chunk = buf[:min(left, len(buf))]
            got = self._fill(chunk)
            if got < len(chunk):
                raise FrameStreamError(f"stream ended in the middle of {what} (got {n - left + got}"
                                       f" of {n} payload bytes)")
            left -= got

    def _read_header(self) -> None:
        if self.format != "frame":
            self._header = {"format": self.format, "width": self.width, "height": self.height,
                            "channels": self.channels, "layout": self.layout, "dtype": "uint8",
                            "classes": []}
            return
        rec = self._read_record_header("stream header")
        if rec is None:
            self._done = True
            raise FrameStreamError("empty stream: expected a framepipe stream header record")
        kind = rec[1]
        if kind != KIND_HEADER:
            self._done = True
            raise FrameStreamError(f"stream starts with a {chr(kind)!r} record at offset 0: "
                                   "expected the stream header ('H')")
        md = self._read_metadata(rec[8], "the stream header")
        if rec[12]:
            self._skip(rec[12], "the stream header")
        md.setdefault("classes", [])
        if md["classes"] is None:
            md["classes"] = []
        self._header = md

    def _next_frame(self) -> tuple[dict[str, Any], np.ndarray] | None:
        what = f"the record after frame {self.frames_read - 1}" if self.frames_read else \
            "the first record after the header"
        rec = self._read_record_header(what)
        if rec is None:  # EOF at a record boundary: cut short (no 'E' record)
            if self.allow_incomplete:
                return None
            raise FrameStreamError(
                f"stream ended without its end-of-stream record after {self.frames_read} "
                f"frame(s) at offset {self.bytes_read} (the producer was stopped or the file is "
                "cut short; pass allow_incomplete=True to read a partial file)")
        (_, kind, _, _, layout_b, c, w, h, m, seq, position, timestamp, p) = rec
        if kind == KIND_FRAME:
            what = f"frame {seq}"
            if p != c * w * h:
                raise FrameStreamError(f"{what} at offset {self.bytes_read - RECORD_HEADER.size}:"
                                       f" payload length {p} != C*W*H = {c}*{w}*{h}")
            md = self._read_metadata(m, what)
            arr = self._payload_array(p)
            got = self._fill(memoryview(arr))
            if got < p:
                raise FrameStreamError(f"stream ended in the middle of {what} (got {got} of {p} "
                                       "payload bytes)")
            layout = "hwc" if layout_b else "chw"
            labels = md.get("labels") or []
            meta: dict[str, Any] = {
                "seq": seq, "position": position, "timestamp": timestamp, "width": w,
                "height": h, "channels": c, "layout": layout, "key": md.get("key"),
                "labels": [int(x) for x in labels], "epoch": int(md.get("epoch") or 0),
            }
            for k, v in md.items():
                if k not in meta:
                    meta[k] = v
            self.seq_check.check(meta)
            return meta, arr.reshape(self._shape(layout, c, h, w))
        if kind == KIND_END:
            md = self._read_metadata(m, "the end-of-stream record")
            if p:
                self._skip(p, "the end-of-stream record")
            self._end = md
            return None
        raise FrameStreamError(f"unexpected second stream header at offset "
                               f"{self.bytes_read - RECORD_HEADER.size}")

    # -- raw / seed formats -----------------------------------------------------------------

    def _next_raw(self) -> tuple[dict[str, Any], np.ndarray] | None:
        c, h, w = self.channels, self.height, self.width
        assert h is not None and w is not None
        n = c * h * w
        arr = self._payload_array(n)
        offset = self.bytes_read
        got = self._fill(memoryview(arr))
        seq = self.frames_read
        if got == 0:
            self._end = {"frames": seq}
            return None
        if got < n:
            raise FrameStreamError(f"stream ended in the middle of frame {seq} (got {got} of {n} "
                                   f"payload bytes; frame starts at offset {offset})")
        meta = {"seq": seq, "width": w, "height": h, "channels": c, "layout": self.layout,
                "labels": []}
        return meta, arr.reshape(self._shape(self.layout, c, h, w))

    def _next_seed(self) -> tuple[dict[str, Any], np.ndarray] | None:
        c, h, w = self.channels, self.height, self.width
        assert h is not None and w is not None
        n = c * h * w
        seq = self.frames_read
        offset = self.bytes_read
        got = self._fill(memoryview(self._sbuf))
        if got == 0:
            self._end = {"frames": seq}
            return None
        if got < SEED_HEADER.size:
            raise FrameStreamError(f"stream ended in the middle of frame {seq} (got {got} of "
                                   f"{SEED_HEADER.size} header bytes at offset {offset})")
        tag, count = SEED_HEADER.unpack_from(self._sbuf)
        if count != n:
            raise FrameStreamError(f"seed frame {seq} at offset {offset} has {count} values, "
                                   f"expected C*H*W = {c}*{h}*{w} = {n} (wrong size?)")
        aux = self._aux
        if aux is None or aux.size != n:
            aux = self._aux = np.empty(n, "<u2")
        got = self._fill(memoryview(aux).cast("B"))
        if got < 2 * n:
            raise FrameStreamError(f"stream ended in the middle of frame {seq} (got {got} of "
                                   f"{2 * n} payload bytes)")
        if n and int(aux.max()) > 255:
            raise FrameStreamError(f"seed frame {seq} at offset {offset} has a value above 255 "
                                   "(not a uint8 pixel: corrupt stream or wrong size?)")
        arr = self._payload_array(n)
        np.copyto(arr, aux, casting="unsafe")
        meta = {"seq": seq, "width": w, "height": h, "channels": c, "layout": "chw",
                "labels": [] if tag == SEED_NO_LABEL else [tag], "tag": tag}
        return meta, arr.reshape(c, h, w)


def read_frames(stream: Source, *, format: str = "frame", width: int | None = None,
                height: int | None = None, channels: int = 3, layout: str | None = None,
                reuse: bool = False, allow_incomplete: bool = False
                ) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
    """Yield ``(meta, ndarray)`` for each frame of ``stream``: a thin wrapper of
    :class:`FrameReader` (see there for sources, formats, ``meta`` keys and ``reuse``).

    Arrays are ``uint8`` ``(C, H, W)`` for CHW streams (the default layout) and ``(H, W, C)``
    for HWC. Example::

        >>> import sys, framepipe
        >>> for meta, img in framepipe.read_frames(sys.stdin.buffer):   # doctest: +SKIP
        ...     c, h, w = img.shape
        >>> raw = framepipe.read_frames("out.raw", format="raw", width=64, height=48)  # doctest: +SKIP
    """
    with FrameReader(stream, format=format, width=width, height=height, channels=channels,
                     layout=layout, reuse=reuse, allow_incomplete=allow_incomplete) as reader:
        yield from reader


# --------------------------------------------------------------------------------------------
# Command line: summary of a stream
# --------------------------------------------------------------------------------------------


def _parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not m or int(m.group(1)) <= 0 or int(m.group(2)) <= 0:
        raise ValueError(f"bad --size {text!r}: expected WxH, e.g. 64x48")
    return int(m.group(1)), int(m.group(2))


def summarize(reader: FrameReader, on_frame: Callable[[dict[str, Any], np.ndarray], None]
              | None = None) -> dict[str, Any]:
    """Read all of ``reader`` and return summary statistics as a JSON-able dict."""
    header = reader.header  # timing starts once the producer has started writing
    t0 = time.perf_counter()
    shapes: collections.Counter[str] = collections.Counter()
    layouts: collections.Counter[str] = collections.Counter()
    labels: collections.Counter[int] = collections.Counter()
    unlabelled = 0
    first_key = last_key = None
    n = 0
    for meta, arr in reader:
        n += 1
        shapes["x".join(map(str, arr.shape))] += 1
        layouts[meta["layout"]] += 1
        if meta["labels"]:
            labels.update(meta["labels"])
        else:
            unlabelled += 1
        key = meta.get("key")
        if key is not None:
            if first_key is None:
                first_key = key
            last_key = key
        if on_frame is not None:
            on_frame(meta, arr)
    dt = max(time.perf_counter() - t0, 1e-9)
    classes = reader.classes
    mb = reader.bytes_read / 1e6
    return {
        "format": reader.format,
        "producer": header.get("producer"),
        "source": header.get("source"),
        "frames": n,
        "shapes": dict(shapes),
        "layouts": dict(layouts),
        "labels": [{"label": k, "name": classes[k] if 0 <= k < len(classes) else None,
                    "count": v} for k, v in sorted(labels.items())],
        "unlabelled": unlabelled,
        "classes": classes,
        "end": reader.end,
        "complete": reader.complete,
        "first_key": first_key,
        "last_key": last_key,
        "bytes": reader.bytes_read,
        "mb": round(mb, 3),
        "seconds": round(dt, 4),
        "mb_per_s": round(mb / dt, 1),
        "frames_per_s": round(n / dt, 1),
    }


def _format_summary(s: dict[str, Any]) -> str:
    lines = []
    if s["format"] == "frame":
        lines.append(f"stream:   {s['producer'] or '?'}: {s['source'] or '?'}")
    shapes = ", ".join(f"{k}: {v}" for k, v in s["shapes"].items()) or "-"
    layouts = ", ".join(s["layouts"]) or "-"
    lines.append(f"frames:   {s['frames']}  (shapes {shapes}; layout {layouts}; uint8)")
    if s["labels"] or s["classes"]:
        parts = [f"{e['label']} {e['name'] or '?'}: {e['count']}" for e in s["labels"]]
        parts.append(f"(none): {s['unlabelled']}")
        lines.append("labels:   " + ", ".join(parts))
    end = s["end"]
    if s["format"] != "frame":
        pass
    elif end is None:
        lines.append("end:      MISSING: the stream was cut short (no end-of-stream record)")
    else:
        keys = ("frames", "skipped", "errors", "dropped", "reconnects")
        parts = [f"{k}={end[k]}" for k in keys if k in end]
        if "reason" in end:
            parts.append(f"reason={end['reason']}")
        if "elapsed_s" in end:
            parts.append(f"elapsed={end['elapsed_s']}s")
        lines.append("end:      " + " ".join(parts))
    if s["first_key"] is not None:
        lines.append(f"keys:     first={s['first_key']}  last={s['last_key']}")
    lines.append(f"read:     {s['mb']:.3f} MB in {s['seconds']:.3f} s "
                 f"({s['mb_per_s']:.1f} MB/s, {s['frames_per_s']:.1f} frames/s)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, prog: str = "framepipe.py") -> int:
    """``python3 framepipe.py [--format F] [--size WxH] [--summary] [--json] [FILE|-]``."""
    import argparse

    ap = argparse.ArgumentParser(
        prog=prog,
        description="Read a framepipe stream (stdin by default) and print a summary: frames, "
                    "shapes, labels, end-of-stream counts, keys, MB read and MB/s.")
    ap.add_argument("file", nargs="?", default="-", help="stream file, or - for stdin")
    ap.add_argument("--format", choices=FORMATS, default="frame", help="wire format")
    ap.add_argument("--size", help="WxH, required for raw and seed")
    ap.add_argument("--channels", type=int, default=3, help="channels for raw/seed (3)")
    ap.add_argument("--layout", choices=LAYOUTS, help="layout of raw payloads (chw)")
    ap.add_argument("--summary", action="store_true", help="print the summary (the default)")
    ap.add_argument("--list", action="store_true", help="also print one line per frame")
    ap.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    args = ap.parse_args(argv)
    out = sys.stdout
    try:
        width = height = None
        if args.size:
            width, height = _parse_size(args.size)
        elif args.format != "frame":
            raise ValueError(f"--format {args.format} needs --size WxH")
        kwargs: dict[str, Any] = {"format": args.format}
        if args.format != "frame":
            kwargs.update(width=width, height=height, channels=args.channels,
                          layout=args.layout)
        source: Any = sys.stdin.buffer if args.file == "-" else args.file

        def on_frame(meta: dict[str, Any], arr: np.ndarray) -> None:
            out.write(f"{meta['seq']}\t{meta.get('key') or '-'}\t"
                      f"{'x'.join(map(str, arr.shape))}\t{meta['labels']}\n")

        with FrameReader(source, reuse=True, allow_incomplete=True, **kwargs) as reader:
            summary = summarize(reader, on_frame if args.list else None)
        if args.json:
            out.write(json.dumps(summary) + "\n")
        else:
            out.write(_format_summary(summary) + "\n")
        out.flush()
        if args.format == "frame" and not summary["complete"]:
            sys.stderr.write(f"{prog}: warning: stream cut short (no end-of-stream record)\n")
            return 1
        return 0
    except BrokenPipeError:
        # our stdout was closed (e.g. `| head`): leave quietly, and keep the interpreter's
        # final flush from complaining.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except (FrameStreamError, ValueError, OSError) as e:
        try:
            out.flush()
        except (OSError, ValueError):
            pass
        sys.stderr.write(f"{prog}: error: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130


