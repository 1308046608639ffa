"""The shipped timed tasks (follow/coupon reminders, time reports) reach the script scheduler;
a broken timed.json is reported and does not keep the stream from starting."""

from __future__ import annotations

import shutil

from app import events, paths
from app.runtime import Runtime
from tests.waiting import wait_until


def runtime_with_templates(tmp_path, timed_json: str | None):
    templates = tmp_path / "templates"
    shutil.copytree(paths.bundled_data_dir() / "templates", templates)
    if timed_json is not None:
        (templates / "timed.json").write_text(timed_json, encoding="utf-8")
    config = tmp_path / "config.ini"
    config.write_text(f"[bus]\nurl = memory\n[script]\ntemplates_dir = {templates}\n", encoding="utf-8")
    return Runtime(config)


def test_the_shipped_timed_tasks_are_scheduled(tmp_path):
    rt = runtime_with_templates(tmp_path, None)
    try:
        names = {t.name for t in rt.timed_tasks()}
        assert {"follow_reminder", "coupon_reminder", "time_report"} <= names
    finally:
        rt.close()


def test_a_broken_timed_json_is_reported_not_fatal(tmp_path):
    rt = runtime_with_templates(tmp_path, '[{"name": "x", "template": "follow_reminder"}')
    errors = []
    rt.bus.subscribe(events.Channel.SYSTEM, lambda e: isinstance(e, events.ErrorReport) and errors.append(e))
    try:
        assert rt.timed_tasks() == []
        wait_until(lambda: errors, timeout=2, what="the error report on the system channel")
        assert "timed.json" in errors[0].message and "JSON 格式错误" in errors[0].message
    finally:
        rt.close()
