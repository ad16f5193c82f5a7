"""Authors a question names ("any paper by Robin Dunbar?", "Dunbar et al. on theory of
mind"): the papers they wrote, as arXiv enrichment and /add record them.

Names are compared folded (case and accents: Jiménez = jimenez; dots and hyphens are
spaces). A full name counts anywhere, as written in the paper's author list or as its
first and last word (Robin I. M. Dunbar: "robin dunbar"); a surname alone only after
"by" or before "et al." and capitalised, as people cite.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np

_ASCII_WORD = re.compile(r"[a-z0-9]+")
LONGEST = 5  # words in the longest name looked up
_SURNAME = re.compile(r"\bby\s+(?:[A-Z]\.\s*)*([A-Z][\w'’-]{2,})|\b([A-Z][\w'’-]{2,})\s+et\s+al\b")


def fold(text: str) -> list[str]:
    """A text's words, lower-case, without accents; dots, hyphens and apostrophes split."""
    if text.isascii():  # most names: 5x faster
        return _ASCII_WORD.findall(text.lower())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return re.findall(r"[^\W_]+", text)


class Names:
    """Folded author names -> rows of the papers they wrote. Kept as sorted arrays of the
    names' hashes (one process's index: 59k papers' 350k names in ~10 MB, not ~100 MB of
    dicts and sets beside a serving process near its 1 GB budget)."""

    def __init__(self, authors: Iterable[tuple[int, Iterable[str]]]):
        full: tuple[list[int], list[int]] = ([], [])  # (hashes, rows)
        surname: tuple[list[int], list[int]] = ([], [])
        for row, names in authors:
            for name in names:
                words = fold(name)
                if len(words) < 2 or not all(w.isalpha() for w in words):  # "GPT-5" is listed as an author
                    continue
                keys = [" ".join(words), f"{words[0]} {words[-1]}"] if len(words) > 2 else [" ".join(words)]
                full[0].extend(map(hash, keys))
                full[1].extend([row] * len(keys))
                surname[0].append(hash(words[-1]))
                surname[1].append(row)
        self.full, self.surname = _table(*full), _table(*surname)

    def named(self, question: str) -> tuple[set[int], str]:
        """Rows of the papers by authors the question names, and the question without the
        names."""
        rows: set[int] = set()
        spans = []
        if len(self.full[0]):
            words = [(" ".join(fold(m.group())), m.span()) for m in re.finditer(r"[^\W_]+", question)]
            grams = [(i, n) for n in range(2, LONGEST + 1) for i in range(len(words) - n + 1)]
            found = _rows(self.full, [" ".join(w for w, _ in words[i:i + n]) for i, n in grams])
            for (i, n), hit in zip(grams, found):
                if hit:
                    rows |= hit
                    spans.append((words[i][1][0], words[i + n - 1][1][1]))
            cited = [(m, 1 if m.group(1) else 2) for m in _SURNAME.finditer(question)]
            for (m, group), hit in zip(cited, _rows(self.surname, [" ".join(fold(m.group(g))) for m, g in cited])):
                if hit:
                    rows |= hit
                    spans.append(m.span(group))
        for start, end in spans:
            question = question[:start] + " " * (end - start) + question[end:]
        return rows, question


def _table(hashes: list[int], rows: list[int]) -> tuple[np.ndarray, np.ndarray]:
    keys = np.array(hashes, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    return keys[order], np.array(rows, dtype=np.int32)[order]


def _rows(table: tuple[np.ndarray, np.ndarray], names: list[str]) -> list[set[int]]:
    """The rows of each name (all looked up at once: a long question has ~150 word runs)."""
    keys, rows = table
    hashes = np.array([hash(n) for n in names], dtype=np.int64)
    start, end = np.searchsorted(keys, hashes, "left"), np.searchsorted(keys, hashes, "right")
    return [set(rows[a:b].tolist()) if b > a else set() for a, b in zip(start.tolist(), end.tolist())]
