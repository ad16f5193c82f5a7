"""Words a question probably misspelt, and what it probably meant: an English word the
papers never use, or use far less than a word one or two edits away (OSA distance: one
edit for words of 5+ letters, two for 9+). A dictionary word is never a typo."""

from __future__ import annotations

import re

from rag.store.lexical import LexicalIndex
from rag.text.dictionary import translations
from rag.text.tokens import STOPWORDS, stem


class Vocabulary:
    """English word stems of the index, for matching a misspelt query word to the words
    papers use (OSA distance: one edit for words of 5+ letters, two for 9+)."""

    def __init__(self, words: list[str]):
        self.by_length: dict[int, list[str]] = {}
        for w in words:
            self.by_length.setdefault(len(w), []).append(w)

    def near(self, word: str) -> list[tuple[str, int]]:
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        if len(word) < 5:
            return []
        limit = 1 if len(word) < 9 else 2
        out: list[tuple[str, int]] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices = self.by_length.get(length)
            if choices:
                for match, distance, _ in extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=8):
                    if match != word:
                        out.append((match, int(distance)))
        return sorted(out, key=lambda m: m[1])


def corrections(misspellings: dict[str, dict[str, float]]) -> dict[str, float]:
    """Every word the misspelt ones probably meant, with its best weight."""
    out: dict[str, float] = {}
    for meant in misspellings.values():
        for match, weight in meant.items():
            out[match] = max(out.get(match, 0.0), weight)
    return out


def _vocabulary(index: LexicalIndex) -> Vocabulary:
    """Loaded at the first question with an unknown word (most never need it), once per index."""
    if index.vocabulary is None:
        index.vocabulary = Vocabulary(index.english_words())
    return index.vocabulary


def misspellings(index: LexicalIndex, query: str) -> dict[str, dict[str, float]]:
    """For each English word of the query that looks misspelt (by its stem), the
    index words it probably meant, with a weight (< 1): a word the papers never use,
    or use far less than a word one edit away."""
    body, title = index.fields["body"], index.fields["title"]
    out: dict[str, dict[str, float]] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", query):
        lower = word.lower()
        if len(lower) < 5 or lower in STOPWORDS:
            continue
        own = stem(lower)
        df = body.doc_freq(own) + title.doc_freq(own)
        if df > 3 or translations(own) or own in out:
            continue  # common here, or a dictionary word ("significantly"): not a typo
        candidates = {}
        for form in {lower, own}:
            for match, distance in _vocabulary(index).near(form):
                candidates[match] = min(distance, candidates.get(match, 9))
        meant = {match: 0.8 if distance == 1 else 0.6 for match, distance in candidates.items()
                 if body.doc_freq(match) + title.doc_freq(match) >= max(2, 5 * df)}
        if meant:
            out[own] = meant
    return out
