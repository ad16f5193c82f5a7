"""A small real model as the writer: what a member is shown when Qwen2.5-Coder-0.5B-Instruct
(llama.cpp, tests/peers/local_model.py) answers the seed questions through the normal ask
path, with the claim check and its second opinion ([claims] verify = "model", the same
model) as a group would run it.

    python -m benchmarks.writer                       # starts the local model; benchmarks/writer/questions.tsv
    python -m benchmarks.writer --half a              # one half of the questions

Per answer it records whether the member got the model's own words or paperbot's extracts
(and why), the notice, the shown text with its citations, the claim check's and the
verifier's calls, and the seconds; benchmarks/out/writer.jsonl keeps every answer for
reading (whether a shown sentence is supported is judged by a person reading it beside
its sources: there is no label to compare against).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from benchmarks.citations import ROOT, SEED

QUESTIONS = ROOT / "benchmarks" / "writer" / "questions.tsv"
OUT = ROOT / "benchmarks" / "out" / "writer.jsonl"


def questions(half: str | None = None) -> list[tuple[str, str, str, str]]:
    rows = [line.split("\t") for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return [tuple(r) for r in rows if half is None or r[2] == half]


async def run(asked: list[tuple], base_url: str, model: str) -> list[dict]:
    from rag.config import Config, DataSettings, LLMSettings, RetrievalSettings
    from rag.engine import Engine

    tmp = Path(tempfile.mkdtemp(prefix="paperbot-writer-"))
    config = Config(data=DataSettings(tables=(str(SEED),), state_dir=str(tmp / "state")), base_dir=tmp,
                    llm=LLMSettings(model=model, api_base=base_url, timeout=600.0, max_retries=0, max_tokens=256,
                                    temperature=0.0, concurrency=1),
                    retrieval=RetrievalSettings(top_k=3))
    config = replace(config, arxiv=replace(config.arxiv, enrich=False))
    offline = Engine(replace(config, llm=LLMSettings()))  # the list stored without the model's glosses
    offline.ingest()
    engine = Engine(config, kb=offline.kb)
    rows = []
    for qid, lang, half, question in asked:
        before = engine.ledger.db.query("SELECT COUNT(*) AS n FROM model_calls")[0]["n"]
        started = time.monotonic()
        answer = await engine.answerer.ask(question)
        calls = [dict(r) for r in engine.ledger.db.query("SELECT operation, seconds, prompt_tokens, completion_tokens,"
                                                         " outcome FROM model_calls WHERE id > ?", (before,))]
        row = {"id": qid, "lang": lang, "half": half, "question": question, "mode": answer.mode,
               "notice": answer.notice, "text": answer.text, "seconds": round(time.monotonic() - started, 1),
               "citations": [c.arxiv_id for c in answer.citations], "claims": answer.claims, "calls": calls}
        rows.append(row)
        print(f"{qid} {answer.mode} {row['seconds']} s {[c['operation'] for c in calls]}", file=sys.stderr, flush=True)
    return rows


def summary(rows: list[dict]) -> str:
    lines = ["| questions | model's own words | extracts (why) | verifier calls per answer | seconds per answer p50 |",
             "|---|---:|---|---:|---:|"]
    groups = collections.defaultdict(list)
    for row in rows:
        groups[row["lang"]].append(row)
        groups[f"half {row['half']}"].append(row)
        groups["all"].append(row)
    for name, group in groups.items():
        own = sum(r["mode"] == "llm" for r in group)
        why = collections.Counter(_why(r) for r in group if r["mode"] != "llm")
        verify = sum(c["operation"] == "verify" for r in group for c in r["calls"]) / len(group)
        lines.append(f"| {name} ({len(group)}) | {own}/{len(group)} | "
                     f"{', '.join(f'{k}: {v}' for k, v in why.most_common()) or '—'} | {verify:.2f} | "
                     f"{statistics.median(r['seconds'] for r in group):.0f} |")
    return "\n".join(lines)


def _why(row: dict) -> str:
    notice = row["notice"]
    for key, words in (("echo", ("repeated its instructions", "重複了指示", "重复了指示")),
                       ("unsupported", ("supports its answer", "都不支持", "都不支持")),
                       ("empty", ("was empty", "是空的")),
                       ("failed", ("did not answer", "沒有及時", "没有及时", "returned an error", "錯誤", "错误"))):
        if any(w in notice for w in words):
            return key
    return "other"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=["a", "b"])
    parser.add_argument("--api-base", help="an OpenAI-compatible server already running (default: start the local model)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT / "tests"))
    from peers.local_model import MODEL_ALIAS, LocalModel

    server = None if args.api_base else LocalModel().start()
    try:
        rows = asyncio.run(run(questions(args.half), args.api_base or server.base_url, MODEL_ALIAS))
    finally:
        if server is not None:
            server.stop()
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(summary(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
