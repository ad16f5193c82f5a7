"""Topic names as users type them: a whole name, part of one, or its other-language term."""

from __future__ import annotations

from rag.text import glossary
from rag.text.script import name_key, to_traditional


def resolve_topics(query: str, known: list[str]) -> tuple[str, ...]:
    """Exact match wins; else every topic containing the query or its translation. Case and
    script never matter: 对齐 finds 對齊, the way the asker wrote it."""
    wanted = name_key(query)
    if not wanted:
        return ()
    exact = [t for t in known if name_key(t) == wanted]
    if exact:
        return tuple(exact)
    needles = {wanted} | {name_key(t) for t in glossary.lookup(to_traditional(query.strip()))}
    return tuple(t for t in known if any(n in name_key(t) for n in needles))
