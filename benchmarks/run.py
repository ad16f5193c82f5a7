"""paperbot benchmarks: ingest, search, lookup, answer, memory and cold start at
1k / 10k / all 59k real papers (the seed table plus a sample of ../shared/corpus when it
is there; synthetic papers otherwise). Each size runs in its own process (so peak RSS
is that size's), and every speed is shown next to a baseline measured in the same run.

    python -m benchmarks.run --quick            # 1k papers, a few minutes
    python -m benchmarks.run                    # 1k, 10k, all (the full corpus takes ~30 min)
    python -m benchmarks.run --sizes 1000,10000 --keep /work/scratch/bench

Queries are real questions from tests/eval (both languages, every set). Up to
--embed-limit papers are embedded with the real model; above it, paper vectors are
precomputed random unit vectors (said so in the table) while queries still go through
the real model, so the vector search is measured at full size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYNTHETIC_QUERIES = [
    "knowledge graph retrieval for multi-hop question answering", "知識圖譜 多跳問答",
    "efficient quantization for agents", "低秩適配器 數學推理", "preference optimization with self-play",
    "偏好優化 對話系統", "sparse attention long context", "稀疏注意力 長文本摘要", "code generation benchmark HumanEval",
    "模型剪枝 推理延遲", "contrastive learning for retrieval", "對比學習 資訊檢索", "state space models", "量化技術",
    "hallucination in vision-language models", "檢索增強生成 幻覺問題",
]
TARGETS = {"hybrid_p95_ms": 20, "lookup_p95_ms": 10, "ingest_ratio": 0.85, "serving_rss_mb": 1024, "cold_start_s": 6}
EVAL = ROOT / "tests" / "eval"
QUESTION_SETS = ["questions.jsonl", "seed-variants.jsonl", "corpus-questions.jsonl", "corpus-abstract-sentences.jsonl"]


def real_queries(n: int = 64, seed: int = 5) -> list[str]:
    """A seeded sample of the evaluation questions (every language and set)."""
    import random

    from rag.search.evaluation import read_questions

    questions = [q.q for name in QUESTION_SETS if (EVAL / name).is_file() for q in read_questions(EVAL / name)]
    return random.Random(seed).sample(questions, min(n, len(questions)))


def bench_papers(n: int, source: str, abstracts: bool = False):
    """(papers, what they are): the seed table plus n - 33 corpus papers (always holding
    the papers the evaluation sets ask about), or n synthetic ones."""
    if source == "corpus":
        from benchmarks.corpus import gold_ids, read_corpus, sample, to_paper
        from rag.papers.table import read_tables

        seed = read_tables([ROOT / "data" / "papers.md"]).papers
        wanted = gold_ids([EVAL / name for name in QUESTION_SETS[2:] if (EVAL / name).is_file()])
        rows = sample(list(read_corpus()), n - len(seed), wanted)
        return seed + [to_paper(r, abstracts) for r in rows], "real" + (" + abstracts" if abstracts else "")
    from benchmarks.synthetic import synthetic_papers

    return synthetic_papers(n), "synthetic"


def corpus_size() -> int:
    from benchmarks.corpus import read_corpus

    return sum(1 for _ in read_corpus()) + 33


def make_config(workdir: Path):
    """A config whose store and caches live in workdir (deleted after the run)."""
    from rag.config import Config, DataSettings

    return Config(data=DataSettings(tables=(), state_dir=str(workdir / "state")), base_dir=workdir)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


class RandomPaperVectors:
    """Stands in for the model at ingest only: random unit vectors (said so in the table).
    Searches afterwards use the real model for the query."""

    def __init__(self, dim: int, seed: int = 1):
        import numpy as np

        self.dim, self.rng = dim, np.random.default_rng(seed)

    def get_text_embedding_batch(self, texts, **kwargs):
        vectors = self.rng.standard_normal((len(texts), self.dim)).astype("float32")
        vectors /= (vectors ** 2).sum(axis=1, keepdims=True) ** 0.5
        return vectors.tolist()


def one_size(n: int, embed_limit: int, workdir: Path, source: str, abstracts: bool) -> dict:
    """Everything for one corpus size, in this process."""
    from rag.config import EmbeddingSettings
    from rag.models.embeddings import load_embed_model
    from rag.search.question import Question
    from rag.search.retrieval import HybridRetriever
    from rag.search.typos import corrections, misspellings
    from rag.store.knowledge import KnowledgeBase, embed_text
    from rag.text.tokens import tokenize

    result: dict = {"papers": n}
    papers, result["text"] = bench_papers(n, source, abstracts)
    n = result["papers"] = len(papers)
    config = make_config(workdir)
    (workdir / "config.toml").write_text(f'[data]\ntables = ["{ROOT / "data" / "papers.md"}"]\n'
                                         f'state_dir = "{workdir / "state"}"\n')
    real = load_embed_model(EmbeddingSettings())
    real_vectors = n <= embed_limit
    result["vectors"] = "real model" if real_vectors else "random unit (precomputed)"

    # Raw model throughput on the same texts: the baseline for ingest, measured before
    # and after it (the mean), so a change in machine load affects both alike.
    import random

    sample = [embed_text(p) for p in random.Random(3).sample(papers, min(n, 1000))]
    real.get_text_embedding_batch(sample[:32])  # warm-up

    def raw_rate() -> float:
        start = time.perf_counter()
        real.get_text_embedding_batch(sample)
        return len(sample) / (time.perf_counter() - start)

    before = raw_rate()

    writer = KnowledgeBase(config, embed_model=real if real_vectors else RandomPaperVectors(384))
    tokenize("預熱 warm-up")  # jieba's dictionary loads once per process, like the model above
    start = time.perf_counter()
    writer.ingest(papers, progress=sys.stderr.isatty())
    result["ingest_s"] = time.perf_counter() - start
    kb = KnowledgeBase(config, embed_model=real)
    result["ingest_per_s"] = n / result["ingest_s"]
    result["raw_embed_per_s"] = (before + raw_rate()) / 2
    if real_vectors:
        result["ingest_ratio"] = result["ingest_per_s"] / result["raw_embed_per_s"]

    # First load after an ingest: from Chroma, then cached locally for later starts.
    start = time.perf_counter()
    _ = kb.catalog
    result["catalog_load_s"] = time.perf_counter() - start
    start = time.perf_counter()
    _ = kb.lexical
    result["lexical_build_s"] = time.perf_counter() - start

    retriever = HybridRetriever(kb, k=10)
    queries = real_queries() if source == "corpus" else SYNTHETIC_QUERIES * 4
    index = kb.lexical
    for name, fn in {
        "lexical": lambda q: index.search(Question(q).fields, extra=corrections(misspellings(index, q))),
        "dense": lambda q: retriever._dense(Question(q), q, index.row),
        "hybrid": lambda q: retriever.search(q),
    }.items():
        fn(queries[0])
        times = []
        for q in queries:
            times += timed(lambda: fn(q), 1)
        result[f"{name}_p50_ms"] = statistics.median(times)
        result[f"{name}_p95_ms"] = percentile(times, 0.95)

    ids = [p.arxiv_id for p in papers]
    lookups = timed(lambda: kb.get(f"arXiv:{ids[len(ids) // 2]}v2"), 500)
    result["lookup_p95_ms"] = percentile(lookups, 0.95)

    result["answer_ms"] = answer_time(kb, queries)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def answer_time(kb, queries: list[str]) -> float:
    """ask() end to end with a loopback LLM that answers at once: retrieval + prompt +
    citation check + rendering, i.e. everything but the model's own time."""
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' loopback OpenAI-compatible server
    from peers.llm_server import LLMServer, reply
    from rag.answers.operations import Answerer
    from rag.config import LLMSettings
    from rag.models.chat import make_llm

    render = _renderer()
    with LLMServer() as server:
        server.default = reply("Knowledge graphs help multi-hop QA [1]. Pruning cuts latency [2].")
        config = replace(kb.config, llm=LLMSettings(model="bench", api_base=server.base_url))
        engine = Answerer(kb, make_llm(config))

        async def run() -> list[float]:  # one event loop: the model client keeps its connections
            await engine.ask(queries[0])
            times = []
            for q in queries[:20]:
                started = time.perf_counter()
                answer = await engine.ask(q)
                render(answer)  # the model's answer, or the extracts when the check rejects it
                times.append((time.perf_counter() - started) * 1000)
            return times

        times = asyncio.run(run())
    return statistics.median(times)


def done(result):
    """An operation's result, whether the Answerer's API is synchronous or async."""
    import asyncio
    import inspect

    return asyncio.run(result) if inspect.isawaitable(result) else result


def _renderer():
    try:
        from bot.render import render_answer
    except ImportError:  # the Discord adapter is optional for this measurement
        return lambda answer: answer
    return lambda answer: render_answer(answer)


def cold_start(workdir: Path, queries: list[str]) -> tuple[float, float]:
    """A new serving process: imports, model, catalog, lexical index, first answer
    (offline). Returns its wall time to that answer and its peak RSS after answering
    every benchmark query (what a running bot holds)."""
    script = (
        "import time; t=time.perf_counter()\n"
        "from rag.store.knowledge import KnowledgeBase\nfrom rag.answers import Answerer\n"
        "from benchmarks.run import make_config, done\nfrom pathlib import Path\n"
        f"kb = KnowledgeBase(make_config(Path({str(workdir)!r})))\n"
        f"engine = Answerer(kb)\ndone(engine.ask({queries[0]!r}))\n"
        "first = time.perf_counter() - t\n"
        f"for q in {queries!r}: done(engine.ask(q))\n"
        "import resource\n"
        "print(first, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True)
    first, rss = out.stdout.strip().splitlines()[-1].split()
    return float(first), float(rss)


def table(rows: list[dict]) -> str:
    lines = [
        "| papers | text | vectors | ingest papers/s | raw embed/s | ratio | lexical p50/p95 ms | dense p50/p95 ms "
        "| hybrid p50/p95 ms | /paper p95 ms | answer ms (no LLM) | catalog load s | lexical index s "
        "| peak RSS MB: serving / benchmark | cold start s |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ingest_ratio']:.2f}" if "ingest_ratio" in r else "n/a"
        lines.append(
            f"| {r['papers']:,} | {r['text']} | {r['vectors']} | {r['ingest_per_s']:.1f} | {r['raw_embed_per_s']:.1f} | {ratio} "
            f"| {r['lexical_p50_ms']:.1f} / {r['lexical_p95_ms']:.1f} | {r['dense_p50_ms']:.1f} / {r['dense_p95_ms']:.1f} "
            f"| {r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} | {r['lookup_p95_ms']:.3f} | {r['answer_ms']:.1f} "
            f"| {r['catalog_load_s']:.1f} | {r['lexical_build_s']:.1f} | {r['serving_rss_mb']:.0f} / {r['peak_rss_mb']:.0f} | {r['cold_start_s']:.1f} |"
        )
    return "\n".join(lines)


def verdicts(r: dict) -> str:
    checks = [
        ("hybrid p95", r["hybrid_p95_ms"], TARGETS["hybrid_p95_ms"], "ms", "<="),
        ("/paper p95", r["lookup_p95_ms"], TARGETS["lookup_p95_ms"], "ms", "<="),
        ("peak RSS serving", r["serving_rss_mb"], TARGETS["serving_rss_mb"], "MB", "<="),
        ("cold start", r["cold_start_s"], TARGETS["cold_start_s"], "s", "<="),
    ]
    if "ingest_ratio" in r:
        checks.append(("ingest / raw embedding", r["ingest_ratio"], TARGETS["ingest_ratio"], "x", ">="))
    out = []
    for name, value, target, unit, op in checks:
        ok = value <= target if op == "<=" else value >= target
        out.append(f"  {name}: {value:.3g} {unit} (target {op} {target}; {value / target:.2f} of target) "
                   f"{'ok' if ok else 'MISSED'}")
    return f"{r['papers']:,} papers:\n" + "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1k papers only")
    parser.add_argument("--sizes", default="1000,10000,all", help="comma-separated; 'all' = the whole corpus")
    parser.add_argument("--source", choices=["auto", "corpus", "synthetic"], default="auto",
                        help="real papers from ../shared/corpus (auto: when it is there) or synthetic ones")
    parser.add_argument("--abstracts", action="store_true", help="corpus papers with their abstracts (enriched)")
    parser.add_argument("--embed-limit", type=int, default=100_000, help="largest size embedded with the real model")
    parser.add_argument("--keep", help="keep the state of the largest size here (for `paperbot eval` on it)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from benchmarks.corpus import corpus_path

    source = args.source if args.source != "auto" else ("corpus" if corpus_path() else "synthetic")
    if args.one:
        print(json.dumps(one_size(args.one, args.embed_limit, Path(args.workdir), source, args.abstracts)))
        return 0

    sizes = [1000] if args.quick else [
        (corpus_size() if source == "corpus" else 100_000) if s == "all" else int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        keep = args.keep and n == max(sizes)
        workdir = Path(args.keep) if keep else Path(tempfile.mkdtemp(prefix=f"paperbot-bench-{n}-"))
        if keep:
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir(parents=True)
        try:
            print(f"… {n:,} papers ({source})", file=sys.stderr, flush=True)
            child = subprocess.run(
                [sys.executable, "-m", "benchmarks.run", "--one", str(n), "--embed-limit", str(args.embed_limit),
                 "--workdir", str(workdir), "--source", source] + (["--abstracts"] if args.abstracts else []),
                cwd=ROOT, stdout=subprocess.PIPE, text=True)
            if child.returncode:
                print(f"{n:,} papers: the run failed (exit {child.returncode}); see above", file=sys.stderr)
                continue
            row = json.loads(child.stdout.strip().splitlines()[-1])
            queries = real_queries() if source == "corpus" else SYNTHETIC_QUERIES * 4
            row["cold_start_s"], row["serving_rss_mb"] = cold_start(workdir, queries)  # caches built by the run
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
        finally:
            if not keep:
                shutil.rmtree(workdir, ignore_errors=True)
    import platform

    print(f"\nmachine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"Python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f} at the end\n")
    print(table(rows))
    print()
    for row in rows:
        print(verdicts(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
