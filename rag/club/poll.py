"""The vote, as Discord's native polls allow it: at most 10 answers of at most 55
characters, so the waiting nominations go in nomination order (the rest wait for the
next vote) under short titles; the winner is the answer with the most votes in the
poll's final counts, and among equals the one nominated first."""

from __future__ import annotations

from dataclasses import dataclass

MAX_ANSWERS = 10  # Discord: a poll holds 1 to 10 answers
ANSWER_CHARS = 55  # Discord: an answer's text is 1 to 55 characters
QUESTION_CHARS = 300  # Discord: a poll's question is 1 to 300 characters
MAX_HOURS = 144  # a vote ends at least a day before the meeting a week later (Discord allows 768)


def short_title(title: str, limit: int = ANSWER_CHARS) -> str:
    """A title within `limit` characters, cut after a whole word: "HippoRAG: Neurobiologically
    Inspired Long-Term Memory…" keeps the name members know it by."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" :,;-–—") + "…"


def answer_texts(titles: list[str], ids: list[str]) -> list[str]:
    """The poll's answers: each paper's short title; two that would read the same tell
    themselves apart by their arXiv IDs."""
    short = [short_title(t) for t in titles]
    return [text if text and short.count(text) == 1 else
            f"{short_title(title, ANSWER_CHARS - len(arxiv_id) - 3)} · {arxiv_id}".lstrip(" ·")
            for text, title, arxiv_id in zip(short, titles, ids)]


@dataclass(frozen=True)
class Result:
    index: int  # of the winning answer (0-based, in nomination order)
    votes: int  # its votes
    tied: tuple[int, ...]  # the other answers with as many votes (0-based); empty when it won outright
    total: int  # votes cast

    @property
    def tie(self) -> bool:
        return bool(self.tied)


def winner(counts: list[int]) -> Result:
    """The most votes wins; a tie goes to the answer nominated first (answers are in
    nomination order). With no votes at all every answer ties at 0."""
    if not counts:
        raise ValueError("a poll without answers has no winner")
    top = max(counts)
    index = counts.index(top)
    tied = tuple(n for n, c in enumerate(counts) if c == top and n != index)
    return Result(index, top, tied, sum(counts))
