"""No secret in any log line: what paperbot knows is secret (keys and tokens from the
environment, passwords in configured URLs) and what looks like one is masked, in the
message, its arguments and its traceback alike."""

from __future__ import annotations

import io
import logging

import pytest

from rag.logs import MaskingFilter, SecretMask, known_secrets


@pytest.fixture
def log(monkeypatch):
    """A logger writing through the masking filter to a string, as `configure_logging` sets up."""
    monkeypatch.setenv("OPENAI_API_KEY", "loopback-key-0123456789")
    monkeypatch.setenv("DISCORD_TOKEN", "discord-token-abcdefghij")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter(SecretMask(known_secrets(["http://bot:hunter22hunter@127.0.0.1:8/v1"]))))
    logger = logging.getLogger("test.secrets")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_a_server_echoing_the_key_in_an_error_body_is_masked_in_the_traceback(log):
    logger, stream = log
    try:
        raise RuntimeError('Error code: 401 - {"error": {"message": "Incorrect API key: loopback-key-0123456789"}}')
    except RuntimeError:
        logger.exception("model call failed for %s", "discord-token-abcdefghij")
    text = stream.getvalue()
    assert "loopback-key-0123456789" not in text and "discord-token-abcdefghij" not in text
    assert "Incorrect API key: [secret]" in text and "failed for [secret]" in text and "Traceback" in text


def test_passwords_in_urls_and_key_parameters_are_masked_even_when_unknown(log):
    logger, stream = log
    logger.warning("POST http://bot:hunter22hunter@127.0.0.1:8/v1/chat?api_key=never-configured-9876&x=1")
    logger.warning("retrying with Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123 and sk-proj-AbCdEf123456789xyz")
    logger.warning("quoted in a URL: loopback%2Dkey%2D0123456789 / loopback-key-0123456789")
    text = stream.getvalue()
    for secret in ("hunter22hunter", "never-configured-9876", "abcdefghijklmnopqrstuvwxyz0123",
                   "sk-proj-AbCdEf123456789xyz", "loopback-key-0123456789"):
        assert secret not in text
    assert "api_key=[secret]&x=1" in text and "http://bot:[secret]@127.0.0.1:8" in text


def test_ordinary_text_is_left_alone(log):
    logger, stream = log
    logger.warning("HippoRAG indexes 33 papers; the key insight is the hippocampus (token budget 1024)")
    assert stream.getvalue().strip() == "HippoRAG indexes 33 papers; the key insight is the hippocampus (token budget 1024)"
