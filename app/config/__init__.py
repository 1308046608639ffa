"""Configuration: one schema for every option, config.ini loading with whole-file validation,
immutable snapshots, hot reload with rollback, comment-preserving writes, and secrets.

Public API (the runtime and the GUI use only these names):

- ``load(path) -> Snapshot`` — raises ``ConfigErrors`` (``.errors``: every problem, formatted
  ``config.ini:LINE: [section] key: what is wrong (allowed: …)``).
- ``Snapshot`` — ``snap.get("audio", "chunk_bytes")`` (the form the static check finds),
  ``snap.audio.chunk_bytes``, ``snap.instances("voice")``, ``snap.path(section, key)``.
- ``ConfigStore(path, bus=…)`` — ``current``, ``reload()``, ``start_watching()`` /
  ``stop_watching()``, ``add_listener(fn(ConfigUpdate))``, ``pending_restart``, and ``live``:
  the registry where code that applies options while running registers for them
  (``store.live.register(name, ["reply", "tts.speed_jitter"], apply(snapshot))``, see
  ``app.config.live``).
- ``write_values(path, {(section, key): value})`` — validated, keeps comments, atomic.
- ``add_instance(path, "voice", name, copy_from=…)`` / ``remove_instance(path, "voice", name)``
  — a whole ``[voice.NAME]`` section; a removed one is kept in config.deleted.ini.
- ``schema`` (``SCHEMA``) — every ``Option`` with type, default, range/choices, zh/en
  description, when a change applies (``applies``: LIVE, AT_START = the next 开播, AT_RESTART =
  the next launch of the app), secret; ``schema.describe()`` for a generated settings form.
- ``get_secret(name)`` / ``require_secret(name, feature)`` / ``set_secret(name, value)``.
"""

from app.config.catalog import SCHEMA
from app.config.instances import add_instance, remove_instance
from app.config.live import LiveConsumers, LiveResult
from app.config.loader import ConfigErrors, load, loads
from app.config.schema import AT_RESTART, AT_START, LIVE, Option, Rule, Schema, SectionSpec
from app.config.secrets import (
    MissingSecret,
    SecretError,
    SecretStoreUnavailable,
    delete_secret,
    get_secret,
    keyring_available,
    require_secret,
    secret_source,
    set_secret,
)
from app.config.snapshot import SectionView, Snapshot
from app.config.store import ConfigStore, ConfigUpdate, ReloadResult
from app.config.types import Secret
from app.config.writer import atomic_write, create_default_config, ensure_config, render_default, write_values
from app.redaction import RedactingFilter

schema = SCHEMA


def defaults() -> Snapshot:
    """A snapshot of every default, for code and tests that run without a config file."""
    return Snapshot(SCHEMA.defaults(), schema=SCHEMA)


__all__ = [
    "add_instance",
    "remove_instance",
    "SCHEMA", "schema", "ConfigErrors", "load", "loads", "Option", "Rule", "Schema", "SectionSpec",
    "LIVE", "AT_START", "AT_RESTART", "LiveConsumers", "LiveResult",
    "MissingSecret", "RedactingFilter", "SecretError", "SecretStoreUnavailable", "delete_secret",
    "get_secret", "keyring_available", "require_secret", "secret_source", "set_secret", "SectionView",
    "Snapshot", "ConfigStore", "ConfigUpdate", "ReloadResult", "Secret", "atomic_write",
    "create_default_config", "ensure_config", "render_default", "write_values", "defaults",
]
