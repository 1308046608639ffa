"""The script scheduler's lines said at times, outside the segments: the timed tasks (follow and
coupon reminders, time reports; ``TimedRunner`` says which are due) and the AI-content
disclosure, each about the product on air.

A mixin of ``ScriptScheduler`` (``app/script/scheduler.py``), which owns the state and the lock.
"""

from __future__ import annotations

from app import events
from app.script.rendering import spoken_time
from app.text.prepare import make_request
from app.text.variants import parse

Channel = events.Channel


class TimedLines:
    """Mixin: see the module docstring."""

    def _say_disclosure(self, now: float) -> None:
        """The AI-content disclosure: at the start, then every ``disclosure_every_s``."""
        if not self.disclosure_text or self.disclosure_every_s <= 0:
            return
        if self._next_disclosure is not None and now < self._next_disclosure:
            return
        self._next_disclosure = now + self.disclosure_every_s
        prepared = self.prepare(self.disclosure_text)
        if not prepared.ok:
            return
        self._renderings += 1
        self.bus.publish(Channel.SPEECH_REQUESTS, make_request(
            prepared, id=f"disclosure-{self._session}-{self._renderings}", kind="disclosure",
            priority=events.Priority.NORMAL, created_at=now, deadline=now + self.timed_deadline_s,
            product=self._on_air or self._product))

    def _run_timed(self, now: float) -> None:
        slug = self._on_air or self._product  # said now: about the product on air
        product = self.library.get(slug) if slug else None
        tasks = self.timed_tasks + list(product.timed if product else ())
        for task in self._timed.due(tasks, now):
            values = {**(product.template_values() if product else {}), "time": spoken_time(now)}
            try:
                if task.text is not None:
                    text = self._renderer.render(parse(task.text, values.keys()), values)
                elif self.templates is not None:
                    text = self.templates.render(task.template, values)
                else:
                    raise LookupError(f"no templates loaded for template {task.template!r}")
            except Exception as exc:  # a broken task is reported, the script goes on
                self._report(f"timed task {task.name!r} not said: {exc}")
                continue
            prepared = self.prepare(text)
            if not prepared.ok:
                continue
            self._renderings += 1
            self.bus.publish(Channel.SPEECH_REQUESTS, make_request(
                prepared, id=f"timed-{self._session}-{self._renderings}", kind="timed",
                priority=task.priority, created_at=now, deadline=now + self.timed_deadline_s,
                product=slug, segment=task.name, group=f"{self._session}-{self._renderings}"))
