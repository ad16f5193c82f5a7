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
import re
from collections import Counter
from dataclasses import dataclass, replace

from rag.papers.arxiv import ArxivClient, ArxivEntry, ArxivError
from rag.claims.citations import check_citations
from rag.config import Config
from rag.papers.ids import InvalidArxivId, parse_arxiv_id
from rag.papers.inbox import Inbox, InboxError
from rag.store.knowledge import KnowledgeBase
from rag.text.language import ZH, detect_language
from rag.models.chat import ChatModel, explain_failure
from rag.papers.table import Paper
from rag.answers.prompts import add_messages, echoes_prompt
from rag.search.retrieval import HybridRetriever
from rag.text.script import name_key, to_traditional_characters
from rag.models.usage import CLI, Caller

log = logging.getLogger(__name__)

ADDED, LISTED, UNKNOWN, WITHDRAWN, FAILED = "added", "listed", "unknown", "withdrawn", "failed"
UNSORTED = "未分類"  # the topic of a paper nothing in the list resembles
NEAR = 0.5  # neighbours scoring under this fraction of the nearest do not vote on topics
MAX_IDS = 10  # per request: each is an arXiv lookup and, with a model, a model call
_MIN_SUMMARY = 40  # characters: anything shorter is not a summary


class AddError(ValueError):
    """Bad input (malformed IDs, too many): nothing was looked up."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


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
    """IDs in any form the ID parser accepts, separated by spaces or commas; AddError
    names the first that is not one."""
    words = [w for text in texts for w in re.split(r"[\s,，、;]+", text) if w]
    if not words:
        raise AddError("empty", "Give at least one arXiv ID or link.")
    ids = []
    for word in words:
        try:
            ids.append(parse_arxiv_id(word))
        except InvalidArxivId as exc:
            raise AddError("bad_id", str(exc), text=word) from None
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_IDS:
        raise AddError("too_many", f"At most {MAX_IDS} papers at once; got {len(ids)}.", count=len(ids),
                       limit=MAX_IDS)
    return ids


class Adder:
    def __init__(self, kb: KnowledgeBase, inbox: Inbox, arxiv: ArxivClient, llm: ChatModel | None = None,
                 offload=None):
        self.kb, self.inbox, self.arxiv, self.llm = kb, inbox, arxiv, llm
        self._offload = offload  # the answerer's CPU pool; None: a worker thread per call
        self._lock = asyncio.Lock()  # one writer of the inbox and the store in this process

    async def offload(self, fn, *args):
        if self._offload is not None:
            return await self._offload(fn, *args)
        return await asyncio.to_thread(fn, *args)

    async def add(self, texts: list[str], caller: Caller = CLI) -> list[Added]:
        """Adds the papers; one result per ID, in the order given. AddError for bad input."""
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

    # -- the row ----------------------------------------------------------------------
    async def _row(self, entry: ArxivEntry, caller: Caller) -> Paper:
        neighbours = await self.offload(self._neighbour_topics, entry)
        paper = Paper(arxiv_id=entry.arxiv_id, title=entry.title, date=entry.published,
                      summary=entry.abstract or entry.title, topics=neighbours, abstract=entry.abstract,
                      authors=entry.authors, draft=True)
        if self.llm is None or not entry.abstract:
            return paper
        written = await self._write(entry.arxiv_id, entry.title, entry.abstract, caller)
        if written is None:
            return paper
        summary, topics = written
        return replace(paper, summary=summary, topics=topics or neighbours, draft=False)

    def _neighbour_topics(self, entry: ArxivEntry) -> tuple[str, ...]:
        """The topics of the listed papers nearest to this one, by how strongly they match."""
        hits = [h for h in HybridRetriever(self.kb, k=8).search(f"{entry.title}\n{entry.abstract}") if h.relevant]
        # Only papers nearly as close as the nearest vote: a broad topic (多模態模型 on a
        # quarter of the list) would otherwise win on many weak matches.
        hits = [h for h in hits if h.score >= NEAR * hits[0].score] if hits else []
        votes: Counter[str] = Counter()
        for hit in hits:
            for topic in hit.paper.topics:
                votes[topic] += hit.score
        if not votes:
            return (UNSORTED,)
        best = votes.most_common(1)[0][1]
        return tuple(t for t, v in votes.most_common(3) if v >= 0.5 * best)

    async def _write(self, arxiv_id: str, title: str, abstract: str,
                     caller: Caller) -> tuple[str, tuple[str, ...]] | None:
        """The model's Traditional-Chinese summary and topics, checked like an answer; None
        when the model fails or writes something unusable (the draft row stands)."""
        topics = [t for t, _ in self.kb.topics()]
        examples = [p.summary for p in sorted(self.kb.catalog.values(), key=lambda p: (p.date, p.arxiv_id))
                    if not p.draft and detect_language(p.summary) == ZH][-2:]
        try:
            completion = await self.llm.complete(add_messages(title, abstract, topics, examples),
                                                 operation="add", caller=caller)
        except Exception as exc:
            log.warning("no Chinese summary for %s: %s", arxiv_id, explain_failure(exc))
            return None
        written = checked_summary(completion.text, set(self.kb.catalog) | {arxiv_id}, topics)
        if written is None:
            log.warning("the model's summary of %s was unusable; the English abstract stands in", arxiv_id)
            if self.llm.ledger and completion.call_id:
                self.llm.ledger.amend(completion.call_id, "fallback: unusable summary")
        return written

    # -- drafts -----------------------------------------------------------------------
    async def finish_drafts(self, caller: Caller = CLI) -> list[str]:
        """Writes the Chinese summary of every draft row in the inbox (needs a model); the
        IDs whose rows were rewritten. The caller re-reads and ingests the tables."""
        if self.llm is None or not self.inbox.path.is_file():
            return []
        done = []
        for paper in await self.offload(lambda: self.inbox.read().papers):
            if not paper.draft:
                continue
            written = await self._write(paper.arxiv_id, paper.title, paper.abstract or paper.summary, caller)
            if written is not None:
                summary, topics = written
                if await self.offload(self.inbox.replace_summary, paper.arxiv_id, summary, topics or paper.topics):
                    done.append(paper.arxiv_id)
        return done


_EMPTIED = re.compile(r"\s*[（(]\s*(?:見|见|see)?\s*[）)]", re.IGNORECASE)
_TOPICS_LINE = re.compile(r"^\W*(?:主題|主题|topics?)\s*[:：]\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_SUMMARY_LINE = re.compile(r"^\W*(?:摘要|summary)\s*[:：]\s*", re.IGNORECASE | re.MULTILINE)


def checked_summary(text: str, known_ids: set[str], topics: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """The summary in Traditional Chinese with no invented arXiv IDs, and the topics it
    names that the list has (or one new topic when none of them fits); None if unusable."""
    if echoes_prompt(text):
        return None
    start = _SUMMARY_LINE.search(text)
    summary = text[start.end():] if start else _TOPICS_LINE.sub("", text)
    summary = check_citations(" ".join(summary.split()), [], known_ids)[0]  # no markers, no unknown IDs
    summary = _EMPTIED.sub("", summary)  # "（見 arXiv:…）" whose ID was not real
    summary = to_traditional_characters(summary)
    if len(summary) < _MIN_SUMMARY or detect_language(summary) != ZH:
        return None
    named = []
    if line := _TOPICS_LINE.search(text[: start.start()] if start else text):
        named = [to_traditional_characters(t.strip(" 。.")) for t in re.split(r"[、，,;；/]+", line[1])
                 if t.strip(" 。.")]
    known = {name_key(t): t for t in topics}
    chosen = tuple(dict.fromkeys(known[name_key(t)] for t in named if name_key(t) in known))[:3]
    if not chosen and named and len(named[0]) <= 20:
        chosen = (named[0],)  # none fits: one new topic, as the model named it
    return summary, chosen


def open_adder(config: Config, kb: KnowledgeBase, llm: ChatModel | None = None, offload=None) -> Adder:
    inbox = Inbox(config.inbox_path, header_source=next((p for p in config.table_paths if p.is_file()), None))
    client = ArxivClient(config.arxiv.api_base, min_interval=config.arxiv.min_interval,
                         timeout=config.arxiv.timeout)
    return Adder(kb, inbox, client, llm, offload)
