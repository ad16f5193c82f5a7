"""Interactions as a member makes them: slash commands (options built from the synced
schema), autocomplete, button and select clicks, modal submissions."""

from __future__ import annotations

import copy
import secrets
from typing import Any, Optional, Union

from .constants import INTERACTION_AUTOCOMPLETE, INTERACTION_COMMAND, INTERACTION_COMPONENT, INTERACTION_MODAL_SUBMIT
from .records import Interaction, MessageRecord


class InteractionsMixin:
    """Interaction side of :class:`DiscordServer`; the bot's answers are in responses.py."""
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
