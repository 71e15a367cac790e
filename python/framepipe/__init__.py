"""framepipe for Python: read framepipe streams, decode single images, and feed PyTorch.

Install (from a clone, offline; Debian's numpy/torch come from ``--system-site-packages``)::

    python3 -m venv --system-site-packages V && V/bin/pip install --no-build-isolation ./python

Then::

    import framepipe
    img = framepipe.read_rgb_image("a.jpg", width=853, height=480)   # (3, 480, 853) uint8
    ds = framepipe.ImageFolder("data", size=(224, 224))               # map-style dataset
    stream = framepipe.FrameStream(framepipe.images("data", size=(224, 224)))
    for meta, img in framepipe.read_frames(sys.stdin.buffer): ...

Modules: :mod:`framepipe.wire` (the stream reader; stdlib + numpy, usable as one copied file),
:mod:`framepipe.command` (producer commands), :mod:`framepipe.decode` (``read_rgb_image``),
:mod:`framepipe.tcp`, :mod:`framepipe.redis_streams`, :mod:`framepipe.datasets` (torch).
``python -m framepipe --summary < stream`` prints what a stream holds.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__
from .command import (PRODUCER_ENV, CommandError, CommandReader, ProducerCommand,
                      ProducerNotFoundError, find_producer, frames_from_command, images,
                      open_command)
from .datasets import TARGETS, ImageFolder
from .decode import (DecodeError, DecodeHelper, DecodeHelperError, decode_helper, list_images,
                     read_rgb_image)
from .redis_streams import (REDIS_PASSWORD_ENVS, RedisGroupWarning, RedisReader,
                            RedisStreamError, redis_frames)
from .tcp import TOKEN_ENV, AuthError, SocketReader, accept, connect, listen, serve
from .wire import (FORMATS, FrameGapWarning, FrameReader, FrameStreamError, main, read_frames,
                   summarize)

__all__ = [
    "__version__",
    # wire reader
    "FORMATS", "FrameStreamError", "FrameGapWarning", "FrameReader", "read_frames", "summarize",
    "main",
    # producer commands
    "CommandError", "ProducerNotFoundError", "CommandReader", "ProducerCommand", "open_command",
    "frames_from_command", "images", "find_producer", "PRODUCER_ENV",
    # one image at a time
    "read_rgb_image", "DecodeError", "DecodeHelper", "DecodeHelperError", "decode_helper",
    "list_images",
    # network, Redis
    "TOKEN_ENV", "AuthError", "SocketReader", "connect", "listen", "accept", "serve",
    "REDIS_PASSWORD_ENVS", "RedisReader", "RedisStreamError", "RedisGroupWarning", "redis_frames",
    # torch
    "TARGETS", "ImageFolder", "FrameStream",
]


def __getattr__(name: str) -> Any:
    if name == "FrameStream":  # needs torch: created on first access
        from .datasets import frame_stream_class

        cls = frame_stream_class()
        globals()["FrameStream"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
