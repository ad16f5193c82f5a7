"""The composition root: everything paperbot is made of, built once from the config, the
one place that knows how the parts fit. The CLI and the bot receive an Engine (the bot as
`bot.engine`, like RoboDanny's `bot.pool`); nothing else opens the records, the store or
the model itself. Parts are built on first use, so a command that needs only the records
(`paperbot usage`) never opens Chroma or loads a model.

Parts a test brings itself (a shared knowledge base, an answerer without a cache) are
given as keyword arguments and used instead of building them.

Each part imports its modules when it is first built: `paperbot usage` reads the records
without importing Chroma, LlamaIndex or a model (seconds of start-up on a small machine).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING

from rag.config import Config
from rag.files import use_caches
from rag.records import Database

if TYPE_CHECKING:
    from rag.answers.operations import Answerer
    from rag.claims.verify import Verifier
    from rag.club.records import Club
    from rag.models.chat import ChatModel
    from rag.models.usage import Budget, Ledger
    from rag.papers.arxiv import ArxivClient
    from rag.people import People
    from rag.store.add import Adder
    from rag.store.enrich import EnrichReport
    from rag.store.knowledge import IngestReport, KnowledgeBase

log = logging.getLogger(__name__)


class Engine:
    def __init__(self, config: Config, front: str = "cli", **parts):
        """`front`: "cli" or "discord", whose commands the answers' notices name."""
        self.config, self.front = config, front
        use_caches(config.cache_dir)
        self.__dict__.update(parts)  # given parts take the place of the cached properties below
        if "answerer" in parts and parts["answerer"].notes is None:
            parts["answerer"].notes = self.notes_for  # a given answerer reads the club's notes too

    # -- the parts ------------------------------------------------------------------
    @cached_property
    def pool(self):
        """The one pool for CPU work (search, tokenising, claim checks), never the event
        loop's default executor."""
        from rag.answers.operations import cpu_pool

        return cpu_pool()

    @cached_property
    def records(self) -> Database:
        return Database(self.config.records_path)

    @cached_property
    def ledger(self) -> Ledger:
        from rag.models.usage import Ledger

        return Ledger(self.records, self.config.prices)

    @cached_property
    def budget(self) -> Budget:
        from rag.models.usage import Budget

        return Budget(self.config.budget, self.ledger)

    @cached_property
    def llm(self) -> ChatModel | None:
        """The configured language model, or None: offline mode."""
        from rag.models.chat import make_llm

        return make_llm(self.config, ledger=self.ledger)

    @cached_property
    def verifier(self) -> Verifier | None:
        """The second opinion on an answer's statements ([claims] verify = "model"), or None.
        The writer's own model unless [claims] names another model or server; either way
        its calls wait at the writer's gate and go in the same ledger, as "verify"."""
        from rag.claims.verify import Verifier
        from rag.models.chat import OPENAI_BASE, ChatModel

        config, llm = self.config, self.llm
        if config.verify_mode != "model":
            return None
        claims = config.claims
        if llm is not None and not claims.api_base and claims.model in ("", llm.model) and not claims.api_key_env:
            return Verifier(llm)
        settings = replace(config.llm, model=claims.model or config.llm.model, temperature=0.0)
        return Verifier(ChatModel(settings, config.verify_api_key, config.verify_base_url or OPENAI_BASE,
                                  gate=llm.gate if llm is not None else None, ledger=self.ledger))

    @cached_property
    def kb(self) -> KnowledgeBase:
        from rag.store.knowledge import KnowledgeBase

        return KnowledgeBase(self.config)

    @cached_property
    def answerer(self) -> Answerer:
        from rag.answers.cache import AnswerCache
        from rag.answers.operations import Answerer
        from rag.answers.rewrite import Rewriter

        config, llm = self.config, self.llm
        return Answerer(self.kb, llm, top_k=config.retrieval.top_k,
                        max_question_chars=config.retrieval.max_question_chars,
                        cache=AnswerCache(self.records, config.cache.max_entries) if config.cache.enabled else None,
                        budget=self.budget,
                        rewriter=Rewriter(llm, self.records) if llm and config.retrieval.rewrite else None,
                        verify=config.verify_mode, verifier=self.verifier,
                        pool=self.pool, front=self.front, notes=self.notes_for)

    @cached_property
    def people(self) -> People:
        from rag.people import People

        return People(self.records)

    @cached_property
    def club(self) -> Club:
        from rag.club.records import Club

        return Club(self.records)

    def notes_for(self, question, papers, guild: str) -> list:
        """The club's takeaways that answer a question about the group (rag.club.notes)."""
        from rag.club.notes import notes_for

        return notes_for(self.club, question, papers, guild)

    @cached_property
    def arxiv(self) -> ArxivClient:
        from rag.papers.arxiv import ArxivClient

        settings = self.config.arxiv
        return ArxivClient(settings.api_base, min_interval=settings.min_interval, timeout=settings.timeout)

    @cached_property
    def adder(self) -> Adder:
        from rag.answers.rows import RowWriter
        from rag.papers.inbox import Inbox
        from rag.store.add import Adder

        config = self.config
        inbox = Inbox(config.inbox_path, header_source=next((p for p in config.table_paths if p.is_file()), None))
        return Adder(self.kb, inbox, self.arxiv, RowWriter(self.kb, self.llm), self.offload)

    async def offload(self, fn: Callable, *args, **kwargs):
        """CPU work in the engine's pool, off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, functools.partial(fn, *args, **kwargs))

    # -- what the CLI and the bot both do -----------------------------------------------
    def ingest(self, paths=None, progress: bool = False) -> tuple[IngestReport, list]:
        """The tables (the configured ones by default) into the store: (the report, the
        rows skipped with why). With a model, each paper gets its English gloss once."""
        from rag.answers.gloss import Glosser
        from rag.papers.table import read_tables

        table = read_tables(paths or [p for p in self.config.table_paths if p.is_file()])
        return self.kb.ingest(table.papers, progress=progress, glosser=Glosser(self.llm)), table.errors

    def enrich(self) -> EnrichReport:
        """Abstracts and authors from arXiv for the papers without them, once each."""
        from rag.store.enrich import enrich

        return enrich(self.kb, self.arxiv, self.records)
