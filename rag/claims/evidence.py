"""How well a paper accounts for a sentence: the sentence's words, names and numbers (its
units) against what the paper says (its title, summary, topics, gloss and abstract, with
the glossary's English for the summary's Chinese terms), as a share of the sentence.
Names and numbers must be found in the paper (rag.claims.mentions); Simplified Chinese is
read as Traditional."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from rag.claims.clauses import Reading
from rag.claims.clauses import read as read_clauses
from rag.claims.mentions import (
    CRITICAL,
    DATES,
    NAME,
    chinese_terms,
    names_in,
    norm_name,
    numbers_in,
    spelled_out,
)
from rag.claims.sentences import Sentence, split_sentences
from rag.claims.words import CLAUSE, GENERIC, LABELS, STOP
from rag.papers.table import Paper
from rag.text import glossary
from rag.text.script import CJK, to_traditional
from rag.text.tokens import tokenize


@cache
def stems_of(words: frozenset) -> frozenset:
    """A word list as the stems tokenize() produces."""
    return frozenset(t for w in words for t in tokenize(w))


_OPENING = re.compile(r"(^|[:：.!?。—–\-·|\"“'‘(（])\s*$")
_NOT_NAMES = STOP | GENERIC | LABELS  # capitalised, they are not part of the name after them


def claim_names(core: str) -> list[tuple[str, str]]:
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
        if not word or word.lower() in LABELS or any(word == n for n, _ in names):
            continue
        following = " ".join(re.findall(r"[A-Za-z][A-Za-z\-]*", core[match.end():])[:2])
        names.append((word, following))
    return names


@dataclass(frozen=True)
class Source:
    tokens: frozenset  # tokenize() of everything it says, and the glossary's English for its Chinese
    names: frozenset  # normalised Latin names
    numbers: frozenset
    zh_text: str  # lower-cased, for the glossary's Chinese terms, matched as substrings
    topics: frozenset  # tokens of its topic names


@lru_cache(maxsize=4096)
def source_of(paper: Paper) -> Source:
    topics = " ".join(paper.topics)
    everything = " ".join([paper.title, paper.summary, topics, paper.gloss, paper.abstract])
    english = " ".join(glossary.expand(paper.summary + " " + topics))  # 剪枝 → pruning
    return Source(
        tokens=frozenset(tokenize(everything + " " + english)),
        names=frozenset(names_in(everything)),
        numbers=frozenset(numbers_in(" ".join([paper.title, paper.summary, paper.gloss, paper.abstract]), False)),
        zh_text=" ".join([paper.summary, topics, paper.title]).lower(),
        topics=frozenset(tokenize(topics)),
    )


# -- how well each paper accounts for a sentence ---------------------------------------
@dataclass
class Units:
    """What a sentence says: weighted words (tokens), and the names and numbers it states."""
    weights: dict[str, float]
    glossed: dict[str, tuple[str, ...]]  # English stem → the glossary's Chinese for its phrase
    names: list[tuple[str, str]]
    numbers: set[float]
    clauses: list[tuple[frozenset, frozenset, frozenset]]  # (words, names, numbers) of each: see _member
    reading: Reading  # as the contradiction checks read it

    @property
    def total(self) -> float:
        return sum(self.weights.values()) + CRITICAL * (len(self.names) + len(self.numbers))


def units_of(core: str) -> Units:
    text = to_traditional(core)
    stop, generic = stems_of(STOP), stems_of(GENERIC)
    words = text
    for start, end in spelled_out(text):  # "seven", 七: numbers, as digits are, not words to share
        words = words[:start] + " " * (end - start) + words[end:]
    tokens = [t for t in tokenize(DATES.sub(" ", words)) if not re.fullmatch(r"[\d.]+", t)]
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
    names, numbers = claim_names(core), numbers_in(text, True)
    clauses = []
    for clause in CLAUSE.split(text):
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
    glossed = glossed_terms(text)
    return Units(weights, glossed, names, numbers, merged, read_clauses(text, weights, glossed, names, numbers))


def glossed_terms(text: str) -> dict[str, tuple[str, ...]]:
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
class Support:
    score: float  # weighted share of the sentence this paper accounts for, names and numbers included
    words: float  # share of its words alone
    matched: frozenset  # the words it accounts for
    names: frozenset  # indexes of the claim's names it holds
    numbers: frozenset  # the claim's numbers it holds

    def complete(self, units: Units) -> bool:
        return len(self.names) == len(units.names) and len(self.numbers) == len(units.numbers)


def support_by(units: Units, source: Source) -> Support:
    matched = frozenset(u for u in units.weights if u in source.tokens or
                        any(t in source.zh_text for t in units.glossed.get(u, ())))
    names = frozenset(i for i, n in enumerate(units.names) if has_name(n, source))
    numbers = frozenset(v for v in units.numbers
                        if (v in source.numbers if isinstance(v, float) else any(a in source.numbers for a in v)))
    return scored(units, matched, names, numbers)


def scored(units: Units, matched, names, numbers) -> Support:
    word_total = sum(units.weights.values())
    word_hit = sum(units.weights[u] for u in matched)
    total = units.total
    hit = word_hit + CRITICAL * (len(names) + len(numbers))
    return Support(hit / total if total else 0.0, word_hit / word_total if word_total else 0.0,
                    frozenset(matched), frozenset(names), frozenset(numbers))


NO_SUPPORT = Support(0.0, 0.0, frozenset(), frozenset(), frozenset())  # a paper that contradicts the sentence


def has_name(name: tuple[str, str], source: Source) -> bool:
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
    return len(parts) > 1 and all(has_name((p, ""), source) for p in parts)


def unfounded(text: str, paper: Paper) -> list[str]:
    """The names and numbers `text` states that the paper's own title and summary do not
    hold (its gloss and abstract aside): what a model writing about the paper invented."""
    source = source_of(replace(paper, gloss="", abstract=""))
    missing: list[str] = []
    for sentence in split_sentences(text):
        core = to_traditional(sentence.core)
        missing += [word for word, following in claim_names(core) if not has_name((word, following), source)]
        missing += [str(v) for v in numbers_in(core, True)
                    if not (v in source.numbers if isinstance(v, float) else any(a in source.numbers for a in v))]
    return list(dict.fromkeys(missing))



DENSE_WEIGHT = 0.0  # share of an English sentence's score from `embed`; measured no gain, so off (see the benchmark)


def english_text(paper: Paper) -> str:
    """What the English-only embedding model can read of a paper."""
    english = " ".join(t for t in glossary.expand(paper.summary) if not CJK.search(t))
    return " ".join(x for x in [paper.title, paper.gloss, paper.abstract[:1500], english] if x)


def dense_similarities(sentences: list[Sentence], sources: list[Paper], embed) -> dict[int, list[float]]:
    """Cosine similarity of each English sentence to each paper's English text, from one
    batched call of `embed(texts) -> vectors`."""
    import numpy as np

    english = [k for k, s in enumerate(sentences) if s.core and not CJK.search(s.core)]
    if not english:
        return {}
    vectors = np.asarray(embed([sentences[k].core for k in english] + [english_text(p) for p in sources]),
                         dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9
    claims, papers = vectors[:len(english)], vectors[len(english):]
    return {k: list(row) for k, row in zip(english, claims @ papers.T)}


def blended(s: Support, similarity: float) -> Support:
    """The lexical score moved toward the embedding similarity (0.2 → 0, 0.7 → 1)."""
    dense = min(1.0, max(0.0, (similarity - 0.2) / 0.5))
    return Support((1 - DENSE_WEIGHT) * s.score + DENSE_WEIGHT * dense, s.words, s.matched, s.names, s.numbers)


# The multilingual model's view (rag.models.e5): each sentence, in any language, against each
# source's title and Chinese summary, as it reads them. Its cosines sit in a narrow band: below
# MEANING_LOW counts as nothing, MEANING_HIGH as the paper's own words. MEANING_WEIGHT is the
# share it takes: 0.1 was best on the citation benchmark's tune split (precision 0.977 -> 0.983,
# unsupported shown 0.125 -> 0.111) and lost on every held-out one (holdout precision 0.998 ->
# 0.994, unsupported shown 0 -> 0.013; blind 0.911 -> 0.906, 0.331 -> 0.353): off.
MEANING_WEIGHT = 0.0
MEANING_LOW, MEANING_HIGH = 0.80, 0.90


def meaning_similarities(sentences: list[Sentence], sources: list[Paper], meaning) -> dict[int, list[float]]:
    """Cosine of each sentence (a question-side vector) with each source (its stored paper-side
    vector), from `meaning`: an object with query(text) -> vector and papers(papers) -> matrix."""
    import numpy as np

    said = [k for k, s in enumerate(sentences) if s.core]
    if not said:
        return {}
    claims = np.stack([np.asarray(meaning.query(sentences[k].core), dtype=float) for k in said])
    papers = np.asarray(meaning.papers(sources), dtype=float)
    return {k: list(row) for k, row in zip(said, claims @ papers.T)}


def meant(s: Support, similarity: float) -> Support:
    """The lexical score moved toward the multilingual similarity."""
    close = min(1.0, max(0.0, (similarity - MEANING_LOW) / (MEANING_HIGH - MEANING_LOW)))
    return Support((1 - MEANING_WEIGHT) * s.score + MEANING_WEIGHT * close, s.words, s.matched, s.names, s.numbers)
