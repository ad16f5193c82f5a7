"""Running it for a year with a model: every call in the ledger with its tokens and cost,
answers written once and served again for free, budgets, and the quirks of the servers
people self-host. Against the loopback OpenAI-compatible server; the ledger and cache
are paperbot's real SQLite store."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import bot_config, llm_config, running_bot
from peers.llm_server import LLMServer, reply, status
from rag.answers.operations import Answerer
from rag.config import BudgetSettings, CacheSettings, ClaimsSettings, Limits, Price
from rag.engine import Engine
from rag.models.usage import Caller, Ledger
from rag.records import Database

HIPPO = "2405.14831"
PRICES = {"test-model": Price(input=0.5, output=1.5)}  # USD per million tokens


def writer_config(tmp_path, server, **llm):
    """A user's config, the writer's calls alone in the ledger: the verifier's second opinion
    ([claims] verify = "model", the default with a model) has its own rows, tested in test_verify.py."""
    return replace(llm_config(tmp_path, server, **llm), claims=ClaimsSettings(verify="lexical"))


def engine(kb, tmp_path, server, **settings) -> Answerer:
    """The answerer exactly as configured by a user: ledger, cache, budgets in state_dir."""
    config = replace(writer_config(tmp_path, server), prices=PRICES, **settings)
    return Engine(config, kb=kb).answerer


def calls(answerer) -> list[dict]:
    return [dict(r) for r in answerer.llm.ledger.db.query("SELECT * FROM model_calls ORDER BY id")]


# -- the ledger ---------------------------------------------------------------------------
async def test_every_call_is_recorded_with_the_servers_tokens_and_the_price(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server)
    llm_server.script(reply("HippoRAG mimics the hippocampal index [1]."))
    await answerer.ask("Is there a retrieval method inspired by the hippocampus?", on_text=lambda d: None,
                       caller=Caller("42", "7"))
    (row,) = calls(answerer)
    sent = llm_server.chat_requests()[-1].json
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}
    words = sum(len(m["content"].split()) for m in sent["messages"])  # what the loopback server counts
    assert (row["prompt_tokens"], row["completion_tokens"], row["estimated"]) == (words, 6, 0)
    assert row["cost_usd"] == pytest.approx((words * 0.5 + 6 * 1.5) / 1e6)
    assert (row["user"], row["guild"], row["operation"], row["model"], row["outcome"]) == (
        "42", "7", "ask", "test-model", "ok")


async def test_a_server_that_reports_no_usage_in_streams_is_counted_locally_and_marked(seeded_kb, tmp_path):
    with LLMServer(stream_usage=False) as quiet:  # what llama.cpp's server does
        answerer = engine(seeded_kb, tmp_path, quiet)
        quiet.script(reply("HippoRAG mimics the hippocampal index [1]."))
        await answerer.ask("Is there a retrieval method inspired by the hippocampus?", on_text=lambda d: None)
    (row,) = calls(answerer)
    assert row["estimated"] == 1 and row["prompt_tokens"] > 100 and row["completion_tokens"] > 5
    report = answerer.llm.ledger.report(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert report["total"]["estimated_calls"] == 1


async def test_a_model_without_a_price_has_an_unknown_cost_never_zero(seeded_kb, llm_server, tmp_path):
    answerer = Engine(replace(writer_config(tmp_path, llm_server, model="mystery-model"), prices=PRICES), kb=seeded_kb).answerer
    llm_server.script(reply("HippoRAG mimics the hippocampal index [1]."))
    await answerer.ask("hippocampus-inspired retrieval")
    (row,) = calls(answerer)
    assert row["cost_usd"] is None
    total = answerer.llm.ledger.report(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))["total"]
    assert total["unpriced_calls"] == 1 and total["cost_usd"] == 0


async def test_failures_and_unusable_answers_are_recorded_with_why(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server, llm=replace(writer_config(tmp_path, llm_server).llm,
                                                                   max_retries=0))
    llm_server.script(status(500), reply("No sources needed, trust me."))
    for _ in range(2):
        assert (await answerer.ask("hippocampus-inspired retrieval")).mode == "offline"
    failed, uncited = calls(answerer)
    assert failed["outcome"] == "error: the language model returned an error (500)"
    assert uncited["outcome"] == "fallback: no listed paper supports its answer"


# -- the answer cache -----------------------------------------------------------------------
async def test_the_second_identical_summary_costs_nothing_even_after_a_restart(seeded_kb, llm_server, tmp_path):
    llm_server.script(reply("HippoRAG builds a knowledge graph and runs Personalized PageRank [1]."))
    first = await engine(seeded_kb, tmp_path, llm_server).summarize("2405.14831", on_text=lambda d: None)
    assert not first.cached and len(llm_server.chat_requests()) == 1

    restarted = engine(seeded_kb, tmp_path, llm_server)  # a new process would open the same store
    seen = []
    again = await restarted.summarize("https://arxiv.org/abs/2405.14831v2", on_text=seen.append)
    assert again.cached and again.text == first.text and again.citations == first.citations
    assert len(llm_server.chat_requests()) == 1 and seen == []  # no call; shown at once, not streamed
    original, hit = calls(restarted)
    assert (hit["cached"], hit["cost_usd"], hit["prompt_tokens"]) == (1, 0.0, 0)
    assert hit["saved_usd"] == pytest.approx(original["cost_usd"])
    assert restarted.cache.stats()["hits"] == 1


async def test_the_cache_key_is_the_normalised_input_and_everything_the_answer_depends_on(
        fresh_kb, seed_papers, llm_server, tmp_path):
    fresh_kb.ingest(seed_papers)
    answerer = engine(fresh_kb, tmp_path, llm_server)
    llm_server.default = reply("It is about preference optimisation [1].")
    await answerer.ask("What is Self-Play Preference Optimization?")
    await answerer.summarize("2405.14831")
    assert len(llm_server.chat_requests()) == 2
    assert (await answerer.ask("  what is self-play   PREFERENCE optimization? ")).cached  # case, spacing
    assert len(llm_server.chat_requests()) == 2

    # A follow-up in a thread depends on the conversation: never cached.
    await answerer.ask("What is Self-Play Preference Optimization?", history=[("q", "a")])
    assert len(llm_server.chat_requests()) == 3

    # Changing one paper's row misses exactly the answers written from it.
    hippo = next(p for p in seed_papers if p.arxiv_id == HIPPO)
    fresh_kb.ingest([replace(hippo, summary=hippo.summary + " 補充：新增一句。")])
    fresh_kb.refresh()
    assert not (await answerer.summarize("2405.14831")).cached
    assert (await answerer.ask("What is Self-Play Preference Optimization?")).cached
    assert len(llm_server.chat_requests()) == 4

    # Another model misses everything it did not write.
    other = Engine(replace(writer_config(tmp_path, llm_server, model="other-model"), prices=PRICES), kb=fresh_kb).answerer
    assert not (await other.ask("What is Self-Play Preference Optimization?")).cached


async def test_the_cache_can_be_turned_off(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server, cache=CacheSettings(enabled=False))
    for _ in range(2):
        await answerer.summarize("2405.14831")
    assert len(llm_server.chat_requests()) == 2 and answerer.cache is None


# -- servers people self-host ------------------------------------------------------------------
@pytest.mark.parametrize("rejects, check", [
    ({"system"}, lambda sent: sent["messages"][0]["role"] == "user"
     and sent["messages"][0]["content"].startswith("You are paperbot")),
    ({"max_tokens"}, lambda sent: "max_tokens" not in sent and sent["max_completion_tokens"] == 1024),
    ({"temperature"}, lambda sent: "temperature" not in sent),
])
async def test_a_server_that_rejects_a_parameter_is_adapted_to_once(seeded_kb, tmp_path, rejects, check):
    with LLMServer(rejects=frozenset(rejects)) as picky:
        answerer = engine(seeded_kb, tmp_path, picky)
        picky.default = reply("HippoRAG mimics the hippocampal index [1].")
        for _ in range(2):
            answer = await answerer.ask("Is there a retrieval method inspired by the hippocampus?",
                                        history=[("earlier", "turn")])  # history: no cache, two calls
            assert answer.mode == "llm" and answer.citations[0].arxiv_id == HIPPO
        requests = picky.chat_requests()
    assert len(requests) == 3  # one rejected, then adapted for good
    assert check(requests[1].json) and check(requests[2].json)


async def test_a_digest_too_long_for_a_small_context_window_is_sent_with_shorter_sources(seeded_kb, tmp_path):
    with LLMServer(max_prompt_chars=8000, default=reply("New papers on multimodal models [1] and alignment [7].")) \
            as small:
        config = writer_config(tmp_path, small, context_window=3000, max_tokens=300)
        answer = await Engine(config, kb=seeded_kb).answerer.digest(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        (request,) = small.chat_requests()
    assert answer.mode == "llm" and len(answer.citations) == 33
    sent = request.json["messages"][-1]["content"]
    assert sent.count("<source id=") == 33 and "Title: HippoRAG" in sent and "海馬索引理論" not in sent


async def test_reasoning_is_never_part_of_the_answer_even_split_across_chunks(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server)
    llm_server.script(reply("<think>cite [2] maybe</think>HippoRAG mimics the hippocampal index [1].",
                            chunk_chars=3, reasoning="hidden reasoning"))
    drafts = []
    answer = await answerer.ask("Is there a retrieval method inspired by the hippocampus?", on_text=drafts.append)
    assert answer.text == "HippoRAG mimics the hippocampal index [1]."
    assert drafts and all("think" not in d.text and "maybe" not in d.text for d in drafts)


async def test_a_rate_limited_server_is_retried_after_its_retry_after(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server)
    llm_server.script(status(429, headers={"retry-after-ms": "10"}), reply("HippoRAG mimics the index [1]."))
    answer = await answerer.ask("Is there a retrieval method inspired by the hippocampus?")
    assert answer.mode == "llm" and [r["outcome"] for r in calls(answerer)] == ["ok"]


# -- budgets, through the loopback Discord ------------------------------------------------------
async def test_budgets_per_member_and_tier_give_the_offline_answer_with_a_note(discord_server, seeded_kb, llm_server,
                                                                                tmp_path):
    server = discord_server
    researchers = server.add_role("researchers")
    budget = BudgetSettings(user_daily_requests=1, tiers={"researchers": Limits(user_daily_requests=3)})
    config = replace(bot_config(tmp_path, server, writer_config(tmp_path, llm_server), cooldown_seconds=0),
                     prices=PRICES, budget=budget, cache=CacheSettings(enabled=False))
    llm_server.default = reply("HippoRAG mimics the hippocampal index [1].")
    member, researcher = server.add_user("student"), server.add_user("postdoc", roles=[researchers])
    async with running_bot(config, seeded_kb, answerer=Engine(config, "discord", kb=seeded_kb).answerer):
        async def ask(user) -> str:
            inter = server.send_interaction("ask", {"question": "What is HippoRAG?"}, user=user)
            await inter.wait_for(lambda i: i.settled and "footer" in i.final_message().embeds[-1], timeout=20)
            return inter.final_message().embeds[-1]["footer"]["text"]

        assert await ask(member) == "model: test-model"
        note = await ask(member)
        assert note.startswith("You have used your 1 model answers for today, so this is the offline answer")
        assert "resets" in note and "UTC" in note
        assert [await ask(researcher) for _ in range(4)][-2:] == ["model: test-model", note.replace("1 model", "3 model")]
        assert await ask("admin") == "model: test-model"  # members who manage the server are not limited

        usage = server.send_interaction("usage", user="admin")
        embed = (await usage.wait_settled(timeout=20)).embeds[0]
    assert usage.ephemeral
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["This month"].startswith("5 calls (0 cached)") and "US$0.00" in fields["This month"]
    assert f"<@{researcher}>: 3 calls" in fields["By member"] and "ask: 5 calls" in fields["By operation"]
    assert len(llm_server.chat_requests()) == 5
    assert not server.limit_violations


async def test_a_monthly_server_cap_stops_paid_calls_for_everyone(seeded_kb, llm_server, tmp_path):
    answerer = engine(seeded_kb, tmp_path, llm_server, budget=BudgetSettings(guild_monthly_usd=0.000001),
                      cache=CacheSettings(enabled=False))
    llm_server.default = reply("HippoRAG mimics the hippocampal index [1].")
    admin = Caller("1", "7", unlimited=True)
    assert (await answerer.ask("What is HippoRAG?", caller=admin)).mode == "llm"
    capped = await answerer.ask("What is HippoRAG?", caller=admin)
    assert capped.mode == "offline" and "This server has used its model budget for the month" in capped.notice
    assert (await answerer.ask("What is HippoRAG?", caller=Caller("1", "8"))).mode == "llm"  # another server


# -- the command line ---------------------------------------------------------------------------
def test_usage_and_cache_from_the_command_line(tmp_path):
    state = tmp_path / "state"
    ledger = Ledger(Database(state / "paperbot.sqlite"), PRICES)
    ledger.record(caller=Caller("42", "7"), operation="ask", model="test-model", prompt_tokens=1000,
                  completion_tokens=200)
    ledger.record(caller=Caller("42", "7"), operation="ask", model="test-model", cached=True, saved_usd=0.0008)
    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ntables = []\nstate_dir = "{state}"\n', encoding="utf-8")

    def paperbot(*args) -> subprocess.CompletedProcess:
        return subprocess.run([str(Path(sys.executable).parent / "paperbot"), "--config", str(config), *args],
                              capture_output=True, text=True, timeout=60)

    report = json.loads(paperbot("usage", "--json").stdout)
    assert report["total"]["calls"] == 2 and report["total"]["cached"] == 1
    assert report["by_user"]["42"]["prompt_tokens"] == 1000
    text = paperbot("usage").stdout
    assert "2 calls, 1 from the cache; 1,200 tokens" in text and "the cache saved US$0.0008" in text
    assert paperbot("cache", "stats").stdout.startswith("answer cache on: 0 answers")
    assert json.loads(paperbot("cache", "clear", "--json").stdout) == {"removed": 0}
