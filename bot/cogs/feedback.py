"""👍/👎 under every answer, the 👎 reason, and /feedback (admins).

Every answer the bot shows (slash commands, channel threads, digests) is recorded with
what is needed to learn from it (rag.people) and gets, on its last page, 👍 and 👎
buttons whose custom IDs carry the record's ID, and ⭐ to save its sources. They are
DynamicItems, registered when the cog loads, so they keep working after a restart.

A vote is private: the voter gets an ephemeral note; the message never shows counts
(admins see them with /feedback, operators with `paperbot feedback`). 👎 opens a modal
for an optional reason; the vote counts from the click, whether or not it is submitted.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.cogs.people import SaveButton, SaveSelect, acknowledge, guarded, people_of, tell
from bot.i18n import language_for, t
from bot.render import NO_MENTIONS, clip
from bot.replies import Buttons
from rag.answers.operations import Answer
from rag.people import DOWN, MAX_NOTE, REASONS, UP

if TYPE_CHECKING:
    from bot.app import PaperBot

SAVE_BUTTONS = 10  # sources shown as ⭐ buttons (two rows); a longer answer gets one select instead


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"pb:vote:(?P<answer>\d+):(?P<way>up|down)"):
    def __init__(self, answer_id: int, way: str):
        super().__init__(discord.ui.Button(emoji="👍" if way == "up" else "👎", style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:vote:{answer_id}:{way}", row=0))
        self.answer_id, self.way = answer_id, way

    @classmethod
    async def from_custom_id(cls, interaction, item, match):
        return cls(int(match["answer"]), match["way"])

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot, language = interaction.client, language_for(interaction.locale)
        people = people_of(bot)
        if not people.answer_exists(self.answer_id):  # one indexed read: well within the 3 s
            await interaction.response.send_message(t("vote.gone", language), ephemeral=True)
            return
        if self.way == "down":
            await interaction.response.send_modal(ReasonModal(self.answer_id, language))  # the acknowledgement
            people.vote(self.answer_id, interaction.user.id, DOWN, bot.clock())
            return
        await acknowledge(interaction)
        found = people.vote(self.answer_id, interaction.user.id, UP, bot.clock())
        await tell(interaction, t("vote.up" if found else "vote.gone", language))


class ReasonModal(discord.ui.Modal):
    """Why 👎: one of REASONS and a few words, both optional."""

    def __init__(self, answer_id: int, language: str):
        super().__init__(title=clip(t("vote.modal_title", language), 45), custom_id=f"pb:why:{answer_id}",
                         timeout=900)
        self.answer_id, self.language = answer_id, language
        self.reason = discord.ui.Select(custom_id="pb:why:reason", required=False, min_values=0, max_values=1,
                                        options=[discord.SelectOption(label=t(f"reason.{r}", language), value=r)
                                                 for r in REASONS])
        self.note = discord.ui.TextInput(custom_id="pb:why:note", style=discord.TextStyle.short, required=False,
                                         max_length=MAX_NOTE)
        self.add_item(discord.ui.Label(text=t("vote.reason_label", language), component=self.reason))
        self.add_item(discord.ui.Label(text=t("vote.note_label", language), component=self.note))

    @guarded
    async def on_submit(self, interaction: discord.Interaction) -> None:
        await acknowledge(interaction)
        reason = self.reason.values[0] if self.reason.values else None
        people = people_of(interaction.client)
        people.give_reason(self.answer_id, interaction.user.id, reason, self.note.value)
        gone = not people.answer_exists(self.answer_id)
        await tell(interaction, t("vote.gone", self.language) if gone else
                   t("vote.down", self.language, reason=t(f"reason.{reason or 'none'}", self.language)))


def answer_view(answer_id: int, answer: Answer, language: str) -> discord.ui.View:
    """👍 👎, then ⭐ for each source (cited ones with their [n]); a long list as one select."""
    view = discord.ui.View(timeout=None)
    view.add_item(VoteButton(answer_id, "up"))
    view.add_item(VoteButton(answer_id, "down"))
    sources = [(f"[{c.n}] {c.title}", c.arxiv_id) for c in answer.citations]
    sources += [(c.title, c.arxiv_id) for c in answer.sources]
    unique: dict[str, str] = {}
    for label, arxiv_id in sources:  # each paper once
        unique.setdefault(arxiv_id, label)
    sources = list(unique.items())
    if len(sources) <= SAVE_BUTTONS:
        for n, (arxiv_id, label) in enumerate(sources):
            view.add_item(SaveButton(arxiv_id, f"⭐ {clip(label, 30)}", row=1 + n // 5))
    elif sources:
        view.add_item(SaveSelect.of([(label, arxiv_id) for arxiv_id, label in sources], t("save.pick", language),
                                    row=1))
    return view


def answer_buttons(bot: PaperBot, question: str, asker_id: int | None, guild_id: int | None,
                   ref: str | None = None) -> Buttons:
    """What a reply shows under a finished answer: the answer is recorded (once per `ref`),
    then its view is made."""

    async def make(answer: Answer) -> discord.ui.View:
        answer_id = people_of(bot).record_answer(answer, question, asker_id=asker_id, guild_id=guild_id,
                                                 now=bot.clock(), ref=ref)
        return answer_view(answer_id, answer, answer.language)

    return make


class Feedback(commands.Cog):
    ITEMS = (VoteButton,)

    def __init__(self, bot: PaperBot):
        self.bot = bot

    @app_commands.command(name="feedback", description="Admin: 👍/👎 counts on the bot's answers in this server")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)  # the default can be changed by server admins
    @app_commands.guild_only()
    @app_commands.describe(days="Only votes from the last N days (default: all)")
    async def feedback(self, interaction: discord.Interaction,
                       days: app_commands.Range[int, 1, 3650] | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        since = self.bot.clock() - dt.timedelta(days=days) if days else None
        counts = people_of(self.bot).feedback_counts(since, guild_id=interaction.guild_id)
        if not counts["up"] and not counts["down"]:
            await interaction.edit_original_response(content=t("feedback.none", language))
            return
        embed = render.feedback_embed(counts, language, since.date().isoformat() if since else None)
        await interaction.edit_original_response(embed=embed, allowed_mentions=NO_MENTIONS)
