"""The knowledge base: the stored papers, held in memory as a catalog for lookups, the
lexical index over them, and ingest. One object per process; the CLI and the bot
build it the same way.

Every ingest that changes something bumps the collection's revision; a process that
sees a new revision reloads (so a running bot picks up papers ingested elsewhere).
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import pickle
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rag import glossary
from rag.config import Config
from rag.embeddings import load_embed_model
from rag.gloss import write_gloss
from rag.lexical import LexicalIndex, TokenStore
from rag.papers import Paper
from rag.ids import parse_arxiv_id
from rag.store import PaperStore, paper_from_record, paper_to_node

log = logging.getLogger(__name__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    glossed: list[str] = field(default_factory=list)  # unchanged, but given their first English gloss


@dataclass
class _Snapshot:
    """The papers as of one store revision, and the lexical index over them."""

    revision: str
    catalog: dict[str, Paper]
    lexical: LexicalIndex | None = None


class KnowledgeBase:
    def __init__(self, config: Config, embed_model=None):
        self.config = config
        self.store = PaperStore(config)
        self._embed_model = embed_model
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()  # the bot reads from worker threads

    @property
    def embed_model(self):
        if self._embed_model is None:
            self._embed_model = load_embed_model(
                self.config.embedding, self.config.openai_api_key, self.config.embedding.api_base or self.config.llm_base_url
            )
        return self._embed_model

    @cached_property
    def index(self):
        """LlamaIndex's VectorStoreIndex over the Chroma collection."""
        return self.store.index(self.embed_model)

    # -- the catalog: every paper, in memory --------------------------------------
    @property
    def catalog(self) -> dict[str, Paper]:
        return self._current().catalog

    @property
    def lexical(self) -> LexicalIndex:
        snapshot = self._current()
        if snapshot.lexical is None:
            snapshot.lexical = self._load_lexical(snapshot)
        return snapshot.lexical

    def refresh(self) -> bool:
        """Reload if the store changed since the catalog was read; True when it did.
        The new catalog and index are built before they replace the old ones, so a bot
        keeps answering from the old ones meanwhile."""
        revision = self.store.revision()
        if self._snapshot is not None and revision == self._snapshot.revision:
            return False
        fresh = _Snapshot(revision, self._load_catalog(revision))
        fresh.lexical = self._load_lexical(fresh)
        with self._lock:
            self._snapshot = fresh
        return True

    def _current(self) -> "_Snapshot":
        with self._lock:
            if self._snapshot is None:
                revision = self.store.revision()
                self._snapshot = _Snapshot(revision, self._load_catalog(revision))
            return self._snapshot

    @cached_property
    def cache_dir(self) -> Path:
        """Local, disposable caches for this collection, keyed by the store's revision."""
        return self.config.state_dir / "cache" / self.store.collection.name

    def _load_catalog(self, revision: str) -> dict[str, Paper]:
        """From the local cache when it matches the revision (reading 100k papers'
        metadata back from Chroma takes seconds; unpickling them, about one)."""
        path = self.cache_dir / f"catalog-{revision}.pickle"
        if revision and path.is_file():
            try:
                return pickle.loads(path.read_bytes())
            except Exception as exc:  # a broken cache costs a reload, nothing more
                log.warning("catalog cache %s unreadable, reloading: %s", path, exc)
        catalog = {i: paper_from_record(m) for i, m in self.store.records()}
        if revision:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            staging = path.with_suffix(f".{os.getpid()}.tmp")
            staging.write_bytes(pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(staging, path)
            for old in self.cache_dir.glob("catalog-*.pickle"):
                if old != path:
                    old.unlink(missing_ok=True)
        return catalog

    def _load_lexical(self, snapshot: "_Snapshot") -> LexicalIndex:
        """From the local cache when it matches the revision; else built from the local
        token store (only papers new to this machine are tokenised) and cached."""
        cache = self.cache_dir / "lexical"
        index = LexicalIndex.load(cache, snapshot.revision)
        if index is None:
            ids, arrays, vocab = self.tokens.token_ids_for({i: lexical_text(p) for i, p in snapshot.catalog.items()})
            index = LexicalIndex(ids, (arrays, vocab))
            index.save(cache, snapshot.revision)
        return index

    @cached_property
    def tokens(self) -> TokenStore:
        return TokenStore(self.cache_dir / "tokens.sqlite")

    def papers(self) -> list[Paper]:
        """Newest first, as the table lists them."""
        return sorted(self.catalog.values(), key=lambda p: (p.date, p.arxiv_id), reverse=True)

    def get(self, arxiv_id: str) -> Paper | None:
        return self.catalog.get(parse_arxiv_id(arxiv_id))

    def suggest(self, text: str, n: int = 3) -> list[Paper]:
        """Closest IDs or titles, for 'did you mean'."""
        ids = difflib.get_close_matches(text.strip(), list(self.catalog), n=n, cutoff=0.6)
        by_title = {p.title.lower(): p.arxiv_id for p in self.catalog.values()}
        ids += [by_title[t] for t in difflib.get_close_matches(text.lower(), list(by_title), n=n, cutoff=0.4)]
        return [self.catalog[i] for i in dict.fromkeys(ids)][:n]

    def topics(self) -> list[tuple[str, int]]:
        counts = Counter(t for p in self.catalog.values() for t in p.topics)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    # -- ingest ------------------------------------------------------------------
    def ingest(self, papers: list[Paper], progress: bool = False, now: dt.datetime | None = None,
               llm=None) -> IngestReport:
        """Store new papers, replace changed ones, skip unchanged ones. Idempotent.

        Each batch is written before the next is embedded, so a crash loses one batch
        at most and the next run resumes where it stopped. With an `llm`, each paper
        gets an English gloss, written once: an unchanged paper that already has one
        is never sent to the model again."""
        from tqdm import tqdm

        report = IngestReport()
        stored = dict(self.store.records())
        todo: list[Paper] = []
        for paper in papers:
            meta = stored.get(paper.arxiv_id)
            if meta is None:
                report.added.append(paper.arxiv_id)
            elif meta.get("content_hash") != paper.content_hash:
                report.updated.append(paper.arxiv_id)
            elif llm is not None and not meta.get("gloss"):
                report.glossed.append(paper.arxiv_id)
            else:
                report.unchanged.append(paper.arxiv_id)
                continue
            todo.append(paper)
        if not todo:
            return report
        now = now or dt.datetime.now(dt.timezone.utc)
        batch = max(self.config.embedding.batch_size, 1)
        bar = tqdm(total=len(todo), desc="Embedding papers", unit="paper", disable=not progress, leave=False)
        try:
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                if llm is not None:
                    chunk = [replace(p, gloss=write_gloss(llm, p)) for p in chunk]
                vectors = self.embed_model.get_text_embedding_batch([embed_text(p) for p in chunk])
                nodes = []
                for paper, vector in zip(chunk, vectors):
                    first_added = stored.get(paper.arxiv_id, {}).get("added_at")
                    added_at = dt.datetime.fromisoformat(first_added) if first_added else now
                    nodes.append(paper_to_node(paper, vector, added_at))
                self.tokens.add({p.arxiv_id: lexical_text(p) for p in chunk})
                self.store.write(nodes, replace=[p.arxiv_id for p in chunk if p.arxiv_id in stored])
                bar.update(len(chunk))
        finally:
            bar.close()
            self.store.bump_revision()  # even a partial ingest changed the store
        return report


def embed_text(paper: Paper) -> str:
    """What the dense model reads: the English it can understand (title, gloss, and
    the glossary's English for the summary's and topics' Chinese terms)."""
    terms = glossary.expand(" ".join(paper.topics) + " " + paper.summary)
    english = " ".join(t for t in terms if t.isascii())
    return "\n".join(part for part in (paper.title, paper.gloss, english) if part)


def lexical_text(paper: Paper) -> str:
    return "\n".join((paper.title, paper.summary, " ".join(paper.topics), paper.gloss))
