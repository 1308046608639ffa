"""`main.py export-log` reads the database runs write ([store] db_path), as the README says."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from pathlib import Path

from app.cli import main as cli_main
from app.store.spoken_log import CSV_COLUMNS, SpokenLog

ROOT = Path(__file__).resolve().parents[3]


def main_py(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True,
                          text=True, encoding="utf-8", cwd=ROOT, timeout=60)


def _fill(db: Path) -> None:
    now = time.time()
    with SpokenLog(db) as log:
        log.record_played(utterance_id="old", text="三小时前", kind="script", priority=10,
                          started_at=now - 3 * 3600)
        log.record_played(utterance_id="new", text="很好用的哦", kind="reply", priority=0, started_at=now - 60,
                          session_id=3, product="保温杯", viewer="小美", comment="好用吗", original="最好用的哦")


def test_export_log_reads_the_db_path_of_the_config(tmp_path):
    db = tmp_path / "runs" / "live.sqlite3"
    db.parent.mkdir()
    _fill(db)
    config = tmp_path / "config.ini"
    config.write_text(f"[bus]\nurl = memory\n[store]\ndb_path = {db}\n", encoding="utf-8")
    run = main_py("export-log", "--since", "2h", "--config", str(config))
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert len(rows) == 2 and row["编号"] == "new"
    assert (row["商品"], row["观众"], row["观众弹幕"], row["过滤前原文"], row["播出内容"], row["场次"]) == (
        "保温杯", "小美", "好用吗", "最好用的哦", "很好用的哦", "3")
    out = tmp_path / "out.csv"
    run = main_py("export-log", "--since", "1d", "--config", str(config), "--viewer", "小美", "--out", str(out))
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    assert [r[2] for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")))][1:] == ["new"]


def test_export_log_as_the_readme_writes_it_reads_the_apps_own_database(tmp_path, operator_folder, capsys):
    """`export-log --since 2h` with no other argument: the app's config.ini, its [store] db_path
    (data/live.sqlite3 beside it), not the data/spoken_log.sqlite3 of the first version."""
    (tmp_path / "data").mkdir()
    _fill(tmp_path / "data" / "live.sqlite3")
    with SpokenLog(tmp_path / "data" / "spoken_log.sqlite3") as decoy:
        decoy.record_played(utterance_id="decoy", text="旧文件", kind="script", priority=10)
    assert cli_main(["export-log", "--since", "2h"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert [r[2] for r in rows[1:]] == ["new"]
    (tmp_path / "config.ini").write_text(f"[store]\ndb_path = {tmp_path / 'elsewhere.sqlite3'}\n", encoding="utf-8")
    assert cli_main(["export-log", "--since", "2h"]) == 2
    assert "没有播出记录" in capsys.readouterr().err


def test_export_log_says_what_is_wrong_with_a_broken_config(tmp_path):
    config = tmp_path / "config.ini"
    config.write_text("[store]\ndb_path =\n", encoding="utf-8")
    run = main_py("export-log", "--since", "2h", "--config", str(config))
    assert run.returncode == 2 and "配置文件有错误" in run.stderr and "db_path" in run.stderr
