"""Discord's numbers the loopback uses: intents, permissions, flags, channel and interaction types."""

from __future__ import annotations

import datetime as _dt

DISCORD_EPOCH_MS = 1420070400000
API_PREFIX = "/api/v10"


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
    # discord-api-docs, events/gateway.mdx: GUILD_MESSAGE_POLLS (1 << 24) and DIRECT_MESSAGE_POLLS
    # (1 << 25) carry MESSAGE_POLL_VOTE_ADD/REMOVE; discord.py names them guild_polls / dm_polls.
    "guild_polls": 1 << 24,
    "dm_polls": 1 << 25,
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
FLAG_IS_COMPONENTS_V2 = 1 << 15

# Message type of what Discord posts when a poll ends (discord-api-docs, resources/message.mdx)
POLL_RESULT = 46

# Channel types
TEXT, DM, NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD = 0, 1, 10, 11, 12
THREAD_TYPES = (NEWS_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)

# Interaction types
INTERACTION_PING, INTERACTION_COMMAND, INTERACTION_COMPONENT = 1, 2, 3
INTERACTION_AUTOCOMPLETE, INTERACTION_MODAL_SUBMIT = 4, 5


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat()
