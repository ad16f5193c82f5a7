"""Topic names as users type them: a whole name, part of one, or its other-language term."""

from __future__ import annotations

import re

from rag.text import glossary
from rag.text.script import name_key, to_traditional


def resolve_topics(query: str, known: list[str], translated: bool = True) -> tuple[str, ...]:
    """Exact match wins; else every topic containing the query or one of its glossary names
    in either language: 对齐 finds 對齊, "parameter-efficient fine-tuning" finds PEFT 方法 (its
    translation 參數高效微調 is also called PEFT), RLHF finds 基於人類反饋的強化學習. Case and
    script never matter. A name found through the glossary counts as a whole word (KG is not
    inside "kgqa"). `translated=False`: the name as typed only."""
    wanted = name_key(query)
    if not wanted:
        return ()
    exact = [t for t in known if name_key(t) == wanted]
    if exact:
        return tuple(exact)
    other = glossary.lookup(to_traditional(query.strip())) if translated else []
    parts = {wanted} | {name_key(t) for t in other}  # as typed (part of a name), and its translations
    words = {name_key(e) for t in other for e in glossary.lookup(t)} - parts  # the translations' other names
    return tuple(t for t in known if any(p in name_key(t) for p in parts) or
                 any(re.search(rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])", name_key(t)) for w in words))
