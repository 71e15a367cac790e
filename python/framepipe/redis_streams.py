"""Redis Streams (docs/SCALE_OUT.md): one producer, many consumers in consumer groups.

:func:`redis_frames` / :class:`RedisReader` read ``framepipe ... --out redis://HOST:PORT/S``
through a consumer group (needs the ``redis`` package; Debian: ``python3-redis``).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
import warnings
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from .wire import KIND_END, KIND_HEADER, MAGIC, RECORD_HEADER, FrameStreamError, SeqTracker

__all__ = ["REDIS_PASSWORD_ENVS", "RedisStreamError", "RedisGroupWarning", "RedisReader",
           "redis_frames"]

REDIS_PASSWORD_ENVS = ("FRAMEPIPE_REDIS_PASSWORD", "REDIS_PASSWORD")
"""Environment variables read for the Redis password, in order."""

_REDIS_URL = re.compile(r"^(rediss?)://([^/?#]*)/([^?#]+)(?:\?([^#]*))?$", re.I)


class RedisStreamError(FrameStreamError):
    """A Redis stream cannot be read: bad URL, server gone for longer than the timeout."""


class RedisGroupWarning(UserWarning):
    """The consumer group vanished under the reader and was recreated (``XGROUP DESTROY``
    while the stream survived, or a Redis restart), or was seen going back to an older entry:
    frames may come twice (``meta["duplicate"]``) or be missing (``meta["gap"]``)."""


def _text(x: Any) -> str:
    """A Redis reply value (bytes or str) as str."""
    return x.decode() if isinstance(x, bytes) else str(x)


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
    a, _, b = _text(x).partition("-")
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
    from the beginning, ``"$"`` only new entries).

    A group that vanishes under the reader (``NOGROUP``) is recreated and counted
    (:attr:`groups_recreated`, with a :class:`RedisGroupWarning`): after a Redis restart
    without persistence from the start of the new stream; when it was destroyed while the stream
    survived (``XGROUP DESTROY``), at the last entry this consumer had read, so that it neither
    reads the stream again nor skips what follows. A frame delivered as new although this
    consumer had already been given a later entry (its group was recreated further back, by
    another consumer or by hand) has ``meta["duplicate"] = True`` and counts in
    :attr:`duplicates`.

    Sequence numbers are checked (``check_seq``) when they can be: when this consumer is its
    group's only consumer and the stream has one producer (``None``, the default, decides
    that at the first frame of each stream; ``True``/``False`` force it). A hole (frames lost,
    e.g. in a Redis restart without persistence) sets ``meta["gap"]`` and warns
    (:class:`~framepipe.wire.FrameGapWarning`); a frame seen again (republished after a reset,
    or redelivered) has ``meta["duplicate"] = True``. :attr:`missing` and :attr:`duplicates`
    count them.
    """

    def __init__(self, url: str | Sequence[str], group: str = "framepipe",
                 consumer: str | None = None, *, start: str = "0", ack: bool | str = True,
                 claim_idle_ms: int = 30000, block_ms: int = 1000, count: int = 8,
                 password: str | None = None, ca: str | None = None,
                 connect_timeout: float = 30.0, check_seq: bool | None = None):
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
        self.groups_recreated = 0
        """Times this reader found its group gone (``NOGROUP``) and recreated it."""
        self.check_seq = check_seq
        self._last_id: dict[str, str] = {}  # the newest entry delivered to us, per stream
        self._last_new: dict[str, tuple[int, int]] = {}  # ... delivered as new (">")
        self._redelivered: dict[str, int] = {}  # frames delivered as new again (a rewind)
        self._rewound: set[str] = set()  # streams in a rewind (warned once per rewind)
        self._reconnects_seen = 0
        self._seq: dict[str, SeqTracker | None] = {}
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
                for s in self.streams:
                    self._recover_group(s)

    def _recover_group(self, stream: str) -> None:
        """Recreate our group on ``stream`` after ``NOGROUP`` (see the class doc)."""
        try:
            names = {_text(g["name"]) for g in self._r.xinfo_groups(stream)}
        except self._redis.exceptions.ResponseError:
            names = None  # no such key: the stream is gone too
        if names is not None and self.group in names:
            return  # another consumer (or this one, for another stream) recreated it
        last = self._last_id.get(stream)
        restarted = self.reconnects > self._reconnects_seen
        survived = names is not None and last is not None and not restarted and \
            _redis_id(self._r.xinfo_stream(stream).get("last-generated-id")) >= _redis_id(last)
        self._ensure_group(stream, last if survived else "0")
        self.groups_recreated += 1
        if survived:
            msg = (f"redis stream {stream}: consumer group {self.group!r} was destroyed while "
                   f"the stream survives (XGROUP DESTROY?); recreated it at {last}, the last "
                   "entry this consumer read: frames other consumers of the group had been "
                   "given after it come again (meta['duplicate']), frames trimmed meanwhile "
                   "are missing (meta['gap'] when seq is checked), frames pending elsewhere "
                   "are no longer claimable")
        elif last is None:
            msg = (f"redis stream {stream}: consumer group {self.group!r} was gone; recreated "
                   "it from the oldest entry kept")
        else:
            msg = (f"redis stream {stream}: consumer group {self.group!r} is gone with the "
                   "stream (Redis restarted without persistence?); recreated it from the start "
                   "of the new stream (republished frames may come twice: meta['duplicate'])")
        warnings.warn(msg, RedisGroupWarning, stacklevel=2)

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
            info = {_text(g["name"]): g for g in self._r.xinfo_groups(s)}
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
        meta["redis_id"] = _text(eid)
        arr = np.frombuffer(payload, np.uint8).copy()
        return meta, arr.reshape((h, w, c) if layout == "hwc" else (c, h, w))

    @property
    def missing(self) -> int:
        """Frames known to be missing (sequence holes) so far."""
        return sum(t.missing for t in self._seq.values() if t is not None)

    @property
    def duplicates(self) -> int:
        """Frames seen again so far: a seq at or below the last one (when seq is checked), or a
        frame delivered as new after its group went back to an older entry."""
        return sum(t.duplicates for t in self._seq.values() if t is not None) + \
            sum(n for s, n in self._redelivered.items() if self._seq.get(s) is None)

    def _note_delivery(self, stream: str, eid: Any, fresh: bool,
                       meta: dict[str, Any] | None) -> None:
        """Remember the newest entry delivered per stream; mark frames delivered as new again
        (the group went back: recreated further back, or ``XGROUP SETID``)."""
        rid = _redis_id(eid)
        last = self._last_id.get(stream)
        if last is None or rid > _redis_id(last):
            self._last_id[stream] = _text(eid)
        if not fresh:
            return
        prev = self._last_new.get(stream)
        if prev is not None and rid <= prev:
            if meta is not None:
                meta["duplicate"] = True
                self._redelivered[stream] = self._redelivered.get(stream, 0) + 1
            if stream not in self._rewound:
                self._rewound.add(stream)
                warnings.warn(f"redis stream {stream}: consumer group {self.group!r} went back "
                              f"to before entry {prev[0]}-{prev[1]}, which this consumer was "
                              "given already (recreated further back, or XGROUP SETID): the "
                              "frames up to it come again (meta['duplicate'])",
                              RedisGroupWarning, stacklevel=3)
        else:
            self._last_new[stream] = rid
            self._rewound.discard(stream)

    def _check_seq(self, stream: str, meta: dict[str, Any]) -> None:
        if stream not in self._seq:
            check = self.check_seq
            if check is None:
                try:
                    consumers = self._r.xinfo_consumers(stream, self.group)
                    producers = self._r.hlen(f"{stream}:producers")
                    check = len(consumers) <= 1 and producers <= 1
                except Exception:  # noqa: BLE001 - cannot tell: do not guess
                    check = False
            self._seq[stream] = SeqTracker(f"redis stream {stream}") if check else None
        tracker = self._seq[stream]
        if tracker is not None:
            tracker.check(meta)

    def _read(self, ids: dict[str, str], block: int | None) -> list[tuple[str, Any, Any]]:
        reply = self._r.xreadgroup(self.group, self.consumer, ids, count=self.count,
                                   block=block)
        out = []
        for s, entries in reply or []:
            s = _text(s)
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
            fresh = not backlog  # entries delivered as new (">"), not pending or claimed ones
            if backlog:
                batch = self._call(self._read, dict(backlog), None)
                got = {s for s, _, _ in batch}
                for s in list(backlog):
                    if s not in got:
                        del backlog[s]
                    else:
                        backlog[s] = _text(max((e for t, e, _ in batch if t == s), key=_redis_id))
            else:
                batch = self._call(self._read, {s: ">" for s in self.streams}, self.block_ms)
            self._reconnects_seen = self.reconnects
            new = len(batch) if fresh else 0
            if not batch or time.monotonic() - last_claim >= self.claim_idle_ms / 1000:
                last_claim = time.monotonic()
                batch += self._call(self._claim)
            if not batch:
                if self._call(self._finished):
                    return
                continue
            for i, (s, eid, fields) in enumerate(batch):
                item = self._decode(s, eid, fields)
                self._note_delivery(s, eid, i < new, item[0] if item else None)
                if item is None:
                    if self.ack:
                        self._call(self._r.xack, s, self.group, eid)
                    continue
                self.frames_read += 1
                self._check_seq(s, item[0])
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
