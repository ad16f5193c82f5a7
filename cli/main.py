"""`paperbot` command line. Text for people, `--json` for scripts.

Exit codes: 0 ok; 1 not found, or some rows skipped; 2 bad input or configuration;
3 a service (Chroma server, LLM) is unavailable. Each command receives the one Engine
(rag.engine) built from the config.
"""

from __future__ import annotations

import argparse
import sys

from cli import answers, doctor, papers, records
from cli.output import BAD_INPUT, NOT_FOUND, UNAVAILABLE, ServiceError, UsageError, date, png_path
from rag.config import ConfigError, load_config


def cmd_run(args, engine) -> int:
    from bot.run import main as run_bot

    def ready():
        papers.ready(engine)
        return engine

    return run_bot(engine.config, ready)


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

    p = with_json(command("ingest", papers.cmd_ingest, "store the paper table(s) in the knowledge base"))
    p.add_argument("paths", nargs="*", help="Markdown tables (default: [data] tables)")
    p.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    p.add_argument("--no-enrich", action="store_true", help="don't look up abstracts and authors on arXiv")
    p.add_argument("--no-meaning", action="store_true",
                   help="don't read the papers with the multilingual model now (the bot fills them in as it runs)")

    p = with_json(command("add", papers.cmd_add, "add papers by arXiv ID or link: fetched from arXiv, written to the "
                                          "inbox table ([data] inbox), ingested"))
    p.add_argument("ids", nargs="+", metavar="ID")

    p = with_json(command("paper", papers.cmd_paper, "look a paper up by arXiv ID, URL or title"))
    p.add_argument("id")

    p = with_json(command("search", papers.cmd_search, "the best papers for a question (English or Chinese)"))
    p.add_argument("query", nargs="+")
    p.add_argument("--k", type=int, default=5, help="how many papers (default 5)")
    p.add_argument("--topic", help="only papers with this topic (a name or part of one)")
    p.add_argument("--since", type=date, help="only papers dated on or after YYYY-MM-DD")
    p.add_argument("--until", type=date, help="only papers dated on or before YYYY-MM-DD")
    p.add_argument("--author", help="only papers with an author whose name contains this (authors come from arXiv)")

    p = with_json(command("topics", papers.cmd_topics, "every topic with its paper count"))
    p.add_argument("--chart", metavar="FILE.png", type=png_path, help="also draw the topics chart (the largest 25) to this PNG")
    p.add_argument("--lang", choices=["en", "zh", "zh-CN"], default="zh",
                   help="the chart's labels: en, zh (Traditional) or zh-CN (Simplified); default zh")

    p = with_json(command("eval", answers.cmd_eval, "retrieval quality on question sets, optionally beside baselines"))
    p.add_argument("questions", nargs="+", help="JSONL files: {q, lang, gold, kind, set} per line")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--baselines", default="", metavar="LIST",
                   help="also run these, comma-separated: dense (the naive LlamaIndex recipe), bm25 (whitespace "
                        "words), minilm and e5 (each of paperbot's models alone)")
    p.add_argument("--split", metavar="FILE", help="a JSON file naming each question's half (tune / held), e.g. "
                                                   "tests/eval/meaning-split.json; default: as the lines say")
    p.add_argument("--halves", action="store_true", help="print each group's tune and held halves too")
    p.add_argument("--rewrite", action="store_true",
                   help="search each question with the configured model's search phrasings too, as the bot does "
                        "with [retrieval] rewrite (a model call per new question, cached)")

    def answering(name, help_text):
        p = with_json(command(name, answers.cmd_answer, help_text))
        p.add_argument("--lang", choices=["en", "zh", "zh-CN"],
                       help="answer language: en, zh (Traditional) or zh-CN (Simplified); default: the question's")
        return p

    answering("ask", "a cited answer from the papers").add_argument("question", nargs="+")
    answering("summarize", "summarise one paper (ID) or every paper on a topic").add_argument("target", nargs="+")
    p = answering("compare", "compare 2 to 4 papers side by side")
    p.add_argument("ids", nargs="+", metavar="ID")
    p.add_argument("--chart", metavar="FILE.png", type=png_path, help="also draw the comparison table to this PNG")
    p = answering("recommend", "papers for an interest, or more like a paper (ID)")
    p.add_argument("target", nargs="+")
    p.add_argument("--k", type=int, default=5)
    p = answering("digest", "papers added since a date (default: the last 7 days), by topic")
    p.add_argument("--since", type=date, help="YYYY-MM-DD")
    p.add_argument("--chart", metavar="FILE.png", type=png_path, help="also draw the digest's chart to this PNG")

    p = with_json(command("usage", records.cmd_usage, "what the model cost: calls, tokens and US$ per user, operation, model"))
    p.add_argument("--since", type=date, help="YYYY-MM-DD (default: the first of this month, UTC)")

    p = with_json(command("cache", records.cmd_cache, "the answer cache: how much it holds and saved, or empty it"))
    p.add_argument("action", choices=["stats", "clear"])

    p = with_json(command("feedback", records.cmd_feedback, "👍/👎 counts on the bot's answers; export them for eval"))
    p.add_argument("--since", type=date, help="only votes on or after YYYY-MM-DD")
    p.add_argument("--export", metavar="FILE.jsonl",
                   help="write voted questions as `paperbot eval` lines (👎: marked for review)")

    with_json(command("doctor", doctor.cmd_doctor, "what is configured, and whether each part answers: tables, "
                                                   "records, store, embeddings, model, arXiv, Discord token"))
    p = with_json(command("club", records.cmd_club, "the paper club: past sessions, their votes, questions and "
                                                     "takeaways"))
    p.add_argument("action", choices=["history"])
    p.add_argument("--guild", type=int, help="only this Discord server's sessions")

    command("run", cmd_run, "run the Discord bot (needs DISCORD_TOKEN; see the README)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rag.engine import Engine
    from rag.errors import InputError, StoreUnavailable
    from rag.logs import configure_logging, mask

    configure_logging(verbose=args.verbose)
    try:
        config = load_config(args.config)
        configure_logging(config.urls, verbose=args.verbose)  # now it knows the URLs that may hold keys
        return args.handler(args, Engine(config, front="discord" if args.command == "run" else "cli"))
    except InputError as exc:
        print(f"paperbot: {mask(exc)}", file=sys.stderr)
        return NOT_FOUND if exc.code == "unknown_id" else BAD_INPUT
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
