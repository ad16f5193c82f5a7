"""Who may use a command."""

from __future__ import annotations

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
