"""REST for application commands: bulk overwrite (sync), upsert, get, edit, delete."""

from __future__ import annotations

import copy
from typing import Optional

from .records import CommandSync
from .validation import LIMITS, DiscordError, invalid_form, validate_command


class CommandRoutes:
    """Handlers: async (record, *path_groups) -> (status, body)."""
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
            raise invalid_form(errors)

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
