"""The language model: LlamaIndex's OpenAILike over the real `openai` client.

Works with OpenAI itself or any OpenAI-compatible server (vLLM, llama.cpp, Ollama).
Retries happen in one place, the openai client (exponential backoff on 429, 5xx,
timeouts, honouring Retry-After); LlamaIndex's own retry layer is switched off so a
failure costs max_retries attempts, not max_retries squared.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.config import Config

OPENAI_BASE = "https://api.openai.com/v1"


class LLMUnavailable(RuntimeError):
    """The model did not answer after retries; the message is for people."""


@dataclass(frozen=True)
class LLMInfo:
    model: str
    base_url: str


def make_llm(config: Config):
    """An LLM when a key or a base URL is configured; None means offline mode."""
    if not config.llm_enabled:
        return None
    import openai
    from llama_index.llms.openai_like import OpenAILike

    base_url = config.llm_base_url or OPENAI_BASE
    api_key = config.openai_api_key or "unused"  # local servers often need none
    settings = config.llm
    common = dict(api_key=api_key, base_url=base_url, timeout=settings.timeout, max_retries=settings.max_retries)
    return OpenAILike(
        model=settings.model,
        api_base=base_url,
        api_key=api_key,
        is_chat_model=True,
        context_window=settings.context_window,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        timeout=settings.timeout,
        max_retries=0,
        openai_client=openai.OpenAI(**common),
        async_openai_client=openai.AsyncOpenAI(**common),
    )


def explain_failure(exc: BaseException) -> str:
    """Plain words for what went wrong, without echoing keys or request bodies."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return "the language model did not answer in time"
    if isinstance(exc, openai.RateLimitError):
        return "the language model is rate-limited right now (429)"
    if isinstance(exc, openai.AuthenticationError):
        return "the language model rejected the API key (401)"
    if isinstance(exc, openai.APIStatusError):
        return f"the language model returned an error ({exc.status_code})"
    if isinstance(exc, openai.APIConnectionError):
        return "the language model could not be reached"
    return f"the language model's reply could not be read ({type(exc).__name__})"
