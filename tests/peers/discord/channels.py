"""REST for channels: messages (create with nonces and faults, edit, delete, history),
typing, reactions, threads."""

from __future__ import annotations

import copy
import time
import urllib.parse

from .constants import DM, FLAG_EPHEMERAL, FLAG_LOADING, PERMISSIONS, PRIVATE_THREAD, PUBLIC_THREAD, TEXT, THREAD_TYPES
from .validation import LIMITS, DiscordError, check_str, invalid_form, is_empty_message, validate_message_payload


class ChannelRoutes:
    """Handlers: async (record, *path_groups) -> (status, body)."""
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
            raise invalid_form(errors)
        if is_empty_message(payload, bool(files)):
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
                raise invalid_form([(("flags",), "MESSAGE_INVALID_FLAGS", "Invalid flags for a channel message")])
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
            self._refuse_poll_edit(rec, payload)
            errors = validate_message_payload(payload)
            if errors:
                raise invalid_form(errors)
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
        check_str(errors, ("name",), payload.get("name"), LIMITS["thread_name"], minimum=1, required=True)
        if errors:
            raise invalid_form(errors)
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
