"""Logging for the CLI and the bot: one handler on stderr, and no secret in any line.

Servers echo what they were sent: a 401 body that quotes the API key, an error URL
with `?key=…`, a stream error that repeats the Authorization header. Every record is
masked on its way out, message, arguments and traceback alike, against the secrets
this process knows (tokens and keys from the environment, passwords and key-like query
parameters in configured URLs) and the shapes secrets have (`sk-…`, `Bearer …`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import urllib.parse

MASK = "[secret]"
_SECRET_ENV = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.IGNORECASE)
_SECRET_PARAM = re.compile(r"key|token|secret|password|passwd|sig|signature|auth", re.IGNORECASE)
# Secret-shaped text, whoever's it is: `keep` and `tail` stay, the rest is masked.
_SHAPES = [
    re.compile(r"\bsk-[A-Za-z0-9_\-]{12,}"),  # OpenAI-style keys
    re.compile(r"(?i)(?P<keep>\b(?:bearer|bot)\s+)[A-Za-z0-9_\-.=]{16,}"),  # Authorization header values
    re.compile(r"(?i)(?P<keep>[?&](?:api[_-]?key|key|token|access_token|secret|password|sig)=)[^&\s\"'<>]+"),
    re.compile(r"(?i)(?P<keep>https?://[^/\s:@]+:)[^@\s/]+(?P<tail>@)"),  # user:password@host
    re.compile(r"\b[MN][A-Za-z\d_-]{23,27}\.[A-Za-z\d_-]{6}\.[A-Za-z\d_-]{27,}\b"),  # Discord bot tokens
]


def _masked(match: re.Match) -> str:
    parts = match.groupdict()
    return (parts.get("keep") or "") + MASK + (parts.get("tail") or "")
_MIN_SECRET = 6  # shorter values would mask ordinary words


class SecretMask:
    """Replaces known secret values and secret-shaped text."""

    def __init__(self, secrets: set[str] = frozenset()):
        self.secrets = sorted((s for s in secrets if len(s) >= _MIN_SECRET), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
            quoted = urllib.parse.quote(secret, safe="")  # as it appears inside a URL
            if quoted != secret and quoted in text:
                text = text.replace(quoted, MASK)
        for shape in _SHAPES:
            text = shape.sub(_masked, text)
        return text


def known_secrets(urls: list[str] = ()) -> set[str]:
    """Secret values this process holds: environment variables named like secrets, and
    passwords or key-like query parameters inside the given URLs."""
    found = {value.strip() for name, value in os.environ.items() if _SECRET_ENV.search(name) and value.strip()}
    for url in [*urls, os.environ.get("OPENAI_BASE_URL", "")]:
        if not url:
            continue
        parts = urllib.parse.urlsplit(url)
        if parts.password:
            found.add(parts.password)
        found |= {v for k, v in urllib.parse.parse_qsl(parts.query) if _SECRET_PARAM.search(k) and v}
    return found


class MaskingFilter(logging.Filter):
    """Masks a record in place: its formatted message and its traceback."""

    def __init__(self, mask: SecretMask):
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.mask(record.getMessage()), None
        if record.exc_info:
            record.exc_text = self.mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


_mask = SecretMask()


def mask(text: str) -> str:
    """Text for a human (stderr, a log line) with every known secret masked."""
    return _mask(str(text))


def configure_logging(urls: list[str] = (), verbose: bool = False) -> None:
    """One stderr handler for everything, masking secrets; called once per process."""
    global _mask
    _mask = SecretMask(known_secrets(urls))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter(_mask))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    logging.captureWarnings(True)
