"""The words of a question as a paper may say them, for coverage (rag.search.retrieval scales
a candidate by the share of them it holds): an English word through its typo corrections and
its Chinese translations, a Chinese word through its character pairs and the glossary's other
Chinese names for the term it is part of (低秩適配 is also 低秩適應 and 低秩自適應).
"""

from __future__ import annotations

from functools import lru_cache

from rag.search.question import Question
from rag.text import glossary
from rag.text.dictionary import translations
from rag.text.script import to_traditional
from rag.text.tokens import chinese_words, tokenize

SYNONYMS = True  # a Chinese word is also said by the glossary's other Chinese names of its term


@lru_cache(maxsize=50_000)
def _translated(word: str) -> frozenset[tuple[str, ...]]:
    """An English word's glossary and dictionary translations, each as the character
    pairs a summary holding it has. Cached: tokenising them is most of the cost, and
    questions repeat words."""
    terms = [term for hit in glossary.translations(to_traditional(word)) for term in hit] + list(translations(word))
    return frozenset(p for p in map(_pairs, terms) if p)


def _pairs(term: str) -> tuple[str, ...]:
    """The character pairs a Chinese text holding `term` has."""
    return tuple(dict.fromkeys(t for t in tokenize(term) if len(t) == 2 and not t.isascii()))


def _synonyms(query: str, terms: list[tuple[str, ...]]) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """Chinese words of the question inside a term the glossary knows (適配 in 低秩適配), each
    with the term's other Chinese names, as pairs (低秩適應, 低秩自適應): a row says the word
    when it says any of them."""
    text, out = to_traditional(query), {}
    for hit in terms:
        names = glossary.lookup(hit[0])
        used = max((n for n in names if n in text), key=len, default=None)
        if used is not None and SYNONYMS:
            ways = {p for p in map(_pairs, names) if p}
            for word in chinese_words(used):
                out.setdefault(word, set()).update(ways)
    return out


def said_words(question: Question, words: list[str], misspelt: dict[str, dict[str, float]],
               terms: list[tuple[str, ...]], skip: frozenset[str] = frozenset()) -> list[set[tuple[str, ...]]]:
    """Each word of the question with the ways a paper says it. An English word: itself,
    what it was probably misspelt for, and their translations. A Chinese word: its
    character pairs, or those of the glossary's other names for a term it is part of
    (its English translations would favour papers with an abstract)."""
    out = []
    for word in dict.fromkeys(w for w in words if w.isascii() and w not in skip):
        forms = [word, *misspelt.get(word, ())]
        out.append({(f,) for f in forms} | {pairs for f in forms for pairs in _translated(f)})
    synonyms = _synonyms(question.folded, terms) if question.chinese_words else {}
    return out + [{pairs} | synonyms.get(pairs, set()) for pairs in question.chinese_words]
