"""The reply stage: what to say for each live event (gifts, welcomes, follows, likes,
comments), with aggregation, rate limits, deadlines and the dynamic priority of design §5."""

from app.reply.policy import ReplyPolicy
from app.reply.settings import ReplySettings, SettingsError
from app.reply.templates import BUILTIN as BUILTIN_TEMPLATES

__all__ = ["BUILTIN_TEMPLATES", "ReplyPolicy", "ReplySettings", "SettingsError"]
