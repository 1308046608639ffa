"""TTS benchmark: pool throughput against 1, 2 and 4 stand-in GPT-SoVITS servers of fixed
latency (it should scale with servers, one request at a time per server), and the cost of the
quality check + post-processing per second of audio (target ≤ 30 ms).

    python -m tests.bench.tts [--quick]
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time

import numpy as np
import soxr

from app import events
from app.bus.memory import MemoryBus
from app.tts import espeak, postprocess, quality
from app.tts.pool import TtsPool
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel
from tests.standins.gptsovits import StandinServer


def throughput(n_servers: int, n_requests: int, latency: float) -> tuple[float, float]:
    servers = [StandinServer(latency_s=latency).start() for _ in range(n_servers)]
    bus = MemoryBus(f"bench{n_servers}")
    done = threading.Event()
    got = []

    def on_ready(e):
        got.append(e)
        if len(got) >= n_requests:
            done.set()

    bus.subscribe(events.Channel.SPEECH_READY, on_ready)
    with tempfile.TemporaryDirectory() as tmp:
        pool = TtsPool(bus, servers=[ServerSpec(s.url) for s in servers],
                       voices=[VoiceModel(name="v", ref_audio="ref.wav")], out_dir=tmp,
                       settings=PoolSettings(workers=max(2, 2 * n_servers)), cache_dir=None).start()
        t0 = time.perf_counter()
        for i in range(n_requests):  # distinct texts: no cache, one sentence each
            bus.publish(events.Channel.SPEECH_REQUESTS, events.SpeechRequest(
                id=f"r{i}", text=f"第{i + 1}号链接，现在下单立减{i % 50 + 1}元。", kind="script", priority=10))
        done.wait(120)
        elapsed = time.perf_counter() - t0
        ok = sum(isinstance(e, events.SpeechReady) for e in got)
        pool.stop()
    bus.close()
    for s in servers:
        s.stop()
    return ok / elapsed, elapsed


def check_cost(repeats: int) -> list[tuple[str, float, float]]:
    text = "这款面霜今天只要九十九点九元，买两件再减十元，库存不多了，喜欢的宝宝抓紧时间下单。"
    pcm, rate = espeak.synthesize(text)
    x32 = soxr.resample(pcm.astype(np.float32) / 32768, rate, 32000)
    seconds = len(x32) / 32000
    settings = postprocess.PostSettings(output_rate=44100)
    rows = []
    for name, fn in (("check", lambda: quality.check(x32, 32000, 40)),
                     ("post-process", lambda: postprocess.process(x32, 32000, settings)),
                     ("check + post", lambda: (quality.check(x32, 32000, 40),
                                               postprocess.process(x32, 32000, settings)))):
        fn()
        t0 = time.perf_counter()
        for _ in range(repeats):
            fn()
        ms = (time.perf_counter() - t0) / repeats * 1000
        rows.append((name, ms, ms / seconds))
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer requests (well under a minute)")
    ap.add_argument("--latency", type=float, default=0.2, help="stand-in latency per request, seconds")
    args = ap.parse_args(argv)
    n = 12 if args.quick else 40
    print(f"TTS pool throughput ({n} one-sentence requests, stand-in latency {args.latency:.2f} s, "
          "1 request at a time per server)")
    print(f"{'servers':>8} {'seconds':>9} {'req/s':>8} {'speed-up':>9} {'ideal req/s':>12}")
    base = None
    for k in (1, 2, 4):
        rate, elapsed = throughput(k, n, args.latency)
        base = base or rate
        print(f"{k:>8} {elapsed:>9.2f} {rate:>8.2f} {rate / base:>8.2f}x {k / args.latency:>12.2f}")
    print()
    print("Quality check + post-processing cost (32 kHz speech → 44.1 kHz output)")
    print(f"{'stage':>14} {'ms/call':>9} {'ms per audio s':>15} {'target':>8}")
    for name, ms, per_s in check_cost(5 if args.quick else 20):
        print(f"{name:>14} {ms:>9.2f} {per_s:>15.2f} {'≤ 30' if name == 'check + post' else '':>8}")
    return 0


def measure(quick: bool = False, latency: float = 0.2) -> dict:
    """Named figures for ``python -m tests.bench``: req/s per server count, the speed-up over
    one server (measured in the same run), and the check + post-processing cost."""
    n = 12 if quick else 40
    out: dict = {}
    for k in (1, 2, 4):
        out[f"pool_req_per_s_{k}"], _ = throughput(k, n, latency)
    for k in (2, 4):
        out[f"speedup_{k}_servers"] = out[f"pool_req_per_s_{k}"] / out["pool_req_per_s_1"]
    for name, _ms, per_s in check_cost(5 if quick else 20):
        out[{"check": "check_ms_per_audio_s", "post-process": "post_ms_per_audio_s",
             "check + post": "check_post_ms_per_audio_s"}[name]] = per_s
    return out


if __name__ == "__main__":
    raise SystemExit(main())
