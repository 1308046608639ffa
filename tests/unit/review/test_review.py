"""直播复盘: the charts carry the run's own numbers, counted here straight from the database."""

from __future__ import annotations

import csv
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from app.review import ReviewError, list_sessions, load_review, make_charts, render_html, write_review
from app.store.labels import AIR_CLASS_ZH, air_class
from tests.sample_run import make_run_db

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def run_db(tmp_path):
    db = tmp_path / "live.sqlite3"
    return db, make_run_db(db)


def _series(chart, label):
    """The numbers a chart draws for one series: bar heights (or widths), or a line's y values."""
    ax = chart.figure.axes[0]
    for container in ax.containers:
        if container.get_label() == label:
            horizontal = container.orientation == "horizontal"
            return [round(p.get_width() if horizontal else p.get_height(), 3) for p in container]
    for line in ax.lines:
        if line.get_label() == label:
            return [float(y) for y in line.get_ydata()]
    raise AssertionError(f"{chart.key} has no series {label!r}")


def _per_minute_sql(db, sql, args, minutes):
    out = [0] * minutes
    with sqlite3.connect(db) as con:
        for minute, value in con.execute(sql, args):
            out[int(minute)] += value
    return out


def test_every_chart_draws_the_numbers_in_the_database(run_db):
    db, run = run_db
    t0, s1 = run["start"], run["s1"]
    data = load_review(db, s1)
    assert data.minutes == 4 and data.notes == []  # 190 s, every event still kept
    charts = {c.key: c for c in make_charts(data)}

    # spoken seconds by class per minute: each second of the session sampled from the raw rows
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT started_at, ended_at, kind FROM spoken WHERE session_id = ?", (s1,)).fetchall()
    expected = {c: [0.0] * 4 for c in AIR_CLASS_ZH}
    for start, end, kind in rows:
        for second in range(int(start - t0), int(end - t0)):
            expected[air_class(kind)][second // 60] += 1.0
    for cls, zh in AIR_CLASS_ZH.items():
        assert _series(charts["airtime"], zh) == expected[cls], cls
    assert expected["thanks"][0] == 5.0 and expected["thanks"][1] == 9.0  # the gift line spans a minute

    comments = _per_minute_sql(db, "SELECT CAST((ts - ?) / 60 AS INT), COUNT(*) FROM live_events "
                                   "WHERE type = 'comment' AND ts BETWEEN ? AND ? GROUP BY 1",
                               (t0, t0, run["end"]), 4)
    assert _series(charts["activity"], "弹幕") == comments == [3, 2, 1, 1]
    asked = _per_minute_sql(db, "SELECT CAST((ts - ?) / 60 AS INT), COUNT(*) FROM questions "
                                "WHERE session_id = ? GROUP BY 1", (t0, s1), 4)
    assert _series(charts["activity"], "提问") == asked
    for state, label in (("answered", "已回答"), ("unanswered", "未回答"), ("waiting", "未处理完")):
        per_minute = _per_minute_sql(db, "SELECT CAST((ts - ?) / 60 AS INT), COUNT(*) FROM questions "
                                         "WHERE session_id = ? AND state = ? GROUP BY 1", (t0, s1, state), 4)
        assert _series(charts["answers"], label) == per_minute, state

    with sqlite3.connect(db) as con:
        latencies = [r[0] for r in con.execute(
            "SELECT latency_s FROM questions WHERE session_id = ? AND state = 'answered'", (s1,))]
    bins = [0, 3, 5, 10, 20, 30, float("inf")]
    hist = [sum(1 for v in latencies if lo <= v < hi) for lo, hi in zip(bins, bins[1:], strict=False)]
    assert _series(charts["latency"], "已回答的问题") == hist == [1, 1, 1, 1, 0, 0]

    diamonds = _per_minute_sql(db, "SELECT CAST((ts - ?) / 60 AS INT), SUM(json_extract(event, '$.gift.count') "
                                   "* json_extract(event, '$.gift.diamonds')) FROM live_events "
                                   "WHERE type = 'gift' AND ts BETWEEN ? AND ? GROUP BY 1",
                               (t0, t0, run["end"]), 4)
    assert _series(charts["gifts"], "钻石") == diamonds == [3005, 0, 23, 0]
    with sqlite3.connect(db) as con:
        gifters = con.execute(
            "SELECT nickname, SUM(json_extract(event, '$.gift.count') * json_extract(event, '$.gift.diamonds')) AS d "
            "FROM live_events WHERE type = 'gift' AND ts BETWEEN ? AND ? GROUP BY nickname ORDER BY d DESC",
            (t0, run["end"])).fetchall()
    ax = charts["gifters"].figure.axes[0]
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()), strict=True), reverse=True)
    names_top_down = [name for _, name in ticks]
    assert names_top_down == [g[0] for g in gifters] == ["榜一大哥", "阿花", "小美"]
    assert _series(charts["gifters"], "钻石") == [g[1] for g in gifters]

    # most asked: "多少钱？", "多少钱", "多少 钱!" are one question asked three times
    assert data.top_questions[0] == ("多少钱？", 3)
    assert _series(charts["questions"], "次数")[0] == 3

    with sqlite3.connect(db) as con:
        changed = con.execute("SELECT COUNT(*) FROM spoken WHERE session_id = ? AND original <> ''",
                              (s1,)).fetchone()[0]
    assert len(data.replacements) == changed == 2
    assert dict(data.replaced_terms) == {"最→很": 1, "第一→很高": 1}
    assert sorted(_series(charts["compliance"], "次数")) == [1, 1]


def test_the_newest_session_by_default_and_a_clear_error_for_a_missing_one(run_db):
    db, run = run_db
    assert [s.session_id for s in list_sessions(db)] == [run["s2"], run["s1"]]
    newest = load_review(db)
    assert newest.session.session_id == run["s2"]
    assert sum(newest.comments) == 1 and sum(newest.diamonds) == 10000
    with pytest.raises(ReviewError, match="没有第 99 场"):
        load_review(db, 99)
    with pytest.raises(ReviewError, match="没有找到数据库"):
        load_review(db.parent / "nothing.sqlite3")


def test_a_session_that_never_ended_stops_at_the_next_sessions_start(tmp_path):
    db = tmp_path / "live.sqlite3"
    run = make_run_db(db)
    with sqlite3.connect(db) as con:
        con.execute("UPDATE sessions SET ended_at = NULL, end_reason = '' WHERE session_id = ?", (run["s1"],))
    data = load_review(db, run["s1"])
    assert sum(data.comments) == 7 and sum(data.diamonds) == 3028, "nothing of the next session leaks in"
    assert "未正常结束" in render_html(data)


def test_saved_review_is_one_self_contained_page_plus_csvs(run_db, tmp_path):
    db, run = run_db
    data = load_review(db, run["s1"])
    page = write_review(data, tmp_path / "out")
    text = page.read_text(encoding="utf-8")
    assert text.count("<svg") == 8 and "<script" not in text and "src=" not in text  # nothing external
    assert "直播复盘 · 第 1 场" in text and "演示模式" in text
    assert "多少钱" in text and "回复太频繁，已限流" in text and "本店销量第一，快来抢" in text
    assert ">榜一大哥<" in text
    assert "弹幕" in text and "播出总时长" in text
    with open(page.parent / "minutes.csv", encoding="utf-8-sig") as f:
        minutes = list(csv.reader(f))
    assert [int(r[5]) for r in minutes[1:]] == data.comments
    assert [int(r[-1]) for r in minutes[1:]] == data.diamonds
    with open(page.parent / "questions.csv", encoding="utf-8-sig") as f:
        assert len(list(csv.reader(f))) == 1 + 6


def test_review_command_writes_the_page_and_lists_sessions(run_db, tmp_path):
    db, run = run_db

    def main_py(*args):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                              encoding="utf-8", cwd=ROOT, timeout=120)

    listed = main_py("review", "--db", str(db), "--list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [str(run["s2"]), str(run["s1"])]
    assert "手动停止" in listed.stdout and "（演示）" in listed.stdout
    made = main_py("review", "--db", str(db), "--session", str(run["s1"]), "--out", str(tmp_path / "r"))
    assert made.returncode == 0, made.stderr
    page = Path(made.stdout.strip())
    assert page.is_file() and page.parent.parent == tmp_path / "r"
    missing = main_py("review", "--db", str(db), "--session", "42")
    assert missing.returncode == 2 and "没有第 42 场" in missing.stderr
    json.dumps(str(page))


def test_a_session_whose_events_went_with_the_retention_says_so(tmp_path):
    from collections import Counter

    from app import events
    from app.store.event_log import EventLog

    db = tmp_path / "live.sqlite3"
    run = make_run_db(db)
    elog = EventLog(db, event_retention_days=1)  # a later run prunes what is older than a day
    elog.write([events.LiveEvent(type="comment", msg_id="new", room_id="r", ts=run["start"] + 10 * 86400)],
               Counter(), now=run["start"] + 10 * 86400)
    elog.close()
    data = load_review(db, run["s1"])
    assert sum(data.comments) == 0 and data.notes and "保留期" in data.notes[0]
    assert "保留期" in render_html(data)


def test_viewer_text_with_dollar_signs_is_drawn_as_written(run_db, tmp_path):
    """Found building the app: a nickname like "$x^$" was read by matplotlib as a formula, which
    raised ParseSyntaxException and took the whole review down."""
    db, run = run_db
    with sqlite3.connect(db) as con:
        con.execute("UPDATE live_events SET nickname = '$x^$大哥' WHERE type = 'gift'")
    data = load_review(db, run["s1"])
    charts = {c.key: c for c in make_charts(data)}
    gifters = charts["gifters"].figure
    gifters.canvas.draw()  # where the formula parser ran and failed
    assert "$x^$大哥" in [t.get_text() for t in gifters.axes[0].get_yticklabels()]
    assert "$x^$大哥" in render_html(data)


def test_airtime_never_exceeds_the_time_it_had_even_with_a_row_left_open_until_stop(tmp_path):
    """A record written before 跳过 closed its row (the walk's 2026-11-26 run): the skipped line
    runs 58.4 s → 79.5 s (停止) over five lines that played meanwhile. One thing sounds at a
    time: the review ends it where the next line starts, so no minute holds more speech than
    seconds and 播出总时长 stays within 直播时长."""
    from app.review.report import summary
    from app.store.sessions import SessionLog
    from app.store.spoken_log import SpokenLog

    db = tmp_path / "live.sqlite3"
    t0 = 1_795_715_519.7
    with SessionLog(db) as sessions:
        sid = sessions.open_session(t0)
        sessions.end_session(sid, t0 + 79.5, "stopped")
    with SpokenLog(db) as log:
        def row(uid, a, b, status):
            log.record_played(utterance_id=uid, text=uid, kind="script", priority=10, started_at=t0 + a,
                              session_id=sid)
            log.mark_ended(uid, t0 + b, status)
        row("early", 0.0, 50.0, "finished")
        log.record_played(utterance_id="skipped", text="咱们这款面霜", kind="script", priority=10,
                          started_at=t0 + 58.4, session_id=sid)  # never closed by the old recorder
        for i, (a, b) in enumerate([(58.7, 62.2), (62.4, 65.9), (66.1, 67.9), (68.1, 70.8), (71.0, 73.4)]):
            row(f"next{i}", a, b, "finished")
        log.record_played(utterance_id="reply", text="reply", kind="reply", priority=0, started_at=t0 + 73.7,
                          session_id=sid)
        log.close_session_rows(sid, t0 + 79.5)  # 停止 closes both open rows there

    data = load_review(db, sid)
    minute_two = sum(data.airtime[c][1] for c in data.airtime)
    assert minute_two <= 79.5 - 60.0 + 1e-6  # was 37.9 s of speech in 19.5 s
    assert all(sum(data.airtime[c][m] for c in data.airtime) <= 60.0 for m in range(data.minutes))
    expected = 50.0 + (58.7 - 58.4) + sum(b - a for a, b in [(58.7, 62.2), (62.4, 65.9), (66.1, 67.9),
                                                               (68.1, 70.8), (71.0, 73.4)]) + (79.5 - 73.7)
    assert abs(data.spoken_s - expected) < 0.01
    assert data.spoken_s <= data.end - data.start
    figures = dict(summary(data))
    assert (figures["直播时长"], figures["播出总时长"]) == ("1 分 20 秒", "1 分 10 秒")


def test_emoji_in_a_nickname_prints_no_font_warning(run_db, recwarn):
    """Walk finding 13: "Glyph 127800 … missing from font(s) Noto Sans CJK SC" on stderr for
    every emoji nickname. The chart draws the name without what no font has; the page keeps it."""
    db, run = run_db
    with sqlite3.connect(db) as con:
        con.execute("UPDATE live_events SET nickname = '小美🌸' WHERE nickname = '小美'")
        con.execute("UPDATE live_events SET nickname = '🍠🍠' WHERE nickname = '阿花'")
    data = load_review(db, run["s1"])
    charts = {c.key: c for c in make_charts(data)}
    gifters = charts["gifters"].figure
    gifters.canvas.draw()  # where the glyphs are looked up
    render_html(data, list(charts.values()))  # and the SVG of the saved page
    glyph_warnings = [str(w.message) for w in recwarn if "Glyph" in str(w.message)]
    assert glyph_warnings == []
    labels = [t.get_text() for t in gifters.axes[0].get_yticklabels()]
    from app.review.charts import font_chain_glyphs

    if 0x1F338 not in font_chain_glyphs():  # this machine has no emoji font (a machine with one draws it)
        assert "小美" in labels and "？" in labels
    assert "小美🌸" in render_html(data)
