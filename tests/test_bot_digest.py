"""The weekly digest on a controllable clock: set up by an admin with /digest-channel,
posted once per due slot, not repeated after a restart, one catch-up after missed weeks,
nothing (or the configured note) in a week without new papers."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace

import pytest

from conftest import bot_config, running_bot
from rag.config import DigestSettings

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
    config = replace(bot_config(tmp_path, discord_server), digest=DIGEST)
    return discord_server, config, fresh_kb, seed_papers


def digest_posts(server) -> list:
    return server.messages_in("digest")


def linked_ids(messages) -> set[str]:
    return {m for msg in messages for e in msg.embeds for f in e.get("fields", [])
            for m in re.findall(r"arxiv\.org/abs/([\d.]+)\)", f["value"])}


def saved_state(config) -> dict:
    """What the bot keeps on disk, read from a fresh connection to its store."""
    from rag.db import Database

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
