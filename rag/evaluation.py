"""Retrieval evaluation: recall@1/3/5 per language, MRR, multi-answer recall@10,
for paperbot's hybrid retrieval and, in the same run, a naive dense-only baseline."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from rag.knowledge import KnowledgeBase
from rag.retrieval import HybridRetriever


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


class NaiveBaseline:
    """What a first RAG tutorial builds: one Document per paper (title + summary), an
    in-memory VectorStoreIndex with the same embedding model, dense top-k."""

    def __init__(self, kb: KnowledgeBase):
        from llama_index.core import Document, VectorStoreIndex

        documents = [Document(text=f"{p.title}\n{p.summary}", metadata={"arxiv_id": p.arxiv_id})
                     for p in kb.catalog.values()]
        self.index = VectorStoreIndex.from_documents(documents, embed_model=kb.embed_model)

    def rank(self, query: str, k: int) -> list[str]:
        nodes = self.index.as_retriever(similarity_top_k=3 * k).retrieve(query)
        return list(dict.fromkeys(n.node.metadata["arxiv_id"] for n in nodes))[:k]


def evaluate(kb: KnowledgeBase, questions: list[Question], k: int = 10) -> dict:
    retriever = HybridRetriever(kb, k=k)
    naive = NaiveBaseline(kb)
    ranked, baseline, times = [], [], []
    for question in questions:
        start = time.perf_counter()
        ours = [h.paper.arxiv_id for h in retriever.search(question.q)]
        times.append(time.perf_counter() - start)
        baseline.append(naive.rank(question.q, k))
        # Scripts expect k IDs; when fewer papers match at all, the rest follow in baseline order.
        ranked.append(ours + [i for i in naive.rank(question.q, len(kb.catalog)) if i not in ours][: k - len(ours)])
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
