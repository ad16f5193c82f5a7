"""Citation checking: only markers that point at a retrieved source survive.

A marker for a source that was not retrieved is dropped, never shown; cited sources
are renumbered 1..n in order of first use, so [n] always matches the n-th link.
arXiv IDs the model mentions that are not in the knowledge base are removed too.

Whether a marker is *true* (the paper says what the sentence says) is rag.claims'
job, which runs first; this is the last step, the one that numbers what is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.papers.table import Paper

_GROUP = re.compile(r"\[(\s*\d+\s*(?:[,，、]\s*\d+\s*)*)\]")
_ARXIV_MENTION = re.compile(r"(?:arXiv:\s*)?\b(\d{4}\.\d{4,5})(?:v\d+)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    n: int
    arxiv_id: str
    title: str
    url: str
    authors: tuple[str, ...] = ()

    @classmethod
    def of(cls, n: int, paper: Paper) -> "Citation":
        return cls(n, paper.arxiv_id, paper.title, paper.url, paper.authors)

    def to_dict(self) -> dict:
        return {"n": self.n, "arxiv_id": self.arxiv_id, "title": self.title, "url": self.url,
                "authors": list(self.authors)}


def check_citations(
    text: str, sources: list[Paper], known_ids: set[str], renumber: bool = True
) -> tuple[str, list[Paper]]:
    """Returns the text with valid markers (renumbered by first use unless `renumber`
    is False, e.g. when a listing already fixes the numbers) and the cited papers."""
    order: list[int] = []  # 0-based source indexes in order of first citation

    def rewrite(match: re.Match) -> str:  # (named so it does not shadow `renumber`)
        kept = []
        for raw in re.split(r"[,，、]", match[1]):
            index = int(raw) - 1
            if 0 <= index < len(sources):
                if index not in order:
                    order.append(index)
                kept.append(order.index(index) + 1 if renumber else index + 1)
        return "".join(f"[{n}]" for n in dict.fromkeys(kept))

    text = _GROUP.sub(rewrite, text)
    text = _ARXIV_MENTION.sub(lambda m: m[0] if m[1] in known_ids else "", text)
    text = re.sub(r"[ \t]+([,.;:，。；：])", r"\1", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return text, [sources[i] for i in (order if renumber else sorted(order))]


def cited_numbers(text: str) -> set[int]:
    return {int(n) for group in _GROUP.findall(text) for n in re.split(r"[,，、]", group)}
