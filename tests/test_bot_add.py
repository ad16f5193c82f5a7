"""/add and the "Add to the list" button, end to end: the loopback Discord, the loopback
arXiv API, the real knowledge base."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import replace

import pytest

from conftest import bot_config, running_bot
from peers.arxiv_server import ArxivServer
from rag.config import ArxivSettings

NEW = "2406.01234"
TITLE = "LongGraphRAG: Knowledge-Graph Retrieval for Book-Length Question Answering"
ABSTRACT = ("We propose LongGraphRAG, which builds a knowledge graph of entities and events over a whole book and "
            "retrieves connected subgraphs with personalized PageRank; on NarrativeQA it improves exact match by 7.2.")


@pytest.fixture
def world(discord_server, fresh_kb, seed_papers, tmp_path):
    fresh_kb.ingest(seed_papers, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
    with ArxivServer() as arxiv:
        arxiv.add_entry(NEW, TITLE, ABSTRACT, authors=("Mei Lin", "Tomás Ruiz"))
        config = replace(bot_config(tmp_path, discord_server, ask_channels=("ask-papers",)),
                         arxiv=ArxivSettings(api_base=arxiv.api_base, min_interval=0.01, timeout=5, enrich=False))
        yield discord_server, config, fresh_kb, arxiv


async def test_add_puts_the_paper_in_the_list_and_shows_its_card(world):
    server, config, kb, arxiv = world
    async with running_bot(config, kb):
        inter = server.send_interaction("add", {"papers": f"https://arxiv.org/abs/{NEW}v1 2405.14831 2406.99999"},
                                        user="admin")  # the Admin role may manage messages
        message = await inter.wait_settled(timeout=30)
        assert not inter.ephemeral and not message.pinged_anyone
        assert message.content.startswith(f"<@{server.admin_id}> added 1 paper(s) to the list")
        assert "`2405.14831` is already in the list." in message.content
        assert "arXiv has no paper `2406.99999`" in message.content
        cards = {e["url"]: e for e in message.embeds}
        card = cards[f"https://arxiv.org/abs/{NEW}"]
        assert card["title"] == TITLE and "Mei Lin, Tomás Ruiz" in str(card["fields"])
        assert "https://arxiv.org/abs/2405.14831" in cards

        by = server.send_interaction("search", {"author": "tomás"})  # authors from arXiv, searchable
        (found,) = [e for e in (await by.wait_settled(timeout=30)).embeds]
        assert found["description"].startswith(f"**1.** [{TITLE}](https://arxiv.org/abs/{NEW})")
        assert "Mei Lin, Tomás Ruiz" in found["description"]
        both = server.send_interaction("search", {"query": "knowledge graph over a whole book", "author": "Lin"})
        assert TITLE in (await both.wait_settled(timeout=30)).embeds[0]["description"]

        lookup = server.send_interaction("paper", {"id": NEW})  # in the list for everyone at once
        assert (await lookup.wait_settled()).embeds[0]["title"] == TITLE
        choices = await server.send_autocomplete("paper", "id", "LongGraph")
        assert choices[0]["value"] == NEW

        refused = server.send_interaction("add", {"papers": "2406.05555"}, user="member")
        assert (await refused.wait_settled()).content == (
            "Only members who may manage messages can add papers to the list.")
        assert refused.ephemeral
        bad = server.send_interaction("add", {"papers": "[x](https://evil.example/2406.01234)"}, user="admin")
        assert (await bad.wait_settled()).content.startswith("`[x](https://evil.example/2406.01234)` is not an "
                                                            "arXiv ID") and bad.ephemeral
    assert config.inbox_path.read_text(encoding="utf-8").count(NEW) == 1
    assert not server.limit_violations


async def test_a_pasted_link_to_a_paper_not_in_the_list_gets_an_add_button_that_survives_a_restart(world):
    server, config, kb, arxiv = world
    config = replace(config, discord=replace(config.discord, add_role="curators"))
    curators = server.add_role("curators")
    curator = server.add_user("curator", roles=[curators])
    async with running_bot(config, kb):
        question = server.send_message(f"What does https://arxiv.org/abs/{NEW} add over HippoRAG?",
                                       channel="ask-papers", author=server.add_user("reader"))
        thread = await server.wait_for_thread(predicate=lambda t: int(t["id"]) == question.id)
        offer = await server.wait_for_message(thread["id"], predicate=lambda m: "Not in the list yet" in m.content)
        (row,) = offer.data["components"]
        (button,) = row["components"]
        assert button["custom_id"] == f"paperbot:add:{NEW}" and NEW in button["label"]

    async with running_bot(config, kb):  # restarted: the button still works
        denied = server.click(offer, button["custom_id"], user="admin")  # no curators role
        await denied.wait_settled()
        assert denied.ephemeral and "curators" in denied.final_message().content
        clicked = server.click(offer, button["custom_id"], user=curator)
        done = await clicked.wait_settled(timeout=30)
        assert done.content.startswith(f"<@{curator}> added 1 paper(s)") and done.embeds[0]["title"] == TITLE
    assert kb.get(NEW).authors == ("Mei Lin", "Tomás Ruiz")
    assert not server.limit_violations


async def test_the_bot_looks_up_abstracts_and_authors_itself_so_members_can_ask_by_author(
        discord_server, fresh_kb, seed_papers, tmp_path):
    server = discord_server
    fresh_kb.ingest(seed_papers)  # what `paperbot run` ingests on first use: the table alone
    with ArxivServer() as arxiv:
        config = replace(bot_config(tmp_path, server), arxiv=ArxivSettings(api_base=arxiv.api_base, min_interval=0.01,
                                                                             timeout=5))
        async with running_bot(config, fresh_kb):
            for _ in range(200):  # in the background: the bot answers meanwhile
                if all(p.authors for p in fresh_kb.papers()):
                    break
                await asyncio.sleep(0.1)
            hippo = fresh_kb.catalog["2405.14831"]
            assert hippo.abstract and hippo.authors[0] == "Bernal Jiménez Gutiérrez"
            inter = server.send_interaction("ask", {"question": "any paper by Bernal Jimenez Gutierrez?"})
            await inter.wait_settled(timeout=30)
            links = re.findall(r"arxiv\.org/abs/([\d.]+)\)", str([m.embeds for m in inter.messages()]))
            assert set(links) == {"2405.14831"}
        assert len(arxiv.queries) == 1  # all 33 in one request, once



async def test_with_arxiv_down_the_bot_answers_and_reload_says_what_waits(discord_server, fresh_kb, seed_papers,
                                                                         tmp_path):
    server = discord_server
    fresh_kb.ingest(seed_papers)
    with ArxivServer() as gone:
        base = gone.api_base
    config = replace(bot_config(tmp_path, server), arxiv=ArxivSettings(api_base=base, min_interval=0.01, timeout=2))
    async with running_bot(config, fresh_kb):
        paper = server.send_interaction("paper", {"id": "2405.14831"})
        assert (await paper.wait_settled()).embeds[0]["title"].startswith("HippoRAG")
        reload = server.send_interaction("reload", user="admin")
        note = (await reload.wait_settled(timeout=60)).content
        assert note.startswith("Re-read the tables: 0 added, 0 updated, 33 unchanged")
        assert note.endswith("arXiv could not be reached: abstracts and authors are looked up at the next reload.")
    assert not any(p.abstract for p in fresh_kb.papers())
