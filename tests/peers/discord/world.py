"""The guild the loopback serves: users, members, roles, channels, permissions, and the
JSON objects Discord sends for them."""

from __future__ import annotations

import copy
import secrets
import time
from typing import Iterable, Optional, Union

from .constants import (
    ADMIN_ROLE_PERMISSIONS,
    ALL_PERMISSIONS,
    BOT_ROLE_PERMISSIONS,
    DISCORD_EPOCH_MS,
    DM,
    EVERYONE_PERMISSIONS,
    PERMISSIONS,
    TEXT,
    THREAD_TYPES,
    now_iso,
)
from .records import MessageRecord


class WorldMixin:
    """World side of :class:`DiscordServer` (its records are set up in server.py)."""

    def _build_world(self, guild_name: str, channel_names: Iterable[str], bot_name: str) -> None:
        """The guild, its roles, the bot and three people (owner, admin, member), the channels."""
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
                                 "joined_at": now_iso(), "premium_since": None, "deaf": False,
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
