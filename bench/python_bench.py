"""The Python package's figures (driven by bench/python_bench.ts, which makes the corpus).

``python3 bench/python_bench.py ROOT CALLS ROUNDS`` with ``ROOT/a/*.jpg``, ``ROOT/b/*.jpg``
(1920x1080 JPEGs) prints one JSON object:

* ``read_rgb_image``: ms per call after warm-up (1080p -> 853x480, wall time in Python) and the
  decode time the helper reports for the same calls (read + render), and their ratio; the same
  in CPU time (Python + helper processes per call vs the helper's CPU time for the decodes),
  which a busy machine disturbs less;
* ``folder``: frames/s of ``framepipe.ImageFolder`` and torchvision's ``ImageFolder`` (PIL,
  ``Resize((480, 853))`` + ``PILToTensor``), each through ``DataLoader(shuffle=True,
  num_workers=2, batch_size=8)``, interleaved, best of ROUNDS;
* ``rss``: the decode helper's VmRSS (kB) every 1000 of CALLS ``read_rgb_image`` calls.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import framepipe


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def per_call(files: list[str], n: int) -> dict:
    helper = framepipe.decode_helper()
    for f in files[:5]:  # warm-up: start-up, JIT, WASM instance
        framepipe.read_rgb_image(f, width=853, height=480)
    wall, inside, inside_cpu = [], [], []
    hz = os.sysconf("SC_CLK_TCK")
    c0, h0 = time.process_time(), cpu_ticks(helper.pid)
    for i in range(n):
        f = os.path.abspath(files[i % len(files)])
        t0 = time.perf_counter()
        meta, arr = helper.request({"op": "read", "path": f, "width": 853, "height": 480})
        wall.append((time.perf_counter() - t0) * 1000)
        inside.append(float(meta["ms"]))
        inside_cpu.append(float(meta["cpu_ms"]))
        assert arr.shape == (3, 480, 853)
    cpu_total = (time.process_time() - c0) * 1000 + (cpu_ticks(helper.pid) - h0) * 1000 / hz
    w, d = statistics.median(wall), statistics.median(inside)
    cpu_call, cpu_decode = cpu_total / n, sum(inside_cpu) / n
    return {"calls": n, "ms_per_call": round(w, 2), "helper_decode_ms": round(d, 2),
            "ratio": round(w / d, 3), "cpu_ms_per_call": round(cpu_call, 2),
            "helper_decode_cpu_ms": round(cpu_decode, 2),
            "cpu_ratio": round(cpu_call / cpu_decode, 3)}


def loader_fps(ds, workers: int = 2) -> float:
    import torch

    loader = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True, num_workers=workers)
    t0 = time.perf_counter()
    n = 0
    for x, _ in loader:
        assert x.shape[1:] == (3, 480, 853) and x.dtype == torch.uint8
        n += x.shape[0]
    return n / (time.perf_counter() - t0)


def folders(root: str, rounds: int) -> dict:
    import torchvision
    from torchvision import transforms

    fp = framepipe.ImageFolder(root, size=(853, 480))
    tv = torchvision.datasets.ImageFolder(
        root, transform=transforms.Compose([transforms.Resize((480, 853)),
                                            transforms.PILToTensor()]))
    assert len(fp) == len(tv), (len(fp), len(tv))
    best = {"framepipe": 0.0, "torchvision": 0.0}
    for r in range(rounds):
        order = ["framepipe", "torchvision"] if r % 2 == 0 else ["torchvision", "framepipe"]
        for name in order:
            fps = loader_fps(fp if name == "framepipe" else tv)
            best[name] = max(best[name], fps)
    return {"files": len(fp), "rounds": rounds,
            "framepipe_fps": round(best["framepipe"], 1),
            "torchvision_fps": round(best["torchvision"], 1),
            "ratio": round(best["framepipe"] / best["torchvision"], 2)}


def rss(files: list[str], calls: int) -> dict:
    helper = framepipe.decode_helper()
    samples = [rss_kb(helper.pid)]
    t0 = time.perf_counter()
    for i in range(calls):
        framepipe.read_rgb_image(files[i % len(files)], width=853, height=480)
        if (i + 1) % 1000 == 0:
            samples.append(rss_kb(helper.pid))
    return {"calls": calls, "rss_kb": samples, "seconds": round(time.perf_counter() - t0, 1),
            "growth_kb_after_first_1000": samples[-1] - samples[1] if len(samples) > 1 else 0}


def main() -> None:
    root, calls, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    files = sorted(os.path.join(d, f) for d in (os.path.join(root, "a"), os.path.join(root, "b"))
                   for f in os.listdir(d))
    out = {"read_rgb_image": per_call(files, min(200, 4 * len(files)))}
    out["folder"] = folders(root, rounds)
    out["rss"] = rss(files, calls)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
