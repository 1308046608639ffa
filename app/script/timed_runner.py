"""Deciding when timed tasks are due (pure: the scheduler supplies the clock and the tasks)."""

from __future__ import annotations

import time as _time
from dataclasses import dataclass, field

from app.content.timed import TimedTask

#: A clock-time task missed by more than this (script paused, a slow start) is skipped for the
#: day rather than said late; one whose time came before the live started is not said at all.
AT_GRACE_S = 300.0


@dataclass
class _State:
    next_due: float | None = None
    fired_at: set = field(default_factory=set)  # (year, yday, hour, minute) already said


class TimedRunner:
    def __init__(self, localtime=_time.localtime, mktime=_time.mktime):
        self._localtime = localtime
        self._mktime = mktime
        self._states: dict[tuple, _State] = {}
        self._since: float | None = None  # the first look: when the live started

    def due(self, tasks: list[TimedTask], now: float) -> list[TimedTask]:
        """The tasks to say now; each is returned once per interval / clock time."""
        out = []
        if self._since is None:
            self._since = now
        for task in tasks:
            state = self._states.setdefault((task.product, task.name), _State())
            if task.every_s:
                if state.next_due is None:
                    state.next_due = now + task.every_s
                elif now >= state.next_due:
                    out.append(task)
                    state.next_due = now + task.every_s
                    continue
            if task.at:
                lt = self._localtime(now)
                for hour, minute in task.at:
                    target = self._mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, hour, minute, 0, 0, 0, -1))
                    key = (lt.tm_year, lt.tm_yday, hour, minute)
                    # a clock time from before the live started is not said late: "现在时间是
                    # 22点4分" as the first line of a live begun at 22:04 was nobody's 22:00 task
                    if self._since <= target <= now < target + AT_GRACE_S and key not in state.fired_at:
                        state.fired_at.add(key)
                        out.append(task)
                        break
        return out

    def postpone(self, now: float) -> None:
        """After a pause: interval tasks restart their interval rather than all firing at once."""
        for state in self._states.values():
            if state.next_due is not None and state.next_due < now:
                state.next_due = now
