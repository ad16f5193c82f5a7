"""A new paper's row in the group's format, for papers added by ID (rag.store.add): its
Traditional-Chinese summary and 1-3 topics (from the list's own topic names) written by
the model and checked like an answer (no invented arXiv IDs, the right script); without a
model, the English abstract stands in as a draft, with the topics of the nearest listed
papers."""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import replace

from rag.answers.prompts import add_messages, echoes_prompt
from rag.claims.citations import check_citations
from rag.models.chat import ChatModel, explain_failure
from rag.models.usage import Caller
from rag.papers.arxiv import ArxivEntry
from rag.papers.table import Paper
from rag.search.retrieval import HybridRetriever
from rag.store.knowledge import KnowledgeBase
from rag.text.language import ZH, detect_language
from rag.text.script import name_key, to_traditional_characters

log = logging.getLogger(__name__)

UNSORTED = "未分類"  # the topic of a paper nothing in the list resembles
NEAR = 0.5  # neighbours scoring under this fraction of the nearest do not vote on topics
_MIN_SUMMARY = 40  # characters: anything shorter is not a summary


class RowWriter:
    def __init__(self, kb: KnowledgeBase, llm: ChatModel | None = None):
        self.kb, self.llm = kb, llm

    def draft(self, entry: ArxivEntry) -> Paper:
        """The row without a model: the English abstract, the nearest papers' topics (CPU work)."""
        return Paper(arxiv_id=entry.arxiv_id, title=entry.title, date=entry.published,
                     summary=entry.abstract or entry.title, topics=self._neighbour_topics(entry),
                     abstract=entry.abstract, authors=entry.authors, draft=True)

    async def finish(self, draft: Paper, caller: Caller) -> Paper:
        """The draft with the model's summary and topics, or the draft as it was."""
        if self.llm is None or not draft.abstract:
            return draft
        written = await self.write(draft.arxiv_id, draft.title, draft.abstract, caller)
        if written is None:
            return draft
        summary, topics = written
        return replace(draft, summary=summary, topics=topics or draft.topics, draft=False)

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

    async def write(self, arxiv_id: str, title: str, abstract: str,
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
