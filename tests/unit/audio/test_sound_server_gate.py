"""The sound-server tests skip only where the server truly cannot run, and CI (which sets
LIVE_REQUIRE_SOUND_SERVER=1 in .ci/run) turns that into a failure."""

from __future__ import annotations

import shutil

import pytest

from tests import pulse_server
from tests.pulse_server import PulseServer


def test_a_missing_sound_server_skips_with_the_reason(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv(pulse_server.REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="pulseaudio.*not installed"):
        PulseServer({"a": "A"}, root=tmp_path).start()


def test_ci_makes_a_missing_sound_server_a_failure(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setenv(pulse_server.REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="must run here"):
        PulseServer({"a": "A"}, root=tmp_path).start()


def test_ci_run_requires_the_sound_server():
    text = (pulse_server.Path(__file__).resolve().parents[3] / ".ci" / "run").read_text(encoding="utf-8")
    assert f"export {pulse_server.REQUIRE_ENV}=1" in text and "apt-get install" in text
