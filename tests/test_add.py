"""Growing the list: papers added by arXiv ID (fetched from a loopback arXiv API that
speaks its Atom format), written to the inbox table, ingested and found at once; and
every listed paper's English abstract and authors looked up at ingest."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import SEED, llm_config, make_config
from peers.arxiv_server import ArxivServer
from peers.llm_server import reply
from rag.answers.operations import Answerer
from rag.config import ArxivSettings
from rag.engine import Engine
from rag.errors import InputError
from rag.papers.arxiv import ArxivClient
from rag.papers.table import parse_table
from rag.records import Database
from rag.search.retrieval import HybridRetriever
from rag.store.add import ADDED, FAILED, LISTED, UNKNOWN, WITHDRAWN
from rag.store.enrich import enrich

NEW = "2406.01234"
TITLE = "LongGraphRAG: Knowledge-Graph Retrieval for Book-Length Question Answering"
ABSTRACT = ("Retrieval-augmented generation struggles when the answer is spread across a whole book. "
            "We propose LongGraphRAG, which builds a knowledge graph of entities and events over the book and "
            "retrieves connected subgraphs with personalized PageRank. On NarrativeQA it improves exact match by "
            "7.2 points over dense retrieval while reading 40% fewer tokens.")


@pytest.fixture
def arxiv():
    with ArxivServer() as server:
        server.add_entry(NEW, TITLE, ABSTRACT, authors=("Mei Lin", "Tomás Ruiz", "A. Okafor", "J. Park"))
        server.add_entry("2406.05555", "A Retracted Result", "This paper has been withdrawn by the authors.",
                         comment="This paper has been withdrawn")
        yield server


def configured(tmp_path, arxiv, **sections):
    return replace(make_config(tmp_path, **sections), arxiv=ArxivSettings(api_base=arxiv.api_base, min_interval=0.01,
                                                                          timeout=5))


@pytest.fixture
def kb(fresh_kb, seed_papers):
    fresh_kb.ingest(seed_papers, now=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))  # listed long ago
    return fresh_kb


async def test_without_a_model_the_row_is_a_draft_with_the_abstract_and_the_nearest_papers_topics(
        kb, arxiv, tmp_path):
    config = configured(tmp_path, arxiv)
    adder = Engine(config, kb=kb).adder
    (result,) = await adder.add([f"https://arxiv.org/abs/{NEW}v2"])
    assert result.status == ADDED and result.draft
    paper = kb.get(NEW)  # in the knowledge base at once
    assert paper.title == TITLE and paper.authors[:2] == ("Mei Lin", "Tomás Ruiz")
    assert paper.abstract.startswith("Retrieval-augmented generation struggles") and paper.summary == paper.abstract
    assert paper.date == dt.date(2024, 6, 3) and set(paper.topics) <= {t for t, _ in kb.topics()}
    # its neighbours are the graph-RAG papers; a broad topic of weak matches (多模態模型) is not its topic
    assert paper.topics and all("RAG" in t for t in paper.topics)
    table = parse_table(config.inbox_path.read_text(encoding="utf-8"))
    assert not table.errors and [p.arxiv_id for p in table.papers] == [NEW] and table.papers[0].draft
    assert config.inbox_path.read_text(encoding="utf-8").startswith(SEED.read_text(encoding="utf-8").splitlines()[0])
    assert HybridRetriever(kb, k=3).search("knowledge graph retrieval over a whole book")[0].paper.arxiv_id == NEW
    digest = await Answerer(kb).digest(dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5))
    assert [c.arxiv_id for c in digest.citations] == [NEW]  # in the next weekly digest


async def test_with_a_model_the_row_gets_a_traditional_chinese_summary_and_listed_topics(
        kb, arxiv, llm_server, tmp_path):
    config = configured(tmp_path, arxiv, llm=llm_config(tmp_path, llm_server).llm)
    engine = Engine(config, kb=kb)
    llm_server.script(reply("主题：RAG 优化、长文本\n摘要：为了回答分散在整本书中的问题，本研究提出 LongGraphRAG，"
                            "在书中的实体与事件上建立知识图谱，并以个性化 PageRank 检索相连的子图。"
                            "在 NarrativeQA 上，其精确匹配比稠密检索高 7.2 分，且少读 40% 的 token（见 arXiv:2999.00001）。"))
    (result,) = await engine.adder.add([NEW])
    paper = kb.get(NEW)
    assert result.status == ADDED and not result.draft and not paper.draft
    assert paper.summary.startswith("為了回答分散在整本書中的問題") and "2999.00001" not in paper.summary
    assert paper.topics[0] == "RAG 優化"  # a listed topic, in the list's script
    sent = llm_server.last_chat()
    assert "RAG 優化" in sent[-1]["content"] and ABSTRACT[:40] in sent[-1]["content"]
    (call,) = engine.records.query("SELECT operation, outcome FROM model_calls")
    assert tuple(call) == ("add", "ok")


async def test_an_unusable_model_summary_leaves_the_draft(kb, arxiv, llm_server, tmp_path):
    config = configured(tmp_path, arxiv, llm=llm_config(tmp_path, llm_server).llm)
    llm_server.script(reply("Sure! Here is a summary: it is a great paper about graphs."))
    (result,) = await Engine(config, kb=kb).adder.add([NEW])
    assert result.status == ADDED and result.draft and kb.get(NEW).summary == kb.get(NEW).abstract


async def test_listed_unknown_withdrawn_and_malformed_ids_are_each_said(kb, arxiv, tmp_path):
    adder = Engine(configured(tmp_path, arxiv), kb=kb).adder
    results = await adder.add(["arXiv:2405.14831v2", "2406.09999", "2406.05555"])
    assert [r.status for r in results] == [LISTED, UNKNOWN, WITHDRAWN]
    assert results[0].paper.title.startswith("HippoRAG")
    with pytest.raises(InputError) as info:
        await adder.add(["2406.01234", "not-an-id"])
    assert info.value.code == "bad_id" and "not-an-id" in str(info.value)
    assert not (tmp_path / "data" / "added.md").exists()  # nothing was written for bad input


async def test_arxiv_down_loses_nothing_and_says_so(kb, tmp_path):
    with ArxivServer() as gone:
        config = configured(tmp_path, gone)
    (result,) = await Engine(config, kb=kb).adder.add([NEW])  # the server has stopped: nothing listens
    assert result.status == FAILED and "could not be reached" in result.reason
    assert not config.inbox_path.exists() and kb.get(NEW) is None


async def test_two_adds_of_the_same_paper_at_once_write_one_row(kb, arxiv, tmp_path):
    config = configured(tmp_path, arxiv)
    first, second = await asyncio.gather(Engine(config, kb=kb).adder.add([NEW]), Engine(config, kb=kb).adder.add([NEW]))
    assert sorted([first[0].status, second[0].status]) == [ADDED, LISTED]
    assert config.inbox_path.read_text(encoding="utf-8").count(NEW) == 1


async def test_a_read_only_inbox_is_a_clear_failure(kb, arxiv, tmp_path):
    config = configured(tmp_path, arxiv)
    config.inbox_path.parent.mkdir(parents=True, exist_ok=True)
    config.inbox_path.write_text(SEED.read_text(encoding="utf-8").split("\n", 2)[0] + "\n| --- | --- | --- | --- |\n")
    before = config.inbox_path.read_text()
    config.inbox_path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    try:
        (result,) = await Engine(config, kb=kb).adder.add([NEW])
    finally:
        config.inbox_path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert result.status == FAILED and "read-only" in result.reason.lower() or "not writable" in result.reason.lower()
    assert config.inbox_path.read_text() == before and kb.get(NEW) is None


# -- the command line, and enrichment at ingest -------------------------------------------------
def paperbot(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return subprocess.run([str(Path(sys.executable).parent / "paperbot"), "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def cli_config(tmp_path: Path, arxiv_base: str, llm=None) -> Path:
    config = tmp_path / "config.toml"
    text = (f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\ninbox = "added.md"\n'
            f'[arxiv]\napi_base = "{arxiv_base}"\nmin_interval = 0.01\ntimeout = 5.0\n'
            '[embedding]\nmeaning = false\n')  # tests/test_meaning.py reads papers with the multilingual model
    if llm is not None:
        text += f'[llm]\nmodel = "test-model"\napi_base = "{llm.base_url}"\n'
    config.write_text(text, encoding="utf-8")
    return config


def test_paperbot_add_and_ingest_enrich_every_paper_from_arxiv_once(arxiv, tmp_path):
    config = cli_config(tmp_path, arxiv.api_base)
    first = paperbot(config, "ingest")
    assert first.returncode == 0, first.stderr
    assert "arXiv: abstracts and authors for 33 paper(s)" in first.stdout
    (query,) = arxiv.queries  # one batched request for the whole table
    assert len(query.id_list) == 33 and query.max_results == 33
    hippo = json.loads(paperbot(config, "paper", "2405.14831", "--json").stdout)
    assert hippo["abstract"] and hippo["authors"]
    again = paperbot(config, "ingest")
    assert again.returncode == 0 and len(arxiv.queries) == 1  # never asked again

    added = paperbot(config, "add", NEW, "2405.14831")
    assert added.returncode == 0, added.stderr
    assert f"added {NEW}  {TITLE}" in added.stdout and "already listed 2405.14831" in added.stdout
    by_author = json.loads(paperbot(config, "search", "retrieval", "--author", "ruiz", "--json").stdout)
    assert [h["arxiv_id"] for h in by_author] == [NEW] and by_author[0]["authors"][1] == "Tomás Ruiz"
    assert paperbot(config, "add", "2406.09999").returncode == 1
    assert paperbot(config, "add", "nonsense").returncode == 2
    english = paperbot(config, "ask", "Which paper answers questions spread across a whole book?")
    first = english.stdout.split("\n• ", 1)[1].split("\n")[0]
    assert first.startswith(f"**{TITLE}**") and "whole book. We propose" in first  # the English abstract, quoted
    hippo_line = paperbot(config, "ask", "hippocampus-inspired retrieval for LLM memory").stdout
    assert "hippocampal" in hippo_line.lower() and "海馬" not in hippo_line  # every enriched paper, in English


def test_a_question_naming_an_author_arxiv_lists_finds_their_papers(kb, arxiv, tmp_path):
    enrich(kb, ArxivClient(arxiv.api_base, min_interval=0.01), Database(tmp_path / "state" / "paperbot.sqlite"))
    search = HybridRetriever(kb, k=5).search
    alone = search("any paper by Bernal Jimenez Gutierrez?")  # the list says Jiménez Gutiérrez
    assert [h.paper.arxiv_id for h in alone] == ["2405.14831"] and alone[0].named
    cited = search("Dunbar et al. on what large language models can do")  # he is last of ten authors
    assert cited[0].paper.arxiv_id == "2405.18870" and cited[0].relevant
    assert search("what large language models can do")[0].paper.arxiv_id != "2405.18870"
    elsewhere = search("George Karypis hippocampus-inspired long-term memory")  # he wrote GNN-RAG, not HippoRAG
    assert elsewhere[0].paper.arxiv_id == "2405.14831"
    assert not any(h.named for h in search("theory of mind on the street"))  # Winnie Street needs her first name


def test_ingest_succeeds_when_arxiv_is_unreachable(tmp_path):
    with ArxivServer() as gone:
        base = gone.api_base
    result = paperbot(cli_config(tmp_path, base), "ingest")
    assert result.returncode == 0 and "33 added" in result.stdout
    assert "arXiv enrichment skipped for now (the ingest is complete)" in result.stdout
    assert paperbot(cli_config(tmp_path, base), "add", NEW).returncode == 3


def test_a_later_ingest_with_a_model_writes_the_chinese_summary_of_drafts_once(arxiv, llm_server, tmp_path):
    offline = cli_config(tmp_path, arxiv.api_base)
    assert paperbot(offline, "add", NEW).returncode == 0
    assert "<!-- draft -->" in (tmp_path / "added.md").read_text(encoding="utf-8")
    llm_server.default = reply("主題：RAG 優化\n摘要：本研究提出 LongGraphRAG，在整本書的實體與事件上建立知識圖譜，"
                               "以個性化 PageRank 檢索子圖，在 NarrativeQA 上精確匹配提高 7.2 分。")
    online = cli_config(tmp_path, arxiv.api_base, llm=llm_server)
    result = paperbot(online, "ingest")
    assert result.returncode == 0 and "wrote the Chinese summary of 1 paper(s)" in result.stdout, result.stderr
    text = (tmp_path / "added.md").read_text(encoding="utf-8")
    assert "<!-- draft -->" not in text and "本研究提出 LongGraphRAG" in text
    assert "wrote the Chinese summary" not in paperbot(online, "ingest").stdout  # once
