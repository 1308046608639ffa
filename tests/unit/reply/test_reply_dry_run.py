"""reply-dry-run: recorded events through the policy on their own clock."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.events import encode_str
from app.reply import ReplyPolicy, ReplySettings, SettingsError
from app.reply.dry_run import replay, settings_with
from tests.unit.reply.helpers import comment, enter, gift, user

ROOT = Path(__file__).resolve().parents[3]


def stamped(event, ts):
    from dataclasses import replace
    return encode_str(replace(event, ts=ts))


def test_replay_uses_the_events_clock_and_closes_open_windows():
    t0 = 1_700_000_000.0
    lines = [stamped(gift(user("a", "阿A"), 1), t0), stamped(gift(user("a", "阿A"), 1), t0 + 1.0),
             "# a comment line", "", "{broken", stamped(enter(user("b", "阿B")), t0 + 2.0)]
    out, errors = [], []
    bad = replay(lines, ReplyPolicy(), out.append, lambda n, r: errors.append((n, r)))
    assert bad == 1 and errors[0][0] == 5 and "not JSON" in errors[0][1]
    texts = {e.text: e.created_at for e in out if hasattr(e, "text")}
    assert texts.keys() == {"感谢阿A送的2个小心心", "欢迎阿B来到直播间"}
    # 1.5 s after the last increment the combo is over; small gifts then gather for 3 s
    assert texts["感谢阿A送的2个小心心"] == pytest.approx(t0 + 2.5 + 3.0, abs=0.11)


def test_settings_overrides_are_typed_and_errors_name_the_key():
    s = settings_with(ReplySettings(), ["llm_enabled=true", "gift_window_s=2", "like_milestones=10, 20"])
    assert s.llm_enabled is True and s.gift_window_s == 2.0 and s.like_milestones == (10, 20)
    with pytest.raises(SettingsError, match="nope"):
        settings_with(ReplySettings(), ["nope=1"])
    with pytest.raises(SettingsError, match="replies_per_minute"):
        settings_with(ReplySettings(), ["replies_per_minute=many"])


def test_cli_prints_decisions_and_a_summary(tmp_path):
    f = tmp_path / "events.jsonl"
    f.write_text(stamped(comment(user(), "这个怎么用？"), 1_700_000_000.0) + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "main.py", "reply-dry-run", str(f), "--product", "cup",
                          "--set", "llm_enabled=true"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    job, question = [json.loads(line) for line in run.stdout.splitlines()]
    assert job["type"] == "reply_job" and job["product"] == "cup" and job["question"] == "这个怎么用？"
    assert question["type"] == "question_seen" and question["answer"] == "llm" and question["answer_id"] == job["id"]
    assert json.loads(run.stderr.strip().splitlines()[-1])["replies"] == {"llm": 1}
