"""Secret values never reach a log line: every secret this process resolves is remembered here,
and ``redact`` / ``RedactingFilter`` replace it with ``***``.

Its own module, below both ``app.config`` (which resolves secrets and remembers them) and
``app.logs`` (which attaches the filter to every handler): each imports this, neither the other.
"""

from __future__ import annotations

import logging
import threading

_known_values: set[str] = set()
_known_lock = threading.Lock()


def remember_secret(value: str) -> str:
    """Add a secret's text to what ``redact`` removes; returns ``value``."""
    if value:
        with _known_lock:
            _known_values.add(value)
    return value


def redact(text: str) -> str:
    """``text`` with every secret value seen by this process replaced by ***."""
    with _known_lock:
        known = sorted(_known_values, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """Attach to log handlers: formats the record's message and removes secret values."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _known_values:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg, record.args = cleaned, None
            if record.exc_info and not record.exc_text:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            elif record.exc_text:
                record.exc_text = redact(record.exc_text)
        return True
