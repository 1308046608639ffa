"""The answer desk: keyword FAQ answers for buyers, ready before they are asked.

When a product goes on air its FAQ answers are rendered ahead (a few readings per rule, so two
buyers asking the price do not hear the same words) and handed to the TTS stage to synthesise
into its cache: an answer then starts as soon as the current sentence ends (design §5a "Buyers
first"). A reading that was used is replaced by a fresh one.

A second buyer asking what an answer still waiting to be played already answers is not given a
second answer: the question joins the waiting one. Answers have two explicit operator limits
besides the reply rate: an airtime budget (``[director] answer_share_max``), so a room full of
questions cannot push the product script off the air, and a longest wait
(``[director] answer_wait_max_s``): a question whose answer would only start after the answers
already queued is left, with that reason, rather than answered half a minute late.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.director import AirtimeBudget, SpeechRate
from app.text.sentences import split_sentences
from app.utterance import group_of

NICKNAME_SLOT = "${nickname}"


@dataclass(frozen=True)
class FaqMatch:
    rule_id: str
    template: str  # the reply, a variant template
    priority: int
    product: str | None


class Faq(Protocol):
    def match(self, text: str, product: str | None) -> FaqMatch | None: ...

    def render(self, match: FaqMatch) -> str: ...

    def rules(self, product: str | None) -> list[FaqMatch]: ...


class LibraryFaq:
    """The FAQ rules of the product library, rendered with the templates' variant engine."""

    def __init__(self, get_matcher: Callable[[], Any], render_text: Callable[..., str],
                 product_values: Callable[[str | None], dict], product_rules: Callable[[str | None], list]):
        self._get_matcher = get_matcher
        self._render_text = render_text
        self._values = product_values
        self._rules = product_rules

    def match(self, text: str, product: str | None) -> FaqMatch | None:
        rule = self._get_matcher().match(text, product)
        if rule is None or not rule.reply.strip():
            return None
        return FaqMatch(rule.id, rule.reply, int(rule.priority), product)

    def render(self, match: FaqMatch) -> str:
        values = dict(self._values(match.product))
        values["nickname"] = NICKNAME_SLOT
        return self._render_text(match.template, values)

    def rules(self, product: str | None) -> list[FaqMatch]:
        return [FaqMatch(r.id, r.reply, int(r.priority), product) for r in self._rules(product) if r.reply.strip()]


class AnswerDesk:
    def __init__(self, faq: Faq | None, budget: AirtimeBudget, rate: SpeechRate, *, readings: int = 2):
        self.faq = faq
        self.budget = budget
        self.rate = rate
        self.readings = readings
        self._bank: dict[tuple[str | None, str], deque[str]] = {}
        self._waiting: dict[tuple[str | None, str], str] = {}  # rule -> answer id not yet started
        self._keys: dict[str, tuple[str | None, str]] = {}  # answer id -> rule
        # answers on their way (keyword answer ids, LLM job ids): [seconds they take, heard since,
        # forgotten after] (past its deadline an answer not heard is gone, whether we heard so or not)
        self._in_flight: dict[str, list] = {}

    # ---- FAQ -----------------------------------------------------------------------------

    def match(self, text: str, product: str | None) -> FaqMatch | None:
        return self.faq.match(text, product) if self.faq is not None else None

    def prepare(self, product: str | None) -> list[str]:
        """Render readings of every FAQ answer of ``product``; returns the texts worth
        synthesising ahead (sentences that do not name the viewer)."""
        if self.faq is None:
            return []
        ahead: list[str] = []
        for match in self.faq.rules(product):
            bank = self._bank.setdefault((product, match.rule_id), deque())
            while len(bank) < self.readings:
                text = self.faq.render(match)
                bank.append(text)
                ahead += prefetchable(text)
        return ahead

    def reading(self, match: FaqMatch) -> tuple[str, list[str]]:
        """(a reading of ``match``'s answer, texts to synthesise ahead for the one that replaces
        it)."""
        bank = self._bank.setdefault((match.product, match.rule_id), deque())
        text = bank.popleft() if bank else self.faq.render(match)
        fresh = self.faq.render(match)
        bank.append(fresh)
        return text, prefetchable(fresh)

    def forget_product(self, product: str | None) -> None:
        for key in [k for k in self._bank if k[0] == product]:
            del self._bank[key]

    # ---- answers waiting to be played ----------------------------------------------------

    def waiting_answer(self, match: FaqMatch) -> str | None:
        return self._waiting.get((match.product, match.rule_id))

    def answering(self, match: FaqMatch, answer_id: str) -> None:
        key = (match.product, match.rule_id)
        self._waiting[key] = answer_id
        self._keys[answer_id] = key

    def started(self, answer_id: str, now: float | None = None) -> None:
        """The answer is being heard: a buyer asking now needs an answer of their own."""
        key = self._keys.pop(answer_id, None)
        if key is not None and self._waiting.get(key) == answer_id:
            del self._waiting[key]
        flight = self._flight_of(answer_id)
        if flight is not None and flight[1] is None and now is not None:
            flight[1] = now

    def gone(self, answer_id: str) -> None:
        """Finished, or dropped before it was heard."""
        self.started(answer_id)
        if answer_id in self._in_flight:
            del self._in_flight[answer_id]

    # ---- how long a new answer would wait ------------------------------------------------

    def on_the_way(self, key: str, cost: float, deadline: float) -> None:
        self._in_flight[key] = [cost, None, deadline]

    def queue_wait(self, now: float) -> float:
        """Seconds of answers to be heard before a new one: those waiting, and what is left of
        the one playing (from the estimate of their length)."""
        total = 0.0
        for key, (cost, since, deadline) in list(self._in_flight.items()):
            left = cost if since is None else cost - (now - since)
            if left <= 0 or (since is None and now > deadline):
                del self._in_flight[key]
            else:
                total += left
        return total

    def _flight_of(self, utterance_id: str) -> list | None:
        flight = self._in_flight.get(utterance_id)
        if flight is None and (job := group_of(utterance_id)) is not None:  # an LLM answer's sentence
            flight = self._in_flight.get(job)
        return flight

    # ---- the budget ----------------------------------------------------------------------

    def cost(self, text: str) -> float:
        return self.rate.seconds(text)


def prefetchable(text: str) -> list[str]:
    """The sentences of a reading that do not name the viewer: whole sentences (to their
    terminator), so each is prepared exactly as it is within the answer and synthesised into the
    very cache entry the answer will look up."""
    return [s for s in split_sentences(text, max(len(text), 1)) if "${" not in s]
