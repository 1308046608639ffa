"""Variant generation: valid markup accepted, invalid markup fixed once, else a clear failure."""

from __future__ import annotations

import threading

import pytest

from app.llm import errors
from app.llm.variants import VariantGenerationFailed, generate_variants
from app.text.variants import check
from tests.standins.llm_common import Behaviour

BASE = "宝宝们，这款T恤今天只要${price}。"
VALID = "{宝宝们|家人们}，这款T恤{今天|现在}只要${price}。"
INVALID = "{宝宝们|家人们，这款T恤{今天|现在}只要${price}。"


def validate(text: str) -> list[str]:
    return [str(e) for e in check(text)]


def test_valid_markup_is_accepted_first_time(rig_factory):
    rig = rig_factory(Behaviour(answers=[VALID]))
    steps = []
    out = generate_variants(rig.client(), BASE, validate, progress=lambda s, m: steps.append(s))
    assert out == VALID and validate(out) == []
    assert len(rig.requests) == 1
    system = rig.requests[0].body["messages"][0]["content"]
    assert "{甲|乙|丙}" in system and "${" in system  # the syntax is explained
    assert rig.requests[0].body["messages"][1]["content"] == BASE
    assert steps[0] == "request" and steps[-1] == "done"


def test_invalid_markup_is_retried_once_with_the_errors(rig_factory):
    rig = rig_factory(Behaviour(answers=[INVALID, "```\n" + VALID + "\n```"]))
    out = generate_variants(rig.client(), BASE, validate)
    assert out == VALID
    assert len(rig.requests) == 2
    second = rig.requests[1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": INVALID}
    for err in validate(INVALID):
        assert err in second[-1]["content"]


def test_invalid_twice_is_a_clear_failure(rig_factory):
    rig = rig_factory(Behaviour(answers=[INVALID, INVALID]))
    with pytest.raises(VariantGenerationFailed) as exc:
        generate_variants(rig.client(), BASE, validate)
    assert exc.value.errors == validate(INVALID)
    assert exc.value.last_text == INVALID
    assert "1:" in str(exc.value)  # line:col of the problem is shown
    assert len(rig.requests) == 2


def test_service_failure_is_wrapped(rig_factory):
    rig = rig_factory(Behaviour(failures=["404"]))
    with pytest.raises(VariantGenerationFailed) as exc:
        generate_variants(rig.client(), BASE, validate)
    assert isinstance(exc.value.__cause__, errors.ModelNotFound)


def test_generation_can_be_cancelled(rig_factory):
    rig = rig_factory(Behaviour(answers=[VALID * 10], tokens_per_s=50))
    cancel = threading.Event()
    threading.Timer(0.15, cancel.set).start()
    with pytest.raises(errors.Cancelled):
        generate_variants(rig.client(), BASE, validate, cancel=cancel)
