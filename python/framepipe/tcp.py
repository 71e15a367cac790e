"""TCP: read framepipe streams over the network (``--listen`` servers and ``--out tcp://``).

:func:`connect` reads a ``framepipe ... --listen HOST:PORT`` server; :func:`listen` /
:func:`accept` / :func:`serve` are the consumer side of ``--out tcp://HOST:PORT``. Tokens
(``$FRAMEPIPE_TOKEN``) and TLS (``tcps://``) as in docs/NETWORK.md. Readers are
:class:`~framepipe.wire.FrameReader` s, so sequence holes (frames a slow consumer missed) set
``meta["gap"]`` and warn.
"""

from __future__ import annotations

import os
import re
import socket
import time
from typing import Any

from .wire import FrameReader, FrameStreamError

TOKEN_ENV = "FRAMEPIPE_TOKEN"
"""Environment variable holding the shared token (``token=None`` reads it)."""
_HELLO = b"FPAUTH1"
_OK = b"FPOK1\n"
_ERR = b"FPERR1 "
_MAX_LINE = 1024

__all__ = ["TOKEN_ENV", "AuthError", "SocketReader", "connect", "listen", "accept", "serve"]


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
