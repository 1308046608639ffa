"""The room benchmark's committed recordings: regenerable, and the rooms the benchmark claims."""

from __future__ import annotations

import json
import statistics
from collections import Counter

import pytest

from app.config import defaults, load
from app.content.library import ProductLibrary
from app.live.decoder import FrameDecoder
from app.live.recording import read_recording
from app.paths import bundled_data_dir
from tests.bench import room_figures as rf
from tests.bench.room import QUICK_S, RECORDINGS, bench_config, cut_recording, faq_hits
from tests.bench.targets import ROOM_LARGE_GIFTS
from tests.standins import make_room_feeds

HITS = faq_hits(ProductLibrary(bundled_data_dir() / "products"))
LARGE = defaults().get("priority", "large_gift_diamonds")  # the shipped config the benchmark runs with
PRODUCTS = ("face-cream", "snack", "tshirt")


def frames(name: str) -> list[tuple[float, dict, dict]]:
    out = []
    for rec in read_recording(make_room_feeds.OUT_DIR / f"{name}.feed"):
        env = json.loads(rec.frame)
        out.append((rec.offset, env, json.loads(env["Data"])))
    return out


@pytest.mark.parametrize("name", list(make_room_feeds.ROOMS))
def test_committed_recording_is_what_the_generator_writes(name):
    committed = (make_room_feeds.OUT_DIR / f"{name}.feed").read_text(encoding="utf-8")
    assert committed == make_room_feeds.render(name), (
        f"tests/data/rooms/{name}.feed differs from its generator: run python -m tests.standins.make_room_feeds")


@pytest.mark.parametrize("name", list(make_room_feeds.ROOMS))
def test_every_frame_decodes_and_the_room_lasts_a_few_minutes(name):
    decoder = FrameDecoder()
    rows = list(read_recording(make_room_feeds.OUT_DIR / f"{name}.feed"))
    rejected = [r.line for r in rows if not hasattr(decoder.decode(r.frame), "msg_id")]
    assert rejected == []
    assert 120 <= max(r.offset for r in rows) <= 240
    assert [r.offset for r in rows] == sorted(r.offset for r in rows)


@pytest.mark.parametrize("name", list(make_room_feeds.ROOMS))
def test_questions_hit_faq_keywords_of_each_product_and_some_hit_none(name):
    texts = [d["Content"] for _, env, d in frames(name) if env["Type"] == 1]
    for product in PRODUCTS:
        assert any(HITS(t, product) for t in texts), f"{name}: no question for {product}"
    assert any(not any(HITS(t, p) for p in PRODUCTS) and t.endswith(("吗", "？", "呀")) for t in texts)


def test_the_gift_storm_has_about_one_small_gift_a_second_and_a_few_large_ones():
    rows = frames("storm")
    feed = rf.parse_feed(read_recording(make_room_feeds.OUT_DIR / "storm.feed"))
    threshold = LARGE
    combos = rf.gift_combos(feed.gifts)
    large = [c for c in combos if sum(g.count for g in c) * c[0].diamonds >= threshold]
    small_messages = sum(len(c) for c in combos if c not in large)
    length = max(t for t, _, _ in rows)
    assert 0.8 <= small_messages / length <= 1.3
    assert 3 <= len(large) <= 6
    assert sum(1 for c in large if len(c) > 1) >= 1  # a combo that crosses the line while it runs
    cut = [c for c in large if all(next(t for t, _, d in rows if str(d["MsgId"]) == g.msg_id) < 75 for g in c)]
    assert len(cut) >= 2  # the --quick cut has large gifts too


def test_the_quiet_room_is_quiet_and_the_sale_room_asks_steadily():
    quiet, sale = frames("quiet"), frames("sale")
    online = [d["OnlineUserCount"] for _, env, d in quiet if env["Type"] == 6]
    assert max(online) <= 40
    kinds = Counter(env["Type"] for _, env, _ in quiet)
    assert kinds[5] <= 2 and kinds[1] <= 20
    asked = [t for t, env, d in sale if env["Type"] == 1 and HITS(d["Content"], "face-cream")]
    gaps = [b - a for a, b in zip(asked, asked[1:], strict=False)]
    assert len(asked) >= 15 and statistics.median(gaps) <= 12


@pytest.mark.parametrize("rec", RECORDINGS, ids=lambda r: r.name)
def test_each_quick_cut_holds_a_large_gift_where_one_is_judged(rec):
    assert rec.path.is_file()
    feed = rf.parse_feed(read_recording(rec.path))
    large = {g.msg_id for g in feed.gifts if g.count * g.diamonds >= LARGE}
    at = [r.offset for r in read_recording(rec.path) if str(json.loads(json.loads(r.frame)["Data"])["MsgId"]) in large]
    in_cut = [t for t in at if rec.quick_from <= t < rec.quick_from + QUICK_S]
    assert bool(in_cut) == (rec.name in ROOM_LARGE_GIFTS)


def test_a_quick_cut_starts_at_zero_and_leaves_out_the_end_of_the_live(tmp_path):
    demo = next(r for r in RECORDINGS if r.name == "demo")
    source = [(r.offset, json.loads(r.frame)["Type"]) for r in read_recording(demo.path)]
    assert source[-1][1] == 9  # the bundled demo ends its live
    cut_recording(demo.path, tmp_path / "cut.feed", 200.0, QUICK_S)
    cut = [(r.offset, json.loads(r.frame)["Type"]) for r in read_recording(tmp_path / "cut.feed")]
    assert cut == [(pytest.approx(t - 200.0), k) for t, k in source if 200.0 <= t < 200.0 + QUICK_S and k != 9]
    assert cut[0][0] < 1.0


def test_each_run_gets_the_shipped_defaults_and_a_cache_of_its_own(tmp_path):
    snap = load(bench_config(tmp_path))
    assert snap.get("tts", "cache_dir") == str(tmp_path / "tts-cache")
    assert snap.get("store", "db_path") == str(tmp_path / "live.sqlite3")
    assert snap.get("priority", "large_gift_diamonds") == LARGE
    assert snap.get("reply", "replies_per_minute") == defaults().get("reply", "replies_per_minute")
