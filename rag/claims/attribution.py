"""Claims and the papers that support them: every sentence of an answer is checked
against the sources it was written from, and its citation markers are made true.

    attribution = attribute(text, papers, language)
    attribution.text     # the answer with corrected markers ([n] = n-th of `papers`)
    attribution.claims   # per sentence: its text, the arXiv IDs that support it, a score, what happened

A sentence is split from the answer (Chinese and English punctuation, list items,
lines); its support by each paper is how much of it the paper's text accounts for:
CJK-aware words and character bigrams against the title, summary and topics; English
words against the title, the English gloss and abstract, and the English terms the
glossary finds in the Chinese summary (an English sentence written from a Chinese
summary is the common case); its numbers ("28.53%", "1.25 億" = "125M") and names
("WebQSP", "GPT-4") must be found in a supporting paper (rag.mentions). Simplified
Chinese is read as Traditional.

Words a paper uses can still be put together into something it does not say ("SPPO
只需一輪迭代即可收斂", "GPT-4o 的 ICL 數據效率高於 Gemini 1.5 Pro"): a paper that
contradicts a sentence does not support it (rag.contradictions: a negation on one side
only, a comparison or change the other way, an "only"/"all" the paper does not state,
...; `Claim.conflicts` says which and how). A sentence about several papers at once
("Both toolkits ...", "兩者都 ...") must hold for each of them, and papers support a
sentence together only when each accounts for a clause of it, not by lending their
words to another paper's subject.

Then, per sentence: a marker pointing at a paper that does not support it is moved to
the paper(s) that do; a sentence without a marker that a paper supports gets one
(answers of models that write no markers are kept); a factual sentence no paper
supports is removed, and listed in `claims` as removed; framing ("Here are three
papers:", headings, "希望有幫助") is left alone, losing only a marker that is wrong.
A sentence without its own marker is covered by the marker a reader would carry over
(later in its line, earlier in its line, or on its paragraph's bold heading) when that
paper supports it, so paragraph-level citations and the offline extracts stay as they
are.

Pure and deterministic: no network, no model unless `embed` is given. The word lists
(stop words, framing, ...) are data: claims.txt beside this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path

from rag.claims import contradictions
from rag.text import glossary
from rag.store.lexical import tokenize
from rag.claims.mentions import CJK, CRITICAL, DATES, NAME, chinese_terms, names_in, norm_name, numbers_in, own_names
from rag.papers.table import Paper
from rag.text.script import to_traditional
from rag.text.wordlists import Table

KEPT, REATTRIBUTED, ADDED, REMOVED, FRAMING = "kept", "re-attributed", "added", "removed", "framing"

# Tuned on the tune half of benchmarks/citations (benchmarks/citations/README.md).
SUPPORTED = 0.40  # a paper accounts for at least this share of a sentence
NEAR_BEST = 0.75  # a cited paper within this fraction of the best one keeps its marker
CO_SUPPORT = 0.80  # another paper this close to the best one is cited too
MAX_ADDED = 3  # markers added to one sentence at most
# A sentence about several papers, supported by them together:
MEMBER = 0.35  # each accounts for at least this share of its words
MIN_GAIN = 0.05  # and adds at least this much to what the others account for
UNION_SUPPORTED = 0.55  # together they account for this much
CLAUSE_SUPPORTED = 0.5  # or for this much of the clause that names it
MAX_UNION = 4
CHECKED = 0.3  # a paper accounting for this much of a sentence is checked for contradicting it
FRAMING_KEEP = 0.7  # a marker on framing stays when its paper accounts for this much of it (a title heading)
# What is checked (benchmarks/citations --without leaves some out): the contradictions, a
# claim about each of several papers ("distributive"), papers supporting one together ("members").
CHECKS = contradictions.CHECKS | {"distributive", "members"}

_WORDS = Table(Path(__file__).with_name("claims.txt"))
_ABBREVIATIONS = _WORDS.words("abbreviations")
_STOP = _WORDS.words("stop")
_GENERIC = _WORDS.words("generic")
_LABELS = _WORDS.words("labels")
_LIST_WORDS = _WORDS.words("list words")
_FRAMING = re.compile(rf"^(?:{_WORDS.cues('framing openings')})|{_WORDS.patterns('framing')}", re.IGNORECASE)
_LIST_STATS = re.compile(_WORDS.patterns("list statistics"), re.IGNORECASE)
# A clause a paper may support on its own ends at a comma (not in 1,000), ，;；:：、—–, or a clause break word.
_CLAUSE = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：、—–]|" + _WORDS.cues("clause break"))  # case-sensitive
_WORDS.finish()


# -- the result -------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    text: str  # the sentence as shown, without markers
    sources: tuple[str, ...]  # arXiv IDs it is cited to after checking (own or carried-over markers)
    score: float  # how well its best supporting paper accounts for it, 0..1
    action: str  # kept, re-attributed, added, removed or framing
    cited: tuple[str, ...] = ()  # what the model had cited
    conflicts: tuple[tuple[str, str], ...] = ()  # (arXiv ID, how it contradicts the claim): negation, scope, ...

    def to_dict(self) -> dict:
        out = {"text": self.text, "sources": list(self.sources), "score": round(self.score, 3), "action": self.action}
        if self.conflicts:
            out["conflicts"] = [{"paper": i, "check": c} for i, c in self.conflicts]
        return out


@dataclass(frozen=True)
class Attribution:
    text: str  # markers are 1-based indexes into the given sources, ready for check_citations
    claims: list[Claim] = field(default_factory=list)

    @property
    def removed(self) -> list[Claim]:
        return [c for c in self.claims if c.action == REMOVED]

    @property
    def changed(self) -> bool:
        return any(c.action in (REATTRIBUTED, ADDED, REMOVED) for c in self.claims)


# -- splitting an answer into sentences ---------------------------------------------------
_MARKERS = re.compile(r"\[(\s*\d+\s*(?:[,，、]\s*\d+\s*)*)\]")
_LINE_PREFIX = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]*|(?:[-*•·+]|\d{1,2}[.)])[ \t]+)?")
_BULLET = re.compile(r"^[ \t]*(?:[-*•·+]|\d{1,2}[.)])[ \t]+")
# A sentence ends at Chinese 。！？ or at . ! ? before a space, a closing quote or bracket or
# the line's end (not a decimal point or an abbreviation), then may carry closing quotes,
# emphasis and markers.
SPLIT_CLAUSES = False  # also end a claim at ；/; (measured: see benchmarks/citations)
_END_SENTENCE = re.compile(r"[。！？]|[.!?](?=[\s\"'”’)\]）*_]|$)")
_END_CLAUSE = re.compile(r"[。！？；]|[.!?;](?=[\s\"'”’)\]）*_]|$)")
_TAIL = re.compile(r"[\"'”’」』)）*_]*(?:[ \t]*\[\s*\d+\s*(?:[,，、]\s*\d+\s*)*\])*")


@dataclass
class _Sentence:
    start: int
    end: int
    line: int
    raw: str  # text[start:end], markers included
    bullet: bool
    heading: bool  # a line of its own that is a heading (# or bold only)
    markers: list[tuple[int, int, list[int]]] = field(default_factory=list)  # (start, end, numbers) in raw
    core: str = ""  # without markers and Markdown emphasis

    @property
    def cited(self) -> list[int]:
        return list(dict.fromkeys(n for _, _, ns in self.markers for n in ns))


def split_sentences(text: str) -> list[_Sentence]:
    """The sentences of `text` with their spans; everything between them is layout."""
    sentences: list[_Sentence] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        body_start = _LINE_PREFIX.match(line).end()
        bullet = bool(_BULLET.match(line))
        pos = body_start
        pieces = []
        while pos < len(line):
            while pos < len(line) and line[pos] in " \t":
                pos += 1
            if pos >= len(line):
                break
            end = _sentence_end(line, pos)
            pieces.append((pos, end))
            pos = end
        heading = len(pieces) == 1 and (line.lstrip().startswith("#") or _bold_only(line[pieces[0][0]:pieces[0][1]]))
        for start, end in pieces:
            raw = line[start:end]
            sentence = _Sentence(offset + start, offset + end, number, raw, bullet, heading)
            sentence.markers = [(m.start(), m.end(), [int(n) for n in re.split(r"[,，、]", m[1])])
                                for m in _MARKERS.finditer(raw)]
            core = " ".join(_MARKERS.sub(" ", raw).replace("**", "").replace("__", "").split())
            sentence.core = re.sub(r"\s+([。，、；：！？,.;:!?])", r"\1", core)
            sentences.append(sentence)
        offset += len(line) + 1
    return sentences


def _sentence_end(line: str, start: int) -> int:
    for match in (_END_CLAUSE if SPLIT_CLAUSES else _END_SENTENCE).finditer(line, start):
        if match[0] == "." and _not_an_end(line, start, match.start()):
            continue
        if line.count("**", start, match.start()) % 2:
            continue  # inside a bold title ("**Don't Forget to Connect! Improving RAG ...**")
        end = _TAIL.match(line, match.end()).end()
        return end
    return len(line.rstrip())


def _not_an_end(line: str, start: int, dot: int) -> bool:
    word = re.search(r"([A-Za-z0-9.]+)$", line[start:dot])
    if word and (word[1].lower().rstrip(".") in _ABBREVIATIONS or len(word[1]) == 1 and word[1].isupper()):
        return True
    return False


def _bold_only(raw: str) -> bool:
    stripped = _MARKERS.sub("", raw).strip()
    return bool(re.fullmatch(r"\*\*[^*]+\*\*[:：]?", stripped))


# -- what a sentence and a paper say: words, names and numbers -------------------------------
@cache
def _stems(words: frozenset) -> frozenset:
    """A word list as the stems tokenize() produces."""
    return frozenset(t for w in words for t in tokenize(w))


_OPENING = re.compile(r"(^|[:：.!?。—–\-·|\"“'‘(（])\s*$")
_NOT_NAMES = _STOP | _GENERIC | _LABELS  # capitalised, they are not part of the name after them


def _claim_names(core: str) -> list[tuple[str, str]]:
    """Names a claim relies on: mixed-case or digit-bearing tokens (WebQSP, GPT-4, LoRA), and
    capitalised words that do not open the sentence, a label or a quote (Hugging Face,
    Nash); each with the two words after it, for glossary phrases (Nash equilibrium)."""
    names = []
    chinese = bool(CJK.search(core))  # Chinese has no capitals: a capitalised Latin word in it is a name
    for match in NAME.finditer(core):
        words = match[0].rstrip(".").split(" ")
        opening = bool(_OPENING.search(core[:match.start()])) and not chinese
        # "Both GNN-RAG", "Results Parrot": a plain capitalised word that opens the
        # sentence, or a label or stop word, is not part of the name after it.
        while words and re.fullmatch(r"[A-Z][a-z]+", words[0]) and (
                opening or words[0].lower() in _NOT_NAMES):
            words, opening = words[1:], False
        word = " ".join(words)
        if not word or word.lower() in _LABELS or any(word == n for n, _ in names):
            continue
        following = " ".join(re.findall(r"[A-Za-z][A-Za-z\-]*", core[match.end():])[:2])
        names.append((word, following))
    return names


@dataclass(frozen=True)
class _Source:
    tokens: frozenset  # tokenize() of everything it says, and the glossary's English for its Chinese
    names: frozenset  # normalised Latin names
    numbers: frozenset
    zh_text: str  # lower-cased, for the glossary's Chinese terms, matched as substrings
    topics: frozenset  # tokens of its topic names


@lru_cache(maxsize=4096)
def _source(paper: Paper) -> _Source:
    topics = " ".join(paper.topics)
    everything = " ".join([paper.title, paper.summary, topics, paper.gloss, paper.abstract])
    english = " ".join(glossary.expand(paper.summary + " " + topics))  # 剪枝 → pruning
    return _Source(
        tokens=frozenset(tokenize(everything + " " + english)),
        names=frozenset(names_in(everything)),
        numbers=frozenset(numbers_in(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract]), False)),
        zh_text=" ".join([paper.summary, topics, paper.title]).lower(),
        topics=frozenset(tokenize(topics)),
    )


# -- how well each paper accounts for a sentence ---------------------------------------
@dataclass
class _Units:
    """What a sentence says: weighted words (tokens), and the names and numbers it states."""
    weights: dict[str, float]
    glossed: dict[str, tuple[str, ...]]  # English stem → the glossary's Chinese for its phrase
    names: list[tuple[str, str]]
    numbers: set[float]
    clauses: list[tuple[frozenset, frozenset, frozenset]]  # (words, names, numbers) of each: see _member
    reading: contradictions.Reading  # as the contradiction checks read it

    @property
    def total(self) -> float:
        return sum(self.weights.values()) + CRITICAL * (len(self.names) + len(self.numbers))


def _units(core: str) -> _Units:
    text = to_traditional(core)
    stop, generic = _stems(_STOP), _stems(_GENERIC)
    tokens = [t for t in tokenize(DATES.sub(" ", text)) if not re.fullmatch(r"[\d.]+", t)]
    counts: dict[str, int] = {}
    for t in tokens:
        counts[t] = counts.get(t, 0) + 1
    weights: dict[str, float] = {}
    for t, count in counts.items():
        if t in stop:
            continue
        if t in generic:
            weights[t] = 0.3
        elif CJK.match(t) and len(t) == 2 and count == 1:
            weights[t] = 0.5  # a character bigram that is not also a word
        else:
            weights[t] = 1.0
    names, numbers = _claim_names(core), numbers_in(text, True)
    clauses = []
    for clause in _CLAUSE.split(text):
        if clause.strip():
            words = frozenset(t for t in tokenize(DATES.sub(" ", clause)) if t in weights)
            held = frozenset(i for i, (name, _) in enumerate(names)
                             if re.search(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", clause))
            clauses.append((words, held, frozenset(numbers_in(clause, True) & numbers)))
    merged: list[tuple[frozenset, frozenset, frozenset]] = []
    for clause in clauses:  # "SPPO", "SELM 也指出": not a statement of its own, it joins the next
        if merged and sum(weights[w] for w in merged[-1][0] if weights[w] >= 0.5) < 1.0:
            prev = merged.pop()
            clause = (prev[0] | clause[0], prev[1] | clause[1], prev[2] | clause[2])
        merged.append(clause)
    glossed = _glossed(text)
    return _Units(weights, glossed, names, numbers, merged, contradictions.read(text, weights, glossed, names, numbers))


def _glossed(text: str) -> dict[str, tuple[str, ...]]:
    """English words of a sentence → the glossary's Chinese for the longest phrase they are in."""
    words = re.findall(r"[A-Za-z][A-Za-z\-]*", text)
    out: dict[str, tuple[str, ...]] = {}
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            if i + size > len(words):
                continue
            terms = chinese_terms(" ".join(words[i:i + size]).lower())
            if terms:
                for w in words[i:i + size]:
                    for stem in tokenize(w):
                        out[stem] = out.get(stem, ()) + terms
                break
        i += 1
    return out


@dataclass
class _Support:
    score: float  # weighted share of the sentence this paper accounts for, names and numbers included
    words: float  # share of its words alone
    matched: frozenset  # the words it accounts for
    names: frozenset  # indexes of the claim's names it holds
    numbers: frozenset  # the claim's numbers it holds

    def complete(self, units: _Units) -> bool:
        return len(self.names) == len(units.names) and len(self.numbers) == len(units.numbers)


def _support(units: _Units, source: _Source) -> _Support:
    matched = frozenset(u for u in units.weights if u in source.tokens or
                        any(t in source.zh_text for t in units.glossed.get(u, ())))
    names = frozenset(i for i, n in enumerate(units.names) if _has_name(n, source))
    numbers = frozenset(v for v in units.numbers
                        if (v in source.numbers if isinstance(v, float) else any(a in source.numbers for a in v)))
    return _score(units, matched, names, numbers)


def _score(units: _Units, matched, names, numbers) -> _Support:
    word_total = sum(units.weights.values())
    word_hit = sum(units.weights[u] for u in matched)
    total = units.total
    hit = word_hit + CRITICAL * (len(names) + len(numbers))
    return _Support(hit / total if total else 0.0, word_hit / word_total if word_total else 0.0,
                    frozenset(matched), frozenset(names), frozenset(numbers))


_NONE = _Support(0.0, 0.0, frozenset(), frozenset(), frozenset())  # a paper that contradicts the sentence


def _has_name(name: tuple[str, str], source: _Source) -> bool:
    """The paper holds the name (any spacing or hyphenation), or the glossary's Chinese for it
    alone or with the words that follow; a multi-word name word by word."""
    word, following = name
    if norm_name(word) in source.names:
        return True
    words = following.split()
    for size in range(len(words), -1, -1):  # Nash equilibrium → 納什均衡
        if any(t in source.zh_text for t in chinese_terms(" ".join([word, *words[:size]]).lower())):
            return True
    parts = word.split()
    return len(parts) > 1 and all(_has_name((p, ""), source) for p in parts)


def unfounded(text: str, paper: Paper) -> list[str]:
    """The names and numbers `text` states that the paper's own title and summary do not
    hold (its gloss and abstract aside): what a model writing about the paper invented."""
    source = _source(replace(paper, gloss="", abstract=""))
    missing: list[str] = []
    for sentence in split_sentences(text):
        core = to_traditional(sentence.core)
        missing += [word for word, following in _claim_names(core) if not _has_name((word, following), source)]
        missing += [str(v) for v in numbers_in(core, True)
                    if not (v in source.numbers if isinstance(v, float) else any(a in source.numbers for a in v))]
    return list(dict.fromkeys(missing))


# -- deciding ------------------------------------------------------------------------------
@dataclass
class _Verdict:
    sentence: _Sentence
    units: _Units
    scores: list[_Support]
    support: list[int]  # 0-based indexes of the papers that support it, best first
    framing: bool
    cited: list[int] = field(default_factory=list)  # 0-based indexes of the papers its markers point at
    final: list[int] = field(default_factory=list)  # 0-based indexes of its own markers after checking
    carried: list[int] = field(default_factory=list)  # markers it is covered by, from its line or heading
    action: str = KEPT
    removed: bool = False
    score: float = 0.0  # how well its supporters account for it together
    conflicts: dict = field(default_factory=dict)  # paper index → how it contradicts the sentence


def _supporters(units: _Units, scores: list[_Support], owners: list[frozenset], cited: list[int]
                ) -> tuple[list[int], float]:
    """The papers that support the sentence, best first, and how much of it they account for.

    One paper that holds every name and number and accounts for enough of the words
    supports it alone (with any other paper nearly as good). Otherwise a sentence about
    several papers ("Both GNN-RAG and HippoRAG ...") may be supported by several together:
    each must account for a fair share of the words on its own and add something the
    others lack, and together they must hold every name and number; a sentence of one
    clause is one statement, which one paper must hold. A sentence about each of several
    papers it names or cites ("Both ...", "兩者都 ...") must hold for each (see _each).
    Empty when nothing does. `owners`: each paper's own names; `cited`: the papers its
    markers point at."""
    if not scores or not units.total:
        return [], 0.0
    named = _named(units, scores, owners)
    meant = named if len(named) >= 2 else list(dict.fromkeys(cited))
    # "Both models ..." said of one paper is not a claim about each of several
    if units.reading.distributive and "distributive" in CHECKS and len(meant) >= 2:
        return _each(units, scores, owners, meant)
    complete = [j for j, s in enumerate(scores) if s.complete(units) and s.score >= SUPPORTED]
    if complete:
        best = max(scores[j].score for j in complete)
        chosen = sorted((j for j in complete if scores[j].score >= CO_SUPPORT * best), key=lambda j: -scores[j].score)
        return chosen, best
    if "members" in CHECKS and len(units.clauses) < 2:
        return [], max(s.score for s in scores)  # one paper's name, another's finding: not together
    order = sorted(range(len(scores)), key=lambda j: -scores[j].score)
    chosen: list[int] = []
    matched, names, numbers = frozenset(), frozenset(), frozenset()

    def gain(j: int) -> float:
        s = scores[j]
        return _score(units, matched | s.matched, names | s.names, numbers | s.numbers).score - \
            _score(units, matched, names, numbers).score

    while len(chosen) < MAX_UNION:
        candidates = [j for j in order if j not in chosen and _member(units, scores[j], names, numbers)]
        if not candidates:
            break
        j = max(candidates, key=gain)
        if gain(j) < MIN_GAIN:
            break
        chosen.append(j)
        s = scores[j]
        matched, names, numbers = matched | s.matched, names | s.names, numbers | s.numbers
    together = _score(units, matched, names, numbers)
    if len(chosen) < 2 or not together.complete(units) or together.score < UNION_SUPPORTED:
        return [], max(s.score for s in scores)
    return chosen, together.score


def _named(units: _Units, scores: list[_Support], owners: list[frozenset]) -> list[int]:
    """The papers a sentence names: by a name of their own that no other source holds
    ("SPPO", "NeMo-Aligner"; not "LoRA")."""
    holders = {i: [k for k, s in enumerate(scores) if i in s.names] for i in range(len(units.names))}
    return [j for j in range(len(scores))
            if any(holders[i] == [j] and norm_name(name) in owners[j]
                   for i, (name, _) in enumerate(units.names))]


def _each(units: _Units, scores: list[_Support], owners: list[frozenset], meant: list[int]
          ) -> tuple[list[int], float]:
    """A sentence about several papers at once ("Both toolkits were released by NVIDIA",
    "兩者都實作了 RLHF 和 DPO") is supported when each of them supports what it says of
    them: every name and number but the other papers' own names, and enough of the words.
    `meant`: the papers it names, or else those it cites (two or more)."""
    def alone(j: int) -> float:
        s = scores[j]
        missing = [i for i in range(len(units.names)) if i not in s.names]
        excused = [i for i in missing
                   if any(norm_name(units.names[i][0]) in owners[k] for k in range(len(owners)) if k != j)]
        if len(excused) < len(missing) or len(s.numbers) < len(units.numbers):
            return 0.0
        total = units.total - CRITICAL * len(excused)
        return (s.score * units.total) / total if total > 0 else 0.0

    each = {j: alone(j) for j in meant}
    chosen = sorted((j for j, v in each.items() if v >= SUPPORTED), key=lambda j: -each[j])
    if len(chosen) < len(meant):
        return [], max((s.score for s in scores), default=0.0)
    return chosen, min(each[j] for j in chosen)


def _member(units: _Units, s: _Support, names: frozenset, numbers: frozenset) -> bool:
    """A paper may join the papers supporting a sentence together when it accounts for a fair
    share of the sentence, or for most of the clause where a name or number only it holds
    stands ("..., Meteor's Mamba-based traversal of rationales, ...")."""
    new_names, new_numbers = s.names - names, s.numbers - numbers
    if not (new_names or new_numbers):
        return s.words >= MEMBER
    words, held, stated = frozenset(), frozenset(), frozenset()
    for c_words, c_names, c_numbers in units.clauses:
        if (c_names & new_names or c_numbers & new_numbers) and not (c_names & names or c_numbers & numbers):
            words, held, stated = words | c_words, held | c_names, stated | c_numbers  # a clause of its own
    total = sum(units.weights[w] for w in words) + CRITICAL * (len(held) + len(stated))
    hit = sum(units.weights[w] for w in words & s.matched) + CRITICAL * (len(held & s.names) + len(stated & s.numbers))
    return total > 0 and hit / total >= CLAUSE_SUPPORTED


DENSE_WEIGHT = 0.0  # share of an English sentence's score from `embed`; measured no gain, so off (see the benchmark)


def _english_text(paper: Paper) -> str:
    """What the English-only embedding model can read of a paper."""
    english = " ".join(t for t in glossary.expand(paper.summary) if not CJK.search(t))
    return " ".join(x for x in [paper.title, paper.gloss, paper.abstract[:1500], english] if x)


def _dense(sentences: list[_Sentence], sources: list[Paper], embed) -> dict[int, list[float]]:
    """Cosine similarity of each English sentence to each paper's English text, from one
    batched call of `embed(texts) -> vectors`."""
    import numpy as np

    english = [k for k, s in enumerate(sentences) if s.core and not CJK.search(s.core)]
    if not english:
        return {}
    vectors = np.asarray(embed([sentences[k].core for k in english] + [_english_text(p) for p in sources]),
                         dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    claims, papers = vectors[:len(english)], vectors[len(english):]
    return {k: list(row) for k, row in zip(english, claims @ papers.T)}


def _blend(s: _Support, similarity: float) -> _Support:
    """The lexical score moved toward the embedding similarity (0.2 → 0, 0.7 → 1)."""
    dense = min(1.0, max(0.0, (similarity - 0.2) / 0.5))
    return _Support((1 - DENSE_WEIGHT) * s.score + DENSE_WEIGHT * dense, s.words, s.matched, s.names, s.numbers)


def _structural_framing(sentence: _Sentence, units: _Units) -> bool:
    """Headings, intros that end in a colon, questions, pleasantries, and statements about
    the list itself: they need no citation, and none is added."""
    core = sentence.core.strip()
    if not core or sentence.heading or re.search(r"[:：?？]$", core):
        return True
    if _LIST_STATS.search(core):
        return True
    plain = re.sub(r"^[\W_]+", "", to_traditional(core))
    return bool(_FRAMING.search(plain)) and not (units.names or units.numbers)


def _label_line(sentence: _Sentence, topics: frozenset) -> bool:
    """A label and topic names only, as list metadata is written ("共同主題：多模態模型",
    "Shared topics: 對齊")."""
    match = re.fullmatch(r"([^:：。.!?]{1,24})[:：]\s*(.+)", sentence.core.strip())
    if not match or sentence.bullet:
        return False
    value = [t for t in tokenize(match[2]) if not re.fullmatch(r"[\d.]+", t)]
    return bool(value) and all(t in topics for t in value)


def _low_content(units: _Units, topics: frozenset) -> bool:
    """Nothing a paper could be cited for: at most one content word beside the list's own
    vocabulary and topic names, and no name or number."""
    list_words = _stems(_LIST_WORDS)
    content = [u for u, w in units.weights.items() if w >= 1.0 and u not in list_words and u not in topics]
    return not units.names and not units.numbers and len(content) <= 1


def attribute(text: str, sources: list[Paper], language: str = "en", *, embed=None) -> Attribution:
    """Checks every sentence of `text` against `sources` (the papers the model was given,
    in prompt order; markers [n] are 1-based indexes into them) and returns the text with
    true markers, and per sentence what was decided. See the module's docstring."""
    sentences = split_sentences(text)
    if not sentences or not sources:
        return Attribution(text, [])
    features = [_source(p) for p in sources]
    topics = frozenset().union(*(f.topics for f in features))
    dense = _dense(sentences, sources, embed) if embed is not None and DENSE_WEIGHT else {}
    verdicts = []
    owners = [own_names(p) for p in sources]
    for k, sentence in enumerate(sentences):
        units = _units(sentence.core)
        scores = [_support(units, f) for f in features]
        if k in dense:
            scores = [_blend(s, sim) for s, sim in zip(scores, dense[k])]
        structural = _structural_framing(sentence, units)
        cited = [n - 1 for n in sentence.cited if 1 <= n <= len(sources)]  # a marker to no source counts as none
        support, together = _supporters(units, scores, owners, cited)
        conflicts: dict[int, str] = {}
        checked: set[int] = set()
        while not structural:  # only papers it could be cited to are read for contradictions
            todo = [j for j in _citable(units, scores, support, cited) if j not in checked]
            if not todo:
                break
            checked.update(todo)
            for j in todo:
                reason = contradictions.conflict(units.reading, sources[j], CHECKS)
                if reason:
                    conflicts[j], scores[j] = reason, _NONE
            if any(j in conflicts for j in todo):
                support, together = _supporters(units, scores, owners, cited)
        framing = structural or _label_line(sentence, topics) or (not support and _low_content(units, topics))
        verdicts.append(_Verdict(sentence, units, scores, support, framing, cited, score=together,
                                 conflicts=conflicts))
    _decide_marked(verdicts)
    _decide_unmarked(verdicts, text)
    new_text = _rewrite(text, verdicts)
    claims = [_claim(v, sources) for v in verdicts]
    return Attribution(new_text, claims)


def _citable(units: _Units, scores: list[_Support], support: list[int], cited: list[int]) -> list[int]:
    """The papers a sentence may end up cited to (see _fits), and those it cites."""
    return list(dict.fromkeys([*support, *[j for j in cited if scores[j].score >= CHECKED],
                               *_near_best(units, scores)]))


def _fits(v: _Verdict, j: int) -> bool:
    """Paper j may be cited for the sentence: it is one of its supporters, or nearly as
    good as the best one."""
    return j in v.support or j in _near_best(v.units, v.scores)


def _near_best(units: _Units, scores: list[_Support]) -> list[int]:
    """The papers that hold every name and number of a sentence and account for nearly as
    much of it as the best one."""
    best = max((s.score for s in scores), default=0.0)
    return [j for j, s in enumerate(scores)
            if s.complete(units) and s.score >= SUPPORTED and s.score >= NEAR_BEST * best]


def _decide_marked(verdicts: list[_Verdict]) -> None:
    for v in verdicts:
        cited = v.cited
        if not cited:
            continue
        if v.framing:  # its markers stay only where they are true
            # a heading that names the paper ("**HippoRAG** [1]")
            v.final = [j for j in cited if v.scores[j].names and v.scores[j].score >= FRAMING_KEEP]
            v.action = FRAMING
        elif not v.support:
            v.final, v.action, v.removed = [], REMOVED, True
        else:
            final = [j for j in cited if _fits(v, j)] or v.support[:MAX_ADDED]
            final += [j for j in v.support if j not in final and j in _uncovered(v, final)]
            v.final = final
            v.action = KEPT if set(final) == set(cited) else REATTRIBUTED


def _uncovered(v: _Verdict, chosen: list[int]) -> set[int]:
    """Supporters that hold a name or number the chosen papers lack."""
    names = set().union(*(v.scores[c].names for c in chosen))
    numbers = set().union(*(v.scores[c].numbers for c in chosen))
    return {j for j in v.support if (v.scores[j].names - names) or (v.scores[j].numbers - numbers)}


def _decide_unmarked(verdicts: list[_Verdict], text: str) -> None:
    """A supported sentence without a marker keeps none when the marker a reader carries
    over to it (see _carried) is right for it, and gets its own otherwise. Markers added
    change what neighbours carry over, so this repeats until nothing changes."""
    lines = text.split("\n")
    for v in verdicts:
        if not v.cited:
            if v.framing:
                v.action = FRAMING
            elif not v.support:
                v.action, v.removed = REMOVED, True
    changed = True
    while changed:
        changed = False
        for k, v in enumerate(verdicts):
            if v.cited or v.framing or v.removed or v.action == ADDED:
                continue
            carried = _carried(verdicts, k, lines)
            if carried and all(_fits(v, j) for j in carried):
                v.action, v.carried = KEPT, carried  # a reader already reads it as cited right
            else:
                v.final, v.carried, v.action, changed = v.support[:MAX_ADDED], [], ADDED, True


def _carried(verdicts: list[_Verdict], k: int, lines: list[str]) -> list[int]:
    """The markers a reader carries over to sentence k: a later one in its line, an earlier
    one in its line, or the one on the bold heading that opens its paragraph."""
    me = verdicts[k].sentence
    for v in verdicts[k + 1:]:
        if v.sentence.line != me.line:
            break
        if v.final and not v.removed:
            return v.final
    for v in reversed(verdicts[:k]):
        if v.sentence.line != me.line:
            break
        if v.final and not v.removed:
            return v.final
    if me.bullet:
        return []
    start = me.line
    while start > 0 and lines[start - 1].strip():
        start -= 1
    if start == me.line or not lines[start].lstrip().startswith(("**", "#")):
        return []
    for v in verdicts:
        if v.sentence.line == start and v.final and not v.removed:
            return v.final
    return []


def _claim(v: _Verdict, sources: list[Paper]) -> Claim:
    shown = [] if v.removed else v.final or v.carried
    score = v.score if v.support else max((s.score for s in v.scores), default=0.0)
    return Claim(v.sentence.core, tuple(sources[j].arxiv_id for j in shown), round(score, 3), v.action,
                 tuple(sources[j].arxiv_id for j in v.cited),
                 tuple((sources[j].arxiv_id, reason) for j, reason in v.conflicts.items()))


# -- rewriting the text -----------------------------------------------------------------
def _rewrite(text: str, verdicts: list[_Verdict]) -> str:
    """The text with each changed sentence's markers rewritten and removed sentences cut
    out (with the space they leave; a line left empty goes whole); the rest unchanged."""
    by_line: dict[int, list[_Verdict]] = {}
    for v in verdicts:
        by_line.setdefault(v.sentence.line, []).append(v)
    out_lines, offset = [], 0
    for number, line in enumerate(text.split("\n")):
        line_start, offset = offset, offset + len(line) + 1
        vs = by_line.get(number, [])
        if vs and all(v.removed for v in vs):
            continue
        pieces, pos = [], 0
        for v in vs:
            a, b = v.sentence.start - line_start, v.sentence.end - line_start
            if v.removed:
                pieces.append(line[pos:a])
                pos = b
                follow = re.match(r"[ \t]+", line[pos:])
                if follow:
                    pos += follow.end()
                elif pieces[-1].endswith((" ", "\t")):
                    pieces[-1] = pieces[-1].rstrip(" \t")
            elif set(v.final) != set(n - 1 for n in v.sentence.cited):
                pieces += [line[pos:a], _remark(v.sentence, v.final)]
                pos = b
        pieces.append(line[pos:])
        out_lines.append("".join(pieces))
    return "\n".join(out_lines)


def _remark(s: _Sentence, final: list[int]) -> str:
    """The sentence with its markers set to `final` (0-based): markers that stay are left
    where they are, new ones go where the last marker was, or at the end of the sentence
    before its closing punctuation."""
    raw = s.raw
    keep = set(final)
    placed: set[int] = set()
    pieces, pos = [], 0
    last_group_end = None
    for start, end, numbers in s.markers:
        pieces.append(raw[pos:start])
        kept = [n for n in numbers if n - 1 in keep and n - 1 not in placed]
        placed.update(n - 1 for n in kept)
        if kept:
            pieces.append("".join(f"[{n}]" for n in kept))
        elif pieces and pieces[-1].endswith(" ") and not raw[end:end + 1].isalnum():
            pieces[-1] = pieces[-1][:-1]
        pos = end
        last_group_end = sum(len(p) for p in pieces)
    pieces.append(raw[pos:])
    body = "".join(pieces)
    new = [j for j in final if j not in placed]
    if not new:
        return body
    marks = "".join(f"[{j + 1}]" for j in new)
    if last_group_end is not None and s.markers and any(n - 1 in placed for _, _, ns in s.markers for n in ns):
        return body[:last_group_end] + marks + body[last_group_end:]
    if last_group_end is not None and s.markers:
        # every marker was wrong: the new ones take the place of the last
        at = last_group_end
        prefix = body[:at]
        spacer = "" if not prefix or prefix.endswith((" ", "\t")) or at == 0 else " "
        return prefix + spacer + marks + (" " if at == 0 and not body[at:at + 1].isspace() else "") + body[at:]
    at = _insertion_point(body)
    spacer = "" if body[:at].endswith((" ", "\t")) else " "
    return body[:at] + spacer + marks + body[at:]


def _insertion_point(body: str) -> int:
    """Before the sentence's closing punctuation (and quotes), after any emphasis."""
    match = re.search(r"[。！？；.!?;:：,，][\"'”’」』)）]*\s*$", body)
    return match.start() if match else len(body.rstrip())
