"""Streamed deltas → prepared sentences, one at a time, as soon as each is complete.

Built on ``app.text.sentences.SentenceStream`` in eager mode: a sentence is released the
moment its terminator arrives, not one token later (see SentenceStream), at the lengths of the
room's ``SpeechLimits``.

Each sentence then passes the answer's length cap and is prepared once by the injected
``TextPreparer`` (the compliance filter on the whole sentence, its spoken forms, the one
speakable test); a sentence with nothing left to say is dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from app.llm import errors
from app.llm.client import LlmClient
from app.llm.prompting import LengthCap
from app.llm.provider import Generation, Message
from app.text.prepare import Prepared, TextPreparer
from app.text.sentences import SentenceStream


def stream_sentences(client: LlmClient, messages: list[Message], **kw) -> Iterator[str]:
    """Sentences of the answer, prepared and capped, yielded as each completes (the shown text
    of ``stream_spoken``; see there)."""
    for spoken in stream_spoken(client, messages, **kw):
        yield spoken.text


def stream_spoken(client: LlmClient, messages: list[Message], *,
                  cancel: threading.Event | None = None, prepare: TextPreparer | None = None,
                  max_chars: int | None = None, generation: Generation | None = None,
                  on_filtered: Callable[[str], None] | None = None) -> Iterator[Prepared]:
    """Sentences of the answer, capped and prepared, yielded as each completes (``text`` as
    shown, with the sentence as the model wrote it in ``original`` when the filter changed it).

    Raises ``errors.Cancelled`` on cancel and other ``LlmError``s on failure; a sentence still
    being written when the stream stops is dropped, never spoken half-finished.
    ``on_filtered(original)`` is called for each sentence the filter dropped.
    """
    prepare = prepare or TextPreparer()
    limits = prepare.limits
    splitter = SentenceStream(long_clause=limits.clause_chars, max_len=limits.max_sentence_chars, eager=True)
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
            out = _admit(sentence, cap, prepare, on_filtered)
            if out is not None:
                yield out
            if cap is not None and cap.reached:
                return  # closing `deltas` (finally) stops the HTTP stream
    finally:
        deltas.close()


def _admit(sentence: str, cap: LengthCap | None, prepare: TextPreparer,
           on_filtered: Callable[[str], None] | None) -> Prepared | None:
    sentence = sentence.strip()
    if not sentence:
        return None
    if cap is not None:
        sentence = cap.admit(sentence)
        if sentence is None:
            return None
    prepared = prepare(sentence)
    if prepared.ok:
        return prepared
    if prepared.filtered and on_filtered is not None:
        on_filtered(sentence)
    return None
