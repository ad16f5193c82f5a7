"""The knowledge base: the stored papers, held in memory as a catalog for lookups, the
lexical index over them, and ingest. One object per process; the CLI and the bot
build it the same way.

Every ingest that changes something bumps the collection's revision; a process that
sees a new revision reloads (so a running bot picks up papers ingested elsewhere).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import logging
import pickle
import re
import threading
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from rag.config import Config
from rag.files import write_atomic
from rag.models.embeddings import load_embed_model
from rag.papers.ids import InvalidArxivId, parse_arxiv_id
from rag.papers.table import Paper
from rag.store.chroma import PaperStore, paper_from_record, paper_to_node
from rag.store.lexical import LexicalIndex, TokenStore, field_texts, name_of
from rag.store.meaning import Filler, Meaning, Progress, Vectors
from rag.text import glossary

log = logging.getLogger(__name__)

WRITE_BATCH = 1000  # papers per write to Chroma (and to the token store): a crash loses at most two of these


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    glossed: list[str] = field(default_factory=list)  # unchanged, but given their first English gloss
    enriched: list[str] = field(default_factory=list)  # also in `updated`: only the abstract/authors are new


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
        self._filler: Filler | None = None

    @property
    def embed_model(self):
        if self._embed_model is None:
            self._embed_model = load_embed_model(
                self.config.embedding, self.config.openai_api_key, self.config.embedding.api_base or self.config.llm_base_url
            )
        return self._embed_model

    @cached_property
    def meaning(self) -> Meaning | None:
        """The papers' multilingual vectors (rag.store.meaning); None when `[embedding] meaning`
        is off or the model is not installed for this platform."""
        from rag.models import e5

        model = e5.load() if self.config.embedding.meaning else None
        return Meaning(self.store, model, self.cache_dir) if model is not None else None

    def vectors(self, wait: bool = True) -> Vectors | None:
        """The multilingual vectors of the current revision's papers, row for row with its
        lexical index (`wait=False`: None while another thread reads them from the store)."""
        if self.meaning is None:
            return None
        snapshot = self._current()
        index = self.lexical
        return self.meaning.vectors(index.ids, snapshot.catalog, wait)

    def fill_meaning(self, ids: list[str] | None = None, progress: bool = False, stop=None, threads: int = 1) -> int:
        """Multilingual vectors for the listed papers (or these few IDs, at once: papers just
        added do not wait for a fill in progress) that have none: how many were made. Each
        batch is stored as it is made (a kill loses one batch)."""
        if self.meaning is None:
            return 0
        from tqdm import tqdm

        catalog = self.catalog
        papers = [catalog[i] for i in ids if i in catalog] if ids is not None else list(catalog.values())
        self.vectors()  # read what the store has first: those are never made again
        with tqdm(total=len(papers), desc="Reading the papers' meaning", unit="paper", disable=not progress,
                  leave=False) as bar:
            return self.meaning.fill(papers, bar.update, stop, threads, now=ids is not None)

    def meaning_progress(self) -> Progress | None:
        return self.meaning.progress(self.catalog) if self.meaning is not None else None

    def fill_in_background(self) -> None:
        """Start the one background filler of this process (rag.store.meaning.Filler)."""
        if self.meaning is not None and self._filler is None:
            self._filler = Filler(self)

    def stop_filling(self) -> None:
        if self._filler is not None:
            self._filler.stop()
            self._filler = None

    def wake_meaning(self) -> None:
        """The background filler (if any) looks for papers without a vector now."""
        if self._filler is not None:
            self._filler.wake()

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
        """This collection's disposable caches (rag.files), keyed by the store's revision."""
        return self.config.cache_dir / self.store.collection.name

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
            write_atomic(path, pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL))
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
            ids = list(snapshot.catalog)
            index = LexicalIndex.from_store(ids, self.tokens, {i: field_texts(snapshot.catalog[i]) for i in ids})
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

    def find(self, text: str) -> Paper | None:
        """The paper an arXiv ID (any form) or a title names: the whole title, the name before
        its colon (HippoRAG), or words only one title holds; None when nothing or several do."""
        try:
            return self.catalog.get(parse_arxiv_id(text))
        except InvalidArxivId:
            pass
        wanted = " ".join(text.casefold().split())
        if not wanted:
            return None
        papers = list(self.catalog.values())
        for named in (lambda p: p.title.casefold() == wanted, lambda p: name_of(p.title).casefold() == wanted,
                      lambda p: wanted in p.title.casefold()):
            found = [p for p in papers if named(p)]
            if found:
                return found[0] if len(found) == 1 else None
        return None

    def suggest(self, text: str, n: int = 3) -> list[Paper]:
        """For "did you mean": listed IDs a keystroke or two away from an ID (a typo), or
        titles close to a text; never an unrelated paper."""
        from rapidfuzz.distance import Levenshtein

        try:
            arxiv_id = parse_arxiv_id(text)
        except InvalidArxivId:
            by_title = {p.title.lower(): p.arxiv_id for p in self.catalog.values()}
            ids = [by_title[t] for t in difflib.get_close_matches(text.lower(), list(by_title), n=n, cutoff=0.6)]
        else:
            ids = sorted((i for i in self.catalog if Levenshtein.distance(i, arxiv_id) <= 2),
                         key=lambda i: Levenshtein.distance(i, arxiv_id))
        return [self.catalog[i] for i in ids][:n]

    def topics(self) -> list[tuple[str, int]]:
        counts = Counter(t for p in self.catalog.values() for t in p.topics)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    # -- ingest ------------------------------------------------------------------
    def ingest(self, papers: list[Paper], progress: bool = False, now: dt.datetime | None = None,
               glosser=None) -> IngestReport:
        """Store new papers, replace changed ones, skip unchanged ones. Idempotent.

        A table row carries no abstract or authors: what is stored for a paper (abstract,
        authors, and its gloss while the row is unchanged) is kept. A paper is embedded
        again only when the text the model reads changes (its hash is stored), e.g. when
        its abstract arrives; a change elsewhere reuses the stored vector.

        A paper keeps the moment it first arrived (`added_at`, what digests count): now, or
        on the first ingest into an empty store, the date of its row.

        Papers are written every WRITE_BATCH, and what was embedded is written when an
        error stops the ingest, so the next run resumes where it stopped (a killed
        process loses two WRITE_BATCHes at most: one being written, one being
        embedded). With a `glosser` that writes (rag.answers.gloss.Glosser with a model),
        each paper gets an English gloss, written once: an unchanged paper that already has
        one is never sent to the model again; a stored gloss it finds unfit is dropped."""
        writes = glosser is not None and glosser.writes
        from tqdm import tqdm

        report = IngestReport()
        stored = dict(self.store.records())
        todo: list[Paper] = []
        reads: dict[str, str] = {}  # arXiv ID -> the text the model reads (built once: glossary work)
        for incoming in papers:
            meta = stored.get(incoming.arxiv_id)
            paper = _with_stored(incoming, meta, glosser)
            if meta is None:
                report.added.append(paper.arxiv_id)
            elif meta.get("content_hash") != paper.content_hash:
                report.updated.append(paper.arxiv_id)
            elif _enrichment(meta) != _enrichment({"abstract": paper.abstract, "authors": paper.authors}):
                report.updated.append(paper.arxiv_id)
                report.enriched.append(paper.arxiv_id)
            elif writes and not paper.gloss:
                report.glossed.append(paper.arxiv_id)
            elif meta.get("embed_hash") not in (None, _hash(reads.setdefault(paper.arxiv_id, embed_text(paper)))):
                report.updated.append(paper.arxiv_id)  # what the model reads changed (e.g. a new glossary)
            else:
                report.unchanged.append(paper.arxiv_id)
                continue
            todo.append(paper)
        if not todo:
            return report
        now = now or dt.datetime.now(dt.timezone.utc)
        # The first ingest reads the group's history: each row arrived on its own date, so the
        # first digest is about what is new, not the whole table. Later rows arrive now.
        first = not stored
        batch = max(self.config.embedding.batch_size, 1)
        # Chroma costs ~1.7 ms a record written 64 at a time and ~0.6 ms 1,000 at a time
        # (measured): papers are embedded in model batches and written in larger ones.
        write_batch = max(batch, min(WRITE_BATCH, self.store.max_batch()))
        pending: list[tuple[Paper, list[float], str]] = []

        def write(items: list[tuple[Paper, list[float], str]]) -> None:
            chunk = [p for p, _, _ in items]
            nodes = []
            for paper, vector, read in items:
                first_added = stored.get(paper.arxiv_id, {}).get("added_at")
                added_at = dt.datetime.fromisoformat(first_added) if first_added else \
                    min(now, _day(paper.date)) if first else now
                nodes.append(paper_to_node(paper, vector, added_at, _hash(read)))
            self.tokens.add({p.arxiv_id: field_texts(p) for p in chunk})
            self.store.write(nodes, replace=[p.arxiv_id for p in chunk if p.arxiv_id in stored])

        # Writes (tokenising, Chroma) run on a thread of their own while the model embeds
        # the next papers (10k real papers on 2 cores: 0.88 of the model's own throughput,
        # 0.81 when they took turns). One write at a time, in order.
        writer = ThreadPoolExecutor(1, thread_name_prefix="paperbot-ingest-write")
        writing: list[Future] = []

        def hand_over() -> None:
            if writing:
                writing.pop().result()  # the previous write's error stops the ingest here
            if pending:
                writing.append(writer.submit(write, pending[:]))
                pending.clear()

        bar = tqdm(total=len(todo), desc="Embedding papers", unit="paper", disable=not progress, leave=False)
        try:
            for start in range(0, len(todo), batch):
                chunk = todo[start : start + batch]
                if writes:
                    chunk = [replace(p, gloss=glosser.write(p)) if not p.gloss else p for p in chunk]
                texts = [embed_text(p) if writes else reads.get(p.arxiv_id) or embed_text(p) for p in chunk]
                pending.extend(zip(chunk, self._vectors(chunk, texts, stored), texts))
                if len(pending) >= write_batch:
                    hand_over()
                bar.update(len(chunk))
            hand_over()
            hand_over()  # and wait for the last one
        finally:
            # Stopped by an error (a model server failing, Ctrl-C): keep what was embedded.
            try:
                for started in writing:
                    started.result()
                if pending:
                    write(pending)
            except Exception as exc:
                log.warning("could not keep %d embedded papers after the failure: %s", len(pending), exc)
            writer.shutdown()
            bar.close()
            self.store.bump_revision()  # even a partial ingest changed the store
        return report

    def _vectors(self, chunk: list[Paper], texts: list[str], stored: dict[str, dict]) -> list[list[float]]:
        """Embed what changed; reuse the stored vector of a paper whose text for the
        model is the same (only its metadata changed)."""
        same = [p.arxiv_id for p, t in zip(chunk, texts) if stored.get(p.arxiv_id, {}).get("embed_hash") == _hash(t)]
        kept = self.store.vectors(same) if same else {}
        fresh = [(p, t) for p, t in zip(chunk, texts) if p.arxiv_id not in kept]
        made = dict(zip((p.arxiv_id for p, _ in fresh),
                        self.embed_model.get_text_embedding_batch([t for _, t in fresh]) if fresh else []))
        return [kept.get(p.arxiv_id) if p.arxiv_id in kept else made[p.arxiv_id] for p in chunk]


def _with_stored(paper: Paper, meta: dict | None, glosser=None) -> Paper:
    """The incoming paper, keeping what the store knows and the table never says: the
    abstract and authors (from arXiv), and the gloss while the row is unchanged."""
    if not meta:
        return paper
    keep = {}
    if not paper.abstract and meta.get("abstract"):
        keep["abstract"] = meta["abstract"]
    if not paper.authors and meta.get("authors") not in (None, "", "[]"):
        keep["authors"] = tuple(json.loads(meta["authors"]))
    if not paper.gloss and meta.get("gloss") and meta.get("content_hash") == paper.content_hash \
            and (glosser is None or glosser.flaw(meta["gloss"], paper) is None):  # one a weak model wrote goes
        keep["gloss"] = meta["gloss"]
    return replace(paper, **keep) if keep else paper


def _day(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(), dt.timezone.utc)


def _enrichment(record: dict) -> tuple[str, str]:
    """(abstract, authors as JSON) of a stored record or a Paper's fields."""
    authors = record.get("authors") or ()
    if not isinstance(authors, str):
        authors = json.dumps(list(authors), ensure_ascii=False)
    return record.get("abstract") or "", authors if authors != "[]" else ""


_ASCII_TERM = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*")


def embed_text(paper: Paper) -> str:
    """What the dense model reads: English only (it sees little in Chinese). With an
    abstract: the title and abstract. From the table alone: the title, gloss, the
    glossary's English for the summary's Chinese terms, and the English the summary
    already holds (method names, datasets, benchmarks)."""
    if paper.abstract:
        return f"{paper.title}\n{paper.abstract}"
    terms = glossary.expand(" ".join(paper.topics) + " " + paper.summary)
    english = " ".join(t for t in terms if t.isascii())
    own = " ".join(dict.fromkeys(_ASCII_TERM.findall(paper.summary)))
    return "\n".join(part for part in (paper.title, paper.gloss, english, own) if part)


def embed_hash(paper: Paper) -> str:
    return _hash(embed_text(paper))


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def lexical_text(paper: Paper) -> str:
    return field_texts(paper)["body"]
