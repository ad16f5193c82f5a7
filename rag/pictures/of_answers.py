"""The pictures of an answer, built from what the answer holds (rag.pictures.charts draws them):
the digest's chart, the topics chart and the comparison table. Shared by the bot and the
CLI; rendering is CPU work, so callers run these off the event loop."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rag.answers.answer import Answer
from rag.pictures import charts
from rag.store.knowledge import KnowledgeBase
from rag.text.language import localise


def digest_picture(answer: Answer, kb: KnowledgeBase, until: dt.datetime, title: str = "") -> charts.Chart | None:
    """The week's new papers per topic and the papers added per week over 12 weeks."""
    if not answer.citations:
        return None
    language = answer.language
    counts = [(localise(g["topic"], language), len(g["papers"])) for g in answer.items]
    arrivals = [p.added_at for p in kb.catalog.values() if p.added_at]
    # The weekly panel ends at the newest arrival: a digest of papers from long ago shows their weeks.
    weekly = weekly_counts(arrivals, min(until, max(arrivals)) if arrivals else until)
    return charts.digest_chart(counts, weekly, language, title=title, total=len(answer.citations))


def topics_picture(topics: list[tuple[str, int]], language: str) -> charts.Chart | None:
    return charts.topics_chart([(localise(t, language), n) for t, n in topics], language) if topics else None


def compare_picture(answer: Answer) -> charts.Chart | None:
    """One column per paper: date, topics, problem, method, results, each cell citing it."""
    if answer.operation != "compare" or not answer.items:
        return None
    language = answer.language
    columns = [{"n": n, "title": i["title"], "date": i["date"], "topics": [localise(t, language) for t in i["topics"]],
                **{cell: localise(i.get(cell, ""), language) for cell in ("problem", "method", "results")}}
               for n, i in enumerate(answer.items, 1)]
    return charts.compare_table(columns, language)


# -- the series a chart draws, from papers' fields --------------------------------------------
def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def weekly_counts(added: Iterable[dt.datetime | None], now: dt.datetime, weeks: int = 12) -> list[tuple[dt.date, int]]:
    """Papers added in each of the last `weeks` 7-day windows ending at `now`, oldest first.

    A window is (start, start + 7 days], like the digest's (since, until]; it is labelled
    with its start date in `now`'s timezone. Naive datetimes count as UTC. Papers added
    after `now` or before the first window are not counted."""
    if weeks < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks}")
    tz = _aware(now).tzinfo
    now = _aware(now).astimezone(dt.timezone.utc)  # in UTC, a week is 7 × 24 h even across a DST change
    week, tick = dt.timedelta(days=7), dt.timedelta(microseconds=1)
    first = now - week * weeks
    counts = [0] * weeks
    for moment in added:
        if moment is None:
            continue
        moment = _aware(moment).astimezone(dt.timezone.utc)
        if first < moment <= now:  # integer arithmetic: a moment on a boundary ends the earlier window
            counts[((moment - first) // tick - 1) // (week // tick)] += 1
    return [((first + week * i).astimezone(tz).date(), counts[i]) for i in range(weeks)]


def count_topics(topic_lists: Iterable[Iterable[str]]) -> list[tuple[str, int]]:
    """Papers per topic (a paper counts once in each of its topics), largest first, then by name."""
    counts: dict[str, int] = {}
    for topics in topic_lists:
        for topic in dict.fromkeys(topics):
            counts[topic] = counts.get(topic, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
