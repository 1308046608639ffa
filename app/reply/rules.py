"""The keyword FAQ rules of the product library, as the reply policy sees them.

The runtime and the ``reply-dry-run`` command build the policy's FAQ from the library and the
template renderer::

    faq = library_faq(library, templates.render_text)

A rule's reply is a variant template; ``${nickname}`` is left in place (the policy fills it
with the masked nickname of the viewer it answers). The rule's ``priority`` (lower = more
urgent, default 0 = COMMENT_IMPORTANT) becomes the answer's base priority.
"""

from __future__ import annotations

from collections.abc import Callable

from app.reply.answers import LibraryFaq


def library_faq(library, render_text: Callable[..., str]) -> LibraryFaq:
    """``library`` is an ``app.content.ProductLibrary`` (its matcher follows edits on disk)."""

    def values(slug: str | None) -> dict:
        product = library.get(slug) if slug else None
        return product.template_values() if product else {}

    def rules(slug: str | None) -> list:
        return [r for r in library.keyword_rules() if r.product in (None, slug)]

    return LibraryFaq(library.matcher, render_text, values, rules)
