"""LLM latency benchmark: how soon the first sentence of an answer reaches TTS.

Stand-ins (Ark SSE and Ollama NDJSON, driven through the real SDK clients) answer at 300 ms to
first token and 30 tokens/s, one character per token.

1. First sentence to TTS vs the floor. The floor is when the stand-in sends the last token of
   the first sentence: first token + (tokens in the first sentence − 1) / rate. Measured both
   from ``stream_sentences`` (client side) and end to end through ``LlmWorker`` on a
   MemoryBus (ReplyJob published → SpeechRequest received). Target: ≤ floor + 20 ms.
2. A five-sentence answer: first audio with sentence streaming vs waiting for the whole reply.

    python -m tests.bench.llm [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from app import events
from app.bus.memory import MemoryBus
from app.llm.ark_provider import ArkProvider
from app.llm.client import LlmClient, LlmLimits
from app.llm.ollama_provider import OllamaProvider
from app.llm.sentences import stream_sentences
from app.llm.worker import LlmWorker
from app.text.sentences import split_sentences
from tests.standins.ark import ArkStandin
from tests.standins.llm_common import Behaviour
from tests.standins.ollama_server import OllamaStandin

TTFT, TPS = 0.300, 30.0
FIVE = "这款T恤是新疆长绒棉的。穿着透气不闷汗！尺码从S到XXL都有。今天下单还送运费险。有问题随时问主播哦！"
MSG = [{"role": "user", "content": "介绍一下"}]
TARGET_MS = 20.0


def _client(kind: str, standin) -> LlmClient:
    limits = LlmLimits(requests_per_minute=0, max_concurrency=4)
    if kind == "ark":
        provider = ArkProvider(model="ep-20250101000000-bench", api_key="k", base_url=standin.base_url)
    else:
        provider = OllamaProvider(model="qwen2.5:0.5b", host=standin.url)
    return LlmClient(provider, limits)


def _floor() -> float:
    first = split_sentences(FIVE)[0]
    return TTFT + (len(first) - 1) / TPS


def measure_stream(client: LlmClient) -> tuple[float, float]:
    """(seconds to first sentence, seconds to the last sentence) via stream_sentences."""
    t0 = time.perf_counter()
    first = None
    for _ in stream_sentences(client, MSG):
        if first is None:
            first = time.perf_counter() - t0
    return first, time.perf_counter() - t0


def measure_whole(client: LlmClient) -> float:
    t0 = time.perf_counter()
    text = client.complete(MSG)
    split_sentences(text)  # what a non-streaming reply would do before handing on sentence 1
    return time.perf_counter() - t0


def measure_worker(client: LlmClient, runs: int) -> list[float]:
    bus = MemoryBus("bench")
    got, done = threading.Event(), threading.Event()
    stamp: list[float] = []
    last_index = len(split_sentences(FIVE)) - 1

    def on_speech(req):
        if req.sentence_index == 0:
            stamp.append(time.perf_counter())
            got.set()
        if req.sentence_index == last_index:
            done.set()

    bus.subscribe(events.Channel.SPEECH_REQUESTS, on_speech)
    worker = LlmWorker(bus, client)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    out = []
    for i in range(runs):
        got.clear()
        done.clear()
        stamp.clear()
        t0 = time.perf_counter()
        bus.publish(events.Channel.REPLY_JOBS, events.ReplyJob(id=f"b{i}", question="介绍一下"))
        got.wait(5)
        out.append(stamp[0] - t0)
        done.wait(5)  # the worker answers one job at a time: let this answer finish
    worker.stop()
    bus.close()
    return out


def collect(runs: int) -> list[tuple[str, list[float], list[float], list[float], list[float]]]:
    """Per provider: (kind, first sentence via stream_sentences, first sentence via the worker,
    last sentence, whole reply), seconds per run."""
    behaviour = Behaviour(default_answer=FIVE, first_token_s=TTFT, tokens_per_s=TPS)
    rows = []
    for kind, cls in (("ark", ArkStandin), ("ollama", OllamaStandin)):
        with cls(behaviour) as standin:
            client = _client(kind, standin)
            measure_stream(client)  # warm-up: imports, first connection
            firsts, lasts, wholes = [], [], []
            for _ in range(runs):
                f, last = measure_stream(client)
                firsts.append(f)
                lasts.append(last)
                wholes.append(measure_whole(client))
            worker = measure_worker(client, runs)
            client.close()
        rows.append((kind, firsts, worker, lasts, wholes))
    return rows


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench`` (medians over the runs, in ms)."""
    floor = _floor() * 1000
    out: dict = {"floor_ms": floor}
    for kind, firsts, worker, _lasts, wholes in collect(2 if quick else 10):
        first, via_worker = statistics.median(firsts) * 1000, statistics.median(worker) * 1000
        out[f"{kind}_first_sentence_ms"] = first
        out[f"{kind}_first_sentence_over_floor_ms"] = first - floor
        out[f"{kind}_worker_first_sentence_ms"] = via_worker
        out[f"{kind}_worker_over_floor_ms"] = via_worker - floor
        out[f"{kind}_whole_reply_ms"] = statistics.median(wholes) * 1000
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2 runs per case instead of 10")
    args = ap.parse_args()
    runs = 2 if args.quick else 10
    floor = _floor()
    rows = collect(runs)

    ms = lambda xs: f"{statistics.median(xs) * 1000:7.1f} / {max(xs) * 1000:7.1f}"  # noqa: E731
    print(f"stand-in: first token {TTFT * 1000:.0f} ms, {TPS:.0f} tokens/s, 1 char/token; "
          f"{runs} runs; values are median / max in ms")
    first_len = len(split_sentences(FIVE)[0])
    print(f"floor (last token of the {first_len}-char first sentence sent): {floor * 1000:.1f} ms; "
          f"target ≤ floor + {TARGET_MS:.0f} ms = {(floor * 1000 + TARGET_MS):.1f} ms\n")
    print(f"{'provider':<8} {'first sentence (client)':>24} {'over floor':>11} "
          f"{'first sentence (worker→bus)':>28} {'over floor':>11} {'pass':>5}")
    ok_all = True
    for kind, firsts, worker, _, _ in rows:
        over_c = (statistics.median(firsts) - floor) * 1000
        over_w = (statistics.median(worker) - floor) * 1000
        ok = over_c <= TARGET_MS and over_w <= TARGET_MS
        ok_all &= ok
        print(f"{kind:<8} {ms(firsts):>24} {over_c:>+10.1f} {ms(worker):>28} {over_w:>+10.1f} "
              f"{'yes' if ok else 'NO':>5}")
    print(f"\nfive-sentence answer ({len(FIVE)} chars): first audio can start after")
    print(f"{'provider':<8} {'streaming (1st sentence)':>25} {'whole reply first':>19} {'saved':>9}")
    for kind, firsts, _, _, wholes in rows:
        saved = (statistics.median(wholes) - statistics.median(firsts)) * 1000
        print(f"{kind:<8} {ms(firsts):>25} {ms(wholes):>19} {saved:>8.0f}")
    print(f"\nresult: {'PASS' if ok_all else 'FAIL'} (median first sentence ≤ floor + {TARGET_MS:.0f} ms)")


if __name__ == "__main__":
    main()
