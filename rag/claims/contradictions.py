"""Contradictions a word overlap cannot see. "SPPO 只需一輪迭代即可收斂" and "GPT-4o is
more data-efficient than Gemini 1.5 Pro" can be written in a paper's own words and still
say what it does not. So each clause of a claim is read for what overlap misses (a
negation, the direction of a comparison or change and who is compared with whom, "only"
and "all", a word whose opposite the paper states) and held against the clause of the
paper it paraphrases: the one that shares most of its words.

    reading = read(text, weights, glossed, names, numbers)  # once per sentence
    conflict(reading, paper)  # "negation", "direction", ... when the paper contradicts it, else None
    reading.distributive      # "Both ...", "兩者都 ...": said of each paper it names

rag.claims calls these; a paper that contradicts a claim does not support it. How claims
and papers are read into clauses is rag.claims.clauses'. benchmarks/citations measures
each check (`--without CHECK`; see its README).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.claims.clauses import (
    COMPARED,
    DOWN,
    EVALUATED,
    OPPOSITES,
    SAME,
    SOURCE_NAME,
    THAN,
    UP,
    ClaimClause,
    Clause,
    Cues,
    Reading,
    cues_of,
    direction_words,
    joined,
    measured,
    paper_measures,
    paper_text,
    source_clauses,
    source_sentences,
    source_whole,
)
from rag.claims.mentions import CRITICAL, chinese_terms, norm_name, own_names
from rag.papers.table import Paper
from rag.text.script import to_traditional

CHECKS = frozenset({"negation", "direction", "order", "scope", "antonym", "number", "role"})
ALIGNED = 0.5  # a paper's clause is the one a claim's clause paraphrases when it shares this much of it
NEARLY = 0.85  # ... or nearly as much as the best one
ALIGN_WORD = 1.0  # words that count for it: not generic words, not Chinese character pairs
COMMON_NAME = 3  # a name in this many of a paper's clauses weighs as little as its own name there

# -- holding one against the other --------------------------------------------------------
def conflict(reading: Reading, paper: Paper, checks: frozenset = CHECKS) -> str | None:
    """Why the paper contradicts the claim, or None. Per clause of the claim, against the
    paper's clause it paraphrases (sharing at least ALIGNED of what the paper holds of it;
    failing one, its sentence): "negation", it negates what the claim asserts or the
    reverse; "direction", it changes or compares the other way; "scope", it lacks the
    claim's "only" or "all"; "order", its comparison has the claim's subject and object the
    other way round. For the whole claim: "number", the paper states its number about
    something else, or a number measuring what the paper's does not; "antonym", the claim
    uses a word whose opposite the paper states; "role", it names, in a clause comparing
    nothing, a model the paper only compares against.
    Only the `checks` named are made."""
    clauses, whole = source_clauses(paper), source_whole(paper)
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
            about, clause = previous, joined(previous, clause)
            total = _overlap(about, reading, whole, own)
        if total < 1.5:
            continue
        previous = clause
        # a clause about the opposite of what the claim's is about (在線 for its 離線) is not the
        # one it paraphrases, when the paper has one about that
        opposed = _about_the_opposite(about.text, clauses)
        overlaps = [0.0 if k in opposed else _overlap(about, reading, c, own) for k, c in enumerate(clauses)]
        best = max(overlaps, default=0.0)
        held = clauses  # what the claim's clause paraphrases: clauses of the paper ...
        aligned = [k for k, o in enumerate(overlaps) if best >= max(1.5, ALIGNED * total) and o >= NEARLY * best]
        near = sorted({j for k in aligned for j in (k - 1, k, k + 1)
                       if 0 <= j < len(clauses) and clauses[j].sentence == clauses[k].sentence})
        if not aligned:  # ... or, its words spread over a sentence's clauses, the sentence
            sentences = source_sentences(paper)
            opposed = _about_the_opposite(clause.text, sentences)
            per = [0.0 if k in opposed else _overlap(clause, reading, c, own) for k, c in enumerate(sentences)]
            top = max(per, default=0.0)
            if top >= max(1.5, ALIGNED * total):
                held = sentences
                aligned = near = [k for k, o in enumerate(per) if o >= NEARLY * top]
        if "negation" in checks and aligned and all(_negated_otherwise(clause, reading, held, k) for k in aligned):
            return "negation"
        if "direction" in checks and aligned and clause.cues.directions:
            # The clause it paraphrases says which way it goes, and so does a clause beside it in
            # the sentence that holds what that one lacks of the claim ("擅長分類，但在生成方面表現
            # 較差": the second speaks for a claim about generation, not one about 分類), or that
            # says which way what the claim measures went when that one does not ("與 IRCoT 相當，
            # 同時成本降低": the second speaks for "cheaper than IRCoT").
            base = frozenset().union(*(_held(clause, reading, held[j]) for j in aligned))
            unsaid = {dim for _, dim in clause.cues.directions if dim} - \
                {dim for j in aligned for _, dim in held[j].cues.directions}
            speaking = [j for j in near if j in aligned or _held(clause, reading, held[j]) - base
                        or unsaid & {dim for _, dim in held[j].cues.directions}]
            stated = frozenset().union(*(held[j].cues.directions for j in speaking))
            if clause.numbers:  # the paper's clauses stating its numbers say which way they go
                stated |= frozenset().union(*(c.cues.directions for c in clauses if clause.numbers & c.numbers))
            # a clause going one way only is read on its dimension; one that goes both ways
            # ("degrade performance more than") leaves open which word the dimension belongs to
            one_way = len({sign for sign, _ in clause.cues.directions if sign in (1, -1)}) <= 1
            for group in _by_dimension(clause.cues.directions):  # "slower but more accurate": each must hold
                same, opposite = _signs(group, stated, exact=one_way)
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
    if "role" in checks:
        # a model the paper only compares against, named in a clause that compares nothing
        for i, (name, _) in enumerate(reading.names):
            if norm_name(name) in own_names(paper) or not _only_compared_with(name, paper_text(paper)):
                continue
            if any(i in c.names and not (c.cues.directions or THAN.search(c.text) or COMPARED.search(c.text) or
                                         EVALUATED.search(c.text)) for c in reading.clauses):
                return "role"
    if "number" in checks and reading.numbers:
        # a number the paper states, but about something else: none of the sentence's words
        # or names, nor what it measures (cost, speed, ...), is in the paper's sentence with it
        context = ClaimClause(reading.text, frozenset(reading.weights), frozenset(range(len(reading.names))),
                               frozenset(), cues_of(reading.text), frozenset(), frozenset())
        dimensions = {d for _, d in context.cues.directions if d}
        for number in reading.numbers:
            if not isinstance(number, float):
                continue
            stating = [c for c in source_sentences(paper) if number in c.numbers]
            if stating and not any(_overlap(context, reading, c, own) >= 1.0 or
                                   dimensions & {d for _, d in c.cues.directions if d} for c in stating):
                return "number"
        # numbers swapped within the paper: "10-30 times faster" where it says 成本降低 10-30 倍
        # (cheaper) and 速度提高 6-13 倍; each number measures what the paper says it measures
        stated = paper_measures(paper)
        for number, measures in measured(reading.text, True).items():
            if stated.get(number) and not measures & stated[number]:
                return "number"
    if "antonym" in checks:
        claim, said = reading.text.lower(), paper_text(paper)
        for a, b in OPPOSITES:
            for mine, other in ((a, b), (b, a)):
                if mine.search(claim) and not mine.search(said) and other.search(said):
                    return "antonym"
    return None


def _overlap(clause: ClaimClause, reading: Reading, other: Clause, own: frozenset = frozenset()) -> float:
    """How much of a claim's clause a paper's clause holds; names in `own` (the paper's own,
    or found in many of its clauses) say little about which one the claim paraphrases."""
    hit = sum(reading.weights[w] for w in clause.words - reading.name_tokens if reading.weights[w] >= ALIGN_WORD and
              (w in other.tokens or any(t in other.text for t in reading.glossed.get(w, ()))))
    hit += sum(0.5 if norm_name(reading.names[i][0]) in own else CRITICAL
               for i in clause.names if _find_name(reading.names[i][0], other.text) is not None)
    hit += CRITICAL * len(clause.numbers & other.numbers)
    return hit


def _about_the_opposite(text: str, clauses: tuple) -> set[int]:
    """The paper's clauses holding the opposite of a word of the claim's clause (online for
    its offline; [opposites] of contradictions.txt) and not the word, when another of them
    holds the word."""
    out: set[int] = set()
    for a, b in OPPOSITES:
        for mine, other in ((a, b), (b, a)):
            if not mine.search(text) or other.search(text):
                continue
            read = [_phrased(c.text) for c in clauses]
            if any(mine.search(t) for t in read):
                out.update(k for k, t in enumerate(read) if other.search(t) and not mine.search(t))
    return out


@lru_cache(maxsize=65536)
def _phrased(text: str) -> str:
    """A paper's clause in the claim's phrasing (rag.claims reads claims in Taiwan phrasing)."""
    return to_traditional(text)


def _held(clause: ClaimClause, reading: Reading, other: Clause) -> frozenset:
    """The words (not its words of direction), names (by index) and numbers of a claim's
    clause that a paper's clause holds."""
    words = {w for w in clause.words - reading.name_tokens - direction_words(clause.text)
             if reading.weights[w] >= ALIGN_WORD and
             (w in other.tokens or any(t in other.text for t in reading.glossed.get(w, ())))}
    names = {i for i in clause.names if _find_name(reading.names[i][0], other.text) is not None}
    return frozenset(words) | frozenset(names) | (clause.numbers & other.numbers)


def _clause_total(clause: ClaimClause, reading: Reading) -> float:
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


def _signs(claim: frozenset, stated: frozenset, exact: bool = False) -> tuple[set, set]:
    """The claim's directions a paper's directions agree with, and those they oppose, on
    the same dimension (or where either does not say which). With `exact`, a direction on a
    named dimension is judged by the paper's on that dimension when it states any ("表現出色"
    by "表現較差", not by a "擅長" that names none)."""
    same, opposite = set(), set()
    for sign, dim in claim:
        on_it = [d for d in stated if exact and dim and d[1] == dim]
        for other, other_dim in on_it or stated:
            if dim and other_dim and dim != other_dim:
                continue
            if other == sign:
                same.add((sign, dim))
            elif {sign, other} == {0, 2} or (sign in (1, -1) and other == -sign) or \
                    (sign in (0, 1, -1) and other in (0, 1, -1) and (sign == 0) != (other == 0)):
                opposite.add((sign, dim))
    return same, opposite


def _negated_otherwise(clause: ClaimClause, reading: Reading, clauses: tuple, k: int) -> bool:
    """The paper's clause k negates words the claim's clause asserts, or asserts words the
    claim negates, and shares no negation with it (a word the claim negates that the paper
    negates anywhere counts as shared: "不需要原始數據" / "幾乎無數據")."""
    other = clauses[k]
    mismatch = agree = 0.0

    def negated_in(c: Cues, word: str, glossed: tuple) -> bool:
        return word in c.negated or any(t in c.negated_text for t in glossed)

    for w in clause.words:
        weight = reading.weights[w]
        # the glossary's terms as written (性能差異) and as the cues are read (Taiwan phrasing: 效能差異)
        glossed = _both_phrasings(reading.glossed.get(w, ()))
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


@lru_cache(maxsize=16384)
def _both_phrasings(terms: tuple) -> tuple:
    return tuple(dict.fromkeys([*terms, *(to_traditional(t) for t in terms)]))


def _compared_the_other_way(clause: ClaimClause, reading: Reading, clauses: tuple) -> bool:
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
                raw = raw[:min((m.start() for p in (UP, DOWN, THAN) for m in [p.search(raw)] if m),
                               default=len(raw))]
            else:
                overlap += _overlap(clause, reading, clauses[j])
            first = SOURCE_NAME.search(raw)
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


_COMPARED_BEFORE = 10  # characters between a comparison word and the name it compares with ("超越或匹配 GPT-4")


@lru_cache(maxsize=16384)
def _only_compared_with(name: str, text: str) -> bool:
    """Every time the paper's text names it, something is compared with it: a word of
    direction, [than] or [compared] right before it in its clause ("超越或匹配 GPT-4", "比
    GPT-4 高出", "Rival GPT-4"), or 相比/相較 right after ("與 GPT-4 相比")."""
    found = list(_name_pattern(name).finditer(text))
    for m in found:
        before = re.split(r"[，。；、：,.;:！？!?()（）]", text[max(0, m.start() - _COMPARED_BEFORE):m.start()])[-1]
        if not (any(p.search(before) for p in (UP, DOWN, THAN, COMPARED, SAME)) or
                re.match(r"\s*(?:相比|相較|比較)", text[m.end():])):
            return False
    return bool(found)


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
