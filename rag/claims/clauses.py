"""Clauses, and what each asserts beyond its words: a negation, the direction of a
comparison or change and who is compared with whom, "only" and "all", a word whose opposite
is stated. A claim is read into clauses once per sentence (`read`); a paper is read into
clauses once (cached). rag.claims.contradictions holds the one against the other. The cue
words are data: contradictions.txt beside this module."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.claims.mentions import DATES, numbers_in
from rag.papers.table import Paper
from rag.text import glossary
from rag.text.script import CJK, to_traditional
from rag.text.tokens import tokenize
from rag.text.wordlists import Table

_CUES = Table(Path(__file__).with_name("contradictions.txt"))
_NEGATION = re.compile(_CUES.cues("negation"), re.IGNORECASE)
_NEGATED_WORD = re.compile(_CUES.cues("negated word"), re.IGNORECASE)
NEGATED_UP = re.compile(_CUES.cues("negated up"), re.IGNORECASE)
UP = re.compile(_CUES.cues("up"), re.IGNORECASE)
DOWN = re.compile(_CUES.cues("down"), re.IGNORECASE)
SAME = re.compile(_CUES.cues("same"), re.IGNORECASE)
_DIFFERENT = re.compile(_CUES.cues("different"), re.IGNORECASE)
_DIRECTIONS = ((NEGATED_UP, -1), (UP, 1), (DOWN, -1), (SAME, 0), (_DIFFERENT, 2))  # the sign each stands for
_DIMENSIONS = [(name, re.compile(words, re.IGNORECASE), re.compile(rf"(?:{words})\s*$", re.IGNORECASE))
               for name, words in _CUES.pairs("dimensions", named=True)]  # (name, a word of it, one ending a text)
THAN = re.compile(_CUES.cues("than"), re.IGNORECASE)
COMPARED = re.compile(_CUES.cues("compared"), re.IGNORECASE)
EVALUATED = re.compile(_CUES.cues("evaluated"), re.IGNORECASE)
_ONLY = re.compile(_CUES.cues("only"), re.IGNORECASE)
_ALL = re.compile(_CUES.cues("all"), re.IGNORECASE)
_EACH = re.compile(_CUES.patterns("each"), re.IGNORECASE)
_CONTRAST = re.compile(_CUES.cues("contrast"), re.IGNORECASE)
_BREAK = _CUES.cues("clause break")  # case-sensitive: "However," opening a sentence is not a break
_CLAIM_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：—–]|" + _BREAK)  # not 1,000
_SOURCE_CLAUSE = re.compile(r"(?<!\d)[,.](?!\d)|[，。；;：:！？!?]|" + _BREAK)  # not 1,000 or 0.5
OPPOSITES = [(re.compile(a, re.IGNORECASE), re.compile(b, re.IGNORECASE)) for a, b in _CUES.pairs("opposites")]
_CUES.finish()

# A name in a paper's Chinese text: HippoRAG, GPT-4o, Gemini 1.5 Pro, PaLM 2, IRCoT.
SOURCE_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9]*(?:[ \-.]?[A-Z0-9][A-Za-z0-9]*)+|"
                          r"[A-Z][a-z]+[A-Z0-9][A-Za-z0-9\-.]*|[A-Z]{2,}[A-Za-z0-9\-.]*|[A-Za-z]+-\d[A-Za-z0-9.\-]*)")


# -- what a clause asserts beyond its words ---------------------------------------------
@dataclass(frozen=True)
class Cues:
    negated: frozenset  # tokens under a negation (and the glossary's English for its Chinese)
    negated_text: str  # the text under a negation, for the glossary's Chinese terms
    directions: frozenset  # (sign, dimension): +1 up, -1 down, 0 the same, 2 different; a dimension name or None
    only: bool
    all: bool


def cues_of(text: str) -> Cues:
    fused = [(m.start(), m.end()) for m in NEGATED_UP.finditer(text)]  # 不擅長: a direction, not a negation

    def free(m: re.Match) -> bool:
        return not any(a <= m.start() < b or m.start() <= a < m.end() for a, b in fused)

    negations = [m for m in _NEGATION.finditer(text) if free(m)]
    spans = [_scope(text, m.end()) for m in negations] + [m[0] for m in _NEGATED_WORD.finditer(text) if free(m)]
    negated_text = " ".join(spans)
    english = " ".join(glossary.expand(negated_text)) if spans else ""
    negated = frozenset(tokenize(negated_text + " " + english)) if spans else frozenset()
    # a direction under a negation ("無法提高", "does not improve") is the negation's, not a direction
    under = [(m.start(), m.start() + 12) for m in negations]
    directions = {(sign, _dimension(text, m.start(), m.end()))
                  for pattern, sign in _DIRECTIONS
                  for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in under)
                  and (pattern is NEGATED_UP or free(m))}
    only = [m for m in _ONLY.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    every = [m for m in _ALL.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    return Cues(negated, negated_text.lower(), frozenset(directions), bool(only), bool(every))


def fused_words(text: str) -> frozenset:
    """The tokens of a text's negated "up" words (不擅長, "not good at"): cues of a direction,
    not what its clause is about."""
    return frozenset(t for m in NEGATED_UP.finditer(text) for t in tokenize(m[0]))


@lru_cache(maxsize=16384)
def direction_words(text: str) -> frozenset:
    """The tokens of a text's words of direction (較差, 出色, higher, ...): which way it goes,
    not what it is about."""
    return frozenset(t for pattern, _ in _DIRECTIONS for m in pattern.finditer(text) for t in tokenize(m[0]))


def _merge_cues(a: Cues, b: Cues) -> Cues:
    return Cues(a.negated | b.negated, a.negated_text + " " + b.negated_text, a.directions | b.directions,
                 a.only or b.only, a.all or b.all)


def _dimension(text: str, start: int, end: int) -> str | None:
    """What a comparison word is about, when it says so itself or next to it: "faster",
    "更快", "速度提高", "降低模型性能", "lower cost", "performance better"."""
    word = text[start:end]
    before = text[max(0, start - 4):start]
    after = text[end:end + 6] if CJK.search(word) else " ".join(text[end:end + 30].split()[:1])
    previous = "" if CJK.search(word) else " ".join(text[max(0, start - 30):start].split()[-1:])
    for name, pattern, ending in _DIMENSIONS:
        if pattern.search(word) or ending.search(before) or \
                pattern.search(re.split(r"[，。；、的]", after)[0]) or (previous and pattern.fullmatch(previous)):
            return name
    return None


def _scope(text: str, start: int) -> str:
    """What a negation covers: the next few English words, or the next Chinese characters."""
    rest = re.split(r"[,.;:!?，。；：！？()（）]", text[start:], maxsplit=1)[0]
    if CJK.search(rest[:3]):
        return rest[:30]
    return " ".join(rest.split()[:6])


# -- what a number measures --------------------------------------------------------------
# The smallest piece of text a number belongs to: "10-30 times cheaper | and 6-13 times faster",
# "成本降低 10-30 倍 | 速度提高 6-13 倍".
_PIECE = re.compile(r"(?<!\d),|,(?!\d)|[，；;、：:。！？]|\b(?:and|while|whereas|but)\b|和|而|同時|並且|以及")


def measured(text: str, claim: bool) -> dict[float, frozenset]:
    """Each number of a text with what its piece says it measures (speed, cost, size,
    quality: the [dimensions] of contradictions.txt), for the numbers whose piece names any."""
    out: dict[float, frozenset] = {}
    for piece in _PIECE.split(text):
        dimensions = frozenset(name for name, pattern, _ in _DIMENSIONS if pattern.search(piece))
        if not dimensions:
            continue
        for number in numbers_in(piece, claim):
            if isinstance(number, float):
                out[number] = out.get(number, frozenset()) | dimensions
    return out


@lru_cache(maxsize=4096)
def paper_measures(paper: Paper) -> dict[float, frozenset]:
    """What the paper says each of its numbers measures, wherever it states it."""
    out: dict[float, frozenset] = {}
    for text in (paper.title, paper.summary, paper.gloss, paper.abstract):
        for number, dimensions in measured(to_traditional(text), False).items():
            out[number] = out.get(number, frozenset()) | dimensions
    return out


# -- a paper, in clauses ------------------------------------------------------------------
@dataclass(frozen=True)
class Clause:
    """A clause of a paper (or a sentence, or all of it, joined)."""
    raw: str  # as the paper writes it
    text: str  # the same, lower-cased
    tokens: frozenset  # its tokens and the glossary's English for its Chinese
    numbers: frozenset
    cues: Cues
    sentence: int


@lru_cache(maxsize=4096)
def source_clauses(paper: Paper) -> tuple[Clause, ...]:
    """The paper's title, summary (and English gloss and abstract) in clauses."""
    out = []
    texts = [paper.title] + [t for t in (paper.summary, paper.gloss, paper.abstract) if t]
    sentence = 0
    for text in texts:
        for sent in re.split(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z])", text):  # as written: 文件 stays 文件
            sentence += 1
            for piece in _SOURCE_CLAUSE.split(sent):
                piece = piece.strip()
                if not piece or not re.search(r"\w", piece):
                    continue
                english = " ".join(glossary.expand(piece)) if CJK.search(piece) else ""
                # words as the paper writes them (the glossary's terms); cues in the claim's phrasing
                out.append(Clause(piece, piece.lower(), frozenset(tokenize(piece + " " + english)),
                                   frozenset(numbers_in(piece, False)), cues_of(to_traditional(piece)), sentence))
    return tuple(out)


@lru_cache(maxsize=4096)
def source_sentences(paper: Paper) -> tuple[Clause, ...]:
    """The paper's sentences, each as one clause (its clauses' words, cues together)."""
    out = []
    for clause in source_clauses(paper):
        if out and out[-1].sentence == clause.sentence:
            last = out[-1]
            raw = last.raw + "，" + clause.raw
            out[-1] = Clause(raw, raw.lower(), last.tokens | clause.tokens, last.numbers | clause.numbers,
                              _merge_cues(last.cues, clause.cues), clause.sentence)
        else:
            out.append(clause)
    return tuple(out)


@lru_cache(maxsize=4096)
def source_whole(paper: Paper) -> Clause:
    """The whole paper as one clause: what it holds anywhere."""
    out = None
    for c in source_clauses(paper):
        out = c if out is None else Clause(out.raw + "，" + c.raw, out.text + "，" + c.text, out.tokens | c.tokens,
                                            out.numbers | c.numbers, _merge_cues(out.cues, c.cues), 0)
    return out


@lru_cache(maxsize=4096)
def paper_text(paper: Paper) -> str:
    """Everything the paper says, in the claim's phrasing (to_traditional: 像素 → 畫素)."""
    return to_traditional(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract])).lower()


# -- a claim, in clauses ------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimClause:
    text: str
    words: frozenset  # its tokens among the sentence's weighted words
    names: frozenset  # indexes into the sentence's names
    numbers: frozenset
    cues: Cues
    subjects: frozenset  # names before a comparison ("A is faster than B"): indexes
    objects: frozenset  # names right after it (B)


@dataclass(frozen=True)
class Reading:
    """A sentence as the checks read it: what rag.claims made of it, and its clauses."""
    text: str  # in Traditional script
    weights: dict  # its words (tokens) and their weights
    glossed: dict  # English stem → the glossary's Chinese for its phrase
    names: list  # (name, the two words after it)
    numbers: set
    name_tokens: frozenset  # its names' tokens: the names count for them when clauses are aligned
    clauses: list  # ClaimClause
    distributive: bool  # "Both ...", "All three ...", "兩者都 ...": true of each paper it names


def read(text: str, weights: dict, glossed: dict, names: list, numbers: set) -> Reading:
    name_tokens = frozenset(t for name, _ in names for t in tokenize(name))
    together = _EACH.search(text)
    distributive = bool(together) and not _CONTRAST.search(text, together.end())  # "兩者都 ...，但 A ..., B ..."
    return Reading(text, weights, glossed, names, numbers, name_tokens,
                   _claim_clauses(text, weights, names, numbers, name_tokens), distributive)


def _claim_clauses(text: str, weights: dict, names: list, numbers: set, name_tokens: frozenset
                   ) -> list[ClaimClause]:
    out = []
    positions = {i: m.start() for i, (name, _) in enumerate(names)
                 for m in [re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text)] if m}
    cursor = 0
    for piece in _CLAIM_CLAUSE.split(text):
        if not piece or not piece.strip():
            continue
        offset = text.find(piece, cursor)
        cursor = offset + len(piece)
        words = frozenset(t for t in tokenize(DATES.sub(" ", piece)) if t in weights) - fused_words(piece)
        found = {i for i, p in positions.items() if offset <= p < cursor}
        held = frozenset(numbers_in(piece, True) & numbers)
        than = THAN.search(piece)
        subjects = objects = frozenset()
        if than:
            at = offset + than.start()
            after = {i: p for i, p in positions.items() if offset + than.end() <= p < cursor}
            objects = frozenset([min(after, key=after.get)]) if after else frozenset()
            # its subject: the first name before it in its clause, else in the sentence
            before = {i: p for i, p in positions.items() if p < at and i not in objects}
            mine = {i: p for i, p in before.items() if p >= offset} or before
            subjects = frozenset([min(mine, key=mine.get)]) if mine else frozenset()
        out.append(ClaimClause(piece, words, frozenset(found), held, cues_of(piece), subjects, objects))
    # a clause that is only a name ("SELM, like SPPO, ...") belongs to the next; one too small
    # to stand for anything ("效果反而下降") to the one before
    merged: list[ClaimClause] = []
    for clause in out:
        if merged and not merged[-1].words - name_tokens:
            clause = joined(merged.pop(), clause)
        elif merged and sum(weights[w] for w in clause.words - name_tokens) < 1.5 and not clause.numbers:
            clause = joined(merged.pop(), clause)
        merged.append(clause)
    return merged


def joined(a: ClaimClause, b: ClaimClause) -> ClaimClause:
    text = a.text + "，" + b.text
    return ClaimClause(text, a.words | b.words, a.names | b.names, a.numbers | b.numbers, cues_of(text),
                        a.subjects | b.subjects, a.objects | b.objects)
