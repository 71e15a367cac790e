#!/usr/bin/env python3
"""Bench consumer: receive 853x480-style CHW uint8 frames one way or another, touch every
array, print one JSON line with frames/s (and the producer's peak RSS for pipe modes).

Used by ``bench/bench.ts``; every mode ends with the same kind of array in this process:

* ``frame W H -- CMD...``: run CMD (framepipe), read its ``frame`` stream from the pipe;
* ``gbrp W H -- CMD...``: run CMD (ffmpeg ``-pix_fmt gbrp -f rawvideo -``), read raw planar
  frames and reorder the planes G,B,R to R,G,B as views (no copy);
* ``raw W H -- CMD...``: run CMD (``bench/imagescript_producer.ts``), read raw planar R,G,B
  frames (``--format raw`` payloads, 3*W*H bytes each);
* ``pil W H WORKERS DRAFT DIR``: decode DIR/*.jpg with Pillow (``convert("RGB")``,
  optionally ``draft("RGB", (W, H))``, ``resize((W, H), BILINEAR)``, contiguous CHW), in this
  process (WORKERS=0) or in a torch DataLoader with WORKERS workers (``batch_size=None``, one
  compute thread per worker);
* ``cv2 W H WORKERS 0 DIR``: the same with OpenCV (``imread(IMREAD_REDUCED_COLOR_2)``,
  ``resize``, BGR -> RGB CHW);
* ``torchvision W H WORKERS 0 DIR``: the same with torchvision (``decode_jpeg``, then
  ``transforms.functional.resize``, antialiased bilinear).

Timing runs from just before the producer starts (or the DataLoader is iterated) to the last
frame, so start-up counts. ``rss_mb`` is ``RUSAGE_CHILDREN`` max RSS: the producer's peak.
``cpu_ms_per_frame`` is the CPU time (user + system) of this process and its children (producer
or DataLoader workers) over the run, per frame: the cost on every core, whatever the load.
"""

from __future__ import annotations

import glob
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import framepipe  # noqa: E402


def touch(planes) -> int:
    """Read a few bytes of each plane (forces the data to exist; cheap)."""
    s = 0
    for p in planes:
        s += int(p[0, 0]) + int(p[-1, -1]) + int(p[p.shape[0] // 2, p.shape[1] // 2])
    return s


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (user + system)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + ch.ru_utime + ch.ru_stime


def run_pipe(fmt: str, w: int, h: int, cmd: list[str]) -> dict:
    """Run a producer and consume its stdout."""
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    n, check = 0, 0
    kw = {} if fmt == "frame" else dict(format="raw", width=w, height=h, channels=3)
    first = None
    for _meta, arr in framepipe.read_frames(proc.stdout, **kw):
        if first is None:
            first = time.perf_counter()
        if fmt == "gbrp":
            planes = (arr[2], arr[0], arr[1])  # R, G, B views of the G, B, R planes
        else:
            planes = (arr[0], arr[1], arr[2])
        check += touch(planes)
        n += 1
    elapsed = time.perf_counter() - t0
    err = proc.stderr.read().decode(errors="replace")
    rc = proc.wait()
    if rc != 0:
        raise SystemExit(f"producer exited {rc}: {err[-2000:]}")
    steady = n - 1
    return {
        "frames": n,
        "seconds": elapsed,
        "fps": n / elapsed,
        "fps_steady": steady / (time.perf_counter() - first) if first and steady > 0 else None,
        "rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "cpu_ms_per_frame": 1000 * (cpu_seconds() - c0) / max(n, 1),
        "check": check,
    }


class PilFrames:
    """Map-style dataset: JPEG path -> contiguous CHW uint8 array at (w, h)."""

    def __init__(self, files: list[str], w: int, h: int, draft: bool):
        self.files, self.w, self.h, self.draft = files, w, h, draft

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        from PIL import Image

        with Image.open(self.files[i]) as im:
            if self.draft:
                im.draft("RGB", (self.w, self.h))
            im = im.convert("RGB").resize((self.w, self.h), Image.BILINEAR)
            return np.ascontiguousarray(np.asarray(im).transpose(2, 0, 1))


class Cv2Frames(PilFrames):
    """OpenCV: ``imread(IMREAD_REDUCED_COLOR_2)`` (half-scale DCT decode), ``resize``
    (INTER_LINEAR), BGR -> RGB, contiguous CHW."""

    def __getitem__(self, i: int) -> np.ndarray:
        import cv2

        img = cv2.imread(self.files[i], cv2.IMREAD_REDUCED_COLOR_2)
        img = cv2.resize(img, (self.w, self.h), interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1))


class TorchvisionFrames(PilFrames):
    """torchvision: ``read_file`` + ``decode_jpeg`` (full scale, CHW uint8 tensor), then
    ``transforms.functional.resize`` (bilinear, antialias)."""

    def __getitem__(self, i: int):
        from torchvision.io import ImageReadMode, decode_jpeg, read_file
        from torchvision.transforms import functional as F

        img = decode_jpeg(read_file(self.files[i]), mode=ImageReadMode.RGB)
        return F.resize(img, [self.h, self.w], antialias=True).contiguous()


def _one_thread(_worker: int) -> None:
    """DataLoader worker init: one compute thread per worker process (2 workers on 2 cores)."""
    import torch

    torch.set_num_threads(1)
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass


DATASETS = {"pil": PilFrames, "cv2": Cv2Frames, "torchvision": TorchvisionFrames}


def run_pil(w: int, h: int, workers: int, draft: bool, folder: str, kind: str = "pil") -> dict:
    """Decode with Pillow (or OpenCV / torchvision) here or in a DataLoader."""
    files = sorted(glob.glob(os.path.join(folder, "*.jpg")))
    ds = DATASETS[kind](files, w, h, draft)
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    if workers > 0:
        import torch

        torch.set_num_threads(1)
        it = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=workers,
                                         shuffle=False, worker_init_fn=_one_thread)
    else:
        it = (ds[i] for i in range(len(ds)))
    n, check, first = 0, 0, None
    for arr in it:
        if first is None:
            first = time.perf_counter()
        check += touch((arr[0], arr[1], arr[2]))
        n += 1
    elapsed = time.perf_counter() - t0
    steady = n - 1
    del it  # DataLoader workers exit and are waited for: their CPU time counts
    return {
        "frames": n,
        "seconds": elapsed,
        "fps": n / elapsed,
        "fps_steady": steady / (time.perf_counter() - first) if first and steady > 0 else None,
        "rss_mb": None,
        "cpu_ms_per_frame": 1000 * (cpu_seconds() - c0) / max(n, 1),
        "check": int(check),
    }


def main(argv: list[str]) -> int:
    mode, w, h = argv[0], int(argv[1]), int(argv[2])
    if mode in ("frame", "gbrp", "raw"):
        cmd = argv[argv.index("--") + 1:]
        out = run_pipe(mode, w, h, cmd)
    elif mode in DATASETS:
        out = run_pil(w, h, int(argv[3]), argv[4] == "1", argv[5], mode)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
