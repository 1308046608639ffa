"""Compliance filter throughput with 10,000 terms: matching (check_text) and full apply().

    python -m tests.bench.compliance [--quick] [--terms N] [--mb X]

The lists are the shipped ones topped up with generated 3–6 character terms; the text is
generated livestream-like Chinese (sentences with punctuation, a few evasions) with a listed
term about every 400 characters. Throughput is UTF-8 megabytes of input per second. Target:
≥ 1 MB/s for both.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from pathlib import Path

from app.compliance import ComplianceFilter, default_lists_dir

# Common characters of sales talk; generated terms and filler text both draw from them.
POOL = ("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下"
        "而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但"
        "现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此"
        "话常与活正感见明问力理尔点文几定本公特做外孩相西果走将月十实向声车全信重三机工物气每并别真"
        "打太新比才便夫再书部水像眼等体却加电主界门利海受听表德少克代员许稜先口由死安写性马光白或住"
        "难望教命花结乐色更拉东神记处让母父应直字场平报友关放至张认接告入笑内英军候民岁往何度山觉路"
        "带万男边风解叫任金快原吃妈变通师立象数四失满战远格士音轻目条呢款质量价格优惠链接库存福利")
PUNCT = "，，，、。！？"


def make_terms(count: int, rng: random.Random) -> list[str]:
    terms: set[str] = set()
    while len(terms) < count:
        terms.add("".join(rng.choice(POOL) for _ in range(rng.randint(3, 6))))
    return sorted(terms)


def make_text(size_chars: int, terms: list[str], rng: random.Random) -> str:
    parts: list[str] = []
    n = 0
    while n < size_chars:
        piece = "".join(rng.choice(POOL) for _ in range(rng.randint(6, 18))) + rng.choice(PUNCT)
        if rng.random() < 0.03:  # a listed term, sometimes written with an evasion
            term = rng.choice(terms)
            if rng.random() < 0.3:
                term = " ".join(term)
            piece = term + piece
        if rng.random() < 0.02:
            piece += "\n"
        parts.append(piece)
        n += len(piece)
    return "".join(parts)


def build_lists(folder: Path, extra: list[str]) -> None:
    shutil.copytree(default_lists_dir(), folder, dirs_exist_ok=True)
    # Generated terms are spread over the categories whose policy keeps the text (replace and
    # drop_sentence), so apply() does its full work instead of stopping at the first block.
    cats = ["absolute", "first_only", "urgency", "authority", "efficacy"]
    for i, cat in enumerate(cats):
        chunk = extra[i::len(cats)]
        with open(folder / f"{cat}.txt", "a", encoding="utf-8") as f:
            f.write("\n# generated for the benchmark\n" + "\n".join(chunk) + "\n")


def timed(fn, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller text, one repetition")
    ap.add_argument("--terms", type=int, default=10_000, help="total number of terms")
    ap.add_argument("--mb", type=float, default=None, help="text size in UTF-8 MB")
    args = ap.parse_args(argv)
    rng = random.Random(7)
    mb = args.mb or (0.5 if args.quick else 2.0)
    repeat = 1 if args.quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lists"
        base = ComplianceFilter.from_dir(default_lists_dir()).term_count
        build_lists(folder, make_terms(max(0, args.terms - base), rng))
        t0 = time.perf_counter()
        # block would stop apply() at the first platform word the random text happens to form
        flt = ComplianceFilter.from_dir(folder, {"platform": "replace", "profanity": "replace"})
        load_s = time.perf_counter() - t0
        text = make_text(int(mb * 1_000_000 / 3), make_terms(200, random.Random(1)), rng)
        # the text's own terms must be in the lists for hits to occur: add them by reload
        with open(folder / "absolute.txt", "a", encoding="utf-8") as f:
            f.write("\n".join(make_terms(200, random.Random(1))) + "\n")
        flt.reload()
        size_mb = len(text.encode("utf-8")) / 1_000_000
        hits = len(flt.check_text(text))
        result = flt.apply(text)
        assert not result.blocked and result.text, "apply() must do its full work here"
        actions = sorted({h.action for h in result.hits})
        rows = []
        for name, fn in (("match (check_text)", flt.check_text), ("apply()", flt.apply)):
            secs = timed(fn, text, repeat)
            rows.append((name, size_mb, secs, size_mb / secs))
    print(f"terms loaded: {flt.term_count}   lists load+build: {load_s * 1000:.0f} ms   "
          f"text: {size_mb:.2f} MB UTF-8, {len(text):,} chars, {hits} hits ({', '.join(actions)})")
    print(f"{'operation':<20} {'MB':>6} {'seconds':>8} {'MB/s':>7}  target ≥ 1 MB/s")
    ok = True
    for name, size, secs, rate in rows:
        ok &= rate >= 1.0
        print(f"{name:<20} {size:>6.2f} {secs:>8.3f} {rate:>7.2f}  {'ok' if rate >= 1.0 else 'SLOW'}")
    return 0 if ok else 1


def measure(quick: bool = False, terms: int = 10_000) -> dict:
    """Named figures for ``python -m tests.bench``: MB/s of check_text and apply()."""
    rng = random.Random(7)
    mb, repeat = (0.5, 1) if quick else (2.0, 3)
    own_terms = make_terms(200, random.Random(1))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "lists"
        base = ComplianceFilter.from_dir(default_lists_dir()).term_count
        build_lists(folder, make_terms(max(0, terms - base), rng))
        flt = ComplianceFilter.from_dir(folder, {"platform": "replace", "profanity": "replace"})
        text = make_text(int(mb * 1_000_000 / 3), own_terms, rng)
        with open(folder / "absolute.txt", "a", encoding="utf-8") as f:
            f.write("\n".join(own_terms) + "\n")
        flt.reload()
        size_mb = len(text.encode("utf-8")) / 1_000_000
        return {"terms": flt.term_count, "text_mb": size_mb,
                "match_mb_per_s": size_mb / timed(flt.check_text, text, repeat),
                "apply_mb_per_s": size_mb / timed(flt.apply, text, repeat)}


if __name__ == "__main__":
    raise SystemExit(main())
