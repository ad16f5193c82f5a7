"""paperbot benchmarks: ingest, search, lookup, answer, memory and cold start at
1k / 10k / 100k synthetic papers. Each size runs in its own process (so peak RSS is
that size's), and every speed is shown next to a baseline measured in the same run.

    python -m benchmarks.run --quick            # 1k papers, a few minutes
    python -m benchmarks.run                    # 1k, 10k, 100k (the 100k step takes long)
    python -m benchmarks.run --sizes 1000,10000

Up to --embed-limit papers are embedded with the real model; above it, paper vectors
are precomputed random unit vectors (said so in the table) while queries still go
through the real model, so the vector search is measured at full size.
"""

from __future__ import annotations

import argparse
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
QUERIES = [
    "knowledge graph retrieval for multi-hop question answering", "知識圖譜 多跳問答",
    "efficient quantization for agents", "低秩適配器 數學推理", "preference optimization with self-play",
    "偏好優化 對話系統", "sparse attention long context", "稀疏注意力 長文本摘要", "code generation benchmark HumanEval",
    "模型剪枝 推理延遲", "contrastive learning for retrieval", "對比學習 資訊檢索", "state space models", "量化技術",
    "hallucination in vision-language models", "檢索增強生成 幻覺問題",
]
TARGETS = {"hybrid_p95_ms": 100, "lookup_p95_ms": 10, "ingest_ratio": 0.8, "peak_rss_mb": 2048, "cold_start_s": 15}


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


def one_size(n: int, embed_limit: int, workdir: Path) -> dict:
    """Everything for one corpus size, in this process."""
    from benchmarks.synthetic import synthetic_papers
    from rag.config import EmbeddingSettings
    from rag.embeddings import load_embed_model
    from rag.knowledge import KnowledgeBase, embed_text
    from rag.retrieval import HybridRetriever
    result: dict = {"papers": n}
    papers = synthetic_papers(n)
    config = make_config(workdir)
    real = load_embed_model(EmbeddingSettings())
    real_vectors = n <= embed_limit
    result["vectors"] = "real model" if real_vectors else "random unit (precomputed)"

    # Raw model throughput on the same texts: the baseline for ingest, measured before
    # and after it (the mean), so a change in machine load affects both alike.
    sample = [embed_text(p) for p in papers[: min(n, 1000)]]
    real.get_text_embedding_batch(sample[:32])  # warm-up

    def raw_rate() -> float:
        start = time.perf_counter()
        real.get_text_embedding_batch(sample)
        return len(sample) / (time.perf_counter() - start)

    before = raw_rate()

    writer = KnowledgeBase(config, embed_model=real if real_vectors else RandomPaperVectors(384))
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
    queries = QUERIES * 4
    for name, fn in {
        "lexical": lambda q: retriever._lexical(__import__("rag.lexical", fromlist=["tokenize"]).tokenize(q), 30),
        "dense": lambda q: retriever._dense(q, 30),
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

    result["answer_ms"] = answer_time(kb)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def answer_time(kb) -> float:
    """ask() end to end with a loopback LLM that answers at once: retrieval + prompt +
    citation check + rendering, i.e. everything but the model's own time."""
    sys.path.insert(0, str(ROOT / "tests"))  # the tests' loopback OpenAI-compatible server
    from peers.llm_server import LLMServer, reply

    from rag.answers import Answerer
    from rag.config import LLMSettings
    from rag.llm import make_llm

    render = _renderer()
    with LLMServer() as server:
        server.default = reply("Knowledge graphs help multi-hop QA [1]. Pruning cuts latency [2].")
        config = replace(kb.config, llm=LLMSettings(model="bench", api_base=server.base_url))
        engine = Answerer(kb, make_llm(config))
        engine.ask(QUERIES[0])
        times = timed(lambda: render(engine.ask(QUERIES[1])), 20)
    return statistics.median(times)


def _renderer():
    try:
        from bot.render import render_answer
    except ImportError:  # the Discord adapter is optional for this measurement
        return lambda answer: answer
    return lambda answer: render_answer(answer)


def cold_start(workdir: Path) -> tuple[float, float]:
    """A new serving process: imports, model, catalog, lexical index, first answer.
    Returns its wall time and its peak RSS (what a running bot holds)."""
    script = (
        "import time; t=time.perf_counter()\n"
        "from rag.knowledge import KnowledgeBase\nfrom rag.answers import Answerer\n"
        "from benchmarks.run import make_config\nfrom pathlib import Path\n"
        f"kb = KnowledgeBase(make_config(Path({str(workdir)!r})))\n"
        f"Answerer(kb).ask({QUERIES[0]!r})\n"
        "import resource\n"
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
    )
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True)
    wall = time.perf_counter() - start
    _, rss = out.stdout.strip().splitlines()[-1].split()
    return wall, float(rss)


def table(rows: list[dict]) -> str:
    lines = [
        "| papers | vectors | ingest papers/s | raw embed/s | ratio | lexical p50/p95 ms | dense p50/p95 ms "
        "| hybrid p50/p95 ms | /paper p95 ms | answer ms (no LLM) | catalog load s | lexical index s "
        "| peak RSS MB: serving / benchmark | cold start s |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ratio = f"{r['ingest_ratio']:.2f}" if "ingest_ratio" in r else "n/a"
        lines.append(
            f"| {r['papers']:,} | {r['vectors']} | {r['ingest_per_s']:.1f} | {r['raw_embed_per_s']:.1f} | {ratio} "
            f"| {r['lexical_p50_ms']:.1f} / {r['lexical_p95_ms']:.1f} | {r['dense_p50_ms']:.1f} / {r['dense_p95_ms']:.1f} "
            f"| {r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} | {r['lookup_p95_ms']:.3f} | {r['answer_ms']:.1f} "
            f"| {r['catalog_load_s']:.1f} | {r['lexical_build_s']:.1f} | {r['serving_rss_mb']:.0f} / {r['peak_rss_mb']:.0f} | {r['cold_start_s']:.1f} |"
        )
    return "\n".join(lines)


def verdicts(r: dict) -> str:
    checks = [
        ("hybrid p95", r["hybrid_p95_ms"], TARGETS["hybrid_p95_ms"], "ms", "<="),
        ("/paper p95", r["lookup_p95_ms"], TARGETS["lookup_p95_ms"], "ms", "<="),
        ("peak RSS serving", r["serving_rss_mb"], TARGETS["peak_rss_mb"], "MB", "<="),
        ("peak RSS ingest + benchmark", r["peak_rss_mb"], TARGETS["peak_rss_mb"], "MB", "<="),
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
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--embed-limit", type=int, default=10_000, help="largest size embedded with the real model")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process: one size
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.one:
        print(json.dumps(one_size(args.one, args.embed_limit, Path(args.workdir))))
        return 0

    sizes = [1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    rows = []
    for n in sizes:
        workdir = Path(tempfile.mkdtemp(prefix=f"paperbot-bench-{n}-"))
        try:
            print(f"… {n:,} papers", file=sys.stderr, flush=True)
            child = subprocess.run(
                [sys.executable, "-m", "benchmarks.run", "--one", str(n), "--embed-limit", str(args.embed_limit),
                 "--workdir", str(workdir)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
            if child.returncode:
                print(f"{n:,} papers: the run failed (exit {child.returncode}); see above", file=sys.stderr)
                continue
            row = json.loads(child.stdout.strip().splitlines()[-1])
            row["cold_start_s"], row["serving_rss_mb"] = cold_start(workdir)  # caches built by the measuring run
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nmachine: {os.cpu_count()} cores, Python {sys.version.split()[0]}\n")
    print(table(rows))
    print()
    for row in rows:
        print(verdicts(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
