#!/usr/bin/env python3
"""Consumers for tests/redis_test.ts (run with $PYTHON, default /usr/bin/python3).

Each subcommand prints one JSON line per consumer on stdout:
``{"consumer": NAME, "seqs": [...], "claimed": N, "end": {...} | null}`` (``consume`` also
gives the reader's ``duplicates``, ``missing``, ``groups_recreated`` and the
``RedisGroupWarning`` messages as ``group_warnings``).

    test_redis.py consume URL GROUP NAME [--no-ack] [--stop-after N] [--hard-exit]
                  [--sleep-ms MS] [--claim-idle-ms MS] [--count N]
    test_redis.py group URL GROUP N          # N consumers (threads) in one group
    test_redis.py create-group URL GROUP     # create the group (from the start) and exit
    test_redis.py framestream URL WORKERS    # torch DataLoader over FrameStream(redis://...)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import framepipe  # noqa: E402


def consume(url: str, group: str, name: str, *, ack: bool = True, stop_after: int | None = None,
            hard_exit: bool = False, sleep_ms: float = 0, claim_idle_ms: int = 30000,
            count: int = 8) -> dict:
    seqs: list[int] = []
    reader = framepipe.RedisReader(url, group, name, ack=ack, claim_idle_ms=claim_idle_ms,
                                   block_ms=100, count=count, connect_timeout=20)
    group_warnings: list[str] = []
    shown = warnings.showwarning

    def show(message, category, *args, **kwargs):  # type: ignore[no-untyped-def]
        if issubclass(category, framepipe.RedisGroupWarning):
            group_warnings.append(str(message))
        shown(message, category, *args, **kwargs)

    warnings.showwarning = show
    for meta, img in reader:
        assert img.shape == (meta["channels"], meta["height"], meta["width"]), img.shape
        seqs.append(meta["seq"])
        if sleep_ms:
            time.sleep(sleep_ms / 1000)
        if stop_after is not None and len(seqs) >= stop_after:
            if hard_exit:  # a crash: nothing more is acknowledged
                print(json.dumps({"consumer": name, "seqs": seqs, "claimed": reader.claimed,
                                  "end": None}), flush=True)
                os._exit(3)
            break
    return {"consumer": name, "seqs": seqs, "claimed": reader.claimed, "end": reader.end,
            "classes": reader.classes, "duplicates": reader.duplicates,
            "missing": reader.missing, "groups_recreated": reader.groups_recreated,
            "group_warnings": group_warnings}


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("consume")
    c.add_argument("url")
    c.add_argument("group")
    c.add_argument("name")
    c.add_argument("--no-ack", action="store_true")
    c.add_argument("--stop-after", type=int)
    c.add_argument("--hard-exit", action="store_true")
    c.add_argument("--sleep-ms", type=float, default=0)
    c.add_argument("--claim-idle-ms", type=int, default=30000)
    c.add_argument("--count", type=int, default=8)
    g = sub.add_parser("group")
    g.add_argument("url")
    g.add_argument("group")
    g.add_argument("n", type=int)
    cg = sub.add_parser("create-group")
    cg.add_argument("url")
    cg.add_argument("group")
    fs = sub.add_parser("framestream")
    fs.add_argument("url")
    fs.add_argument("workers", type=int)
    a = ap.parse_args()
    if a.cmd == "consume":
        r = consume(a.url, a.group, a.name, ack=not a.no_ack, stop_after=a.stop_after,
                    hard_exit=a.hard_exit, sleep_ms=a.sleep_ms, claim_idle_ms=a.claim_idle_ms,
                    count=a.count)
        print(json.dumps(r), flush=True)
    elif a.cmd == "group":
        out: list[dict] = []
        threads = [threading.Thread(target=lambda i=i: out.append(consume(a.url, a.group, f"c{i}")))
                   for i in range(a.n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in out:
            print(json.dumps(r), flush=True)
    elif a.cmd == "create-group":
        framepipe.RedisReader(a.url, a.group, "creator").close()
        print(json.dumps({"created": a.group}), flush=True)
    elif a.cmd == "framestream":
        import torch
        ds = framepipe.FrameStream(a.url, target="meta")
        loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=a.workers)
        seqs, consumers = [], set()
        for x, meta in loader:
            assert x.dtype == torch.uint8 and x.shape[0] == 3
            seqs.append(meta["seq"])
        import redis
        p = framepipe.redis_streams._parse_redis_url(a.url)
        r = redis.Redis(host=p["host"], port=p["port"])
        for grp in r.xinfo_groups(p["stream"]):
            for cons in r.xinfo_consumers(p["stream"], grp["name"]):
                consumers.add(cons["name"].decode())
        print(json.dumps({"consumer": "framestream", "seqs": seqs,
                          "consumers": sorted(consumers)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
