"""GUI benchmark: time to a visible window, and the GUI thread's longest stall while the
replayed demo room is pushed through the bus into the bridge at 2,000 events/s (plus player
state: queue snapshots and progress at 10/s, a new utterance every second, health every
second), with the full main window and dashboard attached.

The stall is measured by a 5 ms QTimer heartbeat on the GUI thread: the longest gap between
two ticks, minus 5 ms, is the longest time the GUI could not react.

    python -m tests.bench.gui [--quick] [--rate 2000] [--seconds 10] [--json out.json]

Run it under a real X server for the real paint cost: ``xvfb-run -a python -m tests.bench.gui``.
"""

from __future__ import annotations

import time

T_START = time.monotonic()  # before Qt and the app are imported: "start" for the window time

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.bench.common import percentile, print_table, write_json  # noqa: E402

HEARTBEAT_MS = 5


def demo_events() -> list:
    from app import paths
    from app.live.decoder import FrameDecoder, Rejection

    dec = FrameDecoder(dedupe_window=0) if "dedupe_window" in FrameDecoder.__init__.__code__.co_varnames else FrameDecoder()
    out = []
    for line in (paths.bundled_data_dir() / "demo" / "room.feed").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        ev = dec.decode(line.split("\t", 1)[1], ts=time.time())
        if not isinstance(ev, Rejection):
            out.append(ev)
    return out


def publisher(bus, rate: float, seconds: float, stop: threading.Event, sent: list) -> None:
    import dataclasses

    from app import events
    from app.events import Channel

    base = demo_events()
    start = time.monotonic()
    n = 0
    tick = 0
    batch = max(1, int(rate / 200))  # publish in 5 ms slices, as a socket reader would
    while not stop.is_set():
        now = time.monotonic()
        if now - start >= seconds:
            break
        due = int((now - start) * rate)
        while n < due:
            for _ in range(batch):
                ev = dataclasses.replace(base[n % len(base)], msg_id=f"b{n}", ts=time.time())
                bus.publish(ev.channel, ev)
                n += 1
        # player state at 10/s
        if int((now - start) * 10) > tick:
            tick += 1
            items = tuple(events.QueueItemView(id=f"u{tick + i}", kind="script", text=f"第{tick + i}句话术，宝宝们看过来",
                                               priority=10, state="waiting", waiting_s=i * 0.5) for i in range(12))
            bus.publish(Channel.PLAYER_STATE, events.QueueSnapshot(items=items))
            bus.publish(Channel.PLAYER_STATE, events.PlaybackProgress(id=f"p{tick // 10}", position_s=(tick % 10) / 10,
                                                                      duration_s=1.0))
            if tick % 10 == 0:
                bus.publish(Channel.PLAYER_STATE, events.PlaybackStarted(
                    id=f"p{tick // 10}", kind="script", text="家人们，这款面霜质地轻薄，上脸好推开。", priority=10,
                    duration_s=1.0))
                bus.publish(Channel.SYSTEM, events.Health(component="feed", status="ok", detail=f"{rate:.0f}/s"))
        time.sleep(0.005)
    sent.append(n)


def watch_gc() -> list[float]:
    """Durations (ms) of the cyclic garbage collections from now on: a collection holds the GIL,
    so a long one stalls the GUI thread whichever thread triggered it."""
    import gc

    durations: list[float] = []
    started = [0.0]

    def on_gc(phase: str, _info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            durations.append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(on_gc)
    return durations


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="3 s of load instead of 10 s")
    p.add_argument("--rate", type=float, default=2000.0)
    p.add_argument("--seconds", type=float, default=None)
    p.add_argument("--json", default=None)
    args = p.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")

    from PyQt6.QtCore import QElapsedTimer, QSettings, QTimer
    from PyQt6.QtWidgets import QApplication

    from app import paths
    from app.bus import MemoryBus
    from app.config import render_default, write_values
    from ui.main_window import MainWindow
    from ui.session import RuntimeHost
    from ui.style import apply_style

    tmp = Path(tempfile.mkdtemp(prefix="bench-gui-"))
    cfg = tmp / "config.ini"
    cfg.write_text(render_default(), encoding="utf-8")
    write_values(cfg, {("bus", "url"): "memory"})
    shutil.copytree(paths.bundled_data_dir() / "products", tmp / "data" / "products")
    bus = MemoryBus("bench-gui")

    def factory(config_path, demo):
        from app.runtime import Runtime

        return Runtime(config_path, demo=demo, bus=bus)

    from ui.app import tune_interpreter

    tune_interpreter()  # as run_gui does
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_style(app)
    host = RuntimeHost(factory=factory)
    win = MainWindow(config_path=cfg, host=host, settings=QSettings(str(tmp / "ui.ini"), QSettings.Format.IniFormat))
    marks: dict[str, float] = {}
    win.show()
    QTimer.singleShot(0, lambda: marks.setdefault("window_shown", time.monotonic() - T_START))
    host.built.connect(lambda _rt: QTimer.singleShot(0, lambda: marks.setdefault("views_ready", time.monotonic() - T_START)))
    host.build(cfg, False)
    deadline = time.monotonic() + 10
    while "views_ready" not in marks and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)

    gaps: list[float] = []
    clock = QElapsedTimer()
    clock.start()
    last = [clock.nsecsElapsed()]

    def beat():
        now = clock.nsecsElapsed()
        gaps.append((now - last[0]) / 1e6)
        last[0] = now

    slot_ms: list[float] = []
    original = win.dashboard.on_batch

    def timed(batch):
        s0 = time.perf_counter()
        original(batch)
        slot_ms.append((time.perf_counter() - s0) * 1000)

    win.bridge.batch.disconnect(win.dashboard.on_batch)
    win.bridge.batch.connect(timed)
    gc_ms = watch_gc()
    heart = QTimer()
    heart.setInterval(HEARTBEAT_MS)
    heart.timeout.connect(beat)
    heart.start()
    stop = threading.Event()
    sent: list[int] = []
    t = threading.Thread(target=publisher, args=(bus, args.rate, seconds, stop, sent), daemon=True)
    received_before = win.bridge.received
    t0 = time.monotonic()
    t.start()
    # The real event loop runs while the load is on; a watcher quits it 0.5 s after the end.
    done_at: list[float] = []

    def watch():
        if t.is_alive():
            return
        done_at.append(done_at[0] if done_at else time.monotonic())
        if time.monotonic() - done_at[0] >= 0.5:
            app.quit()

    watcher = QTimer()
    watcher.timeout.connect(watch)
    watcher.start(50)
    app.exec()
    watcher.stop()
    elapsed = time.monotonic() - t0
    heart.stop()
    stalls = [max(0.0, g - HEARTBEAT_MS) for g in gaps[1:]]
    shown_rows = win.dashboard.feed_model.rowCount()
    results = {
        "window_shown_s": marks.get("window_shown"), "views_ready_s": marks.get("views_ready"),
        "events_sent": sent[0] if sent else 0, "events_received": win.bridge.received - received_before,
        "rate_per_s": (sent[0] if sent else 0) / elapsed, "seconds": elapsed,
        "stall_max_ms": max(stalls) if stalls else 0.0, "stall_p99_ms": percentile(stalls, 99),
        "dashboard_update_max_ms": max(slot_ms or [0.0]), "dashboard_updates": len(slot_ms),
        "heartbeats": len(gaps), "feed_rows": shown_rows, "platform": app.platformName(),
        "gc_pause_max_ms": max(gc_ms or [0.0]), "gc_collections": len(gc_ms),
    }
    print_table(f"GUI under load ({app.platformName()}, {args.rate:.0f} events/s for {seconds:.0f} s)",
                ["measure", "value", "target"], [
                    ["window shown after start (s)", results["window_shown_s"], "≤ 2"],
                    ["views attached after start (s)", results["views_ready_s"], ""],
                    ["events published", results["events_sent"], ""],
                    ["events into the bridge (+ player/health)", results["events_received"], "≥ published"],
                    ["achieved rate (events/s)", results["rate_per_s"], f"≈ {args.rate:.0f}"],
                    ["GUI longest stall (ms)", results["stall_max_ms"], "≤ 50"],
                    ["GUI stall p99 (ms)", results["stall_p99_ms"], ""],
                    ["dashboard updates", results["dashboard_updates"], "≈ 10/s"],
                    ["slowest dashboard update (ms)", results["dashboard_update_max_ms"], ""],
                    ["garbage collections (any thread)", results["gc_collections"], ""],
                    ["longest garbage collection (ms)", results["gc_pause_max_ms"], ""],
                ])
    write_json(args.json, results)
    win.close()
    bus.close()
    ok = (results["stall_max_ms"] <= 50 and (results["window_shown_s"] or 99) <= 2.0)
    print("\nPASS" if ok else "\nFAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
