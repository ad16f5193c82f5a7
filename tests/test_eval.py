"""The retrieval floor: on our question set, paperbot must stay at or above the targets
(and well ahead of a naive dense-only pipeline measured in the same run)."""

from pathlib import Path

from rag.evaluation import evaluate, read_questions

QUESTIONS = Path(__file__).parent / "eval" / "questions.jsonl"


def test_the_question_set_is_big_enough_and_bilingual():
    questions = read_questions(QUESTIONS)
    assert len(questions) >= 80
    assert sum(q.lang == "en" for q in questions) >= 30
    assert sum(q.lang == "zh" for q in questions) >= 30
    assert sum(q.kind == "multi" for q in questions) >= 8


def test_retrieval_meets_the_targets_and_beats_the_naive_baseline(seeded_kb):
    report = evaluate(seeded_kb, read_questions(QUESTIONS), k=10)
    ours, naive = report["summary"]["paperbot"], report["summary"]["baseline_dense"]
    assert ours["en"]["recall@1"] >= 0.85
    assert ours["zh"]["recall@1"] >= 0.95
    assert ours["en"]["recall@3"] >= 0.95 and ours["zh"]["recall@3"] >= 0.95
    assert ours["multi"]["recall@10"] >= 0.90
    assert ours["en"]["mrr"] > naive["en"]["mrr"] + 0.1 and ours["zh"]["mrr"] > naive["zh"]["mrr"] + 0.3
    assert all(len(r["ranked"]) >= 10 for r in report["results"])
