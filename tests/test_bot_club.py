"""The paper club, end to end, as its members see it: three members nominate, the vote opens
as a native Discord poll at the minute an admin scheduled, votes arrive, the bot dies while
the poll runs and again while it announces the winner, the poll ends, and still there is
exactly one announcement and one thread; reminders come a day and an hour before the
meeting in the club's timezone, mentioning only the members who asked; takeaways are kept
and /ask cites them to the session; /club history and `paperbot club history` list it.

The real PaperBot against the loopback Discord (which ends polls on its own clock, moved on
with `advance_clock`), on the bot's injectable clock; every test checks that Discord would
have accepted everything the bot sent and that nobody was pinged who did not ask to be."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import pytest

from cli.main import main as paperbot
from conftest import SEED, bot_config, running_bot
from rag.records import Database

UTC = dt.timezone.utc
HIPPO, GNN, LORA = "2405.14831", "2405.20139", "2405.09673"


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def stamp(text: str) -> int:
    return int(at(text).timestamp())


@pytest.fixture
def server():
    from peers.discord import DiscordServer

    with DiscordServer(channel_names=("general", "ask-papers", "club")) as discord_server:
        discord_server.add_user("mei")
        discord_server.add_user("tomas")
        yield discord_server
        assert not discord_server.limit_violations
        assert not discord_server.unhandled_requests


def pinged(message) -> set[int]:
    return set(message.pings["users"]) | ({-1} if message.pings["everyone"] or message.pings["roles"] else set())


def buttons(message) -> dict[str, dict]:
    return {c["custom_id"]: c for row in message.components for c in row["components"] if c.get("custom_id")}


async def command(server, name, options=None, **kwargs):
    inter = server.send_interaction(name, options, **kwargs)
    await inter.wait_settled(timeout=30)
    return inter


async def click(server, message, custom_id, user="member"):
    inter = server.click(message, custom_id, user=user)
    await inter.wait_for(lambda i: i.callback, timeout=5)
    if inter.callback.type != 9:
        await inter.wait_settled(timeout=20)
    return inter


def private(inter) -> str:
    message = inter.final_message()
    assert message.ephemeral
    return message.content


def club_posts(server) -> list:
    return server.messages_in("club")


async def test_a_month_of_club_in_one_session_exactly_once_through_two_crashes(server, seeded_kb, tmp_path, capsys):
    config = bot_config(tmp_path, server)
    clock = Clock(at("2024-06-03T04:00"))  # a Monday
    mei = server.user_id("mei")

    async with running_bot(config, seeded_kb, clock=clock) as bot:
        # Before anything: how the club works.
        history = (await command(server, "club history")).final_message()
        assert history.ephemeral and history.embeds[0]["description"].startswith("**How the paper club works**")

        # An admin sets the club up: Thursdays 20:00 in Taipei (12:00 UTC), votes open 24 hours.
        setup = await command(server, "club schedule", {"channel": "club", "weekday": "thursday", "time": "20:00",
                                                        "timezone": "Asia/Taipei", "poll_hours": 24}, user="admin")
        assert private(setup).startswith(f"📚 The paper club meets in <#{server.channels['club']}> every Thursday at "
                                         "20:00 (Asia/Taipei).")
        assert f"First vote: <t:{stamp('2024-06-06T12:00')}:F>" in private(setup)

        # Three members nominate: by arXiv ID with a reason, by a title from the suggestions, by a link.
        first = await command(server, "club nominate", {"paper": GNN, "reason": "graphs + RAG, our next project"})
        assert not first.ephemeral and not first.final_message().pinged_anyone
        assert first.final_message().content.startswith(
            f"🗳️ <@{server.member_id}> nominated **GNN-RAG: Graph Neural Retrieval")
        assert f"on the ballot of the next vote (<t:{stamp('2024-06-06T12:00')}:F>): 1 of 1" in \
            first.final_message().content
        choices = await server.send_autocomplete("club nominate", "paper", "hippo", user="mei")
        assert choices[0]["value"] == HIPPO
        await command(server, "club nominate", {"paper": choices[0]["value"]}, user="mei")
        await command(server, "club nominate", {"paper": f"https://arxiv.org/abs/{LORA}v2"}, user="tomas")
        again = await command(server, "club nominate", {"paper": HIPPO}, user="tomas")
        assert private(again) == "**HippoRAG: Neurobiologically Inspired Long-Term Memory for Large Language Models** " \
                                 "is already nominated for the next vote."

    async with running_bot(config, seeded_kb, clock=clock) as bot:  # a restart between nominations and the vote
        club = bot.get_cog("Club")
        await club.tick(at("2024-06-06T11:59"))  # 19:59 in Taipei: not yet
        assert not server.polls()
        clock.now = at("2024-06-06T12:00")
        await club.tick(clock.now)
        (poll_message,) = server.polls()
        poll = poll_message.poll
        assert poll["question"]["text"] == "Which paper do we read for 2024-06-13?"
        assert [a["poll_media"]["text"] for a in poll["answers"]] == [
            "GNN-RAG: Graph Neural Retrieval for Large Language…",
            "HippoRAG: Neurobiologically Inspired Long-Term Memory…", "LoRA Learns Less and Forgets Less"]
        assert all(len(a["poll_media"]["text"]) <= 55 for a in poll["answers"])
        assert f"nominated by <@{server.member_id}>: “graphs + RAG, our next project”" in poll_message.content
        assert not poll_message.pinged_anyone

        server.vote("member", poll_message, 2)
        server.vote("tomas", poll_message, 2)
        server.vote("mei", poll_message, 1)
        await club.tick(at("2024-06-06T18:00"))  # mid-poll: nothing more happens
        assert len(club_posts(server)) == 1

    # Killed mid-poll; restarted, it dies again while posting the winner: Discord stores the
    # announcement, the bot never hears back. Too late for Discord's nonce: only the marker tells.
    server.nonce_ttl = 0
    clock.now = at("2024-06-07T12:05")
    server.fail_next_create("club", "hold")
    async with running_bot(config, seeded_kb, clock=clock) as bot:
        server.advance_clock(24 * 3600)  # the poll runs out on Discord's clock: final results
        await server.wait_for(lambda: server.held_requests == 1, what="the announcement's POST", timeout=10)
    assert len(club_posts(server)) == 3  # the poll, Discord's POLL_RESULT message (in the bot's name) and
    assert not server.threads  # the announcement; no thread yet

    async with running_bot(config, seeded_kb, clock=clock) as bot:
        club = bot.get_cog("Club")
        await club.tick(clock.now)
        await club.tick(clock.now)
        thread = await server.wait_for_thread()
        opening = await server.wait_for_message(thread["id"])
    posts = club_posts(server)
    announcements = [m for m in posts if m.content.startswith("🏆")]
    assert len(announcements) == 1 and len(server.threads) == 1
    (announcement,) = announcements
    assert announcement.content.startswith("🏆 **HippoRAG: Neurobiologically Inspired Long-Term Memory for Large "
                                           "Language Models** won the vote with 2 of 3 votes. We meet "
                                           f"<t:{stamp('2024-06-13T12:00')}:F> (Thursday 20:00, Asia/Taipei)")
    assert int(thread["id"]) == announcement.id and thread["name"] == "📚 HippoRAG · 2024-06-13"

    card, summary, questions = opening.embeds
    assert card["title"].startswith("HippoRAG") and card["url"] == f"https://arxiv.org/abs/{HIPPO}"
    assert summary["title"] == "Summary" and "HippoRAG" in summary["description"]
    asked = questions["description"].splitlines()
    assert 3 <= len(asked) <= 5 and asked[0].startswith("**1.** The paper's problem: “")
    assert questions["footer"]["text"] == "From the paper's own problem, method and results."
    remind = next(i for i in buttons(opening) if i.startswith("pb:club:remind:"))

    async with running_bot(config, seeded_kb, clock=clock) as bot:
        club = bot.get_cog("Club")
        on = await click(server, opening, remind, user="mei")
        assert private(on) == ("🔔 I'll mention you in this thread a day and an hour before the meeting "
                               f"(<t:{stamp('2024-06-13T12:00')}:F>). Press again to stop.")
        await click(server, opening, remind, user="member")
        await click(server, opening, remind, user="tomas")
        off = await click(server, opening, remind, user="tomas")
        assert private(off) == "🔕 No reminders for this session."

        # Wednesday 20:00 in Taipei: a day before; Thursday 19:00: an hour before.
        await club.tick(at("2024-06-12T11:59"))
        assert len(server.messages_in(thread["id"])) == 1
        await club.tick(at("2024-06-12T12:00"))
        await club.tick(at("2024-06-13T10:59"))
        day = server.messages_in(thread["id"])[1]
        assert len(server.messages_in(thread["id"])) == 2
        assert day.content.startswith(f"🔔 <@{server.member_id}> <@{mei}>\nWe meet **tomorrow**, "
                                      f"<t:{stamp('2024-06-13T12:00')}:F> (Thursday 20:00, Asia/Taipei)")
        assert pinged(day) == {server.member_id, mei}
        assert day.allowed_mentions["parse"] == [] and sorted(map(int, day.allowed_mentions["users"])) == \
            sorted([server.member_id, mei])
        await club.tick(at("2024-06-13T11:00"))
        hour = server.messages_in(thread["id"])[2]
        assert "We meet **in an hour**" in hour.content and pinged(hour) == {server.member_id, mei}

        # The meeting: a call for takeaways in the thread; the next week's vote finds nothing nominated.
        clock.now = at("2024-06-13T12:00")
        await club.tick(clock.now)
        meeting = server.messages_in(thread["id"])[3]
        assert meeting.content.startswith("📝 It's time: the session on **HippoRAG") and not meeting.pinged_anyone
        assert club_posts(server)[-1].content.startswith("🗳️ No papers were nominated")
        await club.tick(at("2024-06-13T12:30"))
        assert len(server.messages_in(thread["id"])) == 4

        clock.now = at("2024-06-13T14:00")
        noted = await command(server, "club notes", {"takeaway": "HippoRAG's personalized PageRank over the knowledge "
                                                                 "graph is what lets one retrieval step do multi-hop"})
        assert private(noted).startswith("📝 Noted: your takeaway for **HippoRAG")
        opened = await click(server, meeting, next(i for i in buttons(meeting) if ":note:" in i), user="mei")
        submitted = server.submit_modal(opened, {"pb:club:notes:text": "It is 10-30 times cheaper than IRCoT, "
                                                                       "so we try it on our own wiki first."})
        await submitted.wait_settled(timeout=20)
        assert "(2 so far)" in private(submitted)
        here = await click(server, meeting, next(i for i in buttons(meeting) if ":here:" in i), user="tomas")
        assert private(here).startswith("✅ Noted: you were at the session on **HippoRAG")
        shared = [m.content for m in server.messages_in(thread["id"])[4:]]
        assert shared[0].startswith(f"📝 <@{server.member_id}>: HippoRAG's personalized PageRank")

        # /ask remembers what the group concluded, cited to the session like a paper.
        answer = (await command(server, "ask", {"question": "What did we conclude about HippoRAG?"})).final_message()
        text = answer.embeds[0]["description"]
        assert "personalized PageRank" in text and "[1]" in text
        sources = next(f for e in answer.embeds for f in e.get("fields", []) if f["name"] == "Sources")["value"]
        assert sources.startswith(f"[1] [Paper club, 2024-06-13: HippoRAG: Neurobiologically Inspired Long-Term "
                                  f"Memory for Large Language Models](https://discord.com/channels/{server.guild_id}/"
                                  f"{thread['id']})")
        assert not any(i.startswith("pb:save:club-") for i in buttons(answer))  # a session is not a paper to save
        plain = (await command(server, "ask", {"question": "What is HippoRAG?"})).final_message()
        assert "Paper club" not in json.dumps(plain.embeds)  # a question not about the group: papers only

        history = (await command(server, "club history")).final_message().embeds[0]
        assert history["title"] == "📚 Paper club · 1 session"
        (session,) = [f for f in history["fields"] if f["name"].startswith("2024-06-13")]
        assert "2/3 votes · 3 attended · 2 takeaways" in session["value"]

    everything = [m for m in server.all_messages if m.author_id == server.bot_id and m.source != "system"]
    assert all(pinged(m) <= {server.member_id, mei} for m in everything)
    assert [m for m in everything if m.pinged_anyone] == [day, hour]

    config_file = tmp_path / "config.toml"
    config_file.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n')
    capsys.readouterr()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        assert paperbot(["--config", str(config_file), "club", "history", "--json"]) == 0
    finally:  # the command line sets up its own logging; later tests keep pytest's
        root.handlers[:] = handlers
        root.setLevel(level)
    (kept,) = json.loads(capsys.readouterr().out)["sessions"]
    assert (kept["arxiv_id"], kept["votes"], kept["total_votes"], kept["tie"], kept["attended"]) == (HIPPO, 2, 3,
                                                                                                   False, 3)
    assert [b["votes"] for b in kept["ballot"]] == [1, 2, 0] and len(kept["questions"]) >= 3
    assert kept["takeaways"][1] == "It is 10-30 times cheaper than IRCoT, so we try it on our own wiki first."
    assert str(server.member_id) not in json.dumps(kept)  # no member named
    stored = Database(config.state_dir / "paperbot.sqlite").query("SELECT * FROM club_sessions")
    assert [(r["day_reminder"], r["hour_reminder"], r["met"]) for r in stored] == [("sent", "sent", "sent")]
    assert re.fullmatch(r"https://discord\.com/channels/\d+/\d+", stored[0]["thread_url"])


# -- more than ten nominations, a tie, in Traditional Chinese; 🗳 from /saved; admins only ---------
async def test_a_vote_now_on_ten_of_thirteen_nominations_ends_in_a_tie_told_in_chinese(server, seeded_kb, tmp_path):
    config = bot_config(tmp_path, server)
    clock = Clock(at("2024-06-03T04:00"))  # Monday noon in Taipei
    readers = [server.add_user(f"reader{n}") for n in range(4)]
    papers = [p.arxiv_id for p in seeded_kb.catalog.values()][:12]
    async with running_bot(config, seeded_kb, clock=clock):
        # Members may not set the club up, nor open a vote.
        for name, options in (("club schedule", {"channel": "club"}), ("club vote", None)):
            refused = await command(server, name, options, user="member")
            assert private(refused) == "Only members with the Manage Server permission can do this."
        assert not Database(config.state_dir / "paperbot.sqlite").query("SELECT * FROM clubs")

        setup = await command(server, "club schedule", {"channel": "club", "weekday": "friday", "time": "21:00",
                                                        "timezone": "Asia/Taipei", "poll_hours": 48},
                              user="admin", locale="zh-TW")
        assert private(setup).startswith(f"📚 讀書會每週五 21:00（Asia/Taipei）在 <#{server.channels['club']}> 聚會。")
        nothing = await command(server, "club vote", user="admin", locale="zh-TW")
        assert private(nothing) == "目前沒有可投票的論文：成員可以用 `/club nominate` 提名論文。"

        for n, arxiv_id in enumerate(papers):  # twelve nominations, three each
            await command(server, "club nominate", {"paper": arxiv_id}, user=readers[n // 3])
        fourth = await command(server, "club nominate", {"paper": papers[0]}, user=readers[0])
        assert private(fourth) == f"**{seeded_kb.catalog[papers[0]].title}** is already nominated for the next vote."
        too_many = await command(server, "club nominate", {"paper": "2405.00732"}, user=readers[0])
        assert private(too_many) == "You have 3 nominations waiting already: the vote takes them first."

        # A thirteenth, 🗳 from the member's saved papers.
        card = (await command(server, "paper", {"id": "2405.00732"})).final_message()
        await click(server, card, "pb:save:2405.00732")
        saved = (await command(server, "saved")).final_message()
        assert buttons(saved)["pb:club:nominate:2405.00732"]["label"] == "🗳 1"
        from_saved = await click(server, saved, "pb:club:nominate:2405.00732")
        assert private(from_saved).endswith("It is number 13 in line, and a vote holds 10 papers: it waits for a "
                                            "later vote.")

        opened = await command(server, "club vote", user="admin", locale="zh-TW")
        closes, meets = stamp("2024-06-05T04:00"), stamp("2024-06-07T13:00")  # 48 h; then Friday 21:00 in Taipei
        assert private(opened) == (f"🗳️ 投票已在 <#{server.channels['club']}> 開始，<t:{closes}:F> 截止；"
                                   f"聚會時間是 <t:{meets}:F>。")
        (poll_message,) = server.polls()
        assert poll_message.poll["question"]["text"] == "2024-06-07 的讀書會要讀哪一篇？"
        assert len(poll_message.poll["answers"]) == 10 and "還有 3 篇提名留待下一次投票。" in poll_message.content
        again = await command(server, "club vote", user="admin")
        assert private(again) == f"A vote is open already, until <t:{closes}:F>."

        for reader, answer in zip(readers, (3, 5, 3, 5)):
            server.vote(reader, poll_message, answer)
        server.vote("member", poll_message, 1)
        server.end_poll(poll_message)  # Discord ends it; the bot reads the final counts at once
        announcement = await server.wait_for_message(
            "club", predicate=lambda m: m.content.startswith("🏆"), timeout=20)
        third, fifth = (seeded_kb.catalog[papers[i]].title for i in (2, 4))
        assert announcement.content.startswith(f"🏆「{third}」以 2 票（共 5 票）勝出。聚會時間是 <t:{meets}:F>"
                                               "（週五 21:00，Asia/Taipei）")
        assert f"它與 **{fifth}** 同為 2 票：先被提名的論文優先。" in announcement.content
        thread = await server.wait_for_thread()
        opening = await server.wait_for_message(thread["id"], timeout=20)
        assert [e["title"] for e in opening.embeds[1:]] == ["摘要", "討論問題"]
        assert opening.content.startswith("📖 請在") and buttons(opening)
        waiting = await command(server, "club vote", user="admin")
        assert private(waiting).startswith(f"The next session, on **{third}**, meets <t:{meets}:F>")
    assert not any(m.pinged_anyone for m in server.all_messages if m.source != "system" and
                   m.author_id == server.bot_id)


async def test_a_nomination_the_list_lacks_comes_in_as_with_add_for_those_who_may_add(server, fresh_kb,
                                                                                      seed_papers, tmp_path):
    from dataclasses import replace

    from peers.arxiv_server import ArxivServer
    from rag.config import ArxivSettings

    fresh_kb.ingest(seed_papers[:5], now=dt.datetime.now(UTC) - dt.timedelta(days=30))
    with ArxivServer() as arxiv:
        arxiv.add_entry("2406.01234", "LongGraphRAG: Knowledge-Graph Retrieval for Book-Length Question Answering",
                        "We propose LongGraphRAG, which builds a knowledge graph over a whole book.")
        config = replace(bot_config(tmp_path, server),
                         arxiv=ArxivSettings(api_base=arxiv.api_base, min_interval=0.01, timeout=5, enrich=False))
        async with running_bot(config, fresh_kb):
            bad = await command(server, "club nominate", {"paper": "not a paper at all"})
            assert private(bad) == ("No paper in the list matches `not a paper at all`: pick one from the "
                                    "suggestions, or give an arXiv ID or link.")
            refused = await command(server, "club nominate", {"paper": "2406.01234"})  # a plain member
            assert private(refused).startswith("`2406.01234` is not in the list yet, and only members who can "
                                               "`/add` papers bring new ones in.")
            unknown = server.send_interaction("club nominate", {"paper": "2406.99999"}, user="admin")
            message = await unknown.wait_for(lambda i: (m := i.final_message()) and m.ephemeral and m, timeout=20)
            assert message.content == "arXiv has no paper `2406.99999`; check the ID."
            added = (await command(server, "club nominate", {"paper": "arXiv:2406.01234"}, user="admin")).final_message()
            assert not added.ephemeral
            assert added.content.startswith(f"<@{server.admin_id}> added 1 paper(s) to the list")
            assert f"<@{server.admin_id}> nominated **LongGraphRAG: Knowledge-Graph Retrieval" in added.content
        assert "2406.01234" in fresh_kb.catalog
    rows = Database(config.state_dir / "paperbot.sqlite").query("SELECT arxiv_id FROM club_nominations")
    assert [r["arxiv_id"] for r in rows] == ["2406.01234"]


async def test_a_month_of_weekly_sessions_runs_by_itself(server, seeded_kb, tmp_path):
    """Four Thursdays: each meeting calls for takeaways and opens the next week's vote on
    what members nominated meanwhile; four polls, four winners, four threads, one each."""
    config = bot_config(tmp_path, server)
    clock = Clock(at("2024-06-03T04:00"))
    papers = [p.arxiv_id for p in seeded_kb.catalog.values()]
    async with running_bot(config, seeded_kb, clock=clock) as bot:
        club = bot.get_cog("Club")
        await command(server, "club schedule", {"channel": "club", "weekday": "thursday", "time": "20:00",
                                                "timezone": "Asia/Taipei"}, user="admin")
        async def nominate(week: int) -> None:  # two papers for the week's vote, nominated the week before
            for n, user in enumerate(("member", "mei")):
                await command(server, "club nominate", {"paper": papers[2 * week + n]}, user=user)

        await nominate(0)
        for week in range(5):
            slot = at("2024-06-06T12:00") + dt.timedelta(weeks=week)
            clock.now = slot
            await club.tick(slot)  # last week's meeting (from the second week on), then this week's vote
            if week:
                await command(server, "club notes", {"takeaway": f"week {week}: worth it"}, user="mei")
            if week == 4:
                break
            poll_message = server.polls()[-1]
            assert len(server.polls()) == week + 1 and len(poll_message.poll["answers"]) == 2
            server.vote("tomas", poll_message, 2)
            server.end_poll(poll_message)
            await server.wait_for(lambda: len(server.threads) == week + 1, timeout=20, what="the week's thread")
            await server.wait_for_message(server.threads[-1]["id"], timeout=20)
            if week < 3:
                await nominate(week + 1)
            for hours in (6 * 24, 7 * 24 - 1):  # the reminders
                await club.tick(slot + dt.timedelta(hours=hours))
        history = (await command(server, "club history")).final_message().embeds[0]
    assert history["title"] == "📚 Paper club · 4 sessions"
    winners = [seeded_kb.catalog[papers[2 * week + 1]].title for week in range(4)]
    assert [f["name"].split(" · ", 1)[1] for f in history["fields"][1:]] == winners[::-1]  # newest first
    assert len([m for m in club_posts(server) if m.content.startswith("🏆")]) == 4
    for thread in server.threads:
        steps = [m.content.rsplit(" · ", 2)[-2] for m in server.messages_in(thread["id"]) if "\n-# 📚" in m.content]
        assert steps == ["discussion", "a day before", "an hour before", "meeting"]
