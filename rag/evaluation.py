"""Retrieval evaluation: recall@1/3/5 per language, MRR, multi-answer recall@10,
for paperbot's hybrid retrieval and, in the same run, a naive dense-only baseline."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from rag.knowledge import KnowledgeBase
from rag.retrieval import HybridRetriever, dense_only


@dataclass(frozen=True)
class Question:
    q: str
    lang: str
    gold: tuple[str, ...]
    kind: str


def read_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(Question(row["q"], row["lang"], tuple(row["gold"]), row.get("kind", "single")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question line ({exc})") from None
    return questions


def score(questions: list[Question], rankings: list[list[str]]) -> dict:
    """Metrics over (question, ranking) pairs."""
    summary: dict = {}
    singles = [(q, r) for q, r in zip(questions, rankings) if q.kind == "single"]
    for lang in sorted({q.lang for q, _ in singles}):
        pairs = [(q, r) for q, r in singles if q.lang == lang]
        block = {"n": len(pairs)}
        for k in (1, 3, 5):
            block[f"recall@{k}"] = round(sum(q.gold[0] in r[:k] for q, r in pairs) / len(pairs), 4)
        block["mrr"] = round(sum(1 / (r.index(q.gold[0]) + 1) if q.gold[0] in r else 0 for q, r in pairs) / len(pairs), 4)
        summary[lang] = block
    multis = [(q, r) for q, r in zip(questions, rankings) if q.kind == "multi"]
    if multis:
        summary["multi"] = {
            "n": len(multis),
            "recall@10": round(sum(len(set(q.gold) & set(r[:10])) / len(q.gold) for q, r in multis) / len(multis), 4),
        }
    return summary


def evaluate(kb: KnowledgeBase, questions: list[Question], k: int = 10) -> dict:
    retriever = HybridRetriever(kb, k=k)
    ranked, baseline, times = [], [], []
    for question in questions:
        start = time.perf_counter()
        ranked.append([h.paper.arxiv_id for h in retriever.search(question.q)])
        times.append(time.perf_counter() - start)
        baseline.append(dense_only(kb, question.q, k))
    times.sort()
    return {
        "summary": {
            "paperbot": score(questions, ranked),
            "baseline_dense": score(questions, baseline),
            "questions": len(questions),
            "search_ms_p50": round(1000 * times[len(times) // 2], 2) if times else None,
        },
        "results": [{"q": q.q, "lang": q.lang, "gold": list(q.gold), "ranked": r, "baseline": b}
                    for q, r, b in zip(questions, ranked, baseline)],
    }
