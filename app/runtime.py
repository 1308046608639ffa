"""The runtime: builds the bus and every stage from the config snapshot, starts and stops them
cleanly, routes operator commands, aggregates health and applies hot-reloaded options.

It is the only module that knows all stages. The GUI and the headless command use only its
public methods (start, stop, pause, resume, skip, clear_queue, say_now, switch_product,
health, report, llm_client) and the bus.

This module builds, starts and stops; the rest of ``Runtime`` comes from its mixins: the
operator commands and the end of the live (``app/runtime_control.py``), the config and word
lists kept current while the room runs (``app/runtime_upkeep.py``), health and the report
(``app/runtime_report.py``).
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
from pathlib import Path

from app import events, paths, wiring
from app.audio.outputs import make_sink
from app.audio.player import AudioPlayer
from app.bus import Bus, create_bus
from app.compliance import ComplianceFilter
from app.config import ConfigStore
from app.content.library import ProductLibrary
from app.content.templates import Templates
from app.content.timed import TimedTaskError
from app.live.listener import FeedListener
from app.live.replay import ReplayServer
from app.logs import get_logger
from app.reply.policy import ReplyPolicy
from app.reply.rules import library_faq
from app.run_report import RunRecorder
from app.runtime_control import RuntimeControl
from app.runtime_report import RuntimeReport
from app.runtime_upkeep import RuntimeUpkeep
from app.script.scheduler import ScriptScheduler
from app.store import EventLog, EventLogRecorder, SpokenLog
from app.store.recorder import SpokenLogRecorder
from app.text.prepare import TextPreparer, make_request
from app.tts.pool import TtsPool

log = get_logger("runtime")
Channel = events.Channel

DEMO_FEED = "demo/room.feed"
FILLERS_AT_START = 4
BRIDGES_AT_START = 3


class RuntimeSetupError(RuntimeError):
    """A run that cannot start; the message says what to fix."""


class Runtime(RuntimeControl, RuntimeUpkeep, RuntimeReport):
    def __init__(self, config_path: Path | str | None = None, *, demo: bool = False, sink: str | None = None,
                 feed_url: str | None = None, replay: Path | str | None = None, replay_speed: float = 1.0,
                 bus: Bus | None = None, bus_url: str | None = None, bus_namespace: str | None = None,
                 announce_config: bool = True, pinned: dict[str, str] | None = None):
        """``bus``: use this bus (the caller closes it); else one is made (and closed by ``close``)
        from ``bus_url``/``bus_namespace`` or ``[bus]``. ``announce_config=False`` applies
        config.ini edits without publishing ConfigChanged/ConfigError: a desktop app that runs
        this runtime in a child process watches the same file and announces them itself, once.
        ``pinned``: the app's values of the options read at its launch (``ConfigStore``)."""
        self.demo = demo
        self.config_path = self.resolve_config_path(config_path)
        # reads and validates the file, once; a missing default or an empty file is written with
        # the defaults and said so in config.notices (the app shows them)
        self.config = ConfigStore(self.config_path, create=config_path is None, pinned=pinned)
        snap = self.config.current
        self._owns_bus = bus is None
        self.bus = bus or create_bus(bus_url or snap.get("bus", "url"), bus_namespace or snap.get("bus", "namespace"))
        if announce_config:
            self.config.bus = self.bus
        if demo:  # the demo uses the shipped products and templates, whatever the operator edited
            self.library = ProductLibrary(paths.bundled_data_dir() / "products")
            self.templates = Templates(paths.bundled_data_dir() / "templates")
        else:
            self.library = self._operator_library(snap)
            self.templates = Templates(wiring.resolve(snap, "script", "templates_dir"))
        self.compliance = ComplianceFilter.from_dir(wiring.resolve(snap, "compliance", "lists_dir"),
                                                    wiring.compliance_policies(snap))
        # every utterance is prepared (filtered, split, spoken forms, capped) once, by its producer
        self.preparer = TextPreparer(self.compliance.apply, wiring.speech_limits(snap))
        self._sink_arg, self._feed_arg = sink, feed_url  # else [audio]/[douyin], read at each start
        self.sink_spec: str | None = None
        self.feed_url: str | None = None
        self.replay_path = Path(replay) if replay else (paths.bundled_data_dir() / DEMO_FEED if demo else None)
        self.replay_speed = replay_speed
        self.recorder = RunRecorder(self.bus)
        self._live_ended = False
        self._started_at: float | None = None
        self._stages: list = []  # in start order; stopped in reverse
        self._threads: list[threading.Thread] = []
        self._subs = []
        self._live: list = []  # consumers of live options registered on self.config.live
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.replay_server: ReplayServer | None = None
        self.listener: FeedListener | None = None
        self.player: AudioPlayer | None = None
        self.tts: TtsPool | None = None
        self.reply: ReplyPolicy | None = None
        self.scheduler: ScriptScheduler | None = None
        self.llm_worker = None
        self._llm_client = None
        self.spoken_log: SpokenLog | None = None
        self.event_log: EventLog | None = None
        self._speech_dir: Path | None = None  # where utterances' WAVs are written during a run
        self.notes: list[str] = []

    @staticmethod
    def resolve_config_path(config_path: Path | str | None) -> Path:
        """The config.ini a run uses; on first start the default one is written for the operator."""
        if config_path is None:
            return paths.default_config_path()  # created with the defaults by ConfigStore
        path = Path(config_path)
        if not path.exists():
            raise RuntimeSetupError(f"配置文件不存在：{path}（请检查 --config 后的路径）/ config file not found: {path}")
        return path

    @staticmethod
    def _operator_library(snap) -> ProductLibrary:
        # app.paths seeds the operator's data/ from the shipped defaults on first start
        return ProductLibrary(wiring.resolve(snap, "script", "products_dir"))

    # ---- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._started_at is not None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            try:
                self._start()
            except Exception:
                self.stop()
                raise

    def _start(self) -> None:
        snap = self.config.apply_restart_options()
        self._register_live(snap, stages=True)  # the compliance filter takes the settings before any stage uses it
        self.preparer.set_limits(wiring.speech_limits(snap))
        self._live_ended = False
        self.sink_spec = self._sink_arg or wiring.sink_spec(snap)
        self.feed_url = self._feed_arg or snap.get("douyin", "url")
        self._started_at = time.time()
        self.recorder.start()
        self._subs.append(self.bus.inbox("runtime", {Channel.CONTROL: self._on_control,
                                                     Channel.LIVE_EVENTS: self._on_live_event}))

        db_path = wiring.resolve(snap, "store", "db_path")
        self.spoken_log = SpokenLog(db_path)
        self._stages.append(SpokenLogRecorder(self.bus, self.spoken_log, demo=self.demo,
                                              product_name=self._product_name))
        self.event_log = EventLog(db_path, event_retention_days=snap.get("store", "event_retention_days"),
                                  max_events=snap.get("store", "max_events"))
        self._start_stage(EventLogRecorder(self.bus, self.event_log))

        rate = snap.get("audio", "sample_rate")
        setup = wiring.tts_setup(snap, output_rate=rate, espeak_only=self.demo)
        self.notes += setup.notes
        out_dir = self._speech_dir = paths.data_dir() / "cache" / "speech"
        shutil.rmtree(out_dir, ignore_errors=True)  # utterances of an earlier run are never replayed
        self.tts = TtsPool(self.bus, servers=setup.servers, voices=setup.voices, out_dir=out_dir,
                           cache_dir=setup.cache_dir, settings=setup.settings, prepare=self.preparer)
        self._start_stage(self.tts)

        sink = make_sink(self.sink_spec, rate, output=wiring.output_settings(snap), bus=self.bus)
        self.player = AudioPlayer(self.bus, sink, **wiring.player_kwargs(snap))
        self._start_stage(self.player)

        llm_enabled = self._start_llm(snap)
        self.reply = ReplyPolicy(  # it follows the product on air, which the scheduler announces
            self.bus, settings=wiring.reply_settings(snap, llm_enabled=llm_enabled),
            render=self.templates.render, faq=library_faq(self.library, self.templates.render_text),
            mask_nickname=self.compliance.mask_nickname,
            prepare=self.preparer)
        self._start_stage(self.reply)

        self.scheduler = ScriptScheduler(self.bus, self.library, templates=self.templates,
                                         prepare=self.preparer, start_product=self._first_product(),
                                         timed_tasks=self.timed_tasks(), **wiring.scheduler_kwargs(snap))
        self._start_stage(self.scheduler)
        self._request_fillers()

        if self.replay_path is not None:
            self.replay_server = ReplayServer(self.replay_path, speed=self.replay_speed).start()
            self.feed_url = self.replay_server.url
        self.listener = FeedListener(self.feed_url, self.bus, wiring.listener_settings(snap))
        self._start_stage(self.listener)

        self._start_upkeep()
        # config.ini edits are looked for on an inbox tick (no watcher thread of its own)
        self._subs.append(self.bus.inbox("config-watch", {}, tick=self._watch_config, every=self.config.poll_s))
        log.info("直播已开始（演示模式：%s，声音输出：%s，弹幕源：%s）", "是" if self.demo else "否",
                 self.sink_spec, self.feed_url)

    def _start_stage(self, stage) -> None:
        stage.start()
        self._stages.append(stage)

    def _start_llm(self, snap) -> bool:
        if off := self._llm_off_reason():
            self.bus.publish(Channel.SYSTEM, events.Health(component="llm", status="off", detail=off,
                                                           ts=time.time()))
            return False
        from app.llm import LlmWorker

        self._llm_client = self.llm_client()
        self.llm_worker = LlmWorker(self.bus, self._llm_client, prepare=self.preparer,
                                    product_lookup=self.library.get, prompt=wiring.prompt_settings(snap))
        worker = threading.Thread(target=self.llm_worker.run, name="llm-worker", daemon=True)
        worker.start()
        self._threads.append(worker)
        return True

    def _llm_off_reason(self) -> str | None:
        """Why no LLM answers questions in this run, or None when one does."""
        if self.demo:
            return "演示模式不调用大模型，问题由关键词规则回答"
        if self.config.current.get("llm", "provider") == "none":
            return "[llm] provider = none：问题只由关键词规则回答"
        return None

    def stop(self) -> None:
        """Stop everything this runtime started; safe to call twice or after a failed start."""
        with self._lock:
            self.config.stop_watching()
            self.config.remove_listener(self._on_config)
            for consumer in self._live:
                self.config.live.unregister(consumer)
            self._live = []
            if self.llm_worker is not None:
                self.llm_worker.stop()
            for stage in reversed(self._stages):
                try:
                    (getattr(stage, "stop", None) or stage.close)()
                except Exception:
                    log.exception("stopping %s failed", type(stage).__name__)
            self._stages.clear()
            if self.replay_server is not None:
                self.replay_server.stop()
                self.replay_server = None
            for sub in self._subs:
                self.bus.unsubscribe(sub)
            self._subs.clear()
            self.recorder.stop()
            for t in self._threads:
                t.join(2)
            self._threads.clear()
            for store in ("spoken_log", "event_log"):
                if getattr(self, store) is not None:
                    getattr(self, store).close()
                    setattr(self, store, None)
            self._started_at = None

    def close(self) -> None:
        """Stop, and close the bus if this runtime made it."""
        self.stop()
        if self._owns_bus:
            self.bus.close()

    # ---- helpers -------------------------------------------------------------------------------

    def timed_tasks(self) -> list:
        """timed.json (follow and coupon reminders, time reports); a broken file is reported and
        the stream goes on without it rather than not starting."""
        try:
            return self.templates.timed_tasks()
        except TimedTaskError as exc:
            log.error("%s", exc)
            self.notes.append(str(exc))
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(component="script", message=str(exc), ts=time.time()))
            return []

    def _first_product(self) -> str | None:
        products = self.library.products(enabled_only=True)
        return products[0].slug if products else None

    def _product_name(self, slug: str) -> str | None:
        product = self.library.get(slug)
        return product.name if product else None

    def _product_values(self, slug: str | None) -> dict:
        product = self.library.get(slug) if slug else None
        return product.template_values() if product else {}

    def _request_fillers(self) -> None:
        """Ask TTS for a few filler and bridge clips up front: the player keeps them ready, so
        a dry queue is covered by a filler rather than silence."""
        for kind, name, count in (("filler", "filler", FILLERS_AT_START), ("bridge", "bridge", BRIDGES_AT_START)):
            if not self.templates.has(name):
                self.notes.append(f"no '{name}' template: no {kind} clips")
                continue
            for i in range(count):
                prepared = self.preparer(self.templates.render(name, **self._product_values(self._first_product())))
                if not prepared.ok:  # a template that says nothing (or nothing allowed): no clip of it
                    self.notes.append(f"a '{name}' reading was not used: {prepared.reason}")
                    continue
                self.bus.publish(Channel.SPEECH_REQUESTS, make_request(
                    prepared, id=f"{kind}-{i}", kind=kind, priority=events.Priority.BACKGROUND,
                    created_at=time.time()))

    def llm_client(self):
        """A client for the configured LLM, or None when ``[llm] provider = none``."""
        snap = self.config.current
        if snap.get("llm", "provider") == "none":
            return None
        from app.llm import make_client

        return make_client(wiring.llm_settings(snap))
