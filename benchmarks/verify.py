"""The model verifier (rag/claims/verify.py) on the citation cases: what a reader is shown with
the lexical check alone (today) and with the model's second opinion after it.

    python -m benchmarks.verify --half tuning              # starts the local 0.5B model (tests/peers/local_model.py)
    python -m benchmarks.verify --half heldout --api-base http://127.0.0.1:18080/v1   # a model already served
    python -m benchmarks.verify --half tuning --thresholds 0.3,0.4,0.5   # the same replies, other thresholds
    python -m benchmarks.verify --half tuning --sample 40 --api-base URL --model NAME   # 40 answers of the half

Cases are benchmarks/citations/cases.jsonl (direct mode: the case's papers as sources,
with their English abstracts by default, as the bot has them after enrichment), split
into the halves of benchmarks/citations/verify_split.tsv (by scenario, fixed before any
prompt was tried; prompts were tuned on `tuning` only). Per answer: rag.claims.attribution.attribute,
then the kept sentences go to the model in one call, the rejected ones are struck out,
then check_citations, and the text is scored as benchmarks/citations scores it.

--sample N keeps N answers of the half, the same N on every run and for every model: the
cases whose ids have the smallest sha256 (chosen by id alone, never by a result; in the
cases file's order). For a model too slow for a whole half (a bigger one on these cores).

Identical requests (the variants of a scenario often keep the same sentences with the
same sources) are asked once per run; every answer still counts one call, and its
seconds are those of the call that answered it. Replies are kept in
benchmarks/out/verify-cache.jsonl (by model, prompt and claims) so that a rerun, or
another threshold, costs nothing; --fresh ignores them. The model in the key is the name
the server serves it under (--model), so two models must be served under two names: with
--api-base, the run stops unless the server lists --model among its models.

Beside the tallies: the model's P(yes) for each judged sentence, by whether the case marks
it supported or unsupported (which one is found by striking it and seeing which claim is
no longer shown), and the AUC (the chance a supported sentence gets a higher P(yes) than
an unsupported one; 0.5 is no better than a coin).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import sys
import time
from collections import defaultdict

from benchmarks.citations import ROOT, Report, _language, evaluate, numbered, read_cases, seed_papers

SPLIT = ROOT / "benchmarks" / "citations" / "verify_split.tsv"
CACHE = ROOT / "benchmarks" / "out" / "verify-cache.jsonl"
KEPT = ("kept", "re-attributed", "added")


def halves() -> dict[str, str]:
    rows = (line.split("\t") for line in SPLIT.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#"))
    return {scenario: half for scenario, half in rows}


class CachedModel:
    """A ChatModel whose replies are remembered on disk by request."""

    def __init__(self, llm, fresh: bool = False):
        self.llm, self.model, self.replies = llm, llm.model, {}
        if CACHE.exists() and not fresh:
            for line in CACHE.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                self.replies[row["key"]] = row
        self.asked = 0

    async def complete(self, messages, **options):
        from rag.models.chat import Completion, Usage

        wire = [[m.role.value, m.content] for m in messages]
        asked = {k: v for k, v in options.items() if k in ("structured", "top_logprobs")}
        key = hashlib.sha256(json.dumps([self.model, wire, asked], ensure_ascii=False,
                                        sort_keys=True).encode()).hexdigest()
        if key not in self.replies:
            c = await self.llm.complete(messages, **options)
            self.asked += 1
            row = {"key": key, "model": self.model, "text": c.text, "finish": c.finish_reason, "seconds": c.seconds,
                   "usage": [c.usage.prompt_tokens, c.usage.completion_tokens], "logprobs": list(c.logprobs)}
            CACHE.parent.mkdir(exist_ok=True)
            with CACHE.open("a", encoding="utf-8") as f:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.replies[key] = row
        row = self.replies[key]
        return Completion(row["text"], row["finish"], Usage(*row["usage"]), row["seconds"],
                          logprobs=tuple(row["logprobs"]))


def sample(cases: list, n: int | None) -> list:
    """The n cases with the smallest sha256 of their id, in their own order (all when n is None)."""
    if n is None:
        return cases
    chosen = set(sorted((c.id for c in cases), key=lambda i: hashlib.sha256(i.encode()).hexdigest())[:n])
    return [c for c in cases if c.id in chosen]


def auc(supported: list[float], unsupported: list[float]) -> float | None:
    """P(a supported sentence's P(yes) > an unsupported one's), ties counting half."""
    if not supported or not unsupported:
        return None
    wins = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in supported for b in unsupported)
    return wins / (len(supported) * len(unsupported))


def run(half: str, llm, thresholds: list[float], abstracts: bool = True, n: int | None = None) -> dict:
    from rag.claims.attribution import attribute
    from rag.claims.citations import check_citations
    from rag.claims.verify import Checked, Verifier, strike

    split = halves()
    cases = sample([c for c in read_cases() if split.get(c.scenario) == half], n)
    catalog = seed_papers(abstracts)
    known = set(catalog)
    reports = {"lexical": Report(), **({f"lexical + model @{t}": Report() for t in thresholds} if llm else {})}
    calls, seconds, tokens, judged = [], [], [], {}
    scores: dict[str, list[float]] = {"claim": [], "unsupported": []}  # P(yes) per judged sentence, by truth
    by_lang: dict = defaultdict(lambda: {"calls": [], "seconds": [], "tokens": []})
    verifier = Verifier(llm)

    async def go():
        for case in cases:
            papers = [catalog[i] for i in case.sources]
            renumber = case.op != "digest"
            attribution = attribute(numbered(case.reply, list(case.sources)), papers, _language(case))

            def shown(text):
                out, cited = check_citations(text, papers, known, renumber)
                thrown_away = not cited and case.kind != "offline"
                numbers = ({n: p.arxiv_id for n, p in enumerate(cited, 1)} if renumber
                           else {n: p.arxiv_id for n, p in enumerate(papers, 1)})
                return evaluate("" if thrown_away else out, numbers, case.truths), thrown_away

            before = shown(attribution.text)
            reports["lexical"].add("lexical", case, *before)
            if llm is None:
                continue
            kept = [Checked(c.text, tuple(catalog[i] for i in c.sources))
                    for c in attribution.claims if c.action in KEPT and c.sources]
            if case.kind == "offline":  # our own extracts are quoted from the sources: never judged
                kept = []
            key = tuple((c.text, tuple(p.arxiv_id for p in c.sources)) for c in kept)
            if key not in judged:
                judged[key] = await verifier.judge(kept)
                print(f"  {len(judged)} distinct requests, {llm.asked} asked now", file=sys.stderr, flush=True)
            judgement = judged[key]
            calls.append(1 if kept else 0)
            mine = by_lang[case.lang]
            mine["calls"].append(1 if kept else 0)
            if judgement.completion is not None:
                used = judgement.completion.usage
                for into in (seconds, mine["seconds"]):
                    into.append(judgement.completion.seconds)
                for into in (tokens, mine["tokens"]):
                    into.append(used.prompt_tokens + used.completion_tokens)
            for v in judgement.verdicts:
                if v.p_yes is None:
                    continue
                after = shown(strike(attribution.text, [v.text]))[0]
                gone = [a.truth.kind for a, b in zip(before[0], after) if a.shown and not b.shown]
                if len(gone) == 1 and gone[0] in scores:
                    scores[gone[0]].append(v.p_yes)
            for t in thresholds:
                rejected = [v.text for v in judgement.verdicts
                            if not (v.p_yes >= t if v.p_yes is not None else v.kept)]
                reports[f"lexical + model @{t}"].add("model", case, *shown(strike(attribution.text, rejected)))

    asyncio.run(go())
    return {"half": half, "cases": len(cases), "reports": reports, "calls": calls, "seconds": seconds,
            "tokens": tokens, "requests": len(judged), "by_lang": dict(by_lang), "scores": scores}


def table(result: dict, kinds: bool = False) -> str:
    lines = [f"### {result['half']} ({result['cases']} answers)", "",
             "| pipeline | language | unsupported shown | supported removed | precision | recall |",
             "|---|---|---:|---:|---:|---:|"]
    for name, report in result["reports"].items():
        data = report.to_dict()["results"]
        for pipeline in data:
            slices = [("all", "all"), ("lang", "en"), ("lang", "zh"), ("lang", "zh-CN")]
            if kinds:
                slices += sorted(k for k in report.tallies if k[0] == pipeline and k[1] in ("kind", "about"))
                slices = [s[-2:] for s in slices]
            for axis, value in slices:
                row = data[pipeline].get(axis, {}).get(value)
                if not row:
                    continue
                tally = report.tallies[(pipeline, axis, value)]
                r = {k: "—" if row[k] is None else f"{row[k]:.3f}" for k in
                     ("unsupported_shown", "supported_dropped", "precision", "recall")}
                lines.append(f"| {name} | {value} | {tally.unsupported_shown}/{tally.unsupported} "
                             f"({r['unsupported_shown']}) | {tally.supported_dropped}/{tally.supported} "
                             f"({r['supported_dropped']}) | {r['precision']} | {r['recall']} |")
    n = len(result["calls"])
    if result["seconds"]:
        lines += ["", f"model calls per answer: {sum(result['calls']) / n:.2f} (answers with a sentence to judge: "
                      f"{sum(result['calls'])}/{n}); seconds per call p50 {statistics.median(result['seconds']):.1f}, "
                      f"max {max(result['seconds']):.1f}; tokens per call p50 {statistics.median(result['tokens']):.0f} "
                      f"({result['requests']} distinct requests)"]
        sup, uns = result["scores"]["claim"], result["scores"]["unsupported"]

        def spread(ps):
            q = statistics.quantiles(ps, n=4) if len(ps) > 1 else ps * 3
            return f"n={len(ps)}, p25 {q[0]:.3f}, p50 {q[1]:.3f}, p75 {q[2]:.3f}" if ps else "n=0"

        area = auc(sup, uns)
        lines.append(f"P(yes) of judged sentences: supported {spread(sup)}; unsupported {spread(uns)}; "
                     f"AUC {'—' if area is None else f'{area:.3f}'}")
        for lang, got in sorted(result["by_lang"].items()):
            if got["seconds"]:
                lines.append(f"- {lang}: {sum(got['calls']) / len(got['calls']):.2f} calls per answer; seconds per "
                             f"call p50 {statistics.median(got['seconds']):.1f}; tokens per call p50 "
                             f"{statistics.median(got['tokens']):.0f}")
    return "\n".join(lines)


def _served(api_base: str) -> set[str]:
    """The model names an OpenAI-compatible server lists."""
    import urllib.request

    with urllib.request.urlopen(f"{api_base.rstrip('/')}/models", timeout=10) as r:
        return {d.get("id") for d in json.load(r).get("data", [])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--half", choices=["tuning", "heldout"], required=True)
    parser.add_argument("--api-base", help="an OpenAI-compatible server already running (default: start the local model)")
    parser.add_argument("--model", default=None, help="model name at --api-base (default: the local model's)")
    parser.add_argument("--thresholds", default="0.5", help="P(yes) thresholds to report, comma-separated")
    parser.add_argument("--no-abstracts", action="store_true", help="papers without their English abstracts")
    parser.add_argument("--fresh", action="store_true", help="ask again instead of reading remembered replies")
    parser.add_argument("--lexical", action="store_true", help="the lexical check alone: no model")
    parser.add_argument("--kinds", action="store_true", help="also a row per kind of error in the replies")
    parser.add_argument("--sample", type=int, default=None, metavar="N",
                        help="only N answers of the half, chosen by a hash of their case ids")
    args = parser.parse_args(argv)
    if args.lexical:
        print(table(run(args.half, None, [], abstracts=not args.no_abstracts, n=args.sample), args.kinds))
        return 0

    sys.path.insert(0, str(ROOT / "tests"))
    from peers.local_model import MODEL_ALIAS, LocalModel
    from rag.config import LLMSettings
    from rag.models.chat import ChatModel

    thresholds = [float(t) for t in args.thresholds.split(",")]
    server = None
    if args.api_base is not None:
        try:
            served = _served(args.api_base)
        except OSError as exc:
            parser.error(f"{args.api_base} does not answer: {exc}")
        if (args.model or MODEL_ALIAS) not in served:
            parser.error(f"{args.api_base} serves {sorted(served)}, not {args.model or MODEL_ALIAS!r}: pass --model "
                         "(replies are remembered by model name)")
    else:
        server = LocalModel().start()
        print(f"local model ready in {server.started_in:.1f} s", file=sys.stderr)
    try:
        settings = LLMSettings(model=args.model or MODEL_ALIAS, temperature=0.0, max_tokens=400, timeout=600.0,
                               max_retries=0)
        llm = CachedModel(ChatModel(settings, "unused", args.api_base or server.base_url), args.fresh)
        started = time.monotonic()
        result = run(args.half, llm, thresholds, abstracts=not args.no_abstracts, n=args.sample)
        print(table(result, args.kinds))
        print(f"\n({llm.asked} model calls made now, {time.monotonic() - started:.0f} s)")
    finally:
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
