"""What people in the guild do outside interactions: post, react, open threads."""

from __future__ import annotations

import copy
from typing import Iterable, Optional, Union

from .constants import PUBLIC_THREAD
from .records import MessageRecord
from .validation import validate_message_payload


class MembersMixin:
    """Member actions of :class:`DiscordServer`: plain functions that hand the event to the
    server loop and return at once (they never wait on the bot)."""

    def send_message(self, content: str, *, channel: Union[int, str, dict, None] = None,
                     author: Union[int, str, None] = None, mentions: Optional[Iterable[Union[int, str]]] = None,
                     reply_to: Union[int, MessageRecord, None] = None, embeds: Optional[list] = None,
                     attachments: Optional[list[tuple[str, bytes]]] = None,
                     poll: Optional[dict] = None) -> MessageRecord:
        """A user posts a message: stored (so GET works) and dispatched as MESSAGE_CREATE.

        ``mentions`` defaults to the ``<@id>`` mentions found in ``content``;
        pass user ids/names to add ``<@id>`` mentions explicitly.  ``poll`` is a poll
        create request as the Discord client sends it (``question``, ``answers``, ...)."""
        cid = self.channel_id(channel)
        uid = self.user_id(author)
        if mentions:
            extra = " ".join(f"<@{self.user_id(m)}>" for m in mentions if f"<@{self.user_id(m)}>" not in content)
            content = f"{extra} {content}".strip() if extra else content
        payload: dict = {"content": content, "embeds": embeds or []}
        if reply_to is not None:
            rid = reply_to.id if isinstance(reply_to, MessageRecord) else int(reply_to)
            payload["message_reference"] = {"message_id": str(rid), "channel_id": str(cid),
                                            "guild_id": str(self.guild_id)}
        if poll is not None:
            errors = validate_message_payload({"poll": poll})
            if errors:
                raise ValueError(f"Discord would refuse that poll: {errors}")
            payload["poll"] = poll
        files = list(attachments or [])
        with self._lock:
            record = self._build_message(cid, payload, author_id=uid, source="user", files=files)
        self._call_in_loop(self._dispatch_message_event, "MESSAGE_CREATE", record)
        return record

    def add_reaction(self, message: Union[int, MessageRecord], emoji: str, *,
                     user: Union[int, str, None] = None) -> None:
        """A user reacts to a message (dispatches MESSAGE_REACTION_ADD)."""
        mid = message.id if isinstance(message, MessageRecord) else int(message)
        uid = self.user_id(user)
        with self._lock:
            rec = self._messages[mid]
            rec.reactions.append((emoji, uid))
            data = {"user_id": str(uid), "channel_id": str(rec.channel_id), "message_id": str(mid),
                    "guild_id": str(self.guild_id), "member": self._member_payload(uid),
                    "emoji": {"id": None, "name": emoji}, "message_author_id": str(rec.author_id),
                    "burst": False, "burst_colors": [], "type": 0}
        self._call_in_loop(self._dispatch, "MESSAGE_REACTION_ADD", data)

    def create_thread(self, name: str, *, channel: Union[int, str, None] = None,
                      owner: Union[int, str, None] = None) -> dict:
        """A user creates a public thread (dispatches THREAD_CREATE). Returns the thread object."""
        cid = self.channel_id(channel)
        with self._lock:
            thread = self._new_thread(cid, name, owner_id=self.user_id(owner), thread_type=PUBLIC_THREAD,
                                      thread_id=None, auto_archive=1440)
        self._call_in_loop(self._dispatch, "THREAD_CREATE", dict(thread, newly_created=True))
        return copy.deepcopy(thread)
