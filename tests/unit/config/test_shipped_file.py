"""The shipped config.ini and the schema describe the same options, with the same defaults."""

from __future__ import annotations

import json
from pathlib import Path

from configupdater import ConfigUpdater

from app import config
from app.config.types import Secret

SHIPPED = Path(__file__).resolve().parents[3] / "config.ini"


def _file_keys(path: Path) -> dict[tuple[str, str], str]:
    updater = ConfigUpdater()
    updater.read(path, encoding="utf-8")
    return {(s.name, o.key): o.value or "" for s in updater.iter_sections() for o in s.iter_options()}


def _schema_keys() -> set[tuple[str, str]]:
    keys = set()
    for spec in config.schema.sections:
        name = f"{spec.name}.{spec.example}" if spec.pattern else spec.name
        keys |= {(name, o.key) for o in spec.options}
    return keys


def test_every_key_in_the_shipped_file_is_in_the_schema_and_back():
    in_file = set(_file_keys(SHIPPED))
    in_schema = _schema_keys()
    assert sorted(in_file - in_schema) == [], "keys in config.ini that the schema does not declare"
    assert sorted(in_schema - in_file) == [], "schema options missing from the shipped config.ini"


def test_shipped_file_loads_and_every_value_is_the_default():
    snap = config.load(SHIPPED)
    for spec in config.schema.sections:
        section = f"{spec.name}.{spec.example}" if spec.pattern else spec.name
        for opt in spec.options:
            assert snap.get(section, opt.key) == opt.default_value, f"[{section}] {opt.key}"
            assert snap.in_file(section, opt.key)


def test_shipped_file_holds_no_secret_value():
    values = _file_keys(SHIPPED)
    secrets = [(o.section, o.key) for o in config.schema if o.secret]
    assert secrets, "the schema declares the Ark key as a secret"
    for key in secrets:
        assert values[key] == ""


def test_schema_describes_itself_for_a_generated_form():
    described = config.schema.describe()
    json.dumps(described, ensure_ascii=False)  # the GUI may ship it as JSON
    by_key = {(s["name"], o["key"]): o for s in described for o in s["options"]}
    assert by_key["audio", "chunk_bytes"]["kind"] == "int"
    assert (by_key["audio", "chunk_bytes"]["min"], by_key["audio", "chunk_bytes"]["max"]) == (256, 65536)
    assert by_key["llm", "provider"]["choices"] == ["ark", "ollama", "none"]
    assert by_key["llm", "api_key"]["secret"] is True and by_key["llm", "api_key"]["env"] == "ARK_API_KEY"
    assert by_key["audio", "sample_rate"]["live"] is False
    assert by_key["audio", "gap_ms"]["live"] is True
    assert [s for s in described if s["pattern"]][0]["header"] == "voice.NAME"
    for option in config.schema:
        assert option.zh.strip() and option.en.strip(), f"{option.section}.{option.key} needs both descriptions"


def test_snapshot_access_forms_agree(ini):
    snap = config.load(ini)
    assert snap.get("audio", "chunk_bytes") == snap.audio.chunk_bytes == snap.audio["chunk_bytes"] == 4096
    assert isinstance(snap.llm.api_key, Secret)
    assert list(snap.instances("voice")) == ["default"]
    assert snap.get("voice.default", "speed") == snap.instances("voice")["default"].speed == 1.0
    assert snap.path("store", "db_path") == (ini.parent / "data" / "live.sqlite3").resolve()
    assert config.defaults().get("tts", "servers") == ("http://127.0.0.1:9880",)
