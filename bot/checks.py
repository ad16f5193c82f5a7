"""Who may use a command."""

from __future__ import annotations

import discord
from discord import app_commands


def admins_only():
    """Members who may manage the server, in servers only. The default permission hides the
    command from others (server admins may change who sees it in Integrations); the check
    refuses it to anyone else all the same."""

    def decorate(command):
        command = app_commands.guild_only()(command)
        command = app_commands.checks.has_permissions(manage_guild=True)(command)
        return app_commands.default_permissions(manage_guild=True)(command)

    return decorate


def may_add(member: discord.abc.User, role: str) -> bool:
    """Who may grow the list (/add, or nominating a paper the list lacks): members with
    the configured role (a name or ID), else members who may manage messages."""
    if role:
        return any(role in (r.name, str(r.id)) for r in getattr(member, "roles", []))
    permissions = getattr(member, "guild_permissions", None)
    return bool(permissions and permissions.manage_messages)
