"""``LlmClient``: the one interface the app uses to talk to a model, whatever the provider.

- ``stream(messages)`` yields text deltas as they arrive; ``complete(messages)`` returns the
  whole answer.
- Timeouts: connect (HTTP), first token (from the start of an attempt to the first non-empty
  delta; also the longest silent gap the HTTP reader tolerates) and total (the whole call,
  retries and waits included).
- Retries only for retryable errors (429, 5xx, connection) and only before any text was
  yielded — text already handed on may already be spoken, so it is never repeated.
- A requests-per-minute limiter and a concurrency limit apply to every attempt.
- ``cancel`` (a threading.Event) stops the call at once: the consumer returns immediately and
  the reader thread closes the HTTP response.
- Reasoning never reaches the caller: ``<think>…</think>`` is dropped from every provider's
  stream (``thinking.ThinkStripper``); "first token" means the first speakable one.

The SDK stream is read on a short-lived daemon thread so a stalled socket can never block the
caller past its deadline or a cancel.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from app.llm import errors
from app.llm.limits import ConcurrencyLimit, RateLimiter, RetryPolicy, WaitAborted, sleep_until
from app.llm.provider import DEFAULT_GENERATION, ChatProvider, Generation, Message, Timeouts
from app.llm.thinking import ThinkStripper
from app.logs import get_logger

log = get_logger("llm")

_POLL = 0.02


@dataclass(frozen=True)
class LlmLimits:
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    requests_per_minute: int = 60
    max_concurrency: int = 2
    rate_window: float = 60.0  # seconds; tests shrink it


@dataclass
class LlmStats:
    requests: int = 0  # attempts sent to the provider
    retries: int = 0
    failures: int = 0  # calls that ended in an error (after retries)
    last_error: str = ""
    last_first_token_s: float = 0.0
    attempts_by_kind: dict[str, int] = field(default_factory=dict)
    think_blocks_dropped: int = 0  # <think>…</think> blocks removed from answers
    think_chars_dropped: int = 0
    last_warm_up_s: float | None = None


class LlmClient:
    def __init__(self, provider: ChatProvider, limits: LlmLimits = LlmLimits(), *,
                 generation: Generation = DEFAULT_GENERATION, clock=time.monotonic,
                 rng: Callable[[], float] | None = None, warm_up_timeout: float = 0.0):
        self.provider = provider
        self.warm_up_timeout = warm_up_timeout  # what LlmWorker allows for warm_up (0 = none)
        self.limits = limits
        self.generation = generation
        self.stats = LlmStats()
        self._clock = clock
        self._rng = rng
        self._rate = RateLimiter(limits.requests_per_minute, limits.rate_window, clock)
        self._slots = ConcurrencyLimit(limits.max_concurrency, clock)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.provider.name}:{self.provider.model}" if self.provider.model else self.provider.name

    def complete(self, messages: list[Message], *, cancel: threading.Event | None = None,
                 generation: Generation | None = None) -> str:
        return "".join(self.stream(messages, cancel=cancel, generation=generation))

    def stream(self, messages: list[Message], *, cancel: threading.Event | None = None,
               generation: Generation | None = None) -> Iterator[str]:
        """Text deltas. Raises an ``errors.LlmError`` subclass (``Cancelled`` if cancelled)."""
        t = self.limits.timeouts
        deadline = self._clock() + t.total
        gen = generation or self.generation
        try:
            self._slots.acquire(deadline=deadline, cancel=cancel)
        except WaitAborted as w:
            raise self._fail(self._aborted(w, "waiting for a free request slot")) from None
        try:
            retry = 0
            while True:
                try:
                    self._rate.acquire(deadline=deadline, cancel=cancel)
                except WaitAborted as w:
                    if w.reason == "cancelled":
                        raise errors.Cancelled(provider=self.provider.name) from None
                    raise self._fail(errors.RateLimited(
                        f"local limit of {self.limits.requests_per_minute} requests/min reached",
                        provider=self.provider.name)) from None
                yielded = False
                try:
                    for delta in self._attempt(messages, gen, cancel, deadline):
                        yielded = True
                        yield delta
                    return
                except errors.Cancelled:
                    raise
                except errors.LlmError as e:
                    if yielded or not e.retryable or retry >= self.limits.retry.max_retries:
                        raise self._fail(e) from None
                    wait = self.limits.retry.delay(retry, self._rng) if self._rng else \
                        self.limits.retry.delay(retry)
                    if self._clock() + wait >= deadline:
                        raise self._fail(e) from None
                    retry += 1
                    with self._lock:
                        self.stats.retries += 1
                    log.warning("%s: %s; retry %d in %.2fs", self.name, e.kind, retry, wait)
                    try:
                        sleep_until(self._clock() + wait, cancel, self._clock)
                    except WaitAborted:
                        raise errors.Cancelled(provider=self.provider.name) from None
        finally:
            self._slots.release()

    # ---- one attempt -----------------------------------------------------------------------

    def _attempt(self, messages: list[Message], gen: Generation, cancel: threading.Event | None,
                 deadline: float) -> Iterator[str]:
        t = self.limits.timeouts
        started = self._clock()
        first_deadline = min(started + t.first_token, deadline)
        with self._lock:
            self.stats.requests += 1
        reader = _StreamReader(self.provider, messages, gen)
        think = ThinkStripper()
        got_first = False
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    raise errors.Cancelled(provider=self.provider.name)
                now = self._clock()
                limit = deadline if got_first else first_deadline
                if now >= limit:
                    if got_first:
                        raise errors.LlmTimeout(f"answer not complete within {t.total:g}s",
                                                provider=self.provider.name)
                    raise errors.LlmTimeout(f"no first token within {limit - started:.3g}s",
                                            provider=self.provider.name)
                try:
                    kind, value = reader.items.get(timeout=min(_POLL, limit - now))
                except queue.Empty:
                    continue
                if kind == "error":
                    raise value
                value = think.feed(value) if kind == "delta" else think.flush()
                if value:
                    if not got_first:
                        got_first = True
                        self.stats.last_first_token_s = self._clock() - started
                    yield value
                if kind == "end":
                    return
        finally:
            reader.stop()
            if think.blocks or think.dropped_chars:
                with self._lock:
                    self.stats.think_blocks_dropped += think.blocks
                    self.stats.think_chars_dropped += think.dropped_chars

    def _aborted(self, w: WaitAborted, what: str) -> errors.LlmError:
        if w.reason == "cancelled":
            return errors.Cancelled(provider=self.provider.name)
        return errors.LlmTimeout(f"{what} took longer than {self.limits.timeouts.total:g}s",
                                 provider=self.provider.name)

    def _fail(self, e: errors.LlmError) -> errors.LlmError:
        if not isinstance(e, errors.Cancelled):
            with self._lock:
                self.stats.failures += 1
                self.stats.last_error = str(e)
                self.stats.attempts_by_kind[e.kind] = self.stats.attempts_by_kind.get(e.kind, 0) + 1
        return e

    @property
    def can_warm_up(self) -> bool:
        return getattr(self.provider, "warm_up", None) is not None

    @property
    def keep_warm_every(self) -> float | None:
        """Seconds of idleness after which the model should be loaded again before it unloads
        (half its ``keep_alive``), or None when it never unloads or cannot be warmed."""
        seconds = getattr(self.provider, "keep_alive_s", None)
        return seconds / 2 if self.can_warm_up and seconds else None

    def warm_up(self, timeout: float) -> float | None:
        """Load the model now (Ollama: an empty chat with ``keep_alive``), so the first viewer
        question does not pay a cold load past the first-token timeout (protocols §7.12).
        Returns the seconds it took, or None for a provider with nothing to load (Ark); raises
        an ``errors.LlmError`` (``LlmTimeout`` after ``timeout``)."""
        warm = getattr(self.provider, "warm_up", None)
        started = self._clock()
        if warm is None:
            return None
        done: queue.SimpleQueue = queue.SimpleQueue()

        def run() -> None:
            try:
                warm(timeout)
                done.put(None)
            except BaseException as exc:  # classified below, on the caller's thread
                done.put(exc)

        threading.Thread(target=run, name=f"llm-{self.provider.name}-warm-up", daemon=True).start()
        try:
            exc = done.get(timeout=timeout)
        except queue.Empty:
            raise self._fail(errors.LlmTimeout(f"model not loaded within {timeout:g}s",
                                               provider=self.provider.name)) from None
        if exc is not None:
            raise self._fail(self.provider.classify(exc)) from None
        took = self._clock() - started
        self.stats.last_warm_up_s = took
        return took

    def close(self) -> None:
        self.provider.close()


class _StreamReader:
    """Reads one provider stream on a daemon thread into a queue of ("delta"|"error"|"end", v).

    ``stop()`` asks the thread to close the stream (which closes the HTTP response) at the next
    chunk; a read blocked on a silent socket ends at the HTTP read timeout at the latest.
    """

    def __init__(self, provider: ChatProvider, messages: list[Message], gen: Generation):
        self.items: queue.SimpleQueue = queue.SimpleQueue()
        self._provider = provider
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(messages, gen),
                                        name=f"llm-{provider.name}-reader", daemon=True)
        self._thread.start()

    def _run(self, messages: list[Message], gen: Generation) -> None:
        stream = None
        try:
            stream = self._provider.open_stream(messages, gen)
            for delta in stream:
                if self._stopped.is_set():
                    break
                self.items.put(("delta", delta))
            else:
                self.items.put(("end", None))
        except BaseException as exc:  # every failure goes to the consumer, classified
            if not self._stopped.is_set():
                try:
                    err = self._provider.classify(exc)
                except Exception as cexc:  # a classifier bug must still surface as an LlmError
                    err = errors.LlmError(f"{type(exc).__name__}: {exc} ({cexc})",
                                          provider=self._provider.name)
                self.items.put(("error", err))
        finally:
            if stream is not None and hasattr(stream, "close"):
                try:
                    stream.close()
                except Exception:
                    log.debug("closing a %s stream failed", self._provider.name, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
