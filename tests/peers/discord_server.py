"""A loopback Discord (REST API v10 + gateway) for end-to-end bot tests.

``DiscordServer`` runs an aiohttp application on ``127.0.0.1`` (a free port)
in a background thread with its own event loop.  The bot under test is a real
discord.py client running in the test's event loop; it talks real HTTP and a
real websocket to this server.  Nothing inside discord.py is mocked: only the
two base URLs are redirected.

Typical use (pytest-asyncio)::

    import discord, discord.gateway, discord.http, yarl
    from peers.discord_server import DiscordServer

    with DiscordServer() as server:
        discord.http.Route.BASE = server.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(server.gateway_url)
        bot = MyBot(intents=..., guild_ready_timeout=0.1)
        task = asyncio.create_task(bot.start("any-token"))
        await asyncio.wait_for(bot.wait_until_ready(), 10)

        # a user runs /ask question:"what is attention?" in #ask-papers
        inter = server.send_interaction("ask", {"question": "what is attention?"},
                                        channel="ask-papers", user=server.member_id)
        await inter.wait_settled()                # defer + follow-up / edit arrived
        assert "Attention" in inter.final_message().content
        assert not server.limit_violations        # nothing Discord would reject

        # a user writes in a channel; the bot answers in a thread
        server.send_message("hi <@%d>" % server.bot_id, channel="general")
        thread = await server.wait_for_thread()
        reply = await server.wait_for_message(thread["id"])

        await bot.close(); await task
    # restore Route.BASE / DEFAULT_GATEWAY afterwards (see tests/test_discord_peer.py)

The world
---------
One guild (``guild_id``, ``guild_name``, owned by ``owner_id``), text channels
(``channels``: name -> id; by default ``general``, ``ask-papers``, ``digest``),
the bot user (``bot_id``; the application id ``application_id`` is the same
snowflake, as on real Discord), and human users: ``owner_id`` (guild owner),
``admin_id`` (role ``admin_role_id`` with Manage Server) and ``member_id`` (a
plain member).  ``add_user`` / ``add_channel`` / ``add_role`` extend it.  Wherever the API
takes a ``channel`` or ``user`` you may pass an id or a name
("ask-papers", "admin", "member", "owner", or a username).

Every id is a real snowflake generated from the current time, so discord.py's
``created_at``-based logic (e.g. interaction expiry) behaves normally.

Gateway
-------
``/gateway`` speaks JSON text frames (the ``compress`` query parameter that
discord.py adds is recorded and ignored; discord.py only inflates binary
frames).  HELLO -> IDENTIFY -> READY -> one GUILD_CREATE per guild; heartbeats
are ACKed; RESUME replays missed events and sends RESUMED; op 8 (request guild
members) is answered with GUILD_MEMBERS_CHUNK.  Events are filtered by the
IDENTIFY intents the way Discord does (no GUILD_MESSAGES -> no MESSAGE_CREATE;
no MESSAGE_CONTENT -> empty content/embeds/attachments/components unless the
bot wrote or is mentioned in the message).  Messages the bot posts are echoed
back as MESSAGE_CREATE, like real Discord, so a bot that does not ignore its
own messages misbehaves here too.  Requesting a privileged intent that is not
in ``privileged_intents`` closes the socket with 4014.

REST
----
Implemented (all under ``/api/v10``): users/@me, users/{id}, DM channel
creation, oauth2/applications/@me, gateway(/bot), application command
PUT/GET/POST/PATCH/DELETE (global and guild), guild/channel/role/member GETs,
channel messages (create/edit/delete/get/history), typing, reactions,
threads (from a message and standalone, join, active/archived lists),
interaction callbacks, ``@original`` get/edit/delete, follow-ups
create/get/edit/delete.  Any other route answers 200 ``{}`` (204 for DELETE)
and is recorded with ``unhandled=True`` (see ``unhandled_requests``).

Every response carries generous ``X-RateLimit-*`` headers and the bare
``Content-Type: application/json`` that discord.py's ``json_or_text``
requires.

Validation (what discord.py does not check but Discord rejects)
----------------------------------------------------------------
Every message-creating/editing request (channel messages, interaction
callbacks, ``@original`` edits, follow-ups) is checked: content <= 2000,
<= 10 embeds, title <= 256, description <= 4096, <= 25 fields, field name
<= 256 / value <= 1024 (both non-empty), footer <= 2048, author name <= 256,
<= 6000 embed characters per message, no empty messages, <= 5 action rows
of <= 5 components, button label <= 80, custom_id <= 100, <= 25 select
options.  Autocomplete results: <= 25 choices, names 1-100, string values
<= 100.  Modals: title <= 45.  Thread names 1-100.  Command sync payloads:
name/description/option/choice rules.  Interaction protocol: callback
within ``interaction_deadline`` seconds (3 s like Discord), only once,
follow-ups/edits only after it, callback type valid for the interaction type.
Channel posts need Send Messages.  A violation is answered with a
Discord-style error (400 + code 50035 and a nested ``errors`` object, or the
specific code) AND appended to ``limit_violations`` -- assert it stays empty.

Nonces: a channel message created with ``nonce`` and ``enforce_nonce`` is remembered
for ``nonce_ttl`` seconds; a second create with the same nonce in that channel returns
the first message, as Discord does.  Faults for crash tests: ``fail_next_create(channel, 500)`` stores the
next message and then answers 500; ``fail_next_create(channel, "hold")`` stores it and
never answers (``held_requests`` counts them) -- the bot can be killed meanwhile.

Direct messages: ``POST /users/@me/channels`` opens (or finds) a user's DM channel;
``dms_to(user)`` lists what the bot sent there.  ``close_dms(user)`` makes Discord refuse
messages to that user as it does for a member whose DMs are closed (or who blocked the
bot): 403 with code 50007 "Cannot send messages to this user" (not a violation: the bot
cannot know beforehand).

Mentions: each message's ``allowed_mentions`` is recorded and
``MessageRecord.pings`` says who would really have been pinged (users, roles,
@everyone, replied user), using Discord's rules and the bot's permissions
(the bot role has Mention Everyone, i.e. worst case).

Deferred interactions follow Discord: the first follow-up after a type-5
defer *replaces* the loading message (it becomes ``@original`` and keeps the
defer's ephemerality).

Records (all read-only snapshots, safe from any thread): ``requests``,
``unhandled_requests``, ``limit_violations``, ``interactions``,
``all_messages``, ``messages_in(channel)``, ``threads``, ``synced_commands``,
``command_syncs``, ``global_commands``, ``guild_commands``,
``identify_payloads``, ``intents``, ``gateway_connections``, ``dispatched``,
``reactions``, ``typing``, ``presences``.

Threading: user actions (``send_interaction``, ``send_message``, ``click``,
...) are plain functions that build the payload, hand it to the server loop
and return at once; they never wait on the bot, so calling them from the
bot's event loop cannot deadlock.  Waiting is done with the ``async``
``wait_*`` helpers (polling, they yield to the bot) or, from another thread,
with the blocking ``Interaction.wait_until``.

discord.py 2.7.1 quirks this server accounts for
------------------------------------------------
* ``json_or_text`` parses JSON only if Content-Type is exactly
  ``application/json``; aiohttp's ``json_response`` appends a charset, so
  responses are built by hand.
* ``DiscordWebSocket.DEFAULT_GATEWAY`` is a ``yarl.URL``; ``from_client``
  appends ``?v=10&encoding=json&compress=zlib-stream`` (``zstd-stream`` when
  zstandard is importable).  Only *binary* frames are inflated, so plain
  text frames work whatever ``compress`` says.  Resumes go to READY's
  ``resume_gateway_url``.  A plain Client never calls ``GET /gateway/bot``.
* ``Client.close()`` asks for close code 1000, but aiohttp first wakes the
  pending ``receive()`` and ``poll_event`` closes with **4000** -- so the
  server normally records 4000 for a clean shutdown.
* The command tree looks an interaction up by ``data.guild_id``: guild
  commands need it, global ones must not have it (else CommandNotFound);
  ``send_interaction`` sets it from where the command was synced.
* A thread started from a message has the message's id; discord.py builds
  the Thread from the REST answer but only caches it on THREAD_CREATE.
* ``with_response=1`` callbacks must answer ``{"interaction": {...},
  "resource": {...}}``; ``resource.message`` becomes the InteractionMessage.
* Interaction ``id`` must be a current snowflake (expiry is derived from it).
"""

from __future__ import annotations

import asyncio
import copy
import datetime as _dt
import hashlib
import itertools
import json
import mimetypes
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Union

from aiohttp import WSMsgType, web

from .loopback import LoopbackServer

__all__ = [
    "DiscordServer",
    "Interaction",
    "InteractionRecord",
    "MessageRecord",
    "RequestRecord",
    "ResponseEvent",
    "Violation",
    "CommandSync",
    "INTENTS",
    "PERMISSIONS",
]

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"

# --------------------------------------------------------------------- constants

INTENTS = {
    "guilds": 1 << 0,
    "members": 1 << 1,
    "moderation": 1 << 2,
    "guild_messages": 1 << 9,
    "guild_reactions": 1 << 10,
    "guild_typing": 1 << 11,
    "dm_messages": 1 << 12,
    "dm_reactions": 1 << 13,
    "message_content": 1 << 15,
    "presences": 1 << 8,
}
PRIVILEGED_INTENTS = ("members", "presences", "message_content")

PERMISSIONS = {
    "create_instant_invite": 1 << 0,
    "administrator": 1 << 3,
    "manage_channels": 1 << 4,
    "manage_guild": 1 << 5,
    "add_reactions": 1 << 6,
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "manage_messages": 1 << 13,
    "embed_links": 1 << 14,
    "attach_files": 1 << 15,
    "read_message_history": 1 << 16,
    "mention_everyone": 1 << 17,
    "use_external_emojis": 1 << 18,
    "change_nickname": 1 << 26,
    "use_application_commands": 1 << 31,
    "manage_threads": 1 << 34,
    "create_public_threads": 1 << 35,
    "create_private_threads": 1 << 36,
    "send_messages_in_threads": 1 << 38,
}
ALL_PERMISSIONS = (1 << 53) - 1
_P = PERMISSIONS
EVERYONE_PERMISSIONS = (
    _P["create_instant_invite"] | _P["add_reactions"] | _P["view_channel"] | _P["send_messages"]
    | _P["embed_links"] | _P["attach_files"] | _P["read_message_history"] | _P["use_external_emojis"]
    | _P["change_nickname"] | _P["use_application_commands"] | _P["create_public_threads"]
    | _P["create_private_threads"] | _P["send_messages_in_threads"]
)
ADMIN_ROLE_PERMISSIONS = (
    _P["manage_guild"] | _P["manage_channels"] | _P["manage_messages"] | _P["manage_threads"]
    | _P["mention_everyone"]
)
BOT_ROLE_PERMISSIONS = _P["manage_messages"] | _P["manage_threads"] | _P["mention_everyone"]

# Message flags
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Channel types
TEXT, DM, NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 10, 11, 12
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

# Limits Discord enforces (discord.py does not)
LIMITS = {
    "content": 2000,
    "embeds": 10,
    "embed_title": 256,
    "embed_description": 4096,
    "embed_fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer_text": 2048,
    "author_name": 256,
    "embed_total": 6000,
    "action_rows": 5,
    "row_components": 5,
    "button_label": 80,
    "custom_id": 100,
    "select_options": 25,
    "placeholder": 150,
    "choices": 25,
    "choice_name": 100,
    "choice_value": 100,
    "modal_title": 45,
    "thread_name": 100,
    "command_name": 32,
    "command_description": 100,
    "command_options": 25,
    "command_total": 4000,
}

INTERACTION_PING, INTERACTION_COMMAND, INTERACTION_COMPONENT = 1, 2, 3
INTERACTION_AUTOCOMPLETE, INTERACTION_MODAL_SUBMIT = 4, 5

# option type -> python converter used when building interaction options
OPTION_TYPES = {
    "subcommand": 1, "group": 2, "string": 3, "integer": 4, "boolean": 5, "user": 6,
    "channel": 7, "role": 8, "mentionable": 9, "number": 10, "attachment": 11,
}

_COMMAND_NAME_RE = re.compile(r"^[-_\w]{1,32}$")
_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
_EVERYONE_RE = re.compile(r"@(everyone|here)\b")


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()


def snowflake_time(snowflake: int) -> float:
    """Unix time (seconds) encoded in a snowflake."""
    return ((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000.0


# --------------------------------------------------------------------- records


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
        one followed by an edit of ``@original`` or a follow-up."""
        cb = self.callback
        if cb is None:
            return False
        if cb.type not in (5, 6):
            return True
        after = self.responses[self.responses.index(cb) + 1:]
        return any(r.ok and r.kind in ("edit_original", "followup", "delete_original") for r in after)

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
        return await _poll(lambda: predicate(self), timeout, lambda: f"timed out waiting on {self!r}")

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


InteractionRecord = Interaction


class DiscordError(Exception):
    """Raised inside handlers; becomes a Discord-style error response."""

    def __init__(self, status: int, code: int, message: str, errors: Optional[list] = None,
                 violation: Optional[str] = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or []
        self.violation = violation  # kind to record in limit_violations, or None

    def body(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = _errors_tree(self.errors)
        return body


def _errors_tree(errors: list) -> dict:
    tree: dict = {}
    for path, code, text in errors:
        node = tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": text})
    return tree


def _invalid_form(errors: list) -> DiscordError:
    return DiscordError(400, 50035, "Invalid Form Body", errors, violation="limit")


async def _poll(check: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise TimeoutError(describe())
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------- validation


def _check_str(errors: list, path: tuple, value: Any, maximum: int, *, minimum: int = 0,
               required: bool = False) -> int:
    """Validate one string field; return its length (0 when absent)."""
    if value is None:
        if required:
            errors.append((path, "BASE_TYPE_REQUIRED", "This field is required"))
        return 0
    if not isinstance(value, str):
        errors.append((path, "BASE_TYPE_STRING", "Could not interpret value as string."))
        return 0
    n = len(value)
    if required and minimum == 0 and n == 0:
        errors.append((path, "BASE_TYPE_REQUIRED", "This field is required"))
    elif n > maximum or n < minimum:
        if minimum:
            errors.append((path, "BASE_TYPE_BAD_LENGTH", f"Must be between {minimum} and {maximum} in length."))
        else:
            errors.append((path, "BASE_TYPE_MAX_LENGTH", f"Must be {maximum} or fewer in length."))
    return n


def validate_embeds(embeds: Any, errors: list) -> None:
    if embeds is None:
        return
    if not isinstance(embeds, list):
        errors.append((("embeds",), "BASE_TYPE_ARRAY", "Must be an array."))
        return
    if len(embeds) > LIMITS["embeds"]:
        errors.append((("embeds",), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['embeds']} or fewer in length."))
    total = 0
    for i, e in enumerate(embeds):
        p = ("embeds", i)
        total += _check_str(errors, p + ("title",), e.get("title"), LIMITS["embed_title"])
        total += _check_str(errors, p + ("description",), e.get("description"), LIMITS["embed_description"])
        fields = e.get("fields") or []
        if len(fields) > LIMITS["embed_fields"]:
            errors.append((p + ("fields",), "BASE_TYPE_MAX_LENGTH",
                           f"Must be {LIMITS['embed_fields']} or fewer in length."))
        for j, f in enumerate(fields):
            total += _check_str(errors, p + ("fields", j, "name"), f.get("name"), LIMITS["field_name"],
                                required=True)
            total += _check_str(errors, p + ("fields", j, "value"), f.get("value"), LIMITS["field_value"],
                                required=True)
        if e.get("footer") is not None:
            total += _check_str(errors, p + ("footer", "text"), e["footer"].get("text"), LIMITS["footer_text"],
                                required=True)
        if e.get("author") is not None:
            total += _check_str(errors, p + ("author", "name"), e["author"].get("name"), LIMITS["author_name"],
                                required=True)
    if total > LIMITS["embed_total"]:
        errors.append((("embeds",), "MAX_EMBED_SIZE_EXCEEDED",
                       f"Embed size exceeds maximum size of {LIMITS['embed_total']}"))


def validate_components(components: Any, errors: list, *, flags: int = 0) -> None:
    if not components:
        return
    if flags & (1 << 15):  # components v2: not validated in depth
        return
    if len(components) > LIMITS["action_rows"]:
        errors.append((("components",), "BASE_TYPE_MAX_LENGTH",
                       f"Must be {LIMITS['action_rows']} or fewer in length."))
    for i, row in enumerate(components):
        children = row.get("components") or []
        if row.get("type") != 1:
            errors.append((("components", i, "type"), "UNION_TYPE_CHOICES", "Value of field \"type\" must be 1."))
        if len(children) > LIMITS["row_components"]:
            errors.append((("components", i, "components"), "BASE_TYPE_MAX_LENGTH",
                           f"Must be {LIMITS['row_components']} or fewer in length."))
        for j, c in enumerate(children):
            p = ("components", i, "components", j)
            _check_str(errors, p + ("custom_id",), c.get("custom_id"), LIMITS["custom_id"])
            _check_str(errors, p + ("label",), c.get("label"), LIMITS["button_label"])
            _check_str(errors, p + ("placeholder",), c.get("placeholder"), LIMITS["placeholder"])
            if c.get("options") is not None and len(c["options"]) > LIMITS["select_options"]:
                errors.append((p + ("options",), "BASE_TYPE_MAX_LENGTH",
                               f"Must be {LIMITS['select_options']} or fewer in length."))


def validate_message_payload(payload: dict) -> list:
    """Return a list of ``(path, code, text)`` errors for a message create/edit body."""
    errors: list = []
    _check_str(errors, ("content",), payload.get("content"), LIMITS["content"])
    validate_embeds(payload.get("embeds"), errors)
    validate_components(payload.get("components"), errors, flags=int(payload.get("flags") or 0))
    return errors


def _is_empty_message(payload: dict, has_files: bool) -> bool:
    return not ((payload.get("content") or "").strip() or payload.get("embeds") or payload.get("components")
                or payload.get("sticker_ids") or payload.get("poll") or has_files or payload.get("attachments"))


def validate_choices(choices: Any, errors: list) -> None:
    choices = choices or []
    if len(choices) > LIMITS["choices"]:
        errors.append((("data", "choices"), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['choices']} or fewer in length."))
    for i, c in enumerate(choices):
        _check_str(errors, ("data", "choices", i, "name"), c.get("name"), LIMITS["choice_name"], minimum=1,
                   required=True)
        if isinstance(c.get("value"), str):
            _check_str(errors, ("data", "choices", i, "value"), c["value"], LIMITS["choice_value"])


def validate_command(cmd: dict, errors: list, path: tuple) -> int:
    """Validate one application command (or option) schema; return its character count."""
    total = 0
    name = cmd.get("name")
    is_context_menu = path == () and cmd.get("type", 1) in (2, 3)
    if is_context_menu:  # user/message commands: any 1-32 chars, no description
        total += _check_str(errors, path + ("name",), name, LIMITS["command_name"], minimum=1, required=True)
    else:  # chat-input commands and options: lowercase, no spaces, 1-32
        if not (isinstance(name, str) and _COMMAND_NAME_RE.match(name) and name == name.lower()):
            errors.append((path + ("name",), "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
        total += len(name) if isinstance(name, str) else 0
        total += _check_str(errors, path + ("description",), cmd.get("description"),
                            LIMITS["command_description"], minimum=1, required=True)
    options = cmd.get("options") or []
    if len(options) > LIMITS["command_options"]:
        errors.append((path + ("options",), "BASE_TYPE_MAX_LENGTH",
                       f"Must be {LIMITS['command_options']} or fewer in length."))
    seen_optional = False
    names = set()
    for i, opt in enumerate(options):
        p = path + ("options", i)
        if opt.get("name") in names:
            errors.append((p + ("name",), "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                           "Option names must be unique"))
        names.add(opt.get("name"))
        if opt.get("type") not in (1, 2):
            if opt.get("required"):
                if seen_optional:
                    errors.append((p, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                                   "Required options must be placed before non-required options"))
            else:
                seen_optional = True
        choices = opt.get("choices") or []
        if len(choices) > LIMITS["choices"]:
            errors.append((p + ("choices",), "BASE_TYPE_MAX_LENGTH", f"Must be {LIMITS['choices']} or fewer in length."))
        if choices and opt.get("autocomplete"):
            errors.append((p + ("autocomplete",), "APPLICATION_COMMAND_OPTIONS_AUTOCOMPLETE_INVALID",
                           "Autocomplete cannot be set with choices"))
        for j, ch in enumerate(choices):
            total += _check_str(errors, p + ("choices", j, "name"), ch.get("name"), LIMITS["choice_name"],
                                minimum=1, required=True)
            if isinstance(ch.get("value"), str):
                total += _check_str(errors, p + ("choices", j, "value"), ch["value"], LIMITS["choice_value"])
        total += validate_command(opt, errors, p)
    return total


# --------------------------------------------------------------------- gateway session


class _Session:
    """A gateway session (survives reconnects for RESUME)."""

    def __init__(self, session_id: str, intents: int, identify: dict):
        self.session_id = session_id
        self.intents = intents
        self.identify = identify
        self.seq = 0
        self.buffer: list[dict] = []  # every dispatched frame, for RESUME replay
        self.conn: Optional[_Connection] = None


class _Connection:
    def __init__(self, ws: web.WebSocketResponse, query: dict, path: str):
        self.ws = ws
        self.query = query
        self.path = path
        self.queue: asyncio.Queue = asyncio.Queue()
        self.session: Optional[_Session] = None
        self.closed = False
        self.heartbeats = 0

    def send(self, frame: dict) -> None:
        if not self.closed:
            self.queue.put_nowait(frame)


# --------------------------------------------------------------------- the server


class DiscordServer(LoopbackServer):
    """A loopback Discord. See the module docstring.

    Parameters
    ----------
    guild_name, channel_names: the world to create.
    bot_name: the bot's username.
    token: if given, REST calls without ``Authorization: Bot <token>`` get 401
        (and IDENTIFY with another token is closed with 4004).
    heartbeat_interval_ms: sent in HELLO.
    interaction_deadline: seconds the bot has to send the interaction callback.
    privileged_intents: privileged intents the application is allowed to use.
    echo_bot_messages: dispatch MESSAGE_CREATE for the bot's own messages.
    nonce_ttl: seconds a message nonce is enforced (Discord: a few minutes); 0 turns it off.
    """

    _loop_thread_name = "discord-loopback"

    def __init__(self, *, guild_name: str = "Paper Reading Club",
                 channel_names: Iterable[str] = ("general", "ask-papers", "digest"),
                 bot_name: str = "PaperBot", token: Optional[str] = None,
                 heartbeat_interval_ms: int = 41250, interaction_deadline: float = 3.0,
                 privileged_intents: Iterable[str] = PRIVILEGED_INTENTS,
                 echo_bot_messages: bool = True, nonce_ttl: float = 300.0):
        self.token = token
        self.nonce_ttl = nonce_ttl
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.privileged_intents = tuple(privileged_intents)
        self.echo_bot_messages = echo_bot_messages

        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._last_snowflake = 0
        self._seq_counter = itertools.count(1)

        # network (thread, loop, port: see LoopbackServer)
        super().__init__()

        # records
        self._requests: list[RequestRecord] = []
        self._violations: list[Violation] = []
        self._interactions: dict[str, Interaction] = {}  # token -> record
        self._interaction_list: list[Interaction] = []
        self._messages: dict[int, MessageRecord] = {}
        self._message_order: list[int] = []
        self._thread_ids: list[int] = []
        self._command_syncs: list[CommandSync] = []
        self._global_commands: list[dict] = []
        self._guild_commands: dict[int, list[dict]] = {}
        self._identifies: list[dict] = []
        self._gateway_connections: list[dict] = []
        self._dispatched: list[tuple[str, dict]] = []
        self._reactions: list[dict] = []
        self._typing: list[int] = []
        self._presences: list[dict] = []
        self._sessions: dict[str, _Session] = {}
        self._connections: list[_Connection] = []
        self._ready_sessions = 0
        self._route_table = self._build_routes()
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}  # (channel, nonce) -> first message, when
        self._create_faults: list[tuple[int, Union[int, str], int]] = []  # (channel, fault, creates to let by)
        self._held = 0
        self._closed_dms: set[int] = set()  # users whose DMs refuse the bot (see close_dms)

        # world
        self.users: dict[int, dict] = {}
        self.members: dict[int, dict] = {}  # user id -> member (without "user")
        self.roles: dict[int, dict] = {}
        self.channels: dict[str, int] = {}  # name -> id (text channels)
        self._channels: dict[int, dict] = {}  # id -> channel object (text, threads, DMs)

        self.guild_id = self._snowflake()
        self.guild_name = guild_name
        self.everyone_role_id = self.guild_id
        self.roles[self.everyone_role_id] = self._role(self.everyone_role_id, "@everyone", EVERYONE_PERMISSIONS, 0)
        self.admin_role_id = self._snowflake()
        self.roles[self.admin_role_id] = self._role(self.admin_role_id, "Admin", ADMIN_ROLE_PERMISSIONS, 2,
                                                    hoist=True)
        self.bot_role_id = self._snowflake()
        self.roles[self.bot_role_id] = self._role(self.bot_role_id, bot_name, BOT_ROLE_PERMISSIONS, 1,
                                                  managed=True)

        self.bot_id = self.add_user(bot_name, bot=True, roles=[self.bot_role_id])
        self.application_id = self.bot_id
        self.owner_id = self.add_user("olivia", global_name="Olivia (owner)")
        self.admin_id = self.add_user("ada", global_name="Ada", roles=[self.admin_role_id])
        self.member_id = self.add_user("mel", global_name="Mel")
        self.app_flags = (1 << 19) | (1 << 15)  # GATEWAY_MESSAGE_CONTENT_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED
        self.application = {
            "id": str(self.application_id), "name": bot_name, "icon": None, "description": "",
            "summary": "", "type": None, "bot_public": True, "bot_require_code_grant": False,
            "verify_key": secrets.token_hex(32), "flags": self.app_flags, "team": None,
            "owner": self.users[self.owner_id], "bot": self.users[self.bot_id], "tags": [],
            "redirect_uris": [], "interactions_endpoint_url": None, "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }
        for name in channel_names:
            self.add_channel(name)

    # ================================================================ lifecycle

    def start(self) -> "DiscordServer":
        if self._thread is not None:  # unlike LLMServer, starting twice is a no-op
            return self
        return super().start()

    @property
    def port(self) -> Optional[int]:  # None until started (LLMServer's raises instead)
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._handle_attachment)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        return app

    async def _shutdown(self) -> None:
        for conn in list(self._connections):
            conn.closed = True
            try:
                await conn.ws.close(code=1001, message=b"server stopping")
            except Exception:
                pass
        await super()._shutdown()

    # ================================================================ world building

    def _snowflake(self) -> int:
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            value = (ms << 22) | (1 << 17) | (next(self._seq_counter) & 0xFFF)
            if value <= self._last_snowflake:
                value = self._last_snowflake + 1
            self._last_snowflake = value
            return value

    @staticmethod
    def _role(role_id: int, name: str, permissions: int, position: int, *, hoist: bool = False,
              managed: bool = False, mentionable: bool = False) -> dict:
        return {"id": str(role_id), "name": name, "permissions": str(permissions), "position": position,
                "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                "hoist": hoist, "managed": managed, "mentionable": mentionable, "icon": None,
                "unicode_emoji": None, "flags": 0}

    def add_role(self, name: str, permissions: int = 0) -> int:
        """A guild role (e.g. "researchers"), announced with GUILD_ROLE_CREATE if the bot is
        connected. Returns its id; give it to members with ``add_user(..., roles=[id])``."""
        rid = self._snowflake()
        with self._lock:
            self.roles[rid] = self._role(rid, name, permissions, 1 + len(self.roles))
            role = copy.deepcopy(self.roles[rid])
        if self._loop is not None and self._sessions:
            self._call_in_loop(self._dispatch, "GUILD_ROLE_CREATE", {"guild_id": str(self.guild_id), "role": role})
        return rid

    def add_user(self, username: str, *, bot: bool = False, global_name: Optional[str] = None,
                 roles: Iterable[int] = (), admin: bool = False) -> int:
        """Add a guild member; ``admin=True`` gives the Admin role (Manage Server). Returns the id."""
        uid = self._snowflake()
        roles = list(roles) + ([self.admin_role_id] if admin else [])
        with self._lock:
            self.users[uid] = {"id": str(uid), "username": username, "discriminator": "0",
                               "global_name": None if bot else (global_name or username.title()),
                               "avatar": None, "bot": bot, "system": False, "public_flags": 0,
                               "flags": 0, "banner": None, "accent_color": None}
            self.members[uid] = {"roles": [str(r) for r in roles], "nick": None, "avatar": None,
                                 "joined_at": _now_iso(), "premium_since": None, "deaf": False,
                                 "mute": False, "flags": 0, "pending": False,
                                 "communication_disabled_until": None}
        return uid

    def add_channel(self, name: str, *, topic: Optional[str] = None, bot_can_send: bool = True) -> int:
        """Add a text channel; ``bot_can_send=False`` denies Send Messages to the bot role.

        Dispatches CHANNEL_CREATE if a bot is connected."""
        cid = self._snowflake()
        overwrites = []
        if not bot_can_send:
            overwrites.append({"id": str(self.bot_role_id), "type": 0, "allow": "0",
                               "deny": str(PERMISSIONS["send_messages"] | PERMISSIONS["send_messages_in_threads"])})
        with self._lock:
            channel = {"id": str(cid), "type": TEXT, "guild_id": str(self.guild_id), "name": name,
                       "position": len(self.channels), "parent_id": None, "topic": topic, "nsfw": False,
                       "last_message_id": None, "rate_limit_per_user": 0, "permission_overwrites": overwrites,
                       "default_auto_archive_duration": 1440, "flags": 0}
            self._channels[cid] = channel
            self.channels[name] = cid
        if self._loop is not None:
            self._call_in_loop(self._dispatch, "CHANNEL_CREATE", copy.deepcopy(channel))
        return cid

    # -- lookups
    def channel_id(self, channel: Union[int, str, dict, MessageRecord, None]) -> int:
        """Resolve a channel name / id / thread dict to an id (default: first channel)."""
        if channel is None:
            return next(iter(self.channels.values()))
        if isinstance(channel, dict):
            return int(channel["id"])
        if isinstance(channel, MessageRecord):
            return channel.channel_id
        if isinstance(channel, int) or (isinstance(channel, str) and channel.isdigit()):
            cid = int(channel)
            if cid not in self._channels:
                raise KeyError(f"unknown channel id {cid}")
            return cid
        name = channel.lstrip("#")
        if name in self.channels:
            return self.channels[name]
        for cid, ch in self._channels.items():
            if ch.get("name") == name:
                return cid
        raise KeyError(f"unknown channel {channel!r}; known: {sorted(self.channels)}")

    def user_id(self, user: Union[int, str, None]) -> int:
        """Resolve "member"/"admin"/"owner"/"bot"/username/id to a user id (default: member)."""
        if user is None:
            return self.member_id
        if isinstance(user, int) or (isinstance(user, str) and user.isdigit()):
            uid = int(user)
            if uid not in self.users:
                raise KeyError(f"unknown user id {uid}")
            return uid
        aliases = {"member": self.member_id, "admin": self.admin_id, "owner": self.owner_id, "bot": self.bot_id}
        if user in aliases:
            return aliases[user]
        for uid, u in self.users.items():
            if u["username"] == user:
                return uid
        raise KeyError(f"unknown user {user!r}")

    def channel(self, channel: Union[int, str]) -> dict:
        """A copy of the channel (or thread) object."""
        with self._lock:
            return copy.deepcopy(self._channels[self.channel_id(channel)])

    # -- permissions
    def permissions(self, user: Union[int, str], channel: Union[int, str, None] = None) -> int:
        """Computed permissions of a user, optionally in a channel (overwrites applied)."""
        uid = self.user_id(user)
        if uid == self.owner_id:
            return ALL_PERMISSIONS
        member = self.members[uid]
        base = int(self.roles[self.everyone_role_id]["permissions"])
        for rid in member["roles"]:
            base |= int(self.roles[int(rid)]["permissions"])
        if base & PERMISSIONS["administrator"]:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        ch = self._channels[self.channel_id(channel)]
        if ch["type"] in THREAD_TYPES:
            ch = self._channels[int(ch["parent_id"])]
        if ch["type"] == DM:
            return base
        overwrites = ch.get("permission_overwrites", [])
        for o in overwrites:
            if int(o["id"]) == self.everyone_role_id:
                base = (base & ~int(o["deny"])) | int(o["allow"])
        allow = deny = 0
        for o in overwrites:
            if o["type"] == 0 and o["id"] in member["roles"]:
                allow |= int(o["allow"])
                deny |= int(o["deny"])
        base = (base & ~deny) | allow
        for o in overwrites:
            if o["type"] == 1 and int(o["id"]) == uid:
                base = (base & ~int(o["deny"])) | int(o["allow"])
        return base

    # -- payload builders
    def _member_payload(self, uid: int, *, with_user: bool = True, permissions: Optional[int] = None) -> dict:
        m = copy.deepcopy(self.members[uid])
        if with_user:
            m["user"] = copy.deepcopy(self.users[uid])
        if permissions is not None:
            m["permissions"] = str(permissions)
        return m

    def _guild_payload(self, *, full: bool) -> dict:
        g = {"id": str(self.guild_id), "name": self.guild_name, "icon": None, "splash": None,
             "discovery_splash": None, "owner_id": str(self.owner_id), "afk_channel_id": None,
             "afk_timeout": 300, "verification_level": 0, "default_message_notifications": 1,
             "explicit_content_filter": 0, "roles": [copy.deepcopy(r) for r in self.roles.values()],
             "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "application_id": None,
             "system_channel_id": str(next(iter(self.channels.values()))) if self.channels else None,
             "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None,
             "description": None, "banner": None, "premium_tier": 0, "premium_subscription_count": 0,
             "preferred_locale": "en-US", "public_updates_channel_id": None, "nsfw_level": 0,
             "premium_progress_bar_enabled": False, "safety_alerts_channel_id": None,
             "max_members": 500000, "max_video_channel_users": 25}
        if full:
            g.update({
                "joined_at": self.members[self.bot_id]["joined_at"], "large": False, "unavailable": False,
                "member_count": len(self.members),
                "members": [self._member_payload(uid) for uid in self.members],
                "channels": [copy.deepcopy(c) for c in self._channels.values() if c["type"] == TEXT],
                "threads": [copy.deepcopy(c) for c in self._channels.values()
                            if c["type"] in THREAD_TYPES and not c["thread_metadata"]["archived"]],
                "presences": [], "voice_states": [], "stage_instances": [], "guild_scheduled_events": [],
                "soundboard_sounds": [],
            })
        return g

    def _channel_for_interaction(self, cid: int, uid: int) -> dict:
        ch = copy.deepcopy(self._channels[cid])
        ch["permissions"] = str(self.permissions(uid, cid))
        return ch

    # ================================================================ test-facing API: records

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: Optional[str] = None, path: Optional[str] = None) -> list[RequestRecord]:
        """Requests filtered by method and by a regex searched in the path."""
        rx = re.compile(path) if path else None
        return [r for r in self.requests
                if (method is None or r.method == method.upper()) and (rx is None or rx.search(r.path))]

    @property
    def unhandled_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.unhandled]

    @property
    def limit_violations(self) -> list[Violation]:
        with self._lock:
            return list(self._violations)

    @property
    def interactions(self) -> list[Interaction]:
        with self._lock:
            return list(self._interaction_list)

    @property
    def all_messages(self) -> list[MessageRecord]:
        with self._lock:
            return [self._messages[i] for i in self._message_order]

    def get_message(self, message_id: int) -> Optional[MessageRecord]:
        with self._lock:
            return self._messages.get(int(message_id))

    def messages_in(self, channel: Union[int, str, dict], *, include_users: bool = False,
                    include_deleted: bool = False) -> list[MessageRecord]:
        """Messages in a channel or thread, oldest first.  By default only the
        bot's visible (non-ephemeral, not deleted) messages, including
        non-ephemeral interaction responses (``source`` tells them apart)."""
        cid = self.channel_id(channel)
        out = []
        for m in self.all_messages:
            if m.channel_id != cid or (m.deleted and not include_deleted) or m.ephemeral:
                continue
            if m.author_id != self.bot_id and not include_users:
                continue
            out.append(m)
        return out

    @property
    def threads(self) -> list[dict]:
        """Threads created (by the bot or the test), as current channel objects."""
        with self._lock:
            return [copy.deepcopy(self._channels[t]) for t in self._thread_ids]

    @property
    def command_syncs(self) -> list[CommandSync]:
        with self._lock:
            return list(self._command_syncs)

    @property
    def synced_commands(self) -> Optional[list[dict]]:
        """The commands of the last bulk PUT (global or guild), ids assigned; None if never synced."""
        with self._lock:
            return copy.deepcopy(self._command_syncs[-1].commands) if self._command_syncs else None

    @property
    def global_commands(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._global_commands)

    @property
    def guild_commands(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._guild_commands.get(self.guild_id, []))

    @property
    def identify_payloads(self) -> list[dict]:
        with self._lock:
            return copy.deepcopy(self._identifies)

    @property
    def intents(self) -> Optional[int]:
        """Intents of the last IDENTIFY."""
        with self._lock:
            return self._identifies[-1].get("intents") if self._identifies else None

    def has_intent(self, name: str) -> bool:
        return bool((self.intents or 0) & INTENTS[name])

    @property
    def gateway_connections(self) -> list[dict]:
        """One dict per websocket: path, query (v, encoding, compress), ops received, resumed."""
        with self._lock:
            return copy.deepcopy(self._gateway_connections)

    @property
    def dispatched(self) -> list[tuple[str, dict]]:
        """Every gateway DISPATCH sent: (event name, data)."""
        with self._lock:
            return list(self._dispatched)

    @property
    def reactions(self) -> list[dict]:
        """Reactions added by the bot: {channel_id, message_id, emoji, user_id}."""
        with self._lock:
            return list(self._reactions)

    @property
    def typing(self) -> list[int]:
        """Channel ids where the bot triggered typing, in order."""
        with self._lock:
            return list(self._typing)

    @property
    def presences(self) -> list[dict]:
        """Presence updates (op 3) the bot sent."""
        with self._lock:
            return list(self._presences)

    @property
    def connected(self) -> bool:
        """A bot is connected and identified (READY sent)."""
        with self._lock:
            return any(s.conn is not None and not s.conn.closed for s in self._sessions.values())

    # ================================================================ test-facing API: waiting

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Poll ``predicate()`` (no args) until truthy; return its value."""
        return await _poll(predicate, timeout, lambda: f"timed out after {timeout}s waiting for {what}")

    def _wait_sync(self, predicate: Callable[[], Any], timeout: float, describe: Callable[[], str]) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(describe())
                self._cond.wait(min(remaining, 0.05))

    async def wait_until_connected(self, timeout: float = 10.0) -> None:
        """Wait until the bot identified and got READY + GUILD_CREATE."""
        await self.wait_for(lambda: self.connected, timeout, "the bot to identify")

    async def wait_for_message(self, channel: Union[int, str, dict, None] = None, *,
                               predicate: Optional[Callable[[MessageRecord], bool]] = None,
                               after: Union[int, MessageRecord, None] = None, include_users: bool = False,
                               timeout: float = 5.0) -> MessageRecord:
        """First bot message (in ``channel`` if given, id > ``after`` if given) matching ``predicate``."""
        cid = self.channel_id(channel) if channel is not None else None
        after_id = after.id if isinstance(after, MessageRecord) else (int(after) if after else 0)

        def check():
            for m in self.all_messages:
                if m.deleted or m.ephemeral or m.id <= after_id:
                    continue
                if cid is not None and m.channel_id != cid:
                    continue
                if m.author_id != self.bot_id and not include_users:
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        return await self.wait_for(check, timeout, f"a bot message in {channel!r}")

    async def wait_for_thread(self, *, predicate: Optional[Callable[[dict], bool]] = None,
                              timeout: float = 5.0) -> dict:
        def check():
            return next((t for t in self.threads if predicate is None or predicate(t)), None)

        return await self.wait_for(check, timeout, "a thread")

    async def wait_for_request(self, method: Optional[str] = None, path: Optional[str] = None,
                               timeout: float = 5.0) -> RequestRecord:
        return await self.wait_for(lambda: next(iter(self.requests_to(method, path)), None), timeout,
                                   f"request {method} {path}")

    # ================================================================ test-facing API: user actions

    def send_message(self, content: str, *, channel: Union[int, str, dict, None] = None,
                     author: Union[int, str, None] = None, mentions: Optional[Iterable[Union[int, str]]] = None,
                     reply_to: Union[int, MessageRecord, None] = None, embeds: Optional[list] = None,
                     attachments: Optional[list[tuple[str, bytes]]] = None) -> MessageRecord:
        """A user posts a message: stored (so GET works) and dispatched as MESSAGE_CREATE.

        ``mentions`` defaults to the ``<@id>`` mentions found in ``content``;
        pass user ids/names to add ``<@id>`` mentions explicitly."""
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

    def send_interaction(self, name: str, options: Optional[dict] = None, *,
                         user: Union[int, str, None] = None, channel: Union[int, str, dict, None] = None,
                         locale: str = "en-US", guild_locale: str = "en-US", type: int = INTERACTION_COMMAND,
                         subcommand: Optional[str] = None, subcommand_group: Optional[str] = None,
                         focused: Optional[str] = None, strict: bool = True) -> Interaction:
        """A user runs a slash command; dispatches INTERACTION_CREATE and returns its record.

        ``name`` may contain spaces ("paper summarize") instead of
        ``subcommand``/``subcommand_group``.  ``options`` maps option names to
        values; the option types come from the synced command schema (so
        channels/users/roles may be given as names or ids and get ``resolved``
        data), or are inferred from the Python type when the command is not
        synced and ``strict=False``.  With ``strict`` (default) the command must
        have been synced and the options must match its schema, as in the real
        Discord client.  ``type=4`` + ``focused`` makes an autocomplete
        interaction (see :meth:`send_autocomplete`).
        """
        parts = name.split()
        if subcommand_group:
            parts.append(subcommand_group)
        if subcommand:
            parts.append(subcommand)
        root = parts[0]
        uid = self.user_id(user)
        cid = self.channel_id(channel)
        with self._lock:
            command, scope_guild = self._find_command(root)
            if command is None and strict:
                known = sorted({c["name"] for c in self._all_commands()})
                raise LookupError(f"command {root!r} was not synced (synced: {known}); pass strict=False to force")
            schema = command
            for sub in parts[1:]:
                schema_opts = (schema or {}).get("options") or []
                nxt = next((o for o in schema_opts if o["name"] == sub and o.get("type") in (1, 2)), None)
                if nxt is None and strict:
                    raise LookupError(f"no subcommand {sub!r} in {root!r}")
                schema = nxt
            resolved: dict = {}
            built = self._build_options(options or {}, (schema or {}).get("options") or [], resolved, uid, cid,
                                        strict=strict and schema is not None, focused=focused)
            # wrap in subcommand / group options (innermost first)
            for sub, is_group in reversed([(p, i < len(parts) - 2) for i, p in enumerate(parts[1:])]):
                built = [{"type": 2 if is_group else 1, "name": sub, "options": built}]
            data: dict = {"id": str(command["id"]) if command else str(self._snowflake()), "name": root,
                          "type": 1, "options": built}
            if resolved:
                data["resolved"] = resolved
            if scope_guild is not None:
                data["guild_id"] = str(scope_guild)
            payload = self._interaction_payload(type, data, uid, cid, locale, guild_locale)
            record = self._register_interaction(payload, " ".join(parts))
        self._call_in_loop(self._dispatch, "INTERACTION_CREATE", payload)
        return record

    def dispatch_autocomplete(self, name: str, option_name: str, value: Any, *,
                              options: Optional[dict] = None, **kwargs: Any) -> Interaction:
        """Dispatch an autocomplete interaction (type 4) and return its record."""
        opts = dict(options or {})
        opts[option_name] = value
        return self.send_interaction(name, opts, type=INTERACTION_AUTOCOMPLETE, focused=option_name, **kwargs)

    async def send_autocomplete(self, name: str, option_name: str, value: Any, *,
                                options: Optional[dict] = None, timeout: float = 5.0, **kwargs: Any) -> list:
        """A user types ``value`` into ``option_name``; returns the choices the bot answered (type 8)."""
        record = self.dispatch_autocomplete(name, option_name, value, options=options, **kwargs)
        cb = await record.wait_for_callback(timeout)
        if cb.type != 8:
            raise AssertionError(f"autocomplete answered with callback type {cb.type}, expected 8")
        return record.choices or []

    def click(self, message: Union[int, MessageRecord], custom_id: str, *, user: Union[int, str, None] = None,
              values: Optional[list[str]] = None, component_type: Optional[int] = None) -> Interaction:
        """A user clicks a button / picks select ``values`` on a message (component interaction)."""
        mid = message.id if isinstance(message, MessageRecord) else int(message)
        uid = self.user_id(user)
        with self._lock:
            rec = self._messages[mid]
            if component_type is None:
                component_type = 3 if values is not None else 2
                for row in rec.components:
                    for c in row.get("components", []):
                        if c.get("custom_id") == custom_id:
                            component_type = c.get("type", component_type)
            data: dict = {"custom_id": custom_id, "component_type": component_type}
            if values is not None:
                data["values"] = list(values)
            payload = self._interaction_payload(INTERACTION_COMPONENT, data, uid, rec.channel_id, "en-US", "en-US")
            payload["message"] = copy.deepcopy(rec.data)
            record = self._register_interaction(payload, None)
        self._call_in_loop(self._dispatch, "INTERACTION_CREATE", payload)
        return record

    def submit_modal(self, opened_by: Interaction, values: dict[str, Any], *,
                     user: Union[int, str, None] = None) -> Interaction:
        """A user submits the modal the bot opened (callback type 9) for ``opened_by``.

        ``values`` maps text-input ``custom_id`` to the typed text (lists for selects)."""
        modal = opened_by.modal
        if modal is None:
            raise ValueError(f"{opened_by!r} did not open a modal")
        uid = self.user_id(user) if user is not None else opened_by.user_id

        def submitted(component: dict) -> dict:
            if component.get("type") == 1:
                return {"type": 1, "components": [submitted(c) for c in component.get("components", [])]}
            if component.get("type") == 18:
                return {"type": 18, "id": component.get("id"), "component": submitted(component["component"])}
            out = {"type": component.get("type"), "custom_id": component.get("custom_id"), "id": component.get("id")}
            value = values.get(component.get("custom_id"), "")
            if isinstance(value, list):
                out["values"] = value
            else:
                out["value"] = value
            return out

        with self._lock:
            data = {"custom_id": modal["custom_id"], "components": [submitted(c) for c in modal.get("components", [])]}
            payload = self._interaction_payload(INTERACTION_MODAL_SUBMIT, data, uid, opened_by.channel_id,
                                                "en-US", "en-US")
            record = self._register_interaction(payload, None)
        self._call_in_loop(self._dispatch, "INTERACTION_CREATE", payload)
        return record

    def create_thread(self, name: str, *, channel: Union[int, str, None] = None,
                      owner: Union[int, str, None] = None) -> dict:
        """A user creates a public thread (dispatches THREAD_CREATE). Returns the thread object."""
        cid = self.channel_id(channel)
        with self._lock:
            thread = self._new_thread(cid, name, owner_id=self.user_id(owner), thread_type=PUBLIC_THREAD,
                                      thread_id=None, auto_archive=1440)
        self._call_in_loop(self._dispatch, "THREAD_CREATE", dict(thread, newly_created=True))
        return copy.deepcopy(thread)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every live connection (the bot should RESUME)."""
        def go():
            for conn in list(self._connections):
                conn.send({"op": 7, "d": None, "s": None, "t": None})
        self._call_in_loop(go)

    # ================================================================ internals: interactions

    def _all_commands(self) -> list[dict]:
        cmds = list(self._global_commands)
        for lst in self._guild_commands.values():
            cmds += lst
        return cmds

    def _find_command(self, name: str) -> tuple[Optional[dict], Optional[int]]:
        for c in self._guild_commands.get(self.guild_id, []):
            if c["name"] == name and c.get("type", 1) == 1:
                return c, self.guild_id
        for c in self._global_commands:
            if c["name"] == name and c.get("type", 1) == 1:
                return c, None
        return None, None

    def _build_options(self, values: dict, schema: list, resolved: dict, uid: int, cid: int, *,
                       strict: bool, focused: Optional[str]) -> list:
        by_name = {o["name"]: o for o in schema if o.get("type") not in (1, 2)}
        if strict:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(f"unknown options {sorted(unknown)}; schema has {sorted(by_name)}")
            missing = [n for n, o in by_name.items() if o.get("required") and n not in values and n != focused]
            if missing and focused is None:
                raise ValueError(f"missing required options {missing}")
        out = []
        for oname, value in values.items():
            if oname in by_name:
                otype = by_name[oname]["type"]
            elif isinstance(value, bool):
                otype = 5
            elif isinstance(value, int):
                otype = 4
            elif isinstance(value, float):
                otype = 10
            else:
                otype = 3
            opt: dict = {"name": oname, "type": otype}
            if oname == focused:
                opt["value"] = value if isinstance(value, str) else str(value)
                opt["focused"] = True
                out.append(opt)
                continue
            if otype == 3:
                opt["value"] = str(value)
            elif otype == 4:
                opt["value"] = int(value)
            elif otype == 5:
                opt["value"] = bool(value)
            elif otype == 10:
                opt["value"] = float(value)
            elif otype == 7:
                ch_id = self.channel_id(value)
                opt["value"] = str(ch_id)
                resolved.setdefault("channels", {})[str(ch_id)] = self._channel_for_interaction(ch_id, uid)
            elif otype in (6, 9) and not (otype == 9 and isinstance(value, int) and value in self.roles):
                target = self.user_id(value)
                opt["value"] = str(target)
                resolved.setdefault("users", {})[str(target)] = copy.deepcopy(self.users[target])
                resolved.setdefault("members", {})[str(target)] = self._member_payload(
                    target, with_user=False, permissions=self.permissions(target, cid))
            elif otype in (8, 9):
                rid = int(value)
                opt["value"] = str(rid)
                resolved.setdefault("roles", {})[str(rid)] = copy.deepcopy(self.roles[rid])
            elif otype == 11:
                filename, content = value if isinstance(value, tuple) else ("file.txt", bytes(value))
                aid = self._snowflake()
                opt["value"] = str(aid)
                resolved.setdefault("attachments", {})[str(aid)] = self._attachment(cid, aid, filename, content)
            else:
                opt["value"] = value
            if strict and by_name.get(oname, {}).get("choices"):
                allowed = [c["value"] for c in by_name[oname]["choices"]]
                if opt["value"] not in allowed:
                    raise ValueError(f"{oname}={opt['value']!r} is not one of the choices {allowed}")
            out.append(opt)
        return out

    def _interaction_payload(self, itype: int, data: dict, uid: int, cid: int, locale: str,
                             guild_locale: str) -> dict:
        return {
            "id": str(self._snowflake()), "application_id": str(self.application_id), "type": itype,
            "token": "itok_" + secrets.token_urlsafe(32), "version": 1, "data": data,
            "guild_id": str(self.guild_id),
            "guild": {"id": str(self.guild_id), "locale": guild_locale, "features": []},
            "channel_id": str(cid), "channel": self._channel_for_interaction(cid, uid),
            "member": self._member_payload(uid, permissions=self.permissions(uid, cid)),
            "locale": locale, "guild_locale": guild_locale,
            "app_permissions": str(self.permissions(self.bot_id, cid)),
            "entitlements": [], "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0, "attachment_size_limit": 10 * 1024 * 1024,
        }

    def _register_interaction(self, payload: dict, name: Optional[str]) -> Interaction:
        if not self.connected:
            raise RuntimeError("no bot is connected to the gateway (wait for on_ready first)")
        record = Interaction(self, payload, name)
        self._interactions[record.token] = record
        self._interaction_list.append(record)
        return record

    # ================================================================ internals: messages

    def _attachment(self, cid: int, aid: int, filename: str, content: bytes, description: Optional[str] = None) -> dict:
        url = f"{self.base_url}/attachments/{cid}/{aid}/{urllib.parse.quote(filename)}"
        att = {"id": str(aid), "filename": filename, "size": len(content), "url": url, "proxy_url": url,
               "content_type": mimetypes.guess_type(filename)[0] or "application/octet-stream"}
        if description:
            att["description"] = description
        return att

    def _compute_pings(self, content: str, allowed: Optional[dict], author_id: int,
                       replied_author: Optional[int]) -> dict:
        perms = self.permissions(author_id) if author_id in self.members else 0
        can_everyone = bool(perms & PERMISSIONS["mention_everyone"])
        if allowed is None:
            allow_users = allow_roles = allow_everyone = True
            user_list: set = set()
            role_list: set = set()
            replied = True
        else:
            parse = allowed.get("parse") or []
            allow_users, allow_roles, allow_everyone = "users" in parse, "roles" in parse, "everyone" in parse
            user_list = {int(u) for u in allowed.get("users") or []}
            role_list = {int(r) for r in allowed.get("roles") or []}
            replied = bool(allowed.get("replied_user", False))
        users = []
        for u in map(int, _USER_MENTION_RE.findall(content or "")):
            if u in self.users and u != author_id and (allow_users or u in user_list) and u not in users:
                users.append(u)
        roles = []
        for r in map(int, _ROLE_MENTION_RE.findall(content or "")):
            if r in self.roles and (allow_roles or r in role_list) and r not in roles:
                if self.roles[r]["mentionable"] or can_everyone:
                    roles.append(r)
        everyone = bool(_EVERYONE_RE.search(content or "")) and allow_everyone and can_everyone
        replied_user = bool(replied_author is not None and replied and replied_author != author_id)
        if replied_user and replied_author not in users:
            users.append(replied_author)
        return {"users": users, "roles": roles, "everyone": everyone, "replied_user": replied_user}

    def _build_message(self, cid: int, payload: dict, *, author_id: int, source: str,
                       files: Optional[list] = None, flags: int = 0, message_type: int = 0,
                       interaction: Optional[Interaction] = None, webhook: bool = False,
                       message_id: Optional[int] = None) -> MessageRecord:
        """Create and store a message (call with the lock held; no validation here)."""
        mid = message_id or self._snowflake()
        channel = self._channels[cid]
        reference = payload.get("message_reference")
        referenced = None
        if reference and reference.get("message_id"):
            referenced = self._messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise _invalid_form([(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                      "Unknown message")])
        allowed = payload.get("allowed_mentions")
        content = payload.get("content") or ""
        if source == "user":
            pings = self._compute_pings(content, None, author_id, referenced.author_id if referenced else None)
        else:
            pings = self._compute_pings(content, allowed, author_id, referenced.author_id if referenced else None)
        attachments = []
        meta = {int(a["id"]): a for a in payload.get("attachments") or [] if str(a.get("id", "")).isdigit()}
        stored_files = []
        for index, (filename, blob) in enumerate(files or []):
            aid = self._snowflake()
            desc = (meta.get(index) or {}).get("description")
            attachments.append(self._attachment(cid, aid, filename, blob, desc))
            stored_files.append((filename, blob))
        data: dict = {
            "id": str(mid), "type": message_type, "channel_id": str(cid),
            "author": copy.deepcopy(self.users[author_id]), "content": content,
            "timestamp": _now_iso(), "edited_timestamp": None, "tts": bool(payload.get("tts")),
            "mention_everyone": pings["everyone"],
            "mentions": [copy.deepcopy(self.users[u]) for u in pings["users"]],
            "mention_roles": [str(r) for r in pings["roles"]], "mention_channels": [],
            "attachments": attachments, "embeds": [self._normalize_embed(e) for e in payload.get("embeds") or []],
            "reactions": [], "pinned": False, "flags": flags | int(payload.get("flags") or 0),
            "components": copy.deepcopy(payload.get("components") or []),
        }
        if payload.get("nonce") is not None:
            data["nonce"] = payload["nonce"]
        if payload.get("poll"):
            data["poll"] = copy.deepcopy(payload["poll"])
        if webhook or interaction is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        if interaction is not None:
            data["interaction_metadata"] = {
                "id": str(interaction.id), "type": interaction.type,
                "user": copy.deepcopy(self.users[interaction.user_id]),
                "authorizing_integration_owners": {"0": str(self.guild_id)},
                "name": interaction.name or "", "command_type": 1,
            }
        if referenced is not None:
            data["message_reference"] = {"type": 0, "message_id": str(referenced.id),
                                         "channel_id": str(referenced.channel_id), "guild_id": str(self.guild_id)}
            data["referenced_message"] = copy.deepcopy(referenced.data)
        if channel["type"] in THREAD_TYPES:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
            data["position"] = channel["total_message_sent"]
        if not data["flags"] & FLAG_EPHEMERAL:
            channel["last_message_id"] = str(mid)
        record = MessageRecord(data, source=source, allowed_mentions=copy.deepcopy(allowed), pings=pings,
                               interaction_id=interaction.id if interaction else None, files=stored_files)
        self._messages[mid] = record
        self._message_order.append(mid)
        self._cond.notify_all()
        return record

    @staticmethod
    def _normalize_embed(embed: dict) -> dict:
        e = copy.deepcopy(embed)
        e.setdefault("type", "rich")
        return e

    def _apply_edit(self, record: MessageRecord, payload: dict, files: list, *, clear_loading: bool = False) -> None:
        """Apply an edit body to a stored message (lock held)."""
        record.history.append(copy.deepcopy(record.data))
        data = record.data
        for key in ("content", "components"):
            if key in payload and payload[key] is not None:
                data[key] = copy.deepcopy(payload[key])
            elif key in payload:
                data[key] = "" if key == "content" else []
        if "embeds" in payload:
            data["embeds"] = [self._normalize_embed(e) for e in payload["embeds"] or []]
        if "flags" in payload and payload["flags"] is not None:
            keep = data["flags"] & (FLAG_EPHEMERAL | FLAG_LOADING)
            data["flags"] = keep | (int(payload["flags"]) & ~(FLAG_EPHEMERAL | FLAG_LOADING))
        if "attachments" in payload or files:
            keep_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in data["attachments"] if a["id"] in keep_ids] if "attachments" in payload else data["attachments"]
            # New files are listed by their index in the upload (with their description).
            meta = {int(a["id"]): a for a in payload.get("attachments") or []
                    if str(a.get("id", "")).isdigit() and int(a["id"]) < len(files)}
            for index, (filename, blob) in enumerate(files):
                kept.append(self._attachment(record.channel_id, self._snowflake(), filename, blob,
                                             (meta.get(index) or {}).get("description")))
                record.files.append((filename, blob))
            data["attachments"] = kept
        if "allowed_mentions" in payload:
            record.allowed_mentions = copy.deepcopy(payload["allowed_mentions"])
        if clear_loading and data["flags"] & FLAG_LOADING:
            data["flags"] &= ~FLAG_LOADING
        else:
            data["edited_timestamp"] = _now_iso()
        record.pings = self._compute_pings(data["content"], record.allowed_mentions, record.author_id,
                                           None if not record.reference_id or record.reference_id not in self._messages
                                           else self._messages[record.reference_id].author_id)
        data["mentions"] = [copy.deepcopy(self.users[u]) for u in record.pings["users"]]
        data["mention_roles"] = [str(r) for r in record.pings["roles"]]
        data["mention_everyone"] = record.pings["everyone"]
        self._cond.notify_all()

    def _message_event_payload(self, record: MessageRecord) -> dict:
        data = copy.deepcopy(record.data)
        channel = self._channels.get(record.channel_id, {})
        if channel.get("type") != DM:
            data["guild_id"] = str(self.guild_id)
            if record.author_id in self.members and "webhook_id" not in data:
                data["member"] = self._member_payload(record.author_id, with_user=False)
            for m in data["mentions"]:
                if int(m["id"]) in self.members:
                    m["member"] = self._member_payload(int(m["id"]), with_user=False)
        return data

    def _dispatch_message_event(self, event: str, record: MessageRecord) -> None:
        if record.ephemeral:
            return
        if record.author_id == self.bot_id and not self.echo_bot_messages and event == "MESSAGE_CREATE":
            return
        with self._lock:
            data = self._message_event_payload(record)
        self._dispatch(event, data)

    # ================================================================ internals: threads

    def _new_thread(self, parent_id: int, name: str, *, owner_id: int, thread_type: int,
                    thread_id: Optional[int], auto_archive: int) -> dict:
        tid = thread_id or self._snowflake()
        now = _now_iso()
        thread = {"id": str(tid), "type": thread_type, "guild_id": str(self.guild_id), "parent_id": str(parent_id),
                  "owner_id": str(owner_id), "name": name, "last_message_id": None, "message_count": 0,
                  "member_count": 1, "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
                  "applied_tags": [],
                  "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive,
                                      "archive_timestamp": now, "locked": False, "invitable": True,
                                      "create_timestamp": now},
                  "member": {"id": str(tid), "user_id": str(owner_id), "join_timestamp": now, "flags": 0}}
        self._channels[tid] = thread
        self._thread_ids.append(tid)
        self._cond.notify_all()
        return thread

    # ================================================================ gateway

    def _call_in_loop(self, fn: Callable, *args: Any) -> None:
        loop = self._loop
        if loop is None:
            return
        if threading.current_thread() is self._thread:
            fn(*args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _filter_for_session(self, session: _Session, event: str, data: dict) -> Optional[dict]:
        intents = session.intents
        if event.startswith("MESSAGE_REACTION"):
            return data if intents & INTENTS["guild_reactions"] else None
        if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE"):
            is_dm = "guild_id" not in data
            if not intents & INTENTS["dm_messages" if is_dm else "guild_messages"]:
                return None
            if event != "MESSAGE_DELETE" and not intents & INTENTS["message_content"] and not is_dm:
                author = int(data.get("author", {}).get("id", 0))
                mentioned = any(int(m["id"]) == self.bot_id for m in data.get("mentions", []))
                if author != self.bot_id and not mentioned:
                    data = dict(data, content="", embeds=[], attachments=[], components=[])
                    data.pop("poll", None)
        if event.startswith(("THREAD_", "CHANNEL_", "GUILD_")) and not intents & INTENTS["guilds"]:
            if event not in ("GUILD_CREATE", "GUILD_MEMBERS_CHUNK"):
                return None
        return data

    def _dispatch(self, event: str, data: dict) -> None:
        """Send a DISPATCH to every identified session (server loop only)."""
        with self._lock:
            self._dispatched.append((event, data))
            sessions = list(self._sessions.values())
            for session in sessions:
                filtered = self._filter_for_session(session, event, data)
                if filtered is None:
                    continue
                session.seq += 1
                frame = {"op": 0, "t": event, "s": session.seq, "d": filtered}
                session.buffer.append(frame)
                if session.conn is not None:
                    session.conn.send(frame)
            self._cond.notify_all()

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Connection(ws, dict(request.query), request.path)
        info = {"path": request.path, "query": dict(request.query), "ops": [], "resumed": False,
                "close_code": None}
        with self._lock:
            self._connections.append(conn)
            self._gateway_connections.append(info)
            conn_index = len(self._gateway_connections) - 1

        async def writer() -> None:
            while True:
                frame = await conn.queue.get()
                if frame is None:
                    break
                try:
                    await ws.send_str(json.dumps(frame))
                except (ConnectionError, RuntimeError):
                    break
                if frame.get("op") == -1:  # pragma: no cover
                    break

        writer_task = asyncio.ensure_future(writer())
        conn.send({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms,
                                   "_trace": ["loopback-gateway"]}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    try:
                        frame = json.loads(msg.data)
                    except ValueError:
                        await self._close_conn(conn, 4002, "Decode error")
                        break
                    with self._lock:
                        self._gateway_connections[conn_index]["ops"].append(frame.get("op"))
                    close = await self._on_gateway_frame(conn, frame)
                    if close:
                        with self._lock:
                            self._gateway_connections[conn_index]["close_code"] = close[0]
                        await self._close_conn(conn, *close)
                        break
                elif msg.type == WSMsgType.BINARY:
                    await self._close_conn(conn, 4002, "Binary frames are not supported by the loopback")
                    break
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            conn.closed = True
            conn.queue.put_nowait(None)
            with self._lock:
                if conn.session is not None and conn.session.conn is conn:
                    conn.session.conn = None
                if conn in self._connections:
                    self._connections.remove(conn)
                if self._gateway_connections[conn_index]["close_code"] is None:
                    self._gateway_connections[conn_index]["close_code"] = ws.close_code
                self._cond.notify_all()
            try:
                await asyncio.wait_for(writer_task, 1)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                writer_task.cancel()
        return ws

    async def _close_conn(self, conn: _Connection, code: int, reason: str) -> None:
        # let queued frames go out first
        for _ in range(50):
            if conn.queue.empty():
                break
            await asyncio.sleep(0.01)
        conn.closed = True
        await conn.ws.close(code=code, message=reason.encode())

    async def _on_gateway_frame(self, conn: _Connection, frame: dict) -> Optional[tuple[int, str]]:
        op, d = frame.get("op"), frame.get("d")
        if op == 1:  # heartbeat
            conn.heartbeats += 1
            conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # identify
            return self._identify(conn, d or {})
        elif op == 6:  # resume
            return self._resume(conn, d or {})
        elif op == 3:  # presence
            with self._lock:
                self._presences.append(d)
        elif op == 8:  # request guild members
            self._members_chunk(conn, d or {})
        elif op in (4,):  # voice state: ignore
            pass
        else:
            return 4001, "Unknown opcode"
        return None

    def _identify(self, conn: _Connection, d: dict) -> Optional[tuple[int, str]]:
        if conn.session is not None:
            return 4005, "Already authenticated"
        if self.token is not None and d.get("token") != self.token:
            return 4004, "Authentication failed"
        intents = d.get("intents")
        if intents is None:
            return 4013, "Invalid intent(s)"
        disallowed = [n for n in PRIVILEGED_INTENTS if intents & INTENTS[n] and n not in self.privileged_intents]
        with self._lock:
            self._identifies.append(copy.deepcopy(d))
        if disallowed:
            return 4014, "Disallowed intent(s)"
        session = _Session(secrets.token_hex(16), intents, d)
        ready = {
            "v": 10, "user": dict(self.users[self.bot_id], verified=True, mfa_enabled=False, email=None,
                                  locale="en-US"),
            "guilds": [{"id": str(self.guild_id), "unavailable": True}],
            "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
            "session_type": "normal", "application": {"id": str(self.application_id), "flags": self.app_flags},
            "private_channels": [], "relationships": [], "presences": [], "guild_join_requests": [],
            "user_settings": {}, "geo_ordered_rtc_regions": ["loopback"], "auth": {},
            "_trace": ["loopback-gateway"],
        }
        if d.get("shard"):
            ready["shard"] = d["shard"]
        with self._lock:
            self._sessions[session.session_id] = session
            session.conn = conn
            conn.session = session
            # READY and GUILD_CREATE go to this session only
            for event, data in (("READY", ready), ("GUILD_CREATE", self._guild_payload(full=True))):
                session.seq += 1
                frame = {"op": 0, "t": event, "s": session.seq, "d": data}
                session.buffer.append(frame)
                conn.send(frame)
                self._dispatched.append((event, data))
            self._ready_sessions += 1
            self._cond.notify_all()
        return None

    def _resume(self, conn: _Connection, d: dict) -> Optional[tuple[int, str]]:
        with self._lock:
            session = self._sessions.get(d.get("session_id") or "")
            if session is None or (self.token is not None and d.get("token") != self.token):
                conn.send({"op": 9, "d": False, "s": None, "t": None})
                return None
            seq = d.get("seq") or 0
            if session.conn is not None and session.conn is not conn:
                session.conn.closed = True
            session.conn = conn
            conn.session = session
            for frame in session.buffer:
                if frame["s"] > seq:
                    conn.send(frame)
            session.seq += 1
            frame = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {"_trace": ["loopback-gateway"]}}
            session.buffer.append(frame)
            conn.send(frame)
            for info in reversed(self._gateway_connections):
                if info["ops"] and info["ops"][-1] == 6:
                    info["resumed"] = True
                    break
            self._cond.notify_all()
        return None

    def _members_chunk(self, conn: _Connection, d: dict) -> None:
        with self._lock:
            ids = d.get("user_ids")
            query = (d.get("query") or "").lower()
            limit = d.get("limit") or 0
            members = []
            for uid, u in self.users.items():
                if ids is not None and str(uid) not in {str(i) for i in (ids if isinstance(ids, list) else [ids])}:
                    continue
                if query and not u["username"].lower().startswith(query):
                    continue
                members.append(self._member_payload(uid))
            if limit:
                members = members[:limit]
            data = {"guild_id": str(self.guild_id), "members": members, "chunk_index": 0, "chunk_count": 1,
                    "not_found": [], "nonce": d.get("nonce")}
            if conn.session is not None:
                conn.session.seq += 1
                frame = {"op": 0, "t": "GUILD_MEMBERS_CHUNK", "s": conn.session.seq, "d": data}
                conn.session.buffer.append(frame)
                conn.send(frame)

    # ================================================================ REST plumbing

    def _build_routes(self) -> list[tuple[str, re.Pattern, Callable, str]]:
        """(method, compiled path regex, handler, bucket key); first match wins."""
        s = r"(\d+)"
        table = [
            ("GET", r"/gateway", self._r_gateway),
            ("GET", r"/gateway/bot", self._r_gateway),
            ("GET", r"/users/@me", self._r_me),
            ("GET", rf"/users/{s}", self._r_user),
            ("POST", r"/users/@me/channels", self._r_create_dm),
            ("GET", r"/oauth2/applications/@me", self._r_app),
            ("GET", r"/applications/@me", self._r_app),
            ("PUT", rf"/applications/{s}/commands", self._r_put_commands),
            ("GET", rf"/applications/{s}/commands", self._r_get_commands),
            ("POST", rf"/applications/{s}/commands", self._r_upsert_command),
            ("GET", rf"/applications/{s}/commands/{s}", self._r_get_command),
            ("PATCH", rf"/applications/{s}/commands/{s}", self._r_edit_command),
            ("DELETE", rf"/applications/{s}/commands/{s}", self._r_delete_command),
            ("PUT", rf"/applications/{s}/guilds/{s}/commands", self._r_put_commands),
            ("GET", rf"/applications/{s}/guilds/{s}/commands", self._r_get_commands),
            ("POST", rf"/applications/{s}/guilds/{s}/commands", self._r_upsert_command),
            ("GET", rf"/applications/{s}/guilds/{s}/commands/permissions", self._r_command_permissions),
            ("GET", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_get_command),
            ("PATCH", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_edit_command),
            ("DELETE", rf"/applications/{s}/guilds/{s}/commands/{s}", self._r_delete_command),
            ("GET", rf"/guilds/{s}", self._r_guild),
            ("GET", rf"/guilds/{s}/channels", self._r_guild_channels),
            ("GET", rf"/guilds/{s}/roles", self._r_guild_roles),
            ("GET", rf"/guilds/{s}/members", self._r_guild_members),
            ("GET", rf"/guilds/{s}/members/{s}", self._r_guild_member),
            ("GET", rf"/guilds/{s}/threads/active", self._r_active_threads),
            ("GET", rf"/channels/{s}", self._r_channel),
            ("GET", rf"/channels/{s}/messages", self._r_history),
            ("POST", rf"/channels/{s}/messages", self._r_create_message),
            ("GET", rf"/channels/{s}/messages/{s}", self._r_get_message),
            ("PATCH", rf"/channels/{s}/messages/{s}", self._r_edit_message),
            ("DELETE", rf"/channels/{s}/messages/{s}", self._r_delete_message),
            ("POST", rf"/channels/{s}/typing", self._r_typing),
            ("PUT", rf"/channels/{s}/messages/{s}/reactions/([^/]+)/@me", self._r_add_reaction),
            ("DELETE", rf"/channels/{s}/messages/{s}/reactions/([^/]+)/@me", self._r_remove_reaction),
            ("POST", rf"/channels/{s}/messages/{s}/threads", self._r_thread_from_message),
            ("POST", rf"/channels/{s}/threads", self._r_thread),
            ("PUT", rf"/channels/{s}/thread-members/@me", self._r_no_content),
            ("DELETE", rf"/channels/{s}/thread-members/@me", self._r_no_content),
            ("GET", rf"/channels/{s}/threads/archived/(?:public|private)", self._r_archived_threads),
            ("GET", rf"/channels/{s}/users/@me/threads/archived/private", self._r_archived_threads),
            ("POST", rf"/interactions/{s}/([^/]+)/callback", self._r_callback),
            ("GET", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_get_original),
            ("PATCH", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_edit_original),
            ("DELETE", rf"/webhooks/{s}/([^/]+)/messages/@original", self._r_delete_original),
            ("POST", rf"/webhooks/{s}/([^/]+)", self._r_followup),
            ("GET", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_get_followup),
            ("PATCH", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_edit_followup),
            ("DELETE", rf"/webhooks/{s}/([^/]+)/messages/{s}", self._r_delete_followup),
        ]
        return [(m, re.compile(p + "$"), fn, f"{m} {p}") for m, p, fn in table]

    async def _read_body(self, request: web.Request) -> tuple[Any, list]:
        files: list = []
        ctype = request.headers.get("Content-Type", "")
        if ctype.startswith("multipart/"):
            payload = None
            reader = await request.multipart()
            while True:
                part = await reader.next()
                if part is None:
                    break
                blob = await part.read(decode=False)
                if part.name == "payload_json":
                    payload = json.loads(blob.decode("utf-8"))
                elif part.filename is not None:
                    files.append((part.name, part.filename, bytes(blob)))
            return payload, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw.decode("utf-8")), files
        except ValueError:
            return raw.decode("utf-8", "replace"), files

    def _response(self, status: int, body: Any, route_key: str) -> web.Response:
        bucket = hashlib.sha1(route_key.encode()).hexdigest()[:32]
        headers = {
            "X-RateLimit-Limit": "50", "X-RateLimit-Remaining": "49",
            "X-RateLimit-Reset": f"{time.time() + 1.0:.3f}", "X-RateLimit-Reset-After": "1.000",
            "X-RateLimit-Bucket": bucket, "X-RateLimit-Scope": "user",
        }
        if status == 204 or body is None:
            return web.Response(status=204 if status < 300 else status, headers=headers)
        # discord.py's json_or_text wants *exactly* "application/json" (no charset)
        headers["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode("utf-8"), headers=headers)

    async def _handle_rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        record = RequestRecord(method=request.method, path=path, query=dict(request.query), json=body,
                               files=files, headers={k: v for k, v in request.headers.items()
                                                     if k.lower() in ("authorization", "x-audit-log-reason",
                                                                      "content-type", "user-agent")})
        with self._lock:
            self._requests.append(record)
        route_key = f"{request.method} {path}"
        try:
            if self.token is not None and not path.startswith(("/interactions/", "/webhooks/")):
                if request.headers.get("Authorization") != f"Bot {self.token}":
                    raise DiscordError(401, 0, "401: Unauthorized")
            for method, rx, fn, key in self._route_table:
                if method != request.method:
                    continue
                m = rx.match(path)
                if m:
                    record.route, route_key = key, key
                    status, out = await fn(record, *m.groups())
                    break
            else:
                record.unhandled = True
                status, out = (204, None) if request.method == "DELETE" else (200, {})
        except DiscordError as exc:
            status, out = exc.status, exc.body()
            if exc.violation:
                with self._lock:
                    self._violations.append(Violation(exc.violation, request.method, path, exc.status, exc.code,
                                                      exc.message, exc.errors, record))
        with self._lock:
            record.status, record.response = status, out
            self._cond.notify_all()
        return self._response(status, out, route_key)

    async def _handle_attachment(self, request: web.Request) -> web.Response:
        aid = request.match_info["attachment_id"]
        with self._lock:
            for m in self._messages.values():
                for att, (filename, blob) in zip(m.attachments, m.files):
                    if att["id"] == aid:
                        return web.Response(body=blob, content_type=att["content_type"])
        return web.Response(status=404)

    # ================================================================ REST handlers
    # Each handler: async (record, *path_groups) -> (status, body)

    def _files(self, record: RequestRecord) -> list[tuple[str, bytes]]:
        return [(fn, blob) for _name, fn, blob in record.files]

    def _known_channel(self, cid: str) -> dict:
        ch = self._channels.get(int(cid))
        if ch is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return ch

    def _known_message(self, cid: str, mid: str) -> MessageRecord:
        rec = self._messages.get(int(mid))
        if rec is None or rec.deleted or rec.channel_id != int(cid):
            raise DiscordError(404, 10008, "Unknown Message")
        return rec

    async def _r_no_content(self, record, *_):
        return 204, None

    async def _r_gateway(self, record):
        return 200, {"url": self.gateway_url, "shards": 1,
                     "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0,
                                             "max_concurrency": 1}}

    async def _r_me(self, record):
        return 200, dict(self.users[self.bot_id], verified=True, mfa_enabled=False, email=None, locale="en-US")

    async def _r_user(self, record, uid):
        if int(uid) not in self.users:
            raise DiscordError(404, 10013, "Unknown User")
        return 200, copy.deepcopy(self.users[int(uid)])

    async def _r_create_dm(self, record):
        uid = int((record.json or {}).get("recipient_id", 0))
        if uid not in self.users:
            raise DiscordError(404, 10013, "Unknown User")
        with self._lock:
            for cid, ch in self._channels.items():
                if ch["type"] == DM and int(ch["recipients"][0]["id"]) == uid:
                    return 200, copy.deepcopy(ch)
            cid = self._snowflake()
            ch = {"id": str(cid), "type": DM, "last_message_id": None, "flags": 0,
                  "recipients": [copy.deepcopy(self.users[uid])]}
            self._channels[cid] = ch
            return 200, copy.deepcopy(ch)

    async def _r_app(self, record):
        return 200, copy.deepcopy(self.application)

    # -- commands
    def _command_store(self, guild_id: Optional[str]) -> list[dict]:
        if guild_id is None:
            return self._global_commands
        return self._guild_commands.setdefault(int(guild_id), [])

    def _store_command(self, cmd: dict, guild_id: Optional[str], existing: list[dict]) -> dict:
        old = next((c for c in existing if c["name"] == cmd.get("name") and c.get("type", 1) == cmd.get("type", 1)),
                   None)
        stored = copy.deepcopy(cmd)
        stored.setdefault("type", 1)
        stored.setdefault("options", [])
        stored.setdefault("default_member_permissions", None)
        stored.setdefault("nsfw", False)
        stored.setdefault("description", "")
        stored["id"] = old["id"] if old else str(self._snowflake())
        stored["application_id"] = str(self.application_id)
        stored["version"] = str(self._snowflake())
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        else:
            stored.setdefault("contexts", None)
            stored.setdefault("integration_types", [0])
        return stored

    def _validate_commands(self, commands: list) -> None:
        errors: list = []
        names = set()
        for i, cmd in enumerate(commands):
            errs: list = []
            total = validate_command(cmd, errs, ())
            if total > LIMITS["command_total"]:
                errs.append(((), "APPLICATION_COMMAND_TOO_LARGE",
                             f"Command exceeds maximum size ({LIMITS['command_total']})"))
            key = (cmd.get("name"), cmd.get("type", 1))
            if key in names:
                errs.append((("name",), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"))
            names.add(key)
            errors += [((i,) + p, c, t) for p, c, t in errs]
        if errors:
            raise _invalid_form(errors)

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.application_id:
            raise DiscordError(403, 20012, "You are not authorized to perform this action on this application",
                               violation="permission")

    async def _r_put_commands(self, record, app_id, guild_id=None):
        self._check_app(app_id)
        commands = record.json or []
        self._validate_commands(commands)
        with self._lock:
            existing = self._command_store(guild_id)
            stored = [self._store_command(c, guild_id, existing) for c in commands]
            existing[:] = stored
            self._command_syncs.append(CommandSync("guild" if guild_id else "global",
                                                   int(guild_id) if guild_id else None, copy.deepcopy(stored)))
            self._cond.notify_all()
            return 200, copy.deepcopy(stored)

    async def _r_get_commands(self, record, app_id, guild_id=None):
        with self._lock:
            return 200, copy.deepcopy(self._command_store(guild_id))

    async def _r_upsert_command(self, record, app_id, guild_id=None):
        self._check_app(app_id)
        self._validate_commands([record.json or {}])
        with self._lock:
            existing = self._command_store(guild_id)
            stored = self._store_command(record.json or {}, guild_id, existing)
            existing[:] = [c for c in existing if c["id"] != stored["id"]] + [stored]
            return 200, copy.deepcopy(stored)

    def _find_stored_command(self, args: tuple) -> tuple[list, dict]:
        guild_id, cmd_id = (args[0], args[1]) if len(args) == 2 else (None, args[0])
        existing = self._command_store(guild_id)
        cmd = next((c for c in existing if c["id"] == cmd_id), None)
        if cmd is None:
            raise DiscordError(404, 10063, "Unknown application command")
        return existing, cmd

    async def _r_get_command(self, record, app_id, *args):
        with self._lock:
            return 200, copy.deepcopy(self._find_stored_command(args)[1])

    async def _r_edit_command(self, record, app_id, *args):
        with self._lock:
            _existing, cmd = self._find_stored_command(args)
            merged = dict(cmd, **(record.json or {}))
            self._validate_commands([merged])
            cmd.update(record.json or {})
            return 200, copy.deepcopy(cmd)

    async def _r_delete_command(self, record, app_id, *args):
        with self._lock:
            existing, cmd = self._find_stored_command(args)
            existing.remove(cmd)
            return 204, None

    async def _r_command_permissions(self, record, app_id, guild_id):
        return 200, []

    # -- guild
    def _check_guild(self, gid: str) -> None:
        if int(gid) != self.guild_id:
            raise DiscordError(404, 10004, "Unknown Guild")

    async def _r_guild(self, record, gid):
        self._check_guild(gid)
        g = self._guild_payload(full=False)
        if record.query.get("with_counts") in ("true", "1", "True"):
            g.update(approximate_member_count=len(self.members), approximate_presence_count=0)
        return 200, g

    async def _r_guild_channels(self, record, gid):
        self._check_guild(gid)
        return 200, [copy.deepcopy(c) for c in self._channels.values() if c["type"] == TEXT]

    async def _r_guild_roles(self, record, gid):
        self._check_guild(gid)
        return 200, [copy.deepcopy(r) for r in self.roles.values()]

    async def _r_guild_members(self, record, gid):
        self._check_guild(gid)
        limit = int(record.query.get("limit", 1))
        after = int(record.query.get("after", 0))
        ids = sorted(u for u in self.members if u > after)[:limit]
        return 200, [self._member_payload(u) for u in ids]

    async def _r_guild_member(self, record, gid, uid):
        self._check_guild(gid)
        if int(uid) not in self.members:
            raise DiscordError(404, 10007, "Unknown Member")
        return 200, self._member_payload(int(uid))

    async def _r_active_threads(self, record, gid):
        self._check_guild(gid)
        with self._lock:
            threads = [copy.deepcopy(self._channels[t]) for t in self._thread_ids
                       if not self._channels[t]["thread_metadata"]["archived"]]
        return 200, {"threads": threads, "members": [t["member"] for t in threads]}

    async def _r_archived_threads(self, record, cid):
        return 200, {"threads": [], "members": [], "has_more": False}

    # -- channels & messages
    async def _r_channel(self, record, cid):
        with self._lock:
            return 200, copy.deepcopy(self._known_channel(cid))

    async def _r_history(self, record, cid):
        self._known_channel(cid)
        limit = int(record.query.get("limit", 50))
        before = int(record.query.get("before", 0) or 0)
        after = int(record.query.get("after", 0) or 0)
        with self._lock:
            msgs = [m for m in self.all_messages if m.channel_id == int(cid) and not m.deleted and not m.ephemeral]
        if before:
            msgs = [m for m in msgs if m.id < before]
        if after:
            msgs = [m for m in msgs if m.id > after]
            msgs = msgs[:limit]
            return 200, [copy.deepcopy(m.data) for m in reversed(msgs)]
        msgs = msgs[-limit:]
        return 200, [copy.deepcopy(m.data) for m in reversed(msgs)]

    def _require_bot_permission(self, cid: int, perm: str) -> None:
        if not self.permissions(self.bot_id, cid) & PERMISSIONS[perm]:
            raise DiscordError(403, 50013, "Missing Permissions", violation="permission")

    def _validate_create(self, payload: dict, files: list) -> None:
        errors = validate_message_payload(payload)
        if errors:
            raise _invalid_form(errors)
        if _is_empty_message(payload, bool(files)):
            raise DiscordError(400, 50006, "Cannot send an empty message", violation="limit")

    async def _r_create_message(self, record, cid):
        payload = record.json if isinstance(record.json, dict) else {}
        files = self._files(record)
        fault = self._take_create_fault(int(cid))
        with self._lock:
            # Discord: a repeated nonce with enforce_nonce (within minutes) returns the first message.
            nonce = payload.get("nonce")
            if nonce is not None and payload.get("enforce_nonce"):
                first, when = self._nonces.get((int(cid), str(nonce)), (None, 0.0))
                if first is not None and not self._messages[first].deleted and time.time() - when < self.nonce_ttl:
                    return 200, copy.deepcopy(self._messages[first].data)
            channel = self._known_channel(cid)
            if channel["type"] == DM and int(channel["recipients"][0]["id"]) in self._closed_dms:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
            if channel["type"] != DM:
                if channel["type"] in THREAD_TYPES:
                    self._require_bot_permission(int(cid), "send_messages_in_threads")
                    if channel["thread_metadata"]["archived"] or channel["thread_metadata"]["locked"]:
                        raise DiscordError(400, 50083, "Thread is archived", violation="protocol")
                else:
                    self._require_bot_permission(int(cid), "send_messages")
            self._validate_create(payload, files)
            if payload.get("flags") and int(payload["flags"]) & (FLAG_EPHEMERAL | FLAG_LOADING):
                raise _invalid_form([(("flags",), "MESSAGE_INVALID_FLAGS", "Invalid flags for a channel message")])
            message_type = 19 if payload.get("message_reference") else 0
            rec = self._build_message(int(cid), payload, author_id=self.bot_id, source="channel", files=files,
                                      message_type=message_type)
            if nonce is not None and payload.get("enforce_nonce"):
                self._nonces[(int(cid), str(nonce))] = (rec.id, time.time())
            out = copy.deepcopy(rec.data)
        self._dispatch_message_event("MESSAGE_CREATE", rec)
        if fault == "hold":  # the message exists; its creator never hears back
            with self._lock:
                self._held += 1
                self._cond.notify_all()
            assert self._stopping is not None
            await self._stopping.wait()
            raise DiscordError(503, 0, "server stopping")
        if fault is not None:  # the message exists, yet the creator is told it failed
            raise DiscordError(fault, 0, f"{fault}: scripted failure after creating the message")
        return 200, out

    # -- direct messages ------------------------------------------------------------
    def close_dms(self, user: Union[int, str]) -> None:
        """The user's DMs refuse the bot from now on (403, code 50007), as on Discord."""
        with self._lock:
            self._closed_dms.add(self.user_id(user))

    def dms_to(self, user: Union[int, str]) -> list[MessageRecord]:
        """What the bot sent to the user's DM channel, oldest first (none if it never opened one)."""
        uid = self.user_id(user)
        with self._lock:
            channels = {cid for cid, ch in self._channels.items()
                        if ch["type"] == DM and int(ch["recipients"][0]["id"]) == uid}
        return [m for m in self.all_messages if m.channel_id in channels and m.author_id == self.bot_id
                and not m.deleted]

    def fail_next_create(self, channel: Union[int, str], fault: Union[int, str] = 500, *, after: int = 0) -> None:
        """The next message created in `channel` (after `after` more that go through) is
        stored, then its POST answers `fault` (a status such as 500), or with "hold" never
        answers at all (until the server stops): what a bot sees when Discord fails or
        it is killed mid-request."""
        with self._lock:
            self._create_faults.append((self.channel_id(channel), fault, after))

    @property
    def held_requests(self) -> int:
        """POSTs left unanswered by a "hold" fault so far."""
        with self._lock:
            return self._held

    def _take_create_fault(self, cid: int) -> Union[int, str, None]:
        with self._lock:
            for i, (channel, fault, after) in enumerate(self._create_faults):
                if channel == cid:
                    if after:
                        self._create_faults[i] = (channel, fault, after - 1)
                        return None
                    del self._create_faults[i]
                    return fault
        return None

    async def _r_get_message(self, record, cid, mid):
        with self._lock:
            return 200, copy.deepcopy(self._known_message(cid, mid).data)

    async def _r_edit_message(self, record, cid, mid):
        payload = record.json if isinstance(record.json, dict) else {}
        with self._lock:
            rec = self._known_message(cid, mid)
            if rec.author_id != self.bot_id and set(payload) - {"flags"}:
                raise DiscordError(403, 50005, "Cannot edit a message authored by another user",
                                   violation="permission")
            errors = validate_message_payload(payload)
            if errors:
                raise _invalid_form(errors)
            self._apply_edit(rec, payload, self._files(record))
            out = copy.deepcopy(rec.data)
        self._dispatch_message_event("MESSAGE_UPDATE", rec)
        return 200, out

    async def _r_delete_message(self, record, cid, mid):
        with self._lock:
            rec = self._known_message(cid, mid)
            if rec.author_id != self.bot_id:
                self._require_bot_permission(int(cid), "manage_messages")
            rec.deleted = True
            self._cond.notify_all()
        self._dispatch("MESSAGE_DELETE", {"id": mid, "channel_id": cid, "guild_id": str(self.guild_id)})
        return 204, None

    async def _r_typing(self, record, cid):
        with self._lock:
            self._known_channel(cid)
            self._typing.append(int(cid))
        return 204, None

    async def _r_add_reaction(self, record, cid, mid, emoji):
        emoji = urllib.parse.unquote(emoji)
        with self._lock:
            rec = self._known_message(cid, mid)
            rec.reactions.append((emoji, self.bot_id))
            self._reactions.append({"channel_id": int(cid), "message_id": int(mid), "emoji": emoji,
                                    "user_id": self.bot_id})
            self._cond.notify_all()
        name, _, eid = emoji.partition(":")
        self._dispatch("MESSAGE_REACTION_ADD", {
            "user_id": str(self.bot_id), "channel_id": cid, "message_id": mid, "guild_id": str(self.guild_id),
            "member": self._member_payload(self.bot_id), "emoji": {"id": eid or None, "name": name},
            "message_author_id": str(rec.author_id), "burst": False, "burst_colors": [], "type": 0})
        return 204, None

    async def _r_remove_reaction(self, record, cid, mid, emoji):
        emoji = urllib.parse.unquote(emoji)
        with self._lock:
            rec = self._known_message(cid, mid)
            if (emoji, self.bot_id) in rec.reactions:
                rec.reactions.remove((emoji, self.bot_id))
        return 204, None

    # -- threads
    def _thread_name(self, payload: dict) -> str:
        errors: list = []
        _check_str(errors, ("name",), payload.get("name"), LIMITS["thread_name"], minimum=1, required=True)
        if errors:
            raise _invalid_form(errors)
        return payload["name"]

    async def _r_thread_from_message(self, record, cid, mid):
        payload = record.json or {}
        with self._lock:
            channel = self._known_channel(cid)
            rec = self._known_message(cid, mid)
            if channel["type"] != TEXT:
                raise DiscordError(400, 50024, "Cannot execute action on this channel type", violation="protocol")
            self._require_bot_permission(int(cid), "create_public_threads")
            if rec.thread_id is not None:
                raise DiscordError(400, 160004, "A thread has already been created for this message",
                                   violation="protocol")
            name = self._thread_name(payload)
            thread = self._new_thread(int(cid), name, owner_id=self.bot_id, thread_type=PUBLIC_THREAD,
                                      thread_id=int(mid), auto_archive=int(payload.get("auto_archive_duration") or 1440))
            if payload.get("rate_limit_per_user"):
                thread["rate_limit_per_user"] = int(payload["rate_limit_per_user"])
            rec.data["thread"] = copy.deepcopy(thread)
            out = copy.deepcopy(thread)
        self._dispatch("THREAD_CREATE", dict(out, newly_created=True))
        return 201, out

    async def _r_thread(self, record, cid):
        payload = record.json or {}
        with self._lock:
            channel = self._known_channel(cid)
            if channel["type"] != TEXT:
                raise DiscordError(400, 50024, "Cannot execute action on this channel type", violation="protocol")
            ttype = int(payload.get("type") or PRIVATE_THREAD)
            self._require_bot_permission(int(cid), "create_private_threads" if ttype == PRIVATE_THREAD
                                         else "create_public_threads")
            name = self._thread_name(payload)
            thread = self._new_thread(int(cid), name, owner_id=self.bot_id, thread_type=ttype, thread_id=None,
                                      auto_archive=int(payload.get("auto_archive_duration") or 1440))
            if ttype == PRIVATE_THREAD:
                thread["thread_metadata"]["invitable"] = bool(payload.get("invitable", True))
            out = copy.deepcopy(thread)
        self._dispatch("THREAD_CREATE", dict(out, newly_created=True))
        return 201, out

    # -- interactions
    def _interaction_for(self, token: str, app_id: Optional[str] = None) -> Interaction:
        inter = self._interactions.get(token)
        if inter is None or (app_id is not None and int(app_id) != self.application_id):
            raise DiscordError(404, 10015, "Unknown Webhook")
        return inter

    def _event(self, inter: Interaction, kind: str, status: int, data: Any, *, type: Optional[int] = None,
               message: Optional[MessageRecord] = None, error: Optional[DiscordError] = None) -> None:
        inter.responses.append(ResponseEvent(kind, status, copy.deepcopy(data), type, message,
                                             error.body() if error else None))
        if message is not None and kind not in ("get_original",) and not message.deleted:
            inter._last_touched = message
        self._cond.notify_all()

    def _guarded(self, inter: Interaction, kind: str, data: Any, fn: Callable[[], tuple[int, Any, Optional[MessageRecord], Optional[int]]]):
        """Run fn under the lock, recording a ResponseEvent for success or failure."""
        with self._lock:
            try:
                status, out, message, ctype = fn()
            except DiscordError as exc:
                self._event(inter, kind, exc.status, data, error=exc,
                            type=(data or {}).get("type") if kind == "callback" else None)
                raise
            self._event(inter, kind, status, data, type=ctype, message=message)
            return status, out

    async def _r_callback(self, record, iid, token):
        body = record.json if isinstance(record.json, dict) else {}
        files = self._files(record)
        inter = self._interactions.get(token)
        if inter is None or inter.id != int(iid):
            raise DiscordError(404, 10062, "Unknown interaction", violation="protocol")

        def do():
            if time.monotonic() - inter.created > self.interaction_deadline:
                raise DiscordError(404, 10062, "Unknown interaction", violation="protocol")
            if inter.callback is not None:
                raise DiscordError(400, 40060, "Interaction has already been acknowledged.", violation="protocol")
            ctype = int(body.get("type") or 0)
            data = body.get("data") or {}
            allowed_types = {INTERACTION_COMMAND: (4, 5, 9, 10, 12), INTERACTION_AUTOCOMPLETE: (8,),
                             INTERACTION_COMPONENT: (4, 5, 6, 7, 9, 10, 12),
                             INTERACTION_MODAL_SUBMIT: (4, 5, 6, 7, 10, 12)}.get(inter.type, ())
            if ctype not in allowed_types:
                raise _invalid_form([(("type",), "INTERACTION_RESPONSE_TYPE_INVALID",
                                      f"Interaction response type {ctype} is invalid for interaction type {inter.type}")])
            message = None
            flags = int(data.get("flags") or 0)
            if ctype == 4:
                errors = [(("data",) + p, c, t) for p, c, t in
                          validate_message_payload(data)]
                if errors:
                    raise _invalid_form(errors)
                if _is_empty_message(data, bool(files)):
                    raise DiscordError(400, 50006, "Cannot send an empty message", violation="limit")
                message = self._build_message(inter.channel_id, data, author_id=self.bot_id, source="interaction",
                                              files=files, message_type=20 if inter.type == 2 else 19,
                                              interaction=inter)
                inter.original = message
            elif ctype == 5:
                message = self._build_message(inter.channel_id, {"content": ""}, author_id=self.bot_id,
                                              source="interaction", flags=FLAG_LOADING | (flags & FLAG_EPHEMERAL),
                                              message_type=20 if inter.type == 2 else 19, interaction=inter)
                inter.original = message
            elif ctype in (6, 7):
                if inter.source_message_id is None:
                    raise _invalid_form([(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")])
                message = self._messages[inter.source_message_id]
                inter.original = message
                if ctype == 7:
                    errors = [(("data",) + p, c, t) for p, c, t in validate_message_payload(data)]
                    if errors:
                        raise _invalid_form(errors)
                    self._apply_edit(message, data, files)
            elif ctype == 8:
                errors: list = []
                validate_choices(data.get("choices"), errors)
                if errors:
                    raise _invalid_form(errors)
            elif ctype == 9:
                errors = []
                _check_str(errors, ("data", "title"), data.get("title"), LIMITS["modal_title"], minimum=1,
                           required=True)
                _check_str(errors, ("data", "custom_id"), data.get("custom_id"), LIMITS["custom_id"], minimum=1,
                           required=True)
                if not 1 <= len(data.get("components") or []) <= 5:
                    errors.append((("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
                if errors:
                    raise _invalid_form(errors)
            out = None
            if record.query.get("with_response") in ("1", "true", "True"):
                out = {"interaction": {"id": str(inter.id), "type": inter.type}}
                if message is not None:
                    out["interaction"].update(response_message_id=str(message.id),
                                              response_message_loading=ctype == 5,
                                              response_message_ephemeral=message.ephemeral)
                resource: dict = {"type": ctype}
                if message is not None and ctype in (4, 5, 7):
                    resource["message"] = copy.deepcopy(message.data)
                out["resource"] = resource
            return (200 if out is not None else 204), out, message, ctype

        status, out = self._guarded(inter, "callback", body, do)
        cb = inter.callback
        if cb is not None and cb.message is not None:
            if cb.type in (4, 5):
                self._dispatch_message_event("MESSAGE_CREATE", cb.message)
            elif cb.type == 7:
                self._dispatch_message_event("MESSAGE_UPDATE", cb.message)
        return status, out

    def _original_of(self, inter: Interaction) -> MessageRecord:
        if inter.callback is None or inter.original is None or inter.original.deleted:
            raise DiscordError(404, 10008, "Unknown Message", violation="protocol")
        return inter.original

    async def _r_get_original(self, record, app_id, token):
        inter = self._interaction_for(token, app_id)
        status, out = self._guarded(inter, "get_original", None,
                                    lambda: (200, copy.deepcopy(self._original_of(inter).data), None, None))
        return status, out

    async def _r_edit_original(self, record, app_id, token):
        inter = self._interaction_for(token, app_id)
        payload = record.json if isinstance(record.json, dict) else {}
        files = self._files(record)

        def do():
            msg = self._original_of(inter)
            errors = validate_message_payload(payload)
            if errors:
                raise _invalid_form(errors)
            if msg.loading:  # the "thinking..." message must become a real one
                preview = {k: payload.get(k, msg.data.get(k)) for k in ("content", "embeds", "components")}
                if _is_empty_message(preview, bool(files or msg.attachments)):
                    raise DiscordError(400, 50006, "Cannot send an empty message", violation="limit")
            self._apply_edit(msg, payload, files, clear_loading=True)
            return 200, copy.deepcopy(msg.data), msg, None

        status, out = self._guarded(inter, "edit_original", payload, do)
        self._dispatch_message_event("MESSAGE_UPDATE", inter.original)
        return status, out

    async def _r_delete_original(self, record, app_id, token):
        inter = self._interaction_for(token, app_id)

        def do():
            msg = self._original_of(inter)
            msg.deleted = True
            return 204, None, None, None

        self._guarded(inter, "delete_original", None, do)
        msg = inter.original
        if msg is not None and not msg.ephemeral:
            self._dispatch("MESSAGE_DELETE", {"id": str(msg.id), "channel_id": str(msg.channel_id),
                                              "guild_id": str(self.guild_id)})
        return 204, None

    async def _r_followup(self, record, app_id, token):
        inter = self._interaction_for(token, app_id)
        payload = record.json if isinstance(record.json, dict) else {}
        files = self._files(record)
        event = {"kind": "MESSAGE_CREATE"}

        def do():
            if inter.callback is None:
                raise DiscordError(404, 10015, "Unknown Webhook", violation="protocol")
            errors = validate_message_payload(payload)
            if errors:
                raise _invalid_form(errors)
            if _is_empty_message(payload, bool(files)):
                raise DiscordError(400, 50006, "Cannot send an empty message", violation="limit")
            original = inter.original
            if original is not None and original.loading and not original.deleted and inter.callback_type == 5:
                # Discord: the first follow-up after a defer replaces the "thinking" message
                edit = {k: v for k, v in payload.items() if k != "flags"}
                edit.setdefault("content", "")
                self._apply_edit(original, edit, files, clear_loading=True)
                msg = original
                event["kind"] = "MESSAGE_UPDATE"
            else:
                flags = int(payload.get("flags") or 0)
                msg = self._build_message(inter.channel_id, payload, author_id=self.bot_id, source="followup",
                                          files=files, flags=flags & FLAG_EPHEMERAL, interaction=inter,
                                          message_type=0, webhook=True)
            inter.followups.append(msg)
            if record.query.get("wait") in ("1", "true", "True"):
                return 200, copy.deepcopy(msg.data), msg, None
            return 204, None, msg, None

        status, out = self._guarded(inter, "followup", payload, do)
        self._dispatch_message_event(event["kind"], inter.followups[-1])
        return status, out

    def _followup_of(self, inter: Interaction, mid: str) -> MessageRecord:
        for m in [inter.original] + inter.followups:
            if m is not None and m.id == int(mid) and not m.deleted:
                return m
        raise DiscordError(404, 10008, "Unknown Message", violation="protocol")

    async def _r_get_followup(self, record, app_id, token, mid):
        inter = self._interaction_for(token, app_id)
        with self._lock:
            return 200, copy.deepcopy(self._followup_of(inter, mid).data)

    async def _r_edit_followup(self, record, app_id, token, mid):
        inter = self._interaction_for(token, app_id)
        payload = record.json if isinstance(record.json, dict) else {}
        files = self._files(record)

        def do():
            msg = self._followup_of(inter, mid)
            errors = validate_message_payload(payload)
            if errors:
                raise _invalid_form(errors)
            self._apply_edit(msg, payload, files)
            return 200, copy.deepcopy(msg.data), msg, None

        status, out = self._guarded(inter, "edit_followup", payload, do)
        self._dispatch_message_event("MESSAGE_UPDATE", self._messages[int(mid)])
        return status, out

    async def _r_delete_followup(self, record, app_id, token, mid):
        inter = self._interaction_for(token, app_id)

        def do():
            msg = self._followup_of(inter, mid)
            msg.deleted = True
            return 204, None, None, None

        self._guarded(inter, "delete_followup", None, do)
        msg = self._messages[int(mid)]
        if not msg.ephemeral:
            self._dispatch("MESSAGE_DELETE", {"id": mid, "channel_id": str(msg.channel_id),
                                              "guild_id": str(self.guild_id)})
        return 204, None
