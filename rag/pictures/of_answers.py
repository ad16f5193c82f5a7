"""The pictures of an answer, built from what the answer holds (rag.charts draws them):
the digest's chart, the topics chart and the comparison table. Shared by the bot and the
CLI; rendering is CPU work, so callers run these off the event loop."""

from __future__ import annotations

import datetime as dt

from rag.pictures import charts
from rag.answers.operations import Answer
from rag.store.knowledge import KnowledgeBase
from rag.text.language import base_language


def digest_picture(answer: Answer, kb: KnowledgeBase, until: dt.datetime, title: str = "") -> charts.Chart | None:
    """The week's new papers per topic and the papers added per week over 12 weeks."""
    if not answer.citations:
        return None
    counts = [(g["topic"], len(g["papers"])) for g in answer.items]
    weekly = charts.weekly_counts((p.added_at for p in kb.catalog.values()), until)
    return charts.digest_chart(counts, weekly, base_language(answer.language), title=title,
                               total=len(answer.citations))


def topics_picture(topics: list[tuple[str, int]], language: str) -> charts.Chart | None:
    return charts.topics_chart(topics, base_language(language)) if topics else None


def compare_picture(answer: Answer) -> charts.Chart | None:
    """One column per paper: date, topics, problem, method, results, each cell citing it."""
    if answer.operation != "compare" or not answer.items:
        return None
    columns = [{"n": n, "title": i["title"], "date": i["date"], "topics": i["topics"],
                "problem": i.get("problem", ""), "method": i.get("method", ""), "results": i.get("results", "")}
               for n, i in enumerate(answer.items, 1)]
    return charts.compare_table(columns, base_language(answer.language))
