"""What the loopback Discord records, as tests read it: requests, violations, messages,
interactions and the bot's responses to them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from .constants import FLAG_EPHEMERAL, FLAG_LOADING

if TYPE_CHECKING:
    from .server import DiscordServer


@dataclass
class RequestRecord:
    """One REST request the bot made."""

    method: str
    path: str  # relative to /api/v10, e.g. "/channels/123/messages"
    query: dict
    json: Any  # parsed JSON body (for multipart: the parsed payload_json), or None
    files: list = field(default_factory=list)  # [(field_name, filename, bytes)]
    headers: dict = field(default_factory=dict)
    route: Optional[str] = None  # name of the handler that served it
    unhandled: bool = False
    status: Optional[int] = None
    response: Any = None
    at: float = field(default_factory=time.time)

    def __repr__(self) -> str:
        return f"<RequestRecord {self.method} {self.path} -> {self.status}>"


@dataclass
class Violation:
    """Something the bot sent that real Discord would have rejected."""

    kind: str  # "limit" | "protocol" | "permission"
    method: str
    path: str
    status: int
    code: int
    message: str
    errors: list  # [(path_tuple, error_code, text)]
    request: Optional[RequestRecord] = None

    def __str__(self) -> str:
        details = "; ".join(f"{'.'.join(map(str, p)) or '<root>'}: {t}" for p, _c, t in self.errors)
        return f"{self.method} {self.path}: {self.status} {self.code} {self.message}" + (
            f" ({details})" if details else ""
        )


@dataclass
class CommandSync:
    """One bulk overwrite of application commands."""

    scope: str  # "global" | "guild"
    guild_id: Optional[int]
    commands: list  # the stored command objects, ids assigned


class MessageRecord:
    """A message the server knows about (posted by the bot or injected by the test).

    ``data`` is the current Discord message object (JSON); ``history`` holds
    earlier versions (one per edit).  ``pings`` = who was really notified.
    """

    def __init__(self, data: dict, *, source: str, allowed_mentions: Optional[dict], pings: dict,
                 interaction_id: Optional[int] = None, files: Optional[list] = None):
        self.data = data
        self.source = source  # "channel" | "interaction" | "followup" | "user" | "system"
        self.allowed_mentions = allowed_mentions
        self.pings = pings
        self.interaction_id = interaction_id
        self.files = files or []  # [(filename, bytes)]
        self.history: list[dict] = []
        self.deleted = False
        self.reactions: list[tuple[str, int]] = []  # (emoji, user_id)

    id = property(lambda self: int(self.data["id"]))
    channel_id = property(lambda self: int(self.data["channel_id"]))
    content = property(lambda self: self.data.get("content", ""))
    embeds = property(lambda self: self.data.get("embeds", []))
    components = property(lambda self: self.data.get("components", []))
    attachments = property(lambda self: self.data.get("attachments", []))
    flags = property(lambda self: int(self.data.get("flags", 0)))
    author_id = property(lambda self: int(self.data["author"]["id"]))
    ephemeral = property(lambda self: bool(self.flags & FLAG_EPHEMERAL))
    loading = property(lambda self: bool(self.flags & FLAG_LOADING))
    edited = property(lambda self: bool(self.history))
    poll = property(lambda self: self.data.get("poll"))  # the poll object, results included (polls.py)

    @property
    def thread_id(self) -> Optional[int]:
        thread = self.data.get("thread")
        return int(thread["id"]) if thread else None

    @property
    def reference_id(self) -> Optional[int]:
        ref = self.data.get("message_reference")
        return int(ref["message_id"]) if ref and ref.get("message_id") else None

    @property
    def pinged_anyone(self) -> bool:
        return bool(self.pings["users"] or self.pings["roles"] or self.pings["everyone"])

    @property
    def text(self) -> str:
        """Content plus embed titles/descriptions/fields, for loose assertions."""
        parts = [self.content]
        for e in self.embeds:
            parts += [e.get("title") or "", e.get("description") or ""]
            for f in e.get("fields", []):
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((e.get("footer") or {}).get("text") or "")
        return "\n".join(p for p in parts if p)

    def __repr__(self) -> str:
        return (f"<MessageRecord id={self.id} channel={self.channel_id} source={self.source} "
                f"content={self.content[:40]!r} embeds={len(self.embeds)} deleted={self.deleted}>")


@dataclass
class ResponseEvent:
    """One thing the bot did for an interaction."""

    kind: str  # callback | get_original | edit_original | delete_original | followup | edit_followup | delete_followup
    status: int
    data: Any  # the request's JSON body
    type: Optional[int] = None  # callback type for kind == "callback"
    message: Optional[MessageRecord] = None
    error: Optional[dict] = None
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def flags(self) -> int:
        body = self.data or {}
        if self.kind == "callback":
            body = body.get("data") or {}
        return int(body.get("flags") or 0)


class Interaction:
    """Server-side record of an interaction dispatched by the test.

    Not a ``discord.Interaction``: this is what the *user* sees.  ``responses``
    lists every :class:`ResponseEvent` (callback, edits, follow-ups, deletes)
    in arrival order.
    """

    def __init__(self, server: "DiscordServer", payload: dict, name: Optional[str]):
        self._server = server
        self.payload = payload
        self.id = int(payload["id"])
        self.type = int(payload["type"])
        self.token = payload["token"]
        self.name = name
        self.channel_id = int(payload["channel_id"])
        self.user_id = int((payload.get("member") or payload)["user"]["id"])
        self.created = time.monotonic()
        self.responses: list[ResponseEvent] = []
        self.original: Optional[MessageRecord] = None
        self.followups: list[MessageRecord] = []
        self.source_message_id: Optional[int] = (
            int(payload["message"]["id"]) if payload.get("message") else None
        )
        self._last_touched: Optional[MessageRecord] = None

    # -- derived state
    @property
    def options(self) -> list:
        return (self.payload.get("data") or {}).get("options", [])

    @property
    def callback(self) -> Optional[ResponseEvent]:
        """The accepted callback (first successful one), if any."""
        return next((r for r in self.responses if r.kind == "callback" and r.ok), None)

    @property
    def callback_type(self) -> Optional[int]:
        cb = self.callback
        return cb.type if cb else None

    @property
    def acknowledged(self) -> bool:
        return self.callback is not None

    @property
    def deferred(self) -> bool:
        return self.callback_type in (5, 6)

    @property
    def ephemeral(self) -> bool:
        """Whether the initial response (message or defer) is ephemeral."""
        cb = self.callback
        if cb is None:
            return False
        if self.original is not None:
            return self.original.ephemeral
        return bool(cb.flags & FLAG_EPHEMERAL)

    @property
    def choices(self) -> Optional[list]:
        """Autocomplete choices (callback type 8)."""
        cb = self.callback
        if cb is None or cb.type != 8:
            return None
        return list((cb.data.get("data") or {}).get("choices", []))

    @property
    def modal(self) -> Optional[dict]:
        """The modal the bot opened (callback type 9 data)."""
        cb = self.callback
        if cb is None or cb.type != 9:
            return None
        return cb.data.get("data")

    @property
    def errors(self) -> list[ResponseEvent]:
        return [r for r in self.responses if not r.ok]

    @property
    def settled(self) -> bool:
        """The user sees a real answer: a non-deferred callback, or a deferred
        one followed by an edit of ``@original`` or a follow-up. Deleting ``@original``
        shows the user nothing: a bot that deletes its "thinking…" message to answer
        privately has answered only once its follow-up arrives."""
        cb = self.callback
        if cb is None:
            return False
        if cb.type not in (5, 6):
            return True
        after = self.responses[self.responses.index(cb) + 1:]
        return any(r.ok and r.kind in ("edit_original", "followup") for r in after)

    def messages(self) -> list[MessageRecord]:
        """Visible (not deleted) messages: ``@original`` then follow-ups, no duplicates."""
        out: list[MessageRecord] = []
        for m in ([self.original] if self.original else []) + self.followups:
            if m is not None and not m.deleted and m not in out:
                out.append(m)
        return out

    def final_message(self) -> Optional[MessageRecord]:
        """The message most recently created or edited for this interaction
        (what the user looks at last), ignoring deleted ones."""
        with self._server._lock:
            if self._last_touched is not None and not self._last_touched.deleted:
                return self._last_touched
            msgs = self.messages()
            return msgs[-1] if msgs else None

    # -- waiting
    async def wait_for(self, predicate: Callable[["Interaction"], Any], timeout: float = 5.0) -> Any:
        """Poll until ``predicate(self)`` is truthy; return its value."""
        return await poll_until(lambda: predicate(self), timeout, lambda: f"timed out waiting on {self!r}")

    def wait_until(self, predicate: Callable[["Interaction"], Any], timeout: float = 5.0) -> Any:
        """Blocking variant of :meth:`wait_for` for code NOT running in the bot's loop."""
        return self._server._wait_sync(lambda: predicate(self), timeout, lambda: f"timed out waiting on {self!r}")

    async def wait_for_callback(self, timeout: float = 5.0) -> ResponseEvent:
        return await self.wait_for(lambda i: i.callback, timeout)

    async def wait_for_followup(self, count: int = 1, timeout: float = 5.0) -> MessageRecord:
        """Wait until ``count`` follow-ups were sent; return the ``count``-th."""
        return await self.wait_for(lambda i: len(i.followups) >= count and i.followups[count - 1], timeout)

    async def wait_settled(self, timeout: float = 5.0) -> Optional[MessageRecord]:
        """Wait until :attr:`settled`; return :meth:`final_message`."""
        await self.wait_for(lambda i: i.settled, timeout)
        return self.final_message()

    async def wait_for_choices(self, timeout: float = 5.0) -> list:
        return await self.wait_for(lambda i: i.choices, timeout)

    def __repr__(self) -> str:
        return (f"<Interaction id={self.id} type={self.type} name={self.name!r} "
                f"callback_type={self.callback_type} responses={[r.kind for r in self.responses]}>")


async def poll_until(check: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(describe())
        await asyncio.sleep(0.01)
