"""Autocomplete choices (at most 25, names within 100 characters), from the in-memory
catalog only, so they are answered well inside Discord's 3-second limit."""

from __future__ import annotations

import functools
import zoneinfo

from discord.app_commands import Choice

from bot.i18n import papers_label
from bot.render import clip
from rag.papers.table import Paper

LIMIT = 25
NAME = 100
VALUE = 100


def _matching_papers(papers: list[Paper], typed: str) -> list[Paper]:
    """IDs starting with the text first, then titles containing it; everything when empty."""
    needle = typed.strip().casefold()
    by_id = [p for p in papers if p.arxiv_id.startswith(needle)]
    by_title = [p for p in papers if needle in p.title.casefold() and p not in by_id]
    return by_id + by_title


def paper_choices(papers: list[Paper], typed: str, prefix: str = "") -> list[Choice[str]]:
    """Papers for `typed`; `prefix` is kept in front of the value (several IDs in one option)."""
    return [Choice(name=clip(f"{p.arxiv_id} · {p.title}", NAME), value=f"{prefix}{p.arxiv_id}")
            for p in _matching_papers(papers, typed) if len(prefix) + len(p.arxiv_id) <= VALUE][:LIMIT]


def id_list_choices(papers: list[Paper], typed: str) -> list[Choice[str]]:
    """Completes the last of several space-separated IDs."""
    head, _, last = typed.rpartition(" ")
    return paper_choices(papers, last, f"{head} " if head else "")


def target_choices(papers: list[Paper], topics: list[tuple[str, int]], typed: str,
                   language: str) -> list[Choice[str]]:
    """Topics containing the text, then papers."""
    needle = typed.strip().casefold()
    by_topic = [Choice(name=clip(f"{topic} · {papers_label(count, language)}", NAME),
                       value=clip(topic, VALUE))
                for topic, count in topics if needle in topic.casefold()]
    return (by_topic + paper_choices(papers, typed))[:LIMIT]


@functools.cache
def _timezones() -> list[str]:
    return sorted(zoneinfo.available_timezones())


def timezone_choices(typed: str) -> list[Choice[str]]:
    needle = typed.strip().casefold()
    return [Choice(name=z, value=z) for z in _timezones() if needle in z.casefold()][:LIMIT]
