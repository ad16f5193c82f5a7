"""Text that goes into a prompt as data (a question, a summary, a claim) cannot open or
close one of the prompts' delimiters. Only the delimiters need protecting: nothing else
is escaped (escaping `'` as `&#x27;` taught models to copy the entity into their answers).
Here, below every floor that writes a prompt (the answers, the claim verifier)."""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"<(\s*/?\s*)(sources?|question|paper|topics|example)\b", re.IGNORECASE)


def defuse(text: str) -> str:
    """Text that cannot open or close one of the prompt's delimiters."""
    return _DELIMITER.sub(lambda m: "‹" + m[1] + m[2], text)
