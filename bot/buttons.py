"""The buttons and forms under answers and paper cards, shared by every cog that posts them:
👍 / 👎 (with the 👎 reason form) and ⭐ Save. They are DynamicItems whose custom IDs carry
what they act on, registered in `setup_hook` (REGISTERED), so they keep working after a
restart.

A vote is private: the voter gets an ephemeral note; the message never shows counts
(admins see them with /feedback, operators with `paperbot feedback`). 👎 opens a form
for an optional reason; the vote counts from the click, whether or not it is submitted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

from bot.i18n import language_for, t
from bot.render import clip, literal
from bot.replies import Buttons, acknowledge, guarded, tell
from rag.answers.answer import Answer
from rag.answers.notes import is_note
from rag.people import DOWN, MAX_NOTE, MAX_SAVED, REASONS, UP

if TYPE_CHECKING:
    from bot.app import PaperBot

ID = r"[0-9A-Za-z./-]+"  # an arXiv ID as it appears in a custom ID
SAVE_BUTTONS = 10  # sources shown as ⭐ buttons (two rows); a longer answer gets one select instead


def _title(bot: PaperBot, arxiv_id: str) -> str:
    paper = bot.kb.catalog.get(arxiv_id)
    return f"“{clip(paper.title, 120)}”" if paper else literal(arxiv_id)


async def _save(interaction: discord.Interaction, arxiv_ids: list[str]) -> None:
    await acknowledge(interaction)
    bot, language = interaction.client, language_for(interaction.locale)
    people = bot.engine.people
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
        people = bot.engine.people
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
        people = interaction.client.engine.people
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
    for label, arxiv_id in sources:  # each paper once; the club's notes are not papers to save
        if not is_note(arxiv_id):
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
        answer_id = bot.engine.people.record_answer(answer, question, asker_id=asker_id, guild_id=guild_id,
                                                 now=bot.clock(), ref=ref)
        return answer_view(answer_id, answer, answer.language)

    return make


REGISTERED = (VoteButton, SaveButton, SaveSelect)  # in setup_hook: they outlive restarts
