"""`main.py compliance check` and `main.py export-log`, run as an operator would."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli.export_log import parse_time
from app.store.spoken_log import SpokenLog

ROOT = Path(__file__).resolve().parents[3]


def main_py(*args, stdin=None):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, encoding="utf-8", input=stdin, cwd=ROOT, timeout=60)


def test_check_prints_file_line_col_category_term_and_exits_1(tmp_path):
    script = tmp_path / "opening.txt"
    script.write_text("欢迎来到直播间\n这是全网最低价，销量第一！\n加我 V X 哦\n", encoding="utf-8")
    clean = tmp_path / "clean.txt"
    clean.write_text("最近天气冷，第一次来的朋友欢迎你。\n", encoding="utf-8")
    run = main_py("compliance", "check", str(script), str(clean))
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        f"{script}:2:3: absolute: 全网最低价",
        f"{script}:2:9: first_only: 销量第一",
        f"{script}:3:4: platform: vx",
    ]


def test_check_of_clean_files_exits_0_silently(tmp_path):
    clean = tmp_path / "clean.txt"
    clean.write_text("最近天气冷，第一次来的朋友欢迎你。\n", encoding="utf-8")
    run = main_py("compliance", "check", str(clean))
    assert (run.returncode, run.stdout) == (0, "")


def test_check_of_a_missing_file_says_so_and_exits_2(tmp_path):
    run = main_py("compliance", "check", str(tmp_path / "nope.txt"))
    assert run.returncode == 2 and "nope.txt: cannot read" in run.stderr


def test_export_log_writes_the_window_asked_for(tmp_path):
    db = tmp_path / "spoken.sqlite3"
    now = time.time()
    with SpokenLog(db) as log:
        log.record_played(utterance_id="old", text="三小时前", kind="script", priority=10,
                          started_at=now - 3 * 3600)
        log.record_played(utterance_id="new", text="刚才", kind="gift", priority=-5,
                          started_at=now - 60)
    run = main_py("export-log", "--since", "2h", "--db", str(db))
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert [r[2] for r in rows[1:]] == ["new"]
    out = tmp_path / "out.csv"
    run = main_py("export-log", "--since", "1d", "--until", "1h", "--db", str(db), "--out", str(out))
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r[2] for r in rows[1:]] == ["old"]


def test_export_log_rejects_a_bad_time_and_a_missing_database(tmp_path):
    run = main_py("export-log", "--since", "yesterday")
    assert run.returncode == 2 and "'yesterday' is neither an ISO time" in run.stderr
    run = main_py("export-log", "--since", "2h", "--db", str(tmp_path / "none.sqlite3"))
    assert run.returncode == 2 and "no spoken log there" in run.stderr


def test_parse_time_accepts_spans_and_iso_times():
    assert parse_time("90m", now=10_000.0) == 10_000.0 - 5400
    assert parse_time("2025-01-31T20:00:00+08:00") == 1738324800.0
    with pytest.raises(Exception, match="span like"):
        parse_time("2 weeks")
