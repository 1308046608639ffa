"""Bus benchmark: throughput publish → handler, hop latency at a fixed rate, and the raw
redis-py PUBLISH rate on the same server as the ceiling.

    python -m tests.bench.bus [--quick] [--json FILE]

Targets (issue 2): Redis backend ≥ 50 % of the raw PUBLISH rate; p99 hop < 2 ms at 1,000 msg/s.
"""

from __future__ import annotations

import argparse
import threading
import time

import redis

from app import events as ev
from app.bus import create_bus
from tests.bench.common import percentile, print_table, write_json
from tests.redis_server import RedisServer


def sample_event(i: int, ts: float = 0.0) -> ev.LiveEvent:
    return ev.LiveEvent(type="comment", msg_id=str(7412345678901234567 + i), room_id="7412300000000000000",
                        ts=ts, user=ev.User(id=str(i), nickname="用户小明", level=12, pay_level=5),
                        text="这个多少钱？包邮吗")


def throughput(url: str, n: int) -> float:
    bus = create_bus(url, "benchtp")
    try:
        done = threading.Event()
        count = [0]

        def handler(_e):
            count[0] += 1
            if count[0] == n:
                done.set()

        bus.subscribe(ev.Channel.LIVE_EVENTS, handler)
        events = [sample_event(i) for i in range(n)]
        t0 = time.perf_counter()
        for e in events:
            bus.publish(ev.Channel.LIVE_EVENTS, e)
        if not done.wait(120):
            raise RuntimeError(f"only {count[0]} of {n} delivered")
        return n / (time.perf_counter() - t0)
    finally:
        bus.close()


def hop_latency(url: str, rate: int, seconds: float) -> tuple[float, float, float]:
    bus = create_bus(url, "benchlat")
    try:
        hops: list[float] = []
        bus.subscribe(ev.Channel.LIVE_EVENTS, lambda e: hops.append(time.perf_counter() - e.ts))
        n = int(rate * seconds)
        start = time.perf_counter()
        for i in range(n):
            target = start + i / rate
            while (now := time.perf_counter()) < target:
                time.sleep(min(0.0005, target - now))
            bus.publish(ev.Channel.LIVE_EVENTS, sample_event(i, ts=time.perf_counter()))
        deadline = time.monotonic() + 10
        while len(hops) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        ms = [h * 1000 for h in hops]
        return percentile(ms, 50), percentile(ms, 99), max(ms)
    finally:
        bus.close()


def raw_publish_rate(url: str, n: int) -> float:
    client = redis.Redis.from_url(url)
    payload = ev.encode(sample_event(0))
    # A subscriber is attached so the server really fans the message out, as with the bus.
    sub = client.pubsub()
    sub.subscribe("raw:bench")
    t0 = time.perf_counter()
    for _ in range(n):
        client.publish("raw:bench", payload)
    rate = n / (time.perf_counter() - t0)
    sub.close()
    client.close()
    return rate


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer messages, shorter latency run")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    n = 5_000 if args.quick else 50_000
    lat_s = 2.0 if args.quick else 10.0

    server = RedisServer().start()
    try:
        raw = raw_publish_rate(server.url, n)
        results = {"raw_redis_publish_per_s": raw, "backends": {}}
        rows = []
        for name, url in (("memory", "memory"), ("redis", server.url)):
            tp = throughput(url, n)
            p50, p99, worst = hop_latency(url, 1000, lat_s)
            results["backends"][name] = {"msgs_per_s": tp, "hop_p50_ms": p50, "hop_p99_ms": p99,
                                         "hop_max_ms": worst}
            rows.append([name, tp, f"{tp / raw:.0%}" if name == "redis" else "-", p50, p99, worst])
        rows.append(["raw redis-py PUBLISH", raw, "100%", "-", "-", "-"])
        print_table(f"Bus benchmark ({n:,} messages; latency at 1,000 msg/s for {lat_s:.0f} s)",
                    ["backend", "msgs/s", "of raw", "hop p50 ms", "hop p99 ms", "hop max ms"], rows)
        red = results["backends"]["redis"]
        results["redis_vs_raw"] = red["msgs_per_s"] / raw
        print(f"\ntarget: redis ≥ 50 % of raw → {results['redis_vs_raw']:.0%} "
              f"({'met' if results['redis_vs_raw'] >= 0.5 else 'MISSED'}); "
              f"p99 hop < 2 ms → {red['hop_p99_ms']:.2f} ms ({'met' if red['hop_p99_ms'] < 2 else 'MISSED'})")
        write_json(args.json, results)
        return results
    finally:
        server.stop()


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench`` (the table above is still printed)."""
    r = main(["--quick"] if quick else [])
    red, mem = r["backends"]["redis"], r["backends"]["memory"]
    return {"raw_publish_per_s": r["raw_redis_publish_per_s"], "redis_msgs_per_s": red["msgs_per_s"],
            "memory_msgs_per_s": mem["msgs_per_s"], "redis_hop_p50_ms": red["hop_p50_ms"],
            "redis_hop_p99_ms": red["hop_p99_ms"], "memory_hop_p99_ms": mem["hop_p99_ms"]}


if __name__ == "__main__":
    main()
