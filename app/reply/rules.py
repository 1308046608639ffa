"""Adapter from the keyword FAQ rules (app.text.keywords) to the policy's ``match_rule``.

The runtime builds it from the product library and the template renderer, e.g.::

    match_rule = keyword_rule_matcher(library.matcher, templates.render_text,
                                      lambda slug: library.get(slug).template_values())

A rule's reply is a variant template; ``${nickname}`` is left in place (the policy fills it
with the masked nickname of the viewer it answers). The rule's ``priority`` (lower = more
urgent, default 0 = COMMENT_IMPORTANT) becomes the answer's base priority.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

NICKNAME_SLOT = "${nickname}"


class _Rule(Protocol):
    reply: str
    priority: int


class _Matcher(Protocol):
    def match(self, text: str, product: str | None = None) -> _Rule | None: ...


def keyword_rule_matcher(
    get_matcher: Callable[[], _Matcher] | _Matcher,
    render_text: Callable[..., str],
    product_values: Callable[[str | None], dict[str, object]] | None = None,
) -> Callable[[str, str | None], tuple[str, int] | None]:
    """``get_matcher`` may be a matcher or a callable returning the current one (rules are
    hot-reloaded by building a new matcher)."""

    def match_rule(text: str, product: str | None) -> tuple[str, int] | None:
        matcher = get_matcher() if callable(get_matcher) else get_matcher
        rule = matcher.match(text, product)
        if rule is None:
            return None
        values = dict(product_values(product) if product_values else {})
        values["nickname"] = NICKNAME_SLOT
        return render_text(rule.reply, values), int(rule.priority)

    return match_rule
