"""Answers people improve and lists of their own, as Discord members see them: 👍/👎 under
every answer (and after a restart), the 👎 reason, ⭐ saved papers and /saved, /recommend
from saved papers, /follow with its weekly DM, and /forget-me. The real PaperBot against
the loopback Discord; every test checks that Discord would have accepted everything the
bot sent and that nobody was pinged."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import replace

import pytest

from cli.main import main as paperbot
from conftest import SEED, bot_config, running_bot
from rag.config import DigestSettings
from rag.records import Database

UTC = dt.timezone.utc
VOTE = re.compile(r"pb:vote:(\d+):(up|down)")


@pytest.fixture
def server(discord_server):
    yield discord_server
    assert not discord_server.limit_violations
    assert not discord_server.unhandled_requests
    for message in discord_server.all_messages:
        if message.author_id == discord_server.bot_id:
            assert not message.pinged_anyone


def db(config) -> Database:
    """The bot's store, through a connection of our own (what is on disk)."""
    return Database(config.state_dir / "paperbot.sqlite")


def buttons(message) -> dict[str, dict]:
    """custom_id -> component, for every component under a message."""
    return {c["custom_id"]: c for row in message.components for c in row["components"] if c.get("custom_id")}


def vote_ids(message) -> tuple[str, str]:
    ids = sorted((i for i in buttons(message) if VOTE.fullmatch(i)), key=lambda i: i.endswith("down"))
    assert len(ids) == 2
    return ids[0], ids[1]


async def command(server, name, options=None, **kwargs):
    inter = server.send_interaction(name, options, **kwargs)
    await inter.wait_settled(timeout=20)
    return inter


async def click(server, message, custom_id, user="member"):
    """A click; returns the interaction once the clicker sees the bot's answer (a note, an
    edited message or a modal), which must come within Discord's 3 seconds."""
    inter = server.click(message, custom_id, user=user)
    await inter.wait_for(lambda i: i.callback, timeout=5)
    assert inter.callback.type in (4, 5, 6, 9)
    if inter.callback.type != 9:
        await inter.wait_settled(timeout=20)
    return inter


async def note(inter) -> str:
    """The clicker's private note (and nothing public)."""
    message = await inter.wait_for(lambda i: i.final_message() and i.final_message().ephemeral and i.final_message())
    return message.content


def votes(config) -> list[dict]:
    return [dict(r) for r in db(config).query("SELECT * FROM votes ORDER BY user_id")]


# -- 👍 / 👎 ------------------------------------------------------------------------------
async def test_votes_are_private_changeable_and_survive_a_restart(server, seeded_kb, tmp_path):
    config = bot_config(tmp_path, server)
    question = "Is there a retrieval method inspired by the hippocampus?"
    async with running_bot(config, seeded_kb):
        answer = (await command(server, "ask", {"question": question})).final_message()
        up, down = vote_ids(answer)
        versions = len(answer.history)
        labels = [c.get("label") or "" for c in buttons(answer).values()]
        assert not any(re.search(r"\d", label) for label in labels if not label.startswith("⭐"))  # no counts
        assert "⭐ [1] HippoRAG" in " ".join(labels)  # each cited source can be saved

        thanks = await click(server, answer, up)
        assert await note(thanks) == "👍 Thanks! Your vote is noted; you can change it any time."
        assert [(v["user_id"], v["vote"]) for v in votes(config)] == [(server.member_id, 1)]

        opened = await click(server, answer, down)  # 👎 asks why, in a modal
        assert opened.modal["title"] == "👎 What was wrong? (optional)"
        await server.wait_for(lambda: votes(config)[0]["vote"] == -1)  # counted from the click; a reason is optional
        submitted = server.submit_modal(opened, {"pb:why:reason": ["wrong_paper"], "pb:why:note": "  not this one "})
        await submitted.wait_settled()
        assert await note(submitted) == "👎 Noted (Wrong paper). Thank you: this helps make the answers better."
        (vote,) = votes(config)
        assert (vote["vote"], vote["reason"], vote["note"]) == (-1, "wrong_paper", "not this one")

        await click(server, answer, up)  # changed again: still one vote, the reason goes with the 👎
        (vote,) = votes(config)
        assert (vote["vote"], vote["reason"], vote["note"]) == (1, None, None)
        assert len(answer.history) == versions  # votes never change the message: no public counts

        (stored,) = [dict(r) for r in db(config).query("SELECT * FROM answers")]
        assert (stored["question"], stored["operation"], stored["asker_id"]) == (question, "ask", server.member_id)
        assert "2405.14831" in json.loads(stored["cited"]) and stored["mode"] == "offline"

    async with running_bot(config, seeded_kb):  # restarted: the old message's buttons still work
        opened = await click(server, answer, down, user="admin")
        assert opened.modal is not None
        closed = server.submit_modal(opened, {})  # no reason given
        await closed.wait_settled()
        assert await note(closed) == "👎 Noted (no reason given). Thank you: this helps make the answers better."
        assert [(v["user_id"], v["vote"], v["reason"]) for v in votes(config)] == sorted(
            [(server.member_id, 1, None), (server.admin_id, -1, None)])

        counts = (await command(server, "feedback", user="admin")).final_message()
        assert counts.ephemeral and counts.embeds[0]["title"] == "Feedback · 1 👍 · 1 👎 on 1 answers"
        fields = {f["name"]: f["value"] for f in counts.embeds[0]["fields"]}
        assert fields["By command"] == "`ask` 1 👍 · 1 👎" and fields["👎 reasons"] == "no reason given: 1"
        refused = await command(server, "feedback", user="member")
        assert refused.final_message().content == "Only members with the Manage Server permission can do this."


async def test_answers_in_threads_get_buttons_and_a_vote_on_a_forgotten_answer_is_refused(server, seeded_kb,
                                                                                        tmp_path):
    config = bot_config(tmp_path, server, ask_channels=("ask-papers",))
    async with running_bot(config, seeded_kb):
        server.send_message("Which papers improve RLHF?", channel="ask-papers", author="member")
        thread = await server.wait_for_thread()
        answer = await server.wait_for(lambda: next((m for m in server.messages_in(thread["id"]) if m.components),
                                                    None), timeout=20, what="the answer with its buttons")
        up, _ = vote_ids(answer)
        db(config).execute("DELETE FROM answers")  # e.g. its asker ran /forget-me
        assert await note(await click(server, answer, up)) == "This answer is no longer stored, so it can't take votes."


# -- ⭐ saved papers ----------------------------------------------------------------------
async def test_save_from_cards_and_answers_then_list_page_and_remove_privately(server, seeded_kb, tmp_path):
    config = bot_config(tmp_path, server)
    async with running_bot(config, seeded_kb):
        card = (await command(server, "paper", {"id": "2405.14831"})).final_message()
        assert [c["label"] for c in buttons(card).values()] == ["⭐ Save"]
        saved = await note(await click(server, card, "pb:save:2405.14831"))
        assert saved.startswith("⭐ Saved “HippoRAG") and "your 1 saved papers" in saved
        again = await note(await click(server, card, "pb:save:2405.14831"))
        assert again.endswith("is already in your saved papers (`/saved`).")

        answer = (await command(server, "summarize", {"target": "PEFT"})).final_message()
        stars = [i for i in buttons(answer) if i.startswith("pb:save:")]
        assert len(stars) == 5  # every paper on the topic
        for star in stars:
            await click(server, answer, star)

        listing = (await command(server, "saved")).final_message()
        assert listing.ephemeral and listing.embeds[0]["title"] == "Your saved papers (6)"
        assert listing.embeds[0]["footer"]["text"] == "Page 1/2 · only you can see this"
        first_page = re.findall(r"arxiv\.org/abs/([\d.]+)", listing.embeds[0]["description"])
        assert len(first_page) == 5 and first_page[0] in {s.split(":")[-1] for s in stars}  # newest first
        removes = [i for i in buttons(listing) if i.startswith("pb:unsave:")]
        assert [buttons(listing)[i]["label"] for i in removes] == ["✕ 1", "✕ 2", "✕ 3", "✕ 4", "✕ 5"]

        await click(server, listing, "pb:saved:1")  # ▶ to page 2, in place
        assert listing.embeds[0]["footer"]["text"] == "Page 2/2 · only you can see this"
        assert "2405.14831" in listing.embeds[0]["description"]
        await click(server, listing, "pb:unsave:1:2405.14831")
        assert listing.embeds[0]["title"] == "Your saved papers (5)" and "2405.14831" not in listing.embeds[0][
            "description"]

        other = (await command(server, "saved", user="admin", locale="zh-TW")).final_message()  # their own list
        assert other.ephemeral and other.content.startswith("你還沒有收藏任何論文")
        await click(server, listing, "pb:unsave:0:" + first_page[0], user="admin")  # acts on the clicker's list only
        rows = db(config).query("SELECT user_id, COUNT(*) AS n FROM saved_papers GROUP BY user_id")
        assert [(r["user_id"], r["n"]) for r in rows] == [(server.member_id, 5)]


async def test_recommend_without_an_interest_starts_from_saved_papers_and_never_returns_them(server, seeded_kb,
                                                                                            tmp_path):
    config = bot_config(tmp_path, server)
    async with running_bot(config, seeded_kb):
        empty = (await command(server, "recommend")).final_message()
        assert empty.ephemeral and empty.content.startswith("You have no saved papers to start from")
        card = (await command(server, "paper", {"id": "2405.12130"})).final_message()  # MoRA (PEFT)
        await click(server, card, "pb:save:2405.12130")
        card = (await command(server, "paper", {"id": "2405.09673"})).final_message()  # LoRA Learns Less
        await click(server, card, "pb:save:2405.09673")

        inter = await command(server, "recommend", {"count": 4})
        answer = inter.final_message()
        assert inter.ephemeral and answer.embeds[0]["title"] == "Recommended · like your saved papers"
        links = re.findall(r"arxiv\.org/abs/([\d.]+)\)", "\n".join(f["value"] for e in answer.embeds
                                                                      for f in e.get("fields", [])))
        assert 1 <= len(links) <= 4 and not {"2405.12130", "2405.09673"} & set(links)
        assert {"2405.17258", "2405.00732"} & set(links)  # other PEFT/LoRA papers come first
        assert "like “" in answer.embeds[0]["description"]  # each with the saved paper it is like
        assert vote_ids(answer)  # and it can be voted on like any answer


# -- /follow and the weekly DM -------------------------------------------------------------
DIGEST = DigestSettings(weekday="monday", time="09:00", timezone="Asia/Taipei")  # Mondays 01:00 UTC


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    def __init__(self, now: dt.datetime):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def weekly_dms(server, user) -> list:
    return [m for m in server.dms_to(user) if m.embeds]


def dm_papers(message) -> list[str]:
    return re.findall(r"arxiv\.org/abs/([\d.]+)\)", message.embeds[0]["description"])


async def test_follow_brings_a_weekly_dm_of_the_new_papers_that_match(server, fresh_kb, seed_papers, tmp_path, caplog):
    config = replace(bot_config(tmp_path, server), digest=DIGEST)
    clock = Clock(at("2024-06-05T12:00"))  # a Wednesday
    fresh_kb.ingest(seed_papers[:5], now=at("2024-06-04T10:00"))
    alignment = server.member_id
    nothing, closed, closes_later, graphs = (server.add_user(n) for n in ("nia", "cole", "lena", "gus"))
    server.close_dms(closed)

    async with running_bot(config, fresh_kb, clock=clock) as bot:
        await command(server, "digest-channel", {"channel": "digest"}, user="admin")
        reply = (await command(server, "follow", {"topic": "對齊"}, user=alignment)).final_message()
        assert reply.ephemeral and reply.content.startswith("You follow the topic `對齊`. Each week, after this server's")
        assert server.dms_to(alignment)[0].content.startswith("Hi! You follow papers in paperbot.")
        await command(server, "follow", {"interest": "underwater basket weaving"}, user=nothing)
        reply = (await command(server, "follow", {"topic": "多模態"}, user=closed)).final_message()
        assert "I can't send you direct messages: your DMs are closed." in reply.content
        await command(server, "follow", {"topic": "多模態模型"}, user=closes_later)
        await command(server, "follow", {"interest": "graph-based reranking for RAG"}, user=graphs)
        again = (await command(server, "follow", {"topic": "對齊"}, user=alignment)).final_message()
        assert again.content.startswith("You already follow the topic `對齊`.")
        server.close_dms(closes_later)

        fresh_kb.ingest(seed_papers[5:16], now=at("2024-06-06T10:00"))
        await bot.refresher()  # the bot picks up the new papers (it checks every minute)
        digest = bot.get_cog("Digest")
        with caplog.at_level(logging.WARNING, logger="bot"):
            assert await digest.tick(at("2024-06-10T01:00")) == [server.guild_id]  # the digest is not held up
        last_page = server.messages_in("digest")[-1]
        assert vote_ids(last_page) and "pb:save-some" in buttons(last_page)  # 16 papers: ⭐ as one list
        picked = server.click(last_page, "pb:save-some", user=graphs, values=["2405.19332", "2405.00675"])
        await picked.wait_settled()
        assert (await note(picked)).count("⭐ Saved “Self-") == 2
        (week1,) = weekly_dms(server, alignment)
        assert dm_papers(week1) == ["2405.19332", "2405.00675", "2405.14129"]  # every 對齊 paper, newest first
        assert week1.embeds[0]["title"] == "New papers for you · 2024-05-29 – 2024-06-10"
        assert "matches the topic `對齊`" in week1.embeds[0]["description"]
        assert [c["custom_id"] for c in buttons(week1).values()] == [f"pb:save:{i}" for i in dm_papers(week1)]
        assert weekly_dms(server, nothing) == []  # nothing matched: no DM at all
        assert server.dms_to(closed) == []  # paused since /follow told them
        assert "2405.18414" == dm_papers(weekly_dms(server, graphs)[0])[0]
        (failed,) = [r for r in caplog.records if "weekly DM" in r.getMessage()]  # logged once
        assert str(closes_later) in failed.getMessage() and "dms_closed" in failed.getMessage()

        assert await digest.tick(at("2024-06-10T02:00")) == []  # same week: nothing again
        fresh_kb.ingest(seed_papers[16:25], now=at("2024-06-12T10:00"))
        await bot.refresher()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="bot"):
            await digest.tick(at("2024-06-17T01:00"))
        week1_again, week2 = weekly_dms(server, alignment)
        assert week1_again is week1 and dm_papers(week2) == ["2405.08448"]  # only papers added since the last DM
        assert not [r for r in caplog.records if "weekly DM" in r.getMessage()]  # the closed DM is not retried
        dm_posts = [r for r in server.requests if r.method == "POST" and r.status == 403]
        assert len(dm_posts) == 2  # one refused welcome, one refused weekly DM: never retried

        listing = (await command(server, "following", user=alignment)).final_message()
        assert listing.ephemeral and listing.embeds[0]["description"] == "**1.** the topic `對齊`"
        await click(server, listing, next(iter(buttons(listing))), user=alignment)
        assert listing.content == "You follow nothing: `/follow` a topic, an author or an interest to get a weekly " \
                                  "DM of new papers."
        paused = (await command(server, "following", user=closed)).final_message()
        assert "Your weekly DMs are paused" in paused.embeds[0]["description"]


# -- /forget-me ------------------------------------------------------------------------------
async def test_forget_me_leaves_nothing_behind(server, seeded_kb, tmp_path):
    config = bot_config(tmp_path, server)
    async with running_bot(config, seeded_kb):
        mine = (await command(server, "ask", {"question": "What is RLHF?"})).final_message()
        theirs = (await command(server, "ask", {"question": "What is LoRA?"}, user="admin")).final_message()
        await click(server, mine, vote_ids(mine)[0])
        await click(server, theirs, vote_ids(theirs)[0])
        await click(server, theirs, vote_ids(theirs)[0], user="admin")
        card = (await command(server, "paper", {"id": "2405.14831"})).final_message()
        await click(server, card, "pb:save:2405.14831")
        await click(server, card, "pb:save:2405.14831", user="admin")
        await command(server, "follow", {"topic": "RLHF", "interest": "reward models"})

        reply = (await command(server, "forget-me")).final_message()
        assert reply.ephemeral and reply.content == (
            "Done. I deleted 2 votes, 1 saved papers, 2 follows (weekly DMs stopped) and 1 questions you asked, "
            "with their answers. Nothing else about you is stored.")

    store = db(config)
    member = server.member_id
    for table in ("votes", "saved_papers", "follows", "followers"):
        assert not store.query(f"SELECT 1 FROM {table} WHERE user_id = ?", (member,)), table
    assert not store.query("SELECT 1 FROM answers WHERE asker_id = ?", (member,))
    assert not store.query("SELECT 1 FROM answers WHERE question = ?", ("What is RLHF?",))
    everything = json.dumps([dict(r) for t in ("answers", "votes", "saved_papers", "follows", "followers")
                             for r in store.query(f"SELECT * FROM {t}")], ensure_ascii=False)
    assert str(member) not in everything  # no trace of the member in any row
    assert len(store.query("SELECT 1 FROM votes WHERE user_id = ?", (server.admin_id,))) == 1  # others keep theirs


# -- paperbot feedback --------------------------------------------------------------------
def test_feedback_export_feeds_paperbot_eval(seeded_kb, tmp_path, capsys):
    """Voted questions become eval lines: 👍 with the cited papers as gold, 👎 for review."""
    import asyncio

    from rag.answers.operations import Answerer
    from rag.people import DOWN, UP, People
    from rag.search.evaluation import evaluate, read_questions

    people = People(Database(tmp_path / "state" / "paperbot.sqlite"))
    answerer = Answerer(seeded_kb)
    now = at("2024-06-10T12:00")
    liked = asyncio.run(answerer.ask("Is there a retrieval method inspired by the hippocampus?"))
    disliked = asyncio.run(answerer.ask("大型語言模型能理解多層心智狀態嗎？"))
    summary = asyncio.run(answerer.summarize("2405.14831", "en"))
    ids = [people.record_answer(liked, "Is there a retrieval method inspired by the hippocampus?", asker_id=9,
                                guild_id=5, now=now),
           people.record_answer(disliked, "大型語言模型能理解多層心智狀態嗎？", asker_id=9, guild_id=5, now=now),
           people.record_answer(summary, "Summary · 2405.14831", asker_id=9, guild_id=5, now=now)]
    people.vote(ids[0], 1, UP, now)
    people.vote(ids[0], 2, UP, now)
    people.vote(ids[1], 1, DOWN, now)
    people.give_reason(ids[1], 1, "missing_paper", "the GPT-4 one")
    people.vote(ids[2], 1, UP, now)
    people.vote(ids[2], 2, DOWN, at("2024-05-01T00:00"))  # before --since

    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n')
    export = tmp_path / "feedback.jsonl"
    assert paperbot(["--config", str(config), "feedback", "--since", "2024-06-01", "--export", str(export),
                     "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert (counts["up"], counts["down"], counts["answers"]) == (3, 1, 3)
    assert counts["by_operation"] == {"ask": {"up": 2, "down": 1}, "summarize": {"up": 1, "down": 0}}
    assert counts["reasons"] == {"missing_paper": 1} and counts["exported"]["lines"] == 2

    good, review = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert good["q"] == "Is there a retrieval method inspired by the hippocampus?" and good["lang"] == "en"
    assert good["gold"] == [c.arxiv_id for c in liked.citations] and "2405.14831" in good["gold"]
    assert good["kind"] == ("single" if len(good["gold"]) == 1 else "multi")
    assert (review["lang"], review["gold"], review["kind"], review["review"]) == ("zh", [], "review", True)
    assert review["reasons"] == ["missing_paper"] and review["notes"] == ["the GPT-4 one"]

    report = evaluate(seeded_kb, read_questions(export), k=10)  # what `paperbot eval FILE` runs
    assert (report["summary"]["questions"], report["summary"]["awaiting_review"]) == (1, 1)
    scored = report["summary"]["paperbot"]
    assert set(scored) <= {"en", "multi"} and "zh" not in scored  # the line under review is not scored
    (block,) = scored.values()
    assert block["n"] == 1

    assert paperbot(["--config", str(config), "feedback"]) == 0  # the text form, for people, all time
    text = capsys.readouterr().out
    assert text.startswith("3 👍  2 👎  on 3 answers\n") and "  missing_paper" in text
