"""Native polls: a poll in a message, members voting, the poll ending, and the two REST
routes for polls (Get Answer Voters, End Poll).

Where each shape comes from (discord-api-docs, ``developers/``; discord.py 2.7.1 agrees,
see ``discord/types/poll.py``, ``discord/poll.py``, ``discord/state.py``):

* the poll object in a message -- ``question``, ``answers`` (``answer_id`` + ``poll_media``),
  ``expiry`` (ISO 8601), ``allow_multiselect``, ``layout_type``, ``results`` with
  ``is_finalized`` and ``answer_counts`` (``id``, ``count``, ``me_voted``): resources/poll.mdx
  "Poll Object"; ``answer_id`` "starts at 1 for the first answer and goes up sequentially";
  "If ``answer_counts`` does not contain an entry for a particular answer, then there are
  no votes for that answer"; the request's ``duration`` (hours, "Defaults to 24")
  "eventually becomes ``expiry``".
* votes: MESSAGE_POLL_VOTE_ADD / _REMOVE with ``user_id``, ``channel_id``, ``message_id``,
  ``guild_id?``, ``answer_id``, one event per answer (events/gateway-events.mdx "Polls"),
  sent only under GUILD_MESSAGE_POLLS (1 << 24) or DIRECT_MESSAGE_POLLS (1 << 25)
  (events/gateway.mdx; filtered in gateway.py).  "Apps are not allowed to vote on polls."
* Get Answer Voters, ``GET /channels/{c}/polls/{m}/answers/{answer_id}`` with ``after`` (a
  user id) and ``limit`` (1-100, default 25), answering ``{"users": [user, ...]}``; End Poll,
  ``POST /channels/{c}/polls/{m}/expire``: "Immediately ends the poll. You cannot end polls
  from other users. Returns a message object. Fires a Message Update" (resources/poll.mdx).
* the POLL_RESULT message (type 46): "sent after a poll has ended and the results have been
  finalized", ``message_reference`` with the poll's ``message_id`` and ``channel_id``, author =
  the poll's author, who is mentioned, one ``poll_result`` embed whose fields are
  ``poll_question_text``, ``victor_answer_votes``, ``total_votes``, ``victor_answer_id?``,
  ``victor_answer_text?``, ``victor_answer_emoji_*?`` (resources/message.mdx "Poll result
  messages", "Poll Result Embed Fields"); values are strings and ``inline`` is false, as in
  a POLL_RESULT message captured from Discord in a public archiver's test fixtures.
* error codes 520001 "Poll expired", 520003 "Cannot edit a poll message", 520006 "Cannot
  expire a non-poll message" (topics/opcodes-and-status-codes.mdx).

The loopback's own choices, where the docs say nothing: results are exact at once and
final the moment a poll ends (Discord tallies in the background first); the poll's message
gets the same MESSAGE_UPDATE whether it ran out or was ended; its ``expiry`` is left as it
was when ended early; with a tie (or no votes) the embed names no victor; the status codes
for ending another user's poll (403, 50005) and for asking voters of an unknown answer.
"""

from __future__ import annotations

import copy
import datetime as _dt
import time
from typing import Union

from .constants import POLL_RESULT
from .records import MessageRecord
from .validation import DiscordError, invalid_form

DEFAULT_HOURS = 24  # poll.mdx: duration "Defaults to 24"
VOTERS_LIMIT, VOTERS_MAX = 25, 100  # poll.mdx, Get Answer Voters: limit "(1-100)", default 25


def _iso(timestamp: float) -> str:
    return _dt.datetime.fromtimestamp(timestamp, _dt.timezone.utc).isoformat()


class PollsMixin:
    """Poll side of :class:`DiscordServer`: ``_poll_votes`` (message -> answer -> voters in
    vote order), ``_poll_expiry`` (open polls -> when they end) and ``_clock_offset``."""

    # -- the server's clock (decides when polls end)

    def now(self) -> float:
        """The server's clock: the wall clock plus whatever :meth:`advance_clock` added."""
        return time.time() + self._clock_offset

    def advance_clock(self, seconds: float) -> list[MessageRecord]:
        """Time passes at Discord: every poll whose expiry is now behind ends (results
        finalized, MESSAGE_UPDATE, POLL_RESULT message). Returns the POLL_RESULT messages.
        Advance it after creating polls: expiries are set on this clock, the bot's stays real."""
        with self._lock:
            self._clock_offset += seconds
            ended = self._end_expired_polls()
            for expiry in self._poll_expiry.values():  # the rest now end sooner on the wall clock
                self._call_in_loop(self._schedule_poll_end, expiry)
            return ended

    # -- test-facing: members and queries

    def vote(self, member: Union[int, str], message: Union[int, MessageRecord], answer_id: int) -> None:
        """``member`` votes for ``answer_id`` (dispatches MESSAGE_POLL_VOTE_ADD). Like the Discord
        client: no votes once the poll ended, none by bots, one answer unless multiselect."""
        uid = self.user_id(member)
        with self._lock:
            record, votes = self._open_poll(message, answer_id)
            if self.users[uid]["bot"]:
                raise ValueError("apps are not allowed to vote on polls")
            mine = [a for a, users in votes.items() if uid in users]
            if answer_id in mine:
                raise ValueError(f"user {uid} already voted for answer {answer_id}")
            if mine and not record.data["poll"]["allow_multiselect"]:
                raise ValueError(f"one answer per member in this poll: user {uid} voted for {mine}; unvote first")
            votes[answer_id].append(uid)
            self._refresh_results(record)
            event = self._vote_event(record, uid, answer_id)
        self._call_in_loop(self._dispatch, "MESSAGE_POLL_VOTE_ADD", event)

    def unvote(self, member: Union[int, str], message: Union[int, MessageRecord], answer_id: int) -> None:
        """``member`` takes back a vote for ``answer_id`` (dispatches MESSAGE_POLL_VOTE_REMOVE)."""
        uid = self.user_id(member)
        with self._lock:
            record, votes = self._open_poll(message, answer_id)
            if uid not in votes[answer_id]:
                raise ValueError(f"user {uid} has no vote for answer {answer_id}")
            votes[answer_id].remove(uid)
            self._refresh_results(record)
            event = self._vote_event(record, uid, answer_id)
        self._call_in_loop(self._dispatch, "MESSAGE_POLL_VOTE_REMOVE", event)

    def end_poll(self, message: Union[int, MessageRecord]) -> MessageRecord:
        """The poll runs out now, as at its expiry. Returns the POLL_RESULT message."""
        with self._lock:
            record = self._poll_record(message)
            if record.id not in self._poll_expiry:
                raise ValueError(f"the poll in message {record.id} has already ended")
            return self._close_poll(record)

    def polls(self) -> list[MessageRecord]:
        """Messages carrying a poll (open or ended), oldest first; ``record.poll`` is the poll."""
        return [m for m in self.all_messages if m.poll is not None and not m.deleted]

    def voters(self, message: Union[int, MessageRecord], answer_id: int) -> list[int]:
        """User ids that voted for ``answer_id``, in the order they voted."""
        with self._lock:
            return list(self._poll_votes[self._poll_record(message).id][answer_id])

    # -- internals

    def _poll_record(self, message: Union[int, MessageRecord]) -> MessageRecord:
        mid = message.id if isinstance(message, MessageRecord) else int(message)
        record = self._messages.get(mid)
        if record is None or record.deleted or record.poll is None:
            raise ValueError(f"message {mid} has no poll")
        return record

    def _open_poll(self, message: Union[int, MessageRecord], answer_id: int) -> tuple[MessageRecord, dict]:
        record = self._poll_record(message)
        if record.id not in self._poll_expiry:
            raise ValueError(f"the poll in message {record.id} has ended")
        votes = self._poll_votes[record.id]
        if answer_id not in votes:
            raise ValueError(f"no answer {answer_id} in that poll; answers: {sorted(votes)}")
        return record, votes

    def _attach_poll(self, data: dict, request: dict) -> None:
        """Turn a validated poll create request into the message's poll object (lock held)."""
        mid = int(data["id"])
        expiry = self.now() + float(request.get("duration") or DEFAULT_HOURS) * 3600
        answers = []
        for answer_id, answer in enumerate(request["answers"], start=1):
            media = {"text": answer["poll_media"]["text"]}
            emoji = answer["poll_media"].get("emoji")
            if emoji:  # poll.mdx example: {"id": null, "name": "👽"}
                media["emoji"] = {"id": emoji.get("id"), "name": emoji.get("name")}
            answers.append({"answer_id": answer_id, "poll_media": media})
        data["poll"] = {"question": {"text": request["question"]["text"]}, "answers": answers,
                        "expiry": _iso(expiry), "allow_multiselect": bool(request.get("allow_multiselect")),
                        "layout_type": int(request.get("layout_type") or 1),
                        "results": {"answer_counts": [], "is_finalized": False}}
        self._poll_votes[mid] = {a["answer_id"]: [] for a in answers}
        self._poll_expiry[mid] = expiry
        self._call_in_loop(self._schedule_poll_end, expiry)

    def _schedule_poll_end(self, expiry: float) -> None:
        """In the server loop: end polls when their time comes on the wall clock."""
        self._loop.call_later(max(0.0, expiry - self.now()), self._end_expired_polls)

    def _end_expired_polls(self) -> list[MessageRecord]:
        with self._lock:
            ended = []
            for mid, expiry in sorted(self._poll_expiry.items(), key=lambda item: item[1]):
                record = self._messages[mid]
                if record.deleted:
                    del self._poll_expiry[mid]
                elif expiry <= self.now():
                    ended.append(self._close_poll(record))
            return ended

    def _refresh_results(self, record: MessageRecord, *, final: bool = False) -> None:
        votes = self._poll_votes[record.id]
        record.data["poll"]["results"] = {
            # me_voted is about the bot, the "current user", and apps never vote
            "answer_counts": [{"id": a, "count": len(users), "me_voted": False} for a, users in votes.items() if users],
            "is_finalized": final}
        self._cond.notify_all()

    def _vote_event(self, record: MessageRecord, uid: int, answer_id: int) -> dict:
        event = {"user_id": str(uid), "channel_id": str(record.channel_id), "message_id": str(record.id),
                 "answer_id": answer_id}
        if self._channels[record.channel_id].get("guild_id"):
            event["guild_id"] = str(self.guild_id)
        return event

    def _close_poll(self, record: MessageRecord) -> MessageRecord:
        """End an open poll (lock held): final results, MESSAGE_UPDATE, the POLL_RESULT message."""
        del self._poll_expiry[record.id]
        self._refresh_results(record, final=True)
        poll = record.data["poll"]
        counts = {a: len(users) for a, users in self._poll_votes[record.id].items()}
        top = max(counts.values(), default=0)
        winners = [a for a, n in counts.items() if n == top and n > 0]
        fields = [("poll_question_text", poll["question"]["text"]), ("victor_answer_votes", str(top)),
                  ("total_votes", str(sum(counts.values())))]
        if len(winners) == 1:
            media = next(a["poll_media"] for a in poll["answers"] if a["answer_id"] == winners[0])
            fields += [("victor_answer_id", str(winners[0])), ("victor_answer_text", media["text"])]
            emoji = media.get("emoji") or {}
            fields += [(f"victor_answer_emoji_{key}", str(emoji[key])) for key in ("id", "name") if emoji.get(key)]
        embed = {"type": "poll_result", "fields": [{"name": n, "value": v, "inline": False} for n, v in fields]}
        result = self._build_message(record.channel_id, {"content": "", "embeds": [embed]},
                                     author_id=record.author_id, source="system", message_type=POLL_RESULT)
        result.data["message_reference"] = {"type": 0, "channel_id": str(record.channel_id),
                                            "message_id": str(record.id)}
        result.data["mentions"] = [copy.deepcopy(self.users[record.author_id])]
        result.pings["users"] = [record.author_id]
        self._call_in_loop(self._dispatch_message_event, "MESSAGE_UPDATE", record)
        self._call_in_loop(self._dispatch_message_event, "MESSAGE_CREATE", result)
        return result

    def _refuse_poll_edit(self, record: MessageRecord, payload: dict, *, may_add: bool = False) -> None:
        """Edits Discord refuses: any edit of a poll message (poll.mdx: "After creation, the poll
        message cannot be edited"), and a poll added by an edit, except to a deferred interaction
        response (webhook.mdx: "Polls can only be added when editing a deferred interaction
        response"; Edit Message takes no poll). Discord may drop such a poll silently; the
        loopback refuses it so that the mistake shows."""
        if record.poll is not None:
            raise DiscordError(400, 520003, "Cannot edit a poll message", violation="protocol")
        if payload.get("poll") is not None and not may_add:
            raise invalid_form([(("poll",), "POLL_NOT_EDITABLE",
                                 "Polls can only be added when editing a deferred interaction response")])

    # -- REST: async (record, *path_groups) -> (status, body)

    async def _r_poll_voters(self, record, cid, mid, answer_id):
        try:
            limit = int(record.query.get("limit", VOTERS_LIMIT))
            after = int(record.query.get("after", 0) or 0)
        except ValueError:
            raise invalid_form([(("limit",), "NUMBER_TYPE_COERCE", "Value is not int.")])
        if not 1 <= limit <= VOTERS_MAX:
            raise invalid_form([(("limit",), "NUMBER_TYPE_MAX" if limit > VOTERS_MAX else "NUMBER_TYPE_MIN",
                                 f"limit must be between 1 and {VOTERS_MAX}")])
        with self._lock:
            message = self._known_message(cid, mid)
            votes = self._poll_votes.get(message.id, {}) if message.poll is not None else {}
            if int(answer_id) not in votes:
                raise invalid_form([(("answer_id",), "UNKNOWN_POLL_ANSWER", "Unknown poll answer")])
            # "after: Get users after this user ID": users come by id, and discord.py's
            # PollAnswer.voters() takes the last one's id as the next page's `after`.
            ids = sorted(u for u in votes[int(answer_id)] if u > after)[:limit]
            return 200, {"users": [copy.deepcopy(self.users[u]) for u in ids]}

    async def _r_end_poll(self, record, cid, mid):
        with self._lock:
            message = self._known_message(cid, mid)
            if message.poll is None:
                raise DiscordError(400, 520006, "Cannot expire a non-poll message", violation="protocol")
            if message.author_id != self.bot_id:
                raise DiscordError(403, 50005, "Cannot end a poll authored by another user", violation="permission")
            if message.id not in self._poll_expiry:
                raise DiscordError(400, 520001, "Poll expired", violation="protocol")
            self._close_poll(message)
            return 200, copy.deepcopy(message.data)
