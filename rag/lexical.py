"""Lexical retrieval that reads Chinese: our own tokens, scored by bm25s.

The embedding model maps most Traditional Chinese characters to [UNK], so Chinese
text is found here. Tokens: English words lower-cased and stemmed; Chinese runs as
jieba search-mode words plus character bigrams (jieba's dictionary leans Simplified;
bigrams catch what it misses).
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
from functools import cache
from pathlib import Path

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[A-Za-z][A-Za-z0-9]*|\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from has have how i in into is it its me of on or "
    "our that the their them there these this to was what which who why will with about any some "
    "paper papers work works study studies there's is there are there show find looking want".split()
)
_ZH_STOPWORDS = frozenset("的 了 和 與 及 在 是 有 嗎 呢 什麼 哪些 哪個 哪篇 這 那 一個 一種 如何 怎麼 可以 論文 研究 我們 本文 本研究".split())


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    for run in _RUNS.findall(text):
        if _CJK.match(run):
            words = [w for w in _jieba().cut_for_search(run) if len(w) > 1 and w not in _ZH_STOPWORDS]
            bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
            tokens.extend(words)
            tokens.extend(b for b in bigrams if b not in _ZH_STOPWORDS)
            if len(run) == 1:
                tokens.append(run)
        else:
            word = run.lower()
            if word not in _STOPWORDS:
                tokens.append(_stemmer().stemWord(word))
    return tokens


class TokenStore:
    """Each paper's tokens, kept on local disk (SQLite) keyed by a hash of the text they
    came from: tokenising is the slow part of building the index (jieba, ~2 ms a
    paper), so a paper is tokenised once, and a rebuild after an ingest only tokenises
    papers this machine has not seen."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, key TEXT, tokens TEXT)")

    def token_ids_for(self, texts: dict[str, str]) -> tuple[list[str], list[np.ndarray], dict[str, int]]:
        """(ids, one int32 array of token ids per paper, vocabulary) for every {id: text};
        what is missing or stale is tokenised and stored. Token strings are turned into
        ids row by row, so 100k papers never sit in memory as Python strings."""
        keys = {i: hashlib.sha1(t.encode()).hexdigest()[:16] for i, t in texts.items()}
        vocab: dict[str, int] = {}
        ids, arrays = [], []

        def add(arxiv_id: str, tokens: list[str]) -> None:
            ids.append(arxiv_id)
            arrays.append(np.fromiter((vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int32))

        for arxiv_id, key, tokens in self.db.execute("SELECT id, key, tokens FROM tokens"):
            if keys.get(arxiv_id) == key:
                add(arxiv_id, tokens.split())
        seen = set(ids)
        missing = {i: tokenize(texts[i]) for i in texts if i not in seen}
        if missing:
            self.put({i: (keys[i], t) for i, t in missing.items()})
        for arxiv_id, tokens in missing.items():
            add(arxiv_id, tokens)
        return ids, arrays, vocab

    def put(self, rows: dict[str, tuple[str, list[str]]]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO tokens VALUES (?, ?, ?)",
                                [(i, key, " ".join(t)) for i, (key, t) in rows.items()])

    def add(self, texts: dict[str, str]) -> None:
        """Tokenise and store now (at ingest), so the next index build finds them."""
        self.put({i: (hashlib.sha1(t.encode()).hexdigest()[:16], tokenize(t)) for i, t in texts.items()})


class LexicalIndex:
    """BM25 over one token list per paper; ids align with the token lists."""

    def __init__(self, ids: list[str], corpus=None, bm25: bm25s.BM25 | None = None):
        """`corpus`: one token list per id, or (token id arrays, vocabulary) as TokenStore gives."""
        self.ids = ids
        self.bm25 = bm25 or bm25s.BM25()
        if bm25 is None and ids:
            self.bm25.index(corpus, show_progress=False)

    def save(self, folder: Path, revision: str) -> None:
        """Cache the index for this store revision (atomically: readers never see half)."""
        if not self.ids or not revision:
            return
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=folder, prefix=".building-"))
        self.bm25.save(str(staging))
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
        path = folder / revision if revision else None
        if path is None or not (path / "ids.json").is_file():
            return None
        try:
            ids = json.loads((path / "ids.json").read_text())
            return cls(ids, bm25=bm25s.BM25.load(str(path), mmap=True))
        except (OSError, ValueError) as exc:
            logging.getLogger(__name__).warning("lexical cache %s unreadable, rebuilding: %s", path, exc)
            return None

    def search(self, query: str | list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Best papers first; papers with no matching token never come back."""
        tokens = tokenize(query) if isinstance(query, str) else query
        if not self.ids or not tokens or k <= 0:
            return []
        scores = self.bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(self.ids))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]
