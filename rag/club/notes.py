"""What the club concluded, offered to /ask as sources (rag.answers.notes): a question about
the group ("what did we conclude about HippoRAG?", "我們讀書會對 LoRA 的結論？") gets the
takeaways of the sessions it is about, each session cited like a paper and linked to its
thread. A question that says nothing of the group is answered from the papers alone, as
before.

A session is about the question when the question names its paper (by arXiv ID, by its
short name such as "HippoRAG", or by its title), when its paper is among the best papers
found for the question, or when its takeaways share words with it; a question about "last
time" with none of those gets the latest session.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from rag.answers.notes import note_source
from rag.club.records import Club
from rag.papers.table import Paper
from rag.search.question import Question
from rag.text.language import EN, ZH, base_language, localise
from rag.text.script import CJK
from rag.text.tokens import tokenize

MAX_SESSIONS = 2  # sessions cited in one answer at most
TOP_HITS = 2  # a session whose paper is among this many best papers found is about the question
SHARED_WORDS = 2  # or whose takeaways share this many words with it

# The question is about the group: what we read, discussed, concluded, took away.
_ABOUT_US = re.compile(
    r"\b(we|our|us|club|session|meeting|reading group|discuss\w*|conclu\w*|takeaways?|agreed|decided)\b"
    r"|我們|我们|咱們|咱们|大家|讀書會|读书会|導讀|导读|討論|讨论|結論|结论|心得|聚會|聚会|會議|会议|上次|上週|上周",
    re.IGNORECASE)
_LAST_TIME = re.compile(r"\b(last (week|time|session|meeting)|latest|recent\w*)\b|上次|上週|上周|最近",
                        re.IGNORECASE)
_END = re.compile(r"[.!?。！？]$")
TITLE = {EN: "Paper club, {date}: {title}", ZH: "讀書會 {date}：{title}"}


def short_name(title: str) -> str | None:
    """What members call a paper: its name before the title's colon ("HippoRAG", "GNN-RAG")."""
    head, colon, _ = title.partition(":")
    head = head.strip()
    return head if colon and 4 <= len(head) <= 30 else None


def _named(question: Question, arxiv_id: str, title: str) -> bool:
    text = question.folded.casefold()
    name = short_name(title)
    return (arxiv_id in question.ids or title.casefold() in text
            or bool(name and re.search(rf"(?<![\w-]){re.escape(name.casefold())}(?![\w-])", text)))


def notes_for(club: Club, question: Question, papers: list[Paper], guild: str) -> list[Paper]:
    """The sessions whose takeaways answer a question about the group, as sources, best
    first; none for a question that is not about the group. `guild` "" (the command line)
    reads every server's sessions."""
    if not _ABOUT_US.search(question.folded):
        return []
    sessions = [s for s in club.sessions(int(guild) if guild else None) if s.winner is not None and s.thread_url]
    noted = [(s, takeaways) for s in sessions if (takeaways := club.takeaways(s.id))]
    if not noted:
        return []
    words = set(tokenize(question.text))
    best = [p.arxiv_id for p in papers[:TOP_HITS]]
    scored = []
    for order, (session, takeaways) in enumerate(noted):
        paper = club.nomination(session.winner)
        named = _named(question, paper.arxiv_id, paper.title)
        shared = len(words & set(tokenize(" ".join(takeaways))))
        if named or paper.arxiv_id in best or shared >= SHARED_WORDS:
            scored.append(((named, paper.arxiv_id in best, shared, order), session, paper, takeaways))
    if not scored and _LAST_TIME.search(question.folded):
        session, takeaways = noted[-1]
        scored.append(((False, False, 0, 0), session, club.nomination(session.winner), takeaways))
    scored.sort(key=lambda item: item[0], reverse=True)
    language = question.language
    return [_source(session, paper.title, takeaways, language) for _, session, paper, takeaways in
            scored[:MAX_SESSIONS]]


def _source(session, title: str, takeaways: list[str], language: str) -> Paper:
    date = session.meets.astimezone(ZoneInfo(session.timezone)).date()
    # One takeaway a sentence, so an extract or a claim is never half of two.
    text = "\n".join(t if _END.search(t) else t + ("。" if CJK.match(t[-1]) else ".")
                     for t in takeaways)
    heading = localise(TITLE[base_language(language)].format(date=date.isoformat(), title=title), language)
    return note_source(str(session.id), heading, date, text, session.thread_url)
