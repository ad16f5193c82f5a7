"""Tests of the OpenAI-compatible test peer (tests/peers/llm_server.py),
driven by the real openai client."""

import json
import math
import threading
import time

import openai
import pytest

from peers.llm_server import LLMServer, delay, malformed, reply, status

FAST_RETRY = {"retry-after-ms": "10"}  # openai ignores retry-after: 0 (falls back to ~0.5 s)
MESSAGES = [{"role": "user", "content": "What is attention?"}]


@pytest.fixture
def llm_server():
    with LLMServer() as server:
        yield server


def client(server, **kw):
    kw.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=server.base_url, api_key="test", **kw)


def aclient(server, **kw):
    kw.setdefault("max_retries", 0)
    return openai.AsyncOpenAI(base_url=server.base_url, api_key="test", **kw)


def chat(c, **kw):
    return c.chat.completions.create(model="test-model", messages=MESSAGES, **kw)


# ------------------------------------------------------------------ chat


def test_non_streaming_reply_and_recording(llm_server):
    llm_server.script(reply("Attention is all you need [1]"))
    resp = chat(client(llm_server))
    assert resp.object == "chat.completion"
    assert resp.choices[0].message.content == "Attention is all you need [1]"
    assert resp.choices[0].finish_reason == "stop"
    assert resp.usage.completion_tokens == 6
    (req,) = llm_server.requests
    assert req.path == "/v1/chat/completions"
    assert req.headers["authorization"] == "Bearer test"
    assert req.json["model"] == "test-model"
    assert llm_server.last_chat() == MESSAGES


def test_default_reply_when_queue_empty(llm_server):
    assert chat(client(llm_server)).choices[0].message.content == "OK [1]"
    llm_server.default = "something else"
    assert chat(client(llm_server)).choices[0].message.content == "something else"


def test_streaming_reply_reassembles(llm_server):
    text = "Transformers use self-attention [1] and feed-forward layers [2]."
    llm_server.script(reply(text))
    chunks = list(chat(client(llm_server), stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(pieces) > 2
    assert "".join(pieces) == text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_streaming_include_usage(llm_server):
    llm_server.script(reply("one two three"))
    chunks = list(chat(client(llm_server), stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 3
    assert all(c.usage is None for c in chunks[:-1])


@pytest.mark.asyncio
async def test_async_client_streaming_and_not(llm_server):
    llm_server.script(reply("async hello world"), reply("plain"))
    c = aclient(llm_server)
    stream = await c.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    text = "".join([ch.choices[0].delta.content or "" async for ch in stream if ch.choices])
    assert text == "async hello world"
    resp = await c.chat.completions.create(model="m", messages=MESSAGES)
    assert resp.choices[0].message.content == "plain"
    await c.close()


def test_callable_step(llm_server):
    llm_server.script(lambda body: reply("you said: " + body["messages"][-1]["content"]))
    assert chat(client(llm_server)).choices[0].message.content == "you said: What is attention?"


# ---------------------------------------------------------------- errors


def test_429_then_success_uses_client_retries(llm_server):
    llm_server.script(status(429, headers=FAST_RETRY), reply("finally"))
    resp = chat(client(llm_server, max_retries=2))
    assert resp.choices[0].message.content == "finally"
    assert len(llm_server.requests) == 2


def test_500_without_retries_raises(llm_server):
    llm_server.script(status(500))
    with pytest.raises(openai.InternalServerError) as exc_info:
        chat(client(llm_server))
    assert exc_info.value.status_code == 500
    assert "scripted HTTP 500" in exc_info.value.message
    assert len(llm_server.requests) == 1


def test_status_with_custom_body(llm_server):
    llm_server.script(status(400, body={"error": {"message": "context too long", "type": "x"}}))
    with pytest.raises(openai.BadRequestError, match="context too long"):
        chat(client(llm_server))


def test_delay_longer_than_timeout_raises(llm_server):
    llm_server.script(delay(3))
    t0 = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        chat(client(llm_server, timeout=0.3))
    assert time.monotonic() - t0 < 2


def test_delay_does_not_block_other_requests_and_stop_cuts_it_short():
    server = LLMServer().start()
    server.script(delay(30), reply("fast"))
    slow_done = threading.Event()

    def slow():
        try:
            chat(client(server, timeout=60))
        except openai.OpenAIError:
            pass
        slow_done.set()

    threading.Thread(target=slow, daemon=True).start()
    deadline = time.monotonic() + 5
    while server.pending != 1 and time.monotonic() < deadline:  # wait until the delay is taken
        time.sleep(0.01)
    assert chat(client(server, timeout=2)).choices[0].message.content == "fast"
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 2
    assert slow_done.wait(2)


def test_delay_then_step(llm_server):
    llm_server.script(delay(0.05, then=reply("late")))
    assert chat(client(llm_server, timeout=2)).choices[0].message.content == "late"


def test_malformed_raises(llm_server):
    llm_server.script(malformed())
    with pytest.raises((openai.OpenAIError, json.JSONDecodeError)):
        chat(client(llm_server))


def test_malformed_stream_raises(llm_server):
    llm_server.script(malformed())
    with pytest.raises((openai.OpenAIError, json.JSONDecodeError)):
        list(chat(client(llm_server), stream=True))


# ------------------------------------------------------------ embeddings


def test_embeddings_shape_and_determinism(llm_server):
    c = client(llm_server)
    one = c.embeddings.create(model="emb", input="attention heads")
    assert len(one.data) == 1 and len(one.data[0].embedding) == 384
    assert math.isclose(sum(v * v for v in one.data[0].embedding), 1.0, rel_tol=1e-5)

    many = c.embeddings.create(model="emb", input=["attention heads", "b", "c"], encoding_format="float")
    assert [d.index for d in many.data] == [0, 1, 2]
    assert all(len(d.embedding) == 384 for d in many.data)
    # base64 (client default) and float encodings carry the same vector
    assert many.data[0].embedding == pytest.approx(one.data[0].embedding, abs=1e-6)


def test_embeddings_dimensions_and_scripting(llm_server):
    llm_server.script_embeddings(status(503))
    c = client(llm_server)
    with pytest.raises(openai.InternalServerError):
        c.embeddings.create(model="emb", input="x")
    assert len(c.embeddings.create(model="emb", input="x", dimensions=16).data[0].embedding) == 16


def test_models(llm_server):
    assert [m.id for m in client(llm_server).models.list()] == ["test-model"]
