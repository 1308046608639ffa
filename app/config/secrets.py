"""Secrets (the Ark API key and the like): an environment variable overrides, then the OS
keyring (``keyring``), then — discouraged — a value written in config.ini.

A secret's text never goes into a log line, an error message, a repr or a report: functions here
name the secret ("llm.api_key") and where it came from, never its value. ``RedactingFilter``
(``app.redaction``) is a second line of defence for log handlers (``app.logs`` attaches it),
replacing any secret value that was resolved in this process with ``***``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from app.config.catalog import SCHEMA
from app.config.schema import Option, Schema
from app.config.snapshot import Snapshot
from app.config.types import Secret
from app.logs import get_logger
from app.redaction import remember_secret

log = get_logger("config")

#: Keyring service name; the username is the option name ("llm.api_key").
SERVICE = "douyin-live-controller"


class SecretError(RuntimeError):
    """Base of secret problems; messages name the secret, never its value."""


class MissingSecret(SecretError):
    pass


class SecretStoreUnavailable(SecretError):
    pass


def _option(name: str, schema: Schema) -> Option:
    section, _, key = name.rpartition(".")
    opt = schema.option(section, key) if section else None
    if opt is None:  # also accept the environment variable's name ("ARK_API_KEY")
        opt = next((o for o in schema if o.secret and o.env == name), None)
    if opt is None or not opt.secret:
        secrets = ", ".join(f"{o.section}.{o.key}" for o in schema if o.secret)
        raise KeyError(f"{name!r} is not a secret option (secrets: {secrets})")
    return opt


_remember = remember_secret  # done for every secret resolved here


# ---- keyring -----------------------------------------------------------------------------------


def _keyring():
    """The keyring backend, or None when there is no usable one (headless Linux often has
    only the 'fail' backend; a broken D-Bus can make any call raise)."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception as exc:  # import or backend discovery failed
        log.warning("OS keyring unavailable: %s", type(exc).__name__)
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


def keyring_available() -> bool:
    return _keyring() is not None


def _keyring_get(name: str) -> str | None:
    backend = _keyring()
    if backend is None:
        return None
    try:
        return backend.get_password(SERVICE, name)
    except Exception as exc:  # a locked or broken keyring must not stop the stream
        log.warning("cannot read %s from the OS keyring: %s", name, type(exc).__name__)
        return None


# ---- public API --------------------------------------------------------------------------------


def secret_source(name: str, *, snapshot: Snapshot | None = None, schema: Schema = SCHEMA,
                  environ: Mapping[str, str] | None = None) -> str | None:
    """Where the secret would come from: "env:ARK_API_KEY", "keyring", "config.ini" or None.
    For status displays; never the value."""
    return _resolve(name, snapshot, schema, environ)[1]


def get_secret(name: str, *, snapshot: Snapshot | None = None, schema: Schema = SCHEMA,
               environ: Mapping[str, str] | None = None) -> str | None:
    """The secret's text, or None if it is set nowhere."""
    return _resolve(name, snapshot, schema, environ)[0]


def _resolve(name, snapshot, schema, environ) -> tuple[str | None, str | None]:
    opt = _option(name, schema)
    full = f"{opt.section}.{opt.key}"
    env = os.environ if environ is None else environ
    if opt.env and env.get(opt.env):
        return _remember(env[opt.env]), f"env:{opt.env}"
    value = _keyring_get(full)
    if value:
        return _remember(value), "keyring"
    if snapshot is not None:
        in_file = snapshot.get(opt.section, opt.key)
        if isinstance(in_file, Secret) and in_file:
            return _remember(in_file.reveal()), "config.ini"
    return None, None


def require_secret(name: str, feature: str, *, snapshot: Snapshot | None = None,
                   schema: Schema = SCHEMA, environ: Mapping[str, str] | None = None) -> str:
    """The secret, or ``MissingSecret`` saying what needs it and every way to provide it."""
    value = get_secret(name, snapshot=snapshot, schema=schema, environ=environ)
    if value:
        return value
    opt = _option(name, schema)
    full = f"{opt.section}.{opt.key}"
    ways = [f"run `python main.py config set-secret {full}` (OS keyring)"]
    if opt.env:
        ways.insert(0, f"set the environment variable {opt.env}")
    if not keyring_available():
        ways[-1] += " — no OS keyring is available on this machine, so use the environment variable"
    raise MissingSecret(f"{feature} needs the secret {full} ({opt.en}), which is not set: "
                        + "; or ".join(ways))


def set_secret(name: str, value: str, *, schema: Schema = SCHEMA) -> None:
    """Store a secret in the OS keyring."""
    opt = _option(name, schema)
    full = f"{opt.section}.{opt.key}"
    if not value or value != value.strip():
        raise ValueError(f"{full}: the secret is empty or has spaces around it")
    backend = _keyring()
    if backend is None:
        hint = f"; set the environment variable {opt.env} instead" if opt.env else ""
        raise SecretStoreUnavailable(f"cannot store {full}: no usable OS keyring on this machine{hint}")
    _remember(value)
    try:
        backend.set_password(SERVICE, full, value)
    except Exception as exc:
        raise SecretStoreUnavailable(f"cannot store {full} in the OS keyring ({type(exc).__name__})") from None
    log.info("stored %s in the OS keyring", full)


def delete_secret(name: str, *, schema: Schema = SCHEMA) -> bool:
    """Remove a secret from the OS keyring. True if one was removed."""
    opt = _option(name, schema)
    full = f"{opt.section}.{opt.key}"
    backend = _keyring()
    if backend is None:
        return False
    try:
        backend.delete_password(SERVICE, full)
    except Exception:  # not there, or the keyring refused: either way nothing is stored now
        return False
    log.info("removed %s from the OS keyring", full)
    return True
