"""Channel names, here so that producers and consumers agree on them without importing each
other. On the bus each is namespaced as "<namespace>:<channel>"."""

from __future__ import annotations


class Channel:
    LIVE_EVENTS = "live.events"  # comments, likes, entries, stats … (pub/sub)
    LIVE_DURABLE = "live.events.durable"  # gifts and follows: must not be lost
    SPEECH_REQUESTS = "speech.requests"  # durable
    SPEECH_READY = "speech.ready"
    REPLY_JOBS = "reply.jobs"  # questions for the LLM worker
    PLAYER_STATE = "player.state"
    SYSTEM = "system"
    CONTROL = "control"


#: Channels that travel on Redis Streams with a consumer group (acked after handling).
DURABLE_CHANNELS = frozenset({Channel.LIVE_DURABLE, Channel.SPEECH_REQUESTS})

#: A consumer of live events subscribes to both of these.
LIVE_CHANNELS = (Channel.LIVE_EVENTS, Channel.LIVE_DURABLE)
