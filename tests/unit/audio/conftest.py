"""Fixtures for the audio tests (helpers in tests/unit/audio/helpers.py)."""

from __future__ import annotations

import pytest

from tests.unit.audio.helpers import Rig, clip_factory


@pytest.fixture
def clips(tmp_path):
    return clip_factory(tmp_path)


@pytest.fixture
def rig(tmp_path):
    rigs = []

    def make(**kwargs) -> Rig:
        r = Rig(tmp_path, **kwargs)
        rigs.append(r)
        return r

    yield make
    for r in rigs:
        if r.player.running:
            r.stop()
