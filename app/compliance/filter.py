"""The compliance filter every spoken text passes: word lists + a policy per category.

Policies:
- ``replace``: the term becomes its safe replacement, or is removed when it has none (a comma
  left dangling by the removal is tidied so the sentence still reads);
- ``drop_sentence``: the sentence containing the term is left out;
- ``block``: the whole utterance is rejected.
When one text has hits of several policies, block beats drop_sentence beats replace.

The cleaned text is checked again (a removal can join two halves into a new term, 顶绝对级 →
顶级); after three rounds that still find something, the text is blocked rather than spoken.

Word lists can be edited while the app runs: ``reload()`` re-reads them (keeping the old lists
when the new ones have errors) and ``reload_if_changed()`` does so only when a file changed.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from app import paths
from app.compliance.matcher import Match, Matcher
from app.compliance.normalize import Skeleton
from app.compliance.wordlists import WordLists, load_word_lists
from app.logs import get_logger
from app.text.sentences import split_sentences

log = get_logger("compliance")

Action = Literal["replace", "drop_sentence", "block"]
ACTIONS: tuple[str, ...] = ("replace", "drop_sentence", "block")
_SEVERITY = {a: i for i, a in enumerate(ACTIONS)}

#: Policies for the shipped categories; the config may override each one.
DEFAULT_POLICIES: dict[str, str] = {
    "absolute": "replace",
    "first_only": "replace",
    "urgency": "replace",
    "authority": "drop_sentence",
    "efficacy": "drop_sentence",
    "platform": "block",
    "profanity": "block",
}
#: For a category the operator added but did not configure: strict, but the rest still speaks.
FALLBACK_POLICY = "drop_sentence"
DEFAULT_NICKNAME_MASK = "这位朋友"
_MAX_ROUNDS = 3

# Contact details in a nickname, looked for in the folded skeleton (separators removed).
# (A bare "vx"/"qq" is a listed platform term; glued to an id it is caught here.)
_CONTACT = re.compile(r"\d{5,}|(?:qq|vx|wx|wechat|weixin)[a-z0-9]*\d|www|https?|[a-z0-9]{2,}(?:com|cn|net)$")
# Tidying after a removal: doubled soft breaks, soft breaks that now start a sentence, spaces.
_SOFT = "，,、：:"
_DOUBLE_SOFT = re.compile(rf"([{_SOFT}])(?:\s*[{_SOFT}])+")
_LEADING_SOFT = re.compile(rf"(^|[。！？!?；;…\n])[ \t]*[{_SOFT}]+[ \t]*")
_SOFT_BEFORE_END = re.compile(rf"[{_SOFT}]+\s*([。！？!?；;…])")
_SPACES = re.compile(r"[ \t]{2,}")


def default_lists_dir() -> Path:
    """The operator's lists (data/compliance beside the app) if present, else the shipped ones."""
    user = paths.data_dir() / "compliance"
    return user if user.is_dir() else paths.bundled_data_dir() / "compliance"


@dataclass(frozen=True)
class Hit:
    category: str
    term: str  # as listed
    matched: str  # the original text that matched (may include slipped-in symbols)
    start: int  # offsets in the checked text, [start, end)
    end: int
    line: int  # 1-based
    col: int  # 1-based, in characters
    action: str
    replacement: str | None = None  # the listed safe replacement, if any

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class FilterResult:
    """``text`` is what may be spoken (possibly nothing at all, when every sentence was dropped);
    None when the whole utterance is rejected (``blocked``). Whether what is left can be spoken
    is decided once, by ``app.text.prepare``."""

    original: str
    text: str | None
    hits: tuple[Hit, ...] = ()
    blocked: bool = False

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class _State:
    lists: WordLists
    matcher: Matcher
    stamps: dict[Path, float] = field(default_factory=dict)


def _stamps(files) -> dict[Path, float]:
    out = {}
    for f in files:
        try:
            out[f] = f.stat().st_mtime_ns
        except OSError:
            out[f] = -1
    return out


class ComplianceFilter:
    def __init__(self, folder: str | Path, policies: Mapping[str, str] | None = None, *,
                 nickname_mask: str = DEFAULT_NICKNAME_MASK):
        self.folder = Path(folder)
        self.nickname_mask = nickname_mask
        self.masks_nicknames = True  # [compliance] mask_nicknames
        self._policies = self._merged_policies(policies)
        self._lock = threading.Lock()  # serialises reloads; readers use the current _state
        self._state = self._load()

    @staticmethod
    def _merged_policies(policies: Mapping[str, str] | None) -> dict[str, str]:
        merged = dict(DEFAULT_POLICIES)
        for category, action in (policies or {}).items():
            if action not in ACTIONS:
                raise ValueError(f"compliance policy for {category!r} is {action!r}; "
                                 f"expected one of {', '.join(ACTIONS)}")
            merged[category] = action
        return merged

    def set_policies(self, policies: Mapping[str, str]) -> None:
        """Hot reload of ``[compliance] policy_*``: applies to the next text filtered."""
        self._policies = self._merged_policies(policies)

    def set_lists_dir(self, folder: str | Path) -> None:
        """Hot reload of ``[compliance] lists_dir``: the new folder's lists apply to the next text
        filtered. A folder that cannot be used raises WordListError; the lists in use stay."""
        folder = Path(folder)
        with self._lock:
            if folder == self.folder:
                return
            previous, self.folder = self.folder, folder
            try:
                self._state = self._load()
            except Exception:
                self.folder = previous
                raise
        log.info("compliance lists now from %s: %d terms", folder, self._state.matcher.term_count)

    def set_mask_nicknames(self, on: bool) -> None:
        """Hot reload of ``[compliance] mask_nicknames``: off = nicknames are read as they are."""
        self.masks_nicknames = bool(on)

    @classmethod
    def from_dir(cls, path: str | Path | None = None, policies: Mapping[str, str] | None = None,
                 **kwargs) -> ComplianceFilter:
        return cls(path if path is not None else default_lists_dir(), policies, **kwargs)

    # ---------------------------------------------------------------- lists and policies

    def _load(self) -> _State:
        lists = load_word_lists(self.folder)
        matcher = Matcher(lists, lambda c: _SEVERITY[self.policy(c)])
        for w in matcher.warnings:
            log.warning("%s", w)
        for category in self._policies.keys() - set(lists.categories) - DEFAULT_POLICIES.keys():
            log.warning("compliance policy names category %r but %s has no %s.txt",
                        category, self.folder, category)
        return _State(lists, matcher, _stamps(lists.files))

    def reload(self) -> None:
        """Re-read the lists. On error (WordListError) the lists in use stay as they were."""
        with self._lock:
            self._state = self._load()
        log.info("compliance lists reloaded: %d terms", self._state.matcher.term_count)

    def reload_if_changed(self) -> bool:
        """Reload when a list file was edited, added or removed; True if it reloaded."""
        state = self._state
        current = _stamps(state.lists.files)
        known = {p for p in state.stamps}
        now_present = set(self.folder.glob("*.txt"))
        if current == state.stamps and now_present == known:
            return False
        self.reload()
        return True

    @property
    def categories(self) -> tuple[str, ...]:
        return self._state.lists.categories

    @property
    def warnings(self) -> list[str]:
        return list(self._state.matcher.warnings)

    @property
    def term_count(self) -> int:
        return self._state.matcher.term_count

    def policy(self, category: str) -> str:
        return self._policies.get(category, FALLBACK_POLICY)

    # ---------------------------------------------------------------- checking

    def _hits(self, text: str, matches: list[Match]) -> list[Hit]:
        if not matches:
            return []
        newlines = [i for i, ch in enumerate(text) if ch == "\n"] if "\n" in text else []
        hits = []
        for m in matches:
            k = bisect_right(newlines, m.start - 1)
            line_start = newlines[k - 1] + 1 if k else 0
            hits.append(Hit(m.term.category, m.term.term, text[m.start:m.end], m.start, m.end,
                            k + 1, m.start - line_start + 1, self.policy(m.term.category),
                            m.term.replacement))
        return hits

    def check_text(self, text: str) -> list[Hit]:
        """Every hit in ``text`` with its line:col, for the editor and `compliance check`."""
        return self._hits(text, self._state.matcher.find(text))

    def apply(self, text: str) -> FilterResult:
        """The filter the stages prepare their texts with (``app.text.prepare``)."""
        matcher = self._state.matcher
        all_hits: list[Hit] = []
        current = text
        for _ in range(_MAX_ROUNDS):
            matches = matcher.find(current)
            if not matches:
                return FilterResult(text, current, tuple(all_hits))
            hits = self._hits(current, matches)
            all_hits.extend(hits)
            if any(h.action == "block" for h in hits):
                return FilterResult(text, None, tuple(all_hits), blocked=True)
            current = _rewrite(current, hits)
        if matcher.find(current):
            log.warning("compliance: text still has hits after %d rounds; blocked: %r",
                        _MAX_ROUNDS, text)
            return FilterResult(text, None, tuple(all_hits), blocked=True)
        return FilterResult(text, current, tuple(all_hits))

    # ---------------------------------------------------------------- nicknames

    def mask_nickname(self, nickname: str) -> str:
        """The nickname, or the mask when it carries a listed term or contact details (phone
        numbers, long digit runs such as QQ/WeChat ids, web addresses); as it is when masking is
        off (``set_mask_nicknames``)."""
        if not self.masks_nicknames or not nickname.strip():
            return nickname
        if self._state.matcher.find(nickname) or _CONTACT.search(Skeleton.of(nickname).text):
            return self.nickname_mask
        return nickname


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for piece in split_sentences(text, max_len=max(len(text), 1)):
        start = text.find(piece, cursor)
        spans.append((start, start + len(piece)))
        cursor = start + len(piece)
    return spans


def _rewrite(text: str, hits: list[Hit]) -> str:
    """Drop the sentences of drop_sentence hits, then replace/remove replace hits."""
    drop_starts = sorted(h.start for h in hits if h.action == "drop_sentence")
    cut: list[tuple[int, int, str]] = []  # original [start, end) → new text
    if drop_starts:
        for s, e in _sentence_spans(text):
            # a hit never spans a sentence end, so "starts inside" is "overlaps"
            k = bisect_right(drop_starts, s - 1)
            if k < len(drop_starts) and drop_starts[k] < e:
                cut.append((s, e, ""))
    removed_any = bool(cut)
    dropped_starts = [s for s, _, _ in cut]
    for h in hits:
        if h.action != "replace":
            continue
        k = bisect_right(dropped_starts, h.start) - 1
        if k >= 0 and h.start < cut[k][1]:
            continue  # inside a dropped sentence
        repl = h.replacement or ""
        removed_any = removed_any or not repl
        cut.append((h.start, h.end, repl))
    cut.sort()
    out = []
    pos = 0
    for s, e, repl in cut:
        out.append(text[pos:s])
        out.append(repl)
        pos = e
    out.append(text[pos:])
    result = "".join(out)
    if removed_any:
        result = _tidy(result)
    return result


def _tidy(text: str) -> str:
    text = _DOUBLE_SOFT.sub(r"\1", text)
    text = _LEADING_SOFT.sub(r"\1", text)
    text = _SOFT_BEFORE_END.sub(r"\1", text)
    text = _SPACES.sub(" ", text)
    return text.strip()
