"""Growing the list: a paper added by its arXiv ID, from Discord (`/add`) or the CLI
(`paperbot add`).

The paper is fetched from arXiv (title, authors, English abstract, first-version date),
written as a row in the group's format to the inbox table (never the hand-edited one),
and ingested, so it is in every search at once and in the next weekly digest. The row's
Traditional-Chinese summary and its 1-3 topics (from the list's own topic names) are
written by the model when there is one; without one, the English abstract stands in as
a draft and the topics are those of the nearest listed papers, and a later `paperbot
ingest` with a model writes the Chinese summary once (`finish_drafts`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from rag.errors import InputError
from rag.models.usage import CLI, Caller
from rag.papers.arxiv import ArxivClient, ArxivEntry, ArxivError
from rag.papers.ids import InvalidArxivId, parse_arxiv_id, split_id_list
from rag.papers.inbox import Inbox, InboxError
from rag.papers.table import Paper
from rag.store.knowledge import KnowledgeBase

log = logging.getLogger(__name__)

ADDED, LISTED, UNKNOWN, WITHDRAWN, FAILED = "added", "listed", "unknown", "withdrawn", "failed"
MAX_IDS = 10  # per request: each is an arXiv lookup and, with a model, a model call


@dataclass
class Added:
    """What happened to one requested ID."""

    arxiv_id: str
    status: str  # added, listed (already), unknown (to arXiv), withdrawn, failed
    paper: Paper | None = None
    reason: str = ""  # for failed: what went wrong, in plain words
    draft: bool = False  # the summary is the English abstract until a model writes the Chinese one

    def to_dict(self) -> dict:
        return {"arxiv_id": self.arxiv_id, "status": self.status, "draft": self.draft, "reason": self.reason,
                "paper": self.paper.to_dict() if self.paper else None}


def parse_ids(texts: list[str]) -> list[str]:
    """IDs in any form the ID parser accepts, separated by spaces or commas; InputError
    names the first that is not one."""
    words = [w for text in texts for w in split_id_list(text)]
    if not words:
        raise InputError("empty", "Give at least one arXiv ID or link.")
    ids = []
    for word in words:
        try:
            ids.append(parse_arxiv_id(word))
        except InvalidArxivId as exc:
            raise InputError("bad_id", str(exc), text=word) from None
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_IDS:
        raise InputError("too_many", f"At most {MAX_IDS} papers at once; got {len(ids)}.", count=len(ids),
                       limit=MAX_IDS)
    return ids


class Adder:
    def __init__(self, kb: KnowledgeBase, inbox: Inbox, arxiv: ArxivClient, writer, offload=None):
        """`writer` writes each new paper's row (rag.answers.rows.RowWriter)."""
        self.kb, self.inbox, self.arxiv, self.writer = kb, inbox, arxiv, writer
        self._offload = offload  # the answerer's CPU pool; None: a worker thread per call
        self._lock = asyncio.Lock()  # one writer of the inbox and the store in this process

    async def offload(self, fn, *args):
        if self._offload is not None:
            return await self._offload(fn, *args)
        return await asyncio.to_thread(fn, *args)

    async def add(self, texts: list[str], caller: Caller = CLI) -> list[Added]:
        """Adds the papers; one result per ID, in the order given. InputError for bad input."""
        ids = parse_ids(texts)
        results = {i: Added(i, LISTED, self.kb.catalog[i]) for i in ids if i in self.kb.catalog}
        wanted = [i for i in ids if i not in results]
        if wanted:
            try:
                entries = await self.arxiv.fetch(wanted)
            except ArxivError as exc:
                reason = str(exc)
                return [results.get(i) or Added(i, FAILED, reason=reason) for i in ids]
            papers = []
            for arxiv_id in wanted:
                entry = entries.get(arxiv_id)
                if entry is None:
                    results[arxiv_id] = Added(arxiv_id, UNKNOWN)
                elif entry.withdrawn:
                    results[arxiv_id] = Added(arxiv_id, WITHDRAWN)
                else:
                    papers.append(await self._row(entry, caller))
            if papers:
                async with self._lock:
                    results.update(await self._store(papers))
        return [results[i] for i in ids]

    async def _store(self, papers: list[Paper]) -> dict[str, Added]:
        """Writes the rows (a paper another writer added meanwhile is listed, not doubled)
        and ingests them."""
        try:
            written = set(await self.offload(self.inbox.append, papers))
        except InboxError as exc:
            return {p.arxiv_id: Added(p.arxiv_id, FAILED, reason=str(exc)) for p in papers}
        new = [p for p in papers if p.arxiv_id in written]
        if new:
            await self.offload(self._ingest, new)
        return {p.arxiv_id: Added(p.arxiv_id, ADDED if p.arxiv_id in written else LISTED,
                                  self.kb.catalog.get(p.arxiv_id, p), draft=p.draft) for p in papers}

    def _ingest(self, papers: list[Paper]) -> None:
        self.kb.ingest(papers)
        self.kb.refresh()
        # Searchable by meaning at once (a few papers: ~0.1 s each on a quiet core), whatever
        # the background filler is doing.
        ids = [p.arxiv_id for p in papers]
        try:
            self.kb.fill_meaning(ids)
        except Exception as exc:  # added and searchable by words; the filler or `paperbot ingest` reads them
            log.warning("the multilingual vectors of %s are not made yet: %s", ", ".join(ids), exc)

    # -- the row ----------------------------------------------------------------------
    async def _row(self, entry: ArxivEntry, caller: Caller) -> Paper:
        return await self.writer.finish(await self.offload(self.writer.draft, entry), caller)

    # -- drafts -----------------------------------------------------------------------
    async def finish_drafts(self, caller: Caller = CLI) -> list[str]:
        """Writes the Chinese summary of every draft row in the inbox (needs a model); the
        IDs whose rows were rewritten. The caller re-reads and ingests the tables."""
        if self.writer.llm is None or not self.inbox.path.is_file():
            return []
        done = []
        for paper in await self.offload(lambda: self.inbox.read().papers):
            if not paper.draft:
                continue
            written = await self.writer.write(paper.arxiv_id, paper.title, paper.abstract or paper.summary, caller)
            if written is not None:
                summary, topics = written
                if await self.offload(self.inbox.replace_summary, paper.arxiv_id, summary, topics or paper.topics):
                    done.append(paper.arxiv_id)
        return done
