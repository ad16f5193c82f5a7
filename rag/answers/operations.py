"""The answer operations: ask, summarize, compare, recommend, digest.

Each returns an `Answer` (text with [n] markers, the cited papers, the other sources,
the mode, the model). With a model the text is written by it from delimited sources
and then checked; without one, or when the model fails, an extractive offline answer
with the same citation format is returned, clearly labelled.

The operations are coroutines: the model call is awaited (many answers wait on the
network together), while retrieval and the offline writers, which are CPU work, run
in a small thread pool of our own, never in the event loop's default executor.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from rag.text import glossary
from rag.answers.cache import AnswerCache, cache_key, normalise
from rag.pictures.charts import summary_parts
from rag.claims.citations import Citation, check_citations
from rag.claims.attribution import Attribution, attribute
from rag.papers.ids import InvalidArxivId, parse_arxiv_id, split_mentions
from rag.store.knowledge import KnowledgeBase
from rag.text.language import EN, ZH, answer_language, base_language, detect_language, localise, visible_text
from rag.store.lexical import tokenize
from rag.config import Config
from rag.models.chat import ChatModel, OnQueue, estimate_tokens, explain_failure, make_llm
from rag.outages import MODEL, STORE, tracker
from rag.papers.table import Paper
from rag.answers.prompts import build_messages, echoes_prompt, fitting_detail, format_sources, prompt_fingerprint
from rag.search.retrieval import Hit, HybridRetriever, like
from rag.answers.rewrite import Rewriter
from rag.store.chroma import SearchFilter, StoreUnavailable
from rag.papers.topics import resolve_topics
from rag.models.usage import CLI, Budget, Caller, OverBudget, cost, open_ledger

log = logging.getLogger(__name__)

LLM, OFFLINE = "llm", "offline"
WEAK_SOURCE = 0.3  # a source scoring under this fraction of the best one is left out


class Draft:
    """An answer being written: the model's text so far, checked only when someone looks
    (a front end shows a draft every second or so; the model sends dozens of pieces)."""

    def __init__(self, raw: str, check: Callable[[str], str]):
        self.raw, self._check = raw, check

    @functools.cached_property
    def text(self) -> str:
        """Provisional markers checked, nothing that recites the rules; may be empty."""
        return self._check(self.raw)


OnText = Callable[[Draft], object]


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
    cached: bool = False  # served from the answer cache: no model call, no cost
    claims: list[dict] = field(default_factory=list)  # each sentence: text, sources (arXiv IDs), score, action

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
            "cached": self.cached,
            "claims": self.claims,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        cite = lambda rows: [Citation(c["n"], c["arxiv_id"], c["title"], c["url"], tuple(c.get("authors", ())))  # noqa: E731
                             for c in rows]
        return cls(data["operation"], data["text"], cite(data["citations"]), cite(data["sources"]), data["mode"],
                   data["model"], data["language"], data.get("notice", ""), data.get("items", []),
                   data.get("cached", False), data.get("claims", []))


OFFLINE_LABEL = {
    EN: "Offline mode: no language model is configured, so these are extracts from the papers' summaries "
        "and abstracts.",
    ZH: "離線模式：未設定語言模型，以下內容摘錄自論文摘要。",
}
FALLBACK_LABEL = {
    EN: "The language model failed ({reason}); here are extracts from the paper summaries instead.",
    ZH: "語言模型無法回應（{reason}）；以下改為摘錄論文摘要。",
}
CUT_OFF_LABEL = {
    EN: "The model stopped before finishing, so this answer may be incomplete.",
    ZH: "模型在寫完之前就停止了，這個回答可能不完整。",
}
UNSUPPORTED_LABEL = {
    EN: "Left out {n} statement(s) that none of the listed papers supports.",
    ZH: "已略去 {n} 句清單中的論文都不支持的內容。",
}
STORE_DOWN_LABEL = {
    EN: "The paper store is unreachable right now, so these papers were found by word matching only; "
        "/paper and /topics still work.",
    ZH: "論文資料庫暫時無法連線，以下論文僅以關鍵字比對找到；/paper 與 /topics 仍可使用。",
}
OVER_BUDGET = {
    "requests": {EN: "You have used your {allowed} model answers for today, so this is the offline answer, which "
                     "costs nothing. Your limit resets {resets}.",
                 ZH: "你今天的 {allowed} 次模型回答已用完，以下是不需費用的離線回答。額度將於 {resets} 重置。"},
    "tokens": {EN: "You have used today's {allowed} model tokens, so this is the offline answer, which costs "
                   "nothing. Your limit resets {resets}.",
               ZH: "你今天的 {allowed} 個模型 token 已用完，以下是不需費用的離線回答。額度將於 {resets} 重置。"},
    "guild_cost": {EN: "This server has used its model budget for the month (US${allowed:.2f}), so this is the "
                       "offline answer, which costs nothing. The budget resets {resets}.",
                   ZH: "本伺服器本月的模型預算（US${allowed:.2f}）已用完，以下是不需費用的離線回答。預算將於 {resets} 重置。"},
}
NOT_LISTED_LABEL = {
    EN: "{ids} is not in the paper list; /add {first} adds it.",
    ZH: "論文清單中沒有 {ids}；可用 /add {first} 加入。",
}
NOTHING_FOUND = {
    EN: "I found no paper in the list about that. Try other words, or `/topics` to see what the list covers.",
    ZH: "清單中沒有找到與此相關的論文。請換個說法，或用 `/topics` 查看清單涵蓋的主題。",
}
# Why a model's answer was not shown, as the reason in FALLBACK_LABEL.
_REJECTED = {
    "echo": {EN: "it repeated its instructions instead of answering", ZH: "它重複了指示而沒有回答"},
    "empty": {EN: "its answer was empty", ZH: "它的回答是空的"},
    "uncited": {EN: "no listed paper supports its answer", ZH: "清單中的論文都不支持它的回答"},
}


def _label(table: dict, language: str, **params) -> str:
    return localise(table[base_language(language)].format(**params), language)


def _over_budget(over: OverBudget, language: str) -> str:
    resets = over.resets.strftime("%Y-%m-%d %H:%M UTC")
    return _label(OVER_BUDGET[over.limit], language, allowed=over.allowed, resets=resets)




@dataclass
class _Plan:
    """What an operation hands to the model, or writes itself when there is none."""

    operation: str
    papers: list[Paper]
    language: str
    offline: Callable[[], str]
    question: str = ""
    history: list = field(default_factory=list)
    renumber: bool = True
    notices: list[str] = field(default_factory=list)
    task: dict = field(default_factory=dict)  # the prompt template's parameters
    cache_input: str = ""  # the user's input, normalised: part of the answer cache's key
    items: list[dict] = field(default_factory=list)  # the answer's structure (compared rows, reasons)
    finish: Callable[["Answer", Attribution], "Answer"] | None = None  # completes it (a listing, table cells)


class Answerer:
    def __init__(self, kb: KnowledgeBase, llm: ChatModel | None = None, *, top_k: int = 5,
                 max_question_chars: int = 2000, workers: int | None = None, cache: AnswerCache | None = None,
                 budget: Budget | None = None, rewriter: Rewriter | None = None):
        self.kb, self.llm, self.cache, self.budget, self.rewriter = kb, llm, cache, budget, rewriter
        self.top_k, self.max_question_chars = top_k, max_question_chars
        # CPU work (embedding the query, BM25, jieba) gets its own small pool, sized to
        # the cores: the event loop's default executor is shared with everything else.
        self.pool = ThreadPoolExecutor(max_workers=workers or min(4, os.cpu_count() or 2),
                                       thread_name_prefix="paperbot-cpu")

    @property
    def model(self) -> str | None:
        return getattr(self.llm, "model", None)

    async def offload(self, fn, *args, **kwargs):
        """CPU work (search, tokenising, loading indexes) in the pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def warm(self) -> None:
        """Loads what the first questions would otherwise load while others wait (jieba's
        dictionary, the everyday-word dictionary, OpenCC, the claim checker's word lists):
        a burst of questions right after a restart then queues for nothing but the work."""
        for question in ("Which method retrieves over a knowledge graph?", "有沒有结合知識圖譜的檢索方法？"):
            hits, _ = self._search(question, 1, answer_language(question))
            if hits:
                attribute(f"{hits[0].paper.title} [1].", [hits[0].paper], answer_language(question))

    # -- operations ---------------------------------------------------------------
    # Each takes `on_text` (drafts while the model writes), `on_queue` (the caller's place
    # in line for the model) and `caller` (who asks: ledger and budgets).
    async def ask(self, question: str, history: list[tuple[str, str]] = (), on_text: OnText | None = None,
                  on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        question = self._question(question)
        phrasings = await self.rewriter.phrasings(question, caller) if self.rewriter else ()
        plan = await self.offload(self._plan_ask, question, list(history), phrasings)
        return await self._compose(plan, on_text, on_queue, caller)

    async def summarize(self, target: str, language: str | None = None, on_text: OnText | None = None,
                        on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_summarize, self._question(target), language)
        return await self._compose(plan, on_text, on_queue, caller)

    async def compare(self, ids: list[str], language: str = ZH, on_text: OnText | None = None,
                      on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_compare, ids, language)
        return await self._compose(plan, on_text, on_queue, caller)

    async def recommend(self, target: str, k: int = 5, language: str | None = None, on_text: OnText | None = None,
                        on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_recommend, self._question(target), k, language)
        return await self._compose(plan, on_text, on_queue, caller)

    async def digest(self, since: dt.datetime, until: dt.datetime | None = None, language: str = ZH,
                     on_text: OnText | None = None, on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        until = until or dt.datetime.now(dt.timezone.utc)
        plan = await self.offload(self._plan_digest, since, until, language)
        if not plan.papers:
            text = {EN: f"No new papers since {since.date().isoformat()}.",
                    ZH: f"自 {since.date().isoformat()} 以來沒有新論文。"}[base_language(language)]
            return Answer("digest", localise(text, language), [], [], OFFLINE, None, language)
        return await self._compose(plan, on_text, on_queue, caller)

    # -- plans: retrieval and the offline text, CPU work in the pool -------------------
    def _plan_ask(self, question: str, history: list, phrasings: tuple[str, ...] = ()) -> _Plan:
        language = answer_language(question)
        # A follow-up ("and the second one?") is retrieved together with the earlier question;
        # one that names its own paper by ID or link is about that paper.
        named = split_mentions(question)[0]
        query = question if named else " ".join([*(q for q, _ in history[-2:]), question])
        hits, notices = self._search(query, self.top_k, language, phrasings)
        hits = [h for h in hits if h.relevant]
        # Sources far behind the best match only dilute the answer (and its citations); a
        # paper the question names is always a source, and not the measure of the others.
        best = max((h.score for h in hits if not h.named), default=0.0)
        hits = [h for h in hits if h.named or h.score >= WEAK_SOURCE * best]
        papers = [h.paper for h in hits]
        missing = [i for i in named if i not in self.kb.catalog]
        if missing:
            notices = [*notices, _label(NOT_LISTED_LABEL, language, ids=", ".join(missing), first=missing[0])]
        return _Plan("ask", papers, language, lambda: self._extracts(papers, question, language),
                     question=question, history=history, notices=notices, cache_input=normalise(question))

    def _plan_summarize(self, target: str, language: str | None) -> _Plan:
        paper = self._maybe_paper(target)
        if paper:
            language = language or ZH
            papers, what = [paper], "the paper"
        else:
            language = language or answer_language(target)
            topics = resolve_topics(target, [t for t, _ in self.kb.topics()])
            if not topics:
                raise AnswerError("unknown_topic", f"No paper ID or topic matches {target!r}; see `paperbot topics`.",
                                  target=target)
            flt = SearchFilter(topics=topics)
            papers = sorted((p for p in self.kb.catalog.values() if flt.admits(p)), key=lambda p: p.date, reverse=True)
            what = f"the {len(papers)} papers on the topic {', '.join(topics)}"
        return _Plan("summarize", papers, language, lambda: self._summaries(papers, language), task={"what": what},
                     cache_input=normalise(target))

    def _plan_compare(self, ids: list[str], language: str) -> _Plan:
        if not 2 <= len(ids) <= 4:
            raise AnswerError("compare_count", f"Compare takes 2 to 4 paper IDs; got {len(ids)}.", count=len(ids))
        normalised = [self._parse_id(i) for i in ids]
        repeated = sorted({i for i in normalised if normalised.count(i) > 1})
        if repeated:
            raise AnswerError("compare_repeated", f"{', '.join(repeated)} is given more than once.", ids=repeated)
        papers = [self._known(i) for i in normalised]
        items = [{"arxiv_id": p.arxiv_id, "title": p.title, "date": p.date.isoformat(), "topics": list(p.topics),
                  "summary": _first_sentences(p.summary, 2), "url": p.url} for p in papers]

        def finish(answer: Answer, attribution: Attribution) -> Answer:
            # Problem, method and results per paper, for the side-by-side table: the model's
            # checked lines when it wrote them, else sentences of the paper's own text.
            written = _compare_cells(attribution.text, len(papers)) if answer.mode == LLM else {}
            for n, (item, paper) in enumerate(zip(items, papers), 1):
                item.update({**summary_parts(_text_for(paper, language)), **written.get(n, {})})
            return answer

        # Papers keep the numbers the user gave them, in the text and in the table alike.
        return _Plan("compare", papers, language, lambda: self._side_by_side(papers, language),
                     task={"n": len(papers)}, cache_input=" ".join(normalised), items=items, renumber=False,
                     finish=finish)

    def _plan_recommend(self, target: str, k: int, language: str | None) -> _Plan:
        seed = self._maybe_paper(target)
        if seed:
            language = language or ZH
            query = like(seed)
        else:
            language = language or answer_language(target)
            query = target
        found, notices = self._search(query, k + 1, language)
        hits = [h for h in found if h.relevant and (seed is None or h.paper.arxiv_id != seed.arxiv_id)][:k]
        papers = [h.paper for h in hits]
        reasons = [self._reason(h, seed, target, language) for h in hits]
        items = [{"arxiv_id": h.paper.arxiv_id, "title": h.paper.title, "url": h.paper.url, "reason": r,
                  "score": h.score} for h, r in zip(hits, reasons)]

        def offline() -> str:
            return "\n".join(f"• **{p.title}** [{n}] — {r}" for n, (p, r) in enumerate(zip(papers, reasons), 1))

        interest = f"more papers like “{seed.title}”" if seed else target
        return _Plan("recommend", papers, language, offline, question=interest, notices=notices,
                     cache_input=f"{normalise(target)} {k}", items=items)

    def _plan_digest(self, since: dt.datetime, until: dt.datetime, language: str) -> _Plan:
        papers = sorted((p for p in self.kb.catalog.values() if p.added_at and since < p.added_at <= until),
                        key=lambda p: (p.date, p.arxiv_id), reverse=True)
        groups: dict[str, list[Paper]] = {}
        for paper in papers:  # each paper once, under its first topic
            groups.setdefault(paper.topics[0] if paper.topics else "—", []).append(paper)
        by_size = sorted(groups.items(), key=lambda g: -len(g[1]))
        ordered = [p for _, ps in by_size for p in ps]
        number = {p.arxiv_id: n for n, p in enumerate(ordered, 1)}
        listing = "\n\n".join(f"**{topic}**\n" + "\n".join(f"• [{number[p.arxiv_id]}] {p.title}" for p in ps)
                               for topic, ps in by_size)

        def overview_offline() -> str:
            top = ", ".join(f"{t} ({len(ps)})" for t, ps in by_size[:3])
            return {EN: f"{len(papers)} new papers in {len(groups)} topics; most on {top}.",
                    ZH: f"本週新增 {len(papers)} 篇論文，涵蓋 {len(groups)} 個主題；最多的是 {top}。"}[base_language(language)]

        def finish(answer: Answer, attribution: Attribution) -> Answer:
            # The listing cites every paper, numbered as the sources were given to the model.
            answer.text = f"{answer.text}\n\n{localise(listing, language)}"
            answer.citations = [Citation.of(n, p) for n, p in enumerate(ordered, 1)]
            answer.sources = []
            answer.items = [{"topic": t, "papers": [p.arxiv_id for p in ps]} for t, ps in groups.items()]
            return answer

        period = f"between {since.date().isoformat()} and {until.date().isoformat()}"
        return _Plan("digest", ordered, language, overview_offline, renumber=False, task={"period": period},
                     finish=finish)

    def _search(self, query: str, k: int, language: str,
                phrasings: tuple[str, ...] = ()) -> tuple[list[Hit], list[str]]:
        """Hybrid search; while the Chroma server is down, word matching alone (the lexical
        index and the catalog are in memory), with a notice that says so."""
        try:
            hits = self.kb.store._guard(lambda: HybridRetriever(self.kb, k=k).search(query, extra_queries=phrasings))
        except StoreUnavailable as exc:
            tracker(STORE).failed(str(exc))
            hits = HybridRetriever(self.kb, k=k, dense=False).search(query, extra_queries=phrasings)
            return hits, [_label(STORE_DOWN_LABEL, language)]
        tracker(STORE).ok()
        return hits, []

    # -- composition --------------------------------------------------------------
    async def _compose(self, plan: _Plan, on_text: OnText | None, on_queue: OnQueue | None,
                       caller: Caller) -> Answer:
        """The model's answer (from the cache when it wrote it before), or the offline one:
        without a model, over budget, or when the model failed or its answer was unusable."""
        if not plan.papers:
            return self._empty(plan.operation, plan.language, plan.notices)
        notice = _label(OFFLINE_LABEL, plan.language)
        if self.llm is not None:
            key = self._cache_key(plan)
            if key and (hit := self.cache.get(key)):  # written before: free, and shown at once
                self._record_hit(plan.operation, caller, hit["cost_usd"])
                return replace(Answer.from_dict(hit["answer"]), cached=True)
            over = self.budget.check(caller) if self.budget else None
            if over is not None:
                notice = _over_budget(over, plan.language)
            else:
                answer, notice, spent = await self._from_model(plan, on_text, on_queue, caller)
                if answer is not None:
                    if key and spent is not None:
                        self.cache.put(key, plan.operation, self.llm.model, [p.arxiv_id for p in plan.papers],
                                       answer.to_dict(), *spent)
                    return answer
        # The extracts are CPU work too (jieba, sentence scoring): written in the pool.
        attribution, text, cited = await self.offload(lambda: self._checked(plan.offline(), plan, True))
        return self._finish(plan, localise(text, plan.language), cited, OFFLINE, " ".join([*plan.notices, notice]),
                            attribution)

    async def _from_model(self, plan: _Plan, on_text: OnText | None, on_queue: OnQueue | None, caller: Caller):
        """(answer, "", its tokens and cost when worth caching) or (None, why not shown, None)."""
        language, papers, renumber = plan.language, plan.papers, plan.renumber
        known = set(self.kb.catalog)
        messages = build_messages(plan.operation, papers, language, plan.question, plan.history,
                                  detail=self._detail(plan), **plan.task)

        def check(text: str) -> str:
            return "" if echoes_prompt(text) else localise(check_citations(text, papers, known, renumber)[0],
                                                           language)

        try:
            completion = await self.llm.complete(
                messages, on_text=(lambda raw: on_text(Draft(raw, check))) if on_text else None,
                on_queue=on_queue, operation=plan.operation, caller=caller)
        except Exception as exc:  # the user still gets the sources
            self._model_failed(plan.operation, exc)
            reason = localise(explain_failure(exc, base_language(language)), language)
            return None, _label(FALLBACK_LABEL, language, reason=reason), None
        tracker(MODEL).ok()
        attribution, text, cited = await self.offload(self._checked, completion.text, plan)
        rejected = ("echo" if echoes_prompt(completion.text) else "empty" if not completion.text.strip()
                    else "uncited" if not cited else None)
        if rejected is not None:
            log.warning("model answer for %s not shown: %s", plan.operation, _REJECTED[rejected][EN])
            if self.llm.ledger and completion.call_id:
                self.llm.ledger.amend(completion.call_id, f"fallback: {_REJECTED[rejected][EN]}")
            return None, _label(FALLBACK_LABEL, language, reason=_label(_REJECTED[rejected], language)), None
        notes = list(plan.notices)
        if attribution.removed:
            notes.append(_label(UNSUPPORTED_LABEL, language, n=len(attribution.removed)))
        if completion.cut_off:
            notes, text = [*notes, _label(CUT_OFF_LABEL, language)], f"{text} …"
        answer = self._finish(plan, localise(text, language), cited, LLM, " ".join(notes), attribution)
        usage = completion.usage
        spent = (usage.prompt_tokens, usage.completion_tokens,
                 cost(self.llm.ledger.prices, self.llm.model, usage.prompt_tokens, usage.completion_tokens)
                 if self.llm.ledger else None)
        return answer, "", None if completion.cut_off else spent  # only complete answers are served again

    def _checked(self, text: str, plan: _Plan, ours: bool = False) -> tuple[Attribution, str, list[Paper]]:
        """Every claim checked against the sources (markers made true, unsupported claims
        left out), then the markers renumbered: (the attribution, the text, cited papers).
        Our own offline text is quoted from the sources: its claims are listed, never edited."""
        attribution = attribute(text, plan.papers, plan.language)
        shown = text if ours else attribution.text
        return (attribution, *check_citations(shown, plan.papers, set(self.kb.catalog), plan.renumber))

    def _detail(self, plan: _Plan) -> str:
        """As much of each source as the model's context window holds, beside the rules,
        the question, the conversation and room for the answer."""
        settings = self.llm.settings
        overhead = 800 + sum(estimate_tokens(f"{q} {a}") for q, a in plan.history) + estimate_tokens(plan.question)
        return fitting_detail(plan.papers, settings.context_window - settings.max_tokens - overhead)

    def _cache_key(self, plan: _Plan) -> str | None:
        """None when the answer may not be cached (no cache; a follow-up in a thread)."""
        if self.cache is None or plan.history:
            return None
        return cache_key(plan.operation, plan.cache_input, format_sources(plan.papers, self._detail(plan)), plan.task,
                         plan.language, self.llm.model, prompt_fingerprint(plan.operation))

    def _record_hit(self, operation: str, caller: Caller, saved: float | None) -> None:
        if self.llm.ledger is not None:
            self.llm.ledger.record(caller=caller, operation=operation, model=self.llm.model, cached=True,
                                   saved_usd=saved, outcome="ok")

    @staticmethod
    def _model_failed(operation: str, exc: Exception) -> None:
        import openai

        if isinstance(exc, openai.APIConnectionError) and not isinstance(exc, openai.APITimeoutError):
            tracker(MODEL).failed(explain_failure(exc))  # once per outage, not per question
        else:
            log.warning("model failed for %s: %s", operation, explain_failure(exc))

    def _finish(self, plan: _Plan, text: str, cited: list[Paper], mode: str, notice: str,
                attribution: Attribution) -> Answer:
        citations = [Citation.of(n, p) for n, p in enumerate(cited, 1)]
        cited_ids = {p.arxiv_id for p in cited}
        others = [p for p in plan.papers if p.arxiv_id not in cited_ids]
        sources = [Citation.of(len(citations) + n, p) for n, p in enumerate(others, 1)]
        claims = [{**c.to_dict(), "text": localise(c.text, plan.language)} for c in attribution.claims]
        answer = Answer(plan.operation, text, citations, sources, mode, self.model if mode == LLM else None,
                        plan.language, notice, items=plan.items, claims=claims)
        return plan.finish(answer, attribution) if plan.finish else answer

    def _empty(self, operation: str, language: str, notices: list[str] = ()) -> Answer:
        return Answer(operation, _label(NOTHING_FOUND, language), [], [], LLM if self.llm else OFFLINE,
                      self.model, language, " ".join(notices))

    # -- offline writers ------------------------------------------------------------
    def _extracts(self, papers: list[Paper], question: str, language: str) -> str:
        wanted = set(tokenize(question + " " + " ".join(glossary.expand(question))))
        lines = [f"• **{p.title}** ({p.date.isoformat()}) — {_best_sentences(_text_for(p, language), wanted)} [{n}]"
                 for n, p in enumerate(papers, 1)]
        intro = {EN: "The closest papers in the list:", ZH: "清單中最相關的論文："}[base_language(language)]
        return intro + "\n" + "\n".join(lines)

    def _summaries(self, papers: list[Paper], language: str) -> str:
        if len(papers) == 1:
            p = papers[0]
            return f"**{p.title}** [1]\n{p.date.isoformat()} · {'、'.join(p.topics)}\n\n{_text_for(p, language)} [1]"
        return "\n".join(f"• **{p.title}** ({p.date.isoformat()}) — {_first_sentences(_text_for(p, language), 2)} [{n}]"
                         for n, p in enumerate(papers, 1))

    def _side_by_side(self, papers: list[Paper], language: str) -> str:
        labels = {EN: ("Date", "Topics", "Summary"), ZH: ("日期", "主題", "摘要")}[base_language(language)]
        blocks = [
            f"**[{n}] {p.title}**\n{labels[0]}: {p.date.isoformat()} · {labels[1]}: {'、'.join(p.topics)}\n"
            f"{labels[2]}: {_first_sentences(_text_for(p, language), 3)} [{n}]"
            for n, p in enumerate(papers, 1)
        ]
        shared = set(papers[0].topics).intersection(*(p.topics for p in papers[1:]))
        if shared:
            blocks.append({EN: "Shared topics: ", ZH: "共同主題："}[base_language(language)] + "、".join(sorted(shared)))
        return "\n\n".join(blocks)

    def _reason(self, hit: Hit, seed: Paper | None, target: str, language: str) -> str:
        lang = base_language(language)
        shared = [t for t in hit.paper.topics if seed and t in seed.topics]
        if not seed:
            shared = [t for t in hit.paper.topics if any(t.casefold() in x.casefold() or x.casefold() in t.casefold()
                                                        for x in [target, *glossary.expand(target)])]
        parts = []
        if shared:
            parts.append({EN: "shares topics ", ZH: "共同主題："}[lang] + "、".join(shared))
        words = sorted(set(tokenize(target)) & set(tokenize(f"{hit.paper.title} {hit.paper.summary}")), key=len,
                       reverse=True)[:4] if not seed else []
        if words:
            parts.append({EN: "mentions ", ZH: "提到 "}[lang] + ", ".join(words))
        if hit.dense_similarity:
            parts.append({EN: f"similarity {hit.dense_similarity:.2f}", ZH: f"相似度 {hit.dense_similarity:.2f}"}[lang])
        return "; ".join(parts) or {EN: "close in wording", ZH: "用詞相近"}[lang]

    # -- inputs -------------------------------------------------------------------
    def _question(self, text: str) -> str:
        text = visible_text(text)
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

    # -- more like a user's saved papers (rag.people) --------------------------------
    async def recommend_from(self, saved_ids: list[str], k: int = 5, language: str = ZH,
                             on_text: OnText | None = None, on_queue: OnQueue | None = None,
                             caller: Caller = CLI) -> Answer:
        """Papers like the ones a user saved (most recent first), never one of them; each
        with a reason naming the saved paper it is most like."""
        plan = await self.offload(self._plan_recommend_from, list(saved_ids), k, language)
        return await self._compose(plan, on_text, on_queue, caller)

    SAVED_SEEDS = 10  # the most recently saved papers a recommendation starts from

    def _plan_recommend_from(self, saved_ids: list[str], k: int, language: str) -> _Plan:
        saved = set(saved_ids)
        seeds = [self.kb.catalog[i] for i in saved_ids if i in self.kb.catalog][: self.SAVED_SEEDS]
        totals: dict[str, float] = {}
        best: dict[str, tuple[float, Paper, dict]] = {}  # arXiv ID -> (score, the seed it is most like, its item)
        notices: list[str] = []
        for seed in seeds:  # "more like this paper" for each, summed: liked by several seeds ranks first
            plan = self._plan_recommend(seed.arxiv_id, k + min(len(saved), 50), language)
            notices = notices or plan.notices
            for item in plan.items:
                if item["arxiv_id"] in saved:
                    continue
                totals[item["arxiv_id"]] = totals.get(item["arxiv_id"], 0.0) + item["score"]
                if item["score"] > best.get(item["arxiv_id"], (-1.0,))[0]:
                    best[item["arxiv_id"]] = (item["score"], seed, item)
        chosen = sorted(totals, key=lambda i: -totals[i])[:k]
        papers = [self.kb.catalog[i] for i in chosen]
        like = {EN: "like “{title}”: {reason}", ZH: "與「{title}」相近：{reason}"}[base_language(language)]
        items = [{**best[i][2], "score": round(totals[i], 6), "like": best[i][1].arxiv_id,
                  "reason": like.format(title=best[i][1].title, reason=best[i][2]["reason"])} for i in chosen]

        def offline() -> str:
            return "\n".join(f"• **{p.title}** [{n}] — {item['reason']}"
                             for n, (p, item) in enumerate(zip(papers, items), 1))

        titles = "; ".join(f"“{s.title}”" for s in seeds)
        return _Plan("recommend", papers, language, offline, question=f"more papers like the ones I saved: {titles}",
                     notices=notices, items=items, cache_input="saved: " + " ".join(s.arxiv_id for s in seeds))


def open_answerer(config: Config, kb: KnowledgeBase) -> Answerer:
    """The answer engine as configured: the model (if any) with its ledger, the answer
    cache and the budgets, all in paperbot's one SQLite store."""
    ledger = open_ledger(config)
    llm = make_llm(config, ledger=ledger)
    cache = AnswerCache(ledger.db, config.cache.max_entries) if config.cache.enabled else None
    rewriter = Rewriter(llm, ledger.db) if llm and config.retrieval.rewrite else None
    return Answerer(kb, llm, top_k=config.retrieval.top_k, max_question_chars=config.retrieval.max_question_chars,
                    cache=cache, budget=Budget(config.budget, ledger), rewriter=rewriter)


_ROWS = {"problem": ("problem", "問題", "问题", "motivation", "動機"), "method": ("method", "方法", "approach"),
         "results": ("result", "結果", "结果", "finding")}
_LINE_MARKER = re.compile(r"^[\s*•·+-]*\[(\d+)\]\s*[:：-]?\s*")


def _compare_cells(text: str, n: int) -> dict[int, dict[str, str]]:
    """{paper number: {problem|method|results: its line}} from a comparison written in
    sections (a heading, then a line per paper starting with its number)."""
    cells: dict[int, dict[str, str]] = {}
    row = None
    for line in text.splitlines():
        heading = line.strip().strip("*#_:：- ").casefold()
        named = next((r for r, words in _ROWS.items() if any(heading.startswith(w) for w in words)), None)
        if named and len(heading) <= 20:
            row = named
            continue
        if row and (marker := _LINE_MARKER.match(line)) and 1 <= int(marker[1]) <= n:
            cell = re.sub(r"\s*\[\d+\]", "", line[marker.end():]).strip(" *")
            if cell:
                cells.setdefault(int(marker[1]), {})[row] = cell
    return cells


def _text_for(paper: Paper, language: str) -> str:
    """What an offline answer quotes: the English abstract for an English reader when
    arXiv gave one, else the group's Chinese summary."""
    return paper.abstract if language == EN and paper.abstract else paper.summary


_SENTENCE = re.compile(r"(?<=[。！？；!?])|(?<=\.)\s+")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _joined(sentences: list[str], text: str) -> str:
    """Chinese sentences run on; English ones are separated by a space."""
    return ("" if re.search(r"[\u3400-\u9fff]", text) else " ").join(sentences)


def _first_sentences(text: str, n: int) -> str:
    return _joined(_sentences(text)[:n], text)


def _best_sentences(summary: str, wanted: set[str], n: int = 2) -> str:
    sentences = _sentences(summary)
    scored = sorted(range(len(sentences)), key=lambda i: -len(wanted & set(tokenize(sentences[i]))))
    chosen = sorted(scored[:n]) if wanted and any(wanted & set(tokenize(s)) for s in sentences) else list(range(n))
    return _joined([sentences[i] for i in chosen if i < len(sentences)], summary)
