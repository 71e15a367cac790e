#!/usr/bin/env python3
"""Train a small CNN on the labelled fixture frames, streamed by framepipe.

Each of the 2 DataLoader workers runs its own ``framepipe images ... --shard I/2`` (appended by
``FrameStream``), so the workers read disjoint halves of every epoch. Prints the loss of every
step and a final line comparing the first and last steps.

    /usr/bin/python3 examples/train_phases.py [--steps N] [--epochs E]

Needs numpy and torch, and ``deno`` on PATH (or ``$DENO``).
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "python"))  # framepipe.py lives in python/

import torch  # noqa: E402
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import framepipe  # noqa: E402

CLASSES = 7  # fixtures/phases.json: Preparation ... GallbladderRetraction


def producer(epochs: int) -> list[str]:
    deno = os.environ.get("DENO") or shutil.which("deno") or "deno"
    return [deno, "run", "-q", "--allow-read=fixtures", "cli.ts", "images", "fixtures/frames",
            "--labels", "fixtures/phases.json", "--size", "64x48", "--shuffle", "--seed", "1",
            "--epochs", str(epochs), "--workers", "0"]


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(32, CLASSES),
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=12, help="passes over the 12 frames")
    ap.add_argument("--steps", type=int, default=0, help="stop after N steps (0: all)")
    ap.add_argument("--batch", type=int, default=6)
    args = ap.parse_args()
    torch.manual_seed(0)
    ds = framepipe.FrameStream(producer(args.epochs), popen_kwargs={"cwd": ROOT})
    loader = DataLoader(ds, batch_size=args.batch, num_workers=2)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    seen = 0
    for step, (x, y) in enumerate(loader, start=1):
        x = x.float() / 255.0  # uint8 (B, 3, 48, 64) CHW -> float
        logits = net(x)
        loss = loss_fn(logits, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        seen += len(y)
        print(f"step {step:3d}  batch {len(y)}  loss {loss.item():.4f}", flush=True)
        if args.steps and step >= args.steps:
            break
    if not losses or not all(math.isfinite(v) for v in losses):
        print("error: no finite loss", file=sys.stderr)
        return 1
    k = max(1, len(losses) // 4)
    first, last = sum(losses[:k]) / k, sum(losses[-k:]) / k
    print(f"done: {len(losses)} steps, {seen} frames, loss {first:.4f} -> {last:.4f} "
          f"(mean of first/last {k} steps)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
