"""``SCHEMA``: every section and option of config.ini, and the checks that span options."""

from __future__ import annotations

from typing import Any

from app.config import options_room, options_stream
from app.config.schema import Rule, Schema
from app.config.types import num

Values = dict[tuple[str, str], Any]


def _not_above(lo: tuple[str, str], hi: tuple[str, str]):
    def check(v: Values) -> str | None:
        if v[lo] > v[hi]:
            return f"{num(v[lo])} is larger than [{hi[0]}] {hi[1]} = {num(v[hi])}"
        return None
    return check


def _below(lo: tuple[str, str], hi: tuple[str, str]):
    def check(v: Values) -> str | None:
        if v[lo] >= v[hi]:
            return f"{num(v[lo])} must be smaller than [{hi[0]}] {hi[1]} = {num(v[hi])}"
        return None
    return check


def _model_needed(v: Values) -> str | None:
    if v["llm", "provider"] != "none" and not v["llm", "model"]:
        return f"is empty but provider = {v['llm', 'provider']} needs a model name or endpoint id"
    return None


def _chunk_whole_frames(v: Values) -> str | None:
    # 16-bit mono: a chunk that splits a sample would click on every write.
    if v["audio", "chunk_bytes"] % 2:
        return f"{v['audio', 'chunk_bytes']} is odd; it must hold whole 16-bit samples (an even number)"
    return None


def _voices_exist(v: Values) -> str | None:
    declared = {section.partition(".")[2] for section, _ in v if section.startswith("voice.")}
    missing = [name for name in v["tts", "voices"] if name not in declared]
    if missing:
        return f"names voice(s) with no [voice.NAME] section: {', '.join(missing)}"
    return None


def _v1_voices_complete(v: Values):
    """Legacy api.py speaks its preset voice when a reference field is empty and its /set_model
    needs both weight paths (protocols §7.8): with api_version = v1 that is a config error on
    the voice's own line, not a silently wrong voice."""
    if v["tts", "api_version"] != "v1" or not v["tts", "servers"]:
        return None
    declared = sorted({section for section, _ in v if section.startswith("voice.")})
    chosen = [f"voice.{name}" for name in v["tts", "voices"]] or declared
    out = []
    for section in chosen:
        if section not in declared or not v[section, "enabled"]:
            continue
        for key in ("ref_audio", "prompt_text", "prompt_lang"):
            if not v[section, key]:
                out.append(((section, key), "is empty; with [tts] api_version = v1 api.py would silently speak "
                                            "its preset voice instead (参考音频、参考文本、参考语言都必须填写)"))
        gpt, sovits = v[section, "gpt_weights"], v[section, "sovits_weights"]
        if bool(gpt) != bool(sovits):
            key = "gpt_weights" if not gpt else "sovits_weights"
            out.append(((section, key), "is empty but the other weight path is set; api.py's /set_model needs "
                                        "both (两个模型路径要么都填，要么都留空)"))
    return out or None


RULES = (
    Rule(("douyin", "reconnect_initial_s"), _not_above(("douyin", "reconnect_initial_s"),
                                                       ("douyin", "reconnect_max_s"))),
    Rule(("llm", "connect_timeout_s"), _not_above(("llm", "connect_timeout_s"), ("llm", "total_timeout_s"))),
    Rule(("llm", "first_token_timeout_s"), _not_above(("llm", "first_token_timeout_s"),
                                                      ("llm", "total_timeout_s"))),
    Rule(("llm", "model"), _model_needed),
    Rule(("reply", "gift_window_s"), _not_above(("reply", "gift_window_s"), ("reply", "gift_max_wait_s"))),
    Rule(("douyin", "ping_timeout_s"), _below(("douyin", "ping_timeout_s"), ("douyin", "stall_timeout_s"))),
    Rule(("tts", "min_chars_per_s"), _below(("tts", "min_chars_per_s"), ("tts", "max_chars_per_s"))),
    Rule(("tts", "voices"), _voices_exist),
    Rule(("tts", "api_version"), _v1_voices_complete),
    Rule(("audio", "chunk_bytes"), _chunk_whole_frames),
    Rule(("priority", "interrupt_gap"), _not_above(("priority", "interrupt_gap"),
                                                   ("priority", "late_interrupt_gap"))),
)

SCHEMA = Schema(sections=(*options_stream.SECTIONS, *options_room.SECTIONS), rules=RULES)
