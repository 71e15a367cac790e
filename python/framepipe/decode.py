"""One file at a time: :func:`read_rgb_image`, through a long-lived decode helper.

The first call starts ``framepipe decode-server`` (one helper per Python process); later calls
send it a request and read one frame record back, so a call costs the decode, not a Deno
start-up. The helper is closed at exit, forgotten in a forked child (a DataLoader worker starts
its own on first use), and exits by itself when this process dies (its stdin closes).
"""

from __future__ import annotations

import atexit
import collections
import json
import os
import re
import subprocess
import sys
import threading
from typing import Any, Sequence

import numpy as np

from .command import _ANSI, ProducerNotFoundError, _check_size, find_producer
from .wire import FrameReader, FrameStreamError

__all__ = ["read_rgb_image", "DecodeError", "DecodeHelper", "DecodeHelperError",
           "decode_helper", "list_images"]

_OPTIONS = {
    "resize": "resize", "fit": "fit", "orientation": "orientation", "dct_scale": "dctScale",
    "decoder": "decoder", "max_pixels": "maxPixels", "max_scans": "maxScans",
}
"""``read_rgb_image`` keyword -> request field (the ``images`` flags of the same names)."""


class DecodeError(ValueError):
    """One image could not be read: ``kind`` is ``"decode"`` (corrupt or unsupported),
    ``"not-image"``, ``"read"`` (missing file, permission) or ``"request"`` (bad option);
    ``path`` is the file."""

    def __init__(self, message: str, kind: str = "decode", path: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.path = path


class DecodeHelperError(FrameStreamError):
    """The decode helper could not be started or died; the message has its exit status and
    last stderr line."""


class DecodeHelper:
    """A ``framepipe decode-server`` process: requests on its stdin, one frame record per
    request on its stdout. Thread-safe (one request at a time). Use :func:`decode_helper`
    for this process's shared helper."""

    def __init__(self, command: Sequence[str] | None = None):
        if command is None:
            how, prefix = find_producer()
            if how == "clone":
                prefix = prefix[:-1] + ["--allow-read"] + prefix[-1:]
            command = prefix + ["decode-server"]
        self.command = list(command)
        self.pid_owner = os.getpid()
        self._lock = threading.Lock()
        self._tail: collections.deque[str] = collections.deque(maxlen=20)
        self._next_id = 0
        # Plain pipe fds, no buffered file objects: those hold locks that a fork (DataLoader
        # workers) could copy in the locked state.
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            self.proc = subprocess.Popen(self.command, stdin=in_r, stdout=out_w, stderr=err_w)
        except FileNotFoundError as e:
            for fd in (in_r, in_w, out_r, out_w, err_r, err_w):
                os.close(fd)
            raise ProducerNotFoundError(f"cannot start the decode helper {self.command[0]!r}: "
                                        f"{e.strerror}") from None
        finally:
            for fd in (in_r, out_w, err_w):
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._in: int | None = in_w
        self._err: int | None = err_r
        self._out = open(out_r, "rb", buffering=0)  # raw FileIO: no lock
        self._stderr = threading.Thread(target=self._drain, daemon=True,
                                        name="framepipe-decode-helper-stderr")
        self._stderr.start()
        # as large a pipe as allowed: an 853x480 answer in one or two reads
        self._reader = FrameReader(self._out, allow_incomplete=True, pipe_size=4 << 20)
        try:
            self._reader.header
        except FrameStreamError as e:
            self.close()
            raise self._died("did not start", e) from None

    @property
    def pid(self) -> int:
        """The helper's process id."""
        return self.proc.pid

    def _drain(self) -> None:
        fd = self._err
        buf = b""
        try:
            while fd is not None:
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                *lines, buf = (buf + chunk).split(b"\n")
                for raw in lines:
                    line = _ANSI.sub("", raw.decode("utf-8", "replace")).strip()
                    if line:
                        self._tail.append(line)
                buf = buf[-4096:]
        except OSError:
            pass
        if buf.strip():
            self._tail.append(_ANSI.sub("", buf.decode("utf-8", "replace")).strip())

    def _died(self, what: str, cause: BaseException | None = None) -> DecodeHelperError:
        try:
            rc = self.proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            rc = None
        self._stderr.join(timeout=1.0)
        tail = list(self._tail)
        last = next((t for t in reversed(tail) if re.match(r"(framepipe: )?error", t, re.I)),
                    tail[-1] if tail else "(no stderr output)")
        status = "is still running" if rc is None else f"exited with status {rc}"
        extra = f" ({cause})" if cause else ""
        return DecodeHelperError(f"decode helper `{' '.join(self.command)}` {what}: it {status}:"
                                 f" {last}{extra}")

    def request(self, req: dict[str, Any]) -> tuple[dict[str, Any], np.ndarray]:
        """Send one request, return its ``(meta, array)``; an ``error`` answer raises
        :class:`DecodeError`."""
        with self._lock:
            self._next_id += 1
            req = dict(req, id=self._next_id)
            line = (json.dumps(req) + "\n").encode("utf-8")
            try:
                if self._in is None:
                    raise BrokenPipeError("closed")
                view = memoryview(line)
                while view:
                    view = view[os.write(self._in, view):]
                item = self._reader.read()
            except (OSError, FrameStreamError) as e:
                raise self._died("stopped answering", e) from None
            if item is None:
                raise self._died("stopped answering")
        meta, arr = item
        if meta.get("id") != req["id"]:
            raise DecodeHelperError(f"decode helper answered request {meta.get('id')} to "
                                    f"request {req['id']} (out of step)")
        if "error" in meta:
            raise DecodeError(meta["error"], meta.get("kind") or "decode", req.get("path"))
        return meta, arr

    def read(self, path: str | os.PathLike[str], width: int, height: int,
             **options: Any) -> np.ndarray:
        """Decode ``path`` to a ``(3, height, width)`` uint8 array (see :func:`read_rgb_image`)."""
        req: dict[str, Any] = {"op": "read", "path": os.path.abspath(os.fspath(path)),
                               "width": width, "height": height}
        for k, v in options.items():
            if k not in _OPTIONS:
                raise TypeError(f"unknown option {k!r}: expected one of {', '.join(_OPTIONS)}")
            if v is not None:
                req[_OPTIONS[k]] = v
        meta, arr = self.request(req)
        if arr.shape != (3, height, width):
            raise DecodeHelperError(f"decode helper returned shape {arr.shape} for "
                                    f"(3, {height}, {width})")
        return arr

    def list(self, inputs: Sequence[str | os.PathLike[str]], labels: str | None = None,
             *, label_stride: int | None = None, label_field: str | None = None,
             on_missing_label: str | None = None) -> dict[str, Any]:
        """The files ``framepipe images INPUTS [--labels L ...]`` reads, in its order, with its
        labels: ``{"files": [[key, path, labels], ...], "classes": [...], "not_images": n}``.
        ``labels``: ``"dirs"``, a label file, or a per-video template (``labels/{video}.json``);
        ``label_stride``, ``label_field``, ``on_missing_label`` as the ``images`` flags."""
        req: dict[str, Any] = {"op": "list",
                               "inputs": [os.path.abspath(os.fspath(i)) for i in inputs]}
        if labels is not None:
            lab = os.fspath(labels)
            req["labels"] = lab if lab == "dirs" else os.path.abspath(lab)
        for key, value in (("labelStride", label_stride), ("labelField", label_field),
                           ("onMissingLabel", on_missing_label)):
            if value is not None:
                req[key] = value
        meta, _ = self.request(req)
        return {"files": meta["files"], "classes": meta["classes"],
                "not_images": meta.get("not_images", 0)}

    def close(self) -> None:
        """Close the helper's stdin (it exits), wait for it briefly, kill it if needed."""
        fd, self._in = self._in, None
        if fd is not None:
            os.close(fd)
        try:
            self.proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._stderr.join(timeout=1.0)
        self._out.close()
        err, self._err = self._err, None
        if err is not None:
            try:
                os.close(err)
            except OSError:
                pass

    def _forget_in_child(self) -> None:
        """After fork: the helper belongs to the parent. Close our copies of its pipes (so it
        still sees EOF when the parent exits) without touching the process."""
        for name in ("_in", "_err"):
            fd = getattr(self, name)
            setattr(self, name, None)
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        try:
            self._out.close()
        except OSError:
            pass
        self.proc.returncode = 0  # never wait for the parent's child


_helper: DecodeHelper | None = None
_helper_lock = threading.Lock()


def decode_helper() -> DecodeHelper:
    """This process's decode helper (started on first use)."""
    global _helper
    h = _helper
    if h is not None and h.pid_owner == os.getpid() and h.proc.poll() is None:
        return h
    with _helper_lock:
        h = _helper
        if h is None or h.pid_owner != os.getpid() or h.proc.poll() is not None:
            _helper = h = DecodeHelper()
        return h


def _close_helper() -> None:
    global _helper
    h, _helper = _helper, None
    if h is not None and h.pid_owner == os.getpid():
        h.close()


def _after_fork_in_child() -> None:
    global _helper, _helper_lock
    h, _helper = _helper, None
    _helper_lock = threading.Lock()
    if h is not None:
        h._forget_in_child()


atexit.register(_close_helper)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def read_rgb_image(path: str | os.PathLike[str], *args: Any, width: int = 853,
                   height: int = 480, **options: Any) -> np.ndarray:
    """Read one JPEG as a ``(3, height, width)`` ``uint8`` array (planar RGB, CHW): the same
    bytes as ``framepipe images PATH --size WxH --format raw``.

    ``width`` and ``height`` are keywords (the original binding swapped them silently).
    Options are the ``images`` flags: ``resize`` (``"bilinear"``, ``"nearest"``, ``"area"``),
    ``fit`` (``"stretch"``, ``"contain"``, ``"cover"``), ``orientation`` (EXIF, True),
    ``dct_scale`` (True), ``decoder`` (``"auto"``, ``"wasm"``, ``"ts"``), ``max_pixels``,
    ``max_scans``. Raises :class:`DecodeError` for a missing, corrupt or non-JPEG file.
    The first call starts this process's decode helper; later calls reuse it::

        >>> img = framepipe.read_rgb_image("fixtures/frames/169_0.jpg", width=853, height=480)
        >>> img.shape                                               # doctest: +SKIP
        (3, 480, 853)
    """
    if args:
        raise TypeError("read_rgb_image takes width and height as keywords: "
                        "read_rgb_image(path, width=853, height=480)")
    w, h = _check_size((width, height))
    return decode_helper().read(path, w, h, **options)


def list_images(root: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                labels: str | None = None, **label_options: Any) -> dict[str, Any]:
    """The image files ``framepipe images ROOT`` reads, in its order, with its labels (see
    :meth:`DecodeHelper.list`)."""
    roots = [root] if isinstance(root, (str, os.PathLike)) else list(root)
    return decode_helper().list(roots, labels, **label_options)


if __name__ == "__main__":  # pragma: no cover
    print(read_rgb_image(sys.argv[1]).shape)
