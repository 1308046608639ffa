"""The director's knobs (``[director]`` in config.ini; the runtime maps them here)."""

from __future__ import annotations

from dataclasses import dataclass

from app.events import Priority


@dataclass(frozen=True, kw_only=True)
class DirectorSettings:
    # the script is the backbone
    script_max_gap_s: float = 40.0  # never longer than this without script speech (while there is script)
    script_share_floor: float = 0.5  # the script's share of spoken time, at least
    share_window_s: float = 300.0  # shares are measured over this much recent time
    # interactions fit into the script's natural breaks
    break_wait_s: float = 8.0  # a thank-you waits up to this long for the end of a script segment
    # budgets (fractions of the air, i.e. of each minute)
    thanks_share_max: float = 0.15  # gift thanks, welcomes, follows, likes together
    answer_share_max: float = 0.30  # answers to viewers' questions (floor + budgets + bridges, reminders: 100 %)
    # where a cut falls: at or below this priority an item cuts within one chunk (large gifts,
    # operator 插播, emergencies); anything else waits for the current sentence to end
    urgent_priority: int = int(Priority.GIFT_LARGE)

    def __post_init__(self):
        for name in ("script_share_floor", "thanks_share_max", "answer_share_max"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"director {name} must be between 0 and 1, got {value!r}")
        for name in ("script_max_gap_s", "share_window_s", "break_wait_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"director {name} must not be negative, got {getattr(self, name)!r}")
