"""One GPT-SoVITS synthesis of one sentence on one route, in a thread of its own.

The request that started it waits for it only as long as the request may: when the player's
deadline passes, the fallback speaks and the attempt goes on alone, *orphaned* (a good result
still fills the cache; its server counts as stalled for needed requests meanwhile). The monitor
may abandon it as a hung voice (the server answers others meanwhile).
Whoever settles first — the attempt finishing or the monitor abandoning it — judges the route
and gives back the server slot and the cross-process gate; the other does nothing.
"""

from __future__ import annotations

import threading

from app.logs import get_logger
from app.tts.client import KIND_TEXT, SynthesisError
from app.tts.route_state import Route
from app.tts.routes import RouteTable

log = get_logger("tts")


class Attempt:
    def __init__(self, table: RouteTable, route: Route, text: str, synth, lock_wait_s: float):
        self.table = table
        self.route = route
        self.text = text
        self.synth = synth  # SentenceSynth: check, post-process, cache
        self.lock_wait_s = lock_wait_s
        self.started = table.clock()
        self.alive_seen = 0  # liveness answers seen while this was pending past the deadline
        self.done = threading.Event()
        self.audio = None  # float32 at the output rate when it succeeded
        self.kind = ""  # failure kind (client kinds, "checked", "hang")
        self.error = ""
        self.code = ""  # quality verdict code when rejected
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._settled = False
        self._held = None

    @property
    def label(self) -> str:
        return self.route.label

    def start(self) -> Attempt:
        self.table.track(self.route, self)
        threading.Thread(target=self._run, name="tts-attempt", daemon=True).start()
        return self

    def give_up(self) -> None:
        """The request no longer waits: stop waiting for the gate (a request already sent goes on)."""
        self._cancel.set()

    @property
    def orphaned(self) -> bool:
        """Still holding its server slot though its request no longer waits for it (taken over
        by the fallback, cancelled): a needed request must not queue behind it
        (``RouteTable.stalled``), and the liveness check may judge it at once."""
        return self._cancel.is_set() and not self.done.is_set()

    def abandon(self, reason: str) -> bool:
        """Monitor: the server answers others while this hangs. True if it was still pending."""
        self._cancel.set()
        return self._settle(ok=False, kind="hang", error=reason)

    def _run(self) -> None:
        client = self.route.server.client
        try:
            held = client.enter(self.lock_wait_s, self._cancel.is_set)
        except SynthesisError as exc:
            self._settle(ok=False, kind="busy", error=str(exc))
            return
        except Exception as exc:  # never leave a slot held
            log.exception("tts attempt on %s could not take the server lock", self.label)
            self._settle(ok=False, kind="busy", error=f"internal error: {exc}")
            return
        with self._lock:
            if self._settled:  # abandoned while waiting for the gate
                client.leave(held)
                return
            self._held = held
        try:
            result = client.synthesize(self.text, self.route.voice, exclusive=False)
        except SynthesisError as exc:
            self._settle(ok=False, kind=exc.kind, error=str(exc), server_fault=exc.server_fault)
            return
        except Exception as exc:  # never leave a slot held
            log.exception("tts attempt on %s failed unexpectedly", self.label)
            self._settle(ok=False, kind="server_error", error=f"internal error: {exc}")
            return
        verdict, audio = self.synth.check_and_process(result.wav.samples, result.wav.sample_rate, self.text)
        if audio is None:
            self.code = verdict.code
            self._settle(ok=False, kind="checked", error=f"rejected: {verdict.reason}")
            return
        self.synth.store(self.text, self.route.voice, audio)  # even when nobody waits any more
        self._settle(ok=True, audio=audio)

    def _settle(self, *, ok: bool, kind: str = "", error: str = "", server_fault: bool = False,
                audio=None) -> bool:
        with self._lock:
            if self._settled:
                return False
            self._settled = True
            held, self._held = self._held, None
        client = self.route.server.client
        try:
            if held is not None:
                client.leave(held)
        finally:
            self.audio, self.kind, self.error = audio, kind, error
            if kind == "hang":
                client.forget_weights()
            full = f"{self.label}: {error}" if error else ""
            self.table.release(self.route, ok=ok, error=full, server_fault=server_fault, kind=kind, attempt=self)
            self.done.set()
        return True

    def reason(self) -> str:
        """What went wrong, for the fallback's reason (Chinese summary, then the detail)."""
        what = KIND_TEXT.get(self.kind, self.kind)
        return f"{self.route.voice.name}@{self.route.server.name}: {what} — {self.error}"
