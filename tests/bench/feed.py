"""Live-feed benchmark: decode rate, end-to-end rate into the bus, memory under a flood.

    python -m tests.bench.feed [--quick] [--bus auto|memory|redis://host:port/db]

1. decode: frames/s of ``FrameDecoder`` over a 100,000-frame recording (20,000 with --quick).
2. end-to-end: a replay server in a separate process floods unpaced frames over a real
   WebSocket; the listener decodes and publishes them on the bus; frames/s from the first to the
   last event received by a bus subscriber, and this process's peak RSS.
3. flood: 1,000,000 frames (100,000 with --quick) through the same path; RSS sampled along the
   way must stay flat (the listener buffers a bounded number of events).

The bus is the app's own (``auto``: the embedded redis-server) unless ``--bus`` says otherwise.

Targets (2-core machine): decode ≥ 20,000 frames/s; ≥ 10,000 frames/s into Redis, in the quick
and in the full run.
Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Iterator

from app.events import LIVE_CHANNELS
from app.live.decoder import FrameDecoder
from app.live.recording import shift_msg_ids
from tests.bench.common import serve_until_killed, spawn_server
from tests.standins.dybarrage import Room, Viewer

TEMPLATES = 1000
BASE_ID = 7_438_000_000_000_000_000


def templates() -> list[str]:
    """A realistic mix (comments, likes, entries, gifts, stats …) with MsgIds BASE_ID + k."""
    room = Room()
    out = []
    for k in range(TEMPLATES):
        v = Viewer(id=10_000 + k, nickname=f"观众{k}号🌸", pay_level=k % 30, club_name="粉丝团" if k % 4 == 0 else "",
                   club_level=k % 12)
        m, kind = BASE_ID + k, k % 10
        if kind in (0, 1, 2):
            out.append(room.comment(m, v, f"这个面霜多少钱？第{k}问 包邮吗"))
        elif kind in (3, 4):
            out.append(room.like(m, v, k % 20 + 1, 5000 + k))
        elif kind in (5, 6):
            out.append(room.enter(m, v, 300 + k))
        elif kind == 7:
            out.append(room.gift(m, v, gift_id=5655, name="小心心", diamonds=1, increment=1, repeat=k % 5 + 1,
                                 group_id=1731234560000 + k))
        elif kind == 8:
            out.append(room.stats(m, 300 + k, 20000 + k))
        else:
            out.append(room.follow(m, v))
    return out


def frames(count: int) -> Iterator[str]:
    """``count`` distinct frames, generated lazily (a million frames would not fit in memory)."""
    base = templates()
    for i in range(count):
        t = base[i % TEMPLATES]
        shift = (i // TEMPLATES) * TEMPLATES
        yield shift_msg_ids(t, shift) if shift else t


def rss_mb() -> float:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def peak_rss_mb() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---- 1. decode ----------------------------------------------------------------------------------


def bench_decode(count: int) -> tuple[float, float]:
    data = list(frames(count))
    decoder = FrameDecoder()
    t0 = time.perf_counter()
    for f in data:
        decoder.decode(f)
    elapsed = time.perf_counter() - t0
    assert decoder.stats.decoded == count, decoder.stats
    return count / elapsed, elapsed


# ---- 2./3. end to end ---------------------------------------------------------------------------


def serve(count: int) -> int:
    """Child process: serve ``count`` generated frames unpaced, print the port, run until killed."""
    from app.live.replay import ReplayServer

    return serve_until_killed(ReplayServer(lambda: frames(count), speed=0, wait_for_clients=1).start())


def make_bus(url: str):
    try:
        from app.bus import create_bus
    except ImportError:
        from app.bus.memory import MemoryBus
        return MemoryBus("bench")
    return create_bus(url, "bench")


def bench_end_to_end(count: int, bus_url: str, sample_rss: bool) -> dict:
    from app.live.listener import FeedListener

    child, port, _finished, _sent = spawn_server("tests.bench.feed", "--serve", str(count))
    bus = make_bus(bus_url)
    received = [0]
    first = [0.0]
    last = [0.0]
    lock = threading.Lock()

    def count_it(_event) -> None:
        with lock:
            if not received[0]:
                first[0] = time.perf_counter()
            received[0] += 1
            last[0] = time.perf_counter()

    subs = [bus.subscribe(ch, count_it) for ch in LIVE_CHANNELS]
    samples: list[tuple[int, float]] = []
    try:
        rss_start = rss_mb()
        listener = FeedListener(f"ws://127.0.0.1:{port}", bus, stall_timeout_s=30, ping_interval_s=5,
                                ping_timeout_s=10).start()
        deadline = time.monotonic() + max(60, count / 2000)
        next_sample = 0
        while True:
            st = listener.stats()
            done = st["frames"] >= count and received[0] >= st["published"] and not st["buffered"]
            if sample_rss and st["frames"] >= next_sample:
                samples.append((st["frames"], rss_mb()))
                next_sample += count // 10
            if done or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        stats = listener.stats()
        listener.stop()
    finally:
        child.kill()
        child.wait()
        for s in subs:
            bus.unsubscribe(s)
        bus.close()
    elapsed = max(1e-9, last[0] - first[0])
    return {"frames": stats["frames"], "received": received[0], "shed": stats["shed_total"],
            "bad": stats["bad_frames"], "dupes": stats["duplicates"], "rate": received[0] / elapsed,
            "elapsed": elapsed, "rss_start": rss_start, "rss_end": rss_mb(), "samples": samples,
            "backend": getattr(bus, "backend", "?"), "timed_out": stats["frames"] < count}


def run(quick: bool, bus_url: str) -> tuple[int, float, dict, dict, float]:
    n_decode = 20_000 if quick else 100_000
    n_e2e = 20_000 if quick else 100_000
    n_flood = 100_000 if quick else 1_000_000

    e2e = bench_end_to_end(n_e2e, bus_url, sample_rss=False)
    peak_after_e2e = peak_rss_mb()
    flood = bench_end_to_end(n_flood, bus_url, sample_rss=True)
    rate, _elapsed = bench_decode(n_decode)
    return n_decode, rate, e2e, flood, peak_after_e2e


def flood_growth_mb(samples: list[tuple[int, float]]) -> float | None:
    """RSS growth from 20 % of the flood to its end (the first fifth is warm-up)."""
    if len(samples) < 3:
        return None
    return samples[-1][1] - samples[len(samples) // 5][1]


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench``: the end-to-end and flood runs go into Redis
    (``auto``: the embedded server the app itself uses)."""
    n_decode, rate, e2e, flood, peak_after_e2e = run(quick, "auto")
    return {"decode_fps": rate, "redis_e2e_fps": e2e["rate"], "e2e_peak_rss_mb": peak_after_e2e,
            "flood_frames": flood["frames"], "flood_fps": flood["rate"],
            "flood_rss_start_mb": flood["samples"][0][1] if flood["samples"] else None,
            "flood_rss_end_mb": flood["samples"][-1][1] if flood["samples"] else None,
            "flood_rss_growth_mb": flood_growth_mb(flood["samples"]), "flood_peak_rss_mb": peak_rss_mb(),
            "flood_shed": flood["shed"], "flood_timed_out": int(flood["timed_out"]),
            "_notes": [f"bus backend: {e2e['backend']}"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="live feed benchmark")
    parser.add_argument("--quick", action="store_true", help="small counts, well under a minute")
    parser.add_argument("--bus", default="auto", help="bus url for create_bus (auto, memory, redis://…)")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)

    n_decode, rate, e2e, flood, peak_after_e2e = run(args.quick, args.bus)
    print(f"\nlive feed benchmark ({'quick' if args.quick else 'full'}; bus {args.bus} → {e2e['backend']})\n")
    print(f"{'measure':<34}{'frames':>10}{'result':>22}{'target':>16}")
    print("-" * 82)
    print(f"{'decode (FrameDecoder)':<34}{n_decode:>10}{rate:>15,.0f} fr/s{'>= 20,000':>16}"
          f"  {'OK' if rate >= 20_000 else 'BELOW'}")
    for name, r in (("end-to-end → bus", e2e), ("flood → bus", flood)):
        note = " (TIMED OUT)" if r["timed_out"] else ""
        print(f"{name:<34}{r['frames']:>10}{r['rate']:>15,.0f} fr/s{'>= 10,000':>16}"
              f"  {'OK' if r['rate'] >= 10_000 else 'BELOW'}{note}")
        print(f"{'  received / shed / bad / dupes':<34}{'':>10}{r['received']:>8} / {r['shed']} / {r['bad']} / {r['dupes']}")
    print(f"{'peak RSS after end-to-end':<34}{'':>10}{peak_after_e2e:>18.1f} MB")
    s = flood["samples"]
    if len(s) >= 3:
        settled = s[len(s) // 5][1]
        growth = s[-1][1] - settled
        print(f"{'flood RSS (start→20%→end)':<34}{'':>10}{s[0][1]:>8.1f} → {settled:.1f} → {s[-1][1]:.1f} MB"
              f"   growth after 20%: {growth:+.1f} MB  {'FLAT' if growth < 25 else 'GROWING'}")
        print("  samples (frames: MB): " + ", ".join(f"{f}: {m:.0f}" for f, m in s))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
