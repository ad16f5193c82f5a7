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
    VERIFY_UNAVAILABLE_LABEL,
    label,
    over_budget,
)
from rag.answers.prompts import build_messages, echoes_prompt, fitting_detail, format_sources, prompt_fingerprint
from rag.claims.attribution import ADDED, KEPT, REATTRIBUTED, REMOVED, Attribution, attribute
from rag.claims.citations import Citation, check_citations
from rag.claims.verify import FINGERPRINT as VERIFY_FINGERPRINT
from rag.claims.verify import Checked, Verifier, strike
from rag.models.chat import ChatModel, Completion, OnQueue, estimate_tokens, explain_failure
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
                 cache: AnswerCache | None = None, budget: Budget | None = None, front: str = "cli",
                 verify: str = "lexical", verifier: Verifier | None = None):
        self.kb, self.llm, self.cache, self.budget, self._offload = kb, llm, cache, budget, offload
        self.front = front  # whose commands the labels name (rag.answers.labels.COMMANDS)
        # How a model's statements are checked ([claims] verify): "model" (words, then the
        # verifier's second opinion), "lexical" (words) or "off" (only the markers).
        self.verify, self.verifier = verify, verifier if verify == "model" else None

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
        attribution, text, cited, verified = await self._second_opinion(plan, attribution, text, cited, caller)
        if not cited:  # the verifier found nothing it says stated: the sources instead
            return None, label(FALLBACK_LABEL, language, reason=label(REJECTED["uncited"], language)), None
        if isinstance(verified, Exception):
            reason = localise(explain_failure(verified, base_language(language)), language)
            notes.append(label(VERIFY_UNAVAILABLE_LABEL, language, reason=reason))
        if attribution.removed and self.verify != "off":
            notes.append(label(UNSUPPORTED_LABEL, language, n=len(attribution.removed)))
        if completion.cut_off:
            notes, text = [*notes, label(CUT_OFF_LABEL, language)], f"{text} …"
        answer = self._finish(plan, localise(text, language), cited, LLM, " ".join(notes), attribution)
        spent = self._spent(completion, verified)
        # Only complete, fully checked answers are served again.
        return answer, "", None if completion.cut_off or isinstance(verified, Exception) else spent

    async def _second_opinion(self, plan: Plan, attribution: Attribution, text: str, cited: list[Paper],
                              caller: Caller):
        """The verifier's verdicts on the sentences the words kept, in one call: the ones it
        rejects are left out, as the words' own removals are. (attribution, text, cited, the
        call's Completion, the exception that stopped it, or None when nothing was asked)."""
        if self.verifier is None:
            return attribution, text, cited, None
        by_id = {p.arxiv_id: p for p in plan.papers}
        kept = [Checked(c.text, tuple(by_id[i] for i in c.sources if i in by_id)) for c in attribution.claims
                if c.action in (KEPT, REATTRIBUTED, ADDED) and c.sources]
        try:
            judgement = await self.verifier.judge(kept, caller=caller)
        except Exception as exc:  # the answer stands, checked by its words; the reader is told
            log.warning("the second opinion on an answer failed: %s", explain_failure(exc))
            return attribution, text, cited, exc
        rejected = set(judgement.rejected)
        if rejected:
            claims = [replace(c, action=REMOVED) if c.action != REMOVED and c.text in rejected else c
                      for c in attribution.claims]
            attribution = Attribution(strike(attribution.text, sorted(rejected)), claims)
            text, cited = await self._offload(check_citations, attribution.text, plan.papers,
                                              set(self.kb.catalog), plan.renumber)
        return attribution, text, cited, judgement.completion

    def _spent(self, completion: Completion, verified) -> tuple:
        """(prompt tokens, completion tokens, US$ or None) of the answer and its second opinion."""
        calls = [(self.llm, completion.usage)]
        if isinstance(verified, Completion):
            calls.append((self.verifier.llm, verified.usage))
        prompt = sum(u.prompt_tokens for _, u in calls)
        written = sum(u.completion_tokens for _, u in calls)
        prices = [cost(m.ledger.prices, m.model, u.prompt_tokens, u.completion_tokens) if m.ledger else None
                  for m, u in calls]
        return prompt, written, None if None in prices else sum(prices)

    def _checked(self, text: str, plan: Plan, ours: bool = False) -> tuple[Attribution, str, list[Paper]]:
        """Every claim checked against the sources (markers made true, unsupported claims
        left out), then the markers renumbered: (the attribution, the text, cited papers).
        Our own offline text is quoted from the sources: its claims are listed, never edited."""
        attribution = attribute(text, plan.papers, plan.language)
        shown = text if ours or self.verify == "off" else attribution.text
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
        # How its statements were checked is part of what was written: a "lexical" answer is
        # not served where a second opinion is wanted (and today's keys stay as they were).
        verifier = self.verifier
        checked = (self.verify, verifier.llm.model, verifier.threshold, VERIFY_FINGERPRINT) if verifier else ()
        return cache_key(plan.operation, plan.cache_input, format_sources(plan.papers, self._detail(plan)), plan.task,
                         plan.language, self.llm.model, prompt_fingerprint(plan.operation), *checked)

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
