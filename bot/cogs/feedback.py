"""/feedback (admins): the 👍/👎 counts on this server's answers, by command, mode and
model, with the 👎 reasons. The buttons themselves are bot.buttons'."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.checks import admins_only
from bot.i18n import language_for, t
from bot.render import NO_MENTIONS

if TYPE_CHECKING:
    from bot.app import PaperBot



class Feedback(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot

    @app_commands.command(name="feedback", description="Admin: 👍/👎 counts on the bot's answers in this server")
    @admins_only()
    @app_commands.describe(days="Only votes from the last N days (default: all)")
    async def feedback(self, interaction: discord.Interaction,
                       days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        since = self.bot.clock() - dt.timedelta(days=days) if days else None
        counts = self.bot.engine.people.feedback_counts(since, guild_id=interaction.guild_id)
        if not counts["up"] and not counts["down"]:
            await interaction.edit_original_response(content=t("feedback.none", language))
            return
        embed = render.feedback_embed(counts, language, since.date().isoformat() if since else None)
        await interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)


async def setup(bot: PaperBot) -> None:
    await bot.add_cog(Feedback(bot))
