#!/usr/bin/env python3
"""Per-frame predictions on a live capture, with capture-to-receipt latency.

    framepipe capture 'srt://127.0.0.1:9999?mode=caller' --size 160x120 --frames 10 \\
        | /usr/bin/python3 examples/live_infer.py

The "model" is a colour heuristic (which channel dominates, and how bright the frame is) so the
example runs anywhere with numpy; swap in your network where ``predict`` is. Latency is the
time from the frame's capture timestamp (set by framepipe when ffmpeg handed it over) to its
receipt here, on the same clock.
"""
from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))  # framepipe.py

import numpy as np  # noqa: E402

import framepipe  # noqa: E402

NAMES = ("red", "green", "blue")


def predict(img: np.ndarray, layout: str) -> tuple[str, float, tuple[float, float, float]]:
    """(class, confidence, mean RGB) for one uint8 frame (CHW or HWC)."""
    axes = (1, 2) if layout == "chw" else (0, 1)
    mean = img.reshape(img.shape).mean(axis=axes).astype(float)
    if mean.size == 1:  # grey
        mean = np.repeat(mean, 3)
    share = mean / max(mean.sum(), 1e-9)
    k = int(share.argmax())
    tone = "dark" if mean.mean() < 60 else "bright" if mean.mean() > 190 else "mid"
    return f"{tone}-{NAMES[k]}", float(share[k]), tuple(round(v, 1) for v in mean)


def main() -> int:
    reader = framepipe.FrameReader(sys.stdin.buffer)
    latencies: list[float] = []
    for meta, img in reader:
        received = time.time() * 1000.0
        latency = received - meta["timestamp"]
        latencies.append(latency)
        label, conf, mean = predict(img, meta["layout"])
        print(f"frame {meta['seq']:4d}  pred {label:<12} p={conf:.2f}  mean_rgb={mean}  "
              f"latency {latency:.1f} ms", flush=True)
    if not latencies:
        print("no frames received", file=sys.stderr)
        return 1
    lat = np.array(latencies)
    print(f"done: {len(lat)} frames, latency p50 {np.percentile(lat, 50):.1f} ms, "
          f"p95 {np.percentile(lat, 95):.1f} ms, max {lat.max():.1f} ms; end={reader.end}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
