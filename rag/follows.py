"""Which new papers a follower gets in their weekly DM: the papers added since their
previous one that match what they follow (a topic, an author, an interest in their own
words), best first."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from rag.papers.table import Paper
from rag.papers.topics import resolve_topics
from rag.people import Follow
from rag.search.retrieval import WEAK_SOURCE, search_or_words

DM_PAPERS = 10  # papers in one weekly DM, best first
INTEREST_POOL = 200  # papers an interest is searched against before keeping the new ones


@dataclass(frozen=True)
class Match:
    """A new paper for a follower, and the follows it matched (the reasons)."""

    paper: Paper
    score: float
    because: tuple[Follow, ...]



def new_papers(catalog: dict[str, Paper], since: dt.datetime, until: dt.datetime) -> list[Paper]:
    """Papers first stored after `since` and up to `until` (the digest's own window)."""
    return [p for p in catalog.values() if p.added_at and since < p.added_at <= until]


def match_follows(kb, follows: list[Follow], papers: list[Paper], limit: int = DM_PAPERS) -> list[Match]:
    """The papers among `papers` that match the follows, best first (most follows matched,
    then how well), at most `limit`. A topic matches by name (or part of one, or its
    other-language term), an author by part of a name, an interest by hybrid search:
    relevant, and not far behind the best match for it in the whole list."""
    if not follows or not papers:
        return []
    new = {p.arxiv_id: p for p in papers}
    known_topics = [t for t, _ in kb.topics()]
    scores: Counter[str] = Counter()
    because: dict[str, list[Follow]] = {}
    for follow in follows:
        if follow.kind == "topic":
            topics = set(resolve_topics(follow.value, known_topics))
            hits = [(p.arxiv_id, 1.0) for p in papers if topics & set(p.topics)]
        elif follow.kind == "author":
            needle = follow.value.casefold()
            hits = [(p.arxiv_id, 1.0) for p in papers if any(needle in a.casefold() for a in p.authors)]
        else:
            k = min(INTEREST_POOL, max(len(kb.catalog), 1))
            found, _ = search_or_words(kb, follow.value, k)  # word matching alone while the store is down
            best = found[0].score if found else 0.0
            hits = [(h.paper.arxiv_id, h.score) for h in found
                    if h.relevant and h.paper.arxiv_id in new and h.score >= WEAK_SOURCE * best]
        for arxiv_id, score in hits:
            scores[arxiv_id] += score
            because.setdefault(arxiv_id, []).append(follow)
    ranked = sorted(scores, key=lambda i: (-len(because[i]), -scores[i], -new[i].date.toordinal(), i))
    return [Match(new[i], round(scores[i], 6), tuple(because[i])) for i in ranked[:limit]]
