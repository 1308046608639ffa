"""Language-model answers: Ark and Ollama providers behind one streaming client with limits,
sentence-by-sentence streaming into speech requests, and variant-markup generation.

    client = make_client(LlmSettings(provider="ollama", model="qwen2.5:3b"))
    for sentence in stream_sentences(client, reply_messages("多少钱？", product=p)): ...
    LlmWorker(bus, client, prepare=TextPreparer(compliance.apply), product_lookup=library.get).run()
"""

from app.llm.client import LlmClient, LlmLimits, LlmStats
from app.llm.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    Cancelled,
    LlmDisabled,
    LlmError,
    LlmTimeout,
    ModelNotFound,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Unreachable,
)
from app.llm.factory import PROVIDERS, LlmSettings, make_client
from app.llm.limits import RetryPolicy
from app.llm.prompting import PromptSettings, reply_messages, system_prompt
from app.llm.provider import Generation, Timeouts
from app.llm.sentences import stream_sentences
from app.llm.variants import VariantGenerationFailed, generate_variants
from app.llm.worker import LlmWorker

__all__ = [
    "PROVIDERS", "AuthError", "BadRequest", "BadResponse", "Cancelled", "Generation", "LlmClient",
    "LlmDisabled", "LlmError", "LlmLimits", "LlmSettings", "LlmStats", "LlmTimeout", "LlmWorker",
    "ModelNotFound", "PromptSettings", "RateLimited", "RetryPolicy", "ServerError",
    "StreamInterrupted", "Timeouts", "Unreachable", "VariantGenerationFailed", "generate_variants",
    "make_client", "reply_messages", "stream_sentences", "system_prompt",
]
