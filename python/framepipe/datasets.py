"""PyTorch datasets: :class:`FrameStream` (an ``IterableDataset`` over a producer, a file, a
server or Redis) and :class:`ImageFolder` (map-style, random access through the decode
helper). Importing this module needs no torch; ``FrameStream`` is created on first access.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Iterator, Sequence

from .command import open_command
from .decode import DecodeError, decode_helper
from .redis_streams import _redis_reader_for
from .tcp import connect
from .wire import FORMATS, FrameReader, FrameStreamError, Source

__all__ = ["TARGETS", "ImageFolder", "FrameStream"]

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
        ``framepipe.images("data", size=(224, 224))`` or ``["framepipe", "images", "data"]``)
        or a **path /
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
        :func:`open_command`. A producer that fails (in any worker) raises
        :class:`CommandError` with its exit status and last stderr line. Example::

            >>> ds = framepipe.FrameStream(framepipe.images("fixtures/frames", size=(64, 48),
            ...                            labels="fixtures/phases.json"))  # doctest: +SKIP
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
            self._classes: list[str] | None = None

        @property
        def classes(self) -> list[str]:
            """Label names from the stream header. Known in the main process too: the first
            access there starts the producer, reads its header and stops it."""
            if self._classes is None:
                self._classes = self._probe_classes()
            return self._classes

        @classes.setter
        def classes(self, value: list[str]) -> None:
            self._classes = list(value)

        def _probe_classes(self) -> list[str]:
            if self.is_command:
                with open_command(self.command_for(0, 1), echo_stderr=False,
                                  **self.reader_kwargs, **self.popen_kwargs) as reader:
                    return reader.classes
            if isinstance(self.source, str) and self.source.startswith(("redis://", "rediss://")):
                with _redis_reader_for(self.source, 0, self.shard) as reader:  # type: ignore
                    return reader.classes
            if isinstance(self.source, (str, os.PathLike)) and not str(self.source).startswith(
                    ("tcp://", "tcps://")):
                with FrameReader(self.source, **self.reader_kwargs) as reader:
                    return reader.classes
            return []  # a file object or a live server: known once iterated

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

    FrameStream.__module__ = "framepipe"
    FrameStream.__qualname__ = "FrameStream"
    return FrameStream


_FRAME_STREAM: type | None = None


def frame_stream_class() -> type:
    """The ``FrameStream`` class (imports torch on first use)."""
    global _FRAME_STREAM
    if _FRAME_STREAM is None:
        _FRAME_STREAM = _make_frame_stream()
    return _FRAME_STREAM


def __getattr__(name: str) -> Any:
    if name == "FrameStream":
        cls = frame_stream_class()
        globals()["FrameStream"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


ON_ERROR = ("skip", "raise")


class ImageFolder:
    """A map-style dataset of the JPEGs under ``root``, like torchvision's ``ImageFolder``:
    ``ds[i]`` is ``(image, label)`` with ``image`` a ``uint8`` ``(3, H, W)`` tensor (an ndarray
    when torch is not importable, or with ``as_tensor=False``), after ``transform``.

    The files, their order and their labels are those of ``framepipe images ROOT --labels
    LABELS`` (asked from framepipe itself): ``labels="dirs"`` takes the class from each file's
    folder, a label file maps keys to labels (an unlabelled file gets ``-1``), a per-video
    template (``labels/{video}.json``) labels each video's frames; ``label_stride``,
    ``label_field`` and ``on_missing_label`` are the ``images`` flags of the same names.
    :attr:`classes`, :attr:`class_to_idx`, :attr:`samples` (``(path, label)``) and
    :attr:`targets` are known at once, in the main process. Images are decoded on demand by
    this process's decode helper (each DataLoader worker starts its own), so
    ``DataLoader(ds, shuffle=True, num_workers=2)``, ``DistributedSampler`` and ``Subset`` work.

    Corrupt files: with ``on_error="skip"`` (default), ``ds[i]`` for a file that cannot be
    decoded returns the next good item after it (``i+1``, ``i+2``, ... wrapping around), so
    every index stays valid and always gives the same item; each bad file is warned about
    once per process and counted in :attr:`skipped`. ``on_error="raise"`` raises
    :class:`DecodeError` instead. ``size=(width, height)``; other keyword arguments are
    :func:`read_rgb_image` options (``resize``, ``fit``, ...).
    """

    def __init__(self, root: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
                 size: tuple[int, int] = (853, 480), labels: str | None = "dirs",
                 transform: Callable[[Any], Any] | None = None,
                 target_transform: Callable[[int], Any] | None = None,
                 on_error: str = "skip", as_tensor: bool | None = None,
                 label_stride: int | None = None, label_field: str | None = None,
                 on_missing_label: str | None = None, **options: Any):
        from .command import _check_size
        from .decode import _OPTIONS

        if on_error not in ON_ERROR:
            raise ValueError(f"on_error must be 'skip' or 'raise', not {on_error!r}")
        for k in options:
            if k not in _OPTIONS:
                raise TypeError(f"unknown option {k!r}: expected one of {', '.join(_OPTIONS)}")
        self.root = root
        self.width, self.height = _check_size(size)
        self.transform = transform
        self.target_transform = target_transform
        self.on_error = on_error
        self.options = options
        roots = [root] if isinstance(root, (str, os.PathLike)) else list(root)
        listing = decode_helper().list(roots, labels, label_stride=label_stride,
                                       label_field=label_field,
                                       on_missing_label=on_missing_label)
        self.classes: list[str] = list(listing["classes"])
        """Class names: label ``i`` is ``classes[i]``."""
        self.class_to_idx: dict[str, int] = {c: i for i, c in enumerate(self.classes)}
        self.samples: list[tuple[str, int]] = [
            (path, int(lab[0]) if lab else -1) for _, path, lab in listing["files"]]
        """``(path, label)`` for every item, in framepipe's order."""
        self.keys: list[str] = [key for key, _, _ in listing["files"]]
        """framepipe's key of each item (path relative to its root)."""
        self.targets: list[int] = [t for _, t in self.samples]
        self.not_images: int = int(listing.get("not_images") or 0)
        """Files under ``root`` that are not JPEGs (not items, as for ``images``)."""
        self.skipped: set[int] = set()
        """Indices of files that could not be decoded (in this process)."""
        if as_tensor is None:
            try:
                import torch  # noqa: F401
                as_tensor = True
            except ImportError:
                as_tensor = False
        self.as_tensor = as_tensor
        if not self.samples:
            raise FrameStreamError(f"ImageFolder: no JPEG files under {root!r}")

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, index: int) -> Any:
        path = self.samples[index][0]
        return decode_helper().read(path, self.width, self.height, **self.options)

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        n = len(self.samples)
        if not -n <= index < n:
            raise IndexError(f"ImageFolder index {index} out of range ({n} items)")
        index %= n
        for step in range(n):
            i = (index + step) % n
            try:
                arr = self._load(i)
            except DecodeError as e:
                if self.on_error == "raise" or e.kind == "request":
                    raise
                if i not in self.skipped:
                    self.skipped.add(i)
                    warnings.warn(f"ImageFolder: skipping item {i} ({e}); its index gives the "
                                  "next good item", stacklevel=2)
                continue
            x: Any = arr
            if self.as_tensor:
                import torch

                x = torch.from_numpy(arr)
            if self.transform is not None:
                x = self.transform(x)
            y: Any = self.samples[i][1]
            if self.target_transform is not None:
                y = self.target_transform(y)
            return x, y
        raise DecodeError(f"ImageFolder: none of the {n} files under {self.root!r} could be "
                          "decoded", "decode")

    def __repr__(self) -> str:
        return (f"ImageFolder({self.root!r}, size=({self.width}, {self.height}), "
                f"{len(self)} items, {len(self.classes)} classes)")
