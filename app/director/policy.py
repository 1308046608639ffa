"""Which ready utterance plays next, and where a cut falls (design §5a).

The order, most pressing first:

1. urgent items: the operator's 插播/play-now, emergencies, large gifts (priority at or below
   ``urgent_priority``);
2. the script, when the room has gone almost ``script_max_gap_s`` without it;
3. answers to viewers' questions (buyers first);
4. thanks and other interactions, fitted into the script's breaks: while a script segment is
   half read they wait for its end, up to ``break_wait_s``, and never come between two clauses
   of one sentence (a welcome between "现在下单，" and "用顺丰快递。" breaks the sentence);
5. the script;
6. interactions still waiting for a break, and those that must yield to the script's floor:
   while the script's share of the recent air is below ``script_share_floor``, reminders and
   other lines wait behind it, and so do thanks once they have had their own share
   (``thanks_share_max``: within it they are never starved by the floor; the reply policy keeps
   them to it); then low items ranked below the script.

Within a rank: priority, made more urgent by waiting (aging), then first come first served;
an item that was cut and parked goes first among its own kind.

Where the cut falls: design §5's rule still says *whether* a newly ready item interrupts
(priority gap ≥ ``gap``, ≥ ``late_gap`` once ``late_fraction`` is played). Urgent items (and
anything over a filler) cut within one chunk ("hard"); everything else waits for the current
sentence to end ("soft"). An urgent item the gap rule would not let in (a large gift's thanks
over a VIP's answer) still cuts at the end of the current sentence: it never waits out a line.

This is the one order: the player's queue has none of its own and asks ``pick``/``key``.
Urgency is ``app.utterance.is_urgent`` (TTS uses the same rule for "needed at once").

Items are duck-typed (the player's utterance records, ``app.audio.utterance.Utterance``):
``request`` (kind, priority, group, sentence_index), ``priority``, ``force``, ``interrupted``,
``queued_at``, ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from app.director.airtime import ANSWER, SCRIPT, THANKS, Airtime, air_class
from app.director.settings import DirectorSettings
from app.events import FILLING_KINDS, Priority
from app.utterance import is_urgent

Cut = Literal["soft", "hard"]

R_URGENT, R_SCRIPT_DUE, R_ANSWER, R_INTERACTION, R_SCRIPT, R_WAITING, R_LOW = range(7)

#: Seconds a non-script line typically takes: the script is due this long before the gap is up,
#: so the line chosen instead of it cannot push the room past the gap.
LINE_S = 8.0

#: The script's floor is judged once this many seconds were spoken in the window.
FLOOR_AFTER_S = 60.0



def should_interrupt(current_priority: int, new_priority: int, played_fraction: float, *,
                     gap: int = 5, late_gap: int = 8, late_fraction: float = 0.85) -> bool:
    """Design §5: interrupt when the gap is ≥ ``gap`` (≥ ``late_gap`` once more than
    ``late_fraction`` of the current item has played)."""
    needed = late_gap if played_fraction > late_fraction else gap
    return current_priority - new_priority >= needed


class Director:
    def __init__(self, settings: DirectorSettings | None = None, airtime: Airtime | None = None, *,
                 aging_step: float = 1.0, aging_interval_s: float = 30.0):
        if aging_interval_s <= 0:
            raise ValueError(f"aging_interval_s must be > 0, got {aging_interval_s}")
        if aging_step < 0:
            raise ValueError(f"aging_step must be >= 0, got {aging_step}")
        self.settings = settings or DirectorSettings()
        self.airtime = airtime or Airtime(0.0)
        self.aging_step = aging_step
        self.aging_interval_s = aging_interval_s

    # ---- what kind of item ---------------------------------------------------------------

    def is_urgent(self, item: Any) -> bool:
        return is_urgent(item.priority, getattr(item, "force", False), urgent_priority=self.settings.urgent_priority)

    # ---- where the cut falls -------------------------------------------------------------

    def cut(self, current: Any, new: Any, played_fraction: float, current_priority: int | None = None, *,
            gap: int = 5, late_gap: int = 8, late_fraction: float = 0.85) -> Cut | None:
        """None: ``new`` waits for ``current`` to end; "hard": stop within one chunk; "soft":
        stop at the end of the sentence that is playing. ``current_priority`` stands in for
        the current item's own (a bridge line stands for the item it leads into)."""
        if getattr(new, "force", False):
            return "hard"
        priority = current.priority if current_priority is None else current_priority
        if not should_interrupt(priority, new.priority, played_fraction,
                                gap=gap, late_gap=late_gap, late_fraction=late_fraction):
            # an urgent line (a large gift's thanks) never waits for more than the sentence on
            # air: a VIP's answer at -2 is too close to cut, but not worth the rocket's 3 s
            if self.is_urgent(new) and not self.is_urgent(current) and priority > new.priority:
                return "soft"
            return None
        if self.is_urgent(new) or (current.request.kind in FILLING_KINDS and current_priority is None):
            return "hard"
        return "soft"

    # ---- what plays next -----------------------------------------------------------------

    def script_due(self, now: float) -> bool:
        return self.airtime.since(SCRIPT, now) >= max(0.0, self.settings.script_max_gap_s - LINE_S)

    def script_below_floor(self, now: float) -> bool:
        # a share of the first minute says little (a welcome burst at 开播): judged after that
        share = self.airtime.share(SCRIPT, now, self.settings.share_window_s, min_spoken=FLOOR_AFTER_S)
        return share is not None and share < self.settings.script_share_floor

    def thanks_had_their_share(self, now: float) -> bool:
        share = self.airtime.share(THANKS, now, self.settings.share_window_s, min_spoken=FLOOR_AFTER_S)
        return share is not None and share >= self.settings.thanks_share_max

    def rank(self, item: Any, now: float, *, open_group: str | None = None, mid_sentence: bool = False,
             script_due: bool | None = None, below_floor: bool | None = None) -> int:
        if self.is_urgent(item):
            return R_URGENT
        cls = air_class(item.request.kind)
        if cls == SCRIPT:
            return R_SCRIPT_DUE if (self.script_due(now) if script_due is None else script_due) else R_SCRIPT
        if cls == ANSWER:
            return R_ANSWER
        if cls != THANKS and item.priority >= Priority.SCRIPT:
            return R_LOW
        if open_group is not None and (mid_sentence or now - item.queued_at < self.settings.break_wait_s):
            return R_WAITING  # the segment is half read: wait for its end (a sentence's end at least)
        if self.script_below_floor(now) if below_floor is None else below_floor:
            if cls != THANKS or self.thanks_had_their_share(now):
                return R_WAITING  # the script is short of its floor: it goes first
        return R_INTERACTION

    def key(self, item: Any, now: float, **context) -> tuple:
        aged = item.priority - self.aging_step * max(0.0, now - item.queued_at) / self.aging_interval_s
        return (self.rank(item, now, **context), 0 if item.interrupted else 1, aged, item.seq)

    def pick(self, candidates: Iterable[Any], now: float, *, open_group: str | None = None,
             mid_sentence: bool = False) -> Any | None:
        """The candidate that plays next (None when there is none). ``open_group``: the script
        segment being read, while more of it is queued; ``mid_sentence``: the last script item
        heard ended at a clause (a comma), its sentence goes on."""
        context = {"open_group": open_group, "mid_sentence": mid_sentence, "script_due": self.script_due(now),
                   "below_floor": self.script_below_floor(now)}
        best, best_key = None, None
        for item in candidates:
            k = self.key(item, now, **context)
            if best_key is None or k < best_key:
                best, best_key = item, k
        return best
