"""Contradictions a word overlap cannot see. "SPPO 只需一輪迭代即可收斂" and "GPT-4o is
more data-efficient than Gemini 1.5 Pro" can be written in a paper's own words and still
say what it does not. So each clause of a claim is read for what overlap misses (a
negation, the direction of a comparison or change and who is compared with whom, "only"
and "all", a word whose opposite the paper states) and held against the clause of the
paper it paraphrases: the one that shares most of its words.

    reading = read(text, weights, glossed, names, numbers)  # once per sentence
    conflict(reading, paper)  # "negation", "direction", ... when the paper contradicts it, else None
    reading.distributive      # "Both ...", "兩者都 ...": said of each paper it names

rag.claims calls these; a paper that contradicts a claim does not support it. The cue
words are data: contradictions.txt beside this module. benchmarks/citations measures
each check (`--without CHECK`; see its README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.text import glossary
from rag.store.lexical import tokenize
from rag.claims.mentions import CJK, CRITICAL, DATES, chinese_terms, norm_name, numbers_in, own_names
from rag.papers.table import Paper
from rag.text.script import to_traditional
from rag.text.wordlists import Table

CHECKS = frozenset({"negation", "direction", "order", "scope", "antonym", "number"})

ALIGNED = 0.5  # a paper's clause is the one a claim's clause paraphrases when it shares this much of it
NEARLY = 0.85  # ... or nearly as much as the best one
ALIGN_WORD = 1.0  # words that count for it: not generic words, not Chinese character pairs
COMMON_NAME = 3  # a name in this many of a paper's clauses weighs as little as its own name there

_CUES = Table(Path(__file__).with_name("contradictions.txt"))
_NEGATION = re.compile(_CUES.cues("negation"), re.IGNORECASE)
_NEGATED_WORD = re.compile(_CUES.cues("negated word"), re.IGNORECASE)
_UP = re.compile(_CUES.cues("up"), re.IGNORECASE)
_DOWN = re.compile(_CUES.cues("down"), re.IGNORECASE)
_SAME = re.compile(_CUES.cues("same"), re.IGNORECASE)
_DIFFERENT = re.compile(_CUES.cues("different"), re.IGNORECASE)
_DIRECTIONS = ((_UP, 1), (_DOWN, -1), (_SAME, 0), (_DIFFERENT, 2))  # the sign each stands for
_DIMENSIONS = [(name, re.compile(words, re.IGNORECASE), re.compile(rf"(?:{words})\s*$", re.IGNORECASE))
               for name, words in _CUES.pairs("dimensions", named=True)]  # (name, a word of it, one ending a text)
_THAN = re.compile(_CUES.cues("than"), re.IGNORECASE)
_ONLY = re.compile(_CUES.cues("only"), re.IGNORECASE)
_ALL = re.compile(_CUES.cues("all"), re.IGNORECASE)
_EACH = re.compile(_CUES.patterns("each"), re.IGNORECASE)
_CONTRAST = re.compile(_CUES.cues("contrast"), re.IGNORECASE)
_BREAK = _CUES.cues("clause break")  # case-sensitive: "However," opening a sentence is not a break
_CLAIM_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：—–]|" + _BREAK)  # not 1,000
_SOURCE_CLAUSE = re.compile(r"(?<!\d)[,.](?!\d)|[，。；;：:！？!?]|" + _BREAK)  # not 1,000 or 0.5
_OPPOSITES = [(re.compile(a, re.IGNORECASE), re.compile(b, re.IGNORECASE)) for a, b in _CUES.pairs("opposites")]
_CUES.finish()

# A name in a paper's Chinese text: HippoRAG, GPT-4o, Gemini 1.5 Pro, PaLM 2, IRCoT.
_SOURCE_NAME = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z][A-Za-z0-9]*(?:[ \-.]?[A-Z0-9][A-Za-z0-9]*)+|"
                          r"[A-Z][a-z]+[A-Z0-9][A-Za-z0-9\-.]*|[A-Z]{2,}[A-Za-z0-9\-.]*|[A-Za-z]+-\d[A-Za-z0-9.\-]*)")


# -- what a clause asserts beyond its words ---------------------------------------------
@dataclass(frozen=True)
class _Cues:
    negated: frozenset  # tokens under a negation (and the glossary's English for its Chinese)
    negated_text: str  # the text under a negation, for the glossary's Chinese terms
    directions: frozenset  # (sign, dimension): +1 up, -1 down, 0 the same, 2 different; a dimension name or None
    only: bool
    all: bool


def _cues(text: str) -> _Cues:
    spans = [_scope(text, m.end()) for m in _NEGATION.finditer(text)] + [m[0] for m in _NEGATED_WORD.finditer(text)]
    negated_text = " ".join(spans)
    english = " ".join(glossary.expand(negated_text)) if spans else ""
    negated = frozenset(tokenize(negated_text + " " + english)) if spans else frozenset()
    # a direction under a negation ("無法提高", "does not improve") is the negation's, not a direction
    under = [(m.start(), m.start() + 12) for m in _NEGATION.finditer(text)]
    directions = {(sign, _dimension(text, m.start(), m.end()))
                  for pattern, sign in _DIRECTIONS
                  for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in under)}
    only = [m for m in _ONLY.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    every = [m for m in _ALL.finditer(text) if not any(a <= m.start() < b for a, b in under)]
    return _Cues(negated, negated_text.lower(), frozenset(directions), bool(only), bool(every))


def _merge_cues(a: _Cues, b: _Cues) -> _Cues:
    return _Cues(a.negated | b.negated, a.negated_text + " " + b.negated_text, a.directions | b.directions,
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


# -- a paper, in clauses ------------------------------------------------------------------
@dataclass(frozen=True)
class _Clause:
    """A clause of a paper (or a sentence, or all of it, joined)."""
    raw: str  # as the paper writes it
    text: str  # the same, lower-cased
    tokens: frozenset  # its tokens and the glossary's English for its Chinese
    numbers: frozenset
    cues: _Cues
    sentence: int


@lru_cache(maxsize=4096)
def _source_clauses(paper: Paper) -> tuple[_Clause, ...]:
    """The paper's title, summary (and English gloss and abstract) in clauses."""
    out = []
    texts = [paper.title] + [t for t in (paper.summary, paper.gloss, paper.abstract) if t]
    sentence = 0
    for text in texts:
        for sent in re.split(r"(?<=[。！？])|(?<=[.!?])\s+(?=[A-Z])", text):  # as written: 文件 stays 文件
            sentence += 1
            for piece in _SOURCE_CLAUSE.split(sent):
                piece = piece.strip()
                if not piece or not re.search(r"[\w\u3400-\u9fff]", piece):
                    continue
                english = " ".join(glossary.expand(piece)) if CJK.search(piece) else ""
                # words as the paper writes them (the glossary's terms); cues in the claim's phrasing
                out.append(_Clause(piece, piece.lower(), frozenset(tokenize(piece + " " + english)),
                                   frozenset(numbers_in(piece, False)), _cues(to_traditional(piece)), sentence))
    return tuple(out)


@lru_cache(maxsize=4096)
def _source_sentences(paper: Paper) -> tuple[_Clause, ...]:
    """The paper's sentences, each as one clause (its clauses' words, cues together)."""
    out = []
    for clause in _source_clauses(paper):
        if out and out[-1].sentence == clause.sentence:
            last = out[-1]
            raw = last.raw + "，" + clause.raw
            out[-1] = _Clause(raw, raw.lower(), last.tokens | clause.tokens, last.numbers | clause.numbers,
                              _merge_cues(last.cues, clause.cues), clause.sentence)
        else:
            out.append(clause)
    return tuple(out)


@lru_cache(maxsize=4096)
def _source_whole(paper: Paper) -> _Clause:
    """The whole paper as one clause: what it holds anywhere."""
    out = None
    for c in _source_clauses(paper):
        out = c if out is None else _Clause(out.raw + "，" + c.raw, out.text + "，" + c.text, out.tokens | c.tokens,
                                            out.numbers | c.numbers, _merge_cues(out.cues, c.cues), 0)
    return out


@lru_cache(maxsize=4096)
def _paper_text(paper: Paper) -> str:
    """Everything the paper says, in the claim's phrasing (to_traditional: 像素 → 畫素)."""
    return to_traditional(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract])).lower()


# -- a claim, in clauses ------------------------------------------------------------------
@dataclass(frozen=True)
class _ClaimClause:
    text: str
    words: frozenset  # its tokens among the sentence's weighted words
    names: frozenset  # indexes into the sentence's names
    numbers: frozenset
    cues: _Cues
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
    clauses: list  # _ClaimClause
    distributive: bool  # "Both ...", "All three ...", "兩者都 ...": true of each paper it names


def read(text: str, weights: dict, glossed: dict, names: list, numbers: set) -> Reading:
    name_tokens = frozenset(t for name, _ in names for t in tokenize(name))
    together = _EACH.search(text)
    distributive = bool(together) and not _CONTRAST.search(text, together.end())  # "兩者都 ...，但 A ..., B ..."
    return Reading(text, weights, glossed, names, numbers, name_tokens,
                   _claim_clauses(text, weights, names, numbers, name_tokens), distributive)


def _claim_clauses(text: str, weights: dict, names: list, numbers: set, name_tokens: frozenset
                   ) -> list[_ClaimClause]:
    out = []
    positions = {i: m.start() for i, (name, _) in enumerate(names)
                 for m in [re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", text)] if m}
    cursor = 0
    for piece in _CLAIM_CLAUSE.split(text):
        if not piece or not piece.strip():
            continue
        offset = text.find(piece, cursor)
        cursor = offset + len(piece)
        words = frozenset(t for t in tokenize(DATES.sub(" ", piece)) if t in weights)
        found = {i for i, p in positions.items() if offset <= p < cursor}
        held = frozenset(numbers_in(piece, True) & numbers)
        than = _THAN.search(piece)
        subjects = objects = frozenset()
        if than:
            at = offset + than.start()
            after = {i: p for i, p in positions.items() if offset + than.end() <= p < cursor}
            objects = frozenset([min(after, key=after.get)]) if after else frozenset()
            # its subject: the first name before it in its clause, else in the sentence
            before = {i: p for i, p in positions.items() if p < at and i not in objects}
            mine = {i: p for i, p in before.items() if p >= offset} or before
            subjects = frozenset([min(mine, key=mine.get)]) if mine else frozenset()
        out.append(_ClaimClause(piece, words, frozenset(found), held, _cues(piece), subjects, objects))
    # a clause that is only a name ("SELM, like SPPO, ...") belongs to the next; one too small
    # to stand for anything ("效果反而下降") to the one before
    merged: list[_ClaimClause] = []
    for clause in out:
        if merged and not merged[-1].words - name_tokens:
            clause = _join(merged.pop(), clause)
        elif merged and sum(weights[w] for w in clause.words - name_tokens) < 1.5 and not clause.numbers:
            clause = _join(merged.pop(), clause)
        merged.append(clause)
    return merged


def _join(a: _ClaimClause, b: _ClaimClause) -> _ClaimClause:
    text = a.text + "，" + b.text
    return _ClaimClause(text, a.words | b.words, a.names | b.names, a.numbers | b.numbers, _cues(text),
                        a.subjects | b.subjects, a.objects | b.objects)


# -- holding one against the other --------------------------------------------------------
def conflict(reading: Reading, paper: Paper, checks: frozenset = CHECKS) -> str | None:
    """Why the paper contradicts the claim, or None. Per clause of the claim, against the
    paper's clause it paraphrases (sharing at least ALIGNED of what the paper holds of it;
    failing one, its sentence): "negation", it negates what the claim asserts or the
    reverse; "direction", it changes or compares the other way; "scope", it lacks the
    claim's "only" or "all"; "order", its comparison has the claim's subject and object the
    other way round. For the whole claim: "number", the paper states its number about
    something else; "antonym", the claim uses a word whose opposite the paper states.
    Only the `checks` named are made."""
    clauses, whole = _source_clauses(paper), _source_whole(paper)
    # names the paper uses in many clauses (its own, "LoRA" in a LoRA paper) say little about which one is meant
    own = frozenset(norm_name(name) for name, _ in reading.names
                    if norm_name(name) in own_names(paper) or
                    sum(_find_name(name, c.text) is not None for c in clauses) >= COMMON_NAME)
    previous = None
    for clause in reading.clauses:
        # how much of the clause the paper holds anywhere: the share a clause of it must hold
        total = _overlap(clause, reading, whole, own)
        about = clause
        if total < 1.5 and previous is not None and clause.cues.directions and \
                not (clause.names or clause.numbers) and _clause_total(clause, reading) <= 4:
            # "..., 效果反而下降": it says how what the clause before says went
            about, clause = previous, _join(previous, clause)
            total = _overlap(about, reading, whole, own)
        if total < 1.5:
            continue
        previous = clause
        overlaps = [_overlap(about, reading, c, own) for c in clauses]
        best = max(overlaps, default=0.0)
        held = clauses  # what the claim's clause paraphrases: clauses of the paper ...
        aligned = [k for k, o in enumerate(overlaps) if best >= max(1.5, ALIGNED * total) and o >= NEARLY * best]
        near = sorted({j for k in aligned for j in (k - 1, k, k + 1)
                       if 0 <= j < len(clauses) and clauses[j].sentence == clauses[k].sentence})
        if not aligned:  # ... or, its words spread over a sentence's clauses, the sentence
            sentences = _source_sentences(paper)
            per = [_overlap(clause, reading, c, own) for c in sentences]
            top = max(per, default=0.0)
            if top >= max(1.5, ALIGNED * total):
                held = sentences
                aligned = near = [k for k, o in enumerate(per) if o >= NEARLY * top]
        if "negation" in checks and aligned and all(_negated_otherwise(clause, reading, held, k) for k in aligned):
            return "negation"
        if "direction" in checks and aligned and clause.cues.directions:
            stated = frozenset().union(*(held[j].cues.directions for j in near))
            if clause.numbers:  # the paper's clauses stating its numbers say which way they go
                stated |= frozenset().union(*(c.cues.directions for c in clauses if clause.numbers & c.numbers))
            for group in _by_dimension(clause.cues.directions):  # "slower but more accurate": each must hold
                same, opposite = _signs(group, stated)
                if opposite and not same:
                    return "direction"
        if "scope" in checks and (clause.cues.only or clause.cues.all):
            where = [held[j] for j in near] if aligned else list(held)
            if clause.cues.only and not any(c.cues.only for c in where):
                return "scope"
            if clause.cues.all and not any(c.cues.all for c in where):
                return "scope"
        if "order" in checks and clause.subjects and clause.objects and clause.cues.directions:
            if _compared_the_other_way(clause, reading, clauses):
                return "order"
    if "number" in checks and reading.numbers:
        # a number the paper states, but about something else: none of the sentence's words
        # or names, nor what it measures (cost, speed, ...), is in the paper's sentence with it
        context = _ClaimClause(reading.text, frozenset(reading.weights), frozenset(range(len(reading.names))),
                               frozenset(), _cues(reading.text), frozenset(), frozenset())
        dimensions = {d for _, d in context.cues.directions if d}
        for number in reading.numbers:
            if not isinstance(number, float):
                continue
            stating = [c for c in _source_sentences(paper) if number in c.numbers]
            if stating and not any(_overlap(context, reading, c, own) >= 1.0 or
                                   dimensions & {d for _, d in c.cues.directions if d} for c in stating):
                return "number"
    if "antonym" in checks:
        claim, said = reading.text.lower(), _paper_text(paper)
        for a, b in _OPPOSITES:
            for mine, other in ((a, b), (b, a)):
                if mine.search(claim) and not mine.search(said) and other.search(said):
                    return "antonym"
    return None


def _overlap(clause: _ClaimClause, reading: Reading, other: _Clause, own: frozenset = frozenset()) -> float:
    """How much of a claim's clause a paper's clause holds; names in `own` (the paper's own,
    or found in many of its clauses) say little about which one the claim paraphrases."""
    hit = sum(reading.weights[w] for w in clause.words - reading.name_tokens if reading.weights[w] >= ALIGN_WORD and
              (w in other.tokens or any(t in other.text for t in reading.glossed.get(w, ()))))
    hit += sum(0.5 if norm_name(reading.names[i][0]) in own else CRITICAL
               for i in clause.names if _find_name(reading.names[i][0], other.text) is not None)
    hit += CRITICAL * len(clause.numbers & other.numbers)
    return hit


def _clause_total(clause: _ClaimClause, reading: Reading) -> float:
    """All a clause could share with a paper's (what _overlap counts, every name at full weight)."""
    return sum(reading.weights[w] for w in clause.words - reading.name_tokens if reading.weights[w] >= ALIGN_WORD) + \
        CRITICAL * (len(clause.numbers) + len(clause.names))


def _by_dimension(directions: frozenset) -> list[frozenset]:
    """A claim's directions, one group per dimension ("matches or exceeds" is one claim;
    "slower but more accurate" two)."""
    groups: dict = {}
    for sign, dim in directions:
        groups.setdefault(dim, set()).add((sign, dim))
    return [frozenset(g) for g in groups.values()]


def _signs(claim: frozenset, stated: frozenset) -> tuple[set, set]:
    """The claim's directions a paper's directions agree with, and those they oppose, on
    the same dimension (or where either does not say which)."""
    same, opposite = set(), set()
    for sign, dim in claim:
        for other, other_dim in stated:
            if dim and other_dim and dim != other_dim:
                continue
            if other == sign:
                same.add((sign, dim))
            elif {sign, other} == {0, 2} or (sign in (1, -1) and other == -sign) or \
                    (sign in (0, 1, -1) and other in (0, 1, -1) and (sign == 0) != (other == 0)):
                opposite.add((sign, dim))
    return same, opposite


def _negated_otherwise(clause: _ClaimClause, reading: Reading, clauses: tuple, k: int) -> bool:
    """The paper's clause k negates words the claim's clause asserts, or asserts words the
    claim negates, and shares no negation with it (a word the claim negates that the paper
    negates anywhere counts as shared: "不需要原始數據" / "幾乎無數據")."""
    other = clauses[k]
    mismatch = agree = 0.0

    def negated_in(c: _Cues, word: str, glossed: tuple) -> bool:
        return word in c.negated or any(t in c.negated_text for t in glossed)

    for w in clause.words:
        weight = reading.weights[w]
        glossed = reading.glossed.get(w, ())
        if weight < 0.5 or not (w in other.tokens or any(t in other.text for t in glossed)):
            continue
        mine, theirs = w in clause.cues.negated, negated_in(other.cues, w, glossed)
        if mine and (theirs or any(negated_in(c.cues, w, glossed) for c in clauses)):
            agree += weight
        elif mine != theirs:
            mismatch += weight
    for i in clause.names:
        raw = reading.names[i][0]
        if _find_name(raw, other.text) is None:
            continue
        mine = _find_name(raw, clause.cues.negated_text) is not None
        theirs = _find_name(raw, other.cues.negated_text) is not None
        if mine and theirs:
            agree += CRITICAL
        elif mine != theirs:
            mismatch += CRITICAL
    return mismatch >= 1.0 and not agree


def _compared_the_other_way(clause: _ClaimClause, reading: Reading, clauses: tuple) -> bool:
    """"A is better than B" where the paper's comparison closest to it (sharing most of
    its words; the one with its number, when it has one; on the same dimension) has B as
    its subject in that direction, or A in the other. The subject of a comparison in the
    paper is the first name in its clause before it, or in the nearest clause before that
    in the sentence. Each of the claim's comparisons is held to this ("slower but more
    accurate than IRCoT")."""
    candidates = [k for k, c in enumerate(clauses) if any(sign for sign, _ in c.cues.directions)]
    if clause.numbers:
        numbered = [k for k in candidates if clause.numbers & clauses[k].numbers]
        candidates = numbered or candidates
    subjects = {}
    for k in candidates:
        c = clauses[k]
        overlap = _overlap(clause, reading, c)
        for j in range(k, -1, -1):
            if clauses[j].sentence != c.sentence:
                break
            raw = clauses[j].raw
            if j == k:  # the subject stands before the comparison ("A 比 B 高出", "A beats B")
                raw = raw[:min((m.start() for p in (_UP, _DOWN, _THAN) for m in [p.search(raw)] if m),
                               default=len(raw))]
            else:
                overlap += _overlap(clause, reading, clauses[j])
            first = _SOURCE_NAME.search(raw)
            if first:
                subjects[k] = (first[0].lower(), overlap)
                break
    for group in _by_dimension(clause.cues.directions):
        evidence = []  # (overlap, the paper says otherwise)
        for k, (subject, overlap) in subjects.items():
            same, opposite = _signs(group, clauses[k].cues.directions)
            if not (same or opposite):
                continue
            if any(_find_name(reading.names[i][0], subject) is not None for i in clause.subjects):
                evidence.append((overlap, bool(opposite) and not same))
            elif any(_find_name(reading.names[i][0], subject) is not None for i in clause.objects):
                evidence.append((overlap, bool(same) and not opposite))
        if evidence and max(evidence, key=lambda e: (e[0], not e[1]))[1]:  # a tie: no verdict
            return True
    return False


@lru_cache(maxsize=4096)
def _name_pattern(raw: str) -> re.Pattern:
    """A name with any spacing or hyphenation between its parts (Gemini 1.5 Pro, GPT-4o)."""
    parts = re.findall(r"[A-Za-z0-9.]+", raw)
    return re.compile(r"(?<![a-z0-9])" + r"[\s\-]*".join(map(re.escape, parts)) + r"s?(?![a-z0-9])", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _find_name(raw: str, text: str) -> int | None:
    """Where a name (or the glossary's Chinese for it) first stands in a lower-cased text."""
    match = _name_pattern(raw).search(text)
    if match:
        return match.start()
    for term in chinese_terms(raw.lower()):
        at = text.find(term)
        if at >= 0:
            return at
    return None
