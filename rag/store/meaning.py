"""The papers' multilingual vectors (rag.models.e5), which fill in while paperbot already answers.

They live beside MiniLM's, in a second Chroma collection named for the model (so a Chroma
server shared by the bot and `paperbot ingest` shares them too), one record per text the
model read, its ID the hash of that text: a re-ingest, or an edit elsewhere in a row (its
topics, a gloss, an abstract from arXiv), embeds nothing again, and two processes that
embed the same text write the same record.

Making them is slow (~8 rows/s on 2 quiet cores, ~1/s on busy ones): `fill` embeds what is
missing BATCH rows at a time and writes each batch as soon as it is made, so a kill loses
one batch and the next run goes on from there. Search reads them from memory (`Vectors`,
one matrix aligned with the lexical index's rows) and uses them for the papers that have
one; the others are ranked by words and MiniLM as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.files import write_atomic
from rag.models import e5
from rag.papers.table import Paper

log = logging.getLogger(__name__)

PAGE = 2000  # vectors per read from Chroma


def text_hash(paper: Paper) -> str:
    return hashlib.sha1(e5.passage_text(paper.title, paper.summary).encode()).hexdigest()[:20]


def collection_name(prefix: str) -> str:
    return f"{prefix}-e5-{hashlib.sha1(e5.NAME.encode()).hexdigest()[:10]}"


class Vectors:
    """The vectors of one store revision's papers, row for row with its lexical index;
    rows without one yet are zero and `has` says which do."""

    def __init__(self, ids: list[str], hashes: list[str]):
        self.ids, self.hashes = ids, hashes
        self.rows: dict[str, list[int]] = {}
        for n, h in enumerate(hashes):
            self.rows.setdefault(h, []).append(n)
        self.matrix = np.zeros((len(ids), e5.E5.dim), dtype=np.float32)
        self.has = np.zeros(len(ids), dtype=bool)
        self.count = 0
        self._lock = threading.Lock()

    def put(self, found: dict[str, np.ndarray]) -> None:
        """Vectors by text hash (those of other revisions' texts are ignored)."""
        with self._lock:
            for h, vector in found.items():
                for row in self.rows.get(h, ()):
                    self.matrix[row] = vector
                    if not self.has[row]:  # the flag after the vector: a reader never sees a half row
                        self.has[row] = True
                        self.count += 1

    def known(self) -> dict[str, np.ndarray]:
        """The vectors there are, by text hash."""
        return {h: self.matrix[rows[0]] for h, rows in self.rows.items() if self.has[rows[0]]}

    def missing(self) -> list[str]:
        return [h for h, rows in self.rows.items() if not self.has[rows[0]]]

    def cosines(self, query: np.ndarray) -> np.ndarray:
        """The question's cosine with every paper (0 where a paper has no vector yet)."""
        return self.matrix @ query


@dataclass
class Progress:
    have: int  # papers with a vector
    total: int  # papers listed
    filling: bool = False  # a fill is running in this process

    def __str__(self) -> str:
        return f"{self.have} of {self.total} papers" + (" (filling in)" if self.filling and self.have < self.total
                                                        else "")


class Meaning:
    """The multilingual vectors of a knowledge base: the Chroma collection, the matrix of the
    current revision, and filling in what is missing."""

    def __init__(self, store, model: e5.E5, cache: Path | None = None):
        """`store`: the knowledge base's PaperStore (its client and its guard); `cache`: a
        disposable copy of the vectors in memory (rag.files), so a new process reads one file
        instead of asking Chroma for every paper (10,000 vectors: ~0.1 s against ~4 s)."""
        self.store, self.model, self.cache = store, model, cache
        self.collection = store.guard(lambda: store.client.get_or_create_collection(
            collection_name(store.config.store.collection), embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}}, metadata={"embedding_model": e5.NAME}))
        self._current: Vectors | None = None
        self._loading = threading.Lock()
        self._filling = threading.Lock()

    # -- what search reads ------------------------------------------------------------
    def vectors(self, ids: list[str], catalog: dict[str, Paper], wait: bool = True) -> Vectors | None:
        """The vectors of these rows (a lexical index's `ids`), read from Chroma once per
        revision (those of the previous revision are kept by hash). `wait=False`: None while
        another thread is reading them, so a question never waits for the load."""
        current = self._current
        if current is not None and current.ids is ids:
            return current
        if not self._loading.acquire(blocking=wait):
            return None
        try:
            current = self._current
            if current is not None and current.ids is ids:
                return current
            fresh = Vectors(ids, [text_hash(catalog[i]) for i in ids])
            if current is not None:  # the last revision's vectors, without asking Chroma
                fresh.put(current.known())
            count, cached = self._cached()
            fresh.put(cached)
            stored = self.store.guard(self.collection.count)
            if stored != count:  # Chroma holds vectors the copy lacks (records are only ever added)
                fresh.put(self._read(fresh.missing()))
                self._keep(fresh, stored)
            self._current = fresh
            return fresh
        finally:
            self._loading.release()

    def _cached(self) -> tuple[int, dict[str, np.ndarray]]:
        """(Chroma's record count when the copy was written, the vectors by hash); (-1, {})
        without a readable copy."""
        path = self.cache / "meaning.npz" if self.cache is not None else None
        if path is None or not path.is_file():
            return -1, {}
        try:
            with np.load(path) as saved:
                return int(saved["count"]), dict(zip(saved["hashes"].tolist(), saved["vectors"]))
        except Exception as exc:  # a broken copy costs a read from Chroma, nothing more
            log.warning("the copy of the multilingual vectors %s is unreadable: %s", path, exc)
            return -1, {}

    def _keep(self, vectors: Vectors, count: int) -> None:
        """Write the copy (atomically: another process may be reading it)."""
        if self.cache is None:
            return
        import io

        known = vectors.known()
        buffer = io.BytesIO()
        np.savez(buffer, count=np.int64(count), hashes=np.array(list(known), dtype=str),
                 vectors=np.stack(list(known.values())) if known else np.zeros((0, e5.E5.dim), np.float32))
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            write_atomic(self.cache / "meaning.npz", buffer.getvalue())
        except OSError as exc:
            log.warning("could not keep a copy of the multilingual vectors: %s", exc)

    def _read(self, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), PAGE):
            page = self.store.guard(lambda: self.collection.get(ids=hashes[start : start + PAGE],
                                                                include=["embeddings"]))
            found.update(zip(page["ids"], np.asarray(page["embeddings"], dtype=np.float32).reshape(-1, e5.E5.dim)))
        return found

    model_name = e5.NAME  # with get_query_embedding: what Question.vector needs of a model

    def get_query_embedding(self, text: str) -> np.ndarray:
        # One core: the question's BM25 and MiniLM run beside it (2 threads were slower on 2
        # shared cores: p50 31-40 ms against 30-31, p95 88-96 against 61-63).
        self.model.use_threads(1)
        return self.model.query(text)

    # -- filling in -------------------------------------------------------------------
    def fill(self, papers: list[Paper], progress: Callable[[int], None] | None = None,
             stop: threading.Event | None = None, threads: int = 1, now: bool = False) -> int:
        """Embed the papers whose text has no vector yet, e5.BATCH at a time, each batch
        written at once; the number embedded. `progress(n)` after each batch. One fill at a
        time per process (a second waits); `stop` ends it after the batch in hand. `threads`:
        cores to use (the bot's background fill keeps to one: answers need the other). `now`:
        a few papers (just added) that do not wait for a fill in progress."""
        with self._filling if not now else contextlib.nullcontext():
            by_hash: dict[str, Paper] = {}
            for paper in papers:
                by_hash.setdefault(text_hash(paper), paper)
            known = self._known(list(by_hash))
            current = self._current
            if current is not None:  # in Chroma (another process read them) but not in memory yet
                current.put(self._read([h for h in known if h in current.rows and not current.has[current.rows[h][0]]]))
            todo = [(h, p) for h, p in by_hash.items() if h not in known]
            if progress is not None and len(by_hash) > len(todo):
                progress(len(papers) - len(todo))
            self.model.use_threads(threads)
            done = 0
            for start in range(0, len(todo), e5.BATCH):
                if stop is not None and stop.is_set():
                    break
                batch = todo[start : start + e5.BATCH]
                vectors = self.model.passages([e5.passage_text(p.title, p.summary) for _, p in batch])
                hashes = [h for h, _ in batch]
                self.store.guard(lambda: self.collection.upsert(
                    ids=hashes, embeddings=vectors.tolist(), metadatas=[{"arxiv_id": p.arxiv_id} for _, p in batch]))
                current = self._current
                if current is not None:
                    current.put(dict(zip(hashes, vectors)))
                done += len(batch)
                if progress is not None:
                    progress(len(batch))
            if done and self._current is not None:
                self._keep(self._current, self.store.guard(self.collection.count))
            return done

    def _known(self, hashes: list[str]) -> set[str]:
        current = self._current
        have = {h for h in hashes if current is not None and h in current.rows and current.has[current.rows[h][0]]}
        rest = [h for h in hashes if h not in have]
        for start in range(0, len(rest), PAGE):
            page = self.store.guard(lambda: self.collection.get(ids=rest[start : start + PAGE], include=[]))
            have.update(page["ids"])
        return have

    @property
    def filling(self) -> bool:
        return self._filling.locked()

    def progress(self, catalog: dict[str, Paper]) -> Progress:
        """How many listed papers have a vector (asked of Chroma: another process may be filling)."""
        hashes = [text_hash(p) for p in catalog.values()]
        known = self._known(list(set(hashes)))
        have = sum(h in known for h in hashes)
        return Progress(have, len(catalog), self.filling)


class Filler:
    """One background thread, at low priority, that fills in the vectors of every listed
    paper: at a bot's start, and after papers arrive (woken: /reload, papers another
    process ingested; else once a minute)."""

    RETRY = 60.0  # seconds between rounds, and before trying again after the store failed

    def __init__(self, kb):
        self.kb = kb
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paperbot-meaning", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        _lower_priority()
        while not self._stop.is_set():
            self._wake.clear()
            try:
                made = self.kb.fill_meaning(stop=self._stop)
                if made:
                    log.info("meaning: %d more paper(s) read by the multilingual model", made)
            except Exception as exc:  # the store down, a disk full: answers go on without them
                log.warning("filling in the multilingual vectors failed (%s); trying again in %.0f s", exc, self.RETRY)
            self._wake.wait(self.RETRY)


def _lower_priority() -> None:
    """This thread (only) at nice 10: answers come first (Linux: a thread's own priority)."""
    import os
    import sys

    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        except OSError:
            pass
