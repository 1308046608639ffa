"""Settings that tell the truth (issue 22.1): when an option applies is a declaration tied to code.

- Every option is read by the code, and every field of the settings objects the wiring fills
  from config.ini is used by a stage (an option nothing reads would be a knob on nothing).
- Every option declared live has a registered consumer, and each of its consumers passes a
  changed value on to the stage (a registration that only claims the option fails here).
- A stage parameter filled from one option carries the option's name.
"""

from __future__ import annotations

import ast
from types import SimpleNamespace
from unittest import mock

import pytest

from app import config, wiring
from app.audio.mixer import MixingSink
from app.audio.player import AudioPlayer
from app.compliance import ComplianceFilter
from app.config import SCHEMA
from app.config.live import LiveConsumers
from app.config.types import Bool, Choice, Float, Int, IntChoice, ListOf, PathValue, Url
from app.llm.worker import LlmWorker
from app.reply.policy import ReplyPolicy
from app.script.scheduler import ScriptScheduler
from app.text.prepare import TextPreparer
from app.tts.pool import TtsPool
from tests.unit.config.code_reads import ROOT, options_read, python_files, read_calls

#: Options the main window applies itself (registered on the store it shows); their consumer is
#: checked by tests/gui/test_settings.py::test_the_window_applies_its_own_live_options.
WINDOW_SECTIONS = ("ui",)

#: A stage parameter filled from one option with another name, and why.
OTHER_NAMES = {
    "lock_wait_s": "a second use of [tts] request_timeout_s: another program's request is waited for as long "
                   "as one request may take",
    "output_rate": "[audio] sample_rate is the TTS stage's output rate; in app/tts a sample_rate is each clip's own",
}


# ---- (a) nothing configurable is read by nothing ------------------------------------------------

def test_every_option_is_read_by_the_code():
    read = options_read("app", "ui")
    unread = [o.name for o in SCHEMA if (o.section, o.key) not in read]
    assert unread == [], "options in app/config that no code in app/ or ui/ reads"


def _filled_fields(tree: ast.AST) -> list[tuple[str, str, int]]:
    """(class, field, line) for each keyword of a call in wiring.py whose value reads an option."""
    reads = {id(call) for call, _ in read_calls(tree)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id[:1].isupper():
            for kw in node.keywords:
                if kw.arg and any(id(n) in reads for n in ast.walk(kw.value)):
                    out.append((node.func.id, kw.arg, node.lineno))
    return out


def _attribute_uses(exclude: set[str]) -> set[str]:
    """Attribute names read anywhere in app/ outside ``exclude`` files and ``__post_init__``."""
    used: set[str] = set()
    for path in python_files("app"):
        if path.name in exclude:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "__post_init__"
                for n in ast.walk(f)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and id(n) not in skip}
    return used


def test_every_settings_field_filled_from_config_is_used_by_a_stage():
    filled = _filled_fields(ast.parse((ROOT / "app" / "wiring.py").read_text(encoding="utf-8")))
    assert len({cls for cls, _, _ in filled}) >= 10  # the scan sees the settings objects
    used = _attribute_uses({"wiring.py"})
    unused = [f"app/wiring.py:{line}: {cls}.{name}" for cls, name, line in filled if name not in used]
    assert unused == [], "settings filled from config.ini that no stage reads"


def test_the_checks_above_fail_for_an_option_nobody_uses():
    """The example of issue 22: [reply] gift_thanks mapped by the wiring, read by no stage."""
    source = "def f(snap):\n    return ReplySettings(gift_thanks=snap.get('reply', 'gift_thanks'))\n"
    filled = _filled_fields(ast.parse(source))
    assert filled == [("ReplySettings", "gift_thanks", 2)]
    assert "gift_thanks" in _attribute_uses({"wiring.py"})
    assert "gift_thanks" not in _attribute_uses({"wiring.py", "policy_thanks.py"})  # the one stage file that reads it


# ---- (b) a live option has a consumer that passes it on -----------------------------------------

BASE = """
[tts]
servers = http://127.0.0.1:9880
[voice.default]
ref_audio = refs/a.wav
[voice.b]
ref_audio = refs/b.wav
"""


@pytest.fixture(scope="module")
def base():
    return config.loads(BASE)


def _player():
    player = mock.create_autospec(AudioPlayer, instance=True)
    player.sink = mock.create_autospec(MixingSink, instance=True)  # the device, music and monitor
    return player


def _stages():
    """The runtime's stages as the consumers see them: autospec'd, so a consumer calling a
    method the stage does not have fails."""
    return SimpleNamespace(
        reply=mock.create_autospec(ReplyPolicy, instance=True),
        player=_player(),
        scheduler=mock.create_autospec(ScriptScheduler, instance=True),
        tts=mock.create_autospec(TtsPool, instance=True),
        llm_worker=mock.create_autospec(LlmWorker, instance=True),
        compliance=mock.create_autospec(ComplianceFilter, instance=True),
        preparer=mock.create_autospec(TextPreparer, instance=True),
        demo=False)


def _another(opt, value, snap):
    """A valid value of ``opt`` other than ``value``."""
    t = opt.type
    if opt.name == "tts.voices":
        return tuple(reversed(list(snap.instances("voice"))))
    if isinstance(t, Bool):
        return not value
    if isinstance(t, (Choice, IntChoice)):
        return next(c for c in t.choices if c != value)
    if isinstance(t, Int):
        return value + 1 if t.max is None or value + 1 <= t.max else value - 1
    if isinstance(t, Float):
        lo, hi = t.min if t.min is not None else value - 1, t.max if t.max is not None else value + 1
        return (value + hi) / 2 if value < hi else (value + lo) / 2
    if isinstance(t, ListOf):
        if isinstance(t.item, Int):
            return tuple(value) + ((value[-1] + 1) if value else 1,)
        return tuple(value) + ("http://127.0.0.1:9999" if isinstance(t.item, Url) else "新词",)
    if isinstance(t, PathValue):
        return "elsewhere/folder"
    candidates = ("改过的文字", "abc9", "15m")
    return next(c for c in candidates if c != value and _valid(t, c))


def _valid(t, text) -> bool:
    try:
        t.parse(text)
    except ValueError:
        return False
    return True


def _received(stages, consumers, snap) -> list:
    """What the stages receive when ``consumers`` apply ``snap``."""
    names = ("reply", "player", "scheduler", "tts", "llm_worker", "compliance", "preparer")
    for name in names:
        getattr(stages, name).reset_mock()
    for consumer in consumers:
        consumer.apply(snap)
    return [(name, getattr(stages, name).mock_calls) for name in names]


def _live_options(snap):
    """(option name as a reload reports it, Option) of every live option of ``snap``."""
    for (section, key), _ in snap.items():
        opt = SCHEMA.option(section, key)
        if opt.live and section.partition(".")[0] not in WINDOW_SECTIONS:
            yield f"{section}.{key}", opt


def check_live_consumers(register, base) -> list[str]:
    """Problems with the consumers ``register(live, stages)`` makes, for every live option."""
    live, stages = LiveConsumers(SCHEMA), _stages()
    register(live, stages)
    problems = []
    for name, opt in _live_options(base):
        section, _, key = name.rpartition(".")
        consumers = live.consumers_of(name)
        if not consumers:
            problems.append(f"{name}: declared live, but no consumer is registered for it")
            continue
        changed = base.replace({(section, key): _another(opt, base.get(section, key), base)})
        for consumer in consumers:
            if _received(stages, [consumer], changed) == _received(stages, [consumer], base):
                problems.append(f"{name}: the consumer {consumer.name} registered for it passes no change on")
    return problems


def test_every_live_option_has_a_consumer_that_passes_the_change_on(base):
    assert len(list(_live_options(base))) > 90  # voices included
    assert check_live_consumers(wiring.register_live, base) == []


def test_the_check_fails_for_a_live_option_without_a_consumer_and_for_a_consumer_that_only_claims(base):
    def without_speed_jitter(live, rt):
        consumers = wiring.register_live(live, rt)
        tts = next(c for c in consumers if "tts.speed_jitter" in c.patterns)
        live.unregister(tts)
        live.register(tts.name, [p for p in tts.patterns if p != "tts.speed_jitter"], tts.apply)

    assert check_live_consumers(without_speed_jitter, base) == [
        "tts.speed_jitter: declared live, but no consumer is registered for it"]

    def claims_too_much(live, rt):
        wiring.register_live(live, rt)
        live.register("话术", ["audio.gap_ms"], lambda snap: rt.scheduler.configure(**wiring.scheduler_kwargs(snap)))

    assert check_live_consumers(claims_too_much, base) == [
        "audio.gap_ms: the consumer 话术 registered for it passes no change on"]


def test_a_consumer_cannot_register_for_an_option_that_is_not_live():
    live = LiveConsumers(SCHEMA)
    with pytest.raises(ValueError, match="audio.sample_rate is declared applies='start'"):
        live.register("播放", ["audio.sample_rate"], lambda snap: None)
    with pytest.raises(ValueError, match="not a config option"):
        live.register("播放", ["audio.sample_rat"], lambda snap: None)
    consumer = live.register("语音合成", ["tts"], lambda snap: None)  # a section: its live options only
    assert live.consumers_of("tts.speed_jitter") == [consumer] and live.consumers_of("tts.workers") == []


def test_the_store_calls_the_consumers_of_what_changed_and_reports_each_option(ini):
    from tests.unit.config.conftest import set_option

    store = config.ConfigStore(ini)
    seen = []
    store.live.register("播放", ["audio.gap_ms"], lambda snap: seen.append(snap.get("audio", "gap_ms")))

    def broken(snap):
        raise RuntimeError("词表目录不存在")

    store.live.register("合规过滤", ["compliance.lists_dir"], broken)
    updates = []
    store.add_listener(updates.append)
    text, _ = set_option(ini.read_text(encoding="utf-8"), "audio", "gap_ms", "400")
    text, _ = set_option(text, "compliance", "lists_dir", "nowhere")
    text, _ = set_option(text, "reply", "welcome_max_names", "5")  # live, but nobody running applies it now
    text, _ = set_option(text, "audio", "sample_rate", "48000")  # read at 开播
    ini.write_text(text, encoding="utf-8")
    result = store.reload()
    assert seen == [400]
    (update,) = updates
    assert update.live.applied == ("audio.gap_ms",)
    assert update.live.failed == (("compliance.lists_dir", "合规过滤: 词表目录不存在"),)
    assert update.live.unconsumed == ("reply.welcome_max_names",)
    assert result.pending_restart == ("audio.sample_rate",)


# ---- one name per option ------------------------------------------------------------------------

def _bare_read(node: ast.expr, reads: dict) -> tuple[str, str] | None:
    """The option ``node`` is (a read, possibly wrapped in tuple()/list()), else None."""
    if id(node) in reads:
        return reads[id(node)]
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tuple", "list")
            and len(node.args) == 1):
        return _bare_read(node.args[0], reads)
    return None


def renamed(source: str) -> list[str]:
    tree = ast.parse(source)
    reads = {id(call): option for call, option in read_calls(tree)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                option = _bare_read(kw.value, reads) if kw.arg else None
                if option and option[1] != kw.arg and kw.arg not in OTHER_NAMES:
                    out.append(f"{node.lineno}: {kw.arg} = [{option[0]}] {option[1]}")
    return out


def test_a_stage_parameter_filled_from_one_option_carries_its_name():
    assert renamed("x = S(gift_window=g('reply', 'gift_window_s'), welcome=tuple(g('reply', 'welcome')))") == [
        "1: gift_window = [reply] gift_window_s"]
    problems = [f"{f}:{p}" for f in ("app/wiring.py", "app/runtime.py")
                for p in renamed((ROOT / f).read_text(encoding="utf-8"))]
    assert problems == [], "rename the stage parameter to the option's name"


def test_the_other_names_are_still_used():
    source = (ROOT / "app" / "wiring.py").read_text(encoding="utf-8")
    assert all(f"{name}=" in source for name in OTHER_NAMES)

