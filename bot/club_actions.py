"""What members do in the paper club, from a command or a button: nominate a paper (also
🗳 on /saved), ask for reminders, say they attended, add a takeaway. The buttons are
DynamicItems whose custom IDs carry the session or the paper (never a member: each acts
for whoever clicks), registered when the club cog loads, so they work after a restart.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord

from bot.buttons import ID
from bot.checks import may_add
from bot.club_render import paper_name, when
from bot.i18n import language_for, t
from bot.render import CONTENT, NO_MENTIONS, clip, escape
from bot.replies import acknowledge, guarded, tell
from rag.club import Session
from rag.club.poll import MAX_ANSWERS
from rag.club.records import MAX_TAKEAWAY
from rag.errors import InputError
from rag.store.add import ADDED, LISTED

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)


# -- nominating -----------------------------------------------------------------------------
async def nominate(bot: PaperBot, member: discord.Member, arxiv_id: str, reason: str | None,
                   language: str) -> str:
    """Nominates a listed paper; one the list lacks is added first (as /add does) when the
    member may grow the list. Returns what to tell everyone; InputError for what the club
    refuses (told privately)."""
    guild = member.guild
    paper = bot.kb.catalog.get(arxiv_id)
    lines = []
    if paper is None:
        if not may_add(member, bot.config.discord.add_role):
            raise InputError("club_not_listed", f"{arxiv_id} is not in the list.", id=arxiv_id)
        (result,) = await bot.engine.adder.add([arxiv_id], caller=bot.caller(member, guild))
        await bot.relist()
        if result.status not in (ADDED, LISTED) or result.paper is None:
            raise InputError("club_not_added", f"{arxiv_id} was not added: {result.status}.", id=arxiv_id,
                             status=result.status, reason=clip(result.reason, 300))
        paper = result.paper
        if result.status == ADDED:
            lines.append(t("add.added", language, user=member.mention, n=1))
    club = bot.engine.club
    _, place = club.nominate(guild.id, paper.arxiv_id, paper.title, member.id, reason, bot.clock())
    lines.append(t("club.nominated", language, user=member.mention, title=escape(paper.title)))
    if reason and reason.strip():
        lines.append("> " + escape(" ".join(reason.split())))
    steps = bot.get_cog("Club")
    next_vote = steps.next_vote(guild.id, bot.clock()) if steps else None
    if place > MAX_ANSWERS:
        lines.append(t("club.place_later", language, place=place, limit=MAX_ANSWERS))
    elif next_vote is None:
        lines.append(t("club.no_schedule", language))
    else:
        lines.append(t("club.place_next", language, when=when(next_vote), place=place, count=len(club.waiting(guild.id))))
    return clip("\n".join(lines), CONTENT)


class NominateButton(discord.ui.DynamicItem[discord.ui.Button], template=rf"pb:club:nominate:(?P<id>{ID})"):
    """🗳 a saved paper for the club's next vote (under /saved, in a server)."""

    def __init__(self, arxiv_id: str, label: str, row: int | None = None):
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:club:nominate:{arxiv_id}"), row=row)
        self.arxiv_id = arxiv_id

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(match["id"], item.label or "🗳")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await acknowledge(interaction)
        if interaction.guild is None:
            raise discord.app_commands.NoPrivateMessage()
        text = await nominate(interaction.client, interaction.user, self.arxiv_id, None,
                              language_for(interaction.locale))
        await tell(interaction, text)


# -- the session's thread: reminders, attendance, takeaways ---------------------------------------
def _title(bot: PaperBot, session: Session) -> str:
    return bot.engine.club.nomination(session.winner).title


def session_for_notes(bot: PaperBot, guild_id: int, channel_id: int | None, now: dt.datetime) -> Session:
    """The session a takeaway is for: the thread's own, else the latest that has met;
    InputError-free: the caller checks `meets` and says when notes open."""
    club = bot.engine.club
    here = club.by_thread(channel_id) if channel_id else None
    if here is not None and here.guild_id == guild_id:
        return here
    held = [s for s in club.sessions(guild_id) if s.winner is not None and s.cancelled is None]
    met = [s for s in held if s.meets <= now]
    return (met or held or [None])[-1]


async def add_note(bot: PaperBot, session: Session | None, member: discord.abc.User, text: str, attended: bool,
                   language: str) -> str:
    """Keeps a takeaway (after the meeting) and shares it in the session's thread."""
    now = bot.clock()
    if session is None:
        return t("club.notes_none", language)
    title = _title(bot, session)
    if now < session.meets:
        return t("club.notes_early", language, title=escape(title), meets=when(session.meets))
    club = bot.engine.club
    count = club.add_takeaway(session.id, member.id, text, now)
    if not attended:
        club.attend(session.id, member.id, False)
    try:
        thread = bot.get_channel(session.thread_id) or await bot.fetch_channel(session.thread_id)
        await thread.send(clip(t("club.note_posted", session.language, user=member.mention,
                                 text=escape(" ".join(text.split()))), CONTENT), allowed_mentions=NO_MENTIONS)
    except (discord.HTTPException, TypeError) as exc:  # kept all the same; the thread may be gone or archived
        log.info("a takeaway was kept but not shared in its thread: %s", exc)
    return t("club.noted", language, title=escape(title), count=count, name=escape(paper_name(title)))


class _SessionButton(discord.ui.DynamicItem[discord.ui.Button], template=r"pb:club:(?P<kind>remind|note|here):"
                                                                          r"(?P<session>\d+)"):
    """🔔 (reminders), 📝 (a takeaway, in a form) and ✅ (attended) under a session's messages."""

    EMOJI = {"remind": "🔔", "note": "📝", "here": "✅"}

    def __init__(self, kind: str, session_id: int, label: str):
        super().__init__(discord.ui.Button(label=clip(label, 80), emoji=self.EMOJI[kind],
                                           style=discord.ButtonStyle.primary if kind == "remind"
                                           else discord.ButtonStyle.secondary,
                                           custom_id=f"pb:club:{kind}:{session_id}"))
        self.kind, self.session_id = kind, session_id

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(match["kind"], int(match["session"]), item.label or "")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        bot, language = interaction.client, language_for(interaction.locale)
        club = bot.engine.club
        session = club.session(self.session_id)
        if self.kind == "note":
            if session is not None and bot.clock() >= session.meets:
                await interaction.response.send_modal(NoteModal(session.id, language))  # the acknowledgement
                return
            await acknowledge(interaction)
            await tell(interaction, await add_note(bot, session, interaction.user, "", True, language))
            return
        await acknowledge(interaction)
        if session is None:
            await tell(interaction, t("club.notes_none", language))
        elif self.kind == "remind":
            if session.met is not None or bot.clock() >= session.meets:
                await tell(interaction, t("club.remind_past", language))
            else:
                on = club.toggle_reminder(session.id, interaction.user.id)
                await tell(interaction, t("club.remind_on", language, meets=when(session.meets)) if on
                           else t("club.remind_off", language))
        else:
            present = interaction.user.id not in club.attended(session.id)
            club.attend(session.id, interaction.user.id, present)
            title = escape(_title(bot, session))
            await tell(interaction, t("club.here_on" if present else "club.here_off", language, title=title))


def remind_view(session_id: int, language: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(_SessionButton("remind", session_id, t("club.remind_label", language)))
    return view


def meeting_view(session_id: int, language: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(_SessionButton("note", session_id, t("club.note_label", language)))
    view.add_item(_SessionButton("here", session_id, t("club.here_label", language)))
    return view


class NoteModal(discord.ui.Modal):
    """A takeaway, in the member's own words."""

    def __init__(self, session_id: int, language: str):
        super().__init__(title=clip(t("club.note_modal", language), 45), custom_id=f"pb:club:notes:{session_id}",
                         timeout=900)
        self.session_id, self.language = session_id, language
        self.text = discord.ui.TextInput(custom_id="pb:club:notes:text", style=discord.TextStyle.paragraph,
                                         max_length=MAX_TAKEAWAY, required=True)
        self.add_item(discord.ui.Label(text=t("club.note_field", language), component=self.text))

    @guarded
    async def on_submit(self, interaction: discord.Interaction) -> None:
        await acknowledge(interaction)
        bot = interaction.client
        if not self.text.value.strip():
            raise InputError("club_empty_note", "A takeaway needs some words.")
        await tell(interaction, await add_note(bot, bot.engine.club.session(self.session_id), interaction.user,
                                               self.text.value, True, self.language))


REGISTERED = (NominateButton, _SessionButton)  # by the club cog's setup: they outlive restarts
