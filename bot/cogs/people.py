"""Saved papers and privacy: ⭐ Save (on answers, /paper cards and weekly DMs), /saved (with 🗳
to nominate a saved paper for the paper club),
/recommend from saved papers, and /forget-me.

A user's list is theirs alone: every reply about it is ephemeral, and a button acts on
the list of whoever clicks it (custom IDs carry a paper or a page, never a user), so a
button seen by someone else cannot touch another person's list. Buttons are discord.py
DynamicItems registered when the cog loads: they keep working after a restart.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.buttons import ID
from bot.club_actions import NominateButton
from bot.i18n import language_for, t
from bot.render import NO_MENTIONS
from bot.replies import guarded

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

PAGE_SIZE = 5  # saved papers per page: one row of remove buttons


# -- /saved: pages of the user's list, each paper with a remove button --------------------
def saved_message(bot: PaperBot, user_id: int, page: int, language: str, in_guild: bool = False
                  ) -> tuple[discord.Embed | None, discord.ui.View | None, str | None]:
    """(embed, view) of one page of the user's saved papers, or the text for an empty list;
    in a server, each paper can also be 🗳 nominated for the paper club."""
    ids = bot.engine.people.saved(user_id)
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
        if in_guild and arxiv_id in bot.kb.catalog:
            view.add_item(NominateButton(arxiv_id, f"🗳 {n}", row=2))
    if page > 0:
        view.add_item(SavedPageButton(page - 1, "◀", row=1))
    if page < pages - 1:
        view.add_item(SavedPageButton(page + 1, "▶", row=1))
    return embed, view, None


async def _show_saved(interaction: discord.Interaction, page: int) -> None:
    """Redraws the /saved message the clicked button is on (the click is acknowledged already)."""
    embed, view, text = saved_message(interaction.client, interaction.user.id, page, language_for(interaction.locale),
                                      interaction.guild_id is not None)
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
        interaction.client.engine.people.unsave(interaction.user.id, self.arxiv_id)
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
    def __init__(self, bot: PaperBot):
        self.bot = bot

    @app_commands.command(name="saved", description="Your saved papers (only you see them), with remove buttons")
    async def saved(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view, text = saved_message(self.bot, interaction.user.id, 0, language_for(interaction.locale),
                                          interaction.guild_id is not None)
        await interaction.edit_original_response(content=text, embed=embed, allowed_mentions=NO_MENTIONS,
                                                 **({"view": view} if view else {}))

    @app_commands.command(name="forget-me", description="Stop everything and delete what paperbot keeps about you")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        deleted = self.bot.engine.people.forget(interaction.user.id)
        club = self.bot.engine.club.forget(interaction.user.id)
        log.info("forgot a user on request: %s, club %s", deleted, club)  # counts only, no ID
        text = t("forget.done", language, **deleted)
        if any(club.values()):  # a paper club member also hears what went from there
            text += "\n" + t("club.forgotten", language, **club)
        await interaction.edit_original_response(content=text, allowed_mentions=NO_MENTIONS)


async def setup(bot: PaperBot) -> None:
    bot.add_dynamic_items(UnsaveButton, SavedPageButton)  # /saved pages keep working after a restart
    await bot.add_cog(People(bot))
