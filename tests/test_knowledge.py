"""The knowledge base in real Chroma: ingest, idempotence, replacement, both store modes."""

import datetime as dt
from dataclasses import replace

import pytest

from conftest import make_config, server_store
from rag.errors import StoreUnavailable
from rag.papers.table import parse_table
from rag.search.retrieval import HybridRetriever
from rag.store.chroma import SearchFilter
from rag.store.knowledge import KnowledgeBase


def test_ingest_stores_every_paper_with_its_metadata(seeded_kb):
    assert seeded_kb.store.count() == 33
    paper = seeded_kb.get("arXiv:2405.18870v1")
    assert paper.title.startswith("LLMs achieve adult human performance")
    assert paper.date == dt.date(2024, 5, 31)
    assert paper.topics == ("心智理論",)
    assert paper.url == "https://arxiv.org/abs/2405.18870"
    assert paper.added_at is not None and paper.added_at.tzinfo is not None
    assert seeded_kb.get("2405.11157").topics == ("PEFT 方法", "微調", "工具包")


def test_reingest_is_idempotent_and_a_changed_row_replaces_its_paper(fresh_kb, seed_papers):
    first = fresh_kb.ingest(seed_papers)
    assert len(first.added) == 33
    added_at = fresh_kb.get("2405.20541").added_at

    again = fresh_kb.ingest(seed_papers)
    assert (len(again.added), len(again.updated), len(again.unchanged)) == (0, 0, 33)
    assert fresh_kb.store.count() == 33

    # The group rewrites one summary: it is replaced (text, metadata, embedding), not duplicated.
    changed = [replace(p, summary="這篇論文研究用小型參考模型計算困惑度來篩選預訓練語料，並以袋熊實驗驗證。")
               if p.arxiv_id == "2405.20541" else p for p in seed_papers]
    third = fresh_kb.ingest(changed)
    assert third.updated == ["2405.20541"] and len(third.unchanged) == 32
    assert fresh_kb.store.count() == 33
    fresh_kb.refresh()
    paper = fresh_kb.get("2405.20541")
    assert "袋熊" in paper.summary
    assert paper.added_at == added_at  # still the day it first arrived: the digest won't repeat it
    hits = HybridRetriever(fresh_kb, k=3).search("袋熊實驗")
    assert hits[0].paper.arxiv_id == "2405.20541"


def test_a_table_with_broken_rows_ingests_the_good_ones(fresh_kb):
    table = parse_table(
        "| 日期 | 名稱 | 摘要 | 主題 |\n|---|---|---|---|\n"
        "| 2024年5月31日 | [Good](https://arxiv.org/abs/2405.18870) | 心智理論的研究 | 心智理論 |\n"
        "| 2024年5月31日 | [Bad] | 沒有連結 | 心智理論 |\n"
    )
    assert len(table.errors) == 1
    fresh_kb.ingest(table.papers)
    assert fresh_kb.store.count() == 1


def test_batches_stay_within_chromas_limit(fresh_kb, seed_papers, monkeypatch):
    calls = []
    collection = fresh_kb.store.collection
    original = collection.add
    monkeypatch.setattr(fresh_kb.store, "max_batch", lambda: 10)  # as if Chroma's limit were 10
    monkeypatch.setattr(collection, "add", lambda ids, **kw: calls.append(len(ids)) or original(ids=ids, **kw))
    fresh_kb.ingest(seed_papers)
    assert max(calls) <= 10 and sum(calls) == 33
    assert fresh_kb.store.count() == 33


def test_llamaindex_reads_and_filters_what_ingest_wrote(seeded_kb):
    """Records are written to Chroma directly (no `_node_content` copy); LlamaIndex's
    VectorStoreIndex over the same collection still retrieves them, with filters."""
    flt = SearchFilter(since=dt.date(2024, 5, 20))
    retriever = seeded_kb.index.as_retriever(similarity_top_k=3, filters=flt.to_metadata_filters())
    nodes = retriever.retrieve("preference optimization for aligning language models")
    assert nodes and all(flt.admits(seeded_kb.get(n.node.metadata["arxiv_id"])) for n in nodes)
    assert {n.node.node_id for n in nodes} == {n.node.metadata["arxiv_id"] for n in nodes}


def test_server_mode_against_a_real_chroma_run(chroma_server, tmp_path, embed_model, seed_papers):
    config = make_config(tmp_path, store=server_store(chroma_server))
    writer = KnowledgeBase(config, embed_model=embed_model)
    writer.ingest(seed_papers[:10])
    # A second client (as the bot would be) sees what the first wrote.
    reader = KnowledgeBase(config, embed_model=embed_model)
    assert reader.store.count() == 10
    assert reader.get("2405.18870") is not None
    hits = HybridRetriever(reader, k=3).search("theory of mind in large language models")
    assert hits[0].paper.arxiv_id == "2405.18870"
    writer.ingest(seed_papers)
    assert reader.refresh() and len(reader.catalog) == 33


def test_a_chroma_server_that_is_down_is_a_clear_error(tmp_path, embed_model):
    from conftest import free_port
    from rag.config import StoreSettings

    config = make_config(tmp_path, store=StoreSettings(mode="server", port=free_port()))
    with pytest.raises(StoreUnavailable, match="cannot reach the Chroma server .*chroma run"):
        KnowledgeBase(config, embed_model=embed_model).store.count()


def test_changing_the_embedding_model_uses_a_new_collection(tmp_path):
    from rag.config import EmbeddingSettings
    from rag.store.chroma import PaperStore

    a = PaperStore(make_config(tmp_path))
    b = PaperStore(make_config(tmp_path, embedding=EmbeddingSettings(model="sentence-transformers/other")))
    assert a.collection.name != b.collection.name
    assert b.collection.metadata["embedding_model"] == "sentence-transformers/other"


def test_an_llm_glosses_each_summary_once_and_english_questions_find_it(fresh_kb, seed_papers, llm_server):
    from conftest import llm_config
    from peers.llm_server import reply
    from rag.answers.gloss import Glosser
    from rag.models.chat import make_llm

    llm_server.default = lambda body: reply(
        "Wombat-inspired curriculum for pruning pretraining data." if "2405.20541" in str(body) or "困惑度" in str(body)
        else "A paper about language models.")
    llm = make_llm(llm_config(fresh_kb.config.base_dir, llm_server))
    report = fresh_kb.ingest(seed_papers[:5], glosser=Glosser(llm))
    assert len(report.added) == 5 and len(llm_server.chat_requests()) == 5
    fresh_kb.refresh()
    assert fresh_kb.get("2405.20541").gloss.startswith("Wombat-inspired")
    hits = HybridRetriever(fresh_kb, k=3).search("wombat curriculum")
    assert hits[0].paper.arxiv_id == "2405.20541"

    again = fresh_kb.ingest(seed_papers[:5], glosser=Glosser(llm))
    assert len(again.unchanged) == 5 and len(llm_server.chat_requests()) == 5  # never regenerated


def test_a_gloss_that_is_not_a_translation_of_its_summary_is_not_kept(fresh_kb, seed_papers, llm_server):
    """What small self-hosted models write (seen from Gemma 3 270M on llama.cpp): the
    summary echoed in its tags, markup, or another paper's claims. A kept gloss is trusted
    as the paper's own words, so such a reply would make an invented claim look cited."""
    from conftest import llm_config
    from peers.llm_server import reply
    from rag.answers.gloss import Glosser
    from rag.claims.attribution import attribute
    from rag.models.chat import make_llm

    papers = [p for p in seed_papers if p.arxiv_id in ("2405.14831", "2405.20541", "2405.19332", "2405.18870")]
    faithful = ("HippoRAG is a retrieval framework inspired by the hippocampal indexing theory of human long-term "
                "memory; single-step retrieval matches IRCoT while being 10-30 times cheaper and 6-13 times faster.")
    replies = {"海馬": faithful, "困惑度": "HippoRAG follows the hippocampal indexing theory of long-term memory [1].",
               "SELM": '<summary>\n<title>\n<a href="https://github.com/shenao-zhang/SELM"></a></summary>'}
    llm_server.default = lambda body: reply(next((r for key, r in replies.items() if key in str(body)),
                                                 "<summary>" + papers[-1].summary + "</summary>"))
    fresh_kb.ingest(papers, glosser=Glosser(make_llm(llm_config(fresh_kb.config.base_dir, llm_server))))
    fresh_kb.refresh()
    assert fresh_kb.get("2405.14831").gloss == faithful
    assert [fresh_kb.get(i).gloss for i in ("2405.20541", "2405.19332", "2405.18870")] == ["", "", ""]
    # the other paper's claim, cited to the pruning paper, is not supported by it
    claim = attribute("HippoRAG follows the hippocampal indexing theory of long-term memory [1].",
                      [fresh_kb.get("2405.20541")])
    assert claim.removed


def test_an_embedded_store_is_never_opened_by_two_processes(tmp_path):
    """The bot holds the directory; `paperbot ingest` in another process is refused
    with the fix named, and nothing is written."""
    import subprocess
    import sys
    import textwrap

    from conftest import SEED

    config = tmp_path / "config.toml"
    config.write_text(f'[data]\ntables = ["{SEED}"]\nstate_dir = "state"\n[embedding]\nmeaning = false\n')
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from rag.config import load_config
            from rag.store.chroma import PaperStore
            store = PaperStore(load_config({str(config)!r}))
            print("holding", flush=True)
            sys.stdin.read()
        """)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        proc = subprocess.run([sys.executable, "-m", "cli.main", "--config", str(config), "ingest"],
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 3
        assert f"pid {holder.pid}" in proc.stderr and 'mode = "server"' in proc.stderr
    finally:
        holder.stdin.close()
        holder.wait(30)
    # Once the holder is gone, the directory opens normally.
    proc = subprocess.run([sys.executable, "-m", "cli.main", "--config", str(config), "topics", "--json"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("write_batch", [1000, 8], ids=["written-after-the-failure", "written-along-the-way"])
def test_openai_compatible_embeddings_resume_after_a_crash_mid_ingest(tmp_path, llm_server, seed_papers,
                                                                       write_batch, monkeypatch):
    """A self-hosted embeddings server fails on the third batch: the first two batches
    are kept (written when the failure stops the ingest, or already written by the
    writer thread while later papers were embedded), and the next ingest embeds only
    what is missing."""
    from peers.llm_server import status
    from rag.config import EmbeddingSettings
    from rag.store import knowledge

    monkeypatch.setattr(knowledge, "WRITE_BATCH", write_batch)

    settings = EmbeddingSettings(backend="openai", model="test-embed", api_base=llm_server.base_url, batch_size=8)
    kb = KnowledgeBase(make_config(tmp_path, embedding=settings))
    llm_server.script_embeddings("ok", "ok", status(400, body={"error": {"message": "boom"}}))
    with pytest.raises(Exception, match="boom"):
        kb.ingest(seed_papers)
    assert kb.store.count() == 16
    embedded = lambda: [r for r in llm_server.requests if r.path.endswith("/embeddings")]  # noqa: E731
    before = len(embedded())
    report = kb.ingest(seed_papers)
    assert len(report.added) == 17 and len(report.unchanged) == 16
    assert len(embedded()) - before == 3  # ceil(17 / 8) batches, nothing redone
    assert kb.store.count() == 33
    assert kb.store.collection.metadata["embedding_backend"] == "openai"


def test_an_abstract_arriving_later_is_embedded_and_kept_when_the_table_comes_again(fresh_kb, seed_papers):
    papers = seed_papers[:6]
    fresh_kb.ingest(papers)
    target = papers[2]
    before = fresh_kb.store.vectors([target.arxiv_id])[target.arxiv_id]
    # arXiv enrichment brings the abstract and authors (the lead's arXiv side builds these Papers).
    enriched = replace(target, abstract="We study marsupial-inspired caching for retrieval pipelines.",
                       authors=("Ada Lovelace", "Alan Turing"))
    report = fresh_kb.ingest([enriched])
    assert report.updated == [target.arxiv_id] and report.enriched == [target.arxiv_id]
    after = fresh_kb.store.vectors([target.arxiv_id])[target.arxiv_id]
    assert after != before  # the abstract feeds the dense side: a new vector
    fresh_kb.refresh()
    assert fresh_kb.get(target.arxiv_id).authors == ("Ada Lovelace", "Alan Turing")

    # The table row again, without abstract or authors: nothing is lost, nothing re-embedded.
    again = fresh_kb.ingest(papers)
    assert len(again.unchanged) == 6 and not again.updated
    fresh_kb.refresh()
    stored = fresh_kb.get(target.arxiv_id)
    assert stored.abstract.startswith("We study marsupial") and stored.authors == ("Ada Lovelace", "Alan Turing")
    assert fresh_kb.store.vectors([target.arxiv_id])[target.arxiv_id] == after
    assert HybridRetriever(fresh_kb, k=1).search("marsupial caching")[0].paper.arxiv_id == target.arxiv_id


def test_new_authors_alone_keep_the_stored_vector(fresh_kb, seed_papers):
    paper = seed_papers[0]
    fresh_kb.ingest([paper])
    vector = fresh_kb.store.vectors([paper.arxiv_id])[paper.arxiv_id]
    report = fresh_kb.ingest([replace(paper, authors=("Grace Hopper",))])
    assert report.enriched == [paper.arxiv_id]
    assert fresh_kb.store.vectors([paper.arxiv_id])[paper.arxiv_id] == vector  # authors are not embedded
    fresh_kb.refresh()
    assert fresh_kb.get(paper.arxiv_id).authors == ("Grace Hopper",)
    assert fresh_kb.get(paper.arxiv_id).to_dict()["authors"] == ["Grace Hopper"]
