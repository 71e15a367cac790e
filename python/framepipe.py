#!/usr/bin/env python3
"""Read framepipe streams from Python.

framepipe (the Deno CLI) writes decoded images / camera frames as raw ``uint8`` pixels in
one of three wire formats, specified byte by byte in ``docs/FORMAT.md``:

* ``frame`` (default): self-describing records (stream header, frames, end of stream);
* ``raw``: pixel payloads back to back; the reader must know ``C``, ``H``, ``W``;
* ``seed``: the original project's format (``u16`` tag, ``u32`` count, ``u16`` values).

This module needs only the standard library and numpy. ``torch`` is imported lazily, only
by :class:`FrameStream` (``framepipe.FrameStream`` is created on first access).

Quick start::

    import subprocess, framepipe

    # a stream on stdin:  deno run ... cli.ts images fixtures/frames | python3 mine.py
    import sys
    reader = framepipe.FrameReader(sys.stdin.buffer)
    print(reader.classes)                     # label names from the stream header
    for meta, img in reader:                  # img: uint8 ndarray (C, H, W) for CHW streams
        print(meta["seq"], meta["key"], meta["labels"], img.shape)
    print(reader.end)                         # end-of-stream counts; None if cut short

    # run the producer yourself (terminated if you stop early; non-zero exit raises)
    for meta, img in framepipe.frames_from_command(
            ["deno", "run", "--allow-read=fixtures", "cli.ts", "images", "fixtures/frames"]):
        ...

    # PyTorch (each DataLoader worker runs its own producer with ``--shard I/N``)
    ds = framepipe.FrameStream(["deno", "run", "--allow-read=fixtures", "cli.ts",
                                "images", "fixtures/frames", "--size", "64x48"])
    loader = torch.utils.data.DataLoader(ds, batch_size=32, num_workers=4)

As a command, ``python3 framepipe.py [--format frame|raw|seed] [--size WxH] [--summary]
[--json] [FILE|-]`` prints a summary of a stream (see ``--help``).
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import shlex
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from typing import IO, Any, Callable, Iterator, Sequence, Union

import numpy as np

__all__ = [
    "FORMATS",
    "FrameStreamError",
    "CommandError",
    "FrameReader",
    "CommandReader",
    "read_frames",
    "open_command",
    "frames_from_command",
    "RedisReader",
    "RedisStreamError",
    "redis_frames",
    # "FrameStream" is created lazily (it needs torch): ``from framepipe import FrameStream``.
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
    """A malformed or truncated stream (bad magic, unknown version, EOF mid-record, ...)."""


class CommandError(FrameStreamError):
    """The producer command exited with a non-zero status.

    ``returncode`` is the exit status (negative: killed by that signal) and ``stderr`` the
    last lines it wrote to stderr (empty if stderr was not captured).
    """

    def __init__(self, message: str, returncode: int | None = None,
                 stderr: Sequence[str] = ()):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = list(stderr)


# --------------------------------------------------------------------------------------------
# Opening sources
# --------------------------------------------------------------------------------------------


def _raise_pipe_size(fd: int, size: int) -> int | None:
    """Grow the pipe behind ``fd`` to ``size`` bytes (Linux); return its size, or None.

    Failures (not a pipe, not Linux, above /proc/sys/fs/pipe-max-size) are ignored.
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
        except OSError:
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
                 reuse: bool = False, pipe_size: int = DEFAULT_PIPE_SIZE):
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
            return None
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
                reuse: bool = False) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
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
                     layout=layout, reuse=reuse) as reader:
        yield from reader


# --------------------------------------------------------------------------------------------
# Producer commands
# --------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class CommandReader(FrameReader):
    """A :class:`FrameReader` over the stdout of a producer command it started (see
    :func:`open_command`). ``proc`` is the ``subprocess.Popen``.

    Closing it (or leaving its ``with`` block, or a ``break`` out of
    :func:`frames_from_command`) before the end of the stream terminates the child. At the
    end of the stream it waits for the child (``exit_timeout`` s) and raises
    :class:`CommandError` with the child's last stderr line if it exited non-zero; a
    malformed stream from a child that failed raises :class:`CommandError` too.
    """

    def __init__(self, args: Sequence[str], *, format: str = "frame",
                 width: int | None = None, height: int | None = None, channels: int = 3,
                 layout: str | None = None, reuse: bool = False, echo_stderr: bool = True,
                 exit_timeout: float = 10.0, pipe_size: int = DEFAULT_PIPE_SIZE,
                 **popen_kwargs: Any):
        if isinstance(args, (str, bytes)):
            raise TypeError("args must be a list of strings (no shell), e.g. "
                            "['deno', 'run', 'cli.ts', 'images', 'dir']")
        if "stdout" in popen_kwargs:
            raise ValueError("stdout is the frame stream: do not redirect it")
        self.args = [os.fspath(a) for a in args]
        self.exit_timeout = exit_timeout
        self._echo = echo_stderr
        self._stderr_tail: collections.deque[str] = collections.deque(maxlen=20)
        capture = "stderr" not in popen_kwargs
        if capture:
            popen_kwargs["stderr"] = subprocess.PIPE
        popen_kwargs.setdefault("stdin", subprocess.DEVNULL)
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, **popen_kwargs)
        self._terminated = False
        self._finished = False
        self._stderr_thread: threading.Thread | None = None
        if capture:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True,
                                                   name="framepipe-stderr")
            self._stderr_thread.start()
        try:
            super().__init__(self.proc.stdout, format=format, width=width, height=height,
                             channels=channels, layout=layout, reuse=reuse, pipe_size=pipe_size)
        except BaseException:
            self._stop_child()
            raise

    @property
    def stderr_tail(self) -> list[str]:
        """The last lines (up to 20) the child wrote to stderr, ANSI colours removed."""
        return list(self._stderr_tail)

    def _drain_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace")
                if self._echo:
                    try:
                        sys.stderr.write(line)
                        sys.stderr.flush()
                    except (OSError, ValueError):
                        pass
                line = _ANSI.sub("", line).strip()
                if line:
                    self._stderr_tail.append(line)
        except (OSError, ValueError):
            pass

    def _describe_exit(self, rc: int) -> str:
        cmd = shlex.join(self.args)
        if rc < 0:
            try:
                how = f"was killed by {signal.Signals(-rc).name}"
            except ValueError:
                how = f"was killed by signal {-rc}"
        else:
            how = f"exited with status {rc}"
        last = self._stderr_tail[-1] if self._stderr_tail else "(no stderr output)"
        return f"producer `{cmd}` {how}: {last}"

    def _join_stderr(self) -> None:
        if self._stderr_thread is not None:
            self._stderr_thread.join(timeout=2.0)

    def _stop_child(self) -> None:
        """Stop a child that is still running (consumer went away)."""
        proc = self.proc
        if proc.poll() is None:
            self._terminated = True
            try:
                # Closing our end first makes a child blocked on a full pipe fail with EPIPE.
                if proc.stdout is not None:
                    proc.stdout.close()
            except OSError:
                pass
            try:
                proc.terminate()
                proc.wait(timeout=5.0)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            except OSError:
                pass
        self._join_stderr()

    def _finish(self, error: BaseException | None = None) -> None:
        """The stream ended (normally or with ``error``): reap the child, raise on failure."""
        if self._finished:
            return
        self._finished = True
        proc = self.proc
        try:
            proc.wait(timeout=self.exit_timeout if error is None else 2.0)
        except subprocess.TimeoutExpired:
            self._stop_child()
            return
        self._join_stderr()
        rc = proc.returncode
        if rc:
            raise CommandError(self._describe_exit(rc), rc, self.stderr_tail) from error

    def __next__(self) -> tuple[dict[str, Any], np.ndarray]:
        try:
            return super().__next__()
        except StopIteration:
            if not self._finished and not self._closed:
                self._finish()
            raise
        except FrameStreamError as e:
            if not self._finished and not self._closed:
                self._finish(e)
            raise

    def close(self) -> None:
        """Terminate the child if it still runs, and close its pipes."""
        if not self._closed:
            if not self._finished:
                self._finished = True
                self._stop_child()
            super().close()
            for f in (self.proc.stdout, self.proc.stderr):
                try:
                    if f is not None:
                        f.close()
                except OSError:
                    pass

    def __del__(self) -> None:
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass


def open_command(args: Sequence[str], *, format: str = "frame", width: int | None = None,
                 height: int | None = None, channels: int = 3, layout: str | None = None,
                 reuse: bool = False, echo_stderr: bool = True, exit_timeout: float = 10.0,
                 **popen_kwargs: Any) -> CommandReader:
    """Start producer ``args`` (a list, no shell) and return a :class:`CommandReader` over
    its stdout. Extra keyword arguments go to ``subprocess.Popen`` (``cwd``, ``env``, ...).

    The child's stderr is captured (and echoed to ours unless ``echo_stderr=False``; pass
    ``stderr=...`` to handle it yourself) so that a failure can be reported with its last
    line. Use it as a context manager so an early exit terminates the child::

        >>> with framepipe.open_command(["deno", "run", "--allow-read=fixtures", "cli.ts",
        ...                              "images", "fixtures/frames"]) as reader:  # doctest: +SKIP
        ...     print(reader.classes)
        ...     for meta, img in reader:
        ...         ...
    """
    return CommandReader(args, format=format, width=width, height=height, channels=channels,
                         layout=layout, reuse=reuse, echo_stderr=echo_stderr,
                         exit_timeout=exit_timeout, **popen_kwargs)


def frames_from_command(args: Sequence[str], **kwargs: Any
                        ) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
    """Yield ``(meta, ndarray)`` from producer command ``args`` (see :func:`open_command`
    for the keyword arguments). Stopping early (``break``, ``close()``) terminates the
    child; a non-zero exit raises :class:`CommandError` with its last stderr line::

        >>> for meta, img in framepipe.frames_from_command(
        ...         ["deno", "run", "--allow-read=fixtures", "cli.ts", "images",
        ...          "fixtures/frames", "--size", "64x48"]):            # doctest: +SKIP
        ...     assert img.shape == (3, 48, 64)
    """
    with open_command(args, **kwargs) as reader:
        yield from reader


# --------------------------------------------------------------------------------------------
# Network sources: ``connect(...)`` (reading a framepipe socket sink) belongs here. It should
# return a FrameReader over ``sock.makefile("rb")`` (FrameReader already accepts sockets).
# --------------------------------------------------------------------------------------------

TOKEN_ENV = "FRAMEPIPE_TOKEN"
"""Environment variable holding the shared token (``token=None`` reads it)."""
_HELLO = b"FPAUTH1"
_OK = b"FPOK1\n"
_ERR = b"FPERR1 "
_MAX_LINE = 1024

__all__ += ["TOKEN_ENV", "AuthError", "SocketReader", "connect", "listen", "accept", "serve"]


class AuthError(FrameStreamError):
    """The token handshake failed: the peer refused our token, or presented a wrong one."""


def _env_token(token: str | None) -> str | None:
    if token is not None:
        return token or None
    return os.environ.get(TOKEN_ENV) or None


def _parse_address(address: Any, tls: bool) -> tuple[str, int, bool]:
    """``"HOST:PORT"``, ``"tcp://HOST:PORT"``, ``"tcps://HOST:PORT"``, ``PORT`` or a tuple."""
    if isinstance(address, tuple):
        return str(address[0]), int(address[1]), tls
    text = str(address).strip()
    m = re.fullmatch(r"(?:(tcps?)://)?(?:\[([0-9a-fA-F:.]+)\]|([^:/\[\]]*)):(\d+)/?", text)
    if not m:
        if text.isdigit():
            return "127.0.0.1", int(text), tls
        raise ValueError(f"bad address {address!r}: expected HOST:PORT or tcp://HOST:PORT")
    host = m.group(2) or m.group(3) or "127.0.0.1"
    return host, int(m.group(4)), tls or m.group(1) == "tcps"


class _PrefixedReader:
    """``readinto`` over bytes already read from a connection, then the connection."""

    def __init__(self, prefix: bytes, f: Any):
        self._prefix = memoryview(prefix)
        self._f = f

    def readinto(self, buf: memoryview) -> int | None:
        if self._prefix:
            n = min(len(buf), len(self._prefix))
            buf[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        return self._f.readinto(buf)

    def close(self) -> None:
        self._f.close()


class SocketReader(FrameReader):
    """A :class:`FrameReader` over a network connection (from :func:`connect` or
    :func:`accept`); closing it closes the connection. ``peer`` is the other side's address."""

    def __init__(self, sock: socket.socket, prefix: bytes, f: Any, **kwargs: Any):
        self.sock = sock
        self.peer = sock.getpeername()
        super().__init__(_PrefixedReader(prefix, f), pipe_size=0, **kwargs)

    def close(self) -> None:
        if not self._closed:
            super().close()
            for c in (self._file, self.sock):
                try:
                    c.close()
                except OSError:
                    pass


def _read_line(f: Any, first: bytes = b"") -> bytes:
    line = first + f.readline(_MAX_LINE - len(first))
    if not line.endswith(b"\n"):
        raise AuthError("bad handshake: no complete FPAUTH1/FPOK1 line")
    return line


def connect(address: Any, token: str | None = None, tls: bool = False, ca: str | None = None,
            timeout: float = 10.0, **kwargs: Any) -> SocketReader:
    """Connect to a ``framepipe ... --listen HOST:PORT`` server as a consumer and return a
    reader over the stream (iterate it for ``(meta, ndarray)``, like :func:`read_frames`).

    ``address`` is ``"HOST:PORT"``, ``"tcp://HOST:PORT"`` or ``"tcps://HOST:PORT"`` (TLS, as
    does ``tls=True``); ``ca`` is a PEM file to trust (a self-signed server certificate), else
    the system roots. ``token`` defaults to ``$FRAMEPIPE_TOKEN``; refused tokens raise
    :class:`AuthError`. Refused connections are retried until ``timeout`` seconds have passed
    (the server may not be up yet). Other keyword arguments go to :class:`FrameReader`::

        >>> with framepipe.connect("127.0.0.1:9000") as reader:        # doctest: +SKIP
        ...     for meta, img in reader:
        ...         print(meta["seq"], img.shape)
    """
    host, port, tls = _parse_address(address, tls)
    tok = _env_token(token)
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=max(timeout, 0.1))
            break
        except (ConnectionRefusedError, ConnectionResetError):
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            import ssl

            ctx = ssl.create_default_context(cafile=ca)
            sock = ctx.wrap_socket(sock, server_hostname=host)
        sock.sendall(_HELLO + (b" " + tok.encode("ascii") if tok else b"") + b"\n")
        sock.settimeout(None)  # the stream may pause (e.g. --wait-consumers)
        f = sock.makefile("rb")
        head = f.read(4)
        prefix = head
        if head in (b"FPOK", b"FPER"):
            line = _read_line(f, head)
            if line != _OK:
                why = line[len(_ERR):].decode("utf-8", "replace").strip() \
                    if line.startswith(_ERR) else "unexpected answer"
                raise AuthError(f"{host}:{port} refused the connection: {why} (check "
                                f"{TOKEN_ENV} / token=)")
            prefix = b""
        return SocketReader(sock, prefix, f, **kwargs)
    except BaseException:
        sock.close()
        raise


def listen(address: Any = "127.0.0.1:9000", backlog: int = 1) -> socket.socket:
    """Bind a listening socket for ``framepipe ... --out tcp://HOST:PORT`` (the consumer is
    the server). ``PORT`` alone binds 127.0.0.1; port 0 picks a free port
    (``sock.getsockname()[1]``). Pass it to :func:`accept`."""
    host, port, _ = _parse_address(address, False)
    return socket.create_server((host, port), backlog=backlog)


def accept(server: socket.socket, token: str | None = None, tls_cert: str | None = None,
           tls_key: str | None = None, timeout: float | None = None,
           **kwargs: Any) -> SocketReader:
    """Accept one producer on ``server`` (from :func:`listen`), check its token and return a
    reader over its stream. ``token`` defaults to ``$FRAMEPIPE_TOKEN``; when set, a producer
    without it or with another one gets ``FPERR1 ...`` and :class:`AuthError` is raised.
    ``tls_cert``/``tls_key`` (PEM files) serve TLS (the producer uses ``tcps://`` and
    ``--ca``). ``timeout`` bounds the wait for a producer (None: forever)."""
    tok = _env_token(token)
    server.settimeout(timeout)
    sock, _ = server.accept()
    try:
        sock.settimeout(10.0)
        if tls_cert:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls_cert, tls_key)
            sock = ctx.wrap_socket(sock, server_side=True)
        f = sock.makefile("rb")
        head = f.read(4)
        prefix = head
        if head == _HELLO[:4]:
            line = _read_line(f, head).rstrip(b"\r\n")
            presented = line[len(_HELLO) + 1:] if line.startswith(_HELLO + b" ") else b""
            if line != _HELLO and not line.startswith(_HELLO + b" "):
                reason = "bad handshake"
            elif tok is None:
                reason = None
            elif not presented:
                reason = "token required"
            else:
                import hmac

                ok = hmac.compare_digest(presented, tok.encode("ascii", "replace"))
                reason = None if ok else "bad token"
            if reason:
                sock.sendall(_ERR + reason.encode() + b"\n")
                raise AuthError(f"refused producer {sock.getpeername()[0]}: {reason}")
            sock.sendall(_OK)
            prefix = b""
        elif tok is not None:
            sock.sendall(_ERR + b"token required\n")
            raise AuthError(f"refused producer {sock.getpeername()[0]}: token required")
        sock.settimeout(None)
        return SocketReader(sock, prefix, f, **kwargs)
    except BaseException:
        sock.close()
        raise


def serve(address: Any = "127.0.0.1:9000", token: str | None = None, **kwargs: Any
          ) -> SocketReader:
    """:func:`listen` on ``address``, :func:`accept` one producer (``framepipe ... --out
    tcp://HOST:PORT``), close the listening socket and return the reader::

        >>> for meta, img in framepipe.serve("127.0.0.1:9000"):       # doctest: +SKIP
        ...     print(meta["key"], img.shape)
    """
    with listen(address) as server:
        return accept(server, token=token, **kwargs)



# --------------------------------------------------------------------------------------------
# Redis Streams (docs/SCALE_OUT.md): one producer, many consumers in consumer groups
# --------------------------------------------------------------------------------------------

REDIS_PASSWORD_ENVS = ("FRAMEPIPE_REDIS_PASSWORD", "REDIS_PASSWORD")
"""Environment variables read for the Redis password, in order."""

_REDIS_URL = re.compile(r"^(rediss?)://([^/?#]*)/([^?#]+)(?:\?([^#]*))?$", re.I)


class RedisStreamError(FrameStreamError):
    """A Redis stream cannot be read: bad URL, server gone for longer than the timeout."""


def _parse_redis_url(url: str) -> dict[str, Any]:
    """``redis://[USER@]HOST:PORT/STREAM[?group=..&consumer=..]`` -> parts (no password)."""
    from urllib.parse import parse_qsl, unquote
    m = _REDIS_URL.match(url.strip())
    if not m:
        raise RedisStreamError(f"{url!r} is not redis://[USER@]HOST:PORT/STREAM")
    auth = m.group(2)
    user = None
    if "@" in auth:
        user, auth = auth.rsplit("@", 1)
        if ":" in user:
            raise RedisStreamError("a password in a redis:// URL would be visible to others; set "
                                   "FRAMEPIPE_REDIS_PASSWORD (or REDIS_PASSWORD) instead")
        user = unquote(user)
    v6 = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d+))?", auth)
    if v6:
        host, port = v6.group(1), v6.group(2)
    else:
        host, _, port = auth.partition(":")
    return {"tls": m.group(1).lower() == "rediss", "host": host, "port": int(port or 6379),
            "username": user, "stream": unquote(m.group(3)),
            "query": dict(parse_qsl(m.group(4) or ""))}


def _redis_id(x: Any) -> tuple[int, int]:
    s = x.decode() if isinstance(x, bytes) else str(x)
    a, _, b = s.partition("-")
    return int(a or 0), int(b or 0)


class RedisReader:
    """Frames from one or more framepipe Redis streams through a consumer group.

    Iterating yields ``(meta, ndarray)`` like :class:`FrameReader` (``meta`` also has
    ``stream`` and ``redis_id``). Each frame is acknowledged (``XACK``) when the next one is
    requested, so delivery is at-least-once: after a crash a frame may come again (drop
    duplicates by ``meta["seq"]`` per ``meta["stream"]`` if it matters). ``ack="yield"``
    acknowledges a frame as it is handed out instead (what :class:`FrameStream` workers do: a
    DataLoader takes batches from its workers in turn, so a worker holding an unacknowledged
    frame would stall the others at the end of the stream). Frames a dead consumer
    left pending for ``claim_idle_ms`` are claimed (``XAUTOCLAIM``). A restarted consumer with
    the same name first gets its own pending frames again. Iteration ends when every producer
    of every stream has written its end entry and the group has been delivered, and has
    acknowledged, every entry up to it. The group is created when missing (``start``: ``"0"``
    from the beginning, ``"$"`` only new entries), also after a Redis restart (``NOGROUP``).
    """

    def __init__(self, url: str | Sequence[str], group: str = "framepipe",
                 consumer: str | None = None, *, start: str = "0", ack: bool | str = True,
                 claim_idle_ms: int = 30000, block_ms: int = 1000, count: int = 8,
                 password: str | None = None, ca: str | None = None,
                 connect_timeout: float = 30.0):
        import redis  # Debian: python3-redis; pip: redis
        self._redis = redis
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValueError("RedisReader needs at least one redis:// URL")
        parts = [_parse_redis_url(u) for u in urls]
        p0 = parts[0]
        for p in parts[1:]:
            if (p["host"], p["port"], p["tls"], p["username"]) != \
                    (p0["host"], p0["port"], p0["tls"], p0["username"]):
                raise RedisStreamError("all streams of one RedisReader must be on one server")
        if password is None:
            password = next((os.environ[k] for k in REDIS_PASSWORD_ENVS if os.environ.get(k)),
                            None)
        self.streams = [p["stream"] for p in parts]
        self.group = group
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.start, self.ack, self.count = start, ack, max(1, int(count))
        self.claim_idle_ms, self.block_ms = int(claim_idle_ms), int(block_ms)
        self.connect_timeout = connect_timeout
        self.url = urls[0] if len(urls) == 1 else urls
        kw: dict[str, Any] = {"host": p0["host"], "port": p0["port"], "username": p0["username"],
                              "password": password, "socket_keepalive": True}
        if p0["tls"]:
            kw.update(ssl=True, ssl_ca_certs=ca)
        self._r = redis.Redis(**kw)
        self.header: dict[str, Any] | None = None
        """Header metadata (classes, size, layout) of the last stream header seen."""
        self.ends: dict[str, list[dict[str, Any]]] = {}
        """End-of-stream counts per stream, one per producer, once finished."""
        self.frames_read = 0
        self.claimed = 0
        """Frames taken over from other consumers (``XAUTOCLAIM``)."""
        self.reconnects = 0
        self._closed = False
        for s in self.streams:
            self._call(self._ensure_group, s)
            h = self._call(self._r.get, f"{s}:header")
            if h:
                self.header = json.loads(h)

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn``; retry while the server is unreachable (``connect_timeout``), recreate
        groups lost in a Redis restart (``NOGROUP``)."""
        deadline = time.monotonic() + self.connect_timeout
        delay = 0.05
        while True:
            try:
                return fn(*args, **kwargs)
            except self._redis.exceptions.AuthenticationError as e:
                raise RedisStreamError(f"Redis refused the credentials: {e} (set "
                                       "FRAMEPIPE_REDIS_PASSWORD or REDIS_PASSWORD)") from e
            except (self._redis.exceptions.ConnectionError,
                    self._redis.exceptions.TimeoutError) as e:
                if time.monotonic() >= deadline:
                    raise RedisStreamError(f"Redis at {self.url} did not answer for "
                                           f"{self.connect_timeout} s: {e}") from e
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
                self.reconnects += 1
            except self._redis.exceptions.ResponseError as e:
                if "NOGROUP" not in str(e):
                    raise
                for s in self.streams:  # Redis restarted without persistence: start again
                    self._ensure_group(s, "0")

    def _ensure_group(self, stream: str, start: str | None = None) -> None:
        try:
            self._r.xgroup_create(stream, self.group, id=start or self.start, mkstream=True)
        except self._redis.exceptions.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    @property
    def classes(self) -> list[str]:
        """Class names from the stream header (label ``i`` is ``classes[i]``)."""
        return list((self.header or {}).get("classes") or [])

    @property
    def end(self) -> dict[str, Any] | None:
        """The last end-of-stream counts seen (``None`` until finished)."""
        last = [e for es in self.ends.values() for e in es]
        return last[-1] if last else None

    def _finished(self) -> bool:
        ends: dict[str, list[dict[str, Any]]] = {}
        for s in self.streams:
            prods = self._r.hgetall(f"{s}:producers")
            if not prods or any(v == b"running" for v in prods.values()):
                return False
            ends[s] = [json.loads(v) for v in prods.values()]
            last = max((_redis_id(e.get("id", "0-0")) for e in ends[s]), default=(0, 0))
            info = {g["name"].decode() if isinstance(g["name"], bytes) else g["name"]: g
                    for g in self._r.xinfo_groups(s)}
            g = info.get(self.group)
            if g is None or g["pending"] or _redis_id(g["last-delivered-id"]) < last:
                return False
        self.ends = ends
        return True

    def _decode(self, stream: str, eid: Any, fields: dict[bytes, bytes] | None
                ) -> tuple[dict[str, Any], np.ndarray] | None:
        """A frame from an entry; header/end entries update state and return None."""
        if not fields or b"h" not in fields:
            return None  # trimmed or deleted while pending
        rec = RECORD_HEADER.unpack(fields[b"h"][:RECORD_HEADER.size])
        (magic, kind, _, _, layout_b, c, w, h, _, seq, position, timestamp, p) = rec
        if magic != MAGIC:
            raise RedisStreamError(f"{stream} entry {eid!r} is not a framepipe record")
        md = json.loads(fields.get(b"m") or b"{}")
        if kind == KIND_HEADER:
            self.header = md
            return None
        if kind == KIND_END:
            return None
        payload = fields.get(b"p", b"")
        if len(payload) != p or p != c * w * h:
            raise RedisStreamError(f"{stream} entry {eid!r}: payload {len(payload)} bytes, "
                                   f"expected {p} = C*W*H = {c}*{w}*{h}")
        layout = "hwc" if layout_b else "chw"
        meta: dict[str, Any] = {
            "seq": seq, "position": position, "timestamp": timestamp, "width": w,
            "height": h, "channels": c, "layout": layout, "key": md.get("key"),
            "labels": [int(x) for x in md.get("labels") or []],
            "epoch": int(md.get("epoch") or 0),
        }
        for k, v in md.items():
            meta.setdefault(k, v)
        meta["stream"] = stream
        meta["redis_id"] = eid.decode() if isinstance(eid, bytes) else str(eid)
        arr = np.frombuffer(payload, np.uint8).copy()
        return meta, arr.reshape((h, w, c) if layout == "hwc" else (c, h, w))

    def _read(self, ids: dict[str, str], block: int | None) -> list[tuple[str, Any, Any]]:
        reply = self._r.xreadgroup(self.group, self.consumer, ids, count=self.count,
                                   block=block)
        out = []
        for s, entries in reply or []:
            s = s.decode() if isinstance(s, bytes) else s
            out.extend((s, eid, fields) for eid, fields in entries)
        return out

    def _claim(self) -> list[tuple[str, Any, Any]]:
        out = []
        for s in self.streams:
            r = self._r.execute_command("XAUTOCLAIM", s, self.group, self.consumer,
                                        self.claim_idle_ms, "0-0", "COUNT", self.count)
            entries = r[1] if isinstance(r, (list, tuple)) and len(r) > 1 else []
            for e in entries:
                if e is None:
                    continue
                eid, fields = e[0], e[1]
                if isinstance(fields, (list, tuple)):  # raw reply: flat field/value list
                    fields = dict(zip(fields[::2], fields[1::2]))
                out.append((s, eid, fields))
        self.claimed += sum(1 for _, _, f in out if f)
        return out

    def __iter__(self) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
        backlog = {s: "0" for s in self.streams}  # our own pending entries first (a restart)
        last_claim = time.monotonic()
        while not self._closed:
            if backlog:
                batch = self._call(self._read, dict(backlog), None)
                got = {s for s, _, _ in batch}
                for s in list(backlog):
                    if s not in got:
                        del backlog[s]
                    else:
                        backlog[s] = max((e for t, e, _ in batch if t == s), key=_redis_id)
                        backlog[s] = backlog[s].decode() if isinstance(backlog[s], bytes) \
                            else backlog[s]
            else:
                batch = self._call(self._read, {s: ">" for s in self.streams}, self.block_ms)
            if not batch or time.monotonic() - last_claim >= self.claim_idle_ms / 1000:
                last_claim = time.monotonic()
                batch += self._call(self._claim)
            if not batch:
                if self._call(self._finished):
                    return
                continue
            for s, eid, fields in batch:
                item = self._decode(s, eid, fields)
                if item is None:
                    if self.ack:
                        self._call(self._r.xack, s, self.group, eid)
                    continue
                self.frames_read += 1
                if self.header is None:  # the H entry went to another consumer
                    h = self._call(self._r.get, f"{s}:header")
                    self.header = json.loads(h) if h else None
                if self.ack == "yield":
                    self._call(self._r.xack, s, self.group, eid)
                yield item
                if self.ack is True:
                    self._call(self._r.xack, s, self.group, eid)

    def close(self) -> None:
        """Close the connection (frames yielded but not acknowledged stay pending)."""
        if not self._closed:
            self._closed = True
            try:
                self._r.close()
            except Exception:
                pass

    def __enter__(self) -> RedisReader:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"RedisReader({self.streams!r}, group={self.group!r}, "
                f"consumer={self.consumer!r}, frames_read={self.frames_read})")


def redis_frames(url: str | Sequence[str], group: str = "framepipe",
                 consumer: str | None = None, *, start: str = "0", ack: bool = True,
                 claim_idle_ms: int = 30000, block_ms: int = 1000, count: int = 8,
                 **kwargs: Any) -> Iterator[tuple[dict[str, Any], np.ndarray]]:
    """Yield ``(meta, ndarray)`` from framepipe Redis stream(s) as consumer ``consumer`` of
    consumer group ``group`` (see :class:`RedisReader`). ``url`` is
    ``redis://[USER@]HOST:PORT/STREAM`` (``rediss://`` for TLS, ``ca=`` for its CA file) or a
    list of such URLs on one server. The password comes from ``password=``,
    ``$FRAMEPIPE_REDIS_PASSWORD`` or ``$REDIS_PASSWORD``. Example::

        >>> for meta, img in framepipe.redis_frames("redis://gpu1:6379/framepipe:cam:door",
        ...                                         "train", "rank0"):   # doctest: +SKIP
        ...     step(img)
    """
    with RedisReader(url, group, consumer, start=start, ack=ack, claim_idle_ms=claim_idle_ms,
                     block_ms=block_ms, count=count, **kwargs) as reader:
        yield from reader


def _redis_reader_for(url: str, worker_id: int, shard: tuple[int, int] | None,
                      **kwargs: Any) -> RedisReader:
    """The reader a FrameStream DataLoader worker uses: options from the URL's query
    (``group``, ``consumer``, ``claim_idle_ms``, ``block_ms``, ``count``, ``start``), consumer
    name ``f"{consumer}-{rank}-{worker}"`` (``consumer`` defaults to the host name)."""
    q = _parse_redis_url(url)["query"]
    base = url.split("?", 1)[0]
    rank = shard[0] if shard is not None else int(os.environ.get("RANK", "0") or 0)
    name = f"{q.get('consumer') or socket.gethostname()}-{rank}-{worker_id}"
    opts: dict[str, Any] = {k: int(q[k]) for k in ("claim_idle_ms", "block_ms", "count")
                            if k in q}
    if "start" in q:
        opts["start"] = q["start"]
    opts.setdefault("count", 1)  # a suspended worker holds no undelivered batch
    return RedisReader(base, q.get("group") or "framepipe", name, ack="yield", **opts, **kwargs)


# --------------------------------------------------------------------------------------------
# PyTorch: FrameStream (created on first access so that importing this module needs no torch)
# --------------------------------------------------------------------------------------------

TARGETS = ("first", "labels", "meta", "none")


def _shard_for(worker_id: int, num_workers: int, shard: tuple[int, int] | None
               ) -> tuple[int, int]:
    """Compose a DataLoader worker with a DDP shard: ``(rank*W + id, world*W)``."""
    rank, world = shard if shard is not None else (0, 1)
    if not (0 <= rank < world):
        raise ValueError(f"bad shard {shard!r}: need 0 <= rank < world")
    return rank * num_workers + worker_id, world * num_workers


def _make_frame_stream() -> type:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info

    class FrameStream(IterableDataset):
        """A ``torch.utils.data.IterableDataset`` of framepipe frames.

        ``source`` is either a producer **command** (a list of args, e.g.
        ``["deno", "run", "--allow-read=data", "cli.ts", "images", "data"]``) or a **path /
        file object / fd** with a stream. With a command, every DataLoader worker runs its
        own copy with ``--shard I/N`` appended (``shard_flag``), where
        ``I = rank*num_workers + worker_id`` and ``N = world*num_workers`` for an optional
        ``shard=(rank, world)`` (e.g. the DDP rank and world size), so workers and ranks read
        disjoint parts that together cover the data (nothing is appended when ``N == 1``).
        For DDP, add ``--even-shards`` to an ``images`` command so that every rank gets the
        same number of frames (a rank that runs out first would hang the others).
        A command is re-run for every epoch (every ``iter()``). A path is re-opened every
        epoch; a file object can be read only once. Paths and file objects cannot be split:
        they need ``num_workers <= 1`` and no ``shard``.

        Yields ``(image, target)``: ``image`` a ``uint8`` tensor ``(C, H, W)`` (HWC streams
        are permuted to CHW, as a view), passed through ``transform`` if given; ``target``:

        * ``"first"`` (default): the first label as ``int``, ``-1`` when there is none;
        * ``"labels"``: the list of labels (needs your own ``collate_fn`` when batching);
        * ``"meta"``: the whole ``meta`` dict (idem);
        * ``"none"``: yields the image alone;
        * a callable: ``target(meta)``.

        Other keyword arguments (``format``, ``width``, ``height``, ``channels``,
        ``layout``) go to the reader; ``echo_stderr`` / ``popen_kwargs`` to
        :func:`open_command`. Example::

            >>> ds = framepipe.FrameStream(["deno", "run", "--allow-read=fixtures", "cli.ts",
            ...                             "images", "fixtures/frames", "--size", "64x48",
            ...                             "--labels", "fixtures/phases.json"])  # doctest: +SKIP
            >>> loader = torch.utils.data.DataLoader(ds, batch_size=16, num_workers=2)  # doctest: +SKIP
            >>> for x, y in loader:                   # x: uint8 (B, 3, 48, 64), y: int64 (B,)
            ...     logits = model(x.float() / 255)   # doctest: +SKIP
        """

        def __init__(self, source: Source | Sequence[str], *, format: str = "frame",
                     width: int | None = None, height: int | None = None, channels: int = 3,
                     layout: str | None = None,
                     transform: Callable[[torch.Tensor], Any] | None = None,
                     target: str | Callable[[dict[str, Any]], Any] = "first",
                     shard: tuple[int, int] | None = None, shard_flag: str = "--shard",
                     echo_stderr: bool = True, popen_kwargs: dict[str, Any] | None = None):
            super().__init__()
            if not callable(target) and target not in TARGETS:
                raise ValueError(f"target must be one of {', '.join(TARGETS)} or a callable, "
                                 f"not {target!r}")
            if format not in FORMATS:
                raise ValueError(f"unknown format {format!r}")
            if shard is not None:
                shard = (int(shard[0]), int(shard[1]))
                _shard_for(0, 1, shard)  # validate
            self.is_command = isinstance(source, (list, tuple))
            self.source = list(source) if self.is_command else source  # type: ignore[arg-type]
            self.format = format
            self.reader_kwargs = {"format": format, "width": width, "height": height,
                                  "channels": channels, "layout": layout}
            self.transform = transform
            self.target = target
            self.shard = shard
            self.shard_flag = shard_flag
            self.echo_stderr = echo_stderr
            self.popen_kwargs = dict(popen_kwargs or {})
            self.classes: list[str] | None = None
            """Label names from the last stream header read (in this process)."""

        def command_for(self, worker_id: int = 0, num_workers: int = 1) -> list[str]:
            """The command that worker ``worker_id`` of ``num_workers`` runs."""
            if not self.is_command:
                raise TypeError("source is not a command")
            index, count = _shard_for(worker_id, num_workers, self.shard)
            args = list(self.source)  # type: ignore[arg-type]
            if count > 1:
                args += [self.shard_flag, f"{index}/{count}"]
            return args

        def _open(self) -> FrameReader:
            info = get_worker_info()
            worker_id, num_workers = (info.id, info.num_workers) if info else (0, 1)
            if self.is_command:
                return open_command(self.command_for(worker_id, num_workers),
                                    echo_stderr=self.echo_stderr, **self.reader_kwargs,
                                    **self.popen_kwargs)
            if isinstance(self.source, str) and self.source.startswith(("redis://", "rediss://")):
                # a consumer group: every DataLoader worker is its own consumer (disjoint frames)
                return _redis_reader_for(self.source, worker_id, self.shard)  # type: ignore
            if num_workers > 1 or (self.shard is not None and self.shard[1] > 1):
                raise FrameStreamError(
                    f"FrameStream: a path or file source cannot be split between "
                    f"{num_workers} DataLoader workers / shard {self.shard}: every worker "
                    "would read the same frames. Use num_workers=0 or 1, or give a producer "
                    "command (list of args) so that each worker runs its own --shard I/N.")
            if isinstance(self.source, str) and self.source.startswith(("tcp://", "tcps://")):
                # a `--listen` server: every connection gets every frame (fan-out)
                return connect(self.source, **self.reader_kwargs)
            return FrameReader(self.source, **self.reader_kwargs)  # type: ignore[arg-type]

        def __iter__(self) -> Iterator[Any]:
            target = self.target
            transform = self.transform
            with self._open() as reader:
                self.classes = reader.classes
                for meta, arr in reader:
                    x = torch.from_numpy(arr)
                    if meta["layout"] == "hwc":
                        x = x.permute(2, 0, 1)
                    if transform is not None:
                        x = transform(x)
                    if target == "first":
                        labels = meta["labels"]
                        yield x, (labels[0] if labels else -1)
                    elif target == "labels":
                        yield x, meta["labels"]
                    elif target == "meta":
                        yield x, meta
                    elif target == "none":
                        yield x
                    else:
                        yield x, target(meta)  # type: ignore[operator]

    FrameStream.__module__ = __name__
    FrameStream.__qualname__ = "FrameStream"
    return FrameStream


def __getattr__(name: str) -> Any:
    if name == "FrameStream":
        cls = _make_frame_stream()
        globals()["FrameStream"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def main(argv: Sequence[str] | None = None) -> int:
    """``python3 framepipe.py [--format F] [--size WxH] [--summary] [--json] [FILE|-]``."""
    import argparse

    ap = argparse.ArgumentParser(
        prog="framepipe.py",
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
    prog = "framepipe.py"
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

        with FrameReader(source, reuse=True, **kwargs) as reader:
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


if __name__ == "__main__":
    sys.exit(main())
