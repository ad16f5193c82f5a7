"""The paper club's messages, within Discord's limits: the poll, the winner's announcement,
the thread's first message, the reminders, the meeting's call for takeaways, /club history.

Public messages are in the club's language (the admin's who set it up); each ends with a
marker naming its session and step, which is how a restart finds what it already posted.
Times are Discord timestamps, which every member's client shows in their own timezone,
beside the club's own weekday, time and timezone.
"""

from __future__ import annotations

import datetime as dt

import discord

from bot import render
from bot.i18n import WEEKDAY_NAMES, t
from bot.render import COLOUR, CONTENT, DESCRIPTION, FIELD_NAME, FIELD_VALUE, TITLE, clip, escape
from bot.schedule import WEEKDAYS, parse_timezone
from rag.answers.answer import LLM
from rag.club import Nomination, Session, Settings
from rag.club.notes import short_name
from rag.club.poll import QUESTION_CHARS, answer_texts
from rag.papers.ids import arxiv_url
from rag.papers.table import Paper
from rag.text.language import base_language

HISTORY_SESSIONS = 10  # sessions /club history shows, newest first
HISTORY_TAKEAWAYS = 3  # takeaways shown per session


def when(moment: dt.datetime, style: str = "F") -> str:
    return discord.utils.format_dt(moment, style)


def local(moment: dt.datetime, timezone: str, language: str) -> tuple[str, str, str]:
    """(weekday, HH:MM, YYYY-MM-DD) of a moment in the club's timezone."""
    there = moment.astimezone(parse_timezone(timezone))
    return WEEKDAY_NAMES[base_language(language)][there.weekday()], f"{there:%H:%M}", there.date().isoformat()


def marker(session: Session, step: str) -> str:
    """Names a session's message (its last line): how a restart finds what was posted."""
    date = local(session.meets, session.timezone, session.language)[2]
    return t("club.marker", session.language, date=date, step=t(f"club.step.{step}", session.language), id=session.id)


def slot_marker(settings: Settings, slot: dt.datetime, step: str) -> str:
    """Names a message about a weekly slot rather than a session (no vote: nothing nominated)."""
    date = local(slot, settings.timezone, settings.language)[2]
    return t("club.marker_slot", settings.language, date=date, step=t(f"club.step.{step}", settings.language))


def with_marker(text: str, mark: str) -> str:
    return clip(text, CONTENT - len(mark) - 1) + "\n" + mark


def paper_name(title: str) -> str:
    """What members call the paper: its short name, else its title."""
    return short_name(title) or clip(title, 60)


def _user(user_id: int | None) -> str:
    return f"<@{user_id}>" if user_id else "—"  # shown as a name; messages ping nobody (NO_MENTIONS)


# -- the vote -------------------------------------------------------------------------------
def poll_message(session: Session, ballot: list[Nomination], waiting: int) -> tuple[str, discord.Poll]:
    """The poll (question, answers in nomination order) and the words above it: who
    nominated what and why."""
    language = session.language
    weekday, time, date = local(session.meets, session.timezone, language)
    hours = max(1, round((session.closes - session.opened).total_seconds() / 3600))
    poll = discord.Poll(question=clip(t("club.poll_question", language, date=date), QUESTION_CHARS),
                        duration=dt.timedelta(hours=hours))
    for text in answer_texts([n.title for n in ballot], [n.arxiv_id for n in ballot]):
        poll.add_answer(text=text)
    head = t("club.poll_intro", language, closes=when(session.closes, "R"), meets=when(session.meets), weekday=weekday,
             time=time, timezone=session.timezone)
    tail = t("club.poll_waiting", language, count=waiting) if waiting else ""
    budget = (CONTENT - len(head) - len(tail) - 120) // max(len(ballot), 1)  # the marker's room kept
    lines = []
    for n, nomination in enumerate(ballot, 1):
        by = t("club.poll_by", language, user=_user(nomination.user_id))
        line = f"{n}. **{escape(clip(nomination.title, 120))}** — {by}"
        if nomination.reason:
            line += f": “{escape(nomination.reason)}”"
        lines.append(clip(line, budget))
    return "\n".join([head, *lines, *([tail] if tail else [])]), poll


def announcement(session: Session, ballot: list[Nomination]) -> str:
    language = session.language
    counts = session.counts or [0] * len(ballot)
    won = next(n for n in ballot if n.id == session.winner)
    votes = counts[won.answer - 1]
    weekday, time, _ = local(session.meets, session.timezone, language)
    lines = [t("club.winner", language, title=escape(won.title), votes=votes, total=sum(counts),
               meets=when(session.meets), weekday=weekday, time=time, timezone=session.timezone)]
    if session.tie and votes == 0:
        lines.append(t("club.no_votes", language))
    elif session.tie:
        others = [n for n in ballot if n.id != won.id and counts[n.answer - 1] == votes]
        lines.append(t("club.tie", language, others=", ".join(f"**{escape(clip(n.title, 80))}**" for n in others),
                       votes=votes))
    if len(ballot) > 1:
        lines.append(t("club.others", language))
    lines.append(f"<{arxiv_url(won.arxiv_id)}>")  # a link without a preview: the thread shows the card
    return "\n".join(lines)


# -- the discussion -----------------------------------------------------------------------------
def thread_name(title: str, session: Session) -> str:
    date = local(session.meets, session.timezone, session.language)[2]
    return render.thread_name(t("club.thread_name", session.language, title=clip(paper_name(title), 70), date=date))


def opening(session: Session, paper: Paper, prepared: dict) -> tuple[str, list[discord.Embed]]:
    """The thread's first message: the paper's card, its summary in the club's language,
    and the questions for the discussion."""
    language = session.language
    text = t("club.opening", language, title=escape(paper.title), meets=when(session.meets))
    card = render.paper_embed(paper, language)
    card.description = None  # the summary follows, in the reader's language
    questions = prepared.get("questions", [])
    asks = discord.Embed(title=t("club.questions_title", language), colour=COLOUR,
                         description=clip("\n".join(f"**{n}.** {escape(q)}" for n, q in enumerate(questions, 1)),
                                          2500))
    asks.set_footer(text=t("club.questions_llm", language, model=prepared.get("model") or "?")
                    if prepared.get("mode") == LLM else t("club.questions_offline", language))
    embeds = [card]
    summary = prepared.get("summary") or {}
    room = min(DESCRIPTION, 5700 - len(card) - len(asks))  # 6000 characters a message, footers included
    if summary.get("text") and room >= 200:
        about = discord.Embed(title=t("club.summary_title", language), description=clip(summary["text"], room),
                              colour=COLOUR)
        if summary.get("mode") == LLM:
            about.set_footer(text=t("club.summary_llm", language, model=summary.get("model") or "?"))
        embeds.append(about)
    return text, [*embeds, asks]


def reminder(session: Session, title: str, which: str, users: list[int]) -> str:
    language = session.language
    weekday, time, _ = local(session.meets, session.timezone, language)
    mentions = " ".join(f"<@{u}>" for u in users) + ("\n" if users else "")
    return t(f"club.remind_{which}", language, mentions=mentions, meets=when(session.meets), weekday=weekday,
             time=time, timezone=session.timezone, title=escape(title))


def meeting(session: Session, title: str) -> str:
    return t("club.meeting", session.language, title=escape(title), name=escape(paper_name(title)))


# -- /club history --------------------------------------------------------------------------------
def history_embed(sessions: list[dict], waiting: list[Nomination], settings: Settings | None,
                  upcoming: tuple[str, Session, str] | None, next_vote: dt.datetime | None, guild_channel: str,
                  language: str) -> discord.Embed:
    """Past sessions, newest first (or, before the first, how the club works), with what
    is coming: the schedule, the vote or meeting ahead, the papers waiting."""
    past = [s for s in sessions if s["met"]]
    lines = []
    if settings is not None:
        weekday = WEEKDAY_NAMES[base_language(language)][WEEKDAYS.index(settings.weekday)]
        lines.append(t("club.schedule_line", language, weekday=weekday, time=settings.time,
                       timezone=settings.timezone, channel=guild_channel,
                       next=when(next_vote) if next_vote else "—"))
    else:
        lines.append(t("club.unscheduled", language))
    if upcoming is not None:
        kind, session, title = upcoming
        lines.append(t("club.upcoming_vote", language, closes=when(session.closes)) if kind == "vote" else
                     t("club.upcoming_meet", language, title=escape(title), meets=when(session.meets)))
    if not past:
        lines.insert(0, t("club.how", language) + "\n")
    title = t("club.history_title_one" if len(past) == 1 else "club.history_title", language, count=len(past))
    embed = discord.Embed(title=title, colour=COLOUR,
                          description=clip("\n".join(lines), DESCRIPTION))
    nominated = [f"{n}. {escape(clip(w.title, 90))} — {_user(w.user_id)}" for n, w in enumerate(waiting, 1)]
    embed.add_field(name=t("club.waiting_title", language, count=len(waiting)),
                    value=clip("\n".join(nominated) or t("club.waiting_none", language), FIELD_VALUE), inline=False)
    for s in past[:HISTORY_SESSIONS]:
        date = s["meets"][:10]
        head = f"{date} · {clip(s['title'], FIELD_NAME - 20)}"
        link = f"[{t('club.thread_link', language)}]({s['thread_url']})" if s["thread_url"] else ""
        stats = t("club.session_line", language, votes=s["votes"], total=s["total_votes"], attended=s["attended"],
                  count=len(s["takeaways"]))
        notes = [f"• {escape(clip(n, 200))}" for n in s["takeaways"][:HISTORY_TAKEAWAYS]]
        embed.add_field(name=clip(head, FIELD_NAME), value=clip("\n".join([" · ".join(x for x in (link, stats) if x),
                                                                           *notes]), FIELD_VALUE), inline=False)
    if len(embed) > 6000:  # many long titles: fewer sessions
        while len(embed) > 6000 and len(embed.fields) > 1:
            embed.remove_field(-1)
    embed.title = clip(embed.title, TITLE)
    return embed
