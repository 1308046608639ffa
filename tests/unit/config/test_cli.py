"""`python main.py config check|set-secret|defaults`."""

from __future__ import annotations

import io

from app import config
from app.cli import main
from tests.unit.config.conftest import set_option


def test_check_reports_every_problem_and_exits_1(ini, capsys):
    text, line = set_option(ini.read_text(encoding="utf-8"), "audio", "chunk_bytes", "big")
    text, line2 = set_option(text, "script", "order", "sometimes")
    ini.write_text(text, encoding="utf-8")
    assert main(["config", "check", str(ini)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"config.ini:{line}: [audio] chunk_bytes: 'big' is not a whole number")
    assert err[1].startswith(f"config.ini:{line2}: [script] order: 'sometimes' is not one of the choices")
    assert err[2] == f"{ini}: 2 problem(s)"


def test_check_ok_and_secret_status_without_the_value(ini, capsys, memory_keyring, monkeypatch):
    monkeypatch.delenv("ARK_API_KEY", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-cli-0123456789abcdef\n"))
    assert main(["config", "set-secret", "llm.api_key"]) == 0
    assert config.get_secret("llm.api_key", environ={}) == "sk-cli-0123456789abcdef"
    assert main(["config", "check", str(ini)]) == 0
    out = capsys.readouterr().out
    assert "OK (" in out and "secret llm.api_key: set (keyring)" in out
    assert "sk-cli" not in out


def test_set_secret_without_a_keyring_says_what_to_do(no_keyring, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("sk-cli-0123456789abcdef\n"))
    assert main(["config", "set-secret", "llm.api_key"]) == 1
    err = capsys.readouterr().err
    assert "no usable OS keyring" in err and "ARK_API_KEY" in err and "sk-cli" not in err


def test_defaults_prints_a_file_that_loads(capsys, tmp_path):
    assert main(["config", "defaults"]) == 0
    path = tmp_path / "config.ini"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    assert config.load(path).get("audio", "chunk_bytes") == 4096
