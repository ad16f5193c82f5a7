"""A Chroma server that goes away while the bot runs: the bot says so in plain words,
keeps answering what it can (lookups from memory, word-matched answers), logs the
outage once, and is whole again when Chroma is back, without a restart."""

from __future__ import annotations

import logging
from dataclasses import replace

from conftest import ChromaServer, bot_config, make_config, running_bot, server_store


async def test_the_paper_store_going_down_and_coming_back(discord_server, embed_model, seed_papers, tmp_path,
                                                          caplog):
    from rag.store.knowledge import KnowledgeBase

    server = discord_server
    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        config = replace(make_config(tmp_path), store=server_store(chroma))
        kb = KnowledgeBase(config, embed_model=embed_model)
        kb.ingest(seed_papers)
        async with running_bot(bot_config(tmp_path, server, config), kb):
            chroma.stop()
            with caplog.at_level(logging.INFO):
                answers = []
                for n in range(3):
                    inter = server.send_interaction("ask", {"question": "Which paper is inspired by the hippocampus?"},
                                                    user=server.add_user(f"asker{n}"))
                    answers.append(await inter.wait_settled(timeout=30))
                lookup = server.send_interaction("paper", {"id": "2405.14831"})
                assert (await lookup.wait_settled()).embeds[0]["url"] == "https://arxiv.org/abs/2405.14831"

            for answer in answers:  # an answer from word matching, saying what is wrong and what works
                footer = answer.embeds[-1]["footer"]["text"]
                assert "paper store is unreachable right now" in footer and "/paper and /topics still work" in footer
                assert "2405.14831" in str(answer.embeds)
            outage = [r for r in caplog.records if "unavailable" in r.getMessage()]
            assert len(outage) == 1 and outage[0].exc_info is None and not outage[0].exc_text  # once, no traceback
            # An HTTP client an earlier test dropped may be collected now and fail to close on
            # its own (ended) loop: that record is not the bot's.
            assert not [r for r in caplog.records if (r.exc_info or r.exc_text)
                        and "Event loop is closed" not in (r.exc_text or str(r.exc_info[1]))]

            chroma.start()  # back, on the same port and data
            with caplog.at_level(logging.INFO):
                inter = server.send_interaction("ask", {"question": "Which paper is inspired by the hippocampus?"},
                                                user=server.add_user("later"))
                footer = (await inter.wait_settled(timeout=30)).embeds[-1]["footer"]["text"]
            assert "unreachable" not in footer
            assert any("is back" in r.getMessage() for r in caplog.records)
    finally:
        chroma.stop()
    assert not server.limit_violations
