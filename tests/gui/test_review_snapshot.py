"""``main.py --review-snapshot PNG``: the window opens 直播复盘 on the newest run, saves the whole
page with its charts as a picture and quits — what scripts/build_check.py runs in the built app.
Run through the real entry point (the option must reach the window, not the subcommands)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from tests.sample_run import make_run_db

ROOT = Path(__file__).resolve().parents[2]


def _snapshot(tmp_path: Path, db: Path, picture: Path) -> subprocess.CompletedProcess:
    from app.config import render_default, write_values

    config = tmp_path / "config.ini"
    config.write_text(render_default(), encoding="utf-8")
    write_values(config, {("bus", "url"): "memory", ("store", "db_path"): str(db)})
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SDL_AUDIODRIVER": "dummy",
           "XDG_CONFIG_HOME": str(tmp_path / "qsettings")}  # the window's geometry: not the real one
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(config),
                           "--review-snapshot", str(picture)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)


def test_the_snapshot_pictures_the_newest_runs_review_with_every_chart_drawn(tmp_path):
    db = tmp_path / "live.sqlite3"
    make_run_db(db)  # two runs; the newest (session 2) has a script line, a comment and a gift
    picture = tmp_path / "复盘.png"
    done = _snapshot(tmp_path, db, picture)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"直播复盘截图已保存：{picture}（8 张图表" in done.stdout
    assert "Warning:" not in done.stderr  # e.g. matplotlib's "Glyph … missing from font(s)"
    rgb = imread(str(picture))[..., :3]
    height, width = rgb.shape[:2]
    assert height > 8 * 200 > width, "the whole page (eight charts), not only what the window shows"
    coloured = (rgb.max(axis=2) - rgb.min(axis=2)) > 0.25  # bars and lines; the page itself is grey/white
    assert coloured.mean() > 0.05
    script_blue = np.all(np.abs(rgb - np.array([0x25, 0x63, 0xEB]) / 255) < 0.02, axis=2)
    assert script_blue.sum() > 2000, "the air-time chart's script bar (话术, #2563eb) is drawn"


def test_with_no_recorded_run_the_snapshot_says_so_and_fails_at_once(tmp_path):
    picture = tmp_path / "复盘.png"
    done = _snapshot(tmp_path, tmp_path / "empty.sqlite3", picture)
    assert done.returncode == 1
    assert "还没有可复盘的场次" in done.stderr
    assert not picture.exists()
