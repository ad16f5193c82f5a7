"""What every answer operation returns, and an answer while it is being written."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.claims.citations import Citation

LLM, OFFLINE = "llm", "offline"  # who wrote it: the model, or paperbot's own extracts


class Draft:
    """An answer being written: the model's text so far, checked only when someone looks
    (a front end shows a draft every second or so; the model sends dozens of pieces)."""

    def __init__(self, raw: str, check: Callable[[str], str]):
        self.raw, self._check = raw, check

    @functools.cached_property
    def text(self) -> str:
        """Provisional markers checked, nothing that recites the rules; may be empty."""
        return self._check(self.raw)


OnText = Callable[[Draft], object]


@dataclass
class Answer:
    operation: str
    text: str
    citations: list[Citation]
    sources: list[Citation]  # retrieved but not cited
    mode: str
    model: str | None
    language: str
    notice: str = ""  # e.g. why this is the offline answer
    items: list[dict] = field(default_factory=list)  # per-operation structure (rows, reasons, groups)
    cached: bool = False  # served from the answer cache: no model call, no cost
    claims: list[dict] = field(default_factory=list)  # each sentence: text, sources (arXiv IDs), score, action

    def to_dict(self) -> dict:
        return {
            "operation": self.operation,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [c.to_dict() for c in self.sources],
            "mode": self.mode,
            "model": self.model,
            "language": self.language,
            "notice": self.notice,
            "items": self.items,
            "cached": self.cached,
            "claims": self.claims,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        cite = lambda rows: [Citation(c["n"], c["arxiv_id"], c["title"], c["url"], tuple(c.get("authors", ())))  # noqa: E731
                             for c in rows]
        return cls(data["operation"], data["text"], cite(data["citations"]), cite(data["sources"]), data["mode"],
                   data["model"], data["language"], data.get("notice", ""), data.get("items", []),
                   data.get("cached", False), data.get("claims", []))
