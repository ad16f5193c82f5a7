"""Saved papers and privacy: ⭐ Save (on answers, /paper cards and weekly DMs), /saved,
/recommend from saved papers, and /forget-me.

A user's list is theirs alone: every reply about it is ephemeral, and a button acts on
the list of whoever clicks it (custom IDs carry a paper or a page, never a user), so a
button seen by someone else cannot touch another person's list. Buttons are discord.py
DynamicItems registered when the cog loads: they keep working after a restart.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.errors import user_message
from bot.i18n import language_for, t
from bot.render import NO_MENTIONS, clip, literal
from bot.replies import answer_interaction, send_private
from rag.records import open_db
from rag.people import MAX_SAVED, People as PeopleStore

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

PAGE_SIZE = 5  # saved papers per page: one row of remove buttons
ID = r"[0-9A-Za-z./-]+"  # an arXiv ID as it appears in a custom ID


def people_of(bot: PaperBot) -> PeopleStore:
    return PeopleStore(open_db(bot.config.state_dir))


def guarded(callback: Callable[..., Awaitable[None]]):
    """A button or modal callback whose failure reaches the user in plain words (discord.py
    only logs what a DynamicItem's callback raises)."""

    @functools.wraps(callback)
    async def run(self, interaction: discord.Interaction, *args) -> None:
        try:
            await callback(self, interaction, *args)
        except Exception as exc:
            text = user_message(exc, language_for(interaction.locale), f"button {getattr(self, 'custom_id', '?')}")
            try:
                await send_private(interaction, text)
            except Exception as again:  # e.g. the interaction expired
                log.warning("could not tell the user about a failed button: %s", again)

    return run


async def acknowledge(interaction: discord.Interaction) -> None:
    """Within Discord's 3 seconds, before any work: a private "thinking…" the answer replaces."""
    await interaction.response.defer(ephemeral=True, thinking=True)


async def tell(interaction: discord.Interaction, text: str) -> None:
    await interaction.followup.send(clip(text, render.CONTENT), ephemeral=True, allowed_mentions=NO_MENTIONS)


def _title(bot: PaperBot, arxiv_id: str) -> str:
    paper = bot.kb.catalog.get(arxiv_id)
    return f"“{clip(paper.title, 120)}”" if paper else literal(arxiv_id)


async def _save(interaction: discord.Interaction, arxiv_ids: list[str]) -> None:
    await acknowledge(interaction)
    bot, language = interaction.client, language_for(interaction.locale)
    people = people_of(bot)
    results = [(i, people.save(interaction.user.id, i, bot.clock())) for i in arxiv_ids]
    count = len(people.saved(interaction.user.id))
    lines = []
    for arxiv_id, saved in results:
        if saved is None:
            lines.append(t("save.full", language, limit=MAX_SAVED))
            break
        key = "save.done" if saved else "save.already"
        lines.append(t(key, language, title=_title(bot, arxiv_id), count=count))
    await tell(interaction, "\n".join(lines))


class SaveButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"pb:save:(?P<id>{ID})"):
    """⭐ one paper into the clicker's saved papers."""

    def __init__(self, arxiv_id: str, label: str, row: int | None = None):
        super().__init__(discord.ui.Button(label=clip(label, 80), style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:save:{arxiv_id}"), row=row)
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(match["id"], item.label or "⭐")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await _save(interaction, [self.arxiv_id])


class SaveSelect(discord.ui.DynamicItem[discord.ui.Select], template=r"pb:save-some"):
    """⭐ several papers of a long answer (a digest) at once: more than fit as buttons."""

    def __init__(self, item: discord.ui.Select):
        super().__init__(item)

    @classmethod
    def of(cls, choices: list[tuple[str, str]], placeholder: str, row: int | None = None) -> SaveSelect:
        """`choices`: (label, arXiv ID), at most 25."""
        options = [discord.SelectOption(label=clip(label, 100), value=arxiv_id) for label, arxiv_id in choices[:25]]
        return cls(discord.ui.Select(custom_id="pb:save-some", placeholder=clip(placeholder, 150), options=options,
                                     min_values=1, max_values=len(options), row=row))

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Select, match):
        return cls(item)

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await _save(interaction, list(self.item.values))


def paper_view(arxiv_id: str, language: str) -> discord.ui.View:
    """⭐ Save under a /paper card."""
    view = discord.ui.View(timeout=None)
    view.add_item(SaveButton(arxiv_id, f"⭐ {t('save.label', language)}"))
    return view


# -- /saved: pages of the user's list, each paper with a remove button --------------------
def saved_message(bot: PaperBot, user_id: int, page: int, language: str) -> tuple[discord.Embed | None, discord.ui.View | None, str | None]:
    """(embed, view) of one page of the user's saved papers, or the text for an empty list."""
    ids = people_of(bot).saved(user_id)
    if not ids:
        return None, None, t("saved.empty", language)
    pages = math.ceil(len(ids) / PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    shown = ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    first = page * PAGE_SIZE + 1
    embed = render.saved_embed([(i, bot.kb.catalog.get(i)) for i in shown], first, len(ids), page + 1, pages,
                               language)
    view = discord.ui.View(timeout=None)
    for n, arxiv_id in enumerate(shown, first):
        view.add_item(UnsaveButton(arxiv_id, page, f"✕ {n}"))
    if page > 0:
        view.add_item(SavedPageButton(page - 1, "◀", row=1))
    if page < pages - 1:
        view.add_item(SavedPageButton(page + 1, "▶", row=1))
    return embed, view, None


async def _show_saved(interaction: discord.Interaction, page: int) -> None:
    """Redraws the /saved message the clicked button is on (the click is acknowledged already)."""
    embed, view, text = saved_message(interaction.client, interaction.user.id, page, language_for(interaction.locale))
    await interaction.edit_original_response(content=text, embed=embed, view=view, allowed_mentions=NO_MENTIONS)


class UnsaveButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"pb:unsave:(?P<page>\d+):(?P<id>{ID})"):
    def __init__(self, arxiv_id: str, page: int, label: str):
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:unsave:{page}:{arxiv_id}", row=0))
        self.arxiv_id, self.page = arxiv_id, page

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(match["id"], int(match["page"]), item.label or "✕")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # acknowledged: the list is redrawn in place
        people_of(interaction.client).unsave(interaction.user.id, self.arxiv_id)
        await _show_saved(interaction, self.page)


class SavedPageButton(discord.ui.DynamicItem[discord.ui.Button], template=r"pb:saved:(?P<page>\d+)"):
    def __init__(self, page: int, label: str, row: int | None = None):
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary,
                                           custom_id=f"pb:saved:{page}"), row=row)
        self.page = page

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(int(match["page"]), item.label or "…")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await _show_saved(interaction, self.page)


class People(commands.Cog):
    ITEMS = (SaveButton, SaveSelect, UnsaveButton, SavedPageButton)

    def __init__(self, bot: PaperBot):
        self.bot = bot

    @app_commands.command(name="saved", description="Your saved papers (only you see them), with remove buttons")
    async def saved(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view, text = saved_message(self.bot, interaction.user.id, 0, language_for(interaction.locale))
        await interaction.edit_original_response(content=text, embed=embed, allowed_mentions=NO_MENTIONS,
                                                 **({"view": view} if view else {}))

    async def recommend_saved(self, interaction: discord.Interaction, count: int) -> None:
        """/recommend without an interest: more like the user's saved papers, shown to them
        only (the reasons name what they saved)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        saved = people_of(self.bot).saved(interaction.user.id)
        if not saved:
            await interaction.edit_original_response(content=t("recommend.no_saved", language))
            return
        from bot.cogs.feedback import answer_buttons

        title = t("title.recommend_saved", language)
        await answer_interaction(
            interaction, title, language,
            lambda on_text, on_queue: self.bot.answerer.recommend_from(
                saved, count, language, on_text, on_queue, self.bot.caller(interaction.user, interaction.guild)),
            self.bot.config.discord.stream_edit_interval,
            buttons=answer_buttons(self.bot, title, interaction.user.id, interaction.guild_id), ephemeral=True)

    @app_commands.command(name="forget-me", description="Stop everything and delete what paperbot keeps about you")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        deleted = people_of(self.bot).forget(interaction.user.id)
        log.info("forgot a user on request: %s", deleted)  # counts only, no ID
        await interaction.edit_original_response(content=t("forget.done", language_for(interaction.locale), **deleted),
                                                 allowed_mentions=NO_MENTIONS)
