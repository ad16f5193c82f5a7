"""The lexical index: BM25 over each paper's words (rag.text.tokens), in four fields scored
on their own so a long English abstract never dilutes a short Chinese summary: `body`
(title, summary, topics, gloss), `abstract`, `title` (words, plus the joined and split
forms of names like HippoRAG / GNN-RAG) and `grams` (character trigrams of the title, which
catch a name typed with a typo or with spaces in other places). Scores come back as the
share of the question's evidence a paper matches (BM25 / the best score any paper could get
for that query), so they mean the same at 33 papers and at 60,000.

Built per store revision and kept with the disposable caches (rag.files): each paper's
tokens in a small SQLite file (tokenising is the slow part), the index's arrays as .npy
files mapped on demand.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.files import publish_folder
from rag.text.tokens import VERSION as TOKENS_VERSION
from rag.text.tokens import char_grams, title_tokens, tokenize

log = logging.getLogger(__name__)

FIELDS = ("body", "abstract", "title", "grams")
K1, B = 1.2, 0.4  # b below the usual 0.75: tables mix long summaries with short ones (measured)
COMMON = 0.25  # terms in more than this share of papers are skipped at query time (no signal, much time)
COMMON_ROWS = 1000  # ... when their postings are this long: in a small table every word counts

def name_of(title: str) -> str:
    """The part of a title that names the method (before the colon), else the title."""
    head = title.split(":", 1)[0]
    return head if ":" in title and len(head.split()) <= 6 else title


def field_texts(paper) -> dict[str, str]:
    """What each field reads of a paper."""
    return {
        "body": "\n".join((paper.title, paper.summary, " ".join(paper.topics), paper.gloss)),
        "abstract": paper.abstract,
        "title": paper.title,
        "grams": name_of(paper.title) + " " + paper.title,
    }


FIELD_TOKENS = {"body": tokenize, "abstract": tokenize, "title": title_tokens, "grams": char_grams}


def _hash64(tokens: list[str]) -> np.ndarray:
    """Stable 64-bit ids for token strings (two CRCs): the saved index needs no
    vocabulary dict in memory, only a sorted array of these."""
    out = np.empty(len(tokens), dtype=np.uint64)
    for i, t in enumerate(tokens):
        b = t.encode()
        out[i] = (zlib.crc32(b) << 32) | zlib.crc32(b, 0x9E3779B9)
    return out


# -- the per-paper token store ----------------------------------------------------------
class TokenStore:
    """Each paper's tokens per field, on local disk (SQLite), keyed by a hash of the
    text they came from: tokenising is the slow part of building the index (jieba and
    OpenCC, ~2 ms a paper), so a paper is tokenised once per machine."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS field_tokens (id TEXT, field TEXT, key TEXT, tokens TEXT, "
                        "PRIMARY KEY (id, field))")

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(f"{TOKENS_VERSION}\0{text}".encode()).hexdigest()[:16]

    def ensure(self, texts: dict[str, dict[str, str]], batch: int = 2000) -> None:
        """Tokenise and store whatever is missing or stale for {id: {field: text}}."""
        have = {(i, f): k for i, f, k in self.db.execute("SELECT id, field, key FROM field_tokens")}
        missing = {}
        for arxiv_id, fields in texts.items():
            todo = {f: t for f, t in fields.items() if have.get((arxiv_id, f)) != self.key(t)}
            if todo:
                missing[arxiv_id] = todo
        items = list(missing.items())
        for start in range(0, len(items), batch):
            self.add(dict(items[start : start + batch]))

    def rows(self, field: str, keys: dict[str, dict[str, str]], row: dict[str, int]) -> Iterator[tuple[int, list[str]]]:
        """(row, tokens) of every paper in `row` whose stored tokens for `field` are current."""
        for arxiv_id, key, tokens in self.db.execute("SELECT id, key, tokens FROM field_tokens WHERE field = ?", (field,)):
            if arxiv_id in row and keys[arxiv_id].get(field) == key:
                yield row[arxiv_id], tokens.split(" ") if tokens else []

    def add(self, texts: dict[str, dict[str, str]]) -> None:
        """Tokenise and store now (at ingest), so the next index build finds them."""
        keys = {i: {f: self.key(t) for f, t in fields.items()} for i, fields in texts.items()}
        self._put({i: {f: FIELD_TOKENS[f](t) for f, t in fields.items()} for i, fields in texts.items()}, keys)

    def _put(self, tokens: dict[str, dict[str, list[str]]], keys: dict[str, dict[str, str]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO field_tokens VALUES (?, ?, ?, ?)",
                                [(i, f, keys[i][f], " ".join(t)) for i, fields in tokens.items()
                                 for f, t in fields.items()])


# -- BM25, one field --------------------------------------------------------------------
@dataclass
class Field:
    """BM25 over one field: per term, its postings (paper rows) with precomputed BM25
    weights, in CSC layout; terms are found by their 64-bit hash (sorted)."""

    hashes: np.ndarray  # (V,) uint64, sorted
    indptr: np.ndarray  # (V + 1,) int64
    rows: np.ndarray  # (nnz,) int32: paper row
    weights: np.ndarray  # (nnz,) float32: BM25 term weight in that paper
    idf: np.ndarray  # (V,) float32
    df: np.ndarray  # (V,) int32
    n_docs: int

    @classmethod
    def build(cls, n: int, docs: Iterable[tuple[int, list[str]]], vocab: dict[str, int] | None = None) -> "Field":
        """From (row, tokens) pairs, streamed: token strings become ids as they come, so
        60k papers never sit in memory as Python strings. `vocab` receives the terms."""
        vocab = {} if vocab is None else vocab
        cols, rows, tfs = [], [], []
        lengths = np.zeros(n, dtype=np.float32)
        for row, tokens in docs:
            lengths[row] = len(tokens)
            if not tokens:
                continue
            ids = np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int64, count=len(tokens))
            unique, counts = np.unique(ids, return_counts=True)
            cols.append(unique)
            rows.append(np.full(len(unique), row, dtype=np.int32))
            tfs.append(counts.astype(np.float32))
        if not vocab:
            empty = np.zeros(0)
            return cls(empty.astype(np.uint64), np.zeros(1, np.int64), empty.astype(np.int32),
                       empty.astype(np.float32), empty.astype(np.float32), empty.astype(np.int32), n)
        col, row, tf = np.concatenate(cols), np.concatenate(rows), np.concatenate(tfs)
        df = np.bincount(col, minlength=len(vocab)).astype(np.int32)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        present = lengths[lengths > 0]
        avg = max(float(present.mean()), 1.0) if len(present) else 1.0
        weight = idf[col] * tf * (K1 + 1) / (tf + K1 * (1 - B + B * lengths[row] / avg))
        # Re-number terms by hash order, then sort postings by (term, row).
        hashes = _hash64(list(vocab))
        order = np.argsort(hashes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        col = rank[col]
        sort = np.lexsort((row, col))
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(np.bincount(col, minlength=len(vocab)), out=indptr[1:])
        return cls(hashes[order], indptr, row[sort], weight[sort].astype(np.float32), idf[order], df[order], n)

    def term_ids(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(column ids, query counts) of the known distinct tokens."""
        if not tokens or not len(self.hashes):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        h, counts = np.unique(_hash64(tokens), return_counts=True)
        pos = np.searchsorted(self.hashes, h).clip(0, len(self.hashes) - 1)
        known = self.hashes[pos] == h
        return pos[known], counts[known].astype(np.float32)

    def scores(self, tokens: list[str], extra: dict[str, float] | None = None,
               groups: list[tuple[tuple[str, ...], float]] = ()) -> tuple[np.ndarray, float]:
        """(BM25 per paper, the highest BM25 any paper could reach for these tokens).
        `extra`: more tokens with a weight of their own (typo corrections, expansions).
        `groups`: (alternatives, weight): tokens that each say the same word (its
        translations), counted as one word: a paper scores its best alternative, and
        the word is as rare as the papers holding any of them are few."""
        total = np.zeros(self.n_docs, dtype=np.float32)
        cols, counts = self.term_ids(tokens)
        cols, weights = cols.tolist(), np.minimum(counts, 2.0).tolist()  # a word said twice counts a little more
        # A word no paper has in this field still counts in the best possible score (as the
        # rarest word): otherwise a field that knows one of the question's words (an English
        # abstract, for a Chinese question with one English term) would look fully matched.
        unknown = len(set(tokens)) - len(cols)
        best = unknown * float(np.log1p((self.n_docs + 0.5) / 0.5)) * (K1 + 1) if tokens else 0.0
        for token, weight in (extra or {}).items():
            col, _ = self.term_ids([token])
            if len(col) and int(col[0]) not in cols:
                cols.append(int(col[0]))
                weights.append(weight)
        for col, w in zip(cols, weights):
            if self._common(col):
                continue
            start, end = self.indptr[col], self.indptr[col + 1]
            total[self.rows[start:end]] += w * self.weights[start:end]
            best += w * float(self.idf[col]) * (K1 + 1)
        for alternatives, weight in groups:
            found, _ = self.term_ids(list(alternatives))
            found = [int(c) for c in found if not self._common(c)]
            if not found or weight <= 0:
                continue
            holders = min(sum(int(self.df[c]) for c in found), self.n_docs)  # at most: papers may hold several
            idf = float(np.log1p((self.n_docs - holders + 0.5) / (holders + 0.5)))
            word = np.zeros(self.n_docs, dtype=np.float32)
            for col in found:
                start, end = self.indptr[col], self.indptr[col + 1]
                rows = self.rows[start:end]
                # the stored weight is idf x saturated tf: keep the tf part, give the word's idf
                word[rows] = np.maximum(word[rows], self.weights[start:end] / self.idf[col])
            total += (weight * idf) * word
            best += weight * idf * (K1 + 1)
        return total, best

    def _common(self, col: int) -> bool:
        df = int(self.df[col])
        return df > COMMON * self.n_docs and df > COMMON_ROWS

    def doc_freq(self, token: str) -> int:
        cols, _ = self.term_ids([token])
        return int(self.df[cols[0]]) if len(cols) else 0

    def save(self, folder: Path, name: str) -> None:
        for part in ("hashes", "indptr", "rows", "weights", "idf", "df"):
            np.save(folder / f"{name}.{part}.npy", getattr(self, part))

    @classmethod
    def load(cls, folder: Path, name: str, n_docs: int) -> "Field":
        # Plain arrays over the mapped files: still paged in on demand, but without numpy's
        # memmap subclass, whose bookkeeping on every slice cost ~15 % of word matching (59k).
        parts = {p: np.asarray(np.load(folder / f"{name}.{p}.npy", mmap_mode="r"))
                 for p in ("hashes", "indptr", "rows", "weights", "idf", "df")}
        return cls(n_docs=n_docs, **parts)


# -- the index ------------------------------------------------------------------------------
def _cache_name(revision: str) -> str:
    """A cached index is valid for one store revision, tokenizer and BM25 setting."""
    return f"{revision}-t{TOKENS_VERSION}-k{K1}-b{B}"


class LexicalIndex:
    """The four fields over the same papers (`ids` gives each row's arXiv ID)."""

    def __init__(self, ids: list[str], fields: dict[str, Field], folder: Path | None = None):
        self.ids = ids
        self.fields = fields
        self.row = {i: n for n, i in enumerate(ids)}
        self._folder = folder
        self._words: list[str] | None = None  # English stems (kept when built here; else read from words.txt)
        self.vocabulary = None  # rag.search.typos.Vocabulary of these words (built on first use)
        self.masks: dict = {}  # search filter -> rows it admits (the retriever's cache)
        self.authors = None  # rag.search.authors.Names of these papers (the retriever's, built on first use)

    @classmethod
    def build(cls, ids: list[str], tokens: dict[str, dict[str, list[str]]]) -> "LexicalIndex":
        """From tokens in memory (small indexes, tests)."""
        return cls._build(ids, lambda field: ((n, tokens[i].get(field, [])) for n, i in enumerate(ids)))

    @classmethod
    def from_store(cls, ids: list[str], store: "TokenStore", texts: dict[str, dict[str, str]]) -> "LexicalIndex":
        """Tokens read back from the store field by field (tokenising what is missing)."""
        store.ensure(texts)
        row = {i: n for n, i in enumerate(ids)}
        keys = {i: {f: store.key(t) for f, t in texts[i].items()} for i in ids}
        return cls._build(ids, lambda field: store.rows(field, keys, row))

    @classmethod
    def _build(cls, ids: list[str], docs) -> "LexicalIndex":
        fields, words = {}, set()
        for name in FIELDS:
            vocab: dict[str, int] = {}
            fields[name] = Field.build(len(ids), docs(name), vocab)
            if name != "grams":
                words.update(t for t in vocab if len(t) >= 4 and t.isascii() and t.isalpha())
        index = cls(ids, fields)
        index._words = sorted(words)
        return index

    def save(self, folder: Path, revision: str) -> None:
        """Cache the index for this store revision (atomically: readers never see half)."""
        if not self.ids or not revision:
            return
        revision = _cache_name(revision)
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
        for name, field in self.fields.items():
            field.save(staging, name)
        (staging / "words.txt").write_text("\n".join(self._words or []))
        (staging / "ids.json").write_text(json.dumps(self.ids))
        publish_folder(staging, folder / revision)  # or another process cached the same revision first
        for old in folder.iterdir():
            if old.name != revision and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, folder: Path, revision: str | None) -> "LexicalIndex | None":
        path = folder / _cache_name(revision) if revision else None
        if path is None or not (path / "ids.json").is_file():
            return None
        try:
            ids = json.loads((path / "ids.json").read_text())
            fields = {f: Field.load(path, f, len(ids)) for f in FIELDS}
            return cls(ids, fields, folder=path)
        except (OSError, ValueError) as exc:
            log.warning("lexical cache %s unreadable, rebuilding: %s", path, exc)
            return None

    def english_words(self) -> list[str]:
        """The English word stems the papers use (4+ letters), for typo tolerance."""
        words = self._words
        if words is None:
            words = (self._folder / "words.txt").read_text().split("\n") if self._folder else []
        return [w for w in words if w]

    def holders(self, words: list[set[tuple[str, ...]]], rows: np.ndarray) -> np.ndarray:
        """For the papers at `rows` (sorted), the share of `words` that each holds in its
        Chinese row, title or abstract: 0..1. A word is a set of ways to say it, each a
        tuple of tokens that must all be there (a Chinese term: its character pairs).
        Postings are sorted by row: a binary search per candidate, not a pass over a
        common word's tens of thousands of postings."""
        tokens = list(dict.fromkeys(t for ways in words for way in ways for t in way))
        hashes = _hash64(tokens)
        held = np.zeros((len(tokens), len(rows)), dtype=bool)  # token x candidate
        for field in (self.fields["body"], self.fields["title"], self.fields["abstract"]):
            if not len(field.hashes):
                continue
            cols = np.searchsorted(field.hashes, hashes).clip(max=len(field.hashes) - 1)
            for i in np.flatnonzero(field.hashes[cols] == hashes).tolist():
                postings = field.rows[field.indptr[cols[i]] : field.indptr[cols[i] + 1]]
                held[i] |= postings[np.searchsorted(postings, rows).clip(max=len(postings) - 1)] == rows
        at = {t: i for i, t in enumerate(tokens)}
        count = np.zeros(len(rows), dtype=np.float32)
        for ways in words:
            said = np.zeros(len(rows), dtype=bool)
            for way in ways:
                said |= held[[at[t] for t in way]].all(axis=0)
            count += said
        return count / max(len(words), 1)

    def search(self, tokens: dict[str, list[str]], allowed: np.ndarray | None = None,
               extra: dict[str, float] | None = None,
               groups: list[tuple[tuple[str, ...], float]] = ()) -> dict[str, np.ndarray]:
        """Per field, each paper's share of the best possible score (0..1). `groups`
        (translations of the question's words) are read in the Chinese row (body)."""
        out = {}
        for name, field in self.fields.items():
            field_extra = extra if name in ("body", "abstract", "title") else None
            scores, best = field.scores(tokens.get(name, []), field_extra, groups if name == "body" else ())
            if best > 0:
                scores /= best
            if allowed is not None:
                scores = np.where(allowed, scores, 0.0)
            out[name] = scores
        return out
