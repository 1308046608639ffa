"""Bus benchmark: publish → handler throughput of the Redis bus against raw redis-py pub/sub on
the same server in the same run, hop latency at a fixed rate, and the in-process bus.

    python -m tests.bench.bus [--quick] [--json FILE]

Like with like: both sides move the same events from a publishing thread to a reading thread of
one process, through the same redis-server, and both encode and decode them with the project's
codec. The raw side is plain redis-py: ``PUBLISH`` per event, a thread reading with
``PubSub.get_message`` and decoding. The bus side is ``bus.publish`` per event and a handler of an
inbox. Each figure is events handled per second, first publish to last event decoded. A raw run
with the publishes pipelined (500 per round trip) is shown for information.

Targets (issue 22 item 6): Redis bus ≥ 80 % of the raw redis-py pub/sub rate; p99 hop < 2 ms at
1,000 msg/s.
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

TARGET_RATIO = 0.8


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

        bus.inbox("bench", {ev.Channel.LIVE_EVENTS: handler})
        events = [sample_event(i) for i in range(n)]
        t0 = time.perf_counter()
        for e in events:
            bus.publish(ev.Channel.LIVE_EVENTS, e)
        if not done.wait(120):
            raise RuntimeError(f"only {count[0]} of {n} delivered")
        return n / (time.perf_counter() - t0)
    finally:
        bus.close()


def raw_throughput(url: str, n: int, pipelined: bool = False) -> float:
    """Plain redis-py: PUBLISH each event (or 500 per pipeline), a reader thread decodes them."""
    client = redis.Redis.from_url(url)
    sub = client.pubsub()
    channel = f"raw:bench:{pipelined}"
    sub.subscribe(channel)
    while sub.get_message(timeout=1.0) is None:  # the subscription is confirmed
        pass
    events = [sample_event(i) for i in range(n)]
    done = threading.Event()
    got = [0]

    def read() -> None:
        while got[0] < n:
            msg = sub.get_message(timeout=1.0)
            if msg is not None and msg["type"] == "message":
                ev.decode(msg["data"])
                got[0] += 1
        done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    t0 = time.perf_counter()
    if pipelined:
        pipe = client.pipeline(transaction=False)
        for i, e in enumerate(events, 1):
            pipe.publish(channel, ev.encode(e))
            if i % 500 == 0:
                pipe.execute()
        pipe.execute()
    else:
        for e in events:
            client.publish(channel, ev.encode(e))
    if not done.wait(120):
        raise RuntimeError(f"raw: only {got[0]} of {n} read")
    rate = n / (time.perf_counter() - t0)
    sub.close()
    client.close()
    return rate


def hop_latency(url: str, rate: int, seconds: float) -> tuple[float, float, float]:
    bus = create_bus(url, "benchlat")
    try:
        hops: list[float] = []
        bus.inbox("bench", {ev.Channel.LIVE_EVENTS: lambda e: hops.append(time.perf_counter() - e.ts)})
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer messages, shorter latency run")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    n = 5_000 if args.quick else 50_000
    lat_s = 2.0 if args.quick else 10.0

    server = RedisServer().start()
    try:
        raw = raw_throughput(server.url, n)
        red_tp = throughput(server.url, n)  # right after the raw run: the same server, the same load
        raw_piped = raw_throughput(server.url, n, pipelined=True)
        results = {"raw_redis_pubsub_per_s": raw, "raw_redis_pipelined_per_s": raw_piped, "backends": {}}
        rows = []
        for name, url in (("memory", "memory"), ("redis", server.url)):
            tp = red_tp if name == "redis" else throughput(url, n)
            p50, p99, worst = hop_latency(url, 1000, lat_s)
            results["backends"][name] = {"msgs_per_s": tp, "hop_p50_ms": p50, "hop_p99_ms": p99,
                                         "hop_max_ms": worst}
            rows.append([name + " bus", tp, f"{tp / raw:.0%}" if name == "redis" else "-", p50, p99, worst])
        rows.append(["raw redis-py pub/sub", raw, "100%", "-", "-", "-"])
        rows.append(["raw, pipelined (info)", raw_piped, f"{raw_piped / raw:.0%}", "-", "-", "-"])
        print_table(f"Bus benchmark ({n:,} events publish → handler, decoded; latency at 1,000 msg/s for {lat_s:.0f} s)",
                    ["path", "events/s", "of raw", "hop p50 ms", "hop p99 ms", "hop max ms"], rows)
        red = results["backends"]["redis"]
        results["redis_vs_raw"] = red["msgs_per_s"] / raw
        print(f"\ntarget: redis bus ≥ {TARGET_RATIO:.0%} of raw redis-py pub/sub → {results['redis_vs_raw']:.0%} "
              f"({'met' if results['redis_vs_raw'] >= TARGET_RATIO else 'MISSED'}); "
              f"p99 hop < 2 ms → {red['hop_p99_ms']:.2f} ms ({'met' if red['hop_p99_ms'] < 2 else 'MISSED'})")
        write_json(args.json, results)
        return results
    finally:
        server.stop()


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench`` (the table above is still printed)."""
    r = main(["--quick"] if quick else [])
    red, mem = r["backends"]["redis"], r["backends"]["memory"]
    return {"raw_pubsub_per_s": r["raw_redis_pubsub_per_s"], "raw_pipelined_per_s": r["raw_redis_pipelined_per_s"],
            "redis_msgs_per_s": red["msgs_per_s"], "memory_msgs_per_s": mem["msgs_per_s"],
            "redis_hop_p50_ms": red["hop_p50_ms"], "redis_hop_p99_ms": red["hop_p99_ms"],
            "memory_hop_p99_ms": mem["hop_p99_ms"]}


if __name__ == "__main__":
    main()
