"""Lexical retrieval that reads Chinese in either script and English with typos.

Tokens: English words lower-cased and stemmed; Chinese as jieba search-mode words plus
character bigrams, after one script normalisation applied to the index and the
question alike (Simplified, Traditional, Taiwan or mainland wording all meet); model
sizes as one token however written (1.25 億, 125M).

Four BM25 fields per paper, each scored on its own so a long English abstract never
dilutes a short Chinese summary: `body` (title, summary, topics, gloss), `abstract`,
`title` (words, plus the joined and split forms of names like HippoRAG / GNN-RAG) and
`grams` (character trigrams of the title, which catch a name typed with a typo or
with spaces in other places). Scores come back as the share of the question's
evidence a paper matches (BM25 / the best score any paper could get for that query),
so they mean the same at 33 papers and at 60,000.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from rag.text.dictionary import translations

log = logging.getLogger(__name__)

TOKENIZER_VERSION = "7"  # bump when tokens change: stored tokens are then recomputed
FIELDS = ("body", "abstract", "title", "grams")
K1, B = 1.2, 0.4  # b below the usual 0.75: tables mix long summaries with short ones (measured)
COMMON = 0.25  # terms in more than this share of papers are skipped at query time (no signal, much time)
COMMON_ROWS = 1000  # ... when their postings are this long: in a small table every word counts

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z][A-Za-z0-9]*(?:[-'\u2019][A-Za-z0-9]+)*|\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in into is it its me of on or "
    "our that the their them there these this to was what which who why will with about any some "
    "paper papers work works study studies there's is there are there show find looking want "
    "we us you your they he she been being were than then so such via using use used based also "
    "should would could might must shall may i'd i'm".split()
)
# Stop words in the normalised script (Simplified characters, Taiwan wording).
_ZH_STOPWORDS = frozenset(
    "的 了 和 与 及 在 是 有 吗 呢 什么 哪些 哪个 哪篇 这 那 一个 一种 如何 怎么 可以 论文 研究 我们 本文 本研究 "
    "有没有 没有 有没 一下 这种 那种 用来 或是 还是 以及 或者 并且 而且 其中 通过 进行 一些 为了 就是 但是 "
    "在讲 讲的 关于 有关 相关 请问 推荐 想找 想要 找到 哪里 是否 能不能 会不会 要怎么 怎么样 一篇 篇论 的论".split()
)


# -- text to tokens -------------------------------------------------------------------
@cache
def _converters():
    import opencc

    return opencc.OpenCC("s2twp"), opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Full-width letters and digits as ASCII (NFKC: a Chinese input method types ＬｏＲＡ
    and ２４０５．１４８３１). One script for Chinese: Taiwan wording first (so 数据, 數據
    and 資料 become one word; the corpus and many tables were converted this way), then
    Simplified characters, which jieba's dictionary knows. Idempotent."""
    text = unicodedata.normalize("NFKC", text)
    if not _CJK.search(text):
        return text
    to_taiwan, to_simplified = _converters()
    return to_simplified.convert(to_taiwan.convert(text))


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _jieba():
    """jieba with its dictionary cache kept in paperbot's own cache folder: building
    the prefix dictionary from dict.txt takes ~1 s, loading the cache ~0.4 s."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paperbot"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(folder)
    except OSError:
        pass  # jieba falls back to the system temp dir
    jieba.initialize()
    return jieba


_ACRONYM_PLURAL = re.compile(r"^[b-df-hj-np-tv-z]{2,}s$")  # llms, gnns, vlms: no vowel before the s


def stem(word: str) -> str:
    word = word.lower()
    if _ACRONYM_PLURAL.match(word):
        word = word[:-1]
    return _stemmer().stemWord(word)


_CLITICS = frozenset({"s", "re", "ve", "d", "ll", "m"})  # model's, they're, we've, I'd, we'll, I'm


def _english(word: str) -> list[str]:
    """A word, stemmed; a hyphenated word also as its parts and joined (GNN-RAG: gnn, rag, gnnrag).
    A contraction or possessive is its word alone (model's: model; they're: they, a stop
    word); a negated auxiliary says nothing a paper would (doesn't, can't)."""
    word = word.lower().replace("\u2019", "'")  # typed on a phone: they’re
    head, _, clitic = word.partition("'")
    if clitic == "t":
        return []
    if clitic in _CLITICS:
        word = head
    parts = [p for p in re.split(r"[-']", word) if p]
    if len(parts) == 1:
        return [] if parts[0] in _STOPWORDS else [stem(parts[0])]
    out = [stem(p) for p in parts if p not in _STOPWORDS]
    out.append(stem("".join(parts)))
    return out


# Sizes written either way meet on one token: 1.25 億 / 125M / 0.125B -> "125m", 30 億 / 3B -> "3b".
_ZH_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(万亿|千亿|百亿|十亿|亿|千万|百万|十万|万)")
_EN_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?([KMBT])(?![A-Za-z])", re.IGNORECASE)
_ZH_UNITS = {"万": 1e4, "十万": 1e5, "百万": 1e6, "千万": 1e7, "亿": 1e8, "十亿": 1e9, "百亿": 1e10, "千亿": 1e11,
             "万亿": 1e12}
_EN_UNITS = {"k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}


def _size(value: float) -> str:
    for unit, scale in (("t", 1e12), ("b", 1e9), ("m", 1e6), ("k", 1e3)):
        if value >= scale:
            return f"{value / scale:.3g}{unit}"
    return f"{value:.3g}"


def sizes(text: str) -> list[str]:
    """Canonical size tokens of a (script-normalised) text."""
    found = [_size(float(n) * _ZH_UNITS[u]) for n, u in _ZH_SIZE.findall(text)]
    found += [_size(float(n) * _EN_UNITS[u.lower()]) for n, u in _EN_SIZE.findall(text)]
    return found


def tokenize(text: str) -> list[str]:
    """Tokens of any text (question or paper), script-normalised."""
    text = normalise(text)
    tokens: list[str] = sizes(text)
    if tokens:  # the size stands for its digits and unit
        text = _EN_SIZE.sub(" ", _ZH_SIZE.sub(" ", text))
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            words = [w for w in _jieba().cut_for_search(run) if len(w) > 1 and w not in _ZH_STOPWORDS]
            tokens.extend(words)
            tokens.extend(b for b in (run[i : i + 2] for i in range(len(run) - 1)) if b not in _ZH_STOPWORDS)
            if len(run) == 1:
                tokens.append(run)
        else:
            tokens.extend(_english(run))
    return tokens


def title_tokens(title: str) -> list[str]:
    """Words of a title, plus the pieces of names written as one word (HippoRAG: hippo,
    rag; OmniGlue: omni, glue); hyphenated names come joined too (GNN-RAG: gnnrag)."""
    tokens = tokenize(title)
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", title):
        parts = [p for p in _PARTS.findall(word) if len(p) >= 3]
        if len(parts) > 1:
            tokens.extend(stem(p) for p in parts if p.lower() not in _STOPWORDS)
    return tokens


def chinese_words(text: str) -> list[tuple[str, ...]]:
    """The Chinese words of a text (jieba, script-normalised), each as the character
    pairs a summary holding it has (the pairs the index keeps)."""
    out = []
    for run in _RUNS.findall(normalise(text)):
        if _CJK.match(run):
            for word in _jieba().cut(run):
                pairs = tuple(dict.fromkeys(p for p in (word[i : i + 2] for i in range(len(word) - 1))
                                            if p not in _ZH_STOPWORDS))
                if len(word) > 1 and word not in _ZH_STOPWORDS and pairs:
                    out.append(pairs)
    return list(dict.fromkeys(out))


def char_grams(text: str) -> list[str]:
    """Character trigrams of the letters and digits of an English text (lower-cased,
    spaces dropped: 'hippo rag' and 'HippoRAG' share all of theirs)."""
    compact = "".join(re.findall(r"[a-z0-9]+", text.lower()))
    return [compact[i : i + 3] for i in range(len(compact) - 2)]


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


def query_tokens(query: str) -> dict[str, list[str]]:
    words = tokenize(query)
    return {"body": words, "abstract": words, "title": title_tokens(query), "grams": char_grams(query)}


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
        return hashlib.sha1(f"{TOKENIZER_VERSION}\0{text}".encode()).hexdigest()[:16]

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


# -- typo tolerance -----------------------------------------------------------------------
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


# -- the index ------------------------------------------------------------------------------
def _cache_name(revision: str) -> str:
    """A cached index is valid for one store revision, tokenizer and BM25 setting."""
    return f"{revision}-t{TOKENIZER_VERSION}-k{K1}-b{B}"


class LexicalIndex:
    """The four fields over the same papers (`ids` gives each row's arXiv ID)."""

    def __init__(self, ids: list[str], fields: dict[str, Field], folder: Path | None = None):
        self.ids = ids
        self.fields = fields
        self.row = {i: n for n, i in enumerate(ids)}
        self._folder = folder
        self._vocabulary: Vocabulary | None = None
        self._words: list[str] | None = None  # English stems (kept when built here; else read from words.txt)
        self.masks: dict = {}  # search filter -> rows it admits (the retriever's cache)
        self.authors = None  # rag.authors.Names of these papers (the retriever's, built on first use)

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
        try:
            os.replace(staging, folder / revision)
        except OSError:  # another process cached the same revision first
            shutil.rmtree(staging, ignore_errors=True)
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

    @property
    def vocabulary(self) -> Vocabulary:
        """Loaded at the first question with an unknown word (most never need it)."""
        if self._vocabulary is None:
            words = self._words
            if words is None:
                words = (self._folder / "words.txt").read_text().split("\n") if self._folder else []
            self._vocabulary = Vocabulary([w for w in words if w])
        return self._vocabulary

    def misspellings(self, query: str) -> dict[str, dict[str, float]]:
        """For each English word of the query that looks misspelt (by its stem), the
        index words it probably meant, with a weight (< 1): a word the papers never use,
        or use far less than a word one edit away."""
        body, title = self.fields["body"], self.fields["title"]
        out: dict[str, dict[str, float]] = {}
        for word in re.findall(r"[A-Za-z][A-Za-z0-9]*", query):
            lower = word.lower()
            if len(lower) < 5 or lower in _STOPWORDS:
                continue
            own = stem(lower)
            df = body.doc_freq(own) + title.doc_freq(own)
            if df > 3 or translations(own) or own in out:
                continue  # common here, or a dictionary word ("significantly"): not a typo
            candidates = {}
            for form in {lower, own}:
                for match, distance in self.vocabulary.near(form):
                    candidates[match] = min(distance, candidates.get(match, 9))
            meant = {match: 0.8 if distance == 1 else 0.6 for match, distance in candidates.items()
                     if body.doc_freq(match) + title.doc_freq(match) >= max(2, 5 * df)}
            if meant:
                out[own] = meant
        return out

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
