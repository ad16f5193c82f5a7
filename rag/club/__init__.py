"""The paper club: members nominate papers, a native Discord poll picks the week's paper,
the group discusses it in a thread and keeps what it concluded, which /ask can cite.

    records.py     where each server's club votes and meets, nominations, sessions and
                   their steps, reminders, attendance, takeaways (migration 0007)
    poll.py        what a poll can hold (10 answers of 55 characters) and who won
    discussion.py  the questions for the discussion: the model's, checked; or paperbot's own
    notes.py       the sessions' takeaways as sources for a question about the group

The front end (bot/cogs/club.py) posts; nothing here knows Discord.
"""

from rag.club.records import Club, Nomination, Session, Settings

__all__ = ["Club", "Nomination", "Session", "Settings"]
