"""Reply policy benchmark: decision cost per live event in a busy room, and what the room hears.

    python -m tests.bench.reply_policy [--quick] [--json FILE]

A synthetic room (comments 40 %, likes 30 %, entries 20 %, gifts 8 %, follows 2 %; 3,000
viewers; 60 keyword rules through the real Aho-Corasick matcher and variant renderer) is fed
through ``handle()`` on a simulated clock at ``--rate`` events per second, with ``tick()``
every 100 ms of simulated time. Reported: handle() latency percentiles (wall time), throughput,
and the spoken output per simulated minute (the policy's job is to keep that small and
useful however busy the room is). Target: p99 decision < 1 ms, so the policy never delays an
answer noticeably.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from app.events import GiftInfo, LikeInfo, LiveEvent, ReplyJob, SpeechRequest, User
from app.reply import ReplyPolicy, ReplySettings
from app.reply.answers import LibraryFaq
from app.text.keywords import KeywordMatcher, KeywordRule
from app.text.variants import Renderer
from tests.bench.common import percentile, print_table, write_json

CHATTER = ["主播好", "好看", "666", "来了来了", "支持一下", "哈哈哈", "买了", "好漂亮"]
QUESTIONS = ["这个多少钱", "怎么洗", "有没有大码", "发货快吗", "什么材质的", "能便宜点吗", "包邮吗", "几天到"]


def rules(n: int) -> list[KeywordRule]:
    out = [KeywordRule(id="price", any=("多少钱", "价格"), reply="{亲|宝宝}，现在只要${price}", product="p0"),
           KeywordRule(id="ship", any=("包邮", "发货"), reply="{全国包邮|包邮哦}，48小时内发货")]
    out += [KeywordRule(id=f"r{i}", any=(f"关键词{i}",), reply=f"回答{i}") for i in range(n - 2)]
    return out


def synthetic_room(n: int, rate: float, seed: int = 7) -> list[tuple[float, LiveEvent]]:
    rng = random.Random(seed)
    users = [User(id=str(i), nickname=f"观众{i}", pay_level=rng.choice([0, 0, 3, 12, 25, 40]))
             for i in range(3000)]
    likes, t0, out = 0, 1_700_000_000.0, []
    for i in range(n):
        now = t0 + i / rate
        u = rng.choice(users)
        r = rng.random()
        common = {"msg_id": str(i), "room_id": "r", "ts": now, "user": u}
        if r < 0.40:
            text = rng.choice(QUESTIONS if rng.random() < 0.3 else CHATTER)
            e = LiveEvent(type="comment", text=text, **common)
        elif r < 0.70:
            c = rng.randint(1, 20)
            likes += c
            e = LiveEvent(type="like", like=LikeInfo(count=c, total=likes), **common)
        elif r < 0.90:
            e = LiveEvent(type="enter", **common)
        elif r < 0.98:
            big = rng.random() < 0.05
            e = LiveEvent(type="gift", gift=GiftInfo(id="9" if big else "1", name="嘉年华" if big else "小心心",
                                                     count=1, total=1, diamonds=3000 if big else 1), **common)
        else:
            e = LiveEvent(type="follow", **common)
        out.append((now, e))
    return out


def run(n: int, rate: float) -> dict:
    render = Renderer(1).render
    every = rules(60)
    matcher = KeywordMatcher(every)
    faq = LibraryFaq(lambda: matcher, render, lambda slug: {"price": "59元"},
                     lambda slug: [r for r in every if r.product in (None, slug)])
    p = ReplyPolicy(settings=ReplySettings(llm_enabled=True), faq=faq)
    p.set_product("p0")
    room = synthetic_room(n, rate)
    costs, outputs = [], Counter()
    next_tick = room[0][0]
    t_start = time.perf_counter()
    for now, event in room:
        while next_tick <= now:
            for item in p.tick(now=next_tick):
                outputs[_label(item)] += 1
            next_tick += 0.1
        t = time.perf_counter()
        out = p.handle(event, now=now)
        costs.append((time.perf_counter() - t) * 1e6)
        for item in out:
            outputs[_label(item)] += 1
    wall = time.perf_counter() - t_start
    minutes = n / rate / 60
    c = p.counters()
    return {
        "events": n, "rate": rate, "sim_minutes": minutes, "throughput": n / wall,
        "p50_us": percentile(costs, 50), "p95_us": percentile(costs, 95), "p99_us": percentile(costs, 99),
        "max_us": max(costs), "per_minute": {k: v / minutes for k, v in sorted(outputs.items())},
        "dropped": dict(sorted(c["dropped"].items(), key=lambda kv: -kv[1])),
    }


def _label(item) -> str:
    if isinstance(item, SpeechRequest):
        return f"speech:{item.kind}"
    if isinstance(item, ReplyJob):
        return "llm_job"
    return "dropped"


def measure(quick: bool = False, rate: float = 50.0) -> dict:
    """Named figures for ``python -m tests.bench``."""
    res = run(20_000 if quick else 200_000, rate)
    return {"handle_p50_us": res["p50_us"], "handle_p99_us": res["p99_us"], "handle_max_us": res["max_us"],
            "events_per_s": res["throughput"],
            "spoken_per_sim_minute": sum(v for k, v in res["per_minute"].items() if k.startswith("speech:"))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20,000 events instead of 200,000")
    ap.add_argument("--rate", type=float, default=50.0, help="simulated events per second")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    res = run(20_000 if args.quick else 200_000, args.rate)
    print_table("ReplyPolicy.handle() decision cost (wall time)",
                ["events", "sim min", "events/s", "p50 µs", "p95 µs", "p99 µs", "max µs", "target p99"],
                [[res["events"], res["sim_minutes"], res["throughput"], res["p50_us"], res["p95_us"],
                  res["p99_us"], res["max_us"], "< 1000 µs " + ("OK" if res["p99_us"] < 1000 else "MISSED")]])
    print_table(f"What the room hears at {args.rate:g} events/s (per simulated minute)",
                ["output", "per minute"], [[k, v] for k, v in res["per_minute"].items()])
    print_table("Dropped, by reason (whole run)", ["reason", "count"], [[k, v] for k, v in res["dropped"].items()])
    write_json(args.json, res)
    return 0 if res["p99_us"] < 1000 else 1


if __name__ == "__main__":
    raise SystemExit(main())
