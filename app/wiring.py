"""From a config snapshot to each stage's own settings, at a start and live.

Stages take plain parameters and know nothing of config.ini; this module is the one place that
maps option names onto them, so a renamed option or parameter breaks here, loudly, in one
file. Every read uses ``snap.get(section, key)`` (the form the config static check verifies).
A stage parameter filled from one option carries the option's name (a test checks it).

``register_live`` says which running stage applies which live option, and how
(``app.config.live``); tests/unit/config/test_live_options.py checks that every option declared
live has a consumer here (or in the main window, for the window's own options).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app import paths
from app.audio.output_settings import MusicSettings, OutputSettings
from app.audio.state_machine import Thresholds
from app.config import Snapshot
from app.config.live import Consumer, LiveConsumers
from app.director import DirectorSettings
from app.live.listener import ListenerSettings
from app.logs import get_logger
from app.media.wav import ai_label_info
from app.reply.settings import ReplySettings
from app.text.prepare import SpeechLimits
from app.tts.postprocess import PostSettings
from app.tts.quality import CheckSettings
from app.tts.settings import PoolSettings, ServerSpec, VoiceModel

log = get_logger("wiring")


def resolve(snap: Snapshot, section: str, key: str) -> Path:
    """A path option: absolute as written, else relative to the operator's folder."""
    value = Path(str(snap.get(section, key)))
    return value if value.is_absolute() else paths.user_root() / value


# ---- live feed ------------------------------------------------------------------------------

def listener_settings(snap: Snapshot) -> ListenerSettings:
    return ListenerSettings(
        reconnect_initial_s=snap.get("douyin", "reconnect_initial_s"),
        reconnect_max_s=snap.get("douyin", "reconnect_max_s"),
        ping_interval_s=snap.get("douyin", "ping_interval_s"),
        ping_timeout_s=snap.get("douyin", "ping_timeout_s"),
        stall_timeout_s=snap.get("douyin", "stall_timeout_s"),
        open_timeout_s=snap.get("douyin", "open_timeout_s"),
        health_interval_s=snap.get("douyin", "health_interval_s"),
        max_buffered_events=snap.get("douyin", "max_buffered_events"),
        dedup_window=snap.get("douyin", "dedup_window"),
        room=snap.get("douyin", "room"),
    )


# ---- reply policy ---------------------------------------------------------------------------

def reply_settings(snap: Snapshot, *, llm_enabled: bool) -> ReplySettings:
    g = snap.get
    return ReplySettings(
        gift_thanks=g("reply", "gift_thanks"),
        gift_window_s=g("reply", "gift_window_s"), gift_max_wait_s=g("reply", "gift_max_wait_s"),
        large_gift_window_s=g("reply", "large_gift_window_s"),
        gift_thanks_per_minute=g("reply", "gift_thanks_per_minute"),
        gift_pool_window_s=g("reply", "gift_pool_window_s"),
        guest_gift_thanks=g("reply", "guest_gift_thanks"), answer_admins=g("reply", "answer_admins"),
        thanks_share_max=g("director", "thanks_share_max"), answer_share_max=g("director", "answer_share_max"),
        answer_wait_max_s=g("director", "answer_wait_max_s"), faq_readings=g("director", "faq_readings"),
        llm_answer_estimate_s=g("director", "llm_answer_estimate_s"),
        welcome=g("reply", "welcome"), welcome_batch_window_s=g("reply", "welcome_batch_window_s"),
        welcome_max_names=g("reply", "welcome_max_names"),
        welcome_min_interval_s=g("reply", "welcome_min_interval_s"),
        welcome_repeat_after_s=g("reply", "welcome_repeat_after_s"),
        follow_thanks=g("reply", "follow_thanks"), follow_window_s=g("reply", "follow_window_s"),
        follow_max_names=g("reply", "follow_max_names"),
        follow_min_interval_s=g("reply", "follow_min_interval_s"),
        like_milestones=tuple(g("reply", "like_milestones")),
        like_milestone_every=g("reply", "like_milestone_every"),
        share_thanks=g("reply", "share_thanks"), fansclub_thanks=g("reply", "fansclub_thanks"),
        thanks_min_interval_s=g("reply", "thanks_min_interval_s"),
        duplicate_window_s=g("reply", "duplicate_window_s"), user_cooldown_s=g("reply", "user_cooldown_s"),
        replies_per_minute=g("reply", "replies_per_minute"),
        llm_enabled=llm_enabled and g("reply", "answer_comments"),
        question_words=tuple(g("reply", "question_words")),
        question_endings=tuple(g("reply", "question_endings")),
        fallback_nickname=g("reply", "fallback_nickname"),
        max_nickname_chars=g("reply", "max_nickname_chars"),
        stale_gift_s=g("reply", "stale_gift_s"), stale_welcome_s=g("reply", "stale_welcome_s"),
        stale_follow_s=g("reply", "stale_follow_s"), stale_like_s=g("reply", "stale_like_s"),
        stale_reply_s=g("reply", "stale_reply_s"), stale_llm_s=g("reply", "stale_llm_s"),
        large_gift_diamonds=g("priority", "large_gift_diamonds"),
        level_bonus_divisor=g("priority", "level_bonus_divisor"), level_bonus_max=g("priority", "level_bonus_max"),
        activity_bonus_divisor=g("priority", "activity_bonus_divisor"),
        activity_bonus_max=g("priority", "activity_bonus_max"),
        vip_user_level=g("priority", "vip_user_level"),
    )


# ---- TTS ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TtsSetup:
    servers: list[ServerSpec]
    voices: list[VoiceModel]
    settings: PoolSettings
    cache_dir: Path
    notes: tuple[str, ...]  # why something configured is not used, for health/self-test


def voice_models(snap: Snapshot) -> tuple[list[VoiceModel], list[str]]:
    """Enabled ``[voice.NAME]`` sections in ``[tts] voices`` order (empty = file order).
    A voice without a reference clip cannot be used by GPT-SoVITS: noted, skipped."""
    sections = snap.instances("voice")
    order = list(snap.get("tts", "voices")) or list(sections)
    voices, notes = [], []
    for name in order:
        v = sections.get(name)
        if v is None or not snap.get(f"voice.{name}", "enabled"):
            continue
        if not snap.get(f"voice.{name}", "ref_audio"):
            notes.append(f"[voice.{name}] ref_audio is empty: voice not used")
            continue
        voices.append(VoiceModel(
            name=name, ref_audio=snap.get(f"voice.{name}", "ref_audio"),
            prompt_text=snap.get(f"voice.{name}", "prompt_text"),
            prompt_lang=snap.get(f"voice.{name}", "prompt_lang"),
            text_lang=snap.get(f"voice.{name}", "text_lang"),
            gpt_weights=snap.get(f"voice.{name}", "gpt_weights") or None,
            sovits_weights=snap.get(f"voice.{name}", "sovits_weights") or None,
            speed=snap.get(f"voice.{name}", "speed"), top_k=snap.get(f"voice.{name}", "top_k"),
            top_p=snap.get(f"voice.{name}", "top_p"), temperature=snap.get(f"voice.{name}", "temperature")))
    return voices, notes


def concurrency_warning(n: int) -> str:
    return (f"[tts] per_server_concurrency = {n}: GPT-SoVITS computes one request at a time; more in flight "
            f"only queue on the server and turn into time-outs (protocols §7.7). Set it to 1 "
            f"（GPT-SoVITS 一次只能合成一句，建议改回 1）")


def config_warnings(snap: Snapshot) -> list[str]:
    """Valid settings that will hurt the stream (``config check`` prints them)."""
    n = snap.get("tts", "per_server_concurrency")
    return [concurrency_warning(n)] if n > 1 and snap.get("tts", "servers") else []


def tts_setup(snap: Snapshot, *, output_rate: int, espeak_only: bool = False) -> TtsSetup:
    g = snap.get
    voices, notes = voice_models(snap)
    servers = [ServerSpec(url=u, api_version=g("tts", "api_version"),
                          per_server_concurrency=g("tts", "per_server_concurrency")) for u in g("tts", "servers")]
    if servers and g("tts", "per_server_concurrency") > 1:
        notes.append(concurrency_warning(g("tts", "per_server_concurrency")))
    if espeak_only:
        servers, voices, notes = [], [], ["demo mode: espeak-ng speaks everything"]
    elif servers and not voices:
        notes.append("no usable GPT-SoVITS voice model: espeak-ng speaks everything")
        servers = []
    settings = PoolSettings(
        workers=g("tts", "workers"), queue_max=g("tts", "queue_max"), max_attempts=g("tts", "max_attempts"),
        connect_timeout_s=g("tts", "connect_timeout_s"), request_timeout_s=g("tts", "request_timeout_s"),
        need_deadline_s=g("tts", "need_deadline_s"), silent_deadline_s=g("tts", "silent_deadline_s"),
        bench_after_timeouts=g("tts", "bench_after_timeouts"),
        reassert_weights_s=g("tts", "reassert_weights_minutes") * 60.0,
        # another program's request on the same server is waited for as long as one request may take
        lock_wait_s=g("tts", "request_timeout_s"), lock_dir=str(paths.data_dir() / "cache" / "locks"),
        bench_after_failures=g("tts", "bench_after_failures"), bench_seconds=g("tts", "bench_seconds"),
        fallback=g("tts", "fallback") == "espeak",
        espeak_voice=g("tts", "espeak_voice"), espeak_rate_wpm=g("tts", "espeak_rate_wpm"),
        cache_max_bytes=g("tts", "cache_max_mb") * 1_000_000,
        check=CheckSettings(min_voiced_ratio=g("tts", "min_voiced_ratio"),
                            min_chars_per_s=g("tts", "min_chars_per_s"), max_chars_per_s=g("tts", "max_chars_per_s"),
                            vad_mode=g("tts", "vad_mode")),
        post=PostSettings(output_rate=output_rate, loudness_target_db=g("tts", "loudness_target_db"),
                          speed_jitter=g("tts", "speed_jitter")),
    )
    return TtsSetup(servers, voices, settings, resolve(snap, "tts", "cache_dir"), tuple(notes))


def speech_limits(snap: Snapshot) -> SpeechLimits:
    """How long a spoken piece may be, for the one preparation of every utterance (the script's
    clauses of 16 and the synthesis clauses of 24 characters are fixed, not options)."""
    return SpeechLimits(max_sentence_chars=snap.get("tts", "max_sentence_chars"),
                        max_utterance_chars=snap.get("tts", "max_utterance_chars"))


# ---- audio ----------------------------------------------------------------------------------

def sink_spec(snap: Snapshot) -> str:
    backend = snap.get("audio", "backend")
    if backend == "wav":
        return f"wav:{resolve(snap, 'audio', 'wav_path')}"
    return {"pygame": "device"}.get(backend, backend)


def director_settings(snap: Snapshot) -> DirectorSettings:
    g = snap.get
    return DirectorSettings(
        script_max_gap_s=g("director", "script_max_gap_s"), script_share_floor=g("director", "script_share_floor"),
        share_window_s=g("director", "share_window_s"), break_wait_s=g("director", "break_wait_s"),
        thanks_share_max=g("director", "thanks_share_max"), answer_share_max=g("director", "answer_share_max"))


def output_settings(snap: Snapshot) -> OutputSettings:
    """Devices, monitor, background music and the recording's AI label for the mixing sink
    (``MixingSink.apply`` takes a new one live)."""
    g = snap.get
    label = g("compliance", "ai_label_text")
    music = MusicSettings(
        enabled=g("music", "enabled"), folder=resolve(snap, "music", "folder"),
        shuffle=g("music", "order") == "shuffle", volume_db=g("music", "volume_db"),
        loudness_target_db=g("tts", "loudness_target_db"), duck_db=g("music", "duck_db"),
        duck_attack_ms=g("music", "duck_attack_ms"), duck_release_ms=g("music", "duck_release_ms"))
    return OutputSettings(device=g("audio", "device"), monitor=g("audio", "monitor"),
                          monitor_device=g("audio", "monitor_device"), monitor_volume=g("audio", "monitor_volume") / 100,
                          music=music, wav_info=ai_label_info(label) if label else None)


def player_kwargs(snap: Snapshot) -> dict:
    g = snap.get
    return dict(
        director=director_settings(snap),
        sample_rate=g("audio", "sample_rate"), chunk_bytes=g("audio", "chunk_bytes"), gap_ms=g("audio", "gap_ms"),
        thresholds=Thresholds(interrupt_gap=g("priority", "interrupt_gap"),
                              late_interrupt_gap=g("priority", "late_interrupt_gap"),
                              late_fraction=g("priority", "late_fraction")),
        aging_step=1.0, aging_seconds_per_step=g("priority", "aging_seconds_per_step"),
        bridge_lines=g("audio", "bridge_lines"), progress_interval_s=1.0 / g("audio", "progress_hz"),
    )


# ---- script, compliance ---------------------------------------------------------------------

def scheduler_kwargs(snap: Snapshot) -> dict:
    """The scheduler's options; all of them also apply while it runs (``ScriptScheduler.configure``)."""
    g = snap.get
    return dict(lookahead_s=g("audio", "lookahead_s"),
                order={"in_order": "sequential"}.get(g("script", "order"), "shuffle"),
                product_dwell_passes=g("director", "product_dwell_passes"),
                product_dwell_minutes=g("director", "product_dwell_minutes"),
                disclosure_text=g("compliance", "ai_label_text") if g("compliance", "ai_disclosure") else "",  # "" = none
                disclosure_every_s=g("compliance", "ai_disclosure_every_min") * 60)


def compliance_policies(snap: Snapshot) -> dict[str, str]:
    names = ("absolute", "first_only", "authority", "efficacy", "urgency", "platform", "profanity")
    return {name: snap.get("compliance", f"policy_{name}") for name in names}


# ---- LLM ------------------------------------------------------------------------------------

def llm_settings(snap: Snapshot):
    """``LlmSettings`` for the configured provider; the Ark key comes from the secret store
    (environment variable ARK_API_KEY, OS keyring), never from a log or report."""
    from app.config import require_secret
    from app.llm import LlmSettings

    g = snap.get
    ark = g("llm", "provider") == "ark"
    return LlmSettings(
        provider=g("llm", "provider"), model=g("llm", "model"), base_url=g("llm", "base_url"),
        api_key=require_secret("llm.api_key", "the Ark LLM provider", snapshot=snap) if ark else "",
        ollama_host=g("llm", "ollama_host"),
        thinking=None if g("llm", "thinking") == "default" else g("llm", "thinking"),
        connect_timeout_s=g("llm", "connect_timeout_s"), first_token_timeout_s=g("llm", "first_token_timeout_s"),
        total_timeout_s=g("llm", "total_timeout_s"), max_retries=g("llm", "max_retries"),
        backoff_base_s=g("llm", "backoff_base_s"), requests_per_minute=g("llm", "requests_per_minute"),
        max_concurrency=g("llm", "max_concurrency"), temperature=g("llm", "temperature"),
        max_tokens=g("llm", "max_tokens"), keep_alive=g("llm", "keep_alive"),
        warm_up_timeout_s=g("llm", "warm_up_timeout_s"))


def prompt_settings(snap: Snapshot):
    from app.llm import PromptSettings

    return PromptSettings(persona=snap.get("llm", "persona"), max_answer_chars=snap.get("llm", "max_answer_chars"),
                          answer_sentences=snap.get("llm", "answer_sentences"))


# ---- what applies live ----------------------------------------------------------------------

#: Options each running stage applies at once (key, or a whole section).
REPLY_LIVE = ("reply", "director.thanks_share_max", "director.answer_share_max", "director.answer_wait_max_s",
              "director.faq_readings", "director.llm_answer_estimate_s", "priority.large_gift_diamonds",
              "priority.vip_user_level", "priority.level_bonus_divisor", "priority.level_bonus_max",
              "priority.activity_bonus_divisor", "priority.activity_bonus_max")
PLAYER_LIVE = ("priority.interrupt_gap", "priority.late_interrupt_gap", "priority.late_fraction",
               "priority.aging_seconds_per_step", "director.script_max_gap_s", "director.script_share_floor",
               "director.share_window_s", "director.break_wait_s", "director.thanks_share_max",
               "director.answer_share_max", "audio.gap_ms", "audio.bridge_lines")
SCHEDULER_LIVE = ("audio.lookahead_s", "script.order", "director.product_dwell_passes",
                  "director.product_dwell_minutes", "compliance.ai_label_text", "compliance.ai_disclosure",
                  "compliance.ai_disclosure_every_min")
COMPLIANCE_LIVE = ("compliance.lists_dir", "compliance.mask_nicknames", "compliance.policy_absolute",
                   "compliance.policy_first_only", "compliance.policy_authority", "compliance.policy_efficacy",
                   "compliance.policy_urgency", "compliance.policy_platform", "compliance.policy_profanity")
TTS_LIVE = ("voice", "tts.voices", "tts.need_deadline_s", "tts.silent_deadline_s", "tts.bench_after_timeouts",
            "tts.max_attempts", "tts.bench_after_failures", "tts.bench_seconds", "tts.vad_mode",
            "tts.min_voiced_ratio", "tts.min_chars_per_s", "tts.max_chars_per_s",
            "tts.loudness_target_db", "tts.speed_jitter", "tts.fallback", "tts.espeak_voice",
            "tts.espeak_rate_wpm")
TEXT_LIVE = ("tts.max_sentence_chars", "tts.max_utterance_chars")
LLM_LIVE = ("llm.persona", "llm.answer_sentences", "llm.max_answer_chars")
OUTPUT_LIVE = ("audio.device", "audio.monitor", "audio.monitor_device", "audio.monitor_volume", "music",
               "compliance.ai_label_text", "tts.loudness_target_db")


def register_live(live: LiveConsumers, rt, *, compliance_only: bool = False) -> list[Consumer]:
    """Register the consumers of the live options on ``live``; ``rt`` holds the stages (the
    runtime: ``reply``, ``player``, ``scheduler``, ``tts``, ``llm_worker``, ``compliance``,
    ``preparer``, ``demo``). A stage that is None does not run now and is skipped. ``compliance_only``: just
    the compliance filter (an app whose stages run in another process checks texts with it)."""
    def compliance(snap: Snapshot) -> None:
        rt.compliance.set_policies(compliance_policies(snap))
        rt.compliance.set_mask_nicknames(snap.get("compliance", "mask_nicknames"))
        rt.compliance.set_lists_dir(resolve(snap, "compliance", "lists_dir"))  # last: a bad folder raises

    out = [live.register("合规过滤", COMPLIANCE_LIVE, compliance)]
    if compliance_only:
        return out

    def reply(snap: Snapshot) -> None:
        if rt.reply is not None:
            rt.reply.update_settings(reply_settings(snap, llm_enabled=rt.llm_worker is not None))

    def player(snap: Snapshot) -> None:
        if rt.player is not None:
            kwargs = player_kwargs(snap)
            rt.player.set_thresholds(kwargs["thresholds"])
            rt.player.set_director(kwargs["director"])
            rt.player.set_pacing(gap_ms=kwargs["gap_ms"], aging_seconds_per_step=kwargs["aging_seconds_per_step"],
                                 bridge_lines=kwargs["bridge_lines"])

    def scheduler(snap: Snapshot) -> None:
        if rt.scheduler is not None:
            rt.scheduler.configure(**scheduler_kwargs(snap))

    def tts(snap: Snapshot) -> None:
        if rt.tts is not None:
            setup = tts_setup(snap, output_rate=snap.get("audio", "sample_rate"), espeak_only=rt.demo)
            rt.tts.update_settings(setup.settings, setup.voices)

    def text(snap: Snapshot) -> None:  # every producer prepares with the one preparer
        rt.preparer.set_limits(speech_limits(snap))

    def llm(snap: Snapshot) -> None:
        if rt.llm_worker is not None:
            rt.llm_worker.set_prompt(prompt_settings(snap))

    def output(snap: Snapshot) -> None:
        sink = rt.player.sink if rt.player is not None else None
        if sink is not None and hasattr(sink, "apply"):  # the mixing sink: devices, monitor, music
            sink.apply(output_settings(snap))

    return out + [live.register("互动回复", REPLY_LIVE, reply), live.register("播放", PLAYER_LIVE, player),
                  live.register("话术", SCHEDULER_LIVE, scheduler), live.register("语音合成", TTS_LIVE, tts),
                  live.register("切句与长度", TEXT_LIVE, text),
                  live.register("大模型回答", LLM_LIVE, llm),
                  live.register("输出设备与背景音乐", OUTPUT_LIVE, output)]
