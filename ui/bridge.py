"""The one crossing from bus threads into the GUI thread.

Bus handlers run on the bus's delivery threads, so they only append the event to a locked list
and, the first time after a flush, emit a queued ``_wake`` signal. On the GUI thread ``_wake``
arms a single-shot timer so that at most ``hz`` flushes happen per second; each flush hands the
whole pending list to the views as one ``batch`` signal. At 2,000 events/s that is ~10 signal
deliveries per second instead of 2,000, and nothing on a bus thread ever touches a widget.

``Bridge`` also publishes operator commands on ``control`` when no runtime is attached.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal

from app import events
from app.events import Channel

#: Channels the GUI listens to.
CHANNELS = (Channel.PLAYER_STATE, Channel.SYSTEM, Channel.LIVE_EVENTS, Channel.LIVE_DURABLE)


class Bridge(QObject):
    # list of events, in arrival order; `object`, not `list`: a `list` signal converts every
    # element to a QVariant and back on each emit
    batch = pyqtSignal(object)
    config_changed = pyqtSignal(object)  # events.ConfigChanged
    config_error = pyqtSignal(object)  # events.ConfigError
    error = pyqtSignal(object)  # events.ErrorReport
    _wake = pyqtSignal()

    def __init__(self, bus: Any, *, hz: float = 10.0, parent: QObject | None = None):
        super().__init__(parent)
        self.bus = bus
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._armed = False
        self._last_flush = 0.0
        self.interval_s = 1.0 / max(1.0, hz)
        self.received = 0  # events taken from the bus (for the benchmark)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)
        self._wake.connect(self._on_wake, Qt.ConnectionType.QueuedConnection)
        self._subs = [bus.inbox("gui-bridge", CHANNELS, self._on_bus_event)]

    def set_rate(self, hz: float) -> None:
        self.interval_s = 1.0 / max(1.0, hz)

    # ---- bus threads ---------------------------------------------------------------------------

    def _on_bus_event(self, event: Any) -> None:
        with self._lock:
            self._pending.append(event)
            self.received += 1
            if self._armed:
                return
            self._armed = True
        self._wake.emit()

    # ---- GUI thread ----------------------------------------------------------------------------

    def _on_wake(self) -> None:
        if self._timer.isActive():
            return
        wait = self._last_flush + self.interval_s - time.monotonic()
        self._timer.start(max(0, int(wait * 1000)))

    def flush(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._armed = False
        self._last_flush = time.monotonic()
        if not pending:
            return
        for ev in pending:  # rare, and wanted by views that do not care about the stream
            if isinstance(ev, events.ConfigChanged):
                self.config_changed.emit(ev)
            elif isinstance(ev, events.ConfigError):
                self.config_error.emit(ev)
            elif isinstance(ev, events.ErrorReport):
                self.error.emit(ev)
        self.batch.emit(pending)

    def close(self) -> None:
        for sub in self._subs:
            try:
                self.bus.unsubscribe(sub)
            except Exception:  # the bus may already be closed
                pass
        self._subs = []
        self._timer.stop()
