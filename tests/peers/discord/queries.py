"""What tests read and wait for: snapshots of the records, and polling waits that yield to the bot."""

from __future__ import annotations

import copy
import re
import time
from typing import Any, Callable, Optional, Union

from .constants import DM, INTENTS
from .records import CommandSync, Interaction, MessageRecord, RequestRecord, Violation, poll_until


class QueriesMixin:
    """Read-only side of :class:`DiscordServer`: every property returns a copy, safe from any thread."""
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


    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
        """Poll ``predicate()`` (no args) until truthy; return its value."""
        return await poll_until(predicate, timeout, lambda: f"timed out after {timeout}s waiting for {what}")

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


    def dms_to(self, user: Union[int, str]) -> list[MessageRecord]:
        """What the bot sent to the user's DM channel, oldest first (none if it never opened one)."""
        uid = self.user_id(user)
        with self._lock:
            channels = {cid for cid, ch in self._channels.items()
                        if ch["type"] == DM and int(ch["recipients"][0]["id"]) == uid}
        return [m for m in self.all_messages if m.channel_id in channels and m.author_id == self.bot_id
                and not m.deleted]
