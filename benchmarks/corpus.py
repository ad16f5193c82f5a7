"""The shared real-paper corpus (`../shared/corpus`), as paperbot Papers.

For benchmarks and evaluation runs only: the product never reads it, and tests never
need it. A paper comes in two forms: as a table row (title, date, Chinese summary,
topics: what the group's table carries) or enriched (plus the English abstract and
authors, as arXiv enrichment would add them).

    python -m benchmarks.corpus ingest --state /work/scratch/s10k --size 10000 \
        --include tests/eval/corpus-questions.jsonl [--abstracts]

builds a state directory with the seed table plus a seeded random sample (always
holding the papers the given question sets need), and writes `config.toml` there, so
`paperbot --config DIR/config.toml eval ...` runs against it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from rag.papers.table import Paper

ROOT = Path(__file__).resolve().parent.parent
CORPUS_FILE = "arxiv-2025-26.jsonl.gz"


def corpus_path() -> Path | None:
    """`../shared/corpus` beside the checkout (as CI lays it), else /work/shared; None if absent."""
    for base in (ROOT.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if (base / CORPUS_FILE).is_file():
            return base / CORPUS_FILE
    return None


def read_corpus(path: Path | None = None) -> Iterator[dict]:
    path = path or corpus_path()
    if path is None:
        raise FileNotFoundError(f"no {CORPUS_FILE} in ../shared/corpus")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def to_paper(row: dict, enriched: bool = False) -> Paper:
    """A corpus row as a table row would give it; `enriched` adds abstract and authors."""
    return Paper(
        arxiv_id=row["arxiv_id"],
        title=" ".join(row["title"].split()),
        date=dt.date.fromisoformat(row["date"]),
        summary=row["summary"],
        topics=tuple(row["topics"]),
        abstract=" ".join(row["abstract"].split()) if enriched else "",
        authors=tuple(row["authors"]) if enriched else (),
    )


def sample(rows: list[dict], n: int, include: Iterable[str] = (), seed: int = 2026) -> list[dict]:
    """n rows: every row in `include`, then a seeded random draw of the rest."""
    wanted = set(include)
    chosen = [r for r in rows if r["arxiv_id"] in wanted]
    rest = [r for r in rows if r["arxiv_id"] not in wanted]
    random.Random(seed).shuffle(rest)
    return chosen + rest[: max(0, n - len(chosen))]


def gold_ids(question_files: Iterable[Path]) -> set[str]:
    ids: set[str] = set()
    for path in question_files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                ids.update(json.loads(line)["gold"])
    return ids


def write_config(state: Path) -> Path:
    """A config whose store lives in `state`, with the seed table as its table."""
    config = state / "config.toml"
    config.write_text(f'[data]\ntables = ["{ROOT / "data" / "papers.md"}"]\nstate_dir = "{state}"\n')
    return config


def ingest(state: Path, size: int, include: Iterable[Path] = (), abstracts: bool = False,
           progress: bool = True) -> dict:
    import time

    from rag.config import load_config
    from rag.papers.table import read_tables
    from rag.store.knowledge import KnowledgeBase

    state.mkdir(parents=True, exist_ok=True)
    config = load_config(write_config(state))
    rows = list(read_corpus())
    picked = sample(rows, size if size > 0 else len(rows), gold_ids(include))
    kb = KnowledgeBase(config)
    seed = read_tables(list(config.table_paths)).papers
    start = time.perf_counter()
    report = kb.ingest(seed + [to_paper(r, abstracts) for r in picked], progress=progress)
    return {"papers": len(seed) + len(picked), "added": len(report.added), "updated": len(report.updated),
            "seconds": round(time.perf_counter() - start, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="seed table + a corpus sample into a state directory")
    p.add_argument("--state", required=True, type=Path)
    p.add_argument("--size", type=int, default=10_000, help="corpus papers (0 = all)")
    p.add_argument("--include", nargs="*", type=Path, default=[], help="question sets whose gold papers must be in")
    p.add_argument("--abstracts", action="store_true", help="ingest abstracts and authors too (enriched)")
    args = parser.parse_args()
    print(json.dumps(ingest(args.state, args.size, args.include, args.abstracts, sys.stderr.isatty())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
