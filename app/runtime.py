"""The runtime: builds the bus and every stage from the config snapshot, starts and stops them
cleanly, routes operator commands, aggregates health and applies hot-reloaded options.

It is the only module that knows all stages. The GUI and the headless command use only its
public methods (start, stop, pause, resume, skip, clear_queue, say_now, switch_product,
health, report, llm_client) and the bus.
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
from app.config import ConfigStore, ConfigUpdate
from app.content.library import ProductLibrary
from app.content.templates import Templates
from app.content.timed import TimedTaskError
from app.live.listener import FeedListener
from app.live.replay import ReplayServer
from app.logs import get_logger
from app.playfile import PlayFileError, prepare_play_file
from app.reply.policy import ReplyPolicy
from app.reply.rules import library_faq
from app.run_report import RunRecorder
from app.saynow import say_now_events
from app.script.scheduler import ScriptScheduler
from app.store import EventLog, EventLogRecorder, SpokenLog
from app.store.recorder import SpokenLogRecorder
from app.text.prepare import TextPreparer, make_request
from app.tts.pool import TtsPool

log = get_logger("runtime")
#: How often word lists edited on disk are looked for.
MAINTAIN_EVERY_S = 2.0
Channel = events.Channel

DEMO_FEED = "demo/room.feed"
FILLERS_AT_START = 4
BRIDGES_AT_START = 3


class RuntimeSetupError(RuntimeError):
    """A run that cannot start; the message says what to fix."""


class Runtime:
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

        self._subs.append(self.bus.subscribe(Channel.LIVE_EVENTS, self._on_live_event))
        self._start_upkeep()
        # config.ini edits are looked for on an inbox tick (no watcher thread of its own)
        self._subs.append(self.bus.inbox("config-watch", {}, tick=self._watch_config, every=self.config.poll_s))
        log.info("runtime started (demo=%s, sink=%s, feed=%s)", self.demo, self.sink_spec, self.feed_url)

    def start_upkeep(self) -> None:
        """For a runtime whose stages run in another process (``RuntimeProcess``): keep what the
        views check against here current, as a started runtime does: the compliance options
        follow config.ini, word lists follow their files. ``stop``/``close`` end it."""
        with self._lock:
            self._register_live(self.config.current, stages=False)
            self._start_upkeep()

    def _register_live(self, snap, *, stages: bool) -> None:
        """Register the consumers of live options (``wiring.register_live``; all of them when the
        stages run here) and bring the compliance filter, made with the runtime, up to ``snap``."""
        for consumer in self._live:
            self.config.live.unregister(consumer)
        self._live = wiring.register_live(self.config.live, self, compliance_only=not stages)
        self._sync_compliance(snap)

    def _start_upkeep(self) -> None:
        self.config.add_listener(self._on_config)
        self._subs.append(self.bus.inbox("runtime-upkeep", {}, tick=self._maintain, every=MAINTAIN_EVERY_S))

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

    # ---- operator commands (published, so a GUI in another process works the same) ------------

    def pause(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Pause())

    def resume(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Resume())

    def skip(self) -> None:
        self.bus.publish(Channel.CONTROL, events.Skip())

    def clear_queue(self) -> None:
        self.bus.publish(Channel.CONTROL, events.ClearQueue())

    def say_now(self, text: str, priority: int = events.Priority.EMERGENCY) -> None:
        self.bus.publish(Channel.CONTROL, events.SayNow(text=text, priority=int(priority)))

    def switch_product(self, slug: str) -> None:
        self.bus.publish(Channel.CONTROL, events.SwitchProduct(slug=slug))

    def pin_product(self, slug: str | None) -> None:
        self.bus.publish(Channel.CONTROL, events.PinProduct(slug=slug))

    # ---- the end of the live -------------------------------------------------------------------

    @property
    def live_ended(self) -> bool:
        return self.recorder.live_ended_at is not None or self._live_ended

    def _on_live_event(self, ev) -> None:
        if isinstance(ev, events.LiveEvent) and ev.type == "live_end":
            self.end_live(ev.room_id)

    def end_live(self, room_id: str = "") -> None:
        """Our room's live ended (dy-barrage-grab Type 9): the room goes silent at once and says
        nothing more; the dashboard and the report are told."""
        with self._lock:
            if self._live_ended or not self.running:
                return
            self._live_ended = True
            for stage in (self.player, self.scheduler, self.reply):
                if stage is not None:
                    stage.end_live()
        log.warning("our room's live ended: the room is silent")
        self.bus.publish(Channel.SYSTEM, events.LiveEnded(room_id=room_id, ts=time.time()))

    def _on_control(self, cmd) -> None:
        if isinstance(cmd, events.SayNow):
            self._say_now(cmd)
        elif isinstance(cmd, events.ReloadConfig):
            self.config.reload(force=True)
        elif isinstance(cmd, events.PlayFile):  # decoding may take a moment: not on the bus thread
            threading.Thread(target=self._play_file, args=(cmd, f"file-{next(self._ids)}"),
                             name="play-file", daemon=True).start()

    def _say_now(self, cmd: events.SayNow) -> None:
        for channel, event in say_now_events(cmd, utterance_id=f"say-{next(self._ids)}", now=time.time(),
                                             prepare=self.preparer):
            self.bus.publish(channel, event)

    def _play_file(self, cmd: events.PlayFile, utterance_id: str) -> None:
        """插播音频: the file goes to the player as a ready say_now item; a file that cannot be
        played is reported to the operator, and the room goes on."""
        tts, out_dir = self.tts, self._speech_dir
        if tts is None or out_dir is None:
            return
        try:
            ready = prepare_play_file(cmd, utterance_id=utterance_id, out_dir=out_dir,
                                      sample_rate=tts.settings.post.output_rate,
                                      target_dbfs=tts.settings.post.loudness_target_db,
                                      peak_dbfs=tts.settings.post.peak_dbfs)
        except PlayFileError as exc:
            log.warning("%s", exc)
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(component="插播音频", message=str(exc),
                                                                 ts=time.time()))
            return
        except Exception as exc:  # bad data from outside never kills a thread silently
            log.exception("play file %s failed", cmd.path)
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="插播音频", message=f"插播音频失败：{type(exc).__name__}: {exc}", ts=time.time()))
            return
        log.info("play file %s as %s (%.1f s)", cmd.path, utterance_id, ready.duration_s)
        self.bus.publish(Channel.SPEECH_READY, ready)

    # ---- hot reload ----------------------------------------------------------------------------

    def _on_config(self, update: ConfigUpdate) -> None:
        """After a reload the config store has called the consumers of the changed live options
        (registered by ``_register_live``); say what applied, and tell the operator what did not.
        Options read at a start are reported as pending by the store."""
        live = update.live
        if live.applied:
            log.info("config applied live: %s", ", ".join(live.applied))
        if live.failed:
            names = "、".join(option for option, _ in live.failed)
            why = "；".join(dict.fromkeys(why for _, why in live.failed))
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="设置", message=f"设置 {names} 没能立即生效（{why}），请检查后重新保存；下次开播时会再读取",
                ts=time.time()))

    def _sync_compliance(self, snap) -> None:
        """The compliance filter is made with the runtime: a start brings it up to the settings,
        as a live edit would (a word-list folder that cannot be read is reported, the lists in
        use stay)."""
        consumer = next(c for c in self._live if "compliance.lists_dir" in c.patterns)
        try:
            consumer.apply(snap)
        except Exception as exc:
            log.error("compliance settings not applied: %s", exc)
            self.notes.append(f"compliance settings not applied: {exc}")
            self.bus.publish(Channel.SYSTEM, events.ErrorReport(
                component="设置", message=f"合规过滤设置没能应用（{exc}），继续使用原来的词表", ts=time.time()))

    def _watch_config(self) -> None:
        try:
            self.config.poll()
        except Exception:  # the watch must outlive any surprise
            log.exception("config watch step failed")

    def _maintain(self) -> None:
        """Slow periodic chores (the upkeep inbox's tick): word lists edited on disk are picked up."""
        try:
            if self.compliance.reload_if_changed():
                log.info("compliance word lists reloaded")
        except Exception:
            log.exception("reloading compliance word lists failed")

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

    # ---- observation ---------------------------------------------------------------------------

    def health(self) -> dict[str, events.Health]:
        out = dict(self.recorder.health)
        out["bus"] = self.bus.health()
        if "llm" not in out and (off := self._llm_off_reason()):
            out["llm"] = events.Health(component="llm", status="off", detail=off, ts=time.time())
        return out

    def _llm_off_reason(self) -> str | None:
        """Why no LLM answers questions in this run, or None when one does."""
        if self.demo:
            return "演示模式不调用大模型，问题由关键词规则回答"
        if self.config.current.get("llm", "provider") == "none":
            return "[llm] provider = none：问题只由关键词规则回答"
        return None

    def report(self) -> dict:
        """The headless report of design §8 (times in seconds since the run started)."""
        player = self.player.report() if self.player else {"played": [], "dropped": [], "dead_air_s": 0.0}
        tts = self.tts.report() if self.tts else {}
        feed = self.listener.stats() if self.listener else {}
        return {
            "played": player.get("played", []),
            "dropped": list(player.get("dropped", [])),  # the player's: failed synthesis included
            "dead_air_s": player.get("dead_air_s", 0.0),
            "startup_silence_s": player.get("startup_silence_s"),
            "interrupts": player.get("interrupts", {}),
            "latency_ms": self.recorder.latency_report(),
            "tts": tts,
            "feed": {k: feed.get(k, 0) for k in ("frames", "decoded", "bad_frames", "reconnects")} | {
                "detail": feed},
            "reply": {"dropped_by_reason": dict(self.recorder.reply_dropped),
                      **(self.reply.counters() if self.reply else {})},
            "director": self._director_report(player),
            "questions": self.recorder.question_report(),
            "live_end": {"at_s": round(self.recorder.live_ended_at - self._started_at, 3)}
            if self.recorder.live_ended_at is not None and self._started_at is not None else None,
            "notes": list(self.notes),
            "audio_out": self.player.sink.report() if self.player and hasattr(self.player.sink, "report") else {},
        }

    @staticmethod
    def _director_report(player: dict) -> dict:
        """Spoken time by class (script, answer, thanks, other), overall and per minute, and the
        script segments broken off by interactions: resumed, or not and why."""
        airtime = player.get("airtime", {"total_s": {}, "per_minute": []})
        total = sum(airtime["total_s"].values())
        shares = {cls: round(v / total, 3) if total else None for cls, v in airtime["total_s"].items()}
        return {"spoken_s": airtime["total_s"], "share": shares, "per_minute": airtime["per_minute"],
                "script_breaks": player.get("interrupts", {}).get("script", {})}
