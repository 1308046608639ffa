"""``--review-snapshot PNG``: start the window, open 直播复盘 on the newest recorded run, save a
picture of the whole review page (headline figures and every chart) and quit.

Why it exists: the built app (PyInstaller) carries matplotlib with only the backends and fonts
the review needs; ``scripts/build_check.py`` runs the copy with this option, offscreen, to see
that the charts are really drawn through the Qt canvas with a Chinese font — a missing backend,
library or font shows up there and nowhere else. An operator can use it too, to send a picture of
a review. Exit 0 when the picture is saved; 1 (with the reason on stderr) when there is no run to
review, the review fails, or nothing is shown within ``TIMEOUT_S``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt6.QtCore import QTimer

from app.logs import get_logger

log = get_logger("ui")

TIMEOUT_S = 90.0  # the window builds the room first; a cold start on a slow laptop takes a while
SETTLE_MS = 300  # after the review is on the page: layout, resize and the canvases' first paint


def snapshot_review(app, window, path: Path, *, errors=None, timeout_s: float = TIMEOUT_S) -> None:
    """Arrange the snapshot on ``window`` (before its runtime is built); ``app.exit`` ends it.
    ``errors``: the exception guard's signal; an error on the way ends the snapshot at once."""
    path = Path(path)
    finished = False

    def finish(code: int, message: str) -> None:
        nonlocal finished
        if finished:
            return
        finished = True
        print(message, file=sys.stderr if code else sys.stdout, flush=True)
        app.exit(code)

    def save(view) -> None:
        image = view.page.grab()  # the whole page, not only what the scroll area shows
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            finish(1, f"无法保存直播复盘截图：{path}（请检查文件夹是否可写）")
            return
        finish(0, f"直播复盘截图已保存：{path}（{len(view.charts)} 张图表，{image.width()}×{image.height()}）")

    def shown(view, error: str) -> None:
        if error:
            finish(1, f"直播复盘无法显示：{error}")
        else:
            QTimer.singleShot(SETTLE_MS, lambda: save(view))

    def attached(*_args) -> None:
        view = window.review_view
        if view is None:
            finish(1, "直播复盘页没有建立")
            return
        if not view.session_ids():
            finish(1, "还没有可复盘的场次：先开播（或 run --headless --demo）一次")
            return
        view.shown.connect(lambda error: shown(view, error))
        window.tabs.setCurrentWidget(view)
        view.review_newest(save=False)

    window.host.built.connect(attached)  # after MainWindow.attach, which made the views
    if errors is not None:
        errors.connect(lambda message: finish(1, f"直播复盘出错：{message}"))
    window.host.build_failed.connect(lambda message: finish(1, f"程序没有启动：{message}"))
    QTimer.singleShot(int(timeout_s * 1000),
                      lambda: finish(1, f"{timeout_s:.0f} 秒内没有显示出直播复盘（日志中有原因）"))
