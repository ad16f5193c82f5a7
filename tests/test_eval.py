"""The retrieval floor: on our question sets paperbot must stay at or above these targets,
and well ahead of the naive dense-only recipe and of word BM25 measured in the same run.

Two settings: the 33 seed papers alone, and the seed papers among 150 real corpus papers
committed in tests/eval/corpus-sample.md (60 that our corpus questions ask about and 90
of their nearest neighbours, so every question has close competitors). The full-scale
runs (10k and 59k papers) are in benchmarks/README.md; they need ../shared/corpus."""

from pathlib import Path

import pytest

from conftest import make_config
from rag.search.evaluation import evaluate, read_questions
from rag.search.retrieval import HybridRetriever

EVAL = Path(__file__).parent / "eval"
QUESTIONS = EVAL / "questions.jsonl"
SAMPLE = EVAL / "corpus-sample.md"


def test_the_question_sets_are_big_enough_and_cover_every_way_people_ask():
    questions = read_questions(QUESTIONS)
    assert len(questions) >= 80
    assert sum(q.lang == "en" for q in questions) >= 30
    assert sum(q.lang == "zh" for q in questions) >= 30
    assert sum(q.kind == "multi" for q in questions) >= 8
    more = read_questions(EVAL / "seed-variants.jsonl") + read_questions(EVAL / "corpus-questions.jsonl")
    sets = {q.set for q in more}
    assert {"simplified", "name", "mixed", "vague", "detail", "tldr"} <= sets
    assert all(sum(q.set == s for q in more) >= 20 for s in sets - {"plain"})
    assert len(read_questions(EVAL / "corpus-abstract-sentences.jsonl")) >= 100


def test_seed_retrieval_meets_the_targets_and_beats_both_baselines(seeded_kb):
    report = evaluate(seeded_kb, read_questions(QUESTIONS), k=10, baselines=("dense", "bm25"))
    ours, naive, bm25 = (report["summary"][n] for n in ("paperbot", "baseline_dense", "baseline_bm25"))
    assert ours["en"]["recall@1"] >= 0.95
    assert ours["zh"]["recall@1"] >= 0.95
    assert ours["en"]["recall@3"] >= 0.95 and ours["zh"]["recall@3"] >= 0.95
    assert ours["multi"]["recall@10"] >= 0.90
    assert ours["en"]["mrr"] > naive["en"]["mrr"] + 0.1 and ours["zh"]["mrr"] > naive["zh"]["mrr"] + 0.3
    assert ours["en"]["mrr"] > bm25["en"]["mrr"] + 0.1 and ours["zh"]["mrr"] > bm25["zh"]["mrr"] + 0.3
    assert all(len(r["ranked"]) == 10 for r in report["results"])


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory, embed_model, seed_papers):
    """The seed table and 150 real corpus rows, as a group's tables would give them."""
    from rag.papers.table import parse_table
    from rag.store.knowledge import KnowledgeBase

    config = make_config(tmp_path_factory.mktemp("sample"))
    kb = KnowledgeBase(config, embed_model=embed_model)
    corpus = parse_table(SAMPLE.read_text(encoding="utf-8"), str(SAMPLE))
    assert not corpus.errors and len(corpus.papers) == 150
    kb.ingest(seed_papers + corpus.papers)
    return kb


def _in(kb, path: Path):
    return [q for q in read_questions(path) if set(q.gold) <= set(kb.catalog)]


def test_among_real_neighbours_every_kind_of_question_stays_above_its_floor(sample_kb):
    questions = (read_questions(QUESTIONS) + read_questions(EVAL / "seed-variants.jsonl")
                 + read_questions(EVAL / "seed-holdout.jsonl") + _in(sample_kb, EVAL / "corpus-questions.jsonl")
                 + _in(sample_kb, EVAL / "corpus-abstract-sentences.jsonl"))
    report = evaluate(sample_kb, questions, k=10, baselines=("bm25",))
    ours, bm25 = report["summary"]["paperbot"], report["summary"]["baseline_bm25"]
    floors = {  # recall@1, a little under what this sample measures (benchmarks/README.md)
        "questions": 0.93, "simplified": 0.93, "name": 0.95, "mixed": 0.95, "detail": 0.95,
        "vague": 0.93, "tldr": 0.95, "holdout": 0.95,
        "abstract": 0.84,  # 0.855 with coverage, 0.823 without (rag/retrieval.py: COVERAGE)
    }
    low = {s: ours[f"set:{s}"]["recall@1"] for s in floors if ours[f"set:{s}"]["recall@1"] < floors[s]}
    assert not low, f"below the floor: {low}"
    assert ours["set:vague"]["recall@3"] >= 0.95
    assert ours["multi"]["recall@10"] >= 0.8
    for s in floors:  # ahead of word BM25 on every set (short names: at least level)
        assert ours[f"set:{s}"]["mrr"] >= bm25[f"set:{s}"]["mrr"], s


def test_a_rewrite_counts_where_it_agrees_with_the_question_and_only_there(sample_kb):
    """The model's search phrasings (rag.answers.rewrite) re-rank what the question could mean; a
    line about something else changes nothing (Gemma 3 270M answered one question with
    "What is your current research project?")."""
    retriever = HybridRetriever(sample_kb)
    question = "can a tiny model decide which pretraining documents are worth keeping for a big one?"
    alone = [(h.paper.arxiv_id, h.score) for h in retriever.search(question, 10)]
    assert alone[0][0] != "2405.20541"  # Perplexed by Perplexity, ninth among these neighbours
    good = retriever.search(question, 10, extra_queries=["perplexity-based pruning of pretraining data with a small reference model"])
    assert good[0].paper.arxiv_id == "2405.20541"
    for elsewhere in ("What is your current research project?", "digital pathology copilots benchmarked against pathologists"):
        assert [(h.paper.arxiv_id, h.score) for h in retriever.search(question, 10, extra_queries=[elsewhere])] == alone
