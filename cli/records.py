"""`paperbot usage`, `cache`, `feedback`, `club`: what paperbot's records hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from cli.output import OK, UsageError, print_json, utc_day

if TYPE_CHECKING:
    from rag.engine import Engine


def cmd_usage(args, engine: Engine) -> int:
    from rag.models.usage import month_start
    from rag.records import utc_now

    since = utc_day(args.since) if args.since else month_start(utc_now())
    report = engine.ledger.report(since)
    if args.json:
        print_json(report)
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


def cmd_cache(args, engine: Engine) -> int:
    from rag.answers.cache import AnswerCache

    config = engine.config
    cache = AnswerCache(engine.records, config.cache.max_entries)
    if args.action == "clear":
        removed = cache.clear()
        print(json.dumps({"removed": removed}) if args.json else f"removed {removed} cached answers")
        return OK
    stats = cache.stats()
    if args.json:
        print_json(stats)
    else:
        state = "on" if config.cache.enabled else "off ([cache] enabled = false)"
        print(f"answer cache {state}: {stats['entries']} answers (max {stats['max_entries']}), served "
              f"{stats['hits']} times, saving US${stats['saved_usd']:.4f} and {stats['saved_tokens']:,} tokens")
        for operation, count in stats["by_operation"].items():
            print(f"  {operation:<10} {count}")
    return OK


def cmd_feedback(args, engine: Engine) -> int:
    """👍/👎 counts from the bot's records; --export writes voted questions as `paperbot eval` lines."""
    from rag.files import write_atomic

    people = engine.people
    since = utc_day(args.since) if args.since else None
    counts = people.feedback_counts(since)
    if args.export:
        lines = people.eval_lines(since)
        try:
            write_atomic(Path(args.export), "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
        except OSError as exc:
            raise UsageError(f"cannot write {args.export}: {exc.strerror or exc}") from None
        counts["exported"] = {"path": str(args.export), "lines": len(lines),
                              "review": sum(1 for line in lines if line.get("review"))}
    if args.json:
        print_json(counts)
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


def cmd_club(args, engine: Engine) -> int:
    """The paper club's past sessions (all servers, or one): the paper, the votes, the
    questions, how many attended and the takeaways. No member is named."""
    sessions = engine.club.history(args.guild)
    if args.json:
        print_json({"sessions": sessions})
        return OK
    if not sessions:
        print("no paper club sessions yet" + (f" in server {args.guild}" if args.guild else ""))
        return OK
    for s in sessions:
        state = "met" if s["met"] else "coming"
        print(f"{s['meets'][:10]}  {s['title']} ({s['arxiv_id']})  [{state}]\n"
              f"    {s['votes']}/{s['total_votes']} votes{' (tie: nominated first)' if s['tie'] else ''} · "
              f"{s['attended']} attended · {len(s['takeaways'])} takeaways · server {s['guild_id']}")
        for takeaway in s["takeaways"]:
            print(f"    • {takeaway}")
    return OK
