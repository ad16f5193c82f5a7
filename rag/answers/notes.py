"""Notes a group keeps about papers (the paper club's sessions, rag.club) offered to an
answer as sources of their own: shaped like a paper, so retrieval's papers and the notes
go through the same prompt, the same claim check and the same [n] citations, and a
sentence taken from the notes is cited to the session, linked where it happened.

A note's ID is never an arXiv ID (it starts with NOTE_PREFIX), so the front ends can
tell a note from a paper (no ⭐ Save for a note; never gold in an eval set).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rag.papers.table import Paper
from rag.search.question import Question

NOTE_PREFIX = "club-"
NOTE_TOPIC = "paper club"

# (the question, the papers retrieved for it, the asker's server: "" outside Discord) ->
# the notes to add as sources, most relevant first.
NotesFor = Callable[[Question, list[Paper], str], list[Paper]]


def note_source(key: str, title: str, date: dt.date, text: str, url: str) -> Paper:
    """A note as a source: `text` is what the claim check reads and the answer may quote."""
    return Paper(f"{NOTE_PREFIX}{key}", title, date, text, (NOTE_TOPIC,), url=url)


def is_note(source_id: str) -> bool:
    return source_id.startswith(NOTE_PREFIX)
