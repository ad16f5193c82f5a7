"""Pictures in Discord: the weekly digest's chart, the /topics chart and the /compare table
arrive as PNG attachments shown inside the first embed, each described in words."""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import replace

from conftest import bot_config, running_bot
from rag.config import DigestSettings

UTC = dt.timezone.utc


def png_size(blob: bytes) -> tuple[int, int]:
    assert blob[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", blob[16:24])


def picture_of(message, name: str) -> bytes:
    """The attachment `name`, checked to be what the first embed shows and describes."""
    files = dict(message.files)
    assert name in files
    (attachment,) = [a for a in message.data["attachments"] if a["filename"] == name]
    assert attachment["description"]  # the text alternative travels with the file
    first = message.embeds[0]
    assert first["image"]["url"] == f"attachment://{name}"
    described = {f["name"]: f["value"] for f in first.get("fields", [])}
    assert described.get("In the picture") or described.get("圖片內容")
    return files[name]


async def test_the_weekly_digest_carries_its_chart(discord_server, fresh_kb, seed_papers, tmp_path):
    server = discord_server
    config = replace(bot_config(tmp_path, server), digest=DigestSettings(weekday="wednesday", time="12:00"))
    now = dt.datetime(2024, 6, 5, 12, 0, tzinfo=UTC)
    fresh_kb.ingest(seed_papers[:8], now=now - dt.timedelta(days=2))
    async with running_bot(config, fresh_kb, clock=lambda: now) as bot:
        from bot.state import GuildDigest

        digest = bot.get_cog("Digest")
        digest.state.set(server.guild_id, GuildDigest(server.channels["digest"], "wednesday", "12:00", "UTC", "zh",
                                                      last_slot=now - dt.timedelta(days=7),
                                                      cutoff=now - dt.timedelta(days=7)))
        assert await digest.tick(now) == [server.guild_id]
    first = server.messages_in("digest")[0]
    width, height = png_size(picture_of(first, "digest.png"))
    assert 800 <= width <= 1400 and 400 <= height <= 1400
    alt = {f["name"]: f["value"] for f in first.embeds[0]["fields"]}["圖片內容"]
    assert "8 篇" in alt  # what the chart shows, in words
    assert not server.limit_violations


async def test_topics_and_compare_show_their_pictures(discord_server, seeded_kb, tmp_path):
    server = discord_server
    async with running_bot(bot_config(tmp_path, server), seeded_kb):
        topics = server.send_interaction("topics", {})
        message = await topics.wait_settled(timeout=30)
        assert png_size(picture_of(message, "topics.png"))[0] >= 800
        assert "**多模態模型**" in message.embeds[0]["description"]  # the text list stays, for search and readers

        compare = server.send_interaction("compare", {"papers": "2405.19332 2405.00675"}, locale="en-US")
        await compare.wait_for(lambda i: i.settled and any("footer" in e for e in i.final_message().embeds), 30)
        table = picture_of(compare.final_message(), "comparison.png")
        assert png_size(table)[0] >= 800
        alt = {f["name"]: f["value"] for f in compare.final_message().embeds[0]["fields"]}["In the picture"]
        assert alt.startswith("Comparison table of 2 papers, one column each")
    assert not server.limit_violations
