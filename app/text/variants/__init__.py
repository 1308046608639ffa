"""The ``{a|b}`` variant engine (design §6): parse once, render with a seeded random source,
remember recent renderings so a template is not read the same way twice.

Public API::

    parse(text, extra_variables=()) -> Template      # raises VariantSyntaxError (all errors)
    check(text, extra_variables=()) -> list[VariantError]   # .line .col .message, str "l:c: msg"
    Template.count() -> int                          # distinct option paths, exact
    Renderer(seed).render(template_or_text, variables=None, **vars) -> str
"""

from app.text.variants.render import Renderer
from app.text.variants.syntax import (
    KNOWN_VARIABLES,
    MissingVariable,
    VariantError,
    VariantSyntaxError,
    normalise,
)
from app.text.variants.template import ENUMERATE_LIMIT, Template, check, literal, parse

__all__ = [
    "ENUMERATE_LIMIT", "KNOWN_VARIABLES", "MissingVariable", "Renderer", "Template",
    "VariantError", "VariantSyntaxError", "check", "literal", "normalise", "parse",
]
