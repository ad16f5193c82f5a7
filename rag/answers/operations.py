"""The answer operations: ask, summarize, compare, recommend, digest.

Each returns an `Answer` (text with [n] markers, the cited papers, the other sources,
the mode, the model). An operation plans (which papers, in which language, what the
model is asked, and the offline answer should there be no model: CPU work, run in the
engine's pool); rag.answers.compose turns the plan into the answer.

The operations are coroutines: the model call is awaited (many answers wait on the
network together), while retrieval and the offline writers run in a small thread pool
of paperbot's own, never in the event loop's default executor.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
from concurrent.futures import ThreadPoolExecutor

from rag.answers import offline
from rag.answers.answer import LLM, OFFLINE, Answer, OnText
from rag.answers.cache import AnswerCache
from rag.answers.compose import Composer, Plan
from rag.answers.labels import NOT_LISTED_LABEL, STORE_DOWN_LABEL, label
from rag.answers.notes import NotesFor
from rag.answers.rewrite import Rewriter
from rag.claims.attribution import Attribution, attribute
from rag.claims.citations import Citation
from rag.claims.verify import Verifier
from rag.errors import InputError
from rag.models.chat import ChatModel, OnQueue
from rag.models.usage import CLI, Budget, Caller
from rag.papers.ids import InvalidArxivId, parse_arxiv_id
from rag.papers.table import Paper
from rag.papers.topics import resolve_topics
from rag.search.named import like
from rag.search.question import Question
from rag.search.retrieval import WEAK_SOURCE, Hit, search_or_words
from rag.store.chroma import SearchFilter
from rag.store.knowledge import KnowledgeBase
from rag.text.language import EN, ZH, base_language, localise
from rag.text.sentences import first_sentences

SUMMARY_SEARCH = 10  # papers a summary of a subject that is not exactly a topic may take from the search
SAVED_SEEDS = 10  # the most recently saved papers a recommendation from them starts from


def cpu_pool() -> ThreadPoolExecutor:
    """ONE thread for CPU work (BM25, jieba, the claim checks). That work is Python holding
    the GIL, so a second thread adds no speed, only a second thread the event loop must win
    the GIL back from after each of its socket and SQLite calls: with two, a /paper waited
    1-2.6 s behind fifty answers finishing (benchmarks.concurrency). The embedding model
    runs outside the GIL, in rag/search/retrieval.py's dense threads."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperbot-cpu")


class Answerer:
    def __init__(self, kb: KnowledgeBase, llm: ChatModel | None = None, *, top_k: int = 5,
                 max_question_chars: int = 2000, cache: AnswerCache | None = None, budget: Budget | None = None,
                 rewriter: Rewriter | None = None, pool: ThreadPoolExecutor | None = None, front: str = "cli",
                 notes: NotesFor | None = None, verify: str = "lexical", verifier: Verifier | None = None):
        self.kb, self.llm, self.rewriter = kb, llm, rewriter
        self.notes = notes  # the group's own notes (the paper club's sessions), offered to /ask as sources
        self.top_k, self.max_question_chars = top_k, max_question_chars
        # CPU work (embedding the query, BM25, jieba) runs in a small pool of paperbot's own
        # (the engine's), never the event loop's default executor, which everything shares.
        self.pool = pool or cpu_pool()
        self.front = front  # "cli" or "discord": whose commands the notices name
        self.composer = Composer(kb, llm, self.offload, cache, budget, front, verify, verifier)

    @property
    def model(self) -> str | None:
        return self.composer.model

    @property
    def cache(self) -> AnswerCache | None:
        return self.composer.cache

    async def offload(self, fn, *args, **kwargs):
        """CPU work (search, tokenising, loading indexes) in the pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    def warm(self) -> None:
        """Loads what the first questions would otherwise load while others wait (jieba's
        dictionary, the everyday-word dictionary, OpenCC, the claim checker's word lists):
        a burst of questions right after a restart then queues for nothing but the work."""
        for text in ("Which method retrieves over a knowledge graph?", "有沒有结合知識圖譜的檢索方法？"):
            question = Question(text)
            hits, _ = self._search(question, 1)
            if hits:
                attribute(f"{hits[0].paper.title} [1].", [hits[0].paper], question.language)

    # -- operations ---------------------------------------------------------------
    # Each takes `on_text` (drafts while the model writes), `on_queue` (the caller's place
    # in line for the model) and `caller` (who asks: ledger and budgets).
    async def ask(self, question: str, history: list[tuple[str, str]] = (), on_text: OnText | None = None,
                  on_queue: OnQueue | None = None, caller: Caller = CLI, language: str | None = None) -> Answer:
        asked = Question.read(question, self.max_question_chars)
        phrasings = await self.rewriter.phrasings(asked, caller) if self.rewriter else ()
        plan = await self.offload(self._plan_ask, asked, list(history), phrasings, language, caller.guild)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    async def summarize(self, target: str, language: str | None = None, on_text: OnText | None = None,
                        on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_summarize, Question.read(target, self.max_question_chars), language)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    async def compare(self, ids: list[str], language: str = ZH, on_text: OnText | None = None,
                      on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_compare, ids, language)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    async def recommend(self, target: str, k: int = 5, language: str | None = None, on_text: OnText | None = None,
                        on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        plan = await self.offload(self._plan_recommend, Question.read(target, self.max_question_chars), k, language)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    async def recommend_from(self, saved_ids: list[str], k: int = 5, language: str = ZH,
                             on_text: OnText | None = None, on_queue: OnQueue | None = None,
                             caller: Caller = CLI) -> Answer:
        """Papers like the ones a user saved (most recent first), never one of them; each
        with a reason naming the saved paper it is most like."""
        plan = await self.offload(self._plan_recommend_from, list(saved_ids), k, language)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    async def digest(self, since: dt.datetime, until: dt.datetime | None = None, language: str = ZH,
                     on_text: OnText | None = None, on_queue: OnQueue | None = None, caller: Caller = CLI) -> Answer:
        until = until or dt.datetime.now(dt.timezone.utc)
        plan = await self.offload(self._plan_digest, since, until, language)
        if not plan.papers:
            text = {EN: f"No new papers since {since.date().isoformat()}.",
                    ZH: f"自 {since.date().isoformat()} 以來沒有新論文。"}[base_language(language)]
            return Answer("digest", localise(text, language), [], [], OFFLINE, None, language)
        return await self.composer.compose(plan, on_text, on_queue, caller)

    # -- plans: retrieval and the offline text, CPU work in the pool -------------------
    def _plan_ask(self, question: Question, history: list, phrasings: tuple[str, ...] = (),
                  language: str | None = None, guild: str = "") -> Plan:
        language = language or question.language
        # A follow-up ("and the second one?") is retrieved together with the earlier question;
        # one that names its own paper by ID or link is about that paper.
        query = question if question.ids or not history else \
            Question(" ".join([*(q for q, _ in history[-2:]), question.text]))
        hits, notices = self._search(query, self.top_k, phrasings, language)
        hits = [h for h in hits if h.relevant]
        # Sources far behind the best match only dilute the answer (and its citations); a
        # paper the question names is always a source, and not the measure of the others.
        best = max((h.score for h in hits if not h.named), default=0.0)
        hits = [h for h in hits if h.named or h.score >= WEAK_SOURCE * best]
        papers = [h.paper for h in hits]
        # What the group concluded about these papers comes first, cited to its session.
        papers = (self.notes(question, papers, guild) if self.notes else []) + papers
        missing = [i for i in question.ids if i not in self.kb.catalog]
        if missing:
            notices = [*notices, label(NOT_LISTED_LABEL, language, self.front, ids=", ".join(missing), first=missing[0])]
        return Plan("ask", papers, language, lambda: offline.extracts(papers, question.text, language),
                    question=question.text, history=history, notices=notices, cache_input=question.key)

    def _plan_summarize(self, target: Question, language: str | None) -> Plan:
        paper = self._maybe_paper(target.text)
        if paper:
            language = language or ZH
            papers, what = [paper], "the paper"
        else:
            language = language or target.language
            papers, what = self._about(target)
        return Plan("summarize", papers, language, lambda: offline.summaries(papers, language), task={"what": what},
                    cache_input=target.key)

    def _about(self, target: Question) -> tuple[list[Paper], str]:
        """The papers a summary of `target` covers: the topics it names (a topic's name or part
        of it, in either script); else every paper the search finds about it, by words and by
        meaning ("knowledge graphs" finds HippoRAG as well as the paper whose topic says it), with
        the papers of the topics it names in other words or the other language (PEFT 方法 for
        "parameter-efficient fine-tuning"). InputError when nothing is about it."""
        known = [t for t, _ in self.kb.topics()]
        topics = resolve_topics(target.text, known, translated=False)
        hits = []
        if not topics:
            topics = resolve_topics(target.text, known)
            hits = [h for h in self._search(target, SUMMARY_SEARCH)[0] if h.relevant]
        best = max((h.score for h in hits if not h.named), default=0.0)  # sources as ask takes them
        found = [h.paper for h in hits if h.named or h.score >= WEAK_SOURCE * best]
        flt = SearchFilter(topics=topics)
        listed = sorted((p for p in self.kb.catalog.values() if topics and flt.admits(p)), key=lambda p: p.date,
                        reverse=True)
        papers = list({p.arxiv_id: p for p in [*found, *listed]}.values())
        if not papers:
            raise InputError("unknown_topic", f"No paper ID or topic matches {target.text!r}; see `paperbot "
                             "topics`.", target=target.text)
        if not hits:
            return papers, f"the {len(papers)} papers on the topic {', '.join(topics)}"
        named = f" (topics: {', '.join(topics)})" if topics else ""
        return papers, f"the {len(papers)} papers about {target.text}{named}"

    def _plan_compare(self, ids: list[str], language: str) -> Plan:
        if not 2 <= len(ids) <= 4:
            raise InputError("compare_count", f"Compare takes 2 to 4 paper IDs; got {len(ids)}.", count=len(ids))
        normalised = [self._parse_id(i) for i in ids]
        repeated = sorted({i for i in normalised if normalised.count(i) > 1})
        if repeated:
            raise InputError("compare_repeated", f"{', '.join(repeated)} is given more than once.", ids=repeated)
        papers = [self._known(i) for i in normalised]
        items = [{"arxiv_id": p.arxiv_id, "title": p.title, "date": p.date.isoformat(), "topics": list(p.topics),
                  "summary": first_sentences(p.summary, 2), "url": p.url} for p in papers]

        def finish(answer: Answer, attribution: Attribution) -> Answer:
            # Problem, method and results per paper, for the side-by-side table: the model's
            # checked lines when it wrote them, else sentences of the paper's own text.
            written = offline.compare_cells(localise(attribution.text, language), len(papers)) \
                if answer.mode == LLM else {}
            for n, (item, paper) in enumerate(zip(items, papers), 1):
                item.update({**offline.summary_parts(offline.text_for(paper, language)), **written.get(n, {})})
            return answer

        # Papers keep the numbers the user gave them, in the text and in the table alike.
        return Plan("compare", papers, language, lambda: offline.side_by_side(papers, language),
                    task={"n": len(papers)}, cache_input=" ".join(normalised), items=items, renumber=False,
                    finish=finish)

    def _plan_recommend(self, target: Question, k: int, language: str | None) -> Plan:
        seed = self._maybe_paper(target.text)
        language = language or (ZH if seed else target.language)
        query = Question(like(seed)) if seed else target
        found, notices = self._search(query, k + 1, language=language)
        hits = [h for h in found if h.relevant and (seed is None or h.paper.arxiv_id != seed.arxiv_id)][:k]
        papers = [h.paper for h in hits]
        reasons = [offline.reason(h, seed, target.text, language) for h in hits]
        items = [{"arxiv_id": h.paper.arxiv_id, "title": h.paper.title, "url": h.paper.url, "reason": r,
                  "score": h.score} for h, r in zip(hits, reasons)]

        def written() -> str:
            return "\n".join(f"• **{p.title}** [{n}] — {r}" for n, (p, r) in enumerate(zip(papers, reasons), 1))

        interest = f"more papers like “{seed.title}”" if seed else target.text
        return Plan("recommend", papers, language, written, question=interest, notices=notices,
                    cache_input=f"{target.key} {k}", items=items)

    def _plan_recommend_from(self, saved_ids: list[str], k: int, language: str) -> Plan:
        saved = set(saved_ids)
        seeds = [self.kb.catalog[i] for i in saved_ids if i in self.kb.catalog][:SAVED_SEEDS]
        totals: dict[str, float] = {}
        best: dict[str, tuple[float, Paper, dict]] = {}  # arXiv ID -> (score, the seed it is most like, its item)
        notices: list[str] = []
        for seed in seeds:  # "more like this paper" for each, summed: liked by several seeds ranks first
            plan = self._plan_recommend(Question(seed.arxiv_id), k + min(len(saved), 50), language)
            notices = notices or plan.notices
            for item in plan.items:
                if item["arxiv_id"] in saved:
                    continue
                totals[item["arxiv_id"]] = totals.get(item["arxiv_id"], 0.0) + item["score"]
                if item["score"] > best.get(item["arxiv_id"], (-1.0,))[0]:
                    best[item["arxiv_id"]] = (item["score"], seed, item)
        chosen = sorted(totals, key=lambda i: -totals[i])[:k]
        papers = [self.kb.catalog[i] for i in chosen]
        like_it = {EN: "like “{title}”: {reason}", ZH: "與「{title}」相近：{reason}"}[base_language(language)]
        items = [{**best[i][2], "score": round(totals[i], 6), "like": best[i][1].arxiv_id,
                  "reason": like_it.format(title=best[i][1].title, reason=best[i][2]["reason"])} for i in chosen]

        def written() -> str:
            return "\n".join(f"• **{p.title}** [{n}] — {item['reason']}"
                             for n, (p, item) in enumerate(zip(papers, items), 1))

        titles = "; ".join(f"“{s.title}”" for s in seeds)
        return Plan("recommend", papers, language, written, question=f"more papers like the ones I saved: {titles}",
                    notices=notices, items=items, cache_input="saved: " + " ".join(s.arxiv_id for s in seeds))

    def _plan_digest(self, since: dt.datetime, until: dt.datetime, language: str) -> Plan:
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

        def overview() -> str:
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
        return Plan("digest", ordered, language, overview, renumber=False, task={"period": period}, finish=finish)

    def _search(self, question: Question, k: int, phrasings: tuple[str, ...] = (),
                language: str | None = None) -> tuple[list[Hit], list[str]]:
        """The best papers, with a notice when the paper store was down (words only)."""
        hits, store_down = search_or_words(self.kb, question, k, phrasings)
        return hits, [label(STORE_DOWN_LABEL, language or question.language, self.front)] if store_down else []

    # -- inputs -------------------------------------------------------------------
    def _parse_id(self, text: str) -> str:
        try:
            return parse_arxiv_id(text)
        except InvalidArxivId as exc:
            raise InputError("bad_id", str(exc), text=text) from None

    def _known(self, arxiv_id: str) -> Paper:
        paper = self.kb.catalog.get(arxiv_id)
        if paper is None:
            hint = ", ".join(p.arxiv_id for p in self.kb.suggest(arxiv_id))
            raise InputError("unknown_id", f"{arxiv_id} is not in the knowledge base" +
                             (f"; did you mean {hint}?" if hint else "."), arxiv_id=arxiv_id, suggestions=hint)
        return paper

    def _maybe_paper(self, text: str) -> Paper | None:
        """An ID means that paper (and must exist); anything else is free text."""
        try:
            arxiv_id = parse_arxiv_id(text)
        except InvalidArxivId:
            return None
        return self._known(arxiv_id)
