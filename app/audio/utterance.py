"""``Utterance``: the one record of one utterance, from its request to its last sound.

Owned by the player thread: the queue, the state machine and the player mutate it, nobody else
does. Everyone else reads ``view()``, a frozen ``events.UtteranceView`` the player attaches to
the events it publishes (PlaybackStarted / Finished / Interrupted / Resumed, UtteranceDropped),
so the spoken log, the run report and the dashboard never join channels by id.

State (``events.UtteranceState``):
- queued: the request is known, no audio yet;       ready: its audio arrived;
- playing: the state machine started it;             parked: cut, waiting to resume;
- finished: it played to its end (or a filler was cut: it never resumes);
- dropped: it will not play (``reason`` says why).

Times are the player's clock (monotonic seconds); the view turns them into epoch seconds.
``started_at`` is when it was first *heard* (its first sample written), so what the run report
lists as played is exactly what the spoken log recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app import events

#: The dashboard's queue states (``events.QueueItemState``) for the record's states.
_QUEUE_STATE: dict[str, events.QueueItemState] = {
    "queued": "synthesising", "ready": "ready", "parked": "waiting", "playing": "playing"}


@dataclass(eq=False)
class Utterance:
    request: events.SpeechRequest
    queued_at: float  # when the request became known
    seq: int
    ready: events.SpeechReady | None = None
    audio: object | None = None  # decoded samples, attached by the player (an app.media.wav.Pcm)
    force: bool = False  # play_now: interrupts whatever plays, thresholds aside
    state: events.UtteranceState = "queued"
    reason: str = ""  # why it was dropped
    ready_at: float | None = None
    started_at: float | None = None  # first heard
    ended_at: float | None = None  # last stopped sounding
    sounding: bool = False  # heard now (between its first sample and its stop)
    position_s: float = 0.0  # played position within its audio
    cuts: int = 0  # times its playback was stopped before the end
    resumes: int = 0  # times it was heard again after a cut
    parked_at: float | None = None  # when it was first cut and parked
    resume_s: float = 0.0  # where playback continues (start of the cut sentence)
    resume_index: int = 0
    extra: dict = field(default_factory=dict)

    # ---- identity ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.request.id

    @property
    def kind(self) -> str:
        return self.request.kind

    @property
    def priority(self) -> int:
        return self.request.priority

    @property
    def interrupted(self) -> bool:
        """Cut and parked at least once: it goes first among its own kind when it comes back."""
        return self.parked_at is not None

    @property
    def duration_s(self) -> float:
        """Length of the audio as decoded (trusted over the duration the TTS stage declared)."""
        decoded = getattr(self.audio, "duration_s", None)
        if decoded is None:
            decoded = self.extra.get("duration_s")  # kept when the audio was released
        if decoded is not None:
            return decoded
        return self.ready.duration_s if self.ready is not None else 0.0

    @property
    def is_ready(self) -> bool:
        return self.ready is not None

    @property
    def queue_state(self) -> events.QueueItemState:
        return _QUEUE_STATE.get(self.state, "waiting")

    # ---- what happened (the player thread) -----------------------------------------------

    def audio_arrived(self, ready: events.SpeechReady, audio: object | None, now: float) -> None:
        self.ready = ready
        self.audio = audio
        self.ready_at = now
        if self.state == "queued":
            self.state = "ready"

    def heard(self, at: float, *, resumed: bool) -> bool:
        """Its first sample of this playback was written, to be heard at ``at``. True when this
        is the first time it is heard at all."""
        first = self.started_at is None
        if first:
            self.started_at = at
        elif resumed:
            self.resumes += 1
        self.ended_at = None
        self.sounding = True
        return first

    def stopped_sounding(self, at: float) -> None:
        if self.sounding:
            self.ended_at = at
            self.sounding = False

    def drop(self, reason: str) -> None:
        self.state = "dropped"
        self.reason = reason

    def release(self) -> None:
        """Done with: let its audio go (the record stays, small, for the report)."""
        duration = self.duration_s
        self.audio = None
        self.extra.clear()
        self.extra["duration_s"] = duration

    # ---- what others see -----------------------------------------------------------------

    def view(self, wall_offset: float = 0.0) -> events.UtteranceView:
        """A frozen snapshot; ``wall_offset`` turns the player's clock into epoch seconds."""
        req, ready = self.request, self.ready

        def wall(t: float | None) -> float | None:
            return None if t is None else round(t + wall_offset, 3)

        return events.UtteranceView(
            id=req.id, kind=req.kind, text=req.text, original=req.original, product=req.product,
            segment=req.segment, group=req.group, sentence_index=req.sentence_index,
            source_event=req.source_event, viewer=req.viewer, comment=req.comment, priority=int(req.priority),
            deadline=req.deadline, created_at=req.created_at, hits=req.hits,
            route=ready.route if ready is not None else "", duration_s=round(self.duration_s, 3),
            sentences=req.sentences, sentence_starts=ready.sentence_starts if ready is not None else (),
            state=self.state, queued_at=wall(self.queued_at), ready_at=wall(self.ready_at),
            started_at=wall(self.started_at), ended_at=wall(self.ended_at), position_s=round(self.position_s, 3),
            cuts=self.cuts, resumes=self.resumes, reason=self.reason)
