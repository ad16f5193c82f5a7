"""/add: members grow the list by arXiv ID or link, and an "Add to the list" button under
answers to questions that paste a link to a paper the list does not have yet.

Who may add is a setting (`[discord] add_role`: a role name or ID); without it, members
who may manage messages. The paper's card goes to the channel, so the group sees what
joined the list; refusals and bad input are private.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import may_add
from bot.i18n import language_for, t
from bot.render import NO_MENTIONS
from rag.errors import InputError
from rag.papers.ids import split_mentions
from rag.store.add import MAX_IDS, parse_ids

if TYPE_CHECKING:
    from bot.app import PaperBot

BUTTONS = 5  # one row


class AddButton(discord.ui.DynamicItem[discord.ui.Button], template=r"paperbot:add:(?P<id>[\w./-]{4,40})"):
    """Persistent: its custom ID carries the paper, so it works after a restart."""

    def __init__(self, arxiv_id: str, language: str = "en"):
        super().__init__(discord.ui.Button(label=t("add.button", language, id=arxiv_id)[:80],
                                           style=discord.ButtonStyle.primary, emoji="➕",
                                           custom_id=f"paperbot:add:{arxiv_id}"))
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match):
        return cls(match["id"], language_for(interaction.locale))

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Adding = interaction.client.get_cog("Adding")
        language = language_for(interaction.locale)
        if not cog.allowed(interaction.user):
            await interaction.response.send_message(cog._refusal(language), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)
        results = await cog.adder.add([self.arxiv_id], caller=interaction.client.caller(interaction.user,
                                                                                        interaction.guild))
        await interaction.client.relist()
        content, embeds = render.added(results, interaction.user.id, language)
        await interaction.edit_original_response(content=content, embeds=embeds, allowed_mentions=NO_MENTIONS)


class Adding(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot
        self.adder = bot.engine.adder

    def allowed(self, member: discord.abc.User) -> bool:
        return may_add(member, self.bot.config.discord.add_role)

    @app_commands.command(name="add", description="Add papers to the list by arXiv ID or link")
    @app_commands.describe(papers="arXiv IDs or links, separated by spaces")
    @app_commands.guild_only()
    async def add(self, interaction: discord.Interaction, papers: str) -> None:
        language = language_for(interaction.locale)
        if not self.allowed(interaction.user):
            await interaction.response.send_message(self._refusal(language), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        try:
            ids = parse_ids([papers])  # bad input is answered at once, privately
        except InputError as exc:
            await interaction.response.send_message(self._bad_input(exc, language), ephemeral=True,
                                                    allowed_mentions=NO_MENTIONS)
            return
        await interaction.response.defer(thinking=True)
        results = await self.adder.add(ids, caller=self.bot.caller(interaction.user, interaction.guild))
        await self.bot.relist()
        content, embeds = render.added(results, interaction.user.id, language)
        await interaction.edit_original_response(content=content, embeds=embeds, allowed_mentions=NO_MENTIONS)

    def _refusal(self, language: str) -> str:
        role = self.bot.config.discord.add_role
        return t("add.not_allowed_role", language, role=render.literal(role, 50)) if role \
            else t("add.not_allowed", language)

    @staticmethod
    def _bad_input(error: InputError, language: str) -> str:
        if error.code == "bad_id":
            from rag.papers.ids import VALID_FORMS

            return t("error.bad_id", language, text=render.literal(error.params["text"]), forms=VALID_FORMS)
        if error.code == "too_many":
            return t("add.too_many", language, limit=MAX_IDS, count=error.params["count"])
        return t("add.empty", language)

    # -- the button under answers --------------------------------------------------------
    async def offer(self, channel: discord.abc.Messageable, question: str, language: str) -> None:
        """After an answer: a button for each pasted paper the list does not have."""
        missing = [i for i in split_mentions(question)[0] if i not in self.bot.kb.catalog][:BUTTONS]
        if not missing:
            return
        view = discord.ui.View(timeout=None)
        for arxiv_id in missing:
            view.add_item(AddButton(arxiv_id, language))
        await channel.send(t("add.offer", language, ids=", ".join(f"`{i}`" for i in missing)), view=view,
                           allowed_mentions=NO_MENTIONS)


async def setup(bot: PaperBot) -> None:
    bot.add_dynamic_items(AddButton)  # the button under an answer keeps working after a restart
    await bot.add_cog(Adding(bot))
