"""A real compliance filter on small, purpose-written word lists, for the tests of the stages
that prepare text, and a record of every text it was asked to check."""

from __future__ import annotations

from pathlib import Path

from app.compliance import ComplianceFilter
from app.text.prepare import SpeechLimits, TextPreparer

#: 最好 is replaced by 很好 (absolute), a sentence saying 治疗 is dropped (efficacy), 加微信 blocks
#: the whole utterance (platform).
LISTS = {"absolute.txt": "最好 => 很好\n", "efficacy.txt": "治疗\n", "platform.txt": "加微信\n"}
POLICIES = {"absolute": "replace", "efficacy": "drop_sentence", "platform": "block"}


def write_lists(folder: Path, lists: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in (lists or LISTS).items():
        (folder / name).write_text(body, encoding="utf-8")
    return folder


class CheckedTexts:
    """``ComplianceFilter.apply`` of a real filter, remembering each text it checked."""

    def __init__(self, folder: Path, lists: dict[str, str] | None = None):
        self.filter = ComplianceFilter.from_dir(write_lists(folder, lists), POLICIES)
        self.texts: list[str] = []

    def __call__(self, text: str):
        self.texts.append(text)
        return self.filter.apply(text)

    def preparer(self, limits: SpeechLimits | None = None) -> TextPreparer:
        return TextPreparer(self, limits or SpeechLimits())
