"""Topic names as users type them: a whole name, part of one, or its other-language term."""

from __future__ import annotations

from rag import glossary


def resolve_topics(query: str, known: list[str]) -> tuple[str, ...]:
    """Exact (case-insensitive) match wins; else every topic containing the query or its translation."""
    wanted = query.strip().casefold()
    if not wanted:
        return ()
    exact = [t for t in known if t.casefold() == wanted]
    if exact:
        return tuple(exact)
    needles = [wanted] + [t.casefold() for t in glossary.lookup(query.strip())]
    return tuple(t for t in known if any(n in t.casefold() for n in needles))
