"""The paper table: a Markdown table the research group edits by hand.

Columns: date (``2024年5月31日``), title as a Markdown link to arXiv, summary
(Traditional Chinese), topics separated by ``，`` or ``,``. A broken row is reported
with its line number and reason; the other rows are still read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from rag.papers.ids import InvalidArxivId, arxiv_url, parse_arxiv_id


@dataclass(frozen=True)
class Paper:
    arxiv_id: str
    title: str
    date: dt.date
    summary: str
    topics: tuple[str, ...]
    url: str = ""
    gloss: str = ""  # English gloss of the summary, when an LLM wrote one at ingest
    abstract: str = ""  # the English abstract from arXiv (enrichment), when known
    authors: tuple[str, ...] = ()  # from arXiv (enrichment), when known
    added_at: dt.datetime | None = field(default=None, compare=False)  # set once stored
    draft: bool = False  # summary is an English placeholder awaiting the Chinese one (see rag.papers.inbox)

    def __post_init__(self):
        if not self.url:
            object.__setattr__(self, "url", arxiv_url(self.arxiv_id))

    @property
    def content_hash(self) -> str:
        """Fingerprint of what the table says; a change means re-embedding."""
        payload = [self.arxiv_id, self.title, self.date.isoformat(), self.summary, list(self.topics), self.url]
        if self.draft:  # only drafts carry it, so every other paper's fingerprint stays as it was
            payload.append("draft")
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode()).hexdigest()[:16]

    def to_dict(self) -> dict:
        return {
            "arxiv_id": self.arxiv_id,
            "title": self.title,
            "date": self.date.isoformat(),
            "summary": self.summary,
            "topics": list(self.topics),
            "url": self.url,
            "authors": list(self.authors),
            "abstract": self.abstract,
            "added_at": self.added_at.isoformat() if self.added_at else None,
        }


@dataclass(frozen=True)
class RowError:
    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class Table:
    papers: list[Paper] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


_LINK = re.compile(r"^\[(?P<title>.+)\]\((?P<url>[^)\s]+)\)$", re.DOTALL)
_ZH_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_NUM_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_TOPIC_SPLIT = re.compile(r"\s*[，,、;；]\s*")
# The inbox (rag.papers.inbox) marks a row whose summary is still the English abstract; an HTML
# comment, so rendered Markdown hides it and a reader deleting it accepts the summary as is.
_DRAFT = re.compile(r"^<!--\s*draft\s*-->\s*", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
COLUMNS = 4


def parse_date(text: str) -> dt.date:
    text = text.strip()
    match = _ZH_DATE.match(text) or _NUM_DATE.match(text)
    if not match:
        raise ValueError(f"unparseable date {text!r} (expected e.g. 2024年5月31日 or 2024-05-31)")
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ValueError(f"impossible date {text!r}: {exc}") from None


def split_topics(text: str) -> tuple[str, ...]:
    topics = [t.strip() for t in _TOPIC_SPLIT.split(text.strip()) if t.strip()]
    return tuple(dict.fromkeys(topics))


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def parse_row(line: str) -> Paper:
    """One table row to a Paper; ValueError says what is wrong with it."""
    cells = _cells(line)
    if len(cells) != COLUMNS:
        raise ValueError(f"expected {COLUMNS} cells (date | title link | summary | topics), found {len(cells)}")
    date_cell, title_cell, summary, topics_cell = cells
    link = _LINK.match(title_cell)
    if not link:
        raise ValueError("title is not a Markdown link to arXiv, e.g. [Title](https://arxiv.org/abs/2405.14831)")
    try:
        arxiv_id = parse_arxiv_id(link["url"])
    except InvalidArxivId:
        raise ValueError(f"link {link['url']!r} has no arXiv ID") from None
    draft = _DRAFT.match(summary)
    if draft:
        summary = summary[draft.end():]
    if not summary:
        raise ValueError("summary is empty")
    return Paper(
        arxiv_id=arxiv_id,
        title=" ".join(link["title"].split()),
        date=parse_date(date_cell),
        summary=summary,
        topics=split_topics(topics_cell),
        draft=draft is not None,
    )


def parse_table(text: str, source: str = "<table>") -> Table:
    """Every well-formed row becomes a Paper; every broken one a RowError."""
    table = Table()
    seen: dict[str, int] = {}
    header_seen = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip().startswith("|"):
            continue
        if _SEPARATOR.match(line.strip()):
            continue
        if not header_seen:  # the first table line names the columns
            header_seen = True
            continue
        try:
            paper = parse_row(line)
        except ValueError as exc:
            table.errors.append(RowError(source, number, str(exc)))
            continue
        if paper.arxiv_id in seen:
            table.errors.append(
                RowError(source, number, f"{paper.arxiv_id} already appears on line {seen[paper.arxiv_id]}")
            )
            continue
        seen[paper.arxiv_id] = number
        table.papers.append(paper)
    return table


def read_tables(paths: list[Path]) -> Table:
    merged = Table()
    seen: set[str] = set()
    for path in paths:
        table = parse_table(Path(path).read_text(encoding="utf-8"), source=str(path))
        merged.errors.extend(table.errors)
        for paper in table.papers:
            if paper.arxiv_id not in seen:
                seen.add(paper.arxiv_id)
                merged.papers.append(paper)
    return merged
