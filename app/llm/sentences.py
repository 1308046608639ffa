"""Streamed deltas → speakable sentences, one at a time, as soon as each is complete.

Built on ``app.text.sentences.SentenceStream`` in eager mode: a sentence is released the
moment its terminator arrives, not one token later (see SentenceStream).

Each sentence then passes the length cap and the injected compliance filter
(``text_filter(text) -> text | None``; None drops the sentence) before it is yielded.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterator
from typing import NamedTuple

from app.llm import errors
from app.llm.client import LlmClient
from app.llm.prompting import LengthCap
from app.llm.provider import Generation, Message
from app.text.sentences import SentenceStream

TextFilter = Callable[[str], "str | None"]


class Spoken(NamedTuple):
    text: str  # what will be said
    original: str = ""  # the sentence before the compliance filter, when the filter changed it


def _speakable(text: str) -> bool:
    return any(not unicodedata.category(c).startswith(("P", "Z", "S")) for c in text)


def stream_sentences(client: LlmClient, messages: list[Message], **kw) -> Iterator[str]:
    """Sentences of the answer, filtered and capped, yielded as each completes (the text of
    ``stream_spoken``; see there)."""
    for spoken in stream_spoken(client, messages, **kw):
        yield spoken.text


def stream_spoken(client: LlmClient, messages: list[Message], *,
                  cancel: threading.Event | None = None, text_filter: TextFilter | None = None,
                  max_chars: int | None = None, long_clause: int = 24, max_len: int = 60,
                  generation: Generation | None = None,
                  on_filtered: Callable[[str], None] | None = None) -> Iterator[Spoken]:
    """Sentences of the answer, filtered and capped, yielded as each completes, each with the
    sentence as the model wrote it when the filter changed it.

    Raises ``errors.Cancelled`` on cancel and other ``LlmError``s on failure; a sentence still
    being written when the stream stops is dropped, never spoken half-finished.
    ``on_filtered(original)`` is called for each sentence the filter dropped.
    """
    splitter = SentenceStream(long_clause=long_clause, max_len=max_len, eager=True)
    cap = LengthCap(max_chars) if max_chars else None
    deltas = client.stream(messages, cancel=cancel, generation=generation)

    def cancelled() -> bool:
        return cancel is not None and cancel.is_set()

    def sentences() -> Iterator[str]:
        for delta in deltas:
            yield from splitter.feed(delta)
        yield from splitter.flush()

    try:
        for sentence in sentences():
            if cancelled():
                raise errors.Cancelled(provider=client.provider.name)
            out = _admit(sentence, cap, text_filter, on_filtered)
            if out:
                yield out
            if cap is not None and cap.reached:
                return  # closing `deltas` (finally) stops the HTTP stream
    finally:
        deltas.close()


def _admit(sentence: str, cap: LengthCap | None, text_filter: TextFilter | None,
           on_filtered: Callable[[str], None] | None) -> Spoken | None:
    sentence = sentence.strip()
    if not _speakable(sentence):
        return None
    if cap is not None:
        sentence = cap.admit(sentence)
        if sentence is None:
            return None
    if text_filter is None:
        return Spoken(sentence)
    filtered = text_filter(sentence)
    if filtered is None or not filtered.strip():
        if on_filtered is not None:
            on_filtered(sentence)
        return None
    filtered = filtered.strip()
    return Spoken(filtered, sentence if filtered != sentence else "")
