"""The local checks: config.ini, products, the LLM, audio output."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from app import paths, wiring
from app.preflight.base import FAIL, OK, WARN, Budget, Check, TimedOut, within

CONFIG_TITLE = "配置文件"
LLM_TITLE = "大模型（回答观众提问）"
PRODUCTS_TITLE = "商品与话术"
AUDIO_TITLE = "声音输出"


# ---- config.ini ---------------------------------------------------------------------------------

def check_config(config_path: Path | str | None):
    """(Check, the snapshot to check the rest with — None when the file is invalid)."""
    from app.config import ConfigErrors, defaults, load

    path = Path(config_path) if config_path is not None else paths.default_config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Check("config", CONFIG_TITLE, WARN, f"{path} 还不存在：使用全部默认设置",
                     "开播时会自动按默认设置创建；请在“设置”中填写弹幕地址和声音"), defaults()
    except OSError as exc:
        return Check("config", CONFIG_TITLE, FAIL, f"{path} 无法读取（{exc.strerror or exc}）",
                     "检查文件权限，或删除它让软件重新创建"), None
    if not raw.decode("utf-8-sig", "replace").strip():
        return Check("config", CONFIG_TITLE, WARN, f"{path} 是空的：使用全部默认设置",
                     "开播时会自动写入默认设置；请在“设置”中检查"), defaults()
    try:
        snap = load(path)
    except ConfigErrors as exc:
        lines = "\n".join(exc.errors[:12]) + (f"\n……共 {len(exc.errors)} 处" if len(exc.errors) > 12 else "")
        return Check("config", CONFIG_TITLE, FAIL, f"{path} 有 {len(exc.errors)} 处错误：\n{lines}",
                     "按提示改正这些行并保存（软件会自动重新读取）"), None
    return Check("config", CONFIG_TITLE, OK, str(path)), snap


# ---- products -----------------------------------------------------------------------------------

def check_products(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    from app.content.library import ProductLibrary

    root = paths.bundled_data_dir() / "products" if demo else wiring.resolve(snap, "script", "products_dir")
    if not root.is_dir():
        return Check("products", PRODUCTS_TITLE, FAIL, f"商品文件夹不存在：{root}",
                     "在“商品”页新建一个商品，或检查 [script] products_dir")
    lib = ProductLibrary(root, check_interval=0)
    enabled = lib.products(enabled_only=True)
    ready = [p for p in enabled if p.speakable_segments]
    broken = lib.errors()
    problems = lib.problems()
    notices = lib.notices()
    extra = "".join(f"\n{line}" for line in (problems[:8] + notices[:4]))
    if len(problems) > 8:
        extra += f"\n……共 {len(problems)} 处问题"
    if not ready:
        why = (f"{len(lib.slugs())} 个商品：{len(enabled)} 个启用，{len(broken)} 个无法加载"
               if lib.slugs() else "还没有商品")
        return Check("products", PRODUCTS_TITLE, FAIL, f"没有可以播讲的商品（{why}）{extra}",
                     "在“商品”页启用一个商品并写好至少一段话术，或按提示修正错误")
    names = "、".join(p.name for p in ready[:6]) + ("等" if len(ready) > 6 else "")
    if problems or notices:
        return Check("products", PRODUCTS_TITLE, WARN,
                     f"{len(ready)} 个商品可以播讲：{names}；另有 {len(problems)} 处问题{extra}",
                     "在“商品”页按提示修正（出错的商品或段落不会播出）" if problems
                     else "已自动转换编码，原文件已备份，无需处理")
    return Check("products", PRODUCTS_TITLE, OK, f"{len(ready)} 个商品可以播讲：{names}")


# ---- LLM ----------------------------------------------------------------------------------------

def check_llm(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    if demo:
        return Check("llm", LLM_TITLE, OK, "演示模式不调用大模型：问题由关键词规则回答")
    provider, model = snap.get("llm", "provider"), snap.get("llm", "model")
    if provider == "none":
        return Check("llm", LLM_TITLE, OK, "已关闭（[llm] provider = none）：观众提问只由商品的关键词规则回答")
    from app.config import SecretError
    from app.llm import LlmError, make_client

    try:
        settings = wiring.llm_settings(snap)
    except SecretError as exc:
        return Check("llm", LLM_TITLE, FAIL, f"{provider} 缺少 API Key：{exc}",
                     "运行 python main.py config set-secret llm.api_key，或设置环境变量 ARK_API_KEY")
    budget = Budget(timeout_s)
    bounded = dataclasses.replace(
        settings, connect_timeout_s=min(settings.connect_timeout_s, timeout_s),
        first_token_timeout_s=min(settings.first_token_timeout_s, timeout_s),
        total_timeout_s=min(settings.total_timeout_s, timeout_s), max_retries=0)
    fix = ("确认 Ollama 已启动（ollama serve）、地址正确，并已下载模型（ollama pull " + model + "）"
           if provider == "ollama" else "检查方舟 API Key、模型或接入点 ID（ep-…）和网络")
    t0 = time.monotonic()
    try:
        answer = within(budget.left(0.1) + 0.5, lambda: make_client(bounded).complete(
            [{"role": "user", "content": "请只回复：好的"}]), "preflight-llm")
    except TimedOut:
        return Check("llm", LLM_TITLE, FAIL, f"{provider} {model}：{timeout_s:g} 秒内没有回答", fix)
    except LlmError as exc:
        return Check("llm", LLM_TITLE, FAIL, f"{provider} {model}：{exc}", fix)
    except ValueError as exc:
        return Check("llm", LLM_TITLE, FAIL, f"{provider} {model}：{exc}", "检查 [llm] 设置")
    if not answer.strip():
        return Check("llm", LLM_TITLE, FAIL, f"{provider} {model}：回答是空的", fix)
    return Check("llm", LLM_TITLE, OK, f"{provider} {model} 已回答（{time.monotonic() - t0:.1f} 秒）")


# ---- audio output -------------------------------------------------------------------------------

def check_audio(snap, *, demo: bool, timeout_s: float, sink: str | None = None) -> Check:
    from app.audio.outputs import make_sink
    from app.audio.sinks import SinkError

    spec = sink or wiring.sink_spec(snap)
    rate = snap.get("audio", "sample_rate")
    if spec.startswith("wav:"):  # the recording of a run must not be overwritten by a check
        folder = Path(spec[4:]).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            return Check("audio", AUDIO_TITLE, FAIL, f"无法在 {folder} 写入录音文件（{exc.strerror or exc}）",
                         "检查 [audio] wav_path 的文件夹是否存在、可写")
        return Check("audio", AUDIO_TITLE, OK, f"录音到文件 {spec[4:]}（{rate} Hz），不从扬声器播放")

    # the configured device (a virtual cable into 直播伴侣), without music, monitor or recording
    output = dataclasses.replace(wiring.output_settings(snap), monitor=False, wav_info=None,
                     music=dataclasses.replace(wiring.output_settings(snap).music, enabled=False))
    missing = _missing_device(output.device) if spec in ("device", "pygame") else None

    def open_and_close() -> None:
        out = make_sink(spec, rate, output=output)
        out.open()
        try:
            out.write(b"\x00\x00" * (rate // 10))  # 100 ms of silence: nothing audible
        finally:
            out.close()

    try:
        within(timeout_s, open_and_close, "preflight-audio")
    except TimedOut:
        return Check("audio", AUDIO_TITLE, FAIL, f"{timeout_s:g} 秒内没能打开声音输出 {spec}",
                     "检查声卡或虚拟声卡是否被其他程序占用")
    except Exception as exc:
        hint = ("；没有声卡时可在“设置 → 播放输出”把输出方式改为“录到 WAV 文件”（[audio] backend = wav）"
                if spec == "device" else "")
        what = "打不开声卡，没有找到可用的声音输出设备" if isinstance(exc, SinkError) else f"声音输出 {spec} 打不开"
        return Check("audio", AUDIO_TITLE, FAIL, f"{what}（系统报告：{exc}）",
                     "接好声卡或虚拟声卡（直播伴侣要选它作为声音输入）" + hint)
    if missing:
        return Check("audio", AUDIO_TITLE, WARN, missing,
                     "插好设备或在设置的“直播输出设备”里重新选择；在它回来之前声音从系统默认设备播放")
    if spec == "null":
        return Check("audio", AUDIO_TITLE, WARN, "声音输出是 null：什么都不会播放", "正式开播前把 [audio] backend 改为 pygame")
    return Check("audio", AUDIO_TITLE, OK, f"{spec}（{rate} Hz）可以打开")


def _missing_device(name: str) -> str | None:
    """Why the configured output device will not be used (it is not among the devices), or None."""
    if not name:
        return None
    from app.audio import devices

    try:
        found, _driver = devices.list_outputs()
    except Exception:  # no sound system at all: opening the sink says so
        return None
    if any(d.name == name for d in found):
        return None
    return f"找不到直播输出设备「{name}」（现有：{'、'.join(d.name for d in found) or '无'}）"
