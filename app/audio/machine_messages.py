"""The player state machine's vocabulary: its states, the inputs the player feeds it (what
happened) and the actions it returns (what to do).

Apart from the machine (``app.audio.state_machine``) because three places speak it: the machine's
handlers, its transitions (``app.audio.machine_transitions``, a base class of the machine, which
cannot import it back) and the player, which feeds the inputs and executes the actions. Plain
frozen values, no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.audio.utterance import Utterance

# ---- states (design §5; see app.audio.state_machine) -----------------------------------------

IDLE = "IDLE"
PLAYING = "PLAYING"
INTERRUPT_DECISION = "INTERRUPT_DECISION"
INTERRUPTED = "INTERRUPTED"
POST_INTERRUPT = "POST_INTERRUPT"


# ---- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemReady:
    id: str


@dataclass(frozen=True)
class Progress:
    position_s: float  # played position within the current item's audio


@dataclass(frozen=True)
class Finished:
    """The current item's last sample was written."""


@dataclass(frozen=True)
class Stopped:
    """The player executed ``StopCurrent``; ``position_s`` is what was really played."""

    position_s: float


@dataclass(frozen=True)
class Dry:
    """Idle for longer than the gap with nothing ready: a filler may play."""


@dataclass(frozen=True)
class Tick:
    """Periodic: drop items whose deadline passed while they waited."""


@dataclass(frozen=True)
class SkipCurrent:
    pass


@dataclass(frozen=True)
class Cancel:
    ids: tuple[str, ...]
    reason: str = "cancelled"


@dataclass(frozen=True)
class PauseCmd:
    pass


@dataclass(frozen=True)
class ResumeCmd:
    pass


@dataclass(frozen=True)
class EndLive:
    """Our room's live ended: silence now, drop everything, take nothing more."""


# ---- actions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    item: Utterance
    start_s: float = 0.0
    resumed: bool = False
    after_gap: bool = True  # False on an interrupt: the urgent item starts at once
    continuation: bool = False  # after a pause: same playback, no new "started"
    clause: bool = False  # the next clause of the same sentence: a comma's pause, not a sentence's


@dataclass(frozen=True)
class StopCurrent:
    reason: str  # interrupt | skip | cancel | pause | live_end
    by_id: str | None = None
    at_s: float | None = None  # a soft cut: stop when the audio reaches this position


@dataclass(frozen=True)
class Ended:
    """The current item stopped sounding (for the report)."""

    item: Utterance
    interrupted: bool


@dataclass(frozen=True)
class Drop:
    item: Utterance
    reason: str


@dataclass(frozen=True)
class Emit:
    """Publish ``event``; with ``item``, the player attaches the record's view as it is when
    published (``utterance=``)."""

    event: object
    item: Utterance | None = None


@dataclass(frozen=True)
class Idle:
    """Nothing to play: the player waits (gap, then Dry)."""
