"""Producer commands: run ``framepipe images ...`` (or any producer) and read its stdout.

* :func:`images` builds an ``images`` command with exactly the Deno permissions its paths
  need; :func:`find_producer` says how framepipe is started here.
* :func:`open_command` / :func:`frames_from_command` run a command and read its frames;
  a failing producer raises :class:`CommandError` with its exit status and last stderr line.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
from typing import Any, Iterator, Sequence

import numpy as np

from .wire import DEFAULT_PIPE_SIZE, FrameReader, FrameStreamError

__all__ = ["CommandError", "ProducerNotFoundError", "CommandReader", "ProducerCommand",
           "open_command", "frames_from_command", "images", "find_producer", "PRODUCER_ENV"]

class CommandError(FrameStreamError):
    """The producer command exited with a non-zero status.

    ``returncode`` is the exit status (negative: killed by that signal) and ``stderr`` the
    last lines it wrote to stderr (empty if stderr was not captured).
    """

    def __init__(self, message: str, returncode: int | None = None,
                 stderr: Sequence[str] = ()):
        super().__init__(message)
        if returncode is None:
            # Re-raised from a DataLoader worker, torch rebuilds the error from its message
            # alone: recover the status and the last stderr line from it.
            found = _EXIT_RE.findall(message)
            if found:
                status, signum, signame, line = found[-1]
                if status:
                    returncode = int(status)
                elif signum:
                    returncode = -int(signum)
                else:
                    returncode = -int(getattr(signal.Signals, signame, 0) or 0) or None
                if not stderr and line != "(no stderr output)":
                    stderr = [line]
        self.returncode = returncode
        """The producer's exit status (negative: killed by that signal)."""
        self.stderr = list(stderr)
        """The last lines the producer wrote to stderr."""

    @property
    def last_line(self) -> str | None:
        """The producer's last stderr line (what went wrong), or None."""
        return self.stderr[-1] if self.stderr else None


_EXIT_RE = re.compile(r"producer `[^`]*` (?:exited with status (\d+)|was killed by "
                      r"(?:signal (\d+)|(SIG[A-Z0-9]+))): ([^\n]*)")


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
                 allow_incomplete: bool = False, **popen_kwargs: Any):
        if isinstance(args, (str, bytes)):
            raise TypeError("args must be a list of strings (no shell), e.g. "
                            "framepipe.images('dir') or ['framepipe', 'images', 'dir']")
        args = resolve_command(args)
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
        try:
            self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, **popen_kwargs)
        except FileNotFoundError as e:
            raise ProducerNotFoundError(f"cannot run {self.args[0]!r}: {e.strerror}. "
                                        + _HOW_TO_FIND) from None
        self._terminated = False
        self._finished = False
        self._stderr_thread: threading.Thread | None = None
        if capture:
            self._stderr_thread = threading.Thread(target=self._drain_stderr, daemon=True,
                                                   name="framepipe-stderr")
            self._stderr_thread.start()
        try:
            super().__init__(self.proc.stdout, format=format, width=width, height=height,
                             channels=channels, layout=layout, reuse=reuse, pipe_size=pipe_size,
                             allow_incomplete=allow_incomplete)
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

    def _read_header(self) -> None:
        # The header is read on first access to ``header``/``classes`` too: a producer that
        # failed before writing it (a missing permission, a bad path) is a CommandError.
        try:
            super()._read_header()
        except FrameStreamError as e:
            if not self._finished and not self._closed:
                # nothing written at all: the exit status and last line say why, alone
                self._finish(e if self.bytes_read else None, wait=2.0)
            raise

    def _stop_child(self) -> None:
        """Stop a child that is still running (consumer went away). What it says while
        stopping ("signal received: ...") is expected, so it is not echoed."""
        proc = self.proc
        if proc.poll() is None:
            self._terminated = True
            self._echo = False
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

    def _finish(self, error: BaseException | None = None, wait: float | None = None) -> None:
        """The stream ended (normally or with ``error``): reap the child, raise on failure."""
        if self._finished:
            return
        self._finished = True
        proc = self.proc
        if wait is None:
            wait = self.exit_timeout if error is None else 2.0
        try:
            proc.wait(timeout=wait)
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
# Finding the producer, and building `images` commands
# --------------------------------------------------------------------------------------------

PRODUCER_ENV = "FRAMEPIPE_CMD"
"""Environment variable with the command that starts framepipe, e.g.
``deno run --allow-read=/data /src/framepipe/cli.ts`` (split like a shell would)."""

_HOW_TO_FIND = (f"Put `framepipe` on PATH (from a clone: `deno task install`) or set {PRODUCER_ENV}"
                ", e.g. " + PRODUCER_ENV + "='deno run --allow-read=DATA /path/to/framepipe/cli.ts'")


class ProducerNotFoundError(FileNotFoundError):
    """framepipe cannot be started here: neither ``framepipe`` on PATH, nor
    ``$FRAMEPIPE_CMD``, nor a clone with ``deno`` (the message says how to fix it)."""


def _is_clone(root: str) -> bool:
    try:
        with open(os.path.join(root, "deno.json"), encoding="utf-8") as f:
            name = json.load(f).get("name")
    except (OSError, ValueError, AttributeError):
        return False
    return name == "@framepipe/framepipe" and os.path.isfile(os.path.join(root, "cli.ts"))


def _clone_root() -> str | None:
    """The framepipe clone to run from: the one this package lives in
    (``CLONE/python/framepipe``, e.g. ``PYTHONPATH=python``), else the current directory or
    one of its parents when it is a clone (a package installed from it, used in it)."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.dirname(os.path.dirname(here))]
    d = os.getcwd()
    while True:
        candidates.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return next((c for c in candidates if _is_clone(c)), None)


def _deno() -> str | None:
    found = shutil.which("deno")
    if found:
        return found
    home = os.path.expanduser("~/.deno/bin/deno")
    return home if os.access(home, os.X_OK) else None


def find_producer() -> tuple[str, list[str]]:
    """How framepipe is started here: ``(how, argv prefix)``.

    In order: ``$FRAMEPIPE_CMD`` when set (an explicit choice wins), ``framepipe`` on PATH,
    else, when ``deno`` is installed and this package runs from a clone
    (``CLONE/python/framepipe``) or the current directory is (in) a clone,
    ``deno run CLONE/cli.ts`` (``how`` is ``"env"``, ``"path"`` or ``"clone"``;
    for ``"clone"`` the permissions are added by the caller). Raises
    :class:`ProducerNotFoundError` naming both ways to fix it when none works.
    """
    env = os.environ.get(PRODUCER_ENV, "").strip()
    if env:
        return "env", shlex.split(env)
    exe = shutil.which("framepipe")
    if exe:
        return "path", [exe]
    root = _clone_root()
    deno = _deno()
    if root and deno:
        return "clone", [deno, "run", "--quiet", "--no-prompt", "--config",
                         os.path.join(root, "deno.json"), os.path.join(root, "cli.ts")]
    raise ProducerNotFoundError("framepipe was not found: no `framepipe` on PATH and "
                                f"{PRODUCER_ENV} is not set. " + _HOW_TO_FIND)


def resolve_command(args: Sequence[str]) -> list[str]:
    """``["framepipe", ...]`` with the producer :func:`find_producer` finds (other commands
    unchanged), so ``FrameStream(["framepipe", "images", ...])`` runs without an install
    when ``$FRAMEPIPE_CMD`` is set."""
    args = [os.fspath(a) for a in args]
    if not args or args[0] != "framepipe" or shutil.which("framepipe") and \
            not os.environ.get(PRODUCER_ENV, "").strip():
        return args
    how, prefix = find_producer()
    if how == "clone":
        return args  # cannot guess the permissions of a hand-written list: use images()
    return prefix + args[1:]


def _glob_root(path: str) -> str:
    """The static part of a glob (what ``--allow-read`` must cover)."""
    parts = re.split(r"[*?\[\]{}]", path, maxsplit=1)
    if len(parts) == 1:
        return path
    head = parts[0]
    return os.path.dirname(head) if not head.endswith(os.sep) else head.rstrip(os.sep) or os.sep


def _net_target(url: str) -> str | None:
    m = re.match(r"^(?:tcps?|rediss?)://(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?", url)
    if not m:
        return None
    default = "6379" if url.startswith("redis") else None
    port = m.group(2) or default
    return m.group(1) + (f":{port}" if port else "")


class ProducerCommand(list):
    """A producer command (a ``list`` of arguments) built by :func:`images`; usable wherever
    a command list is (``FrameStream``, ``frames_from_command``, ``subprocess``).
    ``permissions`` are the Deno flags it was given (empty when framepipe's own install or
    ``$FRAMEPIPE_CMD`` decides them)."""

    permissions: list[str]
    how: str

    def __repr__(self) -> str:
        return f"ProducerCommand({shlex.join(self)!r})"


def _flag_args(options: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for key, value in options.items():
        if value is None:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            out.append(flag)
        elif value is False:
            out.append("--no-" + key.replace("_", "-"))
        else:
            out += [flag, str(value)]
    return out


def images(root: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
           size: tuple[int, int] | None = (853, 480), labels: str | None = None,
           **options: Any) -> ProducerCommand:
    """The command that streams ``root`` (a folder, file, glob, or a list of them) with
    ``framepipe images``, with exactly the Deno permissions it needs: ``--allow-read`` of the
    inputs and the label file, ``--allow-net``/``--allow-write`` only for ``out=`` or
    ``listen=``. Pass it to :class:`FrameStream` or :func:`frames_from_command`::

        >>> cmd = framepipe.images("fixtures/frames", size=(64, 48))   # doctest: +SKIP
        >>> for meta, img in framepipe.frames_from_command(cmd):       # doctest: +SKIP
        ...     assert img.shape == (3, 48, 64)

    ``size`` is ``(width, height)`` (``None``: decoded size); ``labels`` is ``"dirs"``
    (class folders) or a ``.json``/``.csv`` file. Other keyword arguments are ``images``
    flags: ``shuffle=True`` -> ``--shuffle``, ``seed=1`` -> ``--seed 1``,
    ``orientation=False`` -> ``--no-orientation``, ``on_error="fail"`` -> ``--on-error fail``.
    """
    roots = [root] if isinstance(root, (str, os.PathLike)) else list(root)
    if not roots:
        raise ValueError("images() needs at least one folder, file or glob")
    roots = [os.fspath(r) for r in roots]
    args = ["images", *roots]
    if size is not None:
        w, h = _check_size(size)
        args += ["--size", f"{w}x{h}"]
    if labels is not None:
        args += ["--labels", os.fspath(labels)]
    args += _flag_args(options)
    how, prefix = find_producer()
    perms: list[str] = []
    if how == "clone":
        reads = [os.path.abspath(_glob_root(r)) for r in roots if r != "-"]
        if labels not in (None, "dirs"):
            lab = os.fspath(labels)  # type: ignore[arg-type]
            if "{video}" in lab:  # a per-video template: its folder
                lab = os.path.dirname(lab.split("{video}")[0]) or "."
            reads.append(os.path.abspath(lab))
        if reads:
            perms.append("--allow-read=" + ",".join(dict.fromkeys(reads)))
        nets = [t for t in (_net_target(str(options.get(k) or "")) for k in ("out", "listen"))
                if t]
        listen = options.get("listen")
        if listen and not _net_target(str(listen)):
            nets.append(str(listen))
        if nets:
            perms.append("--allow-net=" + ",".join(nets))
        out = options.get("out")
        if out and out not in ("-", "stdout") and not _net_target(str(out)):
            perms.append("--allow-write=" + os.path.abspath(str(out)))
        if nets:  # secrets the producer reads from the environment, when they are set
            envs = [e for e in ("FRAMEPIPE_TOKEN", "FRAMEPIPE_REDIS_PASSWORD", "REDIS_PASSWORD")
                    if os.environ.get(e)]
            if envs:
                perms.append("--allow-env=" + ",".join(envs))
        cmd = ProducerCommand(prefix[:-1] + perms + prefix[-1:] + args)
    else:
        cmd = ProducerCommand(prefix + args)
    cmd.permissions = perms
    cmd.how = how
    return cmd


def _check_size(size: Any) -> tuple[int, int]:
    try:
        w, h = size
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height), not {size!r}") from None
    for name, v in (("width", w), ("height", h)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"size {size!r}: {name} must be a whole number >= 1")
    return int(w), int(h)
