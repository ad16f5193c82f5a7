"""The language model: any OpenAI-compatible chat endpoint, through the `openai` client.

Asynchronous end to end (`AsyncOpenAI`, streamed), so fifty questions wait on the
network together instead of in a thread pool. `ModelGate` bounds how many model calls
run at once and tells each waiting caller its place in the line.

We talk to the client directly rather than through LlamaIndex's OpenAILike because we
need what its wrapper hides: the finish reason (an answer cut off mid-sentence must
say so), token usage inside streams, reasoning text kept apart from the answer, and
one place that adapts to what a self-hosted server accepts. Retries happen in one
place, the openai client (backoff on 429, 5xx, timeouts, honouring Retry-After).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from llama_index.core.base.llms.types import ChatMessage

from rag.config import Config, LLMSettings
from rag.models.think import ThinkFilter
from rag.models.usage import CLI, Caller, Ledger
from rag.text.script import CJK

log = logging.getLogger(__name__)

OPENAI_BASE = "https://api.openai.com/v1"

OnText = Callable[[str], object]  # the answer so far (visible text only)
OnQueue = Callable[[int], object]  # place in the line (1 = next), called while waiting


class LLMUnavailable(RuntimeError):
    """The model did not answer after retries; the message is for people."""


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False  # the server reported none; counted locally


@dataclass(frozen=True)
class Completion:
    text: str  # the answer only: reasoning and <think> blocks removed
    finish_reason: str | None  # "stop"; "length" or None when the model stopped early
    usage: Usage
    seconds: float
    call_id: int | None = None  # its row in the ledger
    logprobs: tuple = ()  # per generated token {token, logprob, top_logprobs}, when asked for and reported

    @property
    def cut_off(self) -> bool:
        """The model did not finish: out of tokens, or the stream just ended."""
        return self.finish_reason not in ("stop", "eos", "end_turn")


class ModelGate:
    """At most `limit` model calls at once; the others wait in arrival order and are
    told their place whenever it changes."""

    def __init__(self, limit: int):
        self.limit = max(1, limit)
        self.running = 0
        self._waiting: collections.deque[tuple[asyncio.Future, OnQueue | None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def slot(self, on_queue: OnQueue | None = None) -> "_Slot":
        return _Slot(self, on_queue)

    async def _acquire(self, on_queue: OnQueue | None) -> None:
        if self.running < self.limit and not self._waiting:
            self.running += 1
            return
        entry = (asyncio.get_running_loop().create_future(), on_queue)
        self._waiting.append(entry)
        _tell(on_queue, len(self._waiting))
        try:
            await entry[0]  # the releaser hands its slot over: `running` stays counted
        except BaseException:
            if entry in self._waiting:
                self._waiting.remove(entry)
                self._tell_positions()
            elif entry[0].done() and not entry[0].cancelled():
                self._release()  # handed a slot while being cancelled: pass it on
            raise

    def _release(self) -> None:
        while self._waiting:
            future, _ = self._waiting.popleft()
            if not future.done():
                future.set_result(None)
                self._tell_positions()
                return
        self.running -= 1

    def _tell_positions(self) -> None:
        for place, (_, on_queue) in enumerate(self._waiting, 1):
            _tell(on_queue, place)


class _Slot:
    def __init__(self, gate: ModelGate, on_queue: OnQueue | None):
        self.gate, self.on_queue = gate, on_queue

    async def __aenter__(self) -> None:
        await self.gate._acquire(self.on_queue)

    async def __aexit__(self, *exc) -> None:
        self.gate._release()


def _tell(callback: Callable | None, *args) -> None:
    if callback is None:
        return
    try:
        result = callback(*args)
        if asyncio.iscoroutine(result):
            asyncio.ensure_future(result)
    except Exception:  # a progress display must never break the answer
        log.exception("progress callback failed")


def estimate_tokens(text: str) -> int:
    """A rough count when the server reports none: a CJK character is about one token,
    other text about four characters a token."""
    cjk = len(CJK.findall(text))
    return cjk + max(0, len(text) - cjk) // 4 + (1 if text else 0)


@dataclass
class _Quirks:
    """What this server turned out not to accept, learnt once per process."""

    token_param: str = "max_tokens"
    temperature: bool = True
    stream_usage: bool = True
    system_role: bool = True
    structured: bool = True  # response_format with a JSON schema
    logprobs: bool = True
    notes: list[str] = field(default_factory=list)


class ChatModel:
    """One OpenAI-compatible chat model behind a `ModelGate`; every call goes in the ledger."""

    def __init__(self, settings: LLMSettings, api_key: str, base_url: str, gate: ModelGate | None = None,
                 ledger: Ledger | None = None):
        import openai

        self.settings = settings
        self.model = settings.model
        self.base_url = base_url
        self.gate = gate or ModelGate(settings.concurrency)
        self.ledger = ledger
        common = dict(api_key=api_key or "unused", base_url=base_url, timeout=settings.timeout,
                      max_retries=settings.max_retries)
        self.client = openai.AsyncOpenAI(**common)
        self.sync_client = openai.OpenAI(**common)  # for blocking callers (ingest in a worker thread)
        self.quirks = _Quirks(system_role=settings.system_role == "system")

    # -- the two ways to call it ------------------------------------------------------
    async def complete(self, messages: list[ChatMessage], on_text: OnText | None = None,
                       on_queue: OnQueue | None = None, *, operation: str = "ask", caller: Caller = CLI,
                       structured: dict | None = None, top_logprobs: int = 0) -> Completion:
        """The model's answer, streamed through `on_text` when given; waits its turn.
        `structured`: a JSON schema the reply must follow (OpenAI's response_format, which
        llama.cpp, vLLM and Ollama also accept; dropped if the server refuses it, so the
        reply must still be checked). `top_logprobs`: the N likeliest tokens at each step
        of an unstreamed reply, in `Completion.logprobs`, where the server reports them."""
        async with self.gate.slot(on_queue):
            started = time.monotonic()
            try:
                if on_text is None:
                    response = await self._with_quirks(
                        lambda **kw: self.client.chat.completions.create(**kw), messages, stream=False,
                        structured=structured, top_logprobs=top_logprobs)
                    completion = _from_response(response, messages, time.monotonic() - started)
                else:
                    completion = await self._stream(messages, on_text, started)
            except Exception as exc:
                self._record(operation, caller, None, time.monotonic() - started, f"error: {explain_failure(exc)}")
                raise
        return self._recorded(completion, operation, caller)

    def complete_sync(self, messages: list[ChatMessage], *, operation: str, caller: Caller = CLI) -> Completion:
        """Blocking, not streamed, outside the gate: for ingest's one-off calls."""
        started = time.monotonic()
        try:
            response = self._with_quirks_sync(messages)
        except Exception as exc:
            self._record(operation, caller, None, time.monotonic() - started, f"error: {explain_failure(exc)}")
            raise
        return self._recorded(_from_response(response, messages, time.monotonic() - started), operation, caller)

    def _recorded(self, completion: Completion, operation: str, caller: Caller) -> Completion:
        outcome = "ok" if not completion.cut_off else f"ok: cut off ({completion.finish_reason or 'no finish reason'})"
        call_id = self._record(operation, caller, completion.usage, completion.seconds, outcome)
        return replace(completion, call_id=call_id)

    def _record(self, operation: str, caller: Caller, usage: Usage | None, seconds: float, outcome: str) -> int | None:
        if self.ledger is None:
            return None
        usage = usage or Usage()
        return self.ledger.record(caller=caller, operation=operation, model=self.model,
                                  prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
                                  estimated=usage.estimated, seconds=seconds, outcome=outcome)

    # -- internals ----------------------------------------------------------------------
    async def _stream(self, messages, on_text: OnText, started: float) -> Completion:
        # Chunks are read as plain JSON (the SDK's custom-request route, with its SSE
        # decoding, error events, retries and error types): building a typed object per
        # chunk costs ~40 µs, and fifty answers at once stream thousands of chunks a second
        # through the one event loop (measured: half the CPU of `chat.completions.create`).
        import openai

        stream = await self._with_quirks(
            lambda **kw: self.client.post("/chat/completions", body=kw, cast_to=object, stream=True,
                                          stream_cls=openai.AsyncStream[object]), messages, stream=True)
        think, finish, usage, shown = ThinkFilter(), None, None, ""
        async with stream:
            async for chunk in stream:
                if not isinstance(chunk, dict):
                    continue
                if isinstance(chunk.get("usage"), dict):
                    usage = chunk["usage"]
                for choice in chunk.get("choices") or ():
                    if not isinstance(choice, dict):
                        continue
                    delta = choice.get("delta")
                    content = delta.get("content") if isinstance(delta, dict) else None
                    # Reasoning arrives in `reasoning_content` / `reasoning` on some servers:
                    # never shown, never part of the answer.
                    if isinstance(content, str) and content:
                        visible = think.feed(content)
                        if visible != shown:
                            shown = visible
                            _tell(on_text, visible)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
        text = think.finish()
        reported = (usage.get("prompt_tokens"), usage.get("completion_tokens")) if usage else None
        return Completion(text, finish, _usage(reported, messages, text), time.monotonic() - started)

    def _params(self, messages: list[ChatMessage], stream: bool, structured: dict | None = None,
                top_logprobs: int = 0) -> dict:
        q, s = self.quirks, self.settings
        params: dict = {"model": self.model, "messages": _wire(messages, q.system_role),
                        q.token_param: s.max_tokens}
        if q.temperature:
            params["temperature"] = s.temperature
        if structured and q.structured:
            params["response_format"] = {"type": "json_schema",
                                         "json_schema": {"name": "reply", "schema": structured, "strict": True}}
        if top_logprobs and q.logprobs and not stream:
            params["logprobs"], params["top_logprobs"] = True, top_logprobs
        if stream:
            params["stream"] = True
            if q.stream_usage:
                params["stream_options"] = {"include_usage": True}
        return params

    async def _with_quirks(self, create: Callable[..., Awaitable], messages, stream: bool, **options):
        while True:  # ends: each retry gives up one more thing the server rejected
            try:
                return await create(**self._params(messages, stream, **options))
            except Exception as exc:
                if not self._adapt(exc):
                    raise

    def _with_quirks_sync(self, messages):
        while True:
            try:
                return self.sync_client.chat.completions.create(**self._params(messages, False))
            except Exception as exc:
                if not self._adapt(exc):
                    raise

    def _adapt(self, exc: Exception) -> bool:
        """A 400/422 that names a parameter we can do without: drop or rename it once."""
        import openai

        if not isinstance(exc, openai.BadRequestError | openai.UnprocessableEntityError):
            return False
        said = str(exc).lower()
        q = self.quirks
        if q.token_param == "max_tokens" and "max_tokens" in said and "max_completion_tokens" in said:
            q.token_param = "max_completion_tokens"
        elif q.temperature and "temperature" in said:
            q.temperature = False
        elif q.stream_usage and ("stream_options" in said or "include_usage" in said):
            q.stream_usage = False
        elif q.system_role and "system" in said and ("role" in said or "template" in said):
            q.system_role = False
        elif q.structured and ("response_format" in said or "json_schema" in said):
            q.structured = False
        elif q.logprobs and "logprobs" in said:
            q.logprobs = False
        else:
            return False
        log.warning("the model server rejected a request parameter; adapting (%s)", _describe(q))
        return True


def _describe(q: _Quirks) -> str:
    return (f"{q.token_param}, temperature {'sent' if q.temperature else 'omitted'}, "
            f"usage in streams {'asked' if q.stream_usage else 'not asked'}, "
            f"rules {'as a system message' if q.system_role else 'in the first user turn'}")


def _wire(messages: list[ChatMessage], system_role: bool) -> list[dict]:
    """ChatMessages as the API wants them; without a system role, the rules go first in
    the first user turn (some chat templates reject or drop a system message)."""
    wire = [{"role": m.role.value, "content": m.content or ""} for m in messages]
    if system_role or not wire or wire[0]["role"] != "system":
        return wire
    rules, rest = wire[0]["content"], wire[1:]
    for message in rest:
        if message["role"] == "user":
            message["content"] = f"{rules}\n\n{message['content']}"
            return rest
    return [{"role": "user", "content": rules}, *rest]


def _usage(reported: tuple[int | None, int | None] | None, messages: list[ChatMessage], text: str) -> Usage:
    """The server's (prompt, completion) token counts, or our estimate when it gave none."""
    prompt, completion = reported or (None, None)
    if isinstance(prompt, int) and isinstance(completion, int) and (prompt or completion):
        return Usage(prompt, completion)
    prompt = sum(estimate_tokens(m.content or "") for m in messages)
    return Usage(prompt, estimate_tokens(text), estimated=True)


def _from_response(response, messages, seconds: float) -> Completion:
    choice = response.choices[0] if response.choices else None
    raw = (choice.message.content if choice and choice.message else "") or ""
    think = ThinkFilter()
    think.feed(raw)
    text = think.finish()
    usage = getattr(response, "usage", None)
    reported = (usage.prompt_tokens, usage.completion_tokens) if usage is not None else None
    return Completion(text, choice.finish_reason if choice else None, _usage(reported, messages, text), seconds,
                      logprobs=_logprobs(choice))


def _logprobs(choice) -> tuple:
    content = getattr(getattr(choice, "logprobs", None), "content", None) or ()
    return tuple({"token": t.token, "logprob": t.logprob,
                  "top_logprobs": [{"token": a.token, "logprob": a.logprob} for a in (t.top_logprobs or ())]}
                 for t in content)


def make_llm(config: Config, gate: ModelGate | None = None, ledger: Ledger | None = None) -> ChatModel | None:
    """A model when a key or a base URL is configured; None means offline mode."""
    if not config.llm_enabled:
        return None
    return ChatModel(config.llm, config.openai_api_key, config.llm_base_url or OPENAI_BASE, gate, ledger)


_FAILURES = {  # why a model call failed, for the people who asked (English, Traditional Chinese)
    "timeout": ("the language model did not answer in time", "語言模型沒有及時回應"),
    "rate": ("the language model is rate-limited right now (429)", "語言模型目前請求過多（429）"),
    "key": ("the language model rejected the API key (401)", "語言模型拒絕了 API 金鑰（401）"),
    "status": ("the language model returned an error ({code})", "語言模型回傳錯誤（{code}）"),
    "unreachable": ("the language model could not be reached", "無法連線到語言模型"),
    "unreadable": ("the language model's reply could not be read ({kind})", "無法讀取語言模型的回覆（{kind}）"),
}


def explain_failure(exc: BaseException, language: str = "en") -> str:
    """Plain words for what went wrong, without echoing keys or request bodies."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        kind, params = "timeout", {}
    elif isinstance(exc, openai.RateLimitError):
        kind, params = "rate", {}
    elif isinstance(exc, openai.AuthenticationError):
        kind, params = "key", {}
    elif isinstance(exc, openai.APIStatusError):
        kind, params = "status", {"code": exc.status_code}
    elif isinstance(exc, openai.APIConnectionError):
        kind, params = "unreachable", {}
    else:
        kind, params = "unreadable", {"kind": type(exc).__name__}
    return _FAILURES[kind][0 if language == "en" else 1].format(**params)
