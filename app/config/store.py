"""``ConfigStore``: the current settings of a run, and hot reload of config.ini.

The store holds two snapshots:
- ``current`` — what the run uses: live options as in the file; options read at 开播
  (``AT_START``) as they were when the run started; options read when the app built its runtime
  (``AT_RESTART``) as they were when this store was made (or as ``pinned``);
- ``on_disk`` — the last valid content of the file.
Options whose file value differs from the running one are ``pending_restart``.

Reload (``reload()``, or the watcher thread): parse and validate the whole file; on success swap
``current`` (one reference assignment, so readers never see a mix), call the live consumers
(``live``, see ``app.config.live``) of the changed options, then the listeners, and publish
``events.ConfigChanged`` on ``system``; on failure keep the
last good snapshot and publish ``events.ConfigError``. The watcher polls the file's mtime and
size (works on every platform and on network drives, unlike file-system events) and waits for
the file to stay unchanged for ``debounce_s`` before reading it, so an editor saving in two
steps is usually read once; if it is read half-written anyway, the validation rejects it (see
loader) and the next complete write is applied.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app import events
from app.config.catalog import SCHEMA
from app.config.live import LiveConsumers, LiveResult
from app.config.loader import ConfigErrors, load, loads_bytes
from app.config.schema import AT_RESTART, Schema
from app.config.snapshot import Snapshot
from app.config.writer import create_default_config
from app.logs import get_logger

log = get_logger("config")


@dataclass(frozen=True)
class ConfigUpdate:
    """What one successful reload (or a start) changed. ``changed``: options whose running value
    changed; ``live``: which of them the registered consumers applied, failed to apply, or nobody
    running applies now; ``pending_restart``: every option whose file value waits for the next
    开播 or the next launch of the app."""

    old: Snapshot
    new: Snapshot
    changed: tuple[str, ...]
    pending_restart: tuple[str, ...]
    live: LiveResult = LiveResult()


@dataclass(frozen=True)
class ReloadResult:
    ok: bool
    changed: tuple[str, ...] = ()
    pending_restart: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    unchanged: bool = False  # the file's content is what was last applied or rejected
    live: LiveResult = LiveResult()  # which changed live options the registered consumers applied


Listener = Callable[[ConfigUpdate], None]
ErrorListener = Callable[[str, tuple[str, ...]], None]


class ConfigStore:
    def __init__(self, path: str | Path, *, bus: Any | None = None, schema: Schema = SCHEMA,
                 poll_s: float = 0.5, debounce_s: float = 0.3, create: bool = False,
                 pinned: dict[str, str] | None = None):
        """Load the file now (raises ``ConfigErrors`` if it is invalid: a run does not start
        on settings it cannot read). ``bus`` is an ``app.bus.Bus`` or None. An empty file is
        filled with the defaults, and with ``create`` a missing one is created; either is said
        in ``notices`` (for the app to show) and in the log. ``pinned``: ``{"section.key": text}``
        of AT_RESTART options the app runs with (a runtime in a child process takes the app's
        values, not the file's)."""
        self.path = Path(path)
        notice = create_default_config(self.path, schema, when_missing=create)
        self.notices: tuple[str, ...] = (notice,) if notice else ()
        self.schema = schema
        self.bus = bus
        self.poll_s = poll_s
        self.debounce_s = debounce_s
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._error_listeners: list[ErrorListener] = []
        try:
            raw = self._read()
        except OSError:
            raw = b""
        self._on_disk = load(self.path, schema=schema) if not raw else loads_bytes(raw, path=self.path,
                                                                                  schema=schema)
        self._launch = self._on_disk.replace(_parse_pinned(pinned or {}, schema))  # AT_RESTART values
        self._current = self._boot = _pinned(self._on_disk, self._launch, _keys(schema, AT_RESTART))
        self.live = LiveConsumers(schema)
        self._last_digest = _digest(raw)
        self._last_errors: tuple[str, ...] = ()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen_sig = _signature(self.path)
        self._sig_since = time.monotonic()
        self._done_sig = self._seen_sig  # the loaded content needs no reload
        self._not_live = frozenset((o.section, o.key) for o in schema if not o.live)
        self._at_restart = _keys(schema, AT_RESTART)

    # ---- reading -------------------------------------------------------------------------------

    @property
    def current(self) -> Snapshot:
        return self._current

    @property
    def on_disk(self) -> Snapshot:
        return self._on_disk

    @property
    def pending_restart(self) -> tuple[str, ...]:
        return tuple(self._current.diff(self._on_disk))

    @property
    def last_errors(self) -> tuple[str, ...]:
        """Errors of the last rejected file content (empty once a good file is applied)."""
        return self._last_errors

    def get(self, section: str, key: str) -> Any:
        return self._current.get(section, key)

    def apply_restart_options(self) -> Snapshot:
        """A run starts (开播): AT_START options take the values on disk. AT_RESTART options keep
        the values the app was launched with (still pending). Listeners hear of what changed."""
        with self._lock:
            old = self._current
            self._boot = self._current = _pinned(self._on_disk, self._launch, self._at_restart)
            changed = tuple(old.diff(self._current))
        if changed:
            self._notify(ConfigUpdate(old=old, new=self._current, changed=changed,
                                      pending_restart=self.pending_restart))
        return self._current

    def running_values(self, applies: str) -> dict[str, str]:
        """``{"section.key": text}`` of the running options declared ``applies`` (for ``pinned``)."""
        snap = self._current
        out = {}
        for (section, key), value in snap.items():
            opt = self.schema.option(section, key)
            if opt is not None and opt.applies == applies and not opt.secret:
                out[f"{section}.{key}"] = opt.type.format(value)
        return out

    # ---- listeners -----------------------------------------------------------------------------

    def add_listener(self, fn: Listener) -> None:
        with self._lock:
            self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        with self._lock:
            if fn in self._listeners:
                self._listeners.remove(fn)

    def add_error_listener(self, fn: ErrorListener) -> None:
        with self._lock:
            self._error_listeners.append(fn)

    # ---- reload --------------------------------------------------------------------------------

    def reload(self, *, force: bool = False) -> ReloadResult:
        """Read, validate and apply the file. ``force`` re-applies even identical content."""
        with self._lock:
            try:
                raw = self._read()
            except OSError as exc:
                return self._reject((f"{self.path.name}: cannot read ({exc.strerror or exc})",), None)
            digest = _digest(raw)
            if digest == self._last_digest and not force:
                return ReloadResult(ok=not self._last_errors, errors=self._last_errors, unchanged=True,
                                    pending_restart=self.pending_restart)
            try:
                fresh = loads_bytes(raw, path=self.path, schema=self.schema, previous=self._on_disk)
            except ConfigErrors as exc:
                return self._reject(exc.errors, digest)
            return self._apply(fresh, digest)

    def _apply(self, fresh: Snapshot, digest: str) -> ReloadResult:
        old = self._current
        was_rejected = bool(self._last_errors)
        pending_before = self.pending_restart
        # Options read at a start keep their running value; live ones follow the file.
        new = _pinned(fresh, self._boot, self._not_live)
        self._on_disk = fresh
        self._current = new  # the atomic swap readers see
        self._last_digest = digest
        self._last_errors = ()
        changed = tuple(old.diff(new))
        pending = self.pending_restart
        if not changed and pending == pending_before and not was_rejected:
            return ReloadResult(ok=True, pending_restart=pending)  # only comments or spacing changed
        update = ConfigUpdate(old=old, new=new, changed=changed, pending_restart=pending)
        if changed:
            log.info("config reloaded: applied %s", ", ".join(changed))
        if pending:
            log.info("config: waiting for a restart: %s", ", ".join(pending))
        update = self._notify(update)
        return ReloadResult(ok=True, changed=changed, pending_restart=pending, live=update.live)

    def _notify(self, update: ConfigUpdate) -> ConfigUpdate:
        update = dataclasses.replace(update, live=self.live.apply(update.new, update.changed))
        if update.live.failed:
            log.warning("config: not applied live: %s", "; ".join(f"{o} ({why})" for o, why in update.live.failed))
        for fn in list(self._listeners):
            try:
                fn(update)
            except Exception:  # one broken consumer must not stop the others from updating
                log.exception("config listener %r failed", getattr(fn, "__qualname__", fn))
        self._publish(events.ConfigChanged(changed=update.changed, pending_restart=update.pending_restart))
        return update

    def _reject(self, errors: tuple[str, ...], digest: str | None) -> ReloadResult:
        if digest is not None:
            self._last_digest = digest
        self._last_errors = tuple(errors)
        log.warning("config.ini rejected, keeping the last good settings:\n  %s", "\n  ".join(errors))
        for fn in list(self._error_listeners):
            try:
                fn(str(self.path), self._last_errors)
            except Exception:
                log.exception("config error listener failed")
        self._publish(events.ConfigError(path=str(self.path), errors=self._last_errors))
        return ReloadResult(ok=False, errors=self._last_errors, pending_restart=self.pending_restart)

    def _publish(self, event: Any) -> None:
        if self.bus is not None:
            try:
                self.bus.publish(events.Channel.SYSTEM, event)
            except Exception:  # the bus reports its own outages; settings still apply
                log.exception("could not publish %s", type(event).__name__)

    def _read(self) -> bytes:
        return self.path.read_bytes()

    # ---- watching ------------------------------------------------------------------------------

    def poll(self) -> ReloadResult | None:
        """One step of the watcher: reload if the file changed and has been still for
        ``debounce_s``. Returns the reload result, or None when nothing was done."""
        sig = _signature(self.path)
        now = time.monotonic()
        if sig != self._seen_sig:
            self._seen_sig, self._sig_since = sig, now
            return None
        if sig is None or now - self._sig_since < self.debounce_s:
            return None  # missing (mid-rename) or still being written
        with self._lock:
            if sig == self._done_sig:
                return None
            self._done_sig = sig
        return self.reload()

    def start_watching(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._watch, name="config-watch", daemon=True)
        self._thread.start()

    def stop_watching(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll()
            except Exception:  # the watcher must outlive any surprise
                log.exception("config watcher step failed")

    def __enter__(self) -> ConfigStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_watching()


def _keys(schema: Schema, applies: str) -> frozenset[tuple[str, str]]:
    return frozenset((o.section, o.key) for o in schema if o.applies == applies)


def _parse_pinned(pinned: dict[str, str], schema: Schema) -> dict[tuple[str, str], Any]:
    out = {}
    for name, text in pinned.items():
        section, _, key = name.rpartition(".")
        opt = schema.option(section, key)
        if opt is None or opt.applies != AT_RESTART:
            raise ValueError(f"pinned option {name!r} is not an option read at the app's launch")
        out[section, key] = opt.type.parse(text)
    return out


def _pinned(fresh: Snapshot, running: Snapshot, keys: frozenset[tuple[str, str]]) -> Snapshot:
    """``fresh`` with ``running``'s values for the options named in ``keys`` ((section, key);
    a pattern section such as ``voice.a`` matches by its base ``voice``) that ``running`` has."""
    have = set(running.keys())
    kept = {k: running.get(*k) for k in fresh.keys() if (k[0].partition(".")[0], k[1]) in keys and k in have}
    return fresh.replace(kept) if kept else fresh


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
