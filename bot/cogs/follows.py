"""/follow, /following and the weekly DM of new papers that match what a member follows.

Opt-in only: nothing is sent to anyone who never used /follow. The DM goes after the
weekly digest of the server where the member last used /follow (the Digest cog calls
`after_digests` at the end of each check), at most once per digest slot, with at most
DM_PAPERS papers, best first; no DM when nothing matches. Each DM covers the papers
added since the member's previous one: none twice, none skipped.

A DM that fails is logged once and never retried in a loop: closed DMs (Discord code
50007) or a user Discord no longer knows pause that member's DMs until they run /follow
again (which tells them when their DMs are closed); any other failure leaves this
week's papers for next week's DM. The digest itself is already posted by then.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.buttons import SaveButton
from bot.i18n import language_for, papers_label, t
from bot.render import NO_MENTIONS, clip, escape, follow_text
from bot.replies import guarded
from rag.follows import DM_PAPERS, match_follows, new_papers
from rag.papers.topics import resolve_topics
from rag.people import MAX_FOLLOWS, MAX_VALUE, Follower
from rag.text.language import visible_text

if TYPE_CHECKING:
    from bot.app import PaperBot

log = logging.getLogger(__name__)

WEEK = dt.timedelta(days=7)
CLOSED_DMS = 50007  # Discord: "Cannot send messages to this user"


def dm_nonce(user_id: int, slot: dt.datetime) -> str:
    """Discord returns the first message instead of sending a DM again for a repeated nonce
    (a restart between sending and recording it)."""
    return hashlib.sha1(f"follow:{user_id}:{slot.isoformat()}".encode()).hexdigest()[:25]


class UnfollowButton(discord.ui.DynamicItem[discord.ui.Button], template=r"pb:unfollow:(?P<id>\d+)"):
    """Removes one of the clicker's follows (the ID is only ever looked up with their user ID)."""

    def __init__(self, follow_id: int, label: str, row: int | None = None):
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           custom_id=f"pb:unfollow:{follow_id}"), row=row)
        self.follow_id = follow_id

    @classmethod
    async def from_custom_id(cls, interaction, item: discord.ui.Button, match):
        return cls(int(match["id"]), item.label or "✕")

    @guarded
    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer()  # acknowledged: the list is redrawn in place
        interaction.client.engine.people.unfollow(interaction.user.id, self.follow_id)
        embed, view, text = following_message(interaction.client, interaction.user.id,
                                              language_for(interaction.locale))
        await interaction.edit_original_response(content=text, embed=embed, view=view, allowed_mentions=NO_MENTIONS)


def following_message(bot: PaperBot, user_id: int, language: str):
    """(embed, view, text): the user's follows with a remove button each, or a text when none."""
    people = bot.engine.people
    follows = people.follows(user_id)
    if not follows:
        return None, None, t("following.empty", language)
    follower = people.follower(user_id)
    embed = render.following_embed([(f.kind, f.value) for f in follows], bool(follower and follower.paused), language)
    view = discord.ui.View(timeout=None)
    for n, follow in enumerate(follows, 1):  # at most MAX_FOLLOWS = 4 rows of 5
        view.add_item(UnfollowButton(follow.id, f"✕ {n}", row=(n - 1) // 5))
    return embed, view, None


class Follows(commands.Cog):
    def __init__(self, bot: PaperBot):
        self.bot = bot

    # -- commands -------------------------------------------------------------------
    @app_commands.command(name="follow",
                          description="Follow a topic, an author or an interest: new papers come by DM each week")
    @app_commands.guild_only()
    @app_commands.describe(topic="A topic from the list", author="An author's name, as arXiv lists it",
                           interest="Anything you want to read about, in your words")
    async def follow(self, interaction: discord.Interaction, topic: str | None = None, author: str | None = None,
                     interest: str | None = None) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = language_for(interaction.locale)
        text = await self._follow(interaction, language, {"topic": topic, "author": author, "interest": interest})
        await interaction.edit_original_response(content=clip(text, render.CONTENT), allowed_mentions=NO_MENTIONS)

    async def _follow(self, interaction: discord.Interaction, language: str, given: dict[str, str | None]) -> str:
        wanted = [(kind, " ".join(visible_text(value).split())[:MAX_VALUE]) for kind, value in given.items() if value]
        wanted = [(kind, value) for kind, value in wanted if value]
        if not wanted:
            return t("follow.need_one", language)
        people, now = self.bot.engine.people, self.bot.clock()
        slot, cutoff = self._digest_of(interaction.guild_id)
        added, already, notes, starting = [], [], [], False
        for kind, value in wanted:
            follow, new, start = people.follow(interaction.user.id, interaction.guild_id, kind, value, language,
                                               since=cutoff or now - WEEK, last_slot=slot, now=now)
            if follow is None:
                notes.append(t("follow.full", language, limit=MAX_FOLLOWS))
                break
            starting |= start
            (added if new else already).append(follow_text(kind, value, language))
            if kind == "topic" and not resolve_topics(value, [name for name, _ in self.bot.listing()[1]]):
                notes.append(t("follow.new_topic", language, topic=render.literal(value)))
            if kind == "author" and not any(value.casefold() in a.casefold() for p in self.bot.kb.catalog.values()
                                            for a in p.authors):
                notes.append(t("follow.no_author", language, author=render.literal(value)))
        lines = []
        if added:
            lines.append(t("follow.done", language, what=", ".join(added), limit=DM_PAPERS))
        if already:
            lines.append(t("follow.already", language, what=", ".join(already)))
        lines += notes
        if slot is None:
            lines.append(t("follow.no_digest", language))
        if starting and (added or already) and not await self._welcome(interaction, language):
            lines.append(t("follow.dms_closed", language))
        return "\n".join(lines)

    def _digest_of(self, guild_id: int | None) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The server's digest: (last slot handled, cut-off), or (None, None) without one."""
        digest = self.bot.get_cog("Digest")
        settings = digest.state.guilds.get(guild_id) if digest else None
        return (settings.last_slot, settings.cutoff) if settings else (None, None)

    async def _welcome(self, interaction: discord.Interaction, language: str) -> bool:
        """A first DM, which also finds out whether DMs reach the user; False (and DMs
        paused) when they don't."""
        try:
            await interaction.user.send(t("follow.welcome", language, guild=escape(interaction.guild.name)),
                                        allowed_mentions=NO_MENTIONS)
            return True
        except (discord.Forbidden, discord.NotFound) as exc:
            log.info("cannot DM a new follower (%s): their weekly DMs wait for them to run /follow again", exc.code)
            self.bot.engine.people.pause(interaction.user.id, None, "dms_closed")
            return False

    @follow.autocomplete("topic")
    async def topic_autocomplete(self, interaction: discord.Interaction, current: str):
        needle, language = current.strip().casefold(), language_for(interaction.locale)
        return [app_commands.Choice(name=clip(f"{topic} · {papers_label(count, language)}", 100), value=clip(topic, 100))
                for topic, count in self.bot.listing()[1] if needle in topic.casefold()][:25]

    @app_commands.command(name="following", description="What you follow, with remove buttons")
    async def following(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        embed, view, text = following_message(self.bot, interaction.user.id, language_for(interaction.locale))
        await interaction.edit_original_response(content=text, embed=embed, allowed_mentions=NO_MENTIONS,
                                                 **({"view": view} if view else {}))

    # -- the weekly DMs -------------------------------------------------------------
    async def after_digests(self, digests: dict[int, tuple[dt.datetime | None, dt.datetime | None]]) -> list[int]:
        """Sends the DMs due after the servers' digests (guild -> (last slot handled,
        cut-off)); returns the users who got one. Never raises: the digest is done."""
        sent = []
        try:
            people = self.bot.engine.people
            for follower in people.due(digests):
                slot, cutoff = digests[follower.guild_id]
                if await self._dm(people, follower, slot, cutoff or slot):
                    sent.append(follower.user_id)
        except Exception:
            log.exception("weekly follow DMs stopped; the rest go at the next check")
        return sent

    async def _dm(self, people, follower: Follower, slot: dt.datetime, until: dt.datetime) -> bool:
        """One follower's DM for `slot`, covering papers added after their `since` up to `until`."""
        user_id = follower.user_id
        try:
            papers = new_papers(self.bot.kb.catalog, follower.since, until)
            matches = await self.bot.answerer.offload(match_follows, self.bot.kb, people.follows(user_id), papers)
            if matches:
                language = follower.language
                embed = render.follow_dm_embed([(m.paper, [(f.kind, f.value) for f in m.because]) for m in matches],
                                               follower.since.date().isoformat(), until.date().isoformat(), language)
                view = discord.ui.View(timeout=None)
                for n, match in enumerate(matches, 1):
                    view.add_item(SaveButton(match.paper.arxiv_id, f"⭐ {n}", row=(n - 1) // 5))
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                await user.send(embed=embed, view=view, nonce=dm_nonce(user_id, slot), allowed_mentions=NO_MENTIONS)
            people.dm_done(user_id, slot, until)
            return bool(matches)
        except (discord.Forbidden, discord.NotFound) as exc:  # closed DMs, blocked, or gone: asking again won't help
            why = "dms_closed" if exc.code == CLOSED_DMS else "unreachable"
            log.warning("weekly DM to user %s not sent (%s, code %s); paused until they run /follow again",
                        user_id, why, exc.code)
            people.pause(user_id, slot, why)
        except Exception as exc:
            log.warning("weekly DM to user %s failed (%s); its papers go in next week's", user_id,
                        exc if isinstance(exc, discord.HTTPException) else repr(exc))
            people.dm_done(user_id, slot, None)
        return False


async def setup(bot: PaperBot) -> None:
    bot.add_dynamic_items(UnfollowButton)  # /following keeps working after a restart
    await bot.add_cog(Follows(bot))
