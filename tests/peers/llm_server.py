"""A real, scriptable OpenAI-compatible HTTP server for tests.

``LLMServer`` runs an aiohttp application on ``127.0.0.1`` (a free port) in a
background thread with its own event loop, so sync clients (``openai.OpenAI``,
LlamaIndex ``.chat``) and async clients (``openai.AsyncOpenAI``, code running
under pytest-asyncio) in the test process can all talk to it over real HTTP.
Nothing is mocked: the code under test uses its normal client, pointed at
``server.base_url``.

Endpoints (all under ``/v1``)::

    POST /v1/chat/completions   chat.completion JSON, or SSE chat.completion.chunk
                                stream when the request has "stream": true
    POST /v1/embeddings         deterministic, unit-normalised embeddings
    GET  /v1/models             one model (``server.model``)

Typical use::

    from peers.llm_server import LLMServer, reply, status, delay, malformed

    with LLMServer() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
        server.script(
            status(429, headers={"retry-after-ms": "10"}),  # first request
            reply("Attention is all you need [1]"),        # second request
        )
        ...  # exercise the code under test
        assert len(server.requests) == 2
        assert server.last_chat()[-1]["content"] == "..."

Scripting
---------
Chat completions, structured chat completions and embeddings have separate
FIFO queues: ``server.script(*steps)`` feeds ``/v1/chat/completions``,
``server.script_structured(*steps)`` feeds the chat completions that ask for a
JSON-schema reply (``response_format``: the claim verifier's), and
``server.script_embeddings(*steps)`` feeds ``/v1/embeddings`` (so neither an
embedding call nor a verdict asked by the code under test eats a scripted
answer). Each request consumes one step. When a queue is empty, chat requests
are answered with ``server.default`` (``reply("OK [1]")`` unless changed),
structured ones with the JSON object the schema asks for, every required key
given its first allowed value (as a server that enforces the schema would
write it), and embeddings requests are answered normally.

A step is one of:

* ``reply(text)`` -- a normal answer. The same step serves a streaming or a
  non-streaming request, whichever the client asked for. A bare ``str`` is
  accepted as shorthand for ``reply(str)``. For embeddings it just means
  "answer normally".
* ``status(code, body=None, headers=None)`` -- an error response. Without a
  body an OpenAI-style ``{"error": {...}}`` JSON is sent. Note: the openai
  client ignores ``retry-after: 0`` and falls back to its own ~0.5 s backoff;
  send ``{"retry-after-ms": "10"}`` for fast retries in tests.
* ``delay(seconds, then=None)`` -- sleep, then answer with ``then`` (default:
  the normal answer). The sleep is async (other requests are served
  meanwhile) and is cut short, answered with a 503, when the server stops.
* ``reply(text, finish_reason=None)`` -- a stream that just ends, with no finish
  reason (a server that dropped the generation); ``finish_reason="length"`` -- out
  of tokens. ``reply(..., reasoning="...")`` also streams reasoning in a separate
  ``reasoning_content`` field (vLLM/DeepSeek style); ``chunk_chars=N`` streams the
  text in pieces of N characters (so a ``<think>`` tag can be split across chunks).
* ``stream_error(text, message)`` -- streams ``text``, then an SSE ``error`` event
  with ``message`` (how servers report a failure mid-stream).
* ``malformed(body=None)`` -- status 200 with a body that is not valid JSON
  (for streaming requests: an SSE event whose data is not JSON). Pass
  ``body=`` to send something specific, e.g. valid JSON of the wrong shape.
* any callable ``fn(request_json) -> step`` -- for dynamic replies; it runs
  in the server thread and may return any of the above (or another callable).

Server quirks (constructor arguments, like the self-hosted servers people run)
---------------------------------------------------------------------------------
* ``stream_usage=False`` -- ignores ``stream_options.include_usage`` (llama.cpp's server).
* ``max_prompt_chars=N`` -- answers 400 ("maximum context length") to a prompt whose
  messages hold more than N characters, as a server with a small context window does.
* ``rejects={"max_tokens", "temperature", "system"}`` -- answers 400 naming the
  parameter when a request has ``max_tokens`` (asks for ``max_completion_tokens``,
  as OpenAI's reasoning models do), ``temperature``, or a system message ("System
  role not supported", as Gemma's chat template does).

Recording
---------
Every request (any path) is appended to ``server.requests`` (a thread-safe
snapshot list of ``RecordedRequest`` with ``.method``, ``.path``, ``.headers``
-- a dict with lower-cased names -- and ``.json``, the parsed body or None).
``server.chat_requests()`` keeps only chat completion requests and
``server.last_chat()`` returns the ``messages`` of the last one.
``server.pending`` is the number of chat steps not consumed yet, and
``server.reset()`` empties queues and recordings and restores the default
(handy for a session-scoped server).

Embeddings are feature-hashed bags of words (dimension ``server.embedding_dim``,
default 384, or the request's ``dimensions``): identical texts give identical
vectors and texts sharing words have a higher cosine similarity, so retrieval
behaves sensibly. ``encoding_format: "base64"`` (the openai client's default)
is honoured.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import math
import re
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union

from aiohttp import web

from .loopback import LoopbackServer

__all__ = [
    "LLMServer",
    "RecordedRequest",
    "Reply",
    "Status",
    "Delay",
    "Malformed",
    "Step",
    "reply",
    "stream_error",
    "StreamError",
    "status",
    "delay",
    "malformed",
    "embed_text",
]


# --------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: Optional[str] = "stop"
    chunk_delay: float = 0.0  # seconds between streamed chunks, like a model writing
    reasoning: str = ""  # streamed first in `reasoning_content` (never part of the answer)
    chunk_chars: Optional[int] = None  # stream in pieces of this many characters


@dataclass(frozen=True)
class StreamError:
    text: str
    message: str


@dataclass(frozen=True)
class Status:
    code: int
    body: Any = None  # None -> OpenAI-style error JSON; dict/list -> JSON; str/bytes -> verbatim
    headers: Optional[dict] = None


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: Any = None  # a Step; None -> the normal answer


@dataclass(frozen=True)
class Malformed:
    body: Optional[Union[str, bytes]] = None  # None -> a built-in invalid body


Step = Union[Reply, Status, Delay, Malformed, StreamError, str, Callable[[dict], Any]]


def reply(text: str, finish_reason: Optional[str] = "stop", chunk_delay: float = 0.0, reasoning: str = "",
          chunk_chars: Optional[int] = None) -> Reply:
    """A normal answer (streamed or not, as the request asks)."""
    return Reply(text, finish_reason, chunk_delay, reasoning, chunk_chars)


def stream_error(text: str, message: str) -> StreamError:
    """A stream that starts, then reports an error event."""
    return StreamError(text, message)


def status(code: int, body: Any = None, headers: Optional[dict] = None) -> Status:
    """An HTTP error (or any status) response."""
    return Status(code, body, headers)


def delay(seconds: float, then: Step | None = None) -> Delay:
    """Sleep ``seconds`` (non-blocking, cut short on stop), then answer with ``then``."""
    return Delay(seconds, then)


def malformed(body: str | bytes | None = None) -> Malformed:
    """A 200 response whose body is not a valid completion."""
    return Malformed(body)


# ----------------------------------------------------------------- recording


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict
    json: Any


# -------------------------------------------------------------------- server


class LLMServer(LoopbackServer):
    """OpenAI-compatible HTTP server running in a background thread."""

    _loop_thread_name = "LLMServer"

    def __init__(self, *, model: str = "test-model", embedding_dim: int = 384,
                 default: Step = "OK [1]", stream_usage: bool = True, rejects: frozenset = frozenset(),
                 max_prompt_chars: Optional[int] = None) -> None:
        super().__init__()
        self.model = model
        self.stream_usage = stream_usage
        self.max_prompt_chars = max_prompt_chars
        self.rejects = set(rejects)
        self.embedding_dim = embedding_dim
        self.default: Step = default
        self._initial_default = default
        self._lock = threading.Lock()
        self._chat_queue: list = []
        self._structured_queue: list = []
        self._embed_queue: list = []
        self._requests: list[RecordedRequest] = []
        self._ids = itertools.count(1)

    # ---------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---------------------------------------------------- scripting / records

    def script(self, *steps: Step) -> None:
        """Queue steps for /v1/chat/completions, consumed one per request."""
        with self._lock:
            self._chat_queue.extend(steps)

    def script_structured(self, *steps: Step) -> None:
        """Queue steps for chat completions with a JSON-schema ``response_format``."""
        with self._lock:
            self._structured_queue.extend(steps)

    def script_embeddings(self, *steps: Step) -> None:
        """Queue steps for /v1/embeddings, consumed one per request."""
        with self._lock:
            self._embed_queue.extend(steps)

    @property
    def pending(self) -> int:
        """Number of chat steps not consumed yet."""
        with self._lock:
            return len(self._chat_queue)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of all recorded requests, oldest first."""
        with self._lock:
            return list(self._requests)

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def last_chat(self) -> list[dict]:
        """``messages`` of the last chat completion request."""
        chats = self.chat_requests()
        if not chats:
            raise AssertionError("no chat completion request was received")
        return (chats[-1].json or {}).get("messages", [])

    def reset(self) -> None:
        """Clear queues and recorded requests, restore the default reply."""
        with self._lock:
            self._chat_queue.clear()
            self._structured_queue.clear()
            self._embed_queue.clear()
            self._requests.clear()
            self.default = self._initial_default

    # ------------------------------------------------------------ internals

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_get("/v1/models", self._models)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            headers={k.lower(): v for k, v in request.headers.items()},
            json=body,
        )
        with self._lock:
            self._requests.append(rec)
        return body

    def _next_step(self, queue: list, default: Step) -> Step:
        with self._lock:
            return queue.pop(0) if queue else default

    @staticmethod
    def _resolve(step: Step, body: dict) -> Step:
        while callable(step):
            step = step(body)
        return Reply(step) if isinstance(step, str) else step

    async def _run_step(self, step: Step, body: dict, request: web.Request,
                        answer: Callable, default: Step) -> web.StreamResponse:
        """Apply the generic steps; ``answer(request, body, reply)`` makes a normal answer."""
        step = self._resolve(step, body)
        if isinstance(step, Delay):
            assert self._stopping is not None
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=step.seconds)
                return _error(503, "LLMServer is stopping")
            except asyncio.TimeoutError:
                pass
            then = step.then if step.then is not None else default
            return await self._run_step(then, body, request, answer, default)
        if isinstance(step, Status):
            return _status_response(step)
        if isinstance(step, Malformed):
            return await _malformed_response(step, request, bool(body.get("stream")))
        if isinstance(step, Reply):
            return await answer(request, body, step)
        if isinstance(step, StreamError):
            return await _stream_error_response(step, request)
        raise TypeError(f"unknown LLMServer step: {step!r}")

    # ------------------------------------------------------------- handlers

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not isinstance(body, dict):
            return _error(400, "request body must be a JSON object")
        rejected = self._rejected(body)
        if rejected:
            return rejected
        schema = _schema(body)
        if schema is not None:
            default = reply(json.dumps({k: ((schema.get("properties") or {}).get(k, {}).get("enum") or ["yes"])[0]
                                        for k in schema.get("required") or ()}))
            step = self._next_step(self._structured_queue, default)
        else:
            default = self.default
            step = self._next_step(self._chat_queue, default)
        return await self._run_step(step, body, request, self._chat_answer, default)

    def _rejected(self, body: dict) -> Optional[web.Response]:
        """The 400s real servers send for parameters they do not take (before any step is used)."""
        size = sum(len(m.get("content") or "") for m in body.get("messages", []) if isinstance(m, dict))
        if self.max_prompt_chars is not None and size > self.max_prompt_chars:
            return _error(400, f"This model's maximum context length is {self.max_prompt_chars} characters; "
                               f"the messages have {size}.")
        if "max_tokens" in self.rejects and "max_tokens" in body:
            return _error(400, "Unsupported parameter: 'max_tokens' is not supported with this model. "
                               "Use 'max_completion_tokens' instead.")
        if "temperature" in self.rejects and "temperature" in body:
            return _error(400, "Unsupported value: 'temperature' does not support 0.2 with this model.")
        if "response_format" in self.rejects and "response_format" in body:
            return _error(400, "response_format is not supported by this server")
        if "system" in self.rejects and any(isinstance(m, dict) and m.get("role") == "system"
                                            for m in body.get("messages", [])):
            return _error(400, "System role not supported")
        return None

    async def _chat_answer(self, request: web.Request, body: dict, step: Reply) -> web.StreamResponse:
        text = step.text
        cid = f"chatcmpl-peer-{next(self._ids)}"
        created = int(time.time())
        model = body.get("model") or self.model
        prompt_tokens = sum(_count_tokens(m.get("content")) for m in body.get("messages", [])
                            if isinstance(m, dict))
        completion_tokens = _count_tokens(text)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                 "total_tokens": prompt_tokens + completion_tokens}

        if not body.get("stream"):
            return web.json_response({
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "system_fingerprint": None,
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": step.finish_reason,
                }],
                "usage": usage,
            })

        include_usage = self.stream_usage and bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict, finish_reason: str | None = None) -> dict:
            c = {"id": cid, "object": "chat.completion.chunk", "created": created,
                 "model": model, "system_fingerprint": None,
                 "choices": [{"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish_reason}]}
            if include_usage:
                c["usage"] = None
            return c

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": None, "reasoning_content": piece}) for piece in _split(step.reasoning)]
        pieces = ([text[i:i + step.chunk_chars] for i in range(0, len(text), step.chunk_chars)]
                  if step.chunk_chars else _split(text))
        events += [chunk({"content": piece}) for piece in pieces]
        if step.finish_reason is not None:
            events.append(chunk({}, step.finish_reason))
        if include_usage:
            events.append({"id": cid, "object": "chat.completion.chunk", "created": created,
                           "model": model, "system_fingerprint": None,
                           "choices": [], "usage": usage})

        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
        await resp.prepare(request)
        try:
            # Chunks keep to a schedule, as a model's tokens do: the peer's own overhead
            # under many parallel streams does not stretch them.
            start = asyncio.get_running_loop().time()
            for i, ev in enumerate(events, 1):
                await resp.write(f"data: {json.dumps(ev)}\n\n".encode())
                if step.chunk_delay:
                    await asyncio.sleep(max(0.0, start + i * step.chunk_delay - asyncio.get_running_loop().time()))
            await resp.write(b"data: [DONE]\n\n")
            await resp.write_eof()
        except (ConnectionResetError, ConnectionError):
            pass  # client went away mid-stream
        return resp

    async def _embeddings(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if not isinstance(body, dict):
            return _error(400, "request body must be a JSON object")
        normal = Reply("")  # for embeddings any reply() means "answer normally"
        step = self._next_step(self._embed_queue, normal)
        return await self._run_step(step, body, request, self._embeddings_answer, normal)

    async def _embeddings_answer(self, request: web.Request, body: dict, step: Reply) -> web.Response:
        inputs = body.get("input")
        if isinstance(inputs, str) or (isinstance(inputs, list) and inputs
                                       and all(isinstance(t, int) for t in inputs)):
            inputs = [inputs]  # a single string or a single token array
        if not isinstance(inputs, list) or not inputs:
            return _error(400, "'input' must be a non-empty string or list")
        dim = int(body.get("dimensions") or self.embedding_dim)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for i, item in enumerate(inputs):
            text = item if isinstance(item, str) else json.dumps(item)
            vec = embed_text(text, dim)
            emb: Any = (base64.b64encode(struct.pack(f"<{dim}f", *vec)).decode()
                        if as_base64 else vec)
            data.append({"object": "embedding", "index": i, "embedding": emb})
        tokens = sum(_count_tokens(t) if isinstance(t, str) else len(t) for t in inputs)
        return web.json_response({
            "object": "list", "data": data, "model": body.get("model") or self.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.json_response({"object": "list", "data": [
            {"id": self.model, "object": "model", "created": 0, "owned_by": "paperbot-tests"}]})

    async def _not_found(self, request: web.Request) -> web.Response:
        await self._record(request)
        return _error(404, f"LLMServer has no route {request.method} {request.path}")


# ------------------------------------------------------------------- helpers


def embed_text(text: str, dim: int = 384) -> list[float]:
    """Deterministic unit vector: feature-hashed bag of lower-cased words."""
    vec = [0.0] * dim
    words = re.findall(r"\w+", text.lower()) or [text]
    for word in words:
        h = hashlib.sha256(word.encode()).digest()
        idx = int.from_bytes(h[:4], "little") % dim
        vec[idx] += 1.0 if h[4] & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec))
    if norm == 0.0:  # all hashed features cancelled out: fall back to the whole text
        h = hashlib.sha256(text.encode()).digest()
        vec[int.from_bytes(h[:4], "little") % dim] = 1.0
        norm = 1.0
    return [v / norm for v in vec]


def _count_tokens(content: Any) -> int:
    """Crude token count (words); good enough for a `usage` block."""
    if isinstance(content, str):
        return len(content.split())
    if isinstance(content, list):  # content parts
        return sum(_count_tokens(p.get("text")) for p in content if isinstance(p, dict))
    return 0


async def _stream_error_response(step: StreamError, request: web.Request) -> web.StreamResponse:
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    first = {"id": "chatcmpl-peer-err", "object": "chat.completion.chunk", "created": int(time.time()),
             "model": "test-model", "choices": [{"index": 0, "delta": {"content": step.text}, "finish_reason": None}]}
    try:
        await resp.write(f"data: {json.dumps(first)}\n\n".encode())
        await resp.write(f"data: {json.dumps({'error': {'message': step.message, 'type': 'server_error'}})}\n\n".encode())
        await resp.write_eof()
    except ConnectionError:
        pass
    return resp


def _split(text: str) -> list[str]:
    """Split text into several stream pieces (word by word, whitespace kept)."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    if len(pieces) == 1 and len(text) > 1:
        half = len(text) // 2
        pieces = [text[:half], text[half:]]
    return pieces


def _error(code: int, message: str, type_: str = "invalid_request_error") -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": type_, "param": None, "code": None}},
        status=code)


def _status_response(step: Status) -> web.Response:
    headers = dict(step.headers or {})
    if step.body is None:
        resp = _error(step.code, f"scripted HTTP {step.code} from LLMServer",
                      "server_error" if step.code >= 500 else "invalid_request_error")
        resp.headers.update(headers)
        return resp
    if isinstance(step.body, (str, bytes)):
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
        return web.Response(status=step.code, body=step.body, headers=headers)
    return web.json_response(step.body, status=step.code, headers=headers)


async def _malformed_response(step: Malformed, request: web.Request,
                              stream: bool) -> web.StreamResponse:
    if step.body is not None:
        ctype = "text/event-stream" if stream else "application/json"
        return web.Response(status=200, body=step.body, headers={"Content-Type": ctype})
    if not stream:
        return web.Response(status=200, body=b'{"choices": [ this is not json',
                            headers={"Content-Type": "application/json"})
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    try:
        await resp.write(b"data: {this is not json\n\n")
        await resp.write_eof()
    except ConnectionError:
        pass
    return resp


def _schema(body: dict) -> Optional[dict]:
    """The JSON schema a chat request asks its reply to follow, if any."""
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        return schema if isinstance(schema, dict) else {}
    return None
