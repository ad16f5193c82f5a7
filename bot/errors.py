"""What went wrong, in the user's language; the operator's log gets what they need."""

from __future__ import annotations

import logging
import math

from discord import app_commands

from bot.cooldown import OnCooldown
from bot.i18n import t
from bot.render import escape, literal
from rag.errors import InputError, StoreUnavailable
from rag.outages import STORE, tracker
from rag.papers.ids import VALID_FORMS, InvalidArxivId

log = logging.getLogger(__name__)


def user_message(error: BaseException, language: str, action: str) -> str:
    """Plain words for the user; a traceback in the log when the error was not expected
    (an outage is logged once, by its tracker, not per request)."""
    if isinstance(error, StoreUnavailable):
        tracker(STORE).failed(str(error))
    text = explain(error, language)
    if text is None:
        log.error("%s failed", action, exc_info=error)
        return t("error.unexpected", language)
    return text


def explain(error: BaseException, language: str) -> str | None:
    """The user's own mistakes and the outages they should know about; None for anything else."""
    if isinstance(error, InputError):
        params = dict(error.params)
        if error.code == "bad_id":
            return t("error.bad_id", language, text=literal(params["text"]), forms=VALID_FORMS)
        if error.code == "unknown_id":
            text = t("error.unknown_id", language, arxiv_id=params["arxiv_id"])
            hint = params.get("suggestions")
            return f"{text} {t('paper.suggestions', language)} {hint}" if hint else text
        if error.code == "unknown_topic":
            params["target"] = literal(params["target"])
        if error.code == "compare_repeated":
            params["ids"] = ", ".join(params["ids"])
        if error.code == "club_no_paper":
            params["text"] = literal(params["text"])
        if error.code == "club_not_added":  # arXiv has no such paper, or it was withdrawn, or adding failed
            return t(f"add.{params['status']}", language, id=params["id"], reason=params["reason"])
        if "title" in params:  # a paper's title in bold
            params["title"] = escape(params["title"])
        return t(f"error.{error.code}", language, **params)
    if isinstance(error, InvalidArxivId):
        return t("error.bad_id", language, text=literal(error.text), forms=VALID_FORMS)
    if isinstance(error, StoreUnavailable):
        return t("error.store", language)
    if isinstance(error, OnCooldown):
        return t("cooldown", language, seconds=math.ceil(error.retry_after))
    if isinstance(error, app_commands.MissingPermissions):
        return t("error.admin_only", language)
    if isinstance(error, app_commands.NoPrivateMessage):
        return t("error.guild_only", language)
    return None
