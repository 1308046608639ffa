"""Whole-file validation: every problem at once, each as
``config.ini:LINE: [section] key: what is wrong (allowed: …)``."""

from __future__ import annotations

import re

import pytest

from app import config
from tests.unit.config.conftest import option_line, set_option

BAD_VALUES = [
    # (section, key, bad value, words the reason must contain)
    ("audio", "chunk_bytes", "4k", "is not a whole number"),
    ("audio", "chunk_bytes", "100", "below the minimum 256"),
    ("tts", "vad_mode", "4", "above the maximum 3"),
    ("priority", "late_fraction", "eighty", "is not a number"),
    ("tts", "min_voiced_ratio", "nan", "not a finite number"),
    ("reply", "welcome", "maybe", "is not true or false"),
    ("audio", "backend", "alsa", "is not one of the choices"),
    ("audio", "sample_rate", "44000", "is not one of the choices"),
    ("bus", "namespace", "room:1", "is not a name of letters"),
    ("douyin", "url", "http://127.0.0.1:8888", "does not start with ws:// or wss://"),
    ("bus", "url", "redis://:notaport/0", "not a valid URL"),
    ("tts", "servers", "http://a:9880,", "item 2 is empty"),
    ("tts", "servers", "http://a:9880, ftp://b", "item 2:"),
    ("reply", "like_milestones", "100, 50", "increasing order"),
    ("store", "db_path", "", "must not be empty"),
]


@pytest.mark.parametrize(("section", "key", "value", "reason"), BAD_VALUES)
def test_a_bad_value_names_file_line_section_key_and_what_is_allowed(default_text, section, key, value, reason):
    text, line = set_option(default_text, section, key, value)
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    assert len(caught.value.errors) == 1, caught.value.errors
    message = caught.value.errors[0]
    assert message.startswith(f"config.ini:{line}: [{section}] {key}: "), message
    assert reason in message
    opt = config.schema.option(section, key)
    assert message.endswith(f"(allowed: {opt.type.allowed()})")


def test_every_problem_is_reported_at_once_in_line_order(default_text):
    text, l1 = set_option(default_text, "llm", "thinking", "purple")
    text, l2 = set_option(text, "audio", "gap_ms", "-1")
    text, l3 = set_option(text, "douyin", "stall_timeout_s", "soon")
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    lines = [int(re.match(r"config\.ini:(\d+):", e).group(1)) for e in caught.value.errors]
    assert lines == sorted([l1, l2, l3])


def test_unknown_key_is_reported_with_a_suggestion(default_text):
    line = option_line(default_text, "audio", "chunk_bytes")
    text = default_text.replace("chunk_bytes = 4096", "chunk_bytes = 4096\nchunk_byte = 2048")
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    (message,) = caught.value.errors
    assert message.startswith(f"config.ini:{line + 1}: [audio] chunk_byte: unknown key, did you mean chunk_bytes?")
    assert "(allowed: backend, wav_path" in message


def test_unknown_section_is_reported(default_text):
    text = default_text + "\n[ttss]\nworkers = 2\n"
    line = text.splitlines().index("[ttss]") + 1
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    (message,) = caught.value.errors
    assert message.startswith(f"config.ini:{line}: [ttss]: unknown section, did you mean tts?")
    assert "voice.NAME" in message


def test_duplicate_key_and_unparsable_line_are_reported_with_other_errors(default_text):
    text, bad_line = set_option(default_text, "llm", "thinking", "purple")
    lines = text.splitlines(keepends=True)
    gap_line = option_line(text, "audio", "gap_ms")
    lines.insert(gap_line, "gap_ms = 100\n")  # set twice, on the next line
    bus_header = lines.index("[bus]\n") + 1
    lines.insert(bus_header, "this line has no equals sign\n")  # right after [bus]
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads("".join(lines))
    assert caught.value.errors == (
        f"config.ini:{bus_header + 1}: not a `key = value` line, a [section] header or a comment",
        f"config.ini:{bad_line + 1}: [llm] thinking: 'purple' is not one of the choices (allowed: default | enabled | disabled | auto)",
        f"config.ini:{gap_line + 2}: [audio] gap_ms: set twice (first at line {gap_line + 1})",
    )


def test_setting_before_any_section(default_text):
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads("# settings\ngap_ms = 100\n" + default_text)
    assert caught.value.errors == ("config.ini:2: a setting before any [section] header",)


def test_rules_across_options(default_text):
    text, line = set_option(default_text, "priority", "interrupt_gap", "9")
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    assert caught.value.errors == (
        f"config.ini:{line}: [priority] interrupt_gap: 9 is larger than [priority] late_interrupt_gap = 8",)
    text, line = set_option(default_text, "tts", "voices", "default, narrator")
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    assert caught.value.errors == (
        f"config.ini:{line}: [tts] voices: names voice(s) with no [voice.NAME] section: narrator",)


def test_pattern_sections_take_defaults_and_are_validated(default_text):
    text = default_text + "\n[voice.narrator]\nspeed = 1.2\ntop_k = 0\n"
    with pytest.raises(config.ConfigErrors) as caught:
        config.loads(text)
    (message,) = caught.value.errors
    assert re.match(r"config\.ini:\d+: \[voice\.narrator\] top_k: 0 is below the minimum 1", message)
    snap = config.loads(default_text + "\n[voice.narrator]\nspeed = 1.2\n")
    assert list(snap.instances("voice")) == ["default", "narrator"]
    assert snap.get("voice.narrator", "speed") == 1.2
    assert snap.get("voice.narrator", "top_k") == 15  # the default


def test_not_utf8(tmp_path):
    path = tmp_path / "config.ini"
    path.write_bytes(b"[ui]\ndashboard_refresh_hz = 10\nevents_feed_max = \xb0\xd7\n")
    with pytest.raises(config.ConfigErrors) as caught:
        config.load(path)
    assert caught.value.errors == ("config.ini:3: not valid UTF-8 text (save the file as UTF-8)",)


def test_inline_comments_and_a_bom_are_accepted(default_text):
    text = "\ufeff" + default_text.replace("gap_ms = 150", "gap_ms = 200   # a bit longer")
    snap = config.loads(text)
    assert snap.get("audio", "gap_ms") == 200


def test_missing_options_take_defaults_on_first_load():
    snap = config.loads("[audio]\ngap_ms = 90\n")
    assert snap.get("audio", "gap_ms") == 90
    assert snap.get("audio", "chunk_bytes") == 4096
    assert not snap.in_file("audio", "chunk_bytes")
