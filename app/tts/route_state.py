"""The state the route table keeps per breaker, per server and per route (``app/tts/routes.py``).

Records only: the table decides under its lock what they mean and changes them; the attempts,
the pool's monitor and the dashboard's health read them. They live apart from the table so the
modules that only read them (attempts, the monitor) need not import the table's logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.tts.client import GptSovitsClient
from app.tts.settings import ServerSpec, VoiceModel


@dataclass
class Breaker:
    label: str
    base_bench_s: float
    consecutive: int = 0
    timeouts: int = 0  # consecutive time-outs (hangs)
    benched_until: float | None = None  # None: in service
    bench_s: float = 0.0
    probing: bool = False
    last_error: str = ""
    times_benched: int = 0
    failures_to_bench: int = 0  # consecutive failures that led to its first bench

    @property
    def benched(self) -> bool:
        return self.benched_until is not None


@dataclass(eq=False)
class Server:
    spec: ServerSpec
    client: GptSovitsClient
    breaker: Breaker
    inflight: int = 0
    weights: tuple[str | None, str | None] = (None, None)  # what the in-flight requests need
    draining_since: float | None = None  # a request timed out: unused until it answers liveness
    checking: bool = False  # a liveness request is out
    attempts: list = field(default_factory=list)  # Attempt objects in flight (started, alive_seen)

    @property
    def name(self) -> str:
        return self.spec.name

    def oldest_attempt_s(self, now: float) -> float:
        return max((now - a.started for a in self.attempts), default=0.0)

    def orphaned(self):
        """An attempt in flight here that nobody waits for any more (``Attempt.orphaned``), or None."""
        return next((a for a in self.attempts if a.orphaned), None)


@dataclass(eq=False)
class Route:
    voice: VoiceModel
    rank: int  # voice preference
    server: Server
    breaker: Breaker = field(repr=False)

    @property
    def label(self) -> str:
        return f"gptsovits:{self.server.spec.url}#{self.voice.name}"

