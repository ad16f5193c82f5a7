"""How an operation's plan becomes an answer: from the answer cache when the model wrote it
before, else by the model (within the member's budget), its every claim checked and its
markers renumbered; else paperbot's own extracts, labelled with why (no model, over
budget, the model failed or wrote something unusable)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from rag.answers.answer import LLM, OFFLINE, Answer, Draft, OnText
from rag.answers.cache import AnswerCache
from rag.answers.labels import (
    CUT_OFF_LABEL,
    FALLBACK_LABEL,
    NOTHING_FOUND,
    OFFLINE_LABEL,
    REJECTED,
    UNSUPPORTED_LABEL,
    label,
    over_budget,
)
from rag.answers.prompts import build_messages, echoes_prompt, fitting_detail, format_sources, prompt_fingerprint
from rag.claims.attribution import Attribution, attribute
from rag.claims.citations import Citation, check_citations
from rag.models.chat import ChatModel, OnQueue, estimate_tokens, explain_failure
from rag.models.usage import Budget, Caller, cost
from rag.outages import MODEL, tracker
from rag.papers.table import Paper
from rag.records import key as cache_key
from rag.store.knowledge import KnowledgeBase
from rag.text.language import EN, base_language, localise

log = logging.getLogger(__name__)


@dataclass
class Plan:
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


class Composer:
    def __init__(self, kb: KnowledgeBase, llm: ChatModel | None, offload: Callable[..., Awaitable],
                 cache: AnswerCache | None = None, budget: Budget | None = None, front: str = "cli"):
        self.kb, self.llm, self.cache, self.budget, self._offload = kb, llm, cache, budget, offload
        self.front = front  # whose commands the labels name (rag.answers.labels.COMMANDS)

    @property
    def model(self) -> str | None:
        return getattr(self.llm, "model", None)

    async def compose(self, plan: Plan, on_text: OnText | None, on_queue: OnQueue | None,
                       caller: Caller) -> Answer:
        """The model's answer (from the cache when it wrote it before), or the offline one:
        without a model, over budget, or when the model failed or its answer was unusable."""
        if not plan.papers:
            return self._empty(plan.operation, plan.language, plan.notices)
        notice = label(OFFLINE_LABEL, plan.language)
        if self.llm is not None:
            key = self._key(plan)
            if key and (hit := self.cache.get(key)):  # written before: free, and shown at once
                self._record_hit(plan.operation, caller, hit["cost_usd"])
                return replace(Answer.from_dict(hit["answer"]), cached=True)
            over = self.budget.check(caller) if self.budget else None
            if over is not None:
                notice = over_budget(over, plan.language)
            else:
                answer, notice, spent = await self._from_model(plan, on_text, on_queue, caller)
                if answer is not None:
                    if key and spent is not None:
                        self.cache.put(key, plan.operation, self.llm.model, [p.arxiv_id for p in plan.papers],
                                       answer.to_dict(), *spent)
                    return answer
        # The extracts are CPU work too (jieba, sentence scoring): written in the pool.
        attribution, text, cited = await self._offload(lambda: self._checked(plan.offline(), plan, True))
        return self._finish(plan, localise(text, plan.language), cited, OFFLINE, " ".join([*plan.notices, notice]),
                            attribution)

    async def _from_model(self, plan: Plan, on_text: OnText | None, on_queue: OnQueue | None, caller: Caller):
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
            return None, label(FALLBACK_LABEL, language, reason=reason), None
        tracker(MODEL).ok()
        attribution, text, cited = await self._offload(self._checked, completion.text, plan)
        rejected = ("echo" if echoes_prompt(completion.text) else "empty" if not completion.text.strip()
                    else "uncited" if not cited else None)
        if rejected is not None:
            log.warning("model answer for %s not shown: %s", plan.operation, REJECTED[rejected][EN])
            if self.llm.ledger and completion.call_id:
                self.llm.ledger.amend(completion.call_id, f"fallback: {REJECTED[rejected][EN]}")
            return None, label(FALLBACK_LABEL, language, reason=label(REJECTED[rejected], language)), None
        notes = list(plan.notices)
        if attribution.removed:
            notes.append(label(UNSUPPORTED_LABEL, language, n=len(attribution.removed)))
        if completion.cut_off:
            notes, text = [*notes, label(CUT_OFF_LABEL, language)], f"{text} …"
        answer = self._finish(plan, localise(text, language), cited, LLM, " ".join(notes), attribution)
        usage = completion.usage
        spent = (usage.prompt_tokens, usage.completion_tokens,
                 cost(self.llm.ledger.prices, self.llm.model, usage.prompt_tokens, usage.completion_tokens)
                 if self.llm.ledger else None)
        return answer, "", None if completion.cut_off else spent  # only complete answers are served again

    def _checked(self, text: str, plan: Plan, ours: bool = False) -> tuple[Attribution, str, list[Paper]]:
        """Every claim checked against the sources (markers made true, unsupported claims
        left out), then the markers renumbered: (the attribution, the text, cited papers).
        Our own offline text is quoted from the sources: its claims are listed, never edited."""
        attribution = attribute(text, plan.papers, plan.language)
        shown = text if ours else attribution.text
        return (attribution, *check_citations(shown, plan.papers, set(self.kb.catalog), plan.renumber))

    def _detail(self, plan: Plan) -> str:
        """As much of each source as the model's context window holds, beside the rules,
        the question, the conversation and room for the answer."""
        settings = self.llm.settings
        overhead = 800 + sum(estimate_tokens(f"{q} {a}") for q, a in plan.history) + estimate_tokens(plan.question)
        return fitting_detail(plan.papers, settings.context_window - settings.max_tokens - overhead)

    def _key(self, plan: Plan) -> str | None:
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

    def _finish(self, plan: Plan, text: str, cited: list[Paper], mode: str, notice: str,
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
        return Answer(operation, label(NOTHING_FOUND, language, self.front), [], [], LLM if self.llm else OFFLINE,
                      self.model, language, " ".join(notices))
