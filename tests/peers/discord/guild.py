"""REST reads of the world: gateway, users, DM channels, application, guild, roles, members, thread lists."""

from __future__ import annotations

import copy

from .constants import DM, TEXT
from .validation import DiscordError


class GuildRoutes:
    """Handlers: async (record, *path_groups) -> (status, body)."""
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
