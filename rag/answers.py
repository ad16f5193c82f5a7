"""The answer operations: ask, summarize, compare, recommend, digest.

Each returns an `Answer` (text with [n] markers, the cited papers, the other sources,
the mode, the model). With an LLM the text is written by the model from delimited
sources and then checked; without one, or when the model fails, an extractive
offline answer with the same citation format is returned, clearly labelled.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag import glossary
from rag.citations import Citation, check_citations
from rag.ids import InvalidArxivId, parse_arxiv_id
from rag.knowledge import KnowledgeBase
from rag.language import EN, ZH, detect_language
from rag.lexical import tokenize
from rag.llm import explain_failure
from rag.papers import Paper
from rag.prompts import build_messages
from rag.retrieval import Hit, HybridRetriever
from rag.store import SearchFilter
from rag.topics import resolve_topics

log = logging.getLogger(__name__)

LLM, OFFLINE = "llm", "offline"
WEAK_SOURCE = 0.3  # a source scoring under this fraction of the best one is left out
OnText = Callable[[str], None]


class AnswerError(ValueError):
    """Bad input, in plain words. `code` lets a front end say it in the user's language."""

    def __init__(self, code: str, message: str, **params):
        super().__init__(message)
        self.code, self.params = code, params


@dataclass
class Answer:
    operation: str
    text: str
    citations: list[Citation]
    sources: list[Citation]  # retrieved but not cited
    mode: str
    model: str | None
    language: str
    notice: str = ""  # e.g. why this is the offline answer
    items: list[dict] = field(default_factory=list)  # per-operation structure (rows, reasons, groups)

    def to_dict(self) -> dict:
        return {
            "operation": self.operation,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [c.to_dict() for c in self.sources],
            "mode": self.mode,
            "model": self.model,
            "language": self.language,
            "notice": self.notice,
            "items": self.items,
        }


OFFLINE_LABEL = {
    EN: "Offline mode: no language model is configured, so these are extracts from the paper summaries.",
    ZH: "離線模式：未設定語言模型，以下內容摘錄自論文摘要。",
}
FALLBACK_LABEL = {
    EN: "The language model failed ({reason}); here are extracts from the paper summaries instead.",
    ZH: "語言模型無法回應（{reason}）；以下改為摘錄論文摘要。",
}
NOTHING_FOUND = {
    EN: "I found no paper in the list about that. Try other words, or `/topics` to see what the list covers.",
    ZH: "清單中沒有找到與此相關的論文。請換個說法，或用 `/topics` 查看清單涵蓋的主題。",
}


class Answerer:
    def __init__(self, kb: KnowledgeBase, llm=None, *, top_k: int = 5, max_question_chars: int = 2000):
        self.kb, self.llm = kb, llm
        self.top_k, self.max_question_chars = top_k, max_question_chars

    @property
    def model(self) -> str | None:
        return getattr(self.llm, "model", None)

    # -- operations ---------------------------------------------------------------
    def ask(self, question: str, history: list[tuple[str, str]] = (), on_text: OnText | None = None) -> Answer:
        question = self._question(question)
        language = detect_language(question)
        # A follow-up ("and the second one?") is retrieved together with the earlier question.
        query = " ".join([*(q for q, _ in history[-2:]), question])
        hits = [h for h in HybridRetriever(self.kb, k=self.top_k).search(query) if h.relevant]
        if not hits:
            return self._empty("ask", language)
        # Sources far behind the best match only dilute the answer (and its citations).
        hits = [h for h in hits if h.score >= WEAK_SOURCE * hits[0].score]
        papers = [h.paper for h in hits]
        return self._compose("ask", papers, language, lambda: self._extracts(papers, question, language),
                             on_text, question=question, history=list(history))

    def summarize(self, target: str, language: str | None = None, on_text: OnText | None = None) -> Answer:
        target = self._question(target)
        paper = self._maybe_paper(target)
        if paper:
            language = language or ZH
            papers, what = [paper], "the paper"
        else:
            language = language or detect_language(target)
            topics = resolve_topics(target, [t for t, _ in self.kb.topics()])
            if not topics:
                raise AnswerError("unknown_topic", f"No paper ID or topic matches {target!r}; see `paperbot topics`.",
                                  target=target)
            flt = SearchFilter(topics=topics)
            papers = sorted((p for p in self.kb.catalog.values() if flt.admits(p)), key=lambda p: p.date, reverse=True)
            what = f"the {len(papers)} papers on the topic {', '.join(topics)}"
        return self._compose("summarize", papers, language, lambda: self._summaries(papers, language),
                             on_text, what=what)

    def compare(self, ids: list[str], language: str = ZH, on_text: OnText | None = None) -> Answer:
        if not 2 <= len(ids) <= 4:
            raise AnswerError("compare_count", f"Compare takes 2 to 4 paper IDs; got {len(ids)}.", count=len(ids))
        normalised = [self._parse_id(i) for i in ids]
        repeated = sorted({i for i in normalised if normalised.count(i) > 1})
        if repeated:
            raise AnswerError("compare_repeated", f"{', '.join(repeated)} is given more than once.", ids=repeated)
        papers = [self._known(i) for i in normalised]
        items = [{"arxiv_id": p.arxiv_id, "title": p.title, "date": p.date.isoformat(), "topics": list(p.topics),
                  "summary": _first_sentences(p.summary, 2), "url": p.url} for p in papers]
        answer = self._compose("compare", papers, language, lambda: self._side_by_side(papers, language),
                               on_text, n=len(papers))
        answer.items = items
        return answer

    def recommend(self, target: str, k: int = 5, language: str | None = None, on_text: OnText | None = None) -> Answer:
        target = self._question(target)
        seed = self._maybe_paper(target)
        if seed:
            language = language or ZH
            query = " ".join([seed.title, seed.gloss, " ".join(seed.topics), *glossary.expand(seed.summary)])
        else:
            language = language or detect_language(target)
            query = target
        hits = [h for h in HybridRetriever(self.kb, k=k + 1).search(query)
                if h.relevant and (seed is None or h.paper.arxiv_id != seed.arxiv_id)][:k]
        if not hits:
            return self._empty("recommend", language)
        papers = [h.paper for h in hits]
        reasons = [self._reason(h, seed, target, language) for h in hits]
        items = [{"arxiv_id": h.paper.arxiv_id, "title": h.paper.title, "url": h.paper.url, "reason": r,
                  "score": h.score} for h, r in zip(hits, reasons)]

        def offline() -> str:
            return "\n".join(f"• **{p.title}** [{n}] — {r}" for n, (p, r) in enumerate(zip(papers, reasons), 1))

        interest = f"more papers like “{seed.title}”" if seed else target
        answer = self._compose("recommend", papers, language, offline, on_text, question=interest)
        answer.items = items
        return answer

    def digest(self, since: dt.datetime, until: dt.datetime | None = None, language: str = ZH,
               on_text: OnText | None = None) -> Answer:
        until = until or dt.datetime.now(dt.timezone.utc)
        papers = sorted((p for p in self.kb.catalog.values() if p.added_at and since < p.added_at <= until),
                        key=lambda p: (p.date, p.arxiv_id), reverse=True)
        if not papers:
            text = {EN: f"No new papers since {since.date().isoformat()}.",
                    ZH: f"自 {since.date().isoformat()} 以來沒有新論文。"}[language]
            return Answer("digest", text, [], [], OFFLINE, None, language)
        groups: dict[str, list[Paper]] = {}
        for paper in papers:  # each paper once, under its first topic
            groups.setdefault(paper.topics[0] if paper.topics else "—", []).append(paper)
        ordered = [p for ps in sorted(groups.values(), key=len, reverse=True) for p in ps]
        number = {p.arxiv_id: n for n, p in enumerate(ordered, 1)}
        listing = "\n\n".join(
            f"**{topic}**\n" + "\n".join(f"• [{number[p.arxiv_id]}] {p.title}" for p in ps)
            for topic, ps in sorted(groups.items(), key=lambda g: -len(g[1]))
        )

        def overview_offline() -> str:
            top = ", ".join(f"{t} ({len(ps)})" for t, ps in sorted(groups.items(), key=lambda g: -len(g[1]))[:3])
            return {EN: f"{len(papers)} new papers in {len(groups)} topics; most on {top}.",
                    ZH: f"本週新增 {len(papers)} 篇論文，涵蓋 {len(groups)} 個主題；最多的是 {top}。"}[language]

        period = f"between {since.date().isoformat()} and {until.date().isoformat()}"
        answer = self._compose("digest", ordered, language, overview_offline, on_text, renumber=False,
                               period=period)
        # The listing cites every paper, numbered as the sources were given to the model.
        answer.text = f"{answer.text}\n\n{listing}"
        answer.citations = [Citation(n, p.arxiv_id, p.title, p.url) for n, p in enumerate(ordered, 1)]
        answer.sources = []
        answer.items = [{"topic": t, "papers": [p.arxiv_id for p in ps]} for t, ps in groups.items()]
        return answer

    # -- composition --------------------------------------------------------------
    def _compose(self, operation: str, papers: list[Paper], language: str, offline: Callable[[], str],
                 on_text: OnText | None, question: str = "", history: list = (), renumber: bool = True,
                 **task_args) -> Answer:
        known = set(self.kb.catalog)
        notice = OFFLINE_LABEL[language]
        if self.llm is not None:
            messages = build_messages(operation, papers, language, question, history, **task_args)
            try:
                raw = self._generate(messages, papers, known, on_text, renumber)
                text, cited = check_citations(raw, papers, known, renumber)
                if cited:
                    return self._answer(operation, text, cited, papers, LLM, language, "")
                notice = FALLBACK_LABEL[language].format(reason="its answer cited no source")
            except Exception as exc:  # the user still gets the sources
                log.warning("LLM failed for %s: %s", operation, explain_failure(exc), exc_info=True)
                notice = FALLBACK_LABEL[language].format(reason=explain_failure(exc))
        text, cited = check_citations(offline(), papers, known, renumber)
        return self._answer(operation, text, cited, papers, OFFLINE, language, notice)

    def _generate(self, messages, papers, known, on_text: OnText | None, renumber: bool) -> str:
        if on_text is None:
            return self.llm.chat(messages).message.content or ""
        text, shown = "", ""
        for chunk in self.llm.stream_chat(messages):
            text = chunk.message.content or ""
            checked = check_citations(text, papers, known, renumber)[0]
            if checked and checked != shown:  # only what the user has not seen yet
                shown = checked
                on_text(checked)
        return text

    def _answer(self, operation, text, cited, papers, mode, language, notice) -> Answer:
        citations = [Citation(n, p.arxiv_id, p.title, p.url) for n, p in enumerate(cited, 1)]
        cited_ids = {p.arxiv_id for p in cited}
        others = [p for p in papers if p.arxiv_id not in cited_ids]
        sources = [Citation(len(citations) + n, p.arxiv_id, p.title, p.url) for n, p in enumerate(others, 1)]
        return Answer(operation, text, citations, sources, mode, self.model if mode == LLM else None, language, notice)

    def _empty(self, operation: str, language: str) -> Answer:
        return Answer(operation, NOTHING_FOUND[language], [], [], LLM if self.llm else OFFLINE,
                      self.model, language)

    # -- offline writers ------------------------------------------------------------
    def _extracts(self, papers: list[Paper], question: str, language: str) -> str:
        wanted = set(tokenize(question + " " + " ".join(glossary.expand(question))))
        lines = [f"• **{p.title}** ({p.date.isoformat()}) — {_best_sentences(p.summary, wanted)} [{n}]"
                 for n, p in enumerate(papers, 1)]
        intro = {EN: "The closest papers in the list:", ZH: "清單中最相關的論文："}[language]
        return intro + "\n" + "\n".join(lines)

    def _summaries(self, papers: list[Paper], language: str) -> str:
        if len(papers) == 1:
            p = papers[0]
            return f"**{p.title}** [1]\n{p.date.isoformat()} · {'、'.join(p.topics)}\n\n{p.summary} [1]"
        return "\n".join(f"• **{p.title}** ({p.date.isoformat()}) — {_first_sentences(p.summary, 2)} [{n}]"
                         for n, p in enumerate(papers, 1))

    def _side_by_side(self, papers: list[Paper], language: str) -> str:
        labels = {EN: ("Date", "Topics", "Summary"), ZH: ("日期", "主題", "摘要")}[language]
        blocks = [
            f"**[{n}] {p.title}**\n{labels[0]}: {p.date.isoformat()} · {labels[1]}: {'、'.join(p.topics)}\n"
            f"{labels[2]}: {_first_sentences(p.summary, 3)} [{n}]"
            for n, p in enumerate(papers, 1)
        ]
        shared = set(papers[0].topics).intersection(*(p.topics for p in papers[1:]))
        if shared:
            blocks.append({EN: "Shared topics: ", ZH: "共同主題："}[language] + "、".join(sorted(shared)))
        return "\n\n".join(blocks)

    def _reason(self, hit: Hit, seed: Paper | None, target: str, language: str) -> str:
        shared = [t for t in hit.paper.topics if seed and t in seed.topics]
        if not seed:
            shared = [t for t in hit.paper.topics if any(t.casefold() in x.casefold() or x.casefold() in t.casefold()
                                                        for x in [target, *glossary.expand(target)])]
        parts = []
        if shared:
            parts.append({EN: "shares topics ", ZH: "共同主題："}[language] + "、".join(shared))
        words = sorted(set(tokenize(target)) & set(tokenize(f"{hit.paper.title} {hit.paper.summary}")), key=len,
                       reverse=True)[:4] if not seed else []
        if words:
            parts.append({EN: "mentions ", ZH: "提到 "}[language] + ", ".join(words))
        if hit.dense_similarity:
            parts.append({EN: f"similarity {hit.dense_similarity:.2f}", ZH: f"相似度 {hit.dense_similarity:.2f}"}[language])
        return "; ".join(parts) or {EN: "close in wording", ZH: "用詞相近"}[language]

    # -- inputs -------------------------------------------------------------------
    def _question(self, text: str) -> str:
        text = (text or "").strip()
        if not text:
            raise AnswerError("empty", "The question is empty; ask something about the papers.")
        if len(text) > self.max_question_chars:
            raise AnswerError("too_long", f"The question is {len(text)} characters long; the limit is "
                              f"{self.max_question_chars}.", length=len(text), limit=self.max_question_chars)
        return text

    def _parse_id(self, text: str) -> str:
        try:
            return parse_arxiv_id(text)
        except InvalidArxivId as exc:
            raise AnswerError("bad_id", str(exc), text=text) from None

    def _known(self, arxiv_id: str) -> Paper:
        paper = self.kb.catalog.get(arxiv_id)
        if paper is None:
            hint = ", ".join(p.arxiv_id for p in self.kb.suggest(arxiv_id))
            raise AnswerError("unknown_id", f"{arxiv_id} is not in the knowledge base" +
                              (f"; did you mean {hint}?" if hint else "."), arxiv_id=arxiv_id, suggestions=hint)
        return paper

    def _maybe_paper(self, text: str) -> Paper | None:
        """An ID means that paper (and must exist); anything else is free text."""
        try:
            arxiv_id = parse_arxiv_id(text)
        except InvalidArxivId:
            return None
        return self._known(arxiv_id)


_SENTENCE = re.compile(r"(?<=[。！？；!?])|(?<=\.)\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _first_sentences(text: str, n: int) -> str:
    return "".join(_sentences(text)[:n]) if re.search(r"[\u3400-\u9fff]", text) else " ".join(_sentences(text)[:n])


def _best_sentences(summary: str, wanted: set[str], n: int = 2) -> str:
    sentences = _sentences(summary)
    scored = sorted(range(len(sentences)), key=lambda i: -len(wanted & set(tokenize(sentences[i]))))
    chosen = sorted(scored[:n]) if wanted and any(wanted & set(tokenize(s)) for s in sentences) else list(range(n))
    return "".join(sentences[i] for i in chosen if i < len(sentences))
