"""Sentences of a summary or an abstract, for the extracts and table cells written without
a model. (An answer's sentences, with their markers and Markdown, are rag.claims.sentences'.)"""

from __future__ import annotations

import re

from rag.text.script import CJK

# After Chinese 。！？； or ! ?, or at a full stop followed by a space (not a decimal point).
_END = re.compile(r"(?<=[。！？；!?])|(?<=\.)\s+")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _END.split(text) if s.strip()]


def joined(parts: list[str], like: str) -> str:
    """Sentences back into one text: Chinese ones run on, English ones take a space."""
    return ("" if CJK.search(like) else " ").join(parts)


def first_sentences(text: str, n: int) -> str:
    return joined(sentences(text)[:n], text)
