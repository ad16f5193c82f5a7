"""The message store: building messages (attachments, who is pinged), applying edits,
and the MESSAGE_* events; threads."""

from __future__ import annotations

import copy
import mimetypes
import re
import urllib.parse
from typing import Optional

from .constants import DM, FLAG_EPHEMERAL, FLAG_LOADING, PERMISSIONS, THREAD_TYPES, now_iso
from .records import Interaction, MessageRecord
from .validation import invalid_form

_USER_MENTION_RE = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION_RE = re.compile(r"<@&(\d+)>")
_EVERYONE_RE = re.compile(r"@(everyone|here)\b")


class MessagesMixin:
    """Message side of :class:`DiscordServer`; call the builders with the lock held."""

    def _attachment(self, cid: int, aid: int, filename: str, content: bytes, description: Optional[str] = None) -> dict:
        url = f"{self.base_url}/attachments/{cid}/{aid}/{urllib.parse.quote(filename)}"
        att = {"id": str(aid), "filename": filename, "size": len(content), "url": url, "proxy_url": url,
               "content_type": mimetypes.guess_type(filename)[0] or "application/octet-stream"}
        if description:
            att["description"] = description
        return att

    def _compute_pings(self, content: str, allowed: Optional[dict], author_id: int,
                       replied_author: Optional[int]) -> dict:
        perms = self.permissions(author_id) if author_id in self.members else 0
        can_everyone = bool(perms & PERMISSIONS["mention_everyone"])
        if allowed is None:
            allow_users = allow_roles = allow_everyone = True
            user_list: set = set()
            role_list: set = set()
            replied = True
        else:
            parse = allowed.get("parse") or []
            allow_users, allow_roles, allow_everyone = "users" in parse, "roles" in parse, "everyone" in parse
            user_list = {int(u) for u in allowed.get("users") or []}
            role_list = {int(r) for r in allowed.get("roles") or []}
            replied = bool(allowed.get("replied_user", False))
        users = []
        for u in map(int, _USER_MENTION_RE.findall(content or "")):
            if u in self.users and u != author_id and (allow_users or u in user_list) and u not in users:
                users.append(u)
        roles = []
        for r in map(int, _ROLE_MENTION_RE.findall(content or "")):
            if r in self.roles and (allow_roles or r in role_list) and r not in roles:
                if self.roles[r]["mentionable"] or can_everyone:
                    roles.append(r)
        everyone = bool(_EVERYONE_RE.search(content or "")) and allow_everyone and can_everyone
        replied_user = bool(replied_author is not None and replied and replied_author != author_id)
        if replied_user and replied_author not in users:
            users.append(replied_author)
        return {"users": users, "roles": roles, "everyone": everyone, "replied_user": replied_user}

    def _build_message(self, cid: int, payload: dict, *, author_id: int, source: str,
                       files: Optional[list] = None, flags: int = 0, message_type: int = 0,
                       interaction: Optional[Interaction] = None, webhook: bool = False,
                       message_id: Optional[int] = None) -> MessageRecord:
        """Create and store a message (call with the lock held; no validation here)."""
        mid = message_id or self._snowflake()
        channel = self._channels[cid]
        reference = payload.get("message_reference")
        referenced = None
        if reference and reference.get("message_id"):
            referenced = self._messages.get(int(reference["message_id"]))
            if referenced is None and reference.get("fail_if_not_exists", True):
                raise invalid_form([(("message_reference",), "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                      "Unknown message")])
        allowed = payload.get("allowed_mentions")
        content = payload.get("content") or ""
        if source == "user":
            pings = self._compute_pings(content, None, author_id, referenced.author_id if referenced else None)
        else:
            pings = self._compute_pings(content, allowed, author_id, referenced.author_id if referenced else None)
        attachments = []
        meta = {int(a["id"]): a for a in payload.get("attachments") or [] if str(a.get("id", "")).isdigit()}
        stored_files = []
        for index, (filename, blob) in enumerate(files or []):
            aid = self._snowflake()
            desc = (meta.get(index) or {}).get("description")
            attachments.append(self._attachment(cid, aid, filename, blob, desc))
            stored_files.append((filename, blob))
        data: dict = {
            "id": str(mid), "type": message_type, "channel_id": str(cid),
            "author": copy.deepcopy(self.users[author_id]), "content": content,
            "timestamp": now_iso(), "edited_timestamp": None, "tts": bool(payload.get("tts")),
            "mention_everyone": pings["everyone"],
            "mentions": [copy.deepcopy(self.users[u]) for u in pings["users"]],
            "mention_roles": [str(r) for r in pings["roles"]], "mention_channels": [],
            "attachments": attachments, "embeds": [self._normalize_embed(e) for e in payload.get("embeds") or []],
            "reactions": [], "pinned": False, "flags": flags | int(payload.get("flags") or 0),
            "components": copy.deepcopy(payload.get("components") or []),
        }
        if payload.get("nonce") is not None:
            data["nonce"] = payload["nonce"]
        if payload.get("poll") is not None:
            self._attach_poll(data, payload["poll"])
        if webhook or interaction is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        if interaction is not None:
            data["interaction_metadata"] = {
                "id": str(interaction.id), "type": interaction.type,
                "user": copy.deepcopy(self.users[interaction.user_id]),
                "authorizing_integration_owners": {"0": str(self.guild_id)},
                "name": interaction.name or "", "command_type": 1,
            }
        if referenced is not None:
            data["message_reference"] = {"type": 0, "message_id": str(referenced.id),
                                         "channel_id": str(referenced.channel_id), "guild_id": str(self.guild_id)}
            data["referenced_message"] = copy.deepcopy(referenced.data)
        if channel["type"] in THREAD_TYPES:
            channel["message_count"] += 1
            channel["total_message_sent"] += 1
            data["position"] = channel["total_message_sent"]
        if not data["flags"] & FLAG_EPHEMERAL:
            channel["last_message_id"] = str(mid)
        record = MessageRecord(data, source=source, allowed_mentions=copy.deepcopy(allowed), pings=pings,
                               interaction_id=interaction.id if interaction else None, files=stored_files)
        self._messages[mid] = record
        self._message_order.append(mid)
        self._cond.notify_all()
        return record

    @staticmethod
    def _normalize_embed(embed: dict) -> dict:
        e = copy.deepcopy(embed)
        e.setdefault("type", "rich")
        return e

    def _apply_edit(self, record: MessageRecord, payload: dict, files: list, *, clear_loading: bool = False) -> None:
        """Apply an edit body to a stored message (lock held)."""
        record.history.append(copy.deepcopy(record.data))
        data = record.data
        for key in ("content", "components"):
            if key in payload and payload[key] is not None:
                data[key] = copy.deepcopy(payload[key])
            elif key in payload:
                data[key] = "" if key == "content" else []
        if "embeds" in payload:
            data["embeds"] = [self._normalize_embed(e) for e in payload["embeds"] or []]
        if "flags" in payload and payload["flags"] is not None:
            keep = data["flags"] & (FLAG_EPHEMERAL | FLAG_LOADING)
            data["flags"] = keep | (int(payload["flags"]) & ~(FLAG_EPHEMERAL | FLAG_LOADING))
        if "attachments" in payload or files:
            keep_ids = {str(a.get("id")) for a in payload.get("attachments") or []}
            kept = [a for a in data["attachments"] if a["id"] in keep_ids] if "attachments" in payload else data["attachments"]
            # New files are listed by their index in the upload (with their description).
            meta = {int(a["id"]): a for a in payload.get("attachments") or []
                    if str(a.get("id", "")).isdigit() and int(a["id"]) < len(files)}
            for index, (filename, blob) in enumerate(files):
                kept.append(self._attachment(record.channel_id, self._snowflake(), filename, blob,
                                             (meta.get(index) or {}).get("description")))
                record.files.append((filename, blob))
            data["attachments"] = kept
        if payload.get("poll") is not None:  # only where _refuse_poll_edit let it through
            self._attach_poll(data, payload["poll"])
        if "allowed_mentions" in payload:
            record.allowed_mentions = copy.deepcopy(payload["allowed_mentions"])
        if clear_loading and data["flags"] & FLAG_LOADING:
            data["flags"] &= ~FLAG_LOADING
        else:
            data["edited_timestamp"] = now_iso()
        record.pings = self._compute_pings(data["content"], record.allowed_mentions, record.author_id,
                                           None if not record.reference_id or record.reference_id not in self._messages
                                           else self._messages[record.reference_id].author_id)
        data["mentions"] = [copy.deepcopy(self.users[u]) for u in record.pings["users"]]
        data["mention_roles"] = [str(r) for r in record.pings["roles"]]
        data["mention_everyone"] = record.pings["everyone"]
        self._cond.notify_all()

    def _message_event_payload(self, record: MessageRecord) -> dict:
        data = copy.deepcopy(record.data)
        channel = self._channels.get(record.channel_id, {})
        if channel.get("type") != DM:
            data["guild_id"] = str(self.guild_id)
            if record.author_id in self.members and "webhook_id" not in data:
                data["member"] = self._member_payload(record.author_id, with_user=False)
            for m in data["mentions"]:
                if int(m["id"]) in self.members:
                    m["member"] = self._member_payload(int(m["id"]), with_user=False)
        return data

    def _dispatch_message_event(self, event: str, record: MessageRecord) -> None:
        if record.ephemeral:
            return
        if record.author_id == self.bot_id and not self.echo_bot_messages and event == "MESSAGE_CREATE":
            return
        with self._lock:
            data = self._message_event_payload(record)
        self._dispatch(event, data)


    def _new_thread(self, parent_id: int, name: str, *, owner_id: int, thread_type: int,
                    thread_id: Optional[int], auto_archive: int) -> dict:
        tid = thread_id or self._snowflake()
        now = now_iso()
        thread = {"id": str(tid), "type": thread_type, "guild_id": str(self.guild_id), "parent_id": str(parent_id),
                  "owner_id": str(owner_id), "name": name, "last_message_id": None, "message_count": 0,
                  "member_count": 1, "total_message_sent": 0, "rate_limit_per_user": 0, "flags": 0,
                  "applied_tags": [],
                  "thread_metadata": {"archived": False, "auto_archive_duration": auto_archive,
                                      "archive_timestamp": now, "locked": False, "invitable": True,
                                      "create_timestamp": now},
                  "member": {"id": str(tid), "user_id": str(owner_id), "join_timestamp": now, "flags": 0}}
        self._channels[tid] = thread
        self._thread_ids.append(tid)
        self._cond.notify_all()
        return thread
