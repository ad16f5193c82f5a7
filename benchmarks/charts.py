"""How long the pictures take and how big they are.

    .venv/bin/python -m benchmarks.charts            # 3 cold processes, 20 warm calls each
    .venv/bin/python -m benchmarks.charts --warm 50 --cold 5

Cold: a fresh process imports rag.pictures.charts and draws the digest of 200 papers over ~30
topics; the time includes importing matplotlib, reading the fonts' charmaps and
registering them (the first picture a bot draws after a start). Warm: the same process
drawing again: the digest, the topics chart of 200 topics, and the comparison table of 4
papers with long summaries. Target: a digest under 1 s, cold, on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2024, 6, 3, 9, 0, tzinfo=dt.timezone.utc)
LONG_TOPICS = ["基於知識圖譜與檢索增強生成的多跳問答推理", "Retrieval-Augmented Generation for Long Documents",
               "大型語言模型的安全性與對齊評估", "Mixture of Experts 🚀 稀疏模型", "程式碼生成與自動除錯", "長上下文建模"]


def digest_inputs(n: int = 200):
    """A digest of n new papers (synthetic, ~30 topics, some long or with an emoji) and the
    12-week history of a list that also has 4n older papers."""
    from benchmarks.synthetic import synthetic_papers
    from rag.pictures.of_answers import count_topics, weekly_counts

    papers = synthetic_papers(n)
    topics = [((LONG_TOPICS[i % len(LONG_TOPICS)],) if i % 5 == 0 else ()) + p.topics for i, p in enumerate(papers)]
    new = [NOW - dt.timedelta(minutes=50 * i) for i in range(n)]  # all within the week
    older = [NOW - dt.timedelta(days=7, hours=2 * i) for i in range(4 * n)]
    groups: dict[str, int] = {}
    for paper_topics in topics:  # each paper under its first topic, as the digest lists them
        groups[paper_topics[0]] = groups.get(paper_topics[0], 0) + 1
    counts = sorted(groups.items(), key=lambda item: -item[1])
    return counts, weekly_counts(new + older, NOW), n, len(count_topics(topics))


def topics_inputs(n: int = 200):
    return [(f"主題 {i} topic" if i % 3 else f"很長的主題名稱第 {i} 號：大型語言模型的對齊與安全性", 400 - i) for i in range(n)]


def compare_inputs():
    from benchmarks.synthetic import synthetic_papers
    from rag.answers.offline import summary_parts

    columns = []
    for n, paper in enumerate(synthetic_papers(4, seed=11), 1):
        long = paper.summary * 4
        parts = summary_parts(long, per_part=3)
        columns.append({"n": n, "title": paper.title + ": A Long Subtitle About Scaling Laws and Alignment",
                        "date": paper.date, "topics": list(paper.topics), "problem": parts["problem"] * 2,
                        "method": parts["method"] * 2, "results": parts["results"] * 2})
    return columns


def cold() -> dict:
    """Run in a fresh process: import, then the first digest."""
    start = time.perf_counter()
    from rag.pictures import charts, fonts

    imported = time.perf_counter()
    counts, weekly, papers, _ = digest_inputs()
    built = time.perf_counter()
    import matplotlib.figure  # noqa: F401  (what the first picture imports)

    mpl = time.perf_counter()
    fonts._fonts()  # FreeType: open the chain's fonts, read their charmaps
    fonts = time.perf_counter()
    chart = charts.digest_chart(counts, weekly, "zh", title="每週論文摘要")
    done = time.perf_counter()
    return {"import_module_ms": (imported - start) * 1000, "fonts_ms": (fonts - mpl) * 1000,
            "import_matplotlib_ms": (mpl - built) * 1000, "first_draw_ms": (done - fonts) * 1000,
            "first_digest_ms": (done - built) * 1000, "papers": papers, "bytes": len(chart.png)}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def warm(repeat: int) -> list[dict]:
    from rag.pictures import charts

    counts, weekly, papers, all_topics = digest_inputs()
    topics = topics_inputs()
    columns = compare_inputs()
    cases = [
        (f"digest ({papers} new papers, {all_topics} topics, 12 weeks)",
         lambda: charts.digest_chart(counts, weekly, "zh")),
        (f"topics ({len(topics)} topics → 26 bars)", lambda: charts.topics_chart(topics, "zh")),
        ("compare (4 papers, long summaries)", lambda: charts.compare_table(columns, "zh")),
        ("compare (4 papers, long, English labels)", lambda: charts.compare_table(columns, "en")),
    ]
    rows = []
    for name, draw in cases:
        chart = draw()  # the first call of each kind warms its own caches
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            draw()
            times.append((time.perf_counter() - start) * 1000)
        rows.append({"case": name, "p50_ms": statistics.median(times), "p95_ms": percentile(times, 0.95),
                     "size": f"{chart.width}×{chart.height}", "kb": len(chart.png) / 1024})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warm", type=int, default=20, help="warm calls per picture (default 20)")
    parser.add_argument("--cold", type=int, default=3, help="fresh processes for the first digest (default 3)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(cold()))
        return

    colds = []
    for _ in range(args.cold):
        out = subprocess.run([sys.executable, "-m", "benchmarks.charts", "--child"], cwd=ROOT, capture_output=True,
                             text=True, check=True, timeout=300)
        colds.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"Cold start, digest of {colds[0]['papers']} papers (median of {len(colds)} fresh processes):\n")
    print("| step | ms |\n|---|---:|")
    for key, label in [("import_module_ms", "import rag.pictures.charts"), ("import_matplotlib_ms", "import matplotlib.figure"),
                       ("fonts_ms", "open the fonts, read their charmaps"),
                       ("first_draw_ms", "first digest draw (registers the fonts)"),
                       ("first_digest_ms", "**first digest, all in**")]:
        print(f"| {label} | {statistics.median(c[key] for c in colds):.0f} |")
    first = statistics.median(c["first_digest_ms"] for c in colds)
    print(f"\ntarget < 1000 ms: {'ok' if first < 1000 else 'MISSED'} ({first:.0f} ms)\n")

    print(f"Warm ({args.warm} calls each):\n")
    print("| picture | p50 ms | p95 ms | pixels | PNG KB |\n|---|---:|---:|---|---:|")
    for row in warm(args.warm):
        print(f"| {row['case']} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | {row['size']} | {row['kb']:.0f} |")


if __name__ == "__main__":
    main()
