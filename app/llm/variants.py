"""Ask the model to turn a base script into variant markup (design §6), validated.

``generate_variants(client, base_script, validate)``: one request; if the validator reports
errors, one more request with those errors given back; the validated template, or
``VariantGenerationFailed`` saying what was wrong. Cancellable through ``cancel`` and reports
progress through ``progress(step, message)`` so the GUI can host it in a QThread.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

from app.llm import errors
from app.llm.client import LlmClient
from app.llm.provider import Generation, Message

Validator = Callable[[str], list[str]]  # errors as "line:col: message"; [] = valid
Progress = Callable[[str, str], None]  # (step, human-readable message)

SYSTEM = """你是直播话术编辑。把用户给的基础话术改写成“变体模板”，让每次朗读都略有不同，但意思、事实、价格和承诺完全不变。

变体语法：
- {甲|乙|丙} 表示每次随机选一个选项，例如 {宝宝们|家人们|朋友们}；选项可以嵌套：{我们家{今天|现在}|这款}；选项可以为空：{|呢}。
- 花括号必须成对，不能出现空的 {}；一个选项里不能有空行（段落分隔）。
- 字面的 { } | 写成 \\{ \\} \\|。
- ${name} 是变量（如 ${product}、${price}、${nickname}），原文里有的变量原样保留，不要新增变量。
- 不要添加原文没有的事实、数字、极限词（最、第一、全网最低等）。

只输出模板本身，不要解释，不要代码块标记。"""

RETRY = """你给出的模板有下列错误（行:列: 说明）：
{errors}
请修正这些错误，重新输出完整的模板，只输出模板本身。"""


VARIANT_GENERATION = Generation(temperature=0.8)  # some variety is the point here


class VariantGenerationFailed(Exception):
    """No valid template came back; ``errors`` are the validator's last complaints."""

    def __init__(self, message: str, errors_: list[str] | None = None, last_text: str = ""):
        self.errors = list(errors_ or [])
        self.last_text = last_text
        detail = ("\n" + "\n".join(self.errors)) if self.errors else ""
        super().__init__(message + detail)


_FENCE = re.compile(r"^\s*```[\w-]*\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def _clean(text: str) -> str:
    """Strip a code fence the model may add despite being told not to."""
    m = _FENCE.match(text)
    return (m.group(1) if m else text).strip()


def generate_variants(client: LlmClient, base_script: str, validate: Validator, *,
                      cancel: threading.Event | None = None, progress: Progress | None = None,
                      generation: Generation = VARIANT_GENERATION) -> str:
    if not base_script.strip():
        raise VariantGenerationFailed("基础话术为空 / the base script is empty")
    report = progress or (lambda step, message: None)
    messages: list[Message] = [{"role": "system", "content": SYSTEM},
                               {"role": "user", "content": base_script}]
    problems: list[str] = []
    text = ""
    for attempt in (1, 2):
        report("request", f"第{attempt}次生成 / generating (attempt {attempt} of 2)")
        try:
            text = _clean(_collect(client, messages, cancel, generation, report))
        except errors.Cancelled:
            raise
        except errors.LlmError as e:
            raise VariantGenerationFailed(f"生成失败 / generation failed: {e}") from e
        report("validate", "校验模板 / validating the template")
        if not text:
            problems = ["1:1: the model returned nothing"]
        else:
            problems = list(validate(text))
        if not problems:
            report("done", "模板有效 / template is valid")
            return text
        report("invalid", f"模板有 {len(problems)} 处错误 / {len(problems)} error(s) in the template")
        messages = messages + [{"role": "assistant", "content": text},
                               {"role": "user", "content": RETRY.format(errors="\n".join(problems))}]
    raise VariantGenerationFailed("两次生成的模板都有错误 / the model's template was invalid twice",
                                  problems, text)


def _collect(client: LlmClient, messages: list[Message], cancel: threading.Event | None,
             generation: Generation, report: Progress) -> str:
    parts: list[str] = []
    chars = 0
    for delta in client.stream(messages, cancel=cancel, generation=generation):
        parts.append(delta)
        chars += len(delta)
        if len(parts) % 20 == 1:
            report("receiving", f"已接收 {chars} 字 / received {chars} characters")
    if cancel is not None and cancel.is_set():
        raise errors.Cancelled(provider=client.provider.name)
    return "".join(parts)
