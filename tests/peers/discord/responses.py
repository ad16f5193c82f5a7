"""REST for the bot's answers to interactions: callbacks (within the deadline, once, of a
type valid for the interaction), ``@original`` get/edit/delete, follow-ups."""

from __future__ import annotations

import copy
import time
from typing import Any, Callable, Optional

from .constants import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    INTERACTION_MODAL_SUBMIT,
)
from .records import Interaction, MessageRecord, ResponseEvent
from .validation import (
    LIMITS,
    DiscordError,
    check_str,
    invalid_form,
    is_empty_message,
    validate_choices,
    validate_message_payload,
)


class ResponseRoutes:
    """Handlers: async (record, *path_groups) -> (status, body)."""
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
                raise invalid_form([(("type",), "INTERACTION_RESPONSE_TYPE_INVALID",
                                      f"Interaction response type {ctype} is invalid for interaction type {inter.type}")])
            message = None
            flags = int(data.get("flags") or 0)
            if ctype == 4:
                errors = [(("data",) + p, c, t) for p, c, t in
                          validate_message_payload(data)]
                if errors:
                    raise invalid_form(errors)
                if is_empty_message(data, bool(files)):
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
                    raise invalid_form([(("type",), "INTERACTION_RESPONSE_TYPE_INVALID", "No message to update")])
                message = self._messages[inter.source_message_id]
                inter.original = message
                if ctype == 7:
                    self._refuse_poll_edit(message, data)
                    errors = [(("data",) + p, c, t) for p, c, t in validate_message_payload(data)]
                    if errors:
                        raise invalid_form(errors)
                    self._apply_edit(message, data, files)
            elif ctype == 8:
                errors: list = []
                validate_choices(data.get("choices"), errors)
                if errors:
                    raise invalid_form(errors)
            elif ctype == 9:
                errors = []
                check_str(errors, ("data", "title"), data.get("title"), LIMITS["modal_title"], minimum=1,
                           required=True)
                check_str(errors, ("data", "custom_id"), data.get("custom_id"), LIMITS["custom_id"], minimum=1,
                           required=True)
                if not 1 <= len(data.get("components") or []) <= 5:
                    errors.append((("data", "components"), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length."))
                if errors:
                    raise invalid_form(errors)
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
            self._refuse_poll_edit(msg, payload, may_add=msg.loading)
            errors = validate_message_payload(payload)
            if errors:
                raise invalid_form(errors)
            if msg.loading:  # the "thinking..." message must become a real one
                preview = {k: payload.get(k, msg.data.get(k)) for k in ("content", "embeds", "components", "poll")}
                if is_empty_message(preview, bool(files or msg.attachments)):
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
                raise invalid_form(errors)
            if is_empty_message(payload, bool(files)):
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
            self._refuse_poll_edit(msg, payload)
            errors = validate_message_payload(payload)
            if errors:
                raise invalid_form(errors)
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
