"""The weekly digest on a controllable clock: set up by an admin with /digest-channel,
posted once per due slot, not repeated after a restart, one catch-up after missed weeks,
nothing (or the configured note) in a week without new papers."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import replace

import pytest

from conftest import bot_config, running_bot
from rag.config import DigestSettings
from rag.papers.table import Paper

UTC = dt.timezone.utc
# Mondays at 09:00 in Taipei are Mondays at 01:00 UTC.
DIGEST = DigestSettings(weekday="monday", time="09:00", timezone="Asia/Taipei")


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def setup(discord_server, fresh_kb, seed_papers, tmp_path):
    """A group whose list already held one paper: the papers a test ingests arrive when it says."""
    config = replace(bot_config(tmp_path, discord_server), digest=DIGEST)
    fresh_kb.ingest([Paper("2401.00001", "An Older Paper", dt.date(2024, 1, 2), "較早的論文。", ("其他",))],
                    now=at("2024-01-03T00:00"))
    return discord_server, config, fresh_kb, seed_papers


def digest_posts(server) -> list:
    return server.messages_in("digest")


def linked_ids(messages) -> set[str]:
    return {m for msg in messages for e in msg.embeds for f in e.get("fields", [])
            for m in re.findall(r"arxiv\.org/abs/([\d.]+)\)", f["value"])}


def saved_state(config) -> dict:
    """What the bot keeps on disk, read from a fresh connection to its store."""
    from rag.records import Database

    rows = Database(config.state_dir / "paperbot.sqlite").query("SELECT * FROM digests")
    return {str(r["guild_id"]): dict(r) for r in rows}


async def test_the_digest_posts_once_when_due_survives_a_restart_and_catches_up(setup):
    server, config, kb, papers = setup
    clock = Clock(at("2024-06-05T12:00"))  # a Wednesday
    kb.ingest(papers[:5], now=at("2024-06-04T10:00"))

    async with running_bot(config, kb, clock=clock) as bot:
        inter = server.send_interaction("digest-channel", {"channel": "digest"}, user="admin")
        note = (await inter.wait_settled()).content
        assert inter.ephemeral and note.startswith(
            f"The weekly digest goes to <#{server.channels['digest']}> every Monday at 09:00 (Asia/Taipei).")
        assert "<t:1717981200:F>" in note  # Monday 2024-06-10 01:00 UTC, shown in the reader's timezone
        digest = bot.get_cog("Digest")

        assert await digest.tick(at("2024-06-10T00:59")) == []  # 08:59 in Taipei: not yet
        assert await digest.tick(at("2024-06-10T01:00")) == [server.guild_id]
        (post,) = digest_posts(server)
        assert post.embeds[0]["title"] == "Weekly digest · 2024-06-03 – 2024-06-10"  # the previous 7 days
        assert linked_ids([post]) == {p.arxiv_id for p in papers[:5]}
        assert await digest.tick(at("2024-06-10T01:30")) == []

    state = saved_state(config)[str(server.guild_id)]
    assert state["last_slot"] == "2024-06-10T01:00:00+00:00" and state["cutoff"] == "2024-06-10T01:00:00+00:00"

    kb.ingest(papers[5:8], now=at("2024-06-12T10:00"))
    clock.now = at("2024-06-10T02:00")
    async with running_bot(config, kb, clock=clock) as bot:  # a restart reads the same state
        digest = bot.get_cog("Digest")
        assert await digest.tick(clock.now) == []
        assert len(digest_posts(server)) == 1

        # Three Mondays pass while the bot is not looking: one catch-up digest.
        assert await digest.tick(at("2024-07-01T03:00")) == [server.guild_id]
        assert await digest.tick(at("2024-07-01T04:00")) == []
        catch_up = digest_posts(server)[1:]
        assert catch_up[0].embeds[0]["title"] == "Weekly digest · 2024-06-10 – 2024-07-01"
        assert linked_ids(catch_up) == {p.arxiv_id for p in papers[5:8]}

        # A week without new papers posts nothing, but the week is done.
        assert await digest.tick(at("2024-07-08T01:00")) == []
        assert saved_state(config)[str(server.guild_id)]["last_slot"] == "2024-07-08T01:00:00+00:00"
    assert len(digest_posts(server)) == 2

    quiet = replace(config, digest=replace(DIGEST, empty_note="No new papers this week."))
    async with running_bot(quiet, kb, clock=clock) as bot:
        assert await bot.get_cog("Digest").tick(at("2024-07-15T01:00")) == [server.guild_id]
    assert digest_posts(server)[-1].content == "No new papers this week."
    assert not server.limit_violations
    assert all(not m.pinged_anyone for m in digest_posts(server))


# -- exactly once, whatever fails -----------------------------------------------------------
def due_now(bot, server, clock) -> None:
    """A digest for the loopback guild whose slot is due at the clock's time, covering the
    week before it."""
    from bot.state import GuildDigest

    now = clock()
    state = bot.get_cog("Digest").state
    state.set(server.guild_id, GuildDigest(server.channels["digest"], "wednesday", "12:00", "UTC", "en",
                                           last_slot=now - dt.timedelta(days=7), cutoff=now - dt.timedelta(days=7)))


def markers_in(server) -> list[str]:
    return [e["footer"]["text"].rsplit(" · digest ", 1)[-1] for m in digest_posts(server) for e in m.embeds
            if "digest " in e.get("footer", {}).get("text", "")]


async def test_a_post_that_discord_stored_but_answered_500_is_not_posted_twice(setup):
    server, config, kb, papers = setup
    clock = Clock(at("2024-06-05T12:00"))
    kb.ingest(papers, now=at("2024-06-04T10:00"))
    server.fail_next_create("digest", 500)  # stored, then "failed": discord.py sends it again
    async with running_bot(config, kb, clock=clock) as bot:
        due_now(bot, server, clock)
        assert await bot.get_cog("Digest").tick(clock()) == [server.guild_id]
    pages = digest_posts(server)
    assert len(pages) >= 2 and len(markers_in(server)) == len(set(markers_in(server))) == len(pages)
    assert linked_ids(pages) == {p.arxiv_id for p in papers}
    assert len(server.requests_to("POST", f"/channels/{server.channels['digest']}/messages")) == len(pages) + 1


async def test_a_digest_interrupted_mid_post_is_finished_after_a_restart_never_doubled(setup, discord_server):
    server, config, kb, papers = setup
    server.nonce_ttl = 0  # the restart comes too late for Discord's nonce: only the markers can tell
    clock = Clock(at("2024-06-05T12:00"))
    kb.ingest(papers, now=at("2024-06-04T10:00"))
    server.fail_next_create("digest", "hold", after=1)  # page 1 goes through, page 2 hangs
    async with running_bot(config, kb, clock=clock) as bot:
        due_now(bot, server, clock)
        tick = asyncio.create_task(bot.get_cog("Digest").tick(clock()))
        await server.wait_for(lambda: server.held_requests == 1, what="the second page's POST")
        tick.cancel()  # the bot dies here: both pages are in the channel, the slot is not marked done
    assert saved_state(config)[str(server.guild_id)]["last_slot"] != clock().isoformat()
    interrupted = digest_posts(server)
    assert len(interrupted) == 2

    async with running_bot(config, kb, clock=clock) as bot:  # restarted: its first check finishes the digest
        await bot.get_cog("Digest").tick(clock())
        assert await bot.get_cog("Digest").tick(clock()) == []
    assert digest_posts(server) == interrupted  # nothing posted twice
    state = saved_state(config)[str(server.guild_id)]
    assert state["last_slot"] == clock().isoformat() and state["cutoff"] == clock().isoformat()


async def test_papers_of_a_digest_that_found_no_channel_wait_for_the_next_one(setup):
    from bot.state import GuildDigest

    server, config, kb, papers = setup
    clock = Clock(at("2024-06-05T12:00"))
    kb.ingest(papers[:3], now=at("2024-06-04T10:00"))
    async with running_bot(config, kb, clock=clock) as bot:
        digest = bot.get_cog("Digest")
        week_ago = clock() - dt.timedelta(days=7)
        digest.state.set(server.guild_id, GuildDigest(424242, "wednesday", "12:00", "UTC", "en",
                                                      last_slot=week_ago, cutoff=week_ago))  # a deleted channel
        assert await digest.tick(clock()) == []
        assert digest.state.guilds[server.guild_id].cutoff == week_ago  # the papers were not used up
        due_now(bot, server, Clock(clock() + dt.timedelta(days=7)))  # an admin points it at #digest
        digest.state.set(server.guild_id, replace(digest.state.guilds[server.guild_id], cutoff=week_ago))
        assert await digest.tick(clock() + dt.timedelta(days=7)) == [server.guild_id]
    assert linked_ids(digest_posts(server)) == {p.arxiv_id for p in papers[:3]}


async def test_the_first_digest_is_about_what_is_new_not_the_whole_table(setup, fresh_kb, seed_papers, tmp_path):
    """A group's table, ingested for the first time: each row arrived on its own date, so a digest
    of the last week lists only the rows dated in it, and the chart's weeks are the table's."""
    from conftest import make_config
    from rag.answers.operations import Answerer
    from rag.store.knowledge import KnowledgeBase

    kb = KnowledgeBase(make_config(tmp_path / "new-group"), embed_model=fresh_kb.embed_model)
    kb.ingest(seed_papers, now=at("2024-06-02T10:00"))  # first use, a few days after the last row
    digest = await Answerer(kb).digest(at("2024-05-27T12:00"), until=at("2024-06-02T10:00"))
    listed = {p.arxiv_id for p in seed_papers if p.date >= dt.date(2024, 5, 28)}
    assert listed and {c.arxiv_id for c in digest.citations} == listed
    assert len(listed) < len(seed_papers)
