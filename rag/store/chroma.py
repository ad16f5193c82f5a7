"""Chroma, through LlamaIndex: the one place that opens the vector store.

Each paper is one node whose id is its arXiv ID. Its summary is the node text; the
rest is metadata, with dates as numbers (for ranges) and one boolean flag per topic
(LlamaIndex's flat metadata rejects lists).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import chromadb
from llama_index.core import VectorStoreIndex
from llama_index.core.schema import TextNode
from llama_index.core.vector_stores import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag.config import Config
from rag.errors import StoreBusy, StoreUnavailable
from rag.models.embeddings import fingerprint
from rag.papers.table import Paper

_HELD_LOCKS: dict[Path, int] = {}  # embedded directories this process holds, with the lock's fd


def _claim_directory(path: Path) -> None:
    """One process per embedded Chroma directory: two would corrupt its index.

    The lock is held until the process exits; the OS releases it even after a crash."""
    path = path.resolve()
    if path in _HELD_LOCKS:
        return
    fd = os.open(path / "paperbot.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StoreBusy(
            f"the Chroma directory {path} is in use by another paperbot process (pid {holder}); an embedded store "
            "allows one process. Stop it, or run `chroma run --path DIR` and set [store] mode = \"server\" "
            "so the bot and ingest can share it."
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    _HELD_LOCKS[path] = fd


TOPIC_FLAG = "topic:"
PAGE = 2000  # rows per read when loading the catalog


@dataclass(frozen=True)
class SearchFilter:
    """Filters that combine with any query. `topics` are exact topic names (any of);
    `authors` parts of an author's name (any of, case-insensitive; from arXiv)."""

    topics: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    authors: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.topics or self.since or self.until or self.authors)

    def admits(self, paper: Paper) -> bool:
        return (
            (not self.topics or any(t in paper.topics for t in self.topics))
            and (self.since is None or paper.date >= self.since)
            and (self.until is None or paper.date <= self.until)
            and (not self.authors or any(a.casefold() in name.casefold()
                                         for a in self.authors for name in paper.authors))
        )

    def to_where(self) -> dict | None:
        """The same filter as a Chroma `where` clause (for queries sent to Chroma directly);
        authors cannot be said there, so results are checked with `admits` afterwards."""
        parts: list[dict] = []
        if self.topics:
            flags = [{TOPIC_FLAG + t: True} for t in self.topics]
            parts.append(flags[0] if len(flags) == 1 else {"$or": flags})
        if self.since:
            parts.append({"date_num": {"$gte": _date_num(self.since)}})
        if self.until:
            parts.append({"date_num": {"$lte": _date_num(self.until)}})
        return None if not parts else parts[0] if len(parts) == 1 else {"$and": parts}

    def to_metadata_filters(self) -> MetadataFilters | None:
        parts: list = []
        if self.topics:
            flags = [MetadataFilter(key=TOPIC_FLAG + t, value=True) for t in self.topics]
            parts.append(flags[0] if len(flags) == 1 else MetadataFilters(filters=flags, condition=FilterCondition.OR))
        if self.since:
            parts.append(MetadataFilter(key="date_num", value=_date_num(self.since), operator=FilterOperator.GTE))
        if self.until:
            parts.append(MetadataFilter(key="date_num", value=_date_num(self.until), operator=FilterOperator.LTE))
        return MetadataFilters(filters=parts, condition=FilterCondition.AND) if parts else None


def _date_num(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def paper_to_node(paper: Paper, embedding: list[float], added_at: dt.datetime, embed_hash: str = "") -> TextNode:
    metadata = {
        "arxiv_id": paper.arxiv_id,
        "title": paper.title,
        "date": paper.date.isoformat(),
        "date_num": _date_num(paper.date),
        "topics": json.dumps(list(paper.topics), ensure_ascii=False),
        "url": paper.url,
        "summary": paper.summary,
        "gloss": paper.gloss,
        "abstract": paper.abstract,
        "authors": json.dumps(list(paper.authors), ensure_ascii=False),
        "content_hash": paper.content_hash,
        "embed_hash": embed_hash,  # of the text the model read: a new abstract means a new vector
        "added_at": added_at.isoformat(),
        "added_ts": added_at.timestamp(),
        **{TOPIC_FLAG + t: True for t in paper.topics},
    }
    # The summary lives in metadata, not in the node text that becomes Chroma's document:
    # Chroma full-text-indexes every document (the largest cost of ingest here), and
    # paperbot never uses that index (Chinese is searched by its own lexical index).
    return TextNode(id_=paper.arxiv_id, text="", metadata=metadata, embedding=embedding)


def paper_from_record(metadata: dict) -> Paper:
    return Paper(
        arxiv_id=metadata["arxiv_id"],
        title=metadata["title"],
        date=dt.date.fromisoformat(metadata["date"]),
        summary=metadata["summary"],
        topics=tuple(json.loads(metadata["topics"])),
        url=metadata["url"],
        gloss=metadata.get("gloss", ""),
        abstract=metadata.get("abstract", ""),
        authors=tuple(json.loads(metadata.get("authors") or "[]")),
        added_at=dt.datetime.fromisoformat(metadata["added_at"]),
    )


class PaperStore:
    """The Chroma collection for the configured embedding model, wrapped by LlamaIndex."""

    def __init__(self, config: Config):
        self.config = config
        self.client = _connect(config)
        name = f"{config.store.collection}-{fingerprint(config.embedding)}"
        try:
            self.collection = self.client.get_or_create_collection(
                name,
                embedding_function=None,  # Chroma's default would download a model
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedding_model": config.embedding.model, "embedding_backend": config.embedding.backend},
            )
        except Exception as exc:
            raise StoreUnavailable(_explain(config, exc)) from exc
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

    def index(self, embed_model) -> VectorStoreIndex:
        return VectorStoreIndex.from_vector_store(self.vector_store, embed_model=embed_model)

    def max_batch(self) -> int:
        try:
            return self.client.get_max_batch_size()
        except Exception:
            return 1000

    def revision(self) -> str:
        """Changes whenever any process changes the papers (read fresh from Chroma)."""
        name = self.collection.name
        return str(self.guard(lambda: self.client.get_collection(name).metadata or {}).get("revision", ""))

    def bump_revision(self) -> None:
        metadata = dict(self.guard(lambda: self.client.get_collection(self.collection.name).metadata) or {})
        metadata["revision"] = uuid.uuid4().hex
        self.guard(lambda: self.collection.modify(metadata=metadata))

    def count(self) -> int:
        return self.guard(self.collection.count)

    def records(self) -> Iterator[tuple[str, dict]]:
        """Every stored paper's (ID, metadata), page by page."""
        offset = 0
        while True:
            page = self.guard(lambda: self.collection.get(include=["metadatas"], limit=PAGE, offset=offset))
            yield from zip(page["ids"], page["metadatas"])
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """The stored vectors of these papers (those that exist)."""
        out: dict[str, list[float]] = {}
        limit = self.max_batch()
        for start in range(0, len(ids), limit):
            page = self.guard(lambda: self.collection.get(ids=ids[start : start + limit], include=["embeddings"]))
            out.update((i, list(map(float, v))) for i, v in zip(page["ids"], page["embeddings"]))
        return out

    def nearest(self, vector, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(arXiv ID, cosine similarity) of the k nearest papers (k at most the number
        stored), straight from Chroma: IDs and distances only (the LlamaIndex retriever
        would also fetch every hit's metadata, summary and abstract included, which
        costs more than the search)."""
        if k <= 0:
            return []
        result = self.guard(lambda: self.collection.query(
            query_embeddings=[list(map(float, vector))], n_results=k, where=where or None, include=["distances"]))
        return [(i, 1.0 - float(d)) for i, d in zip(result["ids"][0], result["distances"][0])]

    def write(self, nodes: list[TextNode], replace: list[str]) -> None:
        """Replace changed papers, add new ones, within Chroma's batch limit.

        Records go to the collection directly, as LlamaIndex's ChromaVectorStore would
        write them but without its `_node_content` (a JSON copy of the whole node, which
        doubled every record and cost ~0.4 ms a paper, measured). LlamaIndex still reads
        and filters them (`index()`: its reader builds nodes from the flat metadata), and
        paperbot's own reads never used that copy. Replaced papers are deleted first:
        an upsert would keep the topic flags a paper no longer has."""
        limit = self.max_batch()
        for start in range(0, len(replace), limit):
            self.guard(lambda: self.collection.delete(ids=replace[start : start + limit]))
        for start in range(0, len(nodes), limit):
            part = nodes[start : start + limit]
            self.guard(lambda: self.collection.add(
                ids=[n.node_id for n in part], embeddings=[n.embedding for n in part],
                metadatas=[n.metadata for n in part]))

    def guard(self, call):
        try:
            return call()
        except Exception as exc:
            if _is_connection_error(exc):
                raise StoreUnavailable(_explain(self.config, exc)) from exc
            raise


def _is_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(s in text for s in ("connect", "could not", "timed out", "timeout", "refused", "unreachable"))


def _explain(config: Config, exc: Exception) -> str:
    if config.store.mode == "server":
        return (
            f"cannot reach the Chroma server at {config.store.host}:{config.store.port} ({type(exc).__name__}); "
            f"start it with `chroma run --path DIR --port {config.store.port}` or fix [store] host/port"
        )
    return f"cannot open the Chroma directory {config.chroma_path}: {exc}"


def _connect(config: Config):
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if config.store.mode == "server":
            return chromadb.HttpClient(
                host=config.store.host, port=config.store.port, ssl=config.store.ssl, settings=settings
            )
        config.chroma_path.mkdir(parents=True, exist_ok=True)
        _claim_directory(config.chroma_path)
        return chromadb.PersistentClient(path=str(config.chroma_path), settings=settings)
    except StoreBusy:
        raise
    except Exception as exc:
        raise StoreUnavailable(_explain(config, exc)) from exc
