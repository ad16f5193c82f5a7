"""`paperbot ingest`, `add`, `paper`, `search`, `topics`: the list and finding papers in it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cli.output import NOT_FOUND, OK, UNAVAILABLE, ServiceError, UsageError, print_json, write_chart

if TYPE_CHECKING:
    from rag.engine import Engine


def ready(engine: Engine):
    """The knowledge base; on first use (an empty store) it ingests the configured tables.
    A configured table that is not there is said at once: searching without it would only
    find less, silently."""
    missing = [p for p in engine.config.table_paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such table: {', '.join(map(str, missing))} (see [data] tables in the config)")
    kb = engine.kb
    if kb.store.count() == 0:
        paths = [p for p in engine.config.table_paths if p.is_file()]
        if paths:
            print(f"First use: ingesting {', '.join(map(str, paths))} ...", file=sys.stderr)
            _, errors = engine.ingest(paths, progress=sys.stderr.isatty())
            for error in errors:
                print(f"skipped {error}", file=sys.stderr)
            fill_meaning(engine, sys.stderr.isatty())
    return kb


def fill_meaning(engine: Engine, progress: bool):
    """The multilingual vectors of the papers that have none, with a progress bar; each batch
    is kept as it is made, so Ctrl-C (or a kill) loses one batch and the next run goes on.
    The progress afterwards (None without the model)."""
    from rag.models.minilm import threads

    kb = engine.kb
    try:
        made = kb.fill_meaning(progress=progress, threads=threads())  # nothing else runs here: every core
    except KeyboardInterrupt:
        print(f"\nstopped: meaning {kb.meaning_progress()}; `paperbot ingest` goes on from there", file=sys.stderr)
        raise SystemExit(130) from None
    return made, kb.meaning_progress()


def cmd_ingest(args, engine: Engine) -> int:
    import openai

    from rag.models.chat import explain_failure

    config = engine.config
    paths = [Path(p) for p in args.paths] or config.table_paths
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise UsageError(f"no such table: {', '.join(map(str, missing))}")
    kb = engine.kb
    # Rows /add wrote without a model get their Chinese summary once a model is configured.
    drafts = asyncio.run(engine.adder.finish_drafts()) if engine.llm and not args.paths else []
    try:
        report, errors = engine.ingest(paths, progress=sys.stderr.isatty() or args.progress)
    except openai.OpenAIError as exc:  # the embeddings backend gave up
        raise ServiceError(f"embedding failed: {explain_failure(exc).replace('language model', 'embeddings server')}; "
                           "the papers stored so far are kept, run `paperbot ingest` again to resume") from None
    for error in errors:
        print(f"skipped {error}", file=sys.stderr)
    enriched = engine.enrich() if config.arxiv.enrich and not args.no_enrich else None
    made, meaning = fill_meaning(engine, sys.stderr.isatty() or args.progress) if not args.no_meaning else \
        (0, kb.meaning_progress())
    summary = {
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "glossed": len(report.glossed),
        "summarized": len(drafts),
        "enrichment": enriched.to_dict() if enriched else None,
        "skipped": [{"source": e.source, "line": e.line, "reason": e.reason} for e in errors],
        "total": kb.store.count(),
        "meaning": {"have": meaning.have, "total": meaning.total, "read_now": made} if meaning else None,
    }
    if args.json:
        print_json(summary)
    else:
        print(
            f"{summary['added']} added, {summary['updated']} updated, {summary['unchanged']} unchanged, "
            f"{summary['glossed']} glossed, "
            f"{len(errors)} skipped; {summary['total']} papers in the knowledge base"
        )
        if meaning is not None:
            print(f"meaning: {meaning} read by the multilingual model ({made} just now)")
        if drafts:
            print(f"wrote the Chinese summary of {len(drafts)} paper(s) added without a model")
        if enriched and (enriched.enriched or enriched.unknown):
            print(f"arXiv: abstracts and authors for {len(enriched.enriched)} paper(s); "
                  f"{len(enriched.unknown)} not on arXiv")
        if enriched and enriched.skipped:
            print(f"arXiv enrichment skipped for now (the ingest is complete): {enriched.skipped}")
    return NOT_FOUND if errors else OK


def cmd_add(args, engine: Engine) -> int:
    from rag.store.add import FAILED, LISTED, UNKNOWN, WITHDRAWN

    ready(engine)
    results = asyncio.run(engine.adder.add(args.ids))
    if args.json:
        print_json([r.to_dict() for r in results])
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


def cmd_paper(args, engine: Engine) -> int:
    from rag.papers.ids import InvalidArxivId, parse_arxiv_id

    kb = ready(engine)
    paper = kb.find(args.id)  # an ID in any form, or a title
    if paper is None:
        try:
            arxiv_id = parse_arxiv_id(args.id)
        except InvalidArxivId as exc:
            raise UsageError(f"no paper in the list has a title like {args.id!r}, and {exc}") from None
        hints = kb.suggest(args.id)
        if args.json:
            print_json({"error": "not_found", "arxiv_id": arxiv_id, "suggestions": [p.to_dict() for p in hints]})
        else:
            print(f"{arxiv_id} is not in the paper list; `paperbot add {arxiv_id}` adds it from arXiv.",
                  file=sys.stderr)
            for p in hints:
                print(f"  did you mean {p.arxiv_id}  {p.title}?", file=sys.stderr)
        return NOT_FOUND
    if args.json:
        print_json(paper.to_dict())
    else:
        print(f"{paper.title}\n{paper.url}\n{paper.date.isoformat()} · {'，'.join(paper.topics)}\n\n{paper.summary}")
    return OK


def _search_filter(kb, args):
    from rag.papers.topics import resolve_topics
    from rag.store.chroma import SearchFilter

    topics: tuple[str, ...] = ()
    if args.topic:
        topics = resolve_topics(args.topic, [t for t, _ in kb.topics()])
        if not topics:
            known = "、".join(t for t, _ in kb.topics())
            raise UsageError(f"no topic matches {args.topic!r}; topics: {known}")
    authors = (args.author.strip(),) if getattr(args, "author", None) and args.author.strip() else ()
    return SearchFilter(topics=topics, since=args.since, until=args.until, authors=authors)


def cmd_search(args, engine: Engine) -> int:
    from rag.search.retrieval import HybridRetriever

    query = " ".join(args.query).strip()
    if not query:
        raise UsageError("the query is empty")
    kb = ready(engine)
    # Only papers about the question: a list padded with the nearest of unrelated papers reads as an answer.
    hits = [h for h in HybridRetriever(kb, k=args.k, filters=_search_filter(kb, args)).search(query) if h.relevant]
    if args.json:
        print_json([{"arxiv_id": h.paper.arxiv_id, "title": h.paper.title, "score": h.score,
                     "date": h.paper.date.isoformat(), "topics": list(h.paper.topics), "url": h.paper.url,
                     "authors": list(h.paper.authors)} for h in hits])
    elif not hits:
        print("No paper in the list is about that. Try other words, or `paperbot topics` to see what it covers.")
    else:
        for n, h in enumerate(hits, 1):
            by = f"; {', '.join(h.paper.authors[:3])}{' et al.' if len(h.paper.authors) > 3 else ''}" \
                if h.paper.authors else ""
            print(f"{n:>2}. {h.paper.arxiv_id:<12} {h.paper.title}  ({h.paper.date.isoformat()}; "
                  f"{'，'.join(h.paper.topics)}{by})")
    return OK if hits else NOT_FOUND


def cmd_topics(args, engine: Engine) -> int:
    topics = ready(engine).topics()
    if args.chart:
        from rag.pictures.of_answers import topics_picture

        write_chart(args.chart, lambda: topics_picture(topics, args.lang))
    if args.json:
        print_json([{"topic": t, "count": c} for t, c in topics])
    else:
        for topic, count in topics:
            print(f"{count:>4}  {topic}")
    return OK
