"""Admin commands for a member with Manage Server: /reload re-ingests the tables,
/digest-channel sets, checks and stops the weekly digest. (Refusals for normal
members are in test_bot_commands.py.)"""

from __future__ import annotations

from dataclasses import replace

from conftest import SEED, bot_config, make_config, running_bot

BROKEN_ROW = "| 2024年6月1日 | A paper without a link | 摘要 | 對齊 |\n"


async def run(server, name, options=None, **kwargs):
    inter = server.send_interaction(name, options, user="admin", **kwargs)
    note = await inter.wait_settled(timeout=20)
    assert inter.ephemeral, "admin replies are for the admin only"
    return note.content


async def test_reload_reports_added_updated_and_skipped_rows(discord_server, fresh_kb, tmp_path):
    server = discord_server
    head, *rows = [line for line in SEED.read_text(encoding="utf-8").splitlines(keepends=True)
                   if line.startswith("|")]
    table = tmp_path / "papers.md"
    table.write_text(head + rows[0] + "".join(rows[1:6]) + BROKEN_ROW, encoding="utf-8")
    base = make_config(tmp_path)
    config = bot_config(tmp_path, server, replace(base, data=replace(base.data, tables=(str(table),))))
    async with running_bot(config, fresh_kb):
        note = await run(server, "reload")
        assert note.startswith("Re-read the tables: 5 added, 0 updated, 0 unchanged, 1 rows skipped; "
                               "5 papers in the list.\nSkipped rows:\n• ")
        assert "title is not a Markdown link" in note

        table.write_text(head + "".join(rows[:8]), encoding="utf-8")
        note = await run(server, "reload", locale="zh-TW")
        assert note == "已重新匯入表格：新增 2 篇、更新 0 篇、未變 5 篇、略過 0 列；清單中共 7 篇論文。"

        # The new papers are there at once, for lookups and autocomplete alike.
        new_id = next(p for p in fresh_kb.papers() if p.arxiv_id in rows[7])
        lookup = server.send_interaction("paper", {"id": new_id.arxiv_id})
        assert (await lookup.wait_settled()).embeds[0]["url"] == new_id.url
        assert len(await server.send_autocomplete("paper", "id", "")) == 7
    assert not server.limit_violations


async def test_digest_channel_sets_checks_and_stops_the_digest(discord_server, seeded_kb, tmp_path):
    server = discord_server
    config = bot_config(tmp_path, server)
    async with running_bot(config, seeded_kb) as bot:
        state = bot.get_cog("Digest").state
        assert await run(server, "digest-channel", {"channel": "digest", "time": "25:00"}) == \
            "`25:00` is not a time of day like 09:00 (24-hour)."
        assert await run(server, "digest-channel", {"channel": "digest", "timezone": "Mars/Olympus"}) == \
            "`Mars/Olympus` is not a timezone like Asia/Taipei."
        assert state.guilds == {}

        timezones = await server.send_autocomplete("digest-channel", "timezone", "taipei", user="admin")
        assert timezones == [{"name": "Asia/Taipei", "value": "Asia/Taipei"}]

        note = await run(server, "digest-channel", {"channel": "digest", "weekday": "friday", "time": "8:30",
                                                    "timezone": "Asia/Taipei"}, locale="zh-TW")
        assert note.startswith(f"每週論文摘要將於每週五 08:30（Asia/Taipei）發佈到 <#{server.channels['digest']}>。")
        (saved,) = state.guilds.values()
        assert (saved.channel_id, saved.weekday, saved.time, saved.language) == (
            server.channels["digest"], "friday", "08:30", "zh")

        read_only = server.add_channel("announcements", bot_can_send=False)
        await server.wait_for(lambda: bot.get_channel(read_only), what="the bot to see the new channel")
        assert await run(server, "digest-channel", {"channel": read_only}) == (
            f"I can't post in <#{read_only}>: I need View Channel, Send Messages and Embed Links there.")

        assert await run(server, "digest-channel") == "The weekly digest is off for this server."
        assert state.guilds == {}
    assert not server.limit_violations
