"""Secrets come from the environment or the keyring, and never show in logs, errors, reprs or
events."""

from __future__ import annotations

import logging
import queue

import pytest

from app import config, events
from app.bus.memory import MemoryBus
from tests.unit.config.conftest import set_option

KEY = "sk-test-4f9a1c77e2b0d5"  # what a real Ark key looks like to a log reader


def test_keyring_secret_is_found_and_env_overrides_it(memory_keyring):
    config.set_secret("llm.api_key", KEY)
    assert memory_keyring.store["douyin-live-controller", "llm.api_key"] == KEY
    assert config.get_secret("llm.api_key", environ={}) == KEY
    assert config.secret_source("llm.api_key", environ={}) == "keyring"
    env = {"ARK_API_KEY": "sk-from-env"}
    assert config.get_secret("llm.api_key", environ=env) == "sk-from-env"
    assert config.secret_source("ARK_API_KEY", environ=env) == "env:ARK_API_KEY"
    assert config.delete_secret("llm.api_key") is True
    assert config.get_secret("llm.api_key", environ={}) is None


def test_missing_secret_error_names_what_is_missing_and_how_to_set_it(memory_keyring):
    with pytest.raises(config.MissingSecret) as caught:
        config.require_secret("llm.api_key", "LLM answers (provider ark)", environ={})
    message = str(caught.value)
    assert "LLM answers (provider ark) needs the secret llm.api_key" in message
    assert "ARK_API_KEY" in message and "config set-secret llm.api_key" in message


def test_fail_keyring_backend_is_handled(no_keyring):
    assert config.keyring_available() is False
    assert config.get_secret("llm.api_key", environ={}) is None
    with pytest.raises(config.SecretStoreUnavailable) as caught:
        config.set_secret("llm.api_key", KEY)
    assert "ARK_API_KEY" in str(caught.value) and KEY not in str(caught.value)
    with pytest.raises(config.MissingSecret) as caught:
        config.require_secret("llm.api_key", "LLM answers", environ={})
    assert "no OS keyring is available" in str(caught.value)
    assert config.get_secret("llm.api_key", environ={"ARK_API_KEY": KEY}) == KEY


def test_not_a_secret_name():
    with pytest.raises(KeyError, match="llm.api_key"):
        config.get_secret("audio.gap_ms")


def test_secret_never_appears_in_logs_errors_reprs_or_events(memory_keyring, ini, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    config.set_secret("llm.api_key", KEY)
    monkeypatch.setenv("ARK_API_KEY", KEY)
    text = ini.read_text(encoding="utf-8")
    # the operator also pasted it into the file, once correctly and once under a typo'd key
    text, _ = set_option(text, "llm", "api_key", KEY)
    ini.write_text(text, encoding="utf-8")
    seen: list[str] = []
    with MemoryBus("secrets") as bus:
        got: queue.Queue = queue.Queue()
        bus.subscribe(events.Channel.SYSTEM, got.put)
        store = config.ConfigStore(ini, bus=bus)
        snap = store.current
        assert config.get_secret("llm.api_key", snapshot=snap) == KEY
        assert snap.get("llm", "api_key").reveal() == KEY
        seen += [repr(snap), repr(snap.llm), str(snap.as_dict()), f"{snap.llm.api_key}",
                 repr(config.loads(text).llm.api_key)]
        broken = text.replace("[llm]", f"[llm]\napi_kye = {KEY}\nbogus {KEY}")
        broken, _ = set_option(broken, "llm", "model", KEY + " with spaces: not an id")
        broken, _ = set_option(broken, "llm", "temperature", KEY)
        ini.write_text(broken, encoding="utf-8")
        result = store.reload()
        assert not result.ok and len(result.errors) == 3  # typo key, bogus line, temperature
        seen += list(result.errors)
        seen.append(repr(got.get(timeout=2)))
        ini.write_text(set_option(text, "llm", "api_key", KEY + "-rotated")[0], encoding="utf-8")
        result = store.reload()
        assert result.ok and result.pending_restart == ("llm.api_key",)
        seen.append(repr(got.get(timeout=2)))
        try:
            config.require_secret("llm.api_key", "x", environ={})
        except config.MissingSecret as exc:  # pragma: no cover - the keyring has it
            seen.append(str(exc))
    joined = "\n".join(seen) + "\n" + caplog.text
    assert "api_kye" in joined and "temperature" in joined  # the errors were captured ...
    assert KEY not in joined  # ... and the secret is in none of them
    assert KEY not in "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


def test_redacting_filter_removes_a_resolved_secret_from_log_lines(memory_keyring):
    config.set_secret("llm.api_key", KEY)
    config.get_secret("llm.api_key", environ={})
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(self.format(record))

    handler = Collect()
    handler.addFilter(config.RedactingFilter())
    logger = logging.getLogger("app.test.redact")
    logger.addHandler(handler)
    try:
        logger.error("request failed with header Authorization: Bearer %s", KEY)
    finally:
        logger.removeHandler(handler)
    assert records == ["request failed with header Authorization: Bearer ***"]


def test_a_key_pasted_into_the_wrong_option_is_not_echoed_even_if_never_resolved(default_text, monkeypatch):
    from app.redaction import redact

    monkeypatch.delenv("ARK_API_KEY", raising=False)
    fresh = "ark-7c1d2e3f4a5b6c7d8e9f"
    assert redact(fresh) == fresh  # never resolved here: only the loader itself can hide it
    text, line = set_option(default_text, "llm", "max_retries", fresh)
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    assert caught.value.errors == (
        f"config.ini:{line}: [llm] max_retries: the value (hidden: it looks like a key or password) is not a "
        f"whole number (allowed: whole number 0..10)",)


def test_the_json_log_lines_a_runtime_process_hands_the_app_carry_no_secret(memory_keyring):
    import json

    from app.logs import JsonLineFormatter

    config.set_secret("llm.api_key", KEY)
    config.get_secret("llm.api_key", environ={})
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.addFilter(config.RedactingFilter())
    handler.setFormatter(JsonLineFormatter())
    logger = logging.getLogger("app.test.childlog")
    logger.addHandler(handler)
    try:
        try:
            raise ConnectionError(f"401 for key {KEY}")
        except ConnectionError:
            logger.exception("ark request failed")
    finally:
        logger.removeHandler(handler)
    (line,) = lines
    record = json.loads(line)
    assert record["name"] == "app.test.childlog" and record["level"] == logging.ERROR
    assert "ark request failed" in record["msg"] and "ConnectionError: 401 for key ***" in record["msg"]
    assert KEY not in line
