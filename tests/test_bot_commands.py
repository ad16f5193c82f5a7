"""The slash commands as a Discord user sees them, offline (no language model): the real
PaperBot on the seeded knowledge base, driven through a loopback Discord.

One server and one bot serve the whole module; every test checks that nothing the bot
sent would have been rejected by Discord and that nobody was pinged.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import pytest_asyncio

from conftest import bot_config, running_bot
from peers.discord import DiscordServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADMIN_COMMANDS = {"digest-channel", "reload", "usage", "feedback"}
PEOPLE_COMMANDS = {"saved", "follow", "following", "forget-me"}  # tests/test_bot_people.py
CLUB_COMMANDS = {"club"}  # its subcommands: tests/test_bot_club.py
MANAGE_GUILD = 1 << 5


@pytest.fixture(scope="module")
def server():
    with DiscordServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(server, seeded_kb, tmp_path_factory):
    async with running_bot(bot_config(tmp_path_factory.mktemp("bot"), server), seeded_kb) as bot:
        yield bot


@pytest.fixture(autouse=True)
def within_discord_rules(server, bot):
    yield
    assert not server.limit_violations
    assert not server.unhandled_requests
    for message in server.all_messages:
        if message.author_id == server.bot_id and not message.deleted:
            assert not message.pinged_anyone
            if message.content:
                assert message.allowed_mentions == {"parse": []}


async def run(server, name, options=None, **kwargs):
    """A user runs a command; returns the interaction once the user sees an answer."""
    inter = server.send_interaction(name, options, **kwargs)
    await inter.wait_settled(timeout=20)
    return inter


def public_embeds(inter) -> list[dict]:
    return [e for m in inter.messages() if not m.ephemeral for e in m.embeds]


async def private_note(inter) -> str:
    """The user got an ephemeral note and the channel got nothing; returns its text.
    (Commands that defer delete their public "thinking…" message first, then the note
    follows; instant ones like /paper answer privately at once.)"""
    assert inter.callback.type in (4, 5), "answered within Discord's 3 seconds"
    note = await inter.wait_for(lambda i: i.final_message() and i.final_message().ephemeral and i.final_message())
    assert [m for m in inter.messages() if not m.ephemeral] == []
    return note.content


def source_links(embeds: list[dict]) -> dict[int, str]:
    """[n] -> URL from the Sources fields."""
    links = {}
    for embed in embeds:
        for field in embed.get("fields", []):
            for n, url in re.findall(r"^\[(\d+)\] \[[^\]]*\]\((\S+)\)(?: — .*)?$", field["value"], re.M):
                links[int(n)] = url
    return links


def markers(embeds: list[dict]) -> set[int]:
    return {int(n) for e in embeds for n in re.findall(r"\[(\d+)\]", e.get("description") or "")}


# -- login and command sync ------------------------------------------------------------
async def test_it_logs_in_and_syncs_every_command_with_zh_tw_localisations(server, bot):
    assert bot.user.id == server.bot_id and server.has_intent("message_content")
    (sync,) = server.command_syncs
    assert sync.scope == "global"  # no test guild configured
    commands = {c["name"]: c for c in sync.commands}
    assert set(commands) == {"ask", "paper", "summarize", "compare", "recommend", "digest", "topics", "add", "search",
                             *ADMIN_COMMANDS, *PEOPLE_COMMANDS, *CLUB_COMMANDS}
    for name, command in commands.items():
        assert command["description"] and command["description_localizations"]["zh-TW"]
        for option in command["options"]:
            if option["type"] == 1:  # a subcommand: its name stays English, like a command's; its options don't
                assert option["description_localizations"]["zh-TW"]
                assert all(o["description_localizations"]["zh-TW"] and o["name_localizations"]["zh-TW"]
                           for o in option.get("options", []))
                continue
            assert option["description_localizations"]["zh-TW"] and option["name_localizations"]["zh-TW"]
        permissions = command["default_member_permissions"]
        assert (int(permissions) if permissions else None) == (MANAGE_GUILD if name in ADMIN_COMMANDS else None)
    assert commands["add"]["contexts"] == [0] or commands["add"].get("dm_permission") is False  # servers only
    assert commands["ask"]["description_localizations"]["zh-TW"] == "詢問關於論文的問題，回答會附上引用來源"
    options = {(c, o["name"]): o for c, cmd in commands.items() for o in cmd["options"]}
    assert options["ask", "question"]["type"] == 3 and options["ask", "question"]["required"]
    assert options["paper", "id"]["autocomplete"] and options["paper", "id"]["name_localizations"] == {"zh-TW": "論文"}
    assert options["compare", "papers"]["type"] == 3
    count = options["recommend", "count"]
    assert (count["type"], count["min_value"], count["max_value"], count.get("required")) == (4, 1, 10, False)
    assert options["digest", "days"]["type"] == 4
    channel = options["digest-channel", "channel"]
    assert channel["type"] == 7 and 0 in channel["channel_types"] and not channel.get("required")
    weekday = options["digest-channel", "weekday"]
    assert [c["value"] for c in weekday["choices"]][:2] == ["monday", "tuesday"]
    assert weekday["choices"][0]["name_localizations"] == {"zh-TW": "週一"}
    assert options["digest-channel", "timezone"]["autocomplete"]
    assert not commands["reload"]["options"]


# -- /paper -------------------------------------------------------------------------------
async def test_paper_shows_link_date_and_topics(server, bot):
    inter = await run(server, "paper", {"id": "arXiv:2405.14831v2"})
    assert inter.callback.type == 4 and not inter.ephemeral  # answered at once, no "thinking…"
    (embed,) = public_embeds(inter)
    assert embed["title"].startswith("HippoRAG") and embed["url"] == "https://arxiv.org/abs/2405.14831"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {"arXiv": "[2405.14831](https://arxiv.org/abs/2405.14831)", "Date": "2024-05-23",
                      "Topics": "RAG 優化"}


async def test_an_unknown_paper_gets_suggestions_privately(server, bot):
    note = await private_note(await run(server, "paper", {"id": "2405.14830"}))
    assert note.startswith("2405.14830 is not in the paper list; `/add 2405.14830` adds it from arXiv.\nDid you mean:")
    assert "`2405.14831` [HippoRAG" in note and "(<https://arxiv.org/abs/2405.14831>)" in note


async def test_a_malformed_id_is_explained_privately(server, bot):
    note = await private_note(await run(server, "paper", {"id": "hippo rag"}))
    assert note.startswith("`hippo rag` is not an arXiv ID. Valid forms: 2405.14831, 2405.14831v2")


async def test_a_malformed_id_shaped_like_a_link_is_repeated_as_plain_text(server, bot):
    note = await private_note(await run(server, "paper", {"id": "[totally 2405.14831](https://evil.example/x)"}))
    assert note.startswith("`[totally 2405.14831](https://evil.example/x)` is not an arXiv ID.")


async def test_paper_autocomplete_matches_ids_and_titles_within_25(server, bot):
    everything = await server.send_autocomplete("paper", "id", "")
    assert len(everything) == 25  # 33 papers, Discord shows at most 25
    by_id = await server.send_autocomplete("paper", "id", "2405.148")
    assert by_id and all(c["value"].startswith("2405.148") for c in by_id)
    (by_title,) = await server.send_autocomplete("paper", "id", "hipporag")
    assert by_title["value"] == "2405.14831" and by_title["name"].startswith("2405.14831 · HippoRAG")
    assert all(len(c["name"]) <= 100 for c in everything)


# -- /ask, offline ----------------------------------------------------------------------------
async def test_ask_offline_cites_numbered_sources_that_match_the_markers(server, bot):
    question = "Is there a retrieval method inspired by the hippocampus?"
    inter = await run(server, "ask", {"question": question})
    assert inter.callback.type == 5 and [r.kind for r in inter.responses][-1] == "edit_original"
    embeds = public_embeds(inter)
    assert embeds[0]["title"] == question
    links = source_links(embeds)
    assert markers(embeds) == set(links) and links[1]
    assert "https://arxiv.org/abs/2405.14831" in links.values()
    assert embeds[-1]["footer"]["text"].startswith("Offline mode")


async def test_ask_about_a_pasted_arxiv_link_answers_from_that_paper(server, bot):
    inter = await run(server, "ask", {"question": "what's <https://arxiv.org/abs/2405.12130v2> about?"})
    assert list(source_links(public_embeds(inter)).values()) == ["https://arxiv.org/abs/2405.12130"]
    inter = await run(server, "ask", {"question": "what's arXiv:2405.99999 about?"})
    assert public_embeds(inter)[0]["footer"]["text"] == "2405.99999 is not in the paper list; `/add 2405.99999` adds it."


@pytest.mark.parametrize("question, expected", [
    ("   ", "Please write a question about the papers."),
    ("\u200b\u200d\u2060\ufeff \u3164", "Please write a question about the papers."),  # invisible only
    ("x" * 2001, "Your question is 2001 characters long; the limit is 2000. Please shorten it."),
])
async def test_an_empty_or_too_long_question_is_refused_privately(server, bot, question, expected):
    assert await private_note(await run(server, "ask", {"question": question})) == expected


async def test_a_question_with_everyone_and_a_user_mention_pings_nobody(server, bot):
    inter = await run(server, "ask", {"question": f"@everyone <@{server.admin_id}> what is RLHF?"})
    assert public_embeds(inter)  # answered; the autouse check finds no pings


async def test_zh_tw_users_get_chinese_messages(server, bot):
    note = await private_note(await run(server, "ask", {"question": ""}, locale="zh-TW"))
    assert note == "請輸入關於論文的問題。"
    inter = await run(server, "paper", {"id": "2405.14831"}, locale="zh-TW")
    assert [f["name"] for f in public_embeds(inter)[0]["fields"]] == ["arXiv", "日期", "主題"]
    assert await private_note(await run(server, "compare", {"papers": "2405.14831"}, locale="zh-TW")) == \
        "`/compare` 需要 2 到 4 個以空格分隔的 arXiv ID，你提供了 1 個。"


# -- the other answer operations ------------------------------------------------------------
@pytest.mark.parametrize("papers, count", [("2405.14831", 1),
                                           ("2405.14831 2405.20139 2405.18414 2405.01470 2405.20204", 5)])
async def test_compare_needs_two_to_four_papers(server, bot, papers, count):
    note = await private_note(await run(server, "compare", {"papers": papers}))
    assert note == f"`/compare` takes 2 to 4 arXiv IDs separated by spaces; you gave {count}."


@pytest.mark.parametrize("papers, expected", [
    ("2405.14831 arXiv:2405.14831v2", "2405.14831 is given more than once; please list different papers."),
    ("2405.14831 2405.99999", "2405.99999 is not in the paper list."),
    ("2405.14831 hippo", "`hippo` is not an arXiv ID. Valid forms: "),
])
async def test_compare_explains_repeated_unknown_and_malformed_ids(server, bot, papers, expected):
    assert (await private_note(await run(server, "compare", {"papers": papers}))).startswith(expected)


async def test_compare_two_papers_side_by_side(server, bot):
    inter = await run(server, "compare", {"papers": "2405.14831, 2405.20139"})
    embeds = public_embeds(inter)
    side_by_side = next(e for e in embeds if e.get("fields") and all(f["inline"] for f in e["fields"]))
    assert [f["value"].rsplit("\n", 1)[1] for f in side_by_side["fields"]] == [
        "https://arxiv.org/abs/2405.14831", "https://arxiv.org/abs/2405.20139"]
    assert set(source_links(embeds).values()) == {"https://arxiv.org/abs/2405.14831",
                                                  "https://arxiv.org/abs/2405.20139"}


async def test_summarize_a_paper_and_a_topic(server, bot):
    embeds = public_embeds(await run(server, "summarize", {"target": "2405.14831"}))
    assert embeds[0]["title"] == "Summary · 2405.14831" and "HippoRAG" in embeds[0]["description"]
    embeds = public_embeds(await run(server, "summarize", {"target": "PEFT"}))
    assert len(source_links(embeds)) == 5  # every paper on the topic "PEFT 方法"
    note = await private_note(await run(server, "summarize", {"target": "underwater basket weaving"}))
    assert note.startswith("No paper ID or topic matches `underwater basket weaving`.")


async def test_summarize_autocomplete_offers_topics_then_papers(server, bot):
    choices = await server.send_autocomplete("summarize", "target", "RAG")
    assert choices[0] == {"name": "RAG 優化 · 1 paper", "value": "RAG 優化"}
    assert any(c["value"] == "2405.14831" for c in choices) and len(choices) <= 25


async def test_recommend_more_like_a_paper(server, bot):
    embeds = public_embeds(await run(server, "recommend", {"interest": "2405.14831", "count": 3}))
    links = source_links(embeds)
    assert 1 <= len(links) <= 3 and "https://arxiv.org/abs/2405.14831" not in links.values()


async def test_topics_lists_every_topic_with_its_count(server, bot, seeded_kb):
    (embed,) = public_embeds(await run(server, "topics"))
    topics = seeded_kb.topics()
    assert embed["title"] == f"Topics ({len(topics)})"
    lines = embed["description"].split("\n")
    assert len(lines) == len(topics) and lines[0] == f"**{topics[0][0]}** — {topics[0][1]} papers"
    assert lines[-1] == f"**{topics[-1][0]}** — 1 paper"


async def test_digest_preview_lists_every_new_paper_within_discord_limits(server, bot):
    clock = bot.clock
    bot.clock = lambda: dt.datetime(2024, 6, 1, tzinfo=dt.timezone.utc)  # the table's rows arrived in May 2024
    try:
        inter = await run(server, "digest", {"days": 32})
        # The last page carries the footer; the pages before it come first.
        await inter.wait_for(lambda i: any("footer" in e for m in i.messages() for e in m.embeds), timeout=20)
    finally:
        bot.clock = clock
    embeds = public_embeds(inter)
    assert embeds[0]["title"].startswith("New papers since ")
    assert len(source_links(embeds)) == 33 == len(markers(embeds))
    for message in inter.messages():
        assert len(message.embeds) <= 10
        assert sum(len(e.get("description") or "") + len(e.get("title") or "")
                   + sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
                   + len((e.get("footer") or {}).get("text", "")) for e in message.embeds) <= 6000


# -- admin commands and errors -------------------------------------------------------------------
@pytest.mark.parametrize("name, options", [("reload", None), ("digest-channel", {"channel": "digest"})])
async def test_admin_commands_are_refused_for_a_normal_member(server, bot, name, options):
    inter = server.send_interaction(name, options, user="member")
    await inter.wait_settled()
    assert inter.callback.type == 4 and inter.ephemeral  # refused before any work
    assert inter.final_message().content == "Only members with the Manage Server permission can do this."
    assert bot.get_cog("Digest").state.guilds == {}


async def test_an_unexpected_error_is_private_and_logged_and_the_bot_keeps_running(server, bot, monkeypatch,
                                                                                    caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("the vector index is on fire")

    monkeypatch.setattr(bot.answerer, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="bot"):
        note = await private_note(await run(server, "ask", {"question": "what is RLHF?"}))
    assert note == "Something went wrong on my side and the operator has been told. Please try again later."
    assert "on fire" not in note
    (record,) = [r for r in caplog.records if r.name.startswith("bot")]
    # The traceback as the log shows it: formatted and masked by rag.logs when a command
    # configured logging earlier in this process (another test file, on the same xdist worker).
    trace = record.exc_text or logging.Formatter().formatException(record.exc_info)
    assert record.getMessage() == "/ask failed" and "on fire" in trace
    monkeypatch.undo()
    assert public_embeds(await run(server, "paper", {"id": "2405.14831"}))
