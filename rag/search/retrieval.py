"""Hybrid retrieval: lexical (reads Chinese, forgives typos) and dense (reads English),
fused on calibrated scores.

Every signal is a number with the same meaning whatever the size of the list: for each
lexical field, the share of the question's BM25 evidence a paper matches (0..1); for the
dense side, the cosine similarity. The fused score is a weighted sum of them, so a paper
that matches the question well stays ahead however many others share a few of its
words (min-max or rank fusion over a candidate pool lose exactly that at 60k papers).
Weights follow the question's language: MiniLM reads English only, so a Chinese question
leans on the lexical side and reaches the dense side through its English words and the
glossary's English for its Chinese terms. An English question reaches a Chinese summary
through the glossary (research terms; a term's several translations count as one word)
and the dictionary (everyday words, rag.text.dictionary). One result per paper.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.errors import StoreUnavailable
from rag.outages import STORE, tracker
from rag.papers.table import Paper
from rag.search import meaning, typos
from rag.search.authors import Names
from rag.search.named import like, mentions_name, says_something
from rag.search.question import Question
from rag.search.said import said_words
from rag.search.typos import misspellings
from rag.store.chroma import SearchFilter
from rag.store.knowledge import KnowledgeBase
from rag.text import glossary
from rag.text.dictionary import translations
from rag.text.language import ZH
from rag.text.script import to_traditional
from rag.text.tokens import stem, tokenize
from rag.text.wordlists import Table

WEAK_SOURCE = 0.3  # a source scoring under this fraction of the best one is left out
# When a paper is about the question at all (else search, ask and recommend say "nothing"):
# its meaning is close, or it holds most of the question's words with enough of their
# weight. Chosen on the tune half of tests/eval/absent.jsonl beside the seed questions, with
# the seed table alone and with 10,000 real neighbours (benchmarks/README.md, "No match").
DENSE_RELEVANT = 0.30  # cosine similarity of the question and the paper's English text
LEXICAL_RELEVANT = 0.15  # share of the question's lexical (BM25) evidence the paper matches ...
COVERED_RELEVANT = 0.6  # ... and share of the question's distinct words it holds
DENSE_POOL = 100  # nearest papers asked from the vector index; the rest count as no nearer than the last
# Weight of a glossary translation against a word the asker typed: an English question
# reaches a Chinese summary only through them; a Chinese question's own words already do.
EXPANSION = {"en": 1.0, ZH: 0.6}
EXTRA_QUERY = 0.5  # weight of each rewritten phrasing against the question itself
# A phrasing counts only if AGREE of its best 10 papers are among the question's own best
# 30: a weak model's unrelated line ("What is your current research project?") would pull
# every answer elsewhere (measured with Gemma 3 270M on llama.cpp: benchmarks/README.md).
AGREE = 2
NAME_WORDS = 3  # questions up to this many words get the full weight of title matches
# The best CANDIDATES papers' scores are scaled by the share of the question's words
# each holds, to the power COVERAGE: BM25 sums, so a paper matching one or two rare words
# strongly ("hippocampus", "memory" in an object detector's title) beat one that holds
# every word of the question ("LLMs" too) less strongly.
COVERAGE = 0.5
CANDIDATES = 300
AUTHOR = 2.0  # a paper by an author the question names scores this many times its match
DICTIONARY = 1.0  # weight of an English word's everyday translations (rag.text.dictionary) in the Chinese row

_WORDS = Table(Path(__file__).with_name("retrieval.txt"))
_ABOUT = re.compile(_WORDS.cues("about a named paper"), re.IGNORECASE)
_LIKE = re.compile(_WORDS.cues("like a named paper"), re.IGNORECASE)
_ASKER = frozenset(stem(w) for w in _WORDS.words("asker words"))
_WORDS.finish()


@dataclass(frozen=True)
class Weights:
    body: float
    abstract: float
    title: float
    grams: float
    dense: float


# Per question language; chosen on tests/eval with thousands of corpus papers beside the
# seed table (see benchmarks/README.md for the ablation).
WEIGHTS = {
    ZH: Weights(body=1.0, abstract=0.35, title=0.2, grams=0.5, dense=0.4),
    "en": Weights(body=1.0, abstract=0.35, title=0.2, grams=1.0, dense=0.4),
}


@dataclass(frozen=True)
class Hit:
    paper: Paper
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    dense_similarity: float = 0.0  # cosine similarity of the question and the paper's English text
    lexical_share: float = 0.0  # share of the question's words (BM25-weighted) the paper matches
    named: bool = False  # the question names it (arXiv ID or link; or its author, when it asks for nothing else)
    coverage: float = 0.0  # share of the question's distinct words the paper holds (any of their forms)
    mentioned: bool = False  # the question says the paper's name (HippoRAG, GNN-RAG)

    @property
    def relevant(self) -> bool:
        """Named, enough of the question's words occur in the paper, or its meaning is close."""
        return self.named or self.mentioned or self.dense_similarity >= DENSE_RELEVANT or \
            (self.lexical_share >= LEXICAL_RELEVANT and self.coverage >= COVERED_RELEVANT)


def paper_node(paper: Paper) -> TextNode:
    return TextNode(
        id_=paper.arxiv_id,
        text=paper.summary,
        metadata={"arxiv_id": paper.arxiv_id, "title": paper.title, "date": paper.date.isoformat(),
                  "topics": ", ".join(paper.topics), "url": paper.url},
    )


@dataclass
class Signals:
    """One question's signals over every paper (arrays aligned with the lexical index's rows)."""

    fields: dict[str, np.ndarray]
    dense: np.ndarray  # cosine similarity (papers outside the pool: the pool's lowest)
    dense_pool: dict[int, float]  # row -> cosine, nearest first
    language: str
    words: int  # how many words the question has: a name is a few words, a question many
    said: list[set[tuple[str, ...]]] | None = None  # the question's words, each with the ways a paper says it
    meaning: np.ndarray | None = None  # the multilingual model's term (rag.search.meaning), where trusted

    def fused(self, weights: Weights) -> np.ndarray:
        f = self.fields
        # Title matches say most when the question is short enough to be a name; in a long
        # question, shared title words ("state of the art") are as likely chance.
        name = min(1.0, NAME_WORDS / max(self.words, 1))
        # The abstract counts where it matches more than the Chinese row does, and then
        # only in part: papers without one (a table row not yet enriched) stay in the race.
        lexical = f["body"] + weights.abstract * np.maximum(f["abstract"] - f["body"], 0.0)
        return (weights.body * lexical
                + name * (weights.title * f["title"] + weights.grams * f["grams"] ** 2)  # a name matches whole
                + weights.dense * self.dense)

    def lexical(self) -> np.ndarray:
        f = self.fields
        return np.maximum(np.maximum(f["body"], f["abstract"]), f["title"])


def _best(score: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n highest scores (any order)."""
    n = min(n, len(score))
    return np.argpartition(-score, n - 1)[:n] if n else np.array([], dtype=np.int64)


@cache
def _dense_worker() -> ThreadPoolExecutor:
    """Threads for the dense side of searches (one per search running at once)."""
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="paperbot-dense")


class HybridRetriever(BaseRetriever):
    """A LlamaIndex retriever over the knowledge base; `search` gives typed hits."""

    def __init__(self, kb: KnowledgeBase, k: int = 10, filters: SearchFilter = SearchFilter(), dense: bool = True,
                 meaning: bool = True):
        super().__init__()
        self.kb, self.k, self.filters, self.use_dense, self.use_meaning = kb, k, filters, dense, meaning

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [NodeWithScore(node=paper_node(h.paper), score=h.score) for h in self.search(query_bundle.query_str)]

    def search(self, question: Question | str, k: int | None = None,
               extra_queries: tuple[str, ...] | list[str] = ()) -> list[Hit]:
        """The k best papers for `question`. `extra_queries`: other phrasings of the same
        question (e.g. a model's rewrite or translation); each that agrees with the
        question (AGREE) adds its evidence at half the weight of the question itself.
        Papers the question names by arXiv ID or link come first ("what's
        arxiv.org/abs/2405.14831 about?"); papers by an author it names count double
        ("Dunbar et al. on theory of mind")."""
        k = k or self.k
        index = self.kb.lexical
        question = question if isinstance(question, Question) else Question(question)
        if not index.ids or not question.text.strip():
            return []
        allowed = self._allowed(index)
        named, by, question, alone = self._named(question, index, allowed)
        if alone is not None:
            return alone[:k]  # asked about the named papers alone
        if not question.text.strip():
            return []  # only IDs, none of them listed
        main = self.signals(question, index)
        language = main.language
        score = main.fused(WEIGHTS[language])
        lexical, dense = main.lexical(), main.dense
        said = list(main.said or ())  # the words of every phrasing used, for coverage
        extras = [q for q in extra_queries if q and q.strip()]
        near = _best(score, 30) if extras else None
        for extra in extras:
            more = self.signals(Question(extra), index, meant=False)
            theirs = more.fused(WEIGHTS[more.language])
            if len(np.intersect1d(_best(theirs, 10), near)) < min(AGREE, len(near)):
                continue  # it points away from anything the question itself could mean
            score = score + EXTRA_QUERY * theirs
            lexical, dense = np.maximum(lexical, more.lexical()), np.maximum(dense, more.dense)
            said += more.said or ()
        if allowed is not None:
            score = np.where(allowed, score, -np.inf)
        k = min(k, len(index.ids) if allowed is None else int(allowed.sum()))
        if k <= 0:
            return []
        fused, covered = score, {}
        if said:
            score, covered = self._covered(score, said, index, k)
        if main.meaning is not None:
            score = meaning.fuse(score, main.meaning, meaning.weight(language))
        if named or by:
            score = self._put_first(score, fused if by else None, named, by)
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top], kind="stable")]
        shown = min(max(3 * k, 30), len(lexical))  # lexical ranks reported up to here
        lex_order = np.argpartition(-lexical, shown - 1)[:shown]  # not a sort of every paper: 1 ms at 60k
        lex_order = lex_order[np.argsort(-lexical[lex_order], kind="stable")]
        lex_rank = {int(r): n + 1 for n, r in enumerate(lex_order) if lexical[r] > 0}
        dense_rank = {row: n + 1 for n, row in enumerate(main.dense_pool)}
        catalog = self.kb.catalog
        hits = []
        for row in top.tolist():
            paper = catalog.get(index.ids[row])
            if paper is not None:
                hits.append(Hit(paper, round(float(score[row]), 6), lex_rank.get(row), dense_rank.get(row),
                                float(main.dense_pool.get(row, 0.0)), round(float(lexical[row]), 4),
                                row in named,  # by an author named beside a subject: relevant to it or not
                                round(covered.get(row, 0.0), 4), mentions_name(question.folded, paper)))
        return hits

    def signals(self, question: Question, index=None, meant: bool = True) -> Signals:
        """Every signal of one question over every paper (of `index`: one store revision,
        even if the knowledge base reloads meanwhile); `meant`: with the multilingual term."""
        index = index or self.kb.lexical
        query, language = question.folded, question.base_language
        misspelt = misspellings(index, query)
        corrections = typos.corrections(misspelt)
        # A misspelt term gets its translations too (hipocampus -> hippocampus -> 海馬).
        terms = glossary.translations(to_traditional(" ".join([query, *corrections])))
        expansion = list(dict.fromkeys(t for hit in terms for t in hit))
        tokens = question.fields
        extra: dict[str, float] = {}
        for hit in terms:
            # An English term's Chinese translations are alternatives (a summary uses one
            # of them): together they weigh less than one each (measured: sqrt of their number).
            weight = EXPANSION[language] / (len(hit) ** 0.5 if language != ZH else 1.0)
            for token in tokenize(" ".join(hit)):
                extra[token] = max(extra.get(token, 0.0), weight)
        extra.update(corrections)
        groups = []
        if language != ZH:
            # Everyday words the glossary lacks reach the Chinese summaries through the
            # dictionary; less so in a name-length question, where they are chance.
            weight = DICTIONARY * min(1.0, len(tokens["title"]) / (2 * NAME_WORDS))
            groups = [(words, weight) for t in dict.fromkeys(tokens["body"]) if (words := translations(t))]
        nearest = None
        if self.use_dense:
            text = query if language != ZH else " ".join(
                [*re.findall(r"[A-Za-z][\w.+-]*", query), *(t for t in expansion if t.isascii())])
            if text.strip():
                # The model and the vector index work while BM25 runs here (numpy and Chroma
                # release the GIL): the question waits for the slower side, not for both.
                nearest = _dense_worker().submit(self._dense, question, text, index.row)
        vectors = self._vectors(index) if meant and meaning.weight(language) else None
        meant = _dense_worker().submit(self._meant, question, vectors) if vectors is not None else None
        fields = index.search(tokens, extra=extra, groups=groups)
        said = said_words(question, tokens["title"], misspelt, terms, skip=_ASKER)
        pool: dict[int, float] = nearest.result() if nearest is not None else {}
        dense = np.zeros(len(index.ids), dtype=np.float32)
        if pool:
            dense[:] = min(pool.values())
            rows = np.fromiter(pool, dtype=np.int64, count=len(pool))
            dense[rows] = np.fromiter(pool.values(), dtype=np.float32, count=len(pool))
        return Signals(fields, dense, pool, language, len(tokens["title"]), said,
                       meant.result() if meant is not None else None)

    def _named(self, question: Question, index, allowed) -> tuple[list[int], set[int], Question, list[Hit] | None]:
        """Rows the question names by ID or link (in order) and by author, and what is left
        to search: the rest of the question, or, when it says nothing else, the named
        papers' own search ("papers like 2405.14831?"); or the hits to give alone."""
        named = [index.row[i] for i in question.ids if i in index.row]
        by, query = self._authors(index).named(question.without_ids)
        if query != question.folded:
            question = Question(query)  # the rest, once IDs and authors are read
        if allowed is not None:
            named, by = [r for r in named if allowed[r]], {r for r in by if allowed[r]}
        by.difference_update(named)
        if not (named or by):
            return named, by, question, None
        rest = _ABOUT.sub(" ", to_traditional(query))
        if says_something(_LIKE.sub(" ", rest)):
            return named, by, question, None
        catalog = self.kb.catalog
        papers = [catalog[index.ids[row]] for row in named]
        if papers and _LIKE.search(rest):
            return named, by, Question("\n".join(like(paper) for paper in papers)), None  # their neighbours follow them
        papers += sorted((catalog[index.ids[row]] for row in by), key=lambda p: (p.date, p.arxiv_id), reverse=True)
        return named, by, question, [Hit(paper, 1.0, named=True) for paper in papers]

    def _authors(self, index) -> Names:
        """The authors of this store revision's papers, read on first use (59k papers: ~0.6 s)."""
        if index.authors is None:
            catalog = self.kb.catalog
            index.authors = Names((row, paper.authors) for row, i in enumerate(index.ids)
                                  if (paper := catalog.get(i)) is not None and paper.authors)
        return index.authors

    @staticmethod
    def _put_first(score: np.ndarray, fused: np.ndarray | None, named: list[int], by: set[int]) -> np.ndarray:
        """Papers by an author the question names score AUTHOR times their match (before
        coverage: a paper by Dunbar on theory of mind comes first, one by him on something
        else does not); papers named by ID come first, in the order named."""
        score = score.copy()
        for row in by:
            score[row] = AUTHOR * max(float(fused[row]), 0.0)
        finite = np.isfinite(score)
        best = float(score[finite].max()) if finite.any() else 1.0
        for n, row in enumerate(named):
            score[row] = best + (len(named) - n) * 1e-6
        return score

    @staticmethod
    def _covered(score: np.ndarray, said: list[set[tuple[str, ...]]], index, k: int
                 ) -> tuple[np.ndarray, dict[int, float]]:
        """The CANDIDATES (at least k) best scores scaled by (share of the question's words
        the paper holds / the best share)^COVERAGE, the rest out of the race; and each
        candidate's share."""
        m = min(max(CANDIDATES, k), int(np.isfinite(score).sum()))
        rows = np.sort(np.argpartition(-score, m - 1)[:m])
        share = index.holders(said, rows)
        out = np.full_like(score, -np.inf)
        if share.max() > 0:
            out[rows] = score[rows] * (share / share.max()) ** COVERAGE
        else:
            out[rows] = score[rows]
        return out, dict(zip(rows.tolist(), share.tolist()))

    def _allowed(self, index) -> np.ndarray | None:
        """Which rows the filters admit, kept with the index of this store revision (60k
        papers take ~30 ms to check, and the same filter tends to come again)."""
        if not self.filters:
            return None
        if self.filters not in index.masks:
            catalog = self.kb.catalog
            if len(index.masks) > 32:
                index.masks.clear()
            index.masks[self.filters] = np.array(
                [self.filters.admits(catalog[i]) if i in catalog else False for i in index.ids], dtype=bool)
        return index.masks[self.filters]

    def _vectors(self, index):
        """The multilingual vectors of this revision's papers if some are there (never waits
        while another thread reads them: the bot's start-up)."""
        try:
            vectors = self.kb.vectors(wait=False) if self.use_meaning else None
        except StoreUnavailable:
            return None  # never read while the store was up: words and MiniLM alone
        return vectors if vectors is not None and vectors.count and vectors.ids is index.ids else None

    def _meant(self, question: Question, vectors) -> np.ndarray:
        query = np.asarray(question.vector(self.kb.meaning, question.folded), dtype=np.float32)
        return meaning.term(vectors.cosines(query), vectors.has)

    def _dense(self, question: Question, text: str, row: dict[str, int]) -> dict[int, float]:
        """Row -> cosine similarity of the DENSE_POOL nearest papers, nearest first."""
        vector = question.vector(self.kb.embed_model, text)
        pairs = self.kb.store.nearest(vector, min(DENSE_POOL, len(row)), self.filters.to_where())
        return {row[i]: s for i, s in pairs if i in row}


def search_or_words(kb: KnowledgeBase, question: Question | str, k: int, phrasings: tuple[str, ...] = (),
                    filters: SearchFilter = SearchFilter()) -> tuple[list[Hit], bool]:
    """(hits, whether the paper store was down). While the Chroma server is down, word
    matching alone (the catalog and the lexical index are in memory); the outage is
    logged once when it starts and once when it ends."""
    try:
        hits = kb.store.guard(lambda: HybridRetriever(kb, k=k, filters=filters).search(question, extra_queries=phrasings))
    except StoreUnavailable as exc:
        tracker(STORE).failed(str(exc))
        return HybridRetriever(kb, k=k, filters=filters, dense=False).search(question, extra_queries=phrasings), True
    tracker(STORE).ok()
    return hits, False
