"""Variant engine benchmark: renderings per second and parse time of a large script.

    python -m tests.bench.variants [--quick]

Targets (issue 5): ≥ 50,000 renderings/s of a 300-character template with 20 groups, and
< 50 ms to parse a 100 KB script file.
"""

from __future__ import annotations

import argparse
import random
import time

from app.text.variants import Renderer, parse
from app.text.variants.template import _parse_cached


def make_template(rng: random.Random, groups: int = 20, target_chars: int = 300) -> str:
    words = "欢迎来到直播间今天给大家带来一款好用的保湿面霜质地轻薄不黏腻喜欢的朋友点点关注"
    parts = []
    for _ in range(groups):
        opts = ["".join(rng.choice(words) for _ in range(rng.randint(1, 3))) for _ in range(rng.randint(2, 4))]
        parts.append("{" + "|".join(opts) + "}")
        parts.append("".join(rng.choice(words) for _ in range(3)) + "，")
    text = "".join(parts)
    while len(text) < target_chars:
        text += rng.choice(words)
    return text + "。${product}"


def make_script(rng: random.Random, size: int = 100_000) -> str:
    paras = []
    n = 0
    while n < size:
        p = make_template(rng) + "\n\n"
        paras.append(p)
        n += len(p.encode("utf-8"))
    return "".join(paras)


def bench_render(seconds: float) -> tuple[str, float, int]:
    src = make_template(random.Random(1))
    t = parse(src)
    r = Renderer(1)
    n = 0
    start = time.perf_counter()
    end = start + seconds
    while True:
        for _ in range(1000):
            r.render(t, product="面霜")
        n += 1000
        now = time.perf_counter()
        if now >= end:
            break
    return src, n / (now - start), t.count()


def bench_parse(repeats: int) -> tuple[int, float]:
    text = make_script(random.Random(2))
    best = float("inf")
    for _i in range(repeats):
        _parse_cached.cache_clear()  # measure parsing, not the cache
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return len(text.encode("utf-8")), best * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short run (a few seconds)")
    args = ap.parse_args(argv)
    src, rate, count = bench_render(1.0 if args.quick else 5.0)
    size, ms = bench_parse(3 if args.quick else 10)
    rows = [
        ("render 300-char template, 20 groups", f"{rate:,.0f} /s", "≥ 50,000 /s", rate >= 50_000),
        ("parse 100 KB script file", f"{ms:.1f} ms", "< 50 ms", ms < 50),
    ]
    print(f"template: {len(src)} chars, {src.count('{') - src.count('${')} groups, {count:,} readings; script: {size:,} bytes")
    print(f"{'measure':<40} {'result':>14} {'target':>14}  ok")
    for name, result, target, ok in rows:
        print(f"{name:<40} {result:>14} {target:>14}  {'yes' if ok else 'NO'}")
    return 0 if all(r[3] for r in rows) else 1


def measure(quick: bool = False) -> dict:
    """Named figures for ``python -m tests.bench``."""
    _src, rate, _count = bench_render(1.0 if quick else 5.0)
    _size, ms = bench_parse(3 if quick else 10)
    return {"render_per_s": rate, "parse_100kb_ms": ms}


if __name__ == "__main__":
    raise SystemExit(main())
