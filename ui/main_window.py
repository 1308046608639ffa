"""The main window: toolbar (开播/停止/暂停/跳过, demo switch: ``LiveToolBar``), tabs (dashboard, products &
scripts, spoken record, post-live review, settings, logs), a notice bar for non-blocking
errors, live health in the status bar.

The window appears at once; the runtime is built on a worker thread and the views are attached
when it is ready (``attach``). Window size, the current tab and the splitters are remembered
with QSettings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QSettings, Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import events
from ui.bridge import Bridge
from ui.controls import Controls
from ui.dashboard import DashboardView
from ui.dialogs import confirm
from ui.health_bar import HealthBar
from ui.live_toolbar import LiveToolBar
from ui.logs_view import LogsView, NoticeBar, QtLogHandler
from ui.preflight_dialog import PreflightDialog
from ui.preflight_dialog import summary as preflight_summary
from ui.products.view import ProductsView
from ui.reactions.view import ReactionsView
from ui.record_view import RecordView
from ui.review_view import ReviewView
from ui.session import RuntimeHost
from ui.settings import SettingsView
from ui.texts import component_label

TITLE = "抖音无人直播控制台"


#: The window's own live options (app/config/live.py): applied by ``_apply_window_options``.
WINDOW_LIVE = ("ui.dashboard_refresh_hz", "compliance.ai_label_text")


class MainWindow(QMainWindow):
    #: a live option of the window changed (emitted on the config watcher's thread, applied on ours)
    window_options_changed = pyqtSignal()

    def __init__(self, *, config_path: Path | None = None, demo: bool = False,
                 host: RuntimeHost | None = None, log_handler: QtLogHandler | None = None,
                 settings: QSettings | None = None):
        super().__init__()
        self.setWindowTitle(TITLE)
        self.config_path = config_path
        self.qsettings = settings or QSettings("douyin-live", "console")
        self.host = host or RuntimeHost(self)
        self.host.setParent(self)
        self.log_handler = log_handler or QtLogHandler()
        self.runtime: Any | None = None
        self.bridge: Bridge | None = None
        self.dashboard: DashboardView | None = None
        self.products: ProductsView | None = None
        self.reactions: ReactionsView | None = None
        self.settings_view: SettingsView | None = None
        self.record_view: RecordView | None = None
        self.review_view: ReviewView | None = None
        self._closing = False
        self._starting = False  # 开播 clicked, the room not confirmed running yet
        self._stop_live_confirmed = False  # a quit signal: no "stop the live?" question
        self._window_live = None  # this window's consumer on the runtime's config store
        self.window_options_changed.connect(self._apply_window_options)
        self._build(demo)
        self.host.built.connect(self.attach)
        self.host.build_failed.connect(self._build_failed)
        self.host.started.connect(lambda: self._set_running(True))
        self.host.stopped.connect(lambda: self._set_running(False))
        self.host.stopped.connect(self._run_ended)
        self.host.failed.connect(lambda msg: self.notify("error", msg))
        self.host.busy.connect(self._busy)
        self._restore_geometry()

    # ---- layout --------------------------------------------------------------------------------

    def _build(self, demo: bool) -> None:
        # the notice bar sits in the toolbar's free middle: no empty row of its own while no
        # notice shows, and a notice moves no control (issue 19.6)
        self.notice_bar = NoticeBar()
        self.toolbar = LiveToolBar(demo, self, middle=self.notice_bar)
        self.addToolBar(self.toolbar)
        self.toolbar.act_start.triggered.connect(self.start_stream)
        self.toolbar.act_stop.triggered.connect(self.stop_stream)
        self.toolbar.act_check.triggered.connect(lambda: self.show_preflight())
        self.toolbar.act_pause.toggled.connect(self._pause_toggled)
        self.toolbar.act_skip.triggered.connect(lambda: self.controls and self.controls.skip())
        self.toolbar.demo_switch.toggled.connect(self._demo_toggled)

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.placeholder = QLabel("正在加载配置和商品…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.tabs.addTab(self.placeholder, "直播看板")
        self.logs_view = LogsView(self.log_handler)
        lay.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.health_bar = HealthBar()
        self.statusBar().addPermanentWidget(self.health_bar)
        self.controls: Controls | None = None
        self._set_running(False)  # no runtime yet: every button of the toolbar but the demo switch is off

    def _restore_geometry(self) -> None:
        geo = self.qsettings.value("window/geometry")
        if geo is None or not self.restoreGeometry(geo):
            screen = self.screen().availableGeometry() if self.screen() else None
            if screen is not None:
                w, h = min(1280, screen.width() - 40), min(800, screen.height() - 40)
                self.resize(max(1000, w), max(640, h))
            else:
                self.resize(1280, 760)
        self.setMinimumSize(960, 600)

    # ---- attaching a runtime -------------------------------------------------------------------

    def attach(self, runtime: Any) -> None:
        """Build the views for ``runtime`` (its bus, config, library, compliance)."""
        if self.runtime is not None:
            self.runtime.config.live.unregister(self._window_live)
        self._window_live = runtime.config.live.register(
            "窗口", WINDOW_LIVE, lambda snap: self.window_options_changed.emit())
        if self.bridge is not None:
            self.bridge.batch.disconnect()
            self.bridge.close()
            self.bridge.deleteLater()
        keep_tab = self.tabs.currentIndex() if self.products is not None else \
            int(self.qsettings.value("window/tab", 0) or 0)
        for view in (self.products, self.reactions):
            if view is not None:
                view.shutdown()
        for view in (self.dashboard, self.products, self.reactions, self.settings_view, self.record_view,
                     self.review_view):
            if view is not None:  # the previous runtime's views: their timers must stop too
                view.deleteLater()
        self.runtime = runtime
        self.controls = Controls(runtime.bus, runtime)
        hz = _get(runtime.config, "ui", "dashboard_refresh_hz", 10.0)
        self.bridge = Bridge(runtime.bus, hz=hz, parent=self)
        self.dashboard = DashboardView(self.controls, feed_max=int(_get(runtime.config, "ui", "events_feed_max", 2000)),
                                       products=lambda: [(p.slug, p.name) for p in runtime.library.products(enabled_only=True)],
                                       ai_label=str(_get(runtime.config, "compliance", "ai_label_text", "")))
        self.products = ProductsView(runtime.library, runtime.compliance, runtime.llm_client)
        self.reactions = ReactionsView(runtime.templates, runtime.compliance)
        self.settings_view = SettingsView(runtime.config)
        self.settings_view.is_live = lambda: self.live
        self.record_view = RecordView(lambda: _db_path(runtime))
        self.review_view = ReviewView(lambda: _db_path(runtime))
        self.bridge.batch.connect(self.dashboard.on_batch)
        self.bridge.batch.connect(self.record_view.on_batch)
        self.bridge.batch.connect(self._live_ended)
        self.bridge.batch.connect(self.health_bar.on_batch)
        self.bridge.config_changed.connect(self.settings_view.on_config_changed)
        self.bridge.config_changed.connect(self._config_changed)
        self.bridge.config_error.connect(self.settings_view.on_config_error)
        self.bridge.config_error.connect(
            lambda e: self.notify("error", "config.ini 有错误，继续使用上次正确的设置（详见设置页）"))
        self.bridge.error.connect(lambda e: self.notify("error", f"{component_label(e.component)}：{e.message}"))
        for view in (self.products, self.reactions, self.settings_view, self.dashboard, self.record_view,
                     self.review_view):
            view.notice.connect(self.notify)
        self.tabs.clear()
        self.tabs.addTab(self.dashboard, "直播看板")
        self.tabs.addTab(self.products, "商品与话术")
        self.tabs.addTab(self.reactions, "互动话术")
        self.tabs.addTab(self.record_view, "播出记录")
        self.tabs.addTab(self.review_view, "直播复盘")
        self.tabs.addTab(self.settings_view, "设置")
        self.tabs.addTab(self.logs_view, "日志")
        self.tabs.setCurrentIndex(min(max(0, keep_tab), self.tabs.count() - 1))
        self.dashboard.restore_layout(self.qsettings)
        self.products.restore_layout(self.qsettings)
        try:
            runtime.config.start_watching()
            for h in runtime.health().values():
                self.health_bar.set_health(h)
        except Exception as exc:
            self.notify("warning", f"无法读取组件状态：{exc}")
        self._set_running(bool(getattr(runtime, "running", False)))
        self.toolbar.demo_switch.setEnabled(True)
        mode = "演示模式" if getattr(runtime, "demo", False) else "正式模式"
        self.statusBar().showMessage(f"{mode} · 配置 {runtime.config.path}", 8000)

    def _build_failed(self, message: str) -> None:
        self.placeholder.setText(f"无法启动：{message}\n\n请检查 config.ini（可在文本编辑器中修改后重新打开）。")
        self.toolbar.state_label.setText("未就绪")
        self.notify("error", message)

    def _config_changed(self, event: events.ConfigChanged) -> None:
        """An edit of config.ini applied; the settings view has said so for its own saves."""
        changed = [key for key in event.changed if self.settings_view is None
                   or not self.settings_view.announced(key)]
        if changed:
            names = [self._option_name(key) for key in changed[:6]]
            more = f" 等 {len(changed)} 项" if len(changed) > 6 else ""
            self.notify("info", f"设置已生效：{'、'.join(names)}{more}")

    def _apply_window_options(self) -> None:
        if self.bridge is not None and self.runtime is not None:
            self.bridge.set_rate(_get(self.runtime.config, "ui", "dashboard_refresh_hz", 10.0))
        if self.dashboard is not None and self.runtime is not None:
            self.dashboard.set_ai_label(str(_get(self.runtime.config, "compliance", "ai_label_text", "")))

    def _option_name(self, key: str) -> str:
        """``section.key`` as the settings page names it."""
        section, _, name = key.rpartition(".")
        try:
            opt = self.runtime.config.schema.option(section, name)
        except Exception:
            opt = None
        # the label's first clause names it ("GPT-SoVITS 服务地址，逗号分隔；留空…" → the address)
        return re.split(r"[（(，；]", opt.zh)[0].strip() if opt is not None else key

    # ---- commands ------------------------------------------------------------------------------

    def start_stream(self) -> None:
        """开播: the pre-flight first. Live mode asks on any warning or failure; the demo (no
        outside service) only on a failure, such as no sound card."""
        if self.runtime is None or self.host.working:
            return
        self.toolbar.state_label.setText("开播前检查中…")
        dialog = PreflightDialog(self, config_path=self._config_file(), demo=bool(getattr(self.runtime, "demo", False)),
                                 for_start=True)
        go = dialog.exec() == QDialog.DialogCode.Accepted
        self.toolbar.state_label.setText(self.toolbar.idle_text)
        if not go:
            return
        problems = dialog.continued_despite or dialog.problems()
        if dialog.continued_despite:
            self.notify("warning", f"开播前检查有问题，已按你的选择仍然开播：{preflight_summary(problems)}")
        elif problems:
            self.notify("info", f"演示模式照常开播；开播前检查提示：{preflight_summary(problems)}")
        elif dialog.checks:
            self.notify("info", "开播前检查全部通过，正在开播")
        if self.runtime is None or self.host.working:  # rebuilt or busy meanwhile
            return
        self._go_live()

    def show_preflight(self) -> None:
        """开播前检查 on demand (not while live: the room holds the sound card and the voice
        server then, and the status bar shows how they are): the same checklist, nothing starts."""
        PreflightDialog(self, config_path=self._config_file(), demo=bool(getattr(self.runtime, "demo", False)),
                        for_start=False).exec()

    def _config_file(self) -> Path | None:
        try:
            return Path(self.runtime.config.path)
        except AttributeError:
            return self.config_path

    def _go_live(self) -> None:
        if self.runtime is not None and self.host.start():
            self._starting = True
            self.toolbar.state_label.setText("正在开播…")
            if self.dashboard is not None:
                self.dashboard.set_running(True)  # a new run's counts
                self.dashboard.say_panel.set_live(False)  # until the room says it runs (host.started)
            self.health_bar.live = True

    def _run_ended(self) -> None:
        """停止 (or the run's process ended): nothing plays any more, and the run is reviewed."""
        if self.dashboard is not None:
            self.dashboard.set_running(False)
        self.health_bar.stopped()
        if self.review_view is not None:
            self.review_view.review_newest(save=True)

    def _live_ended(self, batch: list) -> None:
        if self.review_view is not None and any(isinstance(e, events.LiveEnded) for e in batch):
            self.notify("warning", "直播间已下播，已停止说话；本场复盘见“直播复盘”页")
            self.review_view.review_newest(save=True)

    def stop_stream(self) -> None:
        if self.runtime is not None and self.host.stop():
            self.toolbar.state_label.setText("正在停止…")

    def _pause_toggled(self, paused: bool) -> None:
        if self.controls is None:
            return
        (self.controls.pause if paused else self.controls.resume)()
        self.toolbar.show_paused(paused)
        if self.runtime is not None and self.runtime.running:
            self.toolbar.state_label.setText("已暂停" if paused else "直播中")

    def _demo_toggled(self, demo: bool) -> None:
        if self.runtime is not None and self.runtime.running:
            self.toolbar.keep_demo(not demo)
            self.notify("warning", "请先停止直播，再切换演示模式")
            return
        if not self._edits_settled():
            self.toolbar.keep_demo(not demo)
            return
        self.toolbar.demo_switch.setEnabled(False)
        self.toolbar.state_label.setText("正在切换…")
        self.host.build(self.config_path, demo)

    def _set_running(self, running: bool) -> None:
        self.toolbar.set_running(self.runtime is not None, running)
        if self.dashboard is not None:  # 插播 and the queue commands once the room really runs
            self.dashboard.say_panel.set_live(running and self.runtime is not None)

    def _busy(self, busy: bool) -> None:
        if not busy:
            self._starting = False  # the start (or stop) is over: running says the rest
        if busy:
            self.toolbar.set_busy()
        elif self.runtime is not None:
            self._set_running(bool(self.runtime.running))

    def notify(self, level: str, message: str) -> None:
        self.notice_bar.show_notice(level, message)

    # ---- closing -------------------------------------------------------------------------------

    def save_layout(self) -> None:
        self.qsettings.setValue("window/geometry", self.saveGeometry())
        self.qsettings.setValue("window/tab", self.tabs.currentIndex())
        if self.dashboard is not None:
            self.dashboard.save_layout(self.qsettings)
        if self.products is not None:
            self.products.save_layout(self.qsettings)
        self.qsettings.sync()

    def _edits_settled(self) -> bool:
        """Every editor's unsaved edits saved or knowingly dropped (False: the operator stays)."""
        return all(view is None or view.maybe_save() for view in (self.products, self.reactions, self.settings_view))

    @property
    def live(self) -> bool:
        """On air, or on the way there (a start in progress)."""
        return self.runtime is not None and (bool(getattr(self.runtime, "running", False)) or self._starting)

    def close_on_request(self) -> bool:
        """Close because the system asked the app to end (SIGTERM, SIGINT, logout): that request
        already says "stop the live", so only unsaved edits are asked about."""
        self._stop_live_confirmed = True
        try:
            return self.close()
        finally:
            self._stop_live_confirmed = False

    def closeEvent(self, event) -> None:
        if self.live and not self._stop_live_confirmed and not confirm(
                self, "正在直播", "正在直播中。关闭窗口会停止直播，直播间将没有声音。\n确定停止直播并退出吗？",
                "停止直播并退出", "继续直播", warning=True):
            event.ignore()
            return
        if not self._edits_settled():
            event.ignore()
            return
        was_live = self.runtime is not None and bool(getattr(self.runtime, "running", False))  # on air, not starting
        self.save_layout()
        for view in (self.products, self.reactions):
            if view is not None:
                view.shutdown()
        if self.bridge is not None:
            self.bridge.close()
        if self.runtime is not None:
            self.runtime.config.live.unregister(self._window_live)
        self.host.shutdown()  # stops the room when it is live
        if was_live and self.review_view is not None:  # reviewed like a live ended by 停止
            self.review_view.save_newest_now()
        elif self.review_view is not None:  # the review 停止 started is still being made
            self.review_view.finish()
        event.accept()


def _db_path(runtime: Any) -> Path:
    """The database runs write ([store] db_path), as the runtime resolves it."""
    from app import wiring

    return wiring.resolve(runtime.config.current, "store", "db_path")


def _get(store: Any, section: str, key: str, default: Any) -> Any:
    try:
        return store.get(section, key)
    except Exception:
        return default
