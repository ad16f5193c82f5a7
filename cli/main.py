"""`paperbot` command line. Text for people, `--json` for scripts.

Exit codes: 0 ok; 1 not found, or some rows skipped; 2 bad input or configuration;
3 a service (Chroma server, LLM) is unavailable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from rag.config import Config, ConfigError, load_config

OK, NOT_FOUND, BAD_INPUT, UNAVAILABLE = 0, 1, 2, 3


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit 2."""


class ServiceError(Exception):
    """A service failed: printed as one line, exit 3."""


def _print_json(obj) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2024-05-01") from None


def open_kb(config: Config, *, ensure_ingested: bool = True):
    """The knowledge base; on first use (empty store) it ingests the configured tables."""
    from rag.store.knowledge import KnowledgeBase
    from rag.models.chat import make_llm
    from rag.papers.table import read_tables
    from rag.models.usage import open_ledger

    kb = KnowledgeBase(config)
    if ensure_ingested and kb.store.count() == 0:
        paths = [p for p in config.table_paths if p.is_file()]
        if paths:
            print(f"First use: ingesting {', '.join(map(str, paths))} ...", file=sys.stderr)
            table = read_tables(paths)
            for error in table.errors:
                print(f"skipped {error}", file=sys.stderr)
            kb.ingest(table.papers, progress=sys.stderr.isatty(), llm=make_llm(config, ledger=open_ledger(config)))
    return kb


# -- commands -------------------------------------------------------------------
def cmd_ingest(args, config: Config) -> int:
    import asyncio

    import openai

    from rag.store.add import open_adder
    from rag.store.enrich import enrich_configured
    from rag.models.chat import explain_failure, make_llm
    from rag.papers.table import read_tables
    from rag.models.usage import open_ledger

    paths = [Path(p) for p in args.paths] or config.table_paths
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such table: {', '.join(map(str, missing))}")
    kb = open_kb(config, ensure_ingested=False)
    llm = make_llm(config, ledger=open_ledger(config))
    # Rows /add wrote without a model get their Chinese summary once a model is configured.
    drafts = asyncio.run(open_adder(config, kb, llm).finish_drafts()) if llm and not args.paths else []
    table = read_tables(paths)
    for error in table.errors:
        print(f"skipped {error}", file=sys.stderr)
    try:
        report = kb.ingest(table.papers, progress=sys.stderr.isatty() or args.progress, llm=llm)
    except openai.OpenAIError as exc:  # the embeddings backend gave up
        raise ServiceError(f"embedding failed: {explain_failure(exc).replace('language model', 'embeddings server')}; "
                           "the papers stored so far are kept, run `paperbot ingest` again to resume") from None
    enriched = enrich_configured(config, kb) if config.arxiv.enrich and not args.no_enrich else None
    summary = {
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "glossed": len(report.glossed),
        "summarized": len(drafts),
        "enrichment": enriched.to_dict() if enriched else None,
        "skipped": [{"source": e.source, "line": e.line, "reason": e.reason} for e in table.errors],
        "total": kb.store.count(),
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"{summary['added']} added, {summary['updated']} updated, {summary['unchanged']} unchanged, "
            f"{summary['glossed']} glossed, "
            f"{len(table.errors)} skipped; {summary['total']} papers in the knowledge base"
        )
        if drafts:
            print(f"wrote the Chinese summary of {len(drafts)} paper(s) added without a model")
        if enriched and (enriched.enriched or enriched.unknown):
            print(f"arXiv: abstracts and authors for {len(enriched.enriched)} paper(s); "
                  f"{len(enriched.unknown)} not on arXiv")
        if enriched and enriched.skipped:
            print(f"arXiv enrichment skipped for now (the ingest is complete): {enriched.skipped}")
    return NOT_FOUND if table.errors else OK


def cmd_add(args, config: Config) -> int:
    import asyncio

    from rag.store.add import FAILED, LISTED, UNKNOWN, WITHDRAWN, AddError, open_adder
    from rag.models.chat import make_llm
    from rag.models.usage import open_ledger

    kb = open_kb(config)
    adder = open_adder(config, kb, make_llm(config, ledger=open_ledger(config)))
    try:
        results = asyncio.run(adder.add(args.ids))
    except AddError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        _print_json([r.to_dict() for r in results])
    for r in results if not args.json else ():
        if r.status in (FAILED, UNKNOWN, WITHDRAWN):
            print({FAILED: f"not added {r.arxiv_id}: {r.reason}",
                   UNKNOWN: f"not added {r.arxiv_id}: arXiv has no paper with this ID",
                   WITHDRAWN: f"not added {r.arxiv_id}: its authors withdrew it from arXiv"}[r.status], file=sys.stderr)
            continue
        p = r.paper
        said = "already listed" if r.status == LISTED else "added"
        print(f"{said} {p.arxiv_id}  {p.title}  ({p.date.isoformat()}; {'，'.join(p.topics)})"
              + ("\n  its summary is the English abstract until `paperbot ingest` runs with a model" if r.draft else ""))
    statuses = {r.status for r in results}
    return UNAVAILABLE if FAILED in statuses else NOT_FOUND if statuses & {UNKNOWN, WITHDRAWN} else OK


def cmd_paper(args, config: Config) -> int:
    from rag.papers.ids import InvalidArxivId, parse_arxiv_id

    try:
        arxiv_id = parse_arxiv_id(args.id)
    except InvalidArxivId as exc:
        raise UsageError(str(exc)) from None
    kb = open_kb(config)
    paper = kb.get(arxiv_id)
    if paper is None:
        hints = kb.suggest(args.id)
        if args.json:
            _print_json({"error": "not_found", "arxiv_id": arxiv_id, "suggestions": [p.to_dict() for p in hints]})
        else:
            print(f"{arxiv_id} is not in the knowledge base.", file=sys.stderr)
            for p in hints:
                print(f"  did you mean {p.arxiv_id}  {p.title}?", file=sys.stderr)
        return NOT_FOUND
    if args.json:
        _print_json(paper.to_dict())
    else:
        print(f"{paper.title}\n{paper.url}\n{paper.date.isoformat()} · {'，'.join(paper.topics)}\n\n{paper.summary}")
    return OK


def _search_filter(kb, args):
    from rag.store.chroma import SearchFilter
    from rag.papers.topics import resolve_topics

    topics: tuple[str, ...] = ()
    if args.topic:
        topics = resolve_topics(args.topic, [t for t, _ in kb.topics()])
        if not topics:
            known = "、".join(t for t, _ in kb.topics())
            raise UsageError(f"no topic matches {args.topic!r}; topics: {known}")
    authors = (args.author.strip(),) if getattr(args, "author", None) and args.author.strip() else ()
    return SearchFilter(topics=topics, since=args.since, until=args.until, authors=authors)


def cmd_search(args, config: Config) -> int:
    from rag.search.retrieval import HybridRetriever

    query = " ".join(args.query).strip()
    if not query:
        raise UsageError("the query is empty")
    kb = open_kb(config)
    hits = HybridRetriever(kb, k=args.k, filters=_search_filter(kb, args)).search(query)
    if args.json:
        _print_json([{"arxiv_id": h.paper.arxiv_id, "title": h.paper.title, "score": h.score,
                      "date": h.paper.date.isoformat(), "topics": list(h.paper.topics), "url": h.paper.url,
                      "authors": list(h.paper.authors)} for h in hits])
    elif not hits:
        print("No matching papers.")
    else:
        for n, h in enumerate(hits, 1):
            by = f"; {', '.join(h.paper.authors[:3])}{' et al.' if len(h.paper.authors) > 3 else ''}" \
                if h.paper.authors else ""
            print(f"{n:>2}. {h.paper.arxiv_id:<12} {h.paper.title}  ({h.paper.date.isoformat()}; "
                  f"{'，'.join(h.paper.topics)}{by})")
    return OK if hits else NOT_FOUND


def _write_chart(path: str | None, make) -> None:
    """Draws a picture to `path` (a PNG) when asked, and says what it shows."""
    if not path:
        return
    from rag.pictures.charts import ChartsUnavailable

    try:
        chart = make()
    except ChartsUnavailable as exc:
        raise ServiceError(str(exc)) from None
    if chart is None:
        print("nothing to draw", file=sys.stderr)
        return
    try:
        Path(path).write_bytes(chart.png)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({chart.width}×{chart.height}): {chart.alt}", file=sys.stderr)


def cmd_topics(args, config: Config) -> int:
    kb = open_kb(config)
    topics = kb.topics()
    if args.chart:
        from rag.pictures.of_answers import topics_picture

        _write_chart(args.chart, lambda: topics_picture(topics, args.lang))
    if args.json:
        _print_json([{"topic": t, "count": c} for t, c in topics])
    else:
        for topic, count in topics:
            print(f"{count:>4}  {topic}")
    return OK


def cmd_eval(args, config: Config) -> int:
    from rag.search.evaluation import BASELINES, evaluate, read_questions

    baselines = tuple(b for b in (args.baselines or "").split(",") if b.strip() and b != "none")
    unknown = sorted(set(baselines) - set(BASELINES))
    if unknown:
        raise UsageError(f"unknown baseline {', '.join(unknown)}; choose from {', '.join(BASELINES)} or none")
    try:
        questions = [q for path in args.questions for q in read_questions(Path(path))]
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    kb = open_kb(config)
    missing = sorted({g for q in questions for g in q.gold} - set(kb.catalog))
    if missing:
        print(f"warning: {len(missing)} gold paper(s) not in the knowledge base, e.g. {', '.join(missing[:3])}",
              file=sys.stderr)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty() and (done % 50 == 0 or done == total):
            print(f"\r{done}/{total} questions", end="\n" if done == total else "", file=sys.stderr, flush=True)

    phrasings, loop = None, None
    if args.rewrite:
        phrasings, loop = _phrasings(config)
    try:
        report = evaluate(kb, questions, k=args.k, baselines=baselines, progress=progress, phrasings=phrasings)
    finally:
        if loop is not None:
            loop.close()
    if args.json:
        _print_json(report)
        return OK
    summary = report["summary"]
    names = ["paperbot", *(f"baseline_{b}" for b in baselines)]
    print(f"{summary['questions']} questions over {summary['papers']} papers; "
          f"hybrid search p50 {summary['search_ms_p50']} ms, p95 {summary['search_ms_p95']} ms")
    if "rewritten" in summary:
        print(f"the model gave usable search phrasings for {summary['rewritten']} of them")
    print(f"{'':<34}" + "".join(f"{n.replace('baseline_', ''):>10}" for n in names))
    for group, block in summary["paperbot"].items():
        for metric, value in block.items():
            if metric != "n":
                label = f"{group} {metric} (n={block['n']})"
                cells = [summary[n].get(group, {}).get(metric, float("nan")) for n in names]
                print(f"{label:<34}" + "".join(f"{c:>10.3f}" for c in cells))
    return OK


def _phrasings(config: Config):
    """The configured model's search phrasings per question (cached in the store as the
    bot caches them), for `eval --rewrite`; and the event loop that runs the calls."""
    import asyncio

    from rag.models.chat import make_llm
    from rag.answers.rewrite import Rewriter
    from rag.models.usage import CLI, open_ledger

    ledger = open_ledger(config)
    llm = make_llm(config, ledger=ledger)
    if llm is None:
        raise UsageError("--rewrite needs a model: set [llm] api_base or OPENAI_API_KEY")
    rewriter, loop = Rewriter(llm, ledger.db), asyncio.new_event_loop()
    return (lambda question: loop.run_until_complete(rewriter.phrasings(question, CLI))), loop


def _answerer(config: Config, kb):
    from rag.answers.operations import open_answerer

    return open_answerer(config, kb)


def _show(answer, as_json: bool) -> int:
    if as_json:
        _print_json(answer.to_dict())
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


def cmd_answer(args, config: Config) -> int:
    import asyncio

    from rag.answers.operations import AnswerError

    kb = open_kb(config)
    engine = _answerer(config, kb)
    lang = getattr(args, "lang", None)
    if args.command == "ask":
        run = engine.ask(" ".join(args.question))
    elif args.command == "summarize":
        run = engine.summarize(" ".join(args.target), language=lang)
    elif args.command == "compare":
        run = engine.compare(args.ids, language=lang or "zh")
    elif args.command == "recommend":
        run = engine.recommend(" ".join(args.target), k=args.k, language=lang)
    else:
        since = dt.datetime.combine(args.since, dt.time(), dt.timezone.utc) if args.since else \
            dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=7)
        run = engine.digest(since, language=lang or "zh")
    try:
        answer = asyncio.run(run)
    except AnswerError as exc:
        if exc.code == "unknown_id":
            print(f"paperbot: {exc}", file=sys.stderr)
            return NOT_FOUND
        raise UsageError(str(exc)) from None
    if getattr(args, "chart", None):
        from rag.pictures.of_answers import compare_picture, digest_picture

        _write_chart(args.chart, (lambda: compare_picture(answer)) if args.command == "compare"
                     else lambda: digest_picture(answer, kb, dt.datetime.now(dt.timezone.utc)))
    return _show(answer, args.json)


def cmd_usage(args, config: Config) -> int:
    from rag.models.usage import month_start, open_ledger, utc_now

    since = dt.datetime.combine(args.since, dt.time(), dt.timezone.utc) if args.since else month_start(utc_now())
    report = open_ledger(config).report(since)
    if args.json:
        _print_json(report)
        return OK
    total = report["total"]
    unpriced = f" (+ {total['unpriced_calls']} calls of models without a price)" if total["unpriced_calls"] else ""
    estimated = f"; {total['estimated_calls']} counted locally" if total["estimated_calls"] else ""
    print(f"Model use since {since:%Y-%m-%d} (UTC): {total['calls']} calls, {total['cached']} from the cache; "
          f"{total['prompt_tokens'] + total['completion_tokens']:,} tokens{estimated}; "
          f"US${total['cost_usd']:.4f}{unpriced}; the cache saved US${total['saved_usd']:.4f}")
    for name in ("user", "operation", "model") if total["calls"] else ():
        print(f"\nby {name}:")
        for key, block in report[f"by_{name}"].items():
            print(f"  {key:<24} {block['calls']:>6} calls {block['cached']:>5} cached "
                  f"{block['prompt_tokens'] + block['completion_tokens']:>10,} tokens  US${block['cost_usd']:.4f}"
                  + (f"  ({block['unpriced_calls']} unpriced)" if block["unpriced_calls"] else ""))
    return OK


def cmd_cache(args, config: Config) -> int:
    from rag.answers.cache import AnswerCache
    from rag.records import open_db

    cache = AnswerCache(open_db(config.state_dir), config.cache.max_entries)
    if args.action == "clear":
        removed = cache.clear()
        print(json.dumps({"removed": removed}) if args.json else f"removed {removed} cached answers")
        return OK
    stats = cache.stats()
    if args.json:
        _print_json(stats)
    else:
        state = "on" if config.cache.enabled else "off ([cache] enabled = false)"
        print(f"answer cache {state}: {stats['entries']} answers (max {stats['max_entries']}), served "
              f"{stats['hits']} times, saving US${stats['saved_usd']:.4f} and {stats['saved_tokens']:,} tokens")
        for operation, count in stats["by_operation"].items():
            print(f"  {operation:<10} {count}")
def cmd_feedback(args, config: Config) -> int:
    """👍/👎 counts from the bot's store; --export writes voted questions as `paperbot eval` lines."""
    from rag.records import open_db
    from rag.people import People

    people = People(open_db(config.state_dir))
    since = dt.datetime.combine(args.since, dt.time(), dt.timezone.utc) if args.since else None
    counts = people.feedback_counts(since)
    if args.export:
        lines = people.eval_lines(since)
        try:
            target = Path(args.export)
            staging = target.with_name(target.name + ".tmp")
            staging.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
            staging.replace(target)
        except OSError as exc:
            raise UsageError(f"cannot write {args.export}: {exc.strerror or exc}") from None
        counts["exported"] = {"path": str(args.export), "lines": len(lines),
                              "review": sum(1 for line in lines if line.get("review"))}
    if args.json:
        _print_json(counts)
        return OK
    print(f"{counts['up']} 👍  {counts['down']} 👎  on {counts['answers']} answers"
          + (f" since {args.since.isoformat()}" if args.since else ""))
    for group, title in (("by_operation", "by operation"), ("by_mode", "by mode"), ("by_model", "by model")):
        if counts[group]:
            print(f"\n{title}:")
            for name, c in counts[group].items():
                print(f"  {name:<20} {c['up']:>5} 👍 {c['down']:>5} 👎")
    if counts["reasons"]:
        print("\n👎 reasons:")
        for reason, n in sorted(counts["reasons"].items(), key=lambda item: -item[1]):
            print(f"  {reason:<20} {n:>5}")
    if args.export:
        exported = counts["exported"]
        print(f"\nwrote {exported['lines']} questions to {exported['path']} "
              f"({exported['review']} marked for review: 👎 or nothing cited)")
    return OK


def cmd_run(args, config: Config) -> int:
    from bot.run import main as run_bot

    def open_engine():
        kb = open_kb(config)
        return kb, _answerer(config, kb)

    return run_bot(config, open_engine)


# -- wiring ---------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="paperbot", description="Questions about a curated table of AI papers.")
    parser.add_argument("--config", help="TOML config (default: $PAPERBOT_CONFIG or ./config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens inside")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name, handler, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    def with_json(p):
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
        return p

    p = with_json(command("ingest", cmd_ingest, "store the paper table(s) in the knowledge base"))
    p.add_argument("paths", nargs="*", help="Markdown tables (default: [data] tables)")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    p.add_argument("--no-enrich", action="store_true", help="don't look up abstracts and authors on arXiv")

    p = with_json(command("add", cmd_add, "add papers by arXiv ID or link: fetched from arXiv, written to the "
                                          "inbox table ([data] inbox), ingested"))
    p.add_argument("ids", nargs="+", metavar="ID")

    p = with_json(command("paper", cmd_paper, "look a paper up by arXiv ID or URL"))
    p.add_argument("id")

    p = with_json(command("search", cmd_search, "the best papers for a question (English or Chinese)"))
    p.add_argument("query", nargs="+")
    p.add_argument("--k", type=int, default=5, help="how many papers (default 5)")
    p.add_argument("--topic", help="only papers with this topic (a name or part of one)")
    p.add_argument("--since", type=_date, help="only papers dated on or after YYYY-MM-DD")
    p.add_argument("--until", type=_date, help="only papers dated on or before YYYY-MM-DD")
    p.add_argument("--author", help="only papers with an author whose name contains this (authors come from arXiv)")

    p = with_json(command("topics", cmd_topics, "every topic with its paper count"))
    p.add_argument("--chart", metavar="FILE.png", help="also draw the topics chart (the largest 25) to this PNG")
    p.add_argument("--lang", choices=["en", "zh"], default="zh", help="the chart's labels (default zh)")

    p = with_json(command("eval", cmd_eval, "retrieval quality on question sets, optionally beside baselines"))
    p.add_argument("questions", nargs="+", help="JSONL files: {q, lang, gold, kind, set} per line")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--baselines", default="", metavar="LIST",
                   help="also run these, comma-separated: dense (the naive LlamaIndex recipe), bm25 (whitespace words)")
    p.add_argument("--rewrite", action="store_true",
                   help="search each question with the configured model's search phrasings too, as the bot does "
                        "with [retrieval] rewrite (a model call per new question, cached)")

    def answering(name, help_text):
        p = with_json(command(name, cmd_answer, help_text))
        p.add_argument("--lang", choices=["en", "zh", "zh-CN"],
                       help="answer language: en, zh (Traditional) or zh-CN (Simplified); default: the question's")
        return p

    answering("ask", "a cited answer from the papers").add_argument("question", nargs="+")
    answering("summarize", "summarise one paper (ID) or every paper on a topic").add_argument("target", nargs="+")
    p = answering("compare", "compare 2 to 4 papers side by side")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--chart", metavar="FILE.png", help="also draw the comparison table to this PNG")
    p = answering("recommend", "papers for an interest, or more like a paper (ID)")
    p.add_argument("target", nargs="+")
    p.add_argument("--k", type=int, default=5)
    p = answering("digest", "papers added since a date (default: the last 7 days), by topic")
    p.add_argument("--since", type=_date, help="YYYY-MM-DD")
    p.add_argument("--chart", metavar="FILE.png", help="also draw the digest's chart to this PNG")

    p = with_json(command("usage", cmd_usage, "what the model cost: calls, tokens and US$ per user, operation, model"))
    p.add_argument("--since", type=_date, help="YYYY-MM-DD (default: the first of this month, UTC)")

    p = with_json(command("cache", cmd_cache, "the answer cache: how much it holds and saved, or empty it"))
    p.add_argument("action", choices=["stats", "clear"])

    p = with_json(command("feedback", cmd_feedback, "👍/👎 counts on the bot's answers; export them for eval"))
    p.add_argument("--since", type=_date, help="only votes on or after YYYY-MM-DD")
    p.add_argument("--export", metavar="FILE.jsonl",
                   help="write voted questions as `paperbot eval` lines (👎: marked for review)")

    command("run", cmd_run, "run the Discord bot (needs DISCORD_TOKEN; see the README)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rag.logs import configure_logging, mask
    from rag.store.chroma import StoreUnavailable

    configure_logging(verbose=args.verbose)
    try:
        config = load_config(args.config)
        configure_logging(config.urls, verbose=args.verbose)  # now it knows the URLs that may hold keys
        return args.handler(args, config)
    except (ConfigError, UsageError) as exc:
        print(f"paperbot: {mask(exc)}", file=sys.stderr)
        return BAD_INPUT
    except (StoreUnavailable, ServiceError) as exc:
        print(f"paperbot: {mask(exc)}", file=sys.stderr)
        return UNAVAILABLE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
